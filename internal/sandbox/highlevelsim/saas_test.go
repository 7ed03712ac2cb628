package highlevelsim

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var pathFamilies = []struct {
	name, prefix string
	postStatus   int
}{
	{"current", "/saas/", http.StatusCreated},
	{"deprecated", "/saas-api/public-api/", http.StatusOK},
}

// TestSaaSEndpointsOnBothPathFamilies walks every SaaS endpoint through a
// consistent story and checks status codes, reply shapes and state.
func TestSaaSEndpointsOnBothPathFamilies(t *testing.T) {
	for _, fam := range pathFamilies {
		t.Run(fam.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			tok := h.companyToken().AccessToken
			co := h.agency.ID
			l0, l1, l2 := h.locs[0].ID, h.locs[1].ID, h.locs[2].ID
			plan := h.agency.Plans[1]
			call := func(method, path string, body any) *reply {
				return h.call(method, fam.prefix+path, tok, body)
			}

			// enable-saas
			r := call(http.MethodPost, "enable-saas/"+l0, map[string]any{
				"companyId": co, "isSaaSV2": true, "saasPlanId": plan.PlanID, "priceId": plan.Prices[0].ID,
				"providerLocationId": l2, "contactId": "1QDPY5FpU9DlKp7RQ8BXfywx", "description": "onboarding",
			})
			require.Equal(t, fam.postStatus, r.Status, "body: %s", r.Body)
			var enabled struct {
				Data struct {
					CustomerID         string `json:"customer_id"`
					OK                 bool   `json:"ok"`
					PaymentMethodAdded *bool  `json:"paymentMethodAdded"`
				} `json:"data"`
			}
			r.decode(t, &enabled)
			assert.Regexp(t, `^cus_[A-Za-z0-9]{14}$`, enabled.Data.CustomerID)
			assert.True(t, enabled.Data.OK)
			require.NotNil(t, enabled.Data.PaymentMethodAdded)
			saas := h.location(l0).SaaS
			// With a plan, the subscription is pre-configured: trialing for the plan's trial.
			assert.Regexp(t, `^sub_1[A-Za-z0-9]{14}$`, saas.SubscriptionID)
			assert.Equal(t, SaaSState{
				SaaSMode: "saasV2", IsSaaSV2: true, CustomerID: enabled.Data.CustomerID, PriceID: plan.Prices[0].ID,
				SaaSPlanID: plan.PlanID, ProductID: plan.ProductID, ProviderLocationID: l2, EnableCount: 1,
				SubscriptionID: saas.SubscriptionID, SubscriptionStatus: "trialing",
			}, saas)
			assert.True(t, enabled.Data.PaymentMethodAdded != nil && *enabled.Data.PaymentMethodAdded)

			// enabling again changes nothing
			before := h.location(l0)
			call(http.MethodPost, "enable-saas/"+l0, map[string]any{"companyId": co, "isSaaSV2": false}).
				requireError(t, 400, `{"statusCode":400,"message":"SaaS is already enabled for this location"}`)
			assert.Equal(t, before, h.location(l0))

			// update-saas-subscription (PUT: 200 on both families)
			r = call(http.MethodPut, "update-saas-subscription/"+l0, map[string]string{
				"subscriptionId": "sub_1QDPY5FpU9DlKp7RQ8BXfywx", "customerId": enabled.Data.CustomerID, "companyId": co,
			})
			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
			assert.JSONEq(t, `"success"`, string(r.Body))

			// get-saas-subscription
			r = call(http.MethodGet, "get-saas-subscription/"+l0+"?companyId="+co, nil)
			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
			assert.JSONEq(t, fmt.Sprintf(`{"locationId":%q,"isSaaSV2":true,"companyId":%q,"saasMode":"saasV2",
				"subscriptionId":"sub_1QDPY5FpU9DlKp7RQ8BXfywx","customerId":%q,"productId":%q,"priceId":%q,
				"saasPlanId":%q,"subscriptionStatus":"active"}`,
				l0, co, enabled.Data.CustomerID, plan.ProductID, plan.Prices[0].ID, plan.PlanID), string(r.Body))
			r = call(http.MethodGet, "get-saas-subscription/"+l1+"?companyId="+co, nil)
			assert.JSONEq(t, fmt.Sprintf(`{"locationId":%q,"isSaaSV2":false,"companyId":%q,"saasMode":"not_activated"}`, l1, co), string(r.Body))

			// locations by Stripe ids
			for q, want := range map[string]string{
				"customerId=" + enabled.Data.CustomerID:                             `["` + l0 + `"]`,
				"subscriptionId=sub_1QDPY5FpU9DlKp7RQ8BXfywx":                       `["` + l0 + `"]`,
				"customerId=cus_nobody&subscriptionId=sub_nothing":                  `[]`,
				"customerId=cus_nobody&subscriptionId=sub_1QDPY5FpU9DlKp7RQ8BXfywx": `["` + l0 + `"]`,
			} {
				r = call(http.MethodGet, "locations?companyId="+co+"&"+q, nil)
				require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
				assert.JSONEq(t, want, string(r.Body), q)
			}

			// pause and resume
			r = call(http.MethodPost, "pause/"+l0, map[string]any{"paused": true, "companyId": co})
			require.Equal(t, fam.postStatus, r.Status, "body: %s", r.Body)
			assert.JSONEq(t, `true`, string(r.Body))
			paused := h.location(l0)
			assert.True(t, paused.SaaS.Paused)
			assert.Equal(t, "paused", paused.SaaS.SubscriptionStatus)
			assert.False(t, paused.EffectiveActive)
			call(http.MethodPost, "pause/"+l0, map[string]any{"paused": false, "companyId": co})
			resumed := h.location(l0)
			assert.Equal(t, "active", resumed.SaaS.SubscriptionStatus)
			assert.True(t, resumed.EffectiveActive)

			// bulk-enable-saas
			r = call(http.MethodPost, "bulk-enable-saas/"+co, map[string]any{
				"locationIds": []string{l0, l1, l2}, "isSaaSV2": false,
				"actionPayload": map[string]string{"saasPlanId": h.agency.Plans[0].PlanID, "stripeAccountId": "acct_1QDPY5FpU9DlKp7R"},
			})
			require.Equal(t, fam.postStatus, r.Status, "body: %s", r.Body)
			assert.JSONEq(t, `{"success":true,"message":"Bulk enable SaaS operation completed successfully"}`, string(r.Body))
			assert.Equal(t, 1, h.location(l0).SaaS.EnableCount, "already enabled locations are skipped")
			for _, id := range []string{l1, l2} {
				st := h.location(id).SaaS
				assert.Equal(t, "saasV1", st.SaaSMode)
				assert.Equal(t, h.agency.Plans[0].PlanID, st.SaaSPlanID)
				assert.Equal(t, 1, st.EnableCount)
			}

			// saas-locations
			r = call(http.MethodGet, "saas-locations/"+co+"?page=1", nil)
			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
			var page saasLocationsResponse
			r.decode(t, &page)
			assert.Equal(t, pagination{Page: 1, Limit: 10, Total: 3, TotalPages: 1}, page.Pagination)
			require.Len(t, page.Locations, 3)
			first := page.Locations[0]
			assert.Equal(t, l0, first.LocationID)
			assert.Equal(t, "sub_1QDPY5FpU9DlKp7RQ8BXfywx", first.SubscriptionID)
			assert.Equal(t, h.locs[0].Name, first.Name)
			assert.Equal(t, subscriptionInfo{PriceID: plan.Prices[0].ID, SaaSPlanID: plan.PlanID, StripeProductID: plan.ProductID, SubscriptionStatus: "active"}, first.SubscriptionInfo)

			// agency-plans and saas-plan
			r = call(http.MethodGet, "agency-plans/"+co, nil)
			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
			var plans []map[string]any
			r.decode(t, &plans)
			require.Len(t, plans, 2)
			for _, p := range plans {
				for _, k := range []string{"planId", "title", "description", "saasProducts", "planLevel", "trialPeriod", "prices", "isSaaSV2", "createdAt", "updatedAt"} {
					assert.Contains(t, p, k)
				}
			}
			r = call(http.MethodGet, "saas-plan/"+plan.PlanID+"?companyId="+co, nil)
			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
			var gotPlan SaaSPlan
			r.decode(t, &gotPlan)
			assert.Equal(t, plan, gotPlan)

			// update-rebilling
			r = call(http.MethodPost, "update-rebilling/"+co, map[string]any{
				"product": "conversationAI", "locationIds": []string{l0, l1}, "config": map[string]any{"enabled": true, "markup": 5},
			})
			require.Equal(t, fam.postStatus, r.Status, "body: %s", r.Body)
			assert.JSONEq(t, `{"success":true}`, string(r.Body))
			call(http.MethodPost, "update-rebilling/"+co, map[string]any{
				"product": "conversationAI", "locationIds": []string{l0}, "config": map[string]any{"optIn": true},
			})
			assert.Equal(t, RebillingConfig{OptIn: ptr(true), Enabled: ptr(true), Markup: ptr(5.0)}, h.location(l0).Rebilling["conversationAI"], "configs merge")

			// bulk-disable-saas
			r = call(http.MethodPost, "bulk-disable-saas/"+co, map[string]any{"locationIds": []string{l0, l1}})
			require.Equal(t, fam.postStatus, r.Status, "body: %s", r.Body)
			assert.JSONEq(t, `{"data":{"msg":"success"}}`, string(r.Body))
			off := h.location(l0).SaaS
			assert.Equal(t, SaaSState{SaaSMode: "not_activated", CustomerID: enabled.Data.CustomerID, EnableCount: 1}, off)
			assert.Equal(t, "saasV1", h.location(l2).SaaS.SaaSMode)

			// re-enabling reuses the Stripe customer and counts again
			r = call(http.MethodPost, "enable-saas/"+l0, map[string]any{"companyId": co, "isSaaSV2": true})
			require.Equal(t, fam.postStatus, r.Status, "body: %s", r.Body)
			assert.Equal(t, enabled.Data.CustomerID, h.location(l0).SaaS.CustomerID)
			assert.Equal(t, 2, h.location(l0).SaaS.EnableCount)
		})
	}
}

func TestSaaSValidationAndAccess(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken().AccessToken
	co, l0 := h.agency.ID, h.locs[0].ID
	other, err := h.s.CreateAgency(AgencySpec{LocationCount: 1})
	require.NoError(t, err)
	foreign := other.Locations[0].ID
	starter, err := h.s.CreateAgency(AgencySpec{Plan: "agency_monthly_297", LocationCount: 1})
	require.NoError(t, err)
	starterTok := h.exchange(url.Values{
		"client_id": {testClientID}, "client_secret": {testClientSecret}, "grant_type": {"authorization_code"},
		"code": {func() string {
			code, _, err := h.admin.Authorize(t.Context(), AuthorizeRequest{ClientID: testClientID, RedirectURI: testRedirect, Scope: allScopes, CompanyID: starter.Agency.ID})
			require.NoError(t, err)
			return code
		}()},
	})
	var st tokenReply
	starterTok.decode(t, &st)

	unprocessable := func(msgs string) string {
		return `{"statusCode":422,"message":` + msgs + `,"error":"Unprocessable Entity"}`
	}
	for _, tc := range []struct {
		name         string
		token        string
		method, path string
		body         any
		opts         []reqOption
		status       int
		want         string
	}{
		{"enable: empty body", tok, "POST", "/saas/enable-saas/" + l0, nil, nil, 422,
			unprocessable(`["companyId should not be empty","isSaaSV2 must be a boolean value"]`)},
		{"enable: wrong types", tok, "POST", "/saas/enable-saas/" + l0, `{"companyId":7,"isSaaSV2":"yes","email":false}`, nil, 422,
			unprocessable(`["companyId must be a string","isSaaSV2 must be a boolean value","email must be a string"]`)},
		{"enable: form-encoded body reads as empty", tok, "POST", "/saas/enable-saas/" + l0, url.Values{"companyId": {co}, "isSaaSV2": {"true"}}, nil, 422,
			unprocessable(`["companyId should not be empty","isSaaSV2 must be a boolean value"]`)},
		{"enable: malformed JSON", tok, "POST", "/saas/enable-saas/" + l0, `{"companyId":`, nil, 400,
			`{"statusCode":400,"message":"Unexpected token in JSON body"}`},
		{"enable: another company in body", tok, "POST", "/saas/enable-saas/" + l0, map[string]any{"companyId": other.Agency.ID, "isSaaSV2": true}, nil, 403,
			`{"statusCode":403,"message":"The token does not have access to this company."}`},
		{"enable: unknown location", tok, "POST", "/saas/enable-saas/l1C08ntBrFjLS0elLIYU", map[string]any{"companyId": co, "isSaaSV2": true}, nil, 404,
			`{"statusCode":404,"message":"Location not found"}`},
		{"enable: another company's location", tok, "POST", "/saas-api/public-api/enable-saas/" + foreign, map[string]any{"companyId": co, "isSaaSV2": true}, nil, 403,
			`{"statusCode":403,"message":"The token does not have access to this location."}`},
		{"enable: unknown plan", tok, "POST", "/saas/enable-saas/" + l0, map[string]any{"companyId": co, "isSaaSV2": true, "saasPlanId": "nope"}, nil, 400,
			`{"statusCode":400,"message":"SaaS plan not found"}`},
		{"enable: price of another plan", tok, "POST", "/saas/enable-saas/" + l0,
			map[string]any{"companyId": co, "isSaaSV2": true, "saasPlanId": h.agency.Plans[0].PlanID, "priceId": h.agency.Plans[1].Prices[0].ID}, nil, 400,
			`{"statusCode":400,"message":"Price not found in SaaS plan"}`},
		{"enable: agency not on Pro", st.AccessToken, "POST", "/saas/enable-saas/" + starter.Locations[0].ID,
			map[string]any{"companyId": starter.Agency.ID, "isSaaSV2": true}, nil, 400,
			`{"statusCode":400,"message":"This feature is only available on Agency Pro ($497) plan."}`},
		{"update subscription: missing fields", tok, "PUT", "/saas/update-saas-subscription/" + l0, map[string]any{"customerId": ""}, nil, 422,
			unprocessable(`["subscriptionId should not be empty","customerId should not be empty","companyId should not be empty"]`)},
		{"update subscription: SaaS not enabled", tok, "PUT", "/saas/update-saas-subscription/" + l0,
			map[string]any{"subscriptionId": "sub_1", "customerId": "cus_1", "companyId": co}, nil, 400,
			`{"statusCode":400,"message":"SaaS is not enabled for this location"}`},
		{"bulk disable: empty list", tok, "POST", "/saas/bulk-disable-saas/" + co, map[string]any{"locationIds": []string{}}, nil, 422,
			unprocessable(`["locationIds should not be empty"]`)},
		{"bulk disable: not an array", tok, "POST", "/saas/bulk-disable-saas/" + co, map[string]any{"locationIds": "x"}, nil, 422,
			unprocessable(`["locationIds must be an array"]`)},
		{"bulk disable: another company in path", tok, "POST", "/saas/bulk-disable-saas/" + other.Agency.ID, map[string]any{"locationIds": []string{foreign}}, nil, 403,
			`{"statusCode":403,"message":"The token does not have access to this company."}`},
		{"bulk disable: a foreign location", tok, "POST", "/saas/bulk-disable-saas/" + co, map[string]any{"locationIds": []string{l0, foreign}}, nil, 403,
			`{"statusCode":403,"message":"The token does not have access to this location."}`},
		{"bulk enable: missing payload", tok, "POST", "/saas/bulk-enable-saas/" + co, map[string]any{"locationIds": []string{l0}}, nil, 422,
			unprocessable(`["isSaaSV2 must be a boolean value","actionPayload should not be empty"]`)},
		{"bulk enable: nested field", tok, "POST", "/saas/bulk-enable-saas/" + co,
			map[string]any{"locationIds": []string{l0}, "isSaaSV2": true, "actionPayload": map[string]any{"priceId": 1}}, nil, 422,
			unprocessable(`["actionPayload.saasPlanId should not be empty","actionPayload.priceId must be a string"]`)},
		{"bulk enable: payload not an object", tok, "POST", "/saas/bulk-enable-saas/" + co,
			map[string]any{"locationIds": []string{l0}, "isSaaSV2": true, "actionPayload": "plan"}, nil, 422,
			unprocessable(`["nested property actionPayload must be either object or array"]`)},
		{"pause: missing fields", tok, "POST", "/saas/pause/" + l0, map[string]any{}, nil, 422,
			unprocessable(`["paused must be a boolean value","companyId should not be empty"]`)},
		{"rebilling: bad product", tok, "POST", "/saas/update-rebilling/" + co,
			map[string]any{"product": "fax", "locationIds": []string{l0}, "config": map[string]any{"markup": "lots"}}, nil, 422,
			unprocessable(`["product must be one of the following values: contentAI, workflow_premium_actions, workflow_ai, conversationAI, EmailNotification, whatsApp, reviewsAI, VERIFIED_CALLER_ID, WALLET_SALES_TAX, NOTIFICATION_SMS, EmailSmtp, EmailVerification, autoCompleteAddress, funnelAI, domainPurchase, Phone, Email","config.markup must be a number conforming to the specified constraints"]`)},
		{"rebilling: missing config", tok, "POST", "/saas/update-rebilling/" + co, map[string]any{"product": "Phone", "locationIds": []string{l0}}, nil, 422,
			unprocessable(`["config should not be empty"]`)},
		{"agency plans: another company", tok, "GET", "/saas/agency-plans/" + other.Agency.ID, nil, nil, 403,
			`{"statusCode":403,"message":"The token does not have access to this company."}`},
		{"subscription: missing companyId", tok, "GET", "/saas/get-saas-subscription/" + l0, nil, nil, 422,
			unprocessable(`["companyId should not be empty"]`)},
		{"subscription: unknown location", tok, "GET", "/saas-api/public-api/get-saas-subscription/nope?companyId=" + co, nil, nil, 404,
			`{"statusCode":404,"message":"Location not found"}`},
		{"saas-locations: page required on /saas", tok, "GET", "/saas/saas-locations/" + co, nil, nil, 422,
			unprocessable(`["page must be a number conforming to the specified constraints"]`)},
		{"saas-locations: page 0", tok, "GET", "/saas/saas-locations/" + co + "?page=0", nil, nil, 422,
			unprocessable(`["page must not be less than 1"]`)},
		{"saas-locations: page optional on deprecated", tok, "GET", "/saas-api/public-api/saas-locations/" + co, nil, nil, 200, ""},
		{"saas-plan: unknown", tok, "GET", "/saas/saas-plan/66c4d36534f21f900dc2a265?companyId=" + co, nil, nil, 404,
			`{"statusCode":404,"message":"SaaS plan not found"}`},
		{"saas-plan: another agency's plan", tok, "GET", "/saas/saas-plan/" + other.Agency.Plans[0].PlanID + "?companyId=" + co, nil, nil, 404,
			`{"statusCode":404,"message":"SaaS plan not found"}`},
		{"locations: no Stripe id", tok, "GET", "/saas/locations?companyId=" + co, nil, nil, 422,
			unprocessable(`["customerId should not be empty","subscriptionId should not be empty"]`)},
		{"locations: missing companyId", tok, "GET", "/saas-api/public-api/locations?customerId=cus_1", nil, nil, 422,
			unprocessable(`["companyId should not be empty"]`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.s.State()
			r := h.call(tc.method, tc.path, tc.token, tc.body, tc.opts...)
			if tc.want == "" {
				assert.Equal(t, tc.status, r.Status, "body: %s", r.Body)
				return
			}
			r.requireError(t, tc.status, tc.want)
			assert.Equal(t, before, h.s.State(), "a refused request changes nothing")
		})
	}
}

func TestSaaSLocationsPaging(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken().AccessToken
	locs, err := h.s.AddLocations(AddLocationsRequest{CompanyID: h.agency.ID, Count: 20})
	require.NoError(t, err)
	ids := []string{h.locs[0].ID, h.locs[1].ID, h.locs[2].ID}
	for _, l := range locs {
		ids = append(ids, l.ID)
	}
	r := h.call(http.MethodPost, "/saas/bulk-enable-saas/"+h.agency.ID, tok, map[string]any{
		"locationIds": ids, "isSaaSV2": true, "actionPayload": map[string]string{"saasPlanId": h.agency.Plans[0].PlanID},
	})
	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Body)
	_, err = h.s.AddLocations(AddLocationsRequest{CompanyID: h.agency.ID, Count: 2}) // not SaaS: never listed
	require.NoError(t, err)

	for page, want := range map[int]pagination{
		1: {Page: 1, Limit: 10, Total: 23, TotalPages: 3, HasNext: true},
		3: {Page: 3, Limit: 10, Total: 23, TotalPages: 3, HasPrev: true},
		4: {Page: 4, Limit: 10, Total: 23, TotalPages: 3, HasPrev: true},
	} {
		r := h.call(http.MethodGet, fmt.Sprintf("/saas/saas-locations/%s?page=%d", h.agency.ID, page), tok, nil)
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
		var got saasLocationsResponse
		r.decode(t, &got)
		assert.Equal(t, want, got.Pagination)
		wantLen := map[int]int{1: 10, 3: 3, 4: 0}[page]
		require.Len(t, got.Locations, wantLen)
		for i, l := range got.Locations {
			assert.Equal(t, ids[(page-1)*10+i], l.LocationID)
		}
	}
}
