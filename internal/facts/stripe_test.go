package facts_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/storetest"
)

func TestStripeCustomerCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		_, ok, err := s.StripeCustomer(t.Context(), "cus_1")
		require.NoError(t, err)
		assert.False(t, ok)

		require.NoError(t, s.PutStripeCustomer(t.Context(), facts.StripeCustomer{CustomerID: "cus_1", CompanyID: "co", LocationID: "loc1"}))
		require.NoError(t, s.PutStripeCustomer(t.Context(), facts.StripeCustomer{CustomerID: "cus_1", CompanyID: "co", LocationID: "loc2"}))
		got, ok, err := s.StripeCustomer(t.Context(), "cus_1")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "loc2", got.LocationID, "the newest answer wins")
		assert.False(t, got.UpdatedAt.IsZero())
		require.Error(t, s.PutStripeCustomer(t.Context(), facts.StripeCustomer{CustomerID: "cus_2"}))
	})
}

// An unmatched event is kept, counted on redelivery, listed while open, and resolved
// once.
func TestUnmatchedEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		u := facts.UnmatchedEvent{Source: "stripe", EventID: "evt_1", Type: "invoice.paid", CustomerID: "cus_1", SubscriptionID: "sub_1",
			Reason: "no location of the served agencies has Stripe customer cus_1", Detail: json.RawMessage(`{"status":"active"}`), OccurredAt: at}
		require.NoError(t, s.ParkUnmatched(t.Context(), u))
		require.NoError(t, s.ParkUnmatched(t.Context(), facts.UnmatchedEvent{Source: "stripe", EventID: "evt_2", Type: "invoice.paid", Reason: "r", OccurredAt: at}))
		require.NoError(t, s.ParkUnmatched(t.Context(), u)) // redelivered

		open, err := s.UnmatchedEvents(t.Context(), false, 10)
		require.NoError(t, err)
		require.Len(t, open, 2)
		assert.Equal(t, "evt_1", open[0].EventID)
		assert.Equal(t, 2, open[0].Deliveries)
		assert.JSONEq(t, `{"status":"active"}`, string(open[0].Detail))
		assert.Equal(t, at, open[0].OccurredAt)
		assert.True(t, open[0].Open())

		ok, err := s.ResolveUnmatched(t.Context(), "stripe", "evt_1", "re-driven to location loc1")
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = s.ResolveUnmatched(t.Context(), "stripe", "evt_1", "again")
		require.NoError(t, err)
		assert.False(t, ok, "resolved once")
		require.NoError(t, s.ParkUnmatched(t.Context(), u)) // a late redelivery leaves it resolved

		open, err = s.UnmatchedEvents(t.Context(), false, 10)
		require.NoError(t, err)
		assert.Len(t, open, 1)
		every, err := s.UnmatchedEvents(t.Context(), true, 10)
		require.NoError(t, err)
		assert.Len(t, every, 2)
		got, found, err := s.UnmatchedEvent(t.Context(), "stripe", "evt_1")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, "re-driven to location loc1", got.Resolution)
		assert.False(t, got.Open())
		assert.Equal(t, 3, got.Deliveries)
	})
}
