package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/workflows"
)

// TestWebhookDuringTemporalOutage: with the dev server stopped the starter answers
// HighLevel's INSTALL with 429, HighLevel (the sandbox) redelivers, and once the
// server is back the redelivery is accepted and the location onboarded.
func TestWebhookDuringTemporalOutage(t *testing.T) {
	s := need(t)
	if s.temporalDB() == "" {
		t.Skip("the dev server is in memory (bench mode): a restart would lose its state")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]

	require.NoError(t, s.stopTemporal())
	restarted := false
	defer func() {
		if !restarted {
			require.NoError(t, s.startTemporal(context.Background(), ""))
		}
	}()
	sent, err := s.admin.SendWebhook(ctx, highlevelsim.WebhookSendRequest{Type: highlevelsim.EventInstall, LocationID: loc, CompanyID: s.companyID})
	require.NoError(t, err)

	// At least two attempts answered 429 while Temporal is down.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		report, err := s.admin.WebhookDeliveries(ctx)
		if !assert.NoError(c, err) {
			return
		}
		d := report.Find(sent.WebhookID)
		if assert.Len(c, d, 1) {
			tooMany := 0
			for _, a := range d[0].Attempts {
				if a.Status == http.StatusTooManyRequests {
					tooMany++
				}
			}
			assert.GreaterOrEqual(c, tooMany, 2)
			assert.Equal(c, highlevelsim.OutcomePending, d[0].Outcome)
		}
	}, time.Minute, 200*time.Millisecond)

	require.NoError(t, s.startTemporal(ctx, ""))
	restarted = true

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		report, err := s.admin.WebhookDeliveries(ctx)
		if assert.NoError(c, err) {
			d := report.Find(sent.WebhookID)
			assert.Equal(c, highlevelsim.OutcomeDelivered, d[0].Outcome)
		}
	}, time.Minute, 200*time.Millisecond)
	st := s.waitOwner(ctx, t, loc, func(st workflows.LocationState) bool { return st.Phase == "active" })
	assert.Equal(t, "saasV2", st.Subscription.SaaSMode)
}
