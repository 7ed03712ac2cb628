package highlevel_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

// rebillingProducts is UpdateRebillingDto.product's enum (reference §4.1).
var rebillingProducts = []string{
	"contentAI", "workflow_premium_actions", "workflow_ai", "conversationAI", "EmailNotification",
	"whatsApp", "reviewsAI", "VERIFIED_CALLER_ID", "WALLET_SALES_TAX", "NOTIFICATION_SMS", "EmailSmtp",
	"EmailVerification", "autoCompleteAddress", "funnelAI", "domainPurchase", "Phone", "Email",
}

func TestSaaSLifecycle(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 13})
	ctx := t.Context()
	company := e.agency.ID
	loc0 := e.locs[0].ID
	plan := e.agency.Plans[0]
	price := plan.Prices[0]

	sub := func(t *testing.T, loc string) *highlevel.Subscription {
		t.Helper()
		s, err := e.client.GetSubscription(ctx, loc, company)
		require.NoError(t, err)
		require.Equal(t, loc, s.LocationID)
		require.Equal(t, company, s.CompanyID)
		return s
	}

	t.Run("agency plans", func(t *testing.T) {
		plans, err := e.client.AgencyPlans(ctx, company)
		require.NoError(t, err)
		require.Len(t, plans, len(e.agency.Plans))
		for i, want := range e.agency.Plans {
			got := plans[i]
			require.Equal(t, want.PlanID, got.PlanID)
			require.Equal(t, company, got.CompanyID)
			require.Equal(t, want.Title, got.Title)
			require.Equal(t, want.Description, got.Description)
			require.Equal(t, want.SaaSProducts, got.SaaSProducts)
			require.Equal(t, want.AddOns, got.AddOns)
			require.Equal(t, want.PlanLevel, got.PlanLevel)
			require.Equal(t, want.TrialPeriod, got.TrialPeriod)
			require.Equal(t, want.UserLimit, *got.UserLimit)
			require.Equal(t, want.ContactLimit, *got.ContactLimit)
			require.Equal(t, want.IsSaaSV2, got.IsSaaSV2)
			require.Equal(t, want.ProductID, got.ProductID)
			require.Equal(t, want.SnapshotID, got.SnapshotID)
			require.Equal(t, want.CategoryID, got.CategoryID)
			require.Equal(t, sandboxStart, got.CreatedAt)
			require.Equal(t, sandboxStart, got.UpdatedAt)
			require.Len(t, got.Prices, len(want.Prices))
			for j, p := range want.Prices {
				require.Equal(t, highlevel.PlanPrice{
					ID: p.ID, BillingInterval: p.BillingInterval, Active: p.Active,
					Amount: p.Amount, Currency: p.Currency, Symbol: p.Symbol,
				}, got.Prices[j])
			}
		}
		require.Equal(t, versionSaaS, e.lastExchange().Version)
	})

	t.Run("one plan", func(t *testing.T) {
		got, err := e.client.GetSaaSPlan(ctx, plan.PlanID, company)
		require.NoError(t, err)
		require.Equal(t, plan.PlanID, got.PlanID)
		require.Equal(t, company, got.CompanyID)
		require.Equal(t, "Practice Starter", got.Title)
		require.Equal(t, 1, got.PlanLevel)
		require.Equal(t, 14, got.TrialPeriod)
		require.NotNil(t, got.SetupFee)
		require.Zero(t, *got.SetupFee)
		require.Equal(t, []highlevel.PlanPrice{
			{ID: price.ID, BillingInterval: "month", Active: true, Amount: 97, Currency: "USD", Symbol: "$"},
			{ID: plan.Prices[1].ID, BillingInterval: "year", Active: true, Amount: 970, Currency: "USD", Symbol: "$"},
		}, got.Prices)
	})

	t.Run("not activated before enable", func(t *testing.T) {
		s := sub(t, loc0)
		require.Equal(t, highlevel.SaaSModeNotActivated, s.SaaSMode)
		require.False(t, s.Enabled())
		require.False(t, s.IsSaaSV2)
	})

	var customerID string
	t.Run("enable", func(t *testing.T) {
		res, err := e.client.EnableSaaS(ctx, loc0, highlevel.EnableSaaSRequest{
			CompanyID: company, IsSaaSV2: true, SaaSPlanID: plan.PlanID, PriceID: price.ID,
		})
		require.NoError(t, err)
		st := e.location(loc0).SaaS
		require.True(t, strings.HasPrefix(res.CustomerID, "cus_"), res.CustomerID)
		// With a plan the sandbox pre-configures a subscription, so a card is on file.
		require.Equal(t, highlevel.EnableSaaSResult{CustomerID: st.CustomerID, OK: true, PaymentMethodAdded: true}, *res)
		require.Equal(t, 1, st.EnableCount)
		customerID = res.CustomerID
		require.Equal(t, http.StatusCreated, e.lastExchange().Status)

		s := sub(t, loc0)
		require.True(t, s.Enabled())
		require.Equal(t, highlevel.Subscription{
			LocationID: loc0, CompanyID: company, IsSaaSV2: true, SaaSMode: "saasV2", CustomerID: customerID,
			ProductID: plan.ProductID, PriceID: price.ID, SaaSPlanID: plan.PlanID,
			SubscriptionID: st.SubscriptionID, SubscriptionStatus: "trialing",
		}, *s)
	})

	t.Run("enable twice", func(t *testing.T) {
		_, err := e.client.EnableSaaS(ctx, loc0, highlevel.EnableSaaSRequest{CompanyID: company, IsSaaSV2: true})
		apiErr := e.requireAPIError(err, highlevel.EndpointEnableSaaS, http.StatusBadRequest, msgAlreadyEnabled)
		require.False(t, apiErr.Temporary())
		require.Equal(t, 1, e.location(loc0).SaaS.EnableCount, "a refused enable changes nothing")
	})

	t.Run("update subscription", func(t *testing.T) {
		err := e.client.UpdateSaaSSubscription(ctx, loc0, highlevel.UpdateSubscriptionRequest{
			SubscriptionID: "sub_1QDPY5FpU9DlKp7R", CustomerID: "cus_1QDPY5FpU9DlKp7R", CompanyID: company,
		})
		require.NoError(t, err)
		ex := e.lastExchange()
		require.Equal(t, http.MethodPut, ex.Method)
		require.Equal(t, "/saas/update-saas-subscription/"+loc0, ex.Path)
		s := sub(t, loc0)
		require.Equal(t, "sub_1QDPY5FpU9DlKp7R", s.SubscriptionID)
		require.Equal(t, "cus_1QDPY5FpU9DlKp7R", s.CustomerID)
		require.Equal(t, "active", s.SubscriptionStatus)
	})

	t.Run("locations by stripe ids", func(t *testing.T) {
		for _, q := range []highlevel.LocationsByStripeQuery{
			{CompanyID: company, CustomerID: "cus_1QDPY5FpU9DlKp7R"},
			{CompanyID: company, SubscriptionID: "sub_1QDPY5FpU9DlKp7R"},
			{CompanyID: company, CustomerID: "cus_nobody", SubscriptionID: "sub_1QDPY5FpU9DlKp7R"},
		} {
			got, err := e.client.LocationsByStripe(ctx, q)
			require.NoError(t, err)
			require.Equal(t, []string{loc0}, got, "%+v", q)
		}
		got, err := e.client.LocationsByStripe(ctx, highlevel.LocationsByStripeQuery{CompanyID: company, CustomerID: "cus_nobody"})
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("pause and resume", func(t *testing.T) {
		ok, err := e.client.Pause(ctx, loc0, company, true)
		require.NoError(t, err)
		require.True(t, ok)
		require.True(t, e.location(loc0).SaaS.Paused)
		require.Equal(t, "paused", sub(t, loc0).SubscriptionStatus)

		ok, err = e.client.Pause(ctx, loc0, company, false)
		require.NoError(t, err)
		require.True(t, ok)
		require.False(t, e.location(loc0).SaaS.Paused)
		require.Equal(t, "active", sub(t, loc0).SubscriptionStatus)
	})

	bulk := ids(e.locs[1:12]) // with loc0, 12 SaaS locations: two pages of ten
	t.Run("bulk enable", func(t *testing.T) {
		res, err := e.client.BulkEnableSaaS(ctx, company, highlevel.BulkEnableSaaSRequest{
			LocationIDs: bulk, IsSaaSV2: true, ActionPayload: highlevel.BulkEnableSaaSAction{SaaSPlanID: plan.PlanID, PriceID: price.ID},
		})
		require.NoError(t, err)
		require.Equal(t, highlevel.BulkEnableSaaSResult{Success: true, Message: "Bulk enable SaaS operation completed successfully"}, *res)
		for _, id := range bulk {
			st := e.location(id).SaaS
			require.Equal(t, "saasV2", st.SaaSMode, id)
			require.Equal(t, plan.PlanID, st.SaaSPlanID, id)
		}
		require.Equal(t, 1, e.location(loc0).SaaS.EnableCount, "bulk enable skips enabled locations")
		require.Equal(t, "not_activated", e.location(e.locs[12].ID).SaaS.SaaSMode)
	})

	t.Run("saas locations paging", func(t *testing.T) {
		p1, err := e.client.SaaSLocations(ctx, company, 1)
		require.NoError(t, err)
		require.Equal(t, highlevel.Pagination{Page: 1, Limit: 10, Total: 12, TotalPages: 2, HasNext: true}, p1.Pagination)
		require.Len(t, p1.Locations, 10)
		p2, err := e.client.SaaSLocations(ctx, company, 2)
		require.NoError(t, err)
		require.Equal(t, highlevel.Pagination{Page: 2, Limit: 10, Total: 12, TotalPages: 2, HasPrev: true}, p2.Pagination)
		require.Len(t, p2.Locations, 2)
		var got []string
		for _, l := range append(p1.Locations, p2.Locations...) {
			got = append(got, l.LocationID)
			require.Equal(t, company, l.CompanyID)
			require.Equal(t, "saasV2", l.SaaSMode)
			require.True(t, l.IsSaaSV2)
		}
		require.Equal(t, ids(e.locs[:12]), got)
		first := p1.Locations[0]
		require.Equal(t, highlevel.SaaSLocation{
			LocationID: loc0, CompanyID: company, SaaSMode: "saasV2", SubscriptionID: "sub_1QDPY5FpU9DlKp7R",
			CustomerID: "cus_1QDPY5FpU9DlKp7R", Name: e.locs[0].Name, Email: e.locs[0].Email, IsSaaSV2: true,
			SubscriptionInfo: highlevel.SubscriptionInfo{
				PriceID: price.ID, SaaSPlanID: plan.PlanID, StripeProductID: plan.ProductID, SubscriptionStatus: "active",
			},
		}, first)

		// Pages are 1-based: 0 is sent as 1.
		p0, err := e.client.SaaSLocations(ctx, company, 0)
		require.NoError(t, err)
		require.Equal(t, 1, p0.Pagination.Page)
		require.Equal(t, "page=1", e.lastExchange().RawQuery)
		p3, err := e.client.SaaSLocations(ctx, company, 3)
		require.NoError(t, err)
		require.Empty(t, p3.Locations)
		require.False(t, p3.Pagination.HasNext)
	})

	t.Run("bulk disable", func(t *testing.T) {
		msg, err := e.client.BulkDisableSaaS(ctx, company, bulk[:2])
		require.NoError(t, err)
		require.Equal(t, "success", msg)
		for _, id := range bulk[:2] {
			require.Equal(t, "not_activated", e.location(id).SaaS.SaaSMode, id)
		}
		p1, err := e.client.SaaSLocations(ctx, company, 1)
		require.NoError(t, err)
		require.Equal(t, 10, p1.Pagination.Total)
		require.False(t, p1.Pagination.HasNext)
	})

	t.Run("update rebilling", func(t *testing.T) {
		ok, err := e.client.UpdateRebilling(ctx, company, highlevel.UpdateRebillingRequest{
			Product: "contentAI", LocationIDs: []string{loc0, bulk[5]},
			Config: highlevel.RebillingConfig{Enabled: ptr(true), Markup: ptr(5.0)},
		})
		require.NoError(t, err)
		require.True(t, ok)
		for _, id := range []string{loc0, bulk[5]} {
			rc := e.location(id).Rebilling["contentAI"]
			require.Equal(t, highlevelsim.RebillingConfig{Enabled: ptr(true), Markup: ptr(5.0)}, rc, id)
		}
		require.Empty(t, e.location(bulk[6]).Rebilling)
	})
}

func TestSaaSErrors(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 3})
	ctx := t.Context()
	company := e.agency.ID
	loc := e.locs[0].ID
	other := e.otherAgency()
	foreign := other.Locations[0].ID

	products := "product must be one of the following values: " + strings.Join(rebillingProducts, ", ")
	tests := []struct {
		name     string
		endpoint string
		call     func() error
		status   int
		msg      string
	}{
		{"get subscription: unknown location", highlevel.EndpointGetSubscription, func() error {
			_, err := e.client.GetSubscription(ctx, "AAAAAAAAAAAAAAAAAAAA", company)
			return err
		}, http.StatusNotFound, msgLocationNotFound},
		{"get subscription: another company's location", highlevel.EndpointGetSubscription, func() error {
			_, err := e.client.GetSubscription(ctx, foreign, company)
			return err
		}, http.StatusForbidden, msgNoLocationAccess},
		{"get subscription: another company", highlevel.EndpointGetSubscription, func() error {
			_, err := e.client.GetSubscription(ctx, foreign, other.Agency.ID)
			return err
		}, http.StatusForbidden, msgNoCompanyAccess},
		{"saas plan: unknown", highlevel.EndpointSaaSPlan, func() error {
			_, err := e.client.GetSaaSPlan(ctx, "66c4d36534f21f900dc2a265", company)
			return err
		}, http.StatusNotFound, msgPlanNotFound},
		{"saas plan: another company's plan", highlevel.EndpointSaaSPlan, func() error {
			_, err := e.client.GetSaaSPlan(ctx, other.Agency.Plans[0].PlanID, company)
			return err
		}, http.StatusNotFound, msgPlanNotFound},
		{"agency plans: another company", highlevel.EndpointAgencyPlans, func() error {
			_, err := e.client.AgencyPlans(ctx, other.Agency.ID)
			return err
		}, http.StatusForbidden, msgNoCompanyAccess},
		{"saas locations: another company", highlevel.EndpointSaaSLocations, func() error {
			_, err := e.client.SaaSLocations(ctx, other.Agency.ID, 1)
			return err
		}, http.StatusForbidden, msgNoCompanyAccess},
		{"locations by stripe: no stripe id", highlevel.EndpointSaaSLocationsByStripe, func() error {
			_, err := e.client.LocationsByStripe(ctx, highlevel.LocationsByStripeQuery{CompanyID: company})
			return err
		}, http.StatusUnprocessableEntity, "customerId should not be empty; subscriptionId should not be empty"},
		{"update subscription: empty body fields", highlevel.EndpointUpdateSubscription, func() error {
			return e.client.UpdateSaaSSubscription(ctx, loc, highlevel.UpdateSubscriptionRequest{})
		}, http.StatusUnprocessableEntity, "subscriptionId should not be empty; customerId should not be empty; companyId should not be empty"},
		{"update subscription: SaaS not enabled", highlevel.EndpointUpdateSubscription, func() error {
			return e.client.UpdateSaaSSubscription(ctx, loc, highlevel.UpdateSubscriptionRequest{
				SubscriptionID: "sub_x", CustomerID: "cus_x", CompanyID: company,
			})
		}, http.StatusBadRequest, "SaaS is not enabled for this location"},
		{"enable: unknown plan", highlevel.EndpointEnableSaaS, func() error {
			_, err := e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: company, IsSaaSV2: true, SaaSPlanID: "66c4d36534f21f900dc2a265"})
			return err
		}, http.StatusBadRequest, msgPlanNotFound},
		{"enable: missing companyId", highlevel.EndpointEnableSaaS, func() error {
			_, err := e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{IsSaaSV2: true})
			return err
		}, http.StatusUnprocessableEntity, "companyId should not be empty"},
		{"bulk enable: unknown plan", highlevel.EndpointBulkEnableSaaS, func() error {
			_, err := e.client.BulkEnableSaaS(ctx, company, highlevel.BulkEnableSaaSRequest{
				LocationIDs: []string{loc}, IsSaaSV2: true, ActionPayload: highlevel.BulkEnableSaaSAction{SaaSPlanID: "66c4d36534f21f900dc2a265"},
			})
			return err
		}, http.StatusBadRequest, msgPlanNotFound},
		{"bulk enable: no plan", highlevel.EndpointBulkEnableSaaS, func() error {
			_, err := e.client.BulkEnableSaaS(ctx, company, highlevel.BulkEnableSaaSRequest{LocationIDs: []string{loc}, IsSaaSV2: true})
			return err
		}, http.StatusUnprocessableEntity, "actionPayload.saasPlanId should not be empty"},
		{"bulk disable: another company's location", highlevel.EndpointBulkDisableSaaS, func() error {
			_, err := e.client.BulkDisableSaaS(ctx, company, []string{loc, foreign})
			return err
		}, http.StatusForbidden, msgNoLocationAccess},
		{"bulk disable: no locations", highlevel.EndpointBulkDisableSaaS, func() error {
			_, err := e.client.BulkDisableSaaS(ctx, company, nil)
			return err
		}, http.StatusUnprocessableEntity, "locationIds should not be empty"},
		{"pause: unknown location", highlevel.EndpointPause, func() error {
			_, err := e.client.Pause(ctx, "AAAAAAAAAAAAAAAAAAAA", company, true)
			return err
		}, http.StatusNotFound, msgLocationNotFound},
		{"update rebilling: bad product", highlevel.EndpointUpdateRebilling, func() error {
			_, err := e.client.UpdateRebilling(ctx, company, highlevel.UpdateRebillingRequest{
				Product: "teleportation", LocationIDs: []string{loc}, Config: highlevel.RebillingConfig{Enabled: ptr(true)},
			})
			return err
		}, http.StatusUnprocessableEntity, products},
		{"update rebilling: unknown location", highlevel.EndpointUpdateRebilling, func() error {
			_, err := e.client.UpdateRebilling(ctx, company, highlevel.UpdateRebillingRequest{
				Product: "Phone", LocationIDs: []string{"AAAAAAAAAAAAAAAAAAAA"}, Config: highlevel.RebillingConfig{OptIn: ptr(true)},
			})
			return err
		}, http.StatusNotFound, msgLocationNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apiErr := e.requireAPIError(tt.call(), tt.endpoint, tt.status, tt.msg)
			require.False(t, apiErr.Temporary())
			require.True(t, apiErr.RateLimit.Present, "authenticated replies carry rate-limit headers")
			require.Zero(t, apiErr.RetryAfter)
			if tt.status == http.StatusUnprocessableEntity {
				require.Equal(t, reasonUnprocessable, apiErr.Reason)
			}
			require.Contains(t, apiErr.Error(), tt.msg)
		})
	}
	for _, l := range e.sim.State().Locations {
		require.Equal(t, "not_activated", l.SaaS.SaaSMode, "refused calls changed nothing")
		require.Empty(t, l.Rebilling)
	}

	t.Run("enable on a non-Pro agency", func(t *testing.T) {
		_, err := e.sim.UpdateAgency(company, highlevelsim.AgencyPatch{Plan: ptr("agency_monthly_297")})
		require.NoError(t, err)
		_, err = e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: company, IsSaaSV2: true})
		_ = e.requireAPIError(err, highlevel.EndpointEnableSaaS, http.StatusBadRequest, "This feature is only available on Agency Pro ($497) plan.")
	})
}
