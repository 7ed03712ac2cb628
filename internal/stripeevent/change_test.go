package stripeevent_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/stripe/stripe-go/v82"

	"github.com/saasbridge/saasbridge/internal/stripeevent"
)

func event(t testing.TB, body []byte) stripe.Event {
	t.Helper()
	var ev stripe.Event
	require.NoError(t, json.Unmarshal(body, &ev))
	return ev
}

// Each handled type, from fixtures shaped like Stripe's events (both invoice shapes:
// parent.subscription_details since API 2025-03-31, a top-level subscription before).
func TestParse(t *testing.T) {
	sub, cus, price, prod := "sub_1QFixtureSubscription01", "cus_QFixtureCustomer01", "price_1QFixturePrice0001", "prod_QFixtureProduct01"
	for _, tc := range []struct {
		fixture string
		want    stripeevent.Change
	}{
		{"customer.subscription.created", stripeevent.Change{EventID: "evt_1QFixtureSubCreated0001", Created: time.Unix(1764590400, 0).UTC(),
			Status: "trialing", PriceID: price, ProductID: prod, LocationID: "FixtureLocation00001"}},
		{"customer.subscription.updated", stripeevent.Change{EventID: "evt_1QFixtureSubUpdated0001", Created: time.Unix(1765800005, 0).UTC(),
			Status: "active", PriceID: price, ProductID: prod}},
		{"customer.subscription.deleted", stripeevent.Change{EventID: "evt_1QFixtureSubDeleted0001", Created: time.Unix(1767000000, 0).UTC(),
			Status: "canceled", PriceID: price, ProductID: prod}},
		{"customer.subscription.paused", stripeevent.Change{EventID: "evt_1QFixtureSubPaused00001", Created: time.Unix(1765800010, 0).UTC(),
			Status: "paused", PriceID: price, ProductID: prod}},
		{"customer.subscription.resumed", stripeevent.Change{EventID: "evt_1QFixtureSubResumed0001", Created: time.Unix(1765900000, 0).UTC(),
			Status: "active", PriceID: price, ProductID: prod}},
		{"invoice.paid", stripeevent.Change{EventID: "evt_1QFixtureInvoicePaid001", Created: time.Unix(1765800020, 0).UTC(),
			Status: "active", LocationID: "FixtureLocation00001"}},
		{"invoice.payment_failed", stripeevent.Change{EventID: "evt_1QFixturePaymentFail01", Created: time.Unix(1768478500, 0).UTC(),
			Status: "past_due", LocationID: "FixtureLocation00001"}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			got, err := stripeevent.Parse(event(t, fixture(t, tc.fixture)))
			require.NoError(t, err)
			tc.want.Type, tc.want.CustomerID, tc.want.SubscriptionID = tc.fixture, cus, sub
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	_, err := stripeevent.Parse(event(t, fixture(t, "customer.created")))
	assert.ErrorIs(t, err, stripeevent.ErrNotHandled, "a type saasbridge does not handle")

	var oneOff map[string]any
	require.NoError(t, json.Unmarshal(fixture(t, "invoice.paid"), &oneOff))
	oneOff["data"].(map[string]any)["object"].(map[string]any)["parent"] = nil
	_, err = stripeevent.Parse(event(t, mustJSON(t, oneOff)))
	assert.ErrorIs(t, err, stripeevent.ErrNotHandled, "an invoice of no subscription")

	for name, mutate := range map[string]func(obj map[string]any){
		"no customer":                  func(obj map[string]any) { delete(obj, "customer") },
		"subscription id with a space": func(obj map[string]any) { obj["id"] = "sub 1" },
		"location id too long":         func(obj map[string]any) { obj["metadata"] = map[string]any{"locationId": string(make([]byte, 200))} },
	} {
		var ev map[string]any
		require.NoError(t, json.Unmarshal(fixture(t, "customer.subscription.updated"), &ev))
		mutate(ev["data"].(map[string]any)["object"].(map[string]any))
		_, err := stripeevent.Parse(event(t, mustJSON(t, ev)))
		assert.ErrorIs(t, err, stripeevent.ErrMalformed, name)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// FuzzParse: any event body parses or fails with one of Parse's errors, never panics,
// and a Change it returns carries usable ids.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"customer.subscription.created", "invoice.paid", "invoice.payment_failed", "customer.created"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"type":"invoice.paid","data":{"object":{"customer":{"id":"cus_1"},"subscription":{"id":"sub_1"}}},"id":"evt_1","created":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var ev stripe.Event
		if json.Unmarshal(body, &ev) != nil {
			return
		}
		c, err := stripeevent.Parse(ev)
		if err != nil {
			return
		}
		assert.NotEmpty(t, c.EventID)
		assert.NotEmpty(t, c.CustomerID)
		assert.NotEmpty(t, c.SubscriptionID)
	})
}
