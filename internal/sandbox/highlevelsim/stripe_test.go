package highlevelsim

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/stripeevent"
)

const (
	testStripeSecret    = "whsec_sandboxtest0123456789abcdefghijkl"
	testStripeNewSecret = "whsec_sandboxnext0123456789abcdefghijkl"
)

// stripeHarness is a harness on the real clock (Stripe signatures carry real time)
// whose agencies' Stripe accounts deliver to a receiver.
func stripeHarness(t *testing.T, answer func(int) int, secrets ...string) (*harness, *receiver) {
	t.Helper()
	h := newHarness(t, Options{Now: time.Now})
	t.Cleanup(h.s.Close)
	rc := newReceiver(t, answer)
	_, err := h.admin.SetStripeConfig(t.Context(), StripeConfig{URL: rc.url, Secrets: secrets, RetryInterval: Duration(5 * time.Millisecond)})
	require.NoError(t, err)
	return h, rc
}

// The sandbox's events verify with the official stripe-go webhook package and read as
// the gateway reads them; while a secret is rolled each carries a v1 per secret.
func TestStripeEventsVerifyWithStripeGo(t *testing.T) {
	h, rc := stripeHarness(t, always(http.StatusOK), testStripeSecret, testStripeNewSecret)
	plan := h.agency.Plans[1]
	sent, err := h.admin.SendStripeEvent(t.Context(), StripeSendRequest{
		Type: StripeSubscriptionUpdated, LocationID: h.locs[0].ID, PlanID: plan.PlanID, Status: "past_due",
		Metadata: map[string]string{"locationId": h.locs[0].ID},
	})
	require.NoError(t, err)
	assert.Equal(t, OutcomeDelivered, h.settle(1).Deliveries[0].Outcome)
	got := rc.requests()[0]
	assert.Equal(t, string(sent.Body), string(got.body))
	assert.Len(t, strings.Split(got.header.Get(StripeSignatureHeader), ",v1="), 3, "t and one v1 per secret")

	for _, secret := range []string{testStripeSecret, testStripeNewSecret} {
		v, err := stripeevent.NewVerifier([]string{secret}, 0, time.Now)
		require.NoError(t, err)
		ev, err := v.Verify(got.header.Get(StripeSignatureHeader), got.body)
		require.NoError(t, err)
		c, err := stripeevent.Parse(ev)
		require.NoError(t, err)
		assert.Equal(t, stripeevent.Change{EventID: sent.EventID, Type: StripeSubscriptionUpdated, Created: c.Created,
			CustomerID: sent.CustomerID, SubscriptionID: sent.SubscriptionID, Status: "past_due", PriceID: plan.Prices[0].ID,
			ProductID: plan.ProductID, LocationID: h.locs[0].ID}, c)
	}
	other, err := stripeevent.NewVerifier([]string{"whsec_notthesandbox0123456789abcdefgh"}, 0, time.Now)
	require.NoError(t, err)
	_, err = other.Verify(got.header.Get(StripeSignatureHeader), got.body)
	assert.ErrorIs(t, err, stripeevent.ErrSignatureInvalid)
}

// Stripe retries every answer but a 2xx, signing each attempt afresh; a redelivery by
// event id sends the same bytes.
func TestStripeRetriesAndRedelivers(t *testing.T) {
	h, rc := stripeHarness(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}, testStripeSecret)
	sent, err := h.admin.SendStripeEvent(t.Context(), StripeSendRequest{Type: StripeInvoicePaid, LocationID: h.locs[1].ID})
	require.NoError(t, err)
	d := h.settle(1).Deliveries[0]
	assert.Equal(t, OutcomeDelivered, d.Outcome)
	assert.Len(t, d.Attempts, 2)
	assert.Equal(t, sent.EventID, d.WebhookID)

	again, err := h.admin.SendStripeEvent(t.Context(), StripeSendRequest{EventID: sent.EventID})
	require.NoError(t, err)
	assert.True(t, again.Redelivery)
	h.settle(2)
	reqs := rc.requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		assert.Equal(t, string(sent.Body), string(r.body))
	}
}

// HighLevel follows the agency's Stripe account: enable-saas with a plan pre-configures
// a trialing subscription; update-saas-subscription attaches a Stripe subscription
// with its status, price and plan; a later change in Stripe reaches the location, an
// older one does not.
func TestHighLevelFollowsStripe(t *testing.T) {
	h, _ := stripeHarness(t, always(http.StatusOK), testStripeSecret)
	tok := h.companyToken().AccessToken
	co, l0, l1 := h.agency.ID, h.locs[0].ID, h.locs[1].ID
	starter, growth := h.agency.Plans[0], h.agency.Plans[1]
	for _, l := range []string{l0, l1} {
		r := h.call(http.MethodPost, "/saas/enable-saas/"+l, tok, map[string]any{"companyId": co, "isSaaSV2": true, "saasPlanId": starter.PlanID})
		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Body)
	}
	pre := h.location(l0).SaaS
	assert.Equal(t, "trialing", pre.SubscriptionStatus, "the plan's 14-day trial")
	assert.Equal(t, starter.Prices[0].ID, pre.PriceID, "the plan's first price")
	subs := h.s.StripeSubscriptions()
	require.Len(t, subs, 2)
	assert.WithinDuration(t, time.Now().AddDate(0, 0, starter.TrialPeriod), subs[0].TrialEnd, time.Minute)

	// The customer moves l0 to Growth in Stripe.
	at := time.Now().UTC().Truncate(time.Second)
	_, err := h.admin.SendStripeEvent(t.Context(), StripeSendRequest{Type: StripeSubscriptionUpdated, LocationID: l0,
		PlanID: growth.PlanID, Status: "active", Created: at})
	require.NoError(t, err)
	now := h.location(l0).SaaS
	assert.Equal(t, []string{growth.PlanID, growth.Prices[0].ID, "active"}, []string{now.SaaSPlanID, now.PriceID, now.SubscriptionStatus})
	_, err = h.admin.SendStripeEvent(t.Context(), StripeSendRequest{Type: StripeSubscriptionDeleted, LocationID: l0, Created: at.Add(-time.Minute)})
	require.NoError(t, err)
	assert.Equal(t, "active", h.location(l0).SaaS.SubscriptionStatus, "an older change does not undo a newer one")

	// l1 gets a new subscription in Stripe, then HighLevel is told to attach it.
	sent, err := h.admin.SendStripeEvent(t.Context(), StripeSendRequest{Type: StripeSubscriptionCreated, CompanyID: co,
		CustomerID: h.location(l1).SaaS.CustomerID, SubscriptionID: "sub_1NewForL1xxxxxx", PlanID: growth.PlanID, Status: "active"})
	require.NoError(t, err)
	assert.Equal(t, starter.PlanID, h.location(l1).SaaS.SaaSPlanID, "not attached yet")
	r := h.call(http.MethodPut, "/saas/update-saas-subscription/"+l1, tok, map[string]string{
		"subscriptionId": sent.SubscriptionID, "customerId": "cus_someoneelse", "companyId": co})
	r.requireError(t, 400, `{"statusCode":400,"message":"The subscription belongs to another Stripe customer"}`)
	r = h.call(http.MethodPut, "/saas/update-saas-subscription/"+l1, tok, map[string]string{
		"subscriptionId": sent.SubscriptionID, "customerId": sent.CustomerID, "companyId": co})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
	got := h.location(l1).SaaS
	assert.Equal(t, []string{sent.SubscriptionID, growth.PlanID, "active"}, []string{got.SubscriptionID, got.SaaSPlanID, got.SubscriptionStatus})

	// The agency's own pause wins over Stripe's status, as the pause endpoint has it.
	require.Equal(t, http.StatusCreated, h.call(http.MethodPost, "/saas/pause/"+l1, tok, map[string]any{"paused": true, "companyId": co}).Status)
	_, err = h.admin.SendStripeEvent(t.Context(), StripeSendRequest{Type: StripeInvoicePaid, LocationID: l1})
	require.NoError(t, err)
	assert.Equal(t, "paused", h.location(l1).SaaS.SubscriptionStatus)
}

func TestStripeSendErrors(t *testing.T) {
	h := newHarness(t, Options{})
	t.Cleanup(h.s.Close)
	_, err := h.admin.SendStripeEvent(t.Context(), StripeSendRequest{Type: StripeInvoicePaid, LocationID: h.locs[0].ID})
	requireAdminError(t, err, http.StatusConflict, "no Stripe endpoint configured")
	_, err = h.admin.SetStripeConfig(t.Context(), StripeConfig{URL: "http://127.0.0.1:1/webhooks/stripe"})
	requireAdminError(t, err, http.StatusBadRequest, "at least one signing secret")
	_, err = h.admin.SetStripeConfig(t.Context(), StripeConfig{URL: "http://127.0.0.1:1/webhooks/stripe", Secrets: []string{testStripeSecret}})
	require.NoError(t, err)
	for _, tc := range []struct {
		req    StripeSendRequest
		status int
		msg    string
	}{
		{StripeSendRequest{Type: "charge.refunded", LocationID: h.locs[0].ID}, http.StatusBadRequest, "type must be one of"},
		{StripeSendRequest{Type: StripeInvoicePaid, LocationID: "nowhere"}, http.StatusNotFound, "not found"},
		{StripeSendRequest{Type: StripeInvoicePaid}, http.StatusBadRequest, "name a locationId or the companyId"},
		{StripeSendRequest{Type: StripeSubscriptionUpdated, LocationID: h.locs[0].ID, PlanID: "no-such-plan"}, http.StatusBadRequest, "has no plan"},
	} {
		_, err := h.admin.SendStripeEvent(t.Context(), tc.req)
		requireAdminError(t, err, tc.status, tc.msg)
	}
}

func requireAdminError(t *testing.T, err error, status int, contains string) {
	t.Helper()
	var ae *AdminError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, status, ae.StatusCode)
	assert.Contains(t, ae.Message, contains)
}
