package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/saasbridge/saasbridge/internal/billing"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

// postWebhook sends body to the starter's webhook endpoint, signed with the tests' key
// unless sig is given ("" sends no signature header at all when unsigned is true).
func (s *stack) postWebhook(ctx context.Context, body []byte, sig string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.starterURL+"/webhooks/highlevel", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(highlevel.HeaderWebhookSignature, sig)
	}
	resp, err := webhookSender.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body) // drained, so the connection is reused
	resp.Body.Close()
	return resp.StatusCode, nil
}

// webhookSender keeps a connection per concurrent sender, as HighLevel's delivery
// fleet would; the default client keeps two and would measure TCP handshakes.
var webhookSender = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute},
}

func (s *stack) sign(body []byte) string { return highlevel.SignWebhookEd25519(s.testEd25519Key, body) }

// countWorkflows counts executions (every run) matching a visibility query, waiting
// for visibility to catch up until the count is stable.
func (s *stack) countWorkflows(ctx context.Context, t testing.TB, query string, want int) int {
	t.Helper()
	var got int
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		resp, err := s.temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if !assert.NoError(c, err) {
			return
		}
		got = int(resp.GetCount())
		assert.Equal(c, want, got, query)
	}, 30*time.Second, 250*time.Millisecond)
	return got
}

func countRequest(query string) *workflowservice.CountWorkflowExecutionsRequest {
	return &workflowservice.CountWorkflowExecutionsRequest{Query: query}
}

func idList(ids []string) string {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = "'" + id + "'"
	}
	return "(" + strings.Join(quoted, ",") + ")"
}

// Test200Webhooks: the sandbox and the tests send 200 webhooks, duplicates, bad
// signatures and stale timestamps among them; exactly the expected workflows result.
func Test200Webhooks(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const n = 40
	locs := s.addLocations(ctx, t, n)
	require.NoError(t, s.admin.ResetWebhookDeliveries(ctx))

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[string]map[int]int{}
		sentIDs  []string
	)
	record := func(kind string, status int) {
		mu.Lock()
		defer mu.Unlock()
		if statuses[kind] == nil {
			statuses[kind] = map[int]int{}
		}
		statuses[kind][status]++
	}
	for i, loc := range locs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// 1. INSTALL from the sandbox (signed with its keys) → onboarding.
			sent, err := s.admin.SendWebhook(ctx, highlevelsim.WebhookSendRequest{Type: highlevelsim.EventInstall, LocationID: loc, CompanyID: s.companyID})
			require.NoError(t, err)
			// 2. the same delivery again (HighLevel redelivers the same webhookId).
			_, err = s.admin.SendWebhook(ctx, highlevelsim.WebhookSendRequest{Type: highlevelsim.EventInstall, LocationID: loc, CompanyID: s.companyID,
				Overrides: map[string]any{"webhookId": sent.WebhookID}})
			require.NoError(t, err)
			// 3. a LocationUpdate → a subscription check.
			upd, err := s.admin.SendWebhook(ctx, highlevelsim.WebhookSendRequest{Type: highlevelsim.EventLocationUpdate, LocationID: loc, CompanyID: s.companyID})
			require.NoError(t, err)
			mu.Lock()
			sentIDs = append(sentIDs, sent.WebhookID, upd.WebhookID)
			mu.Unlock()
			// 4. a stale one: outside the replay window.
			_, err = s.admin.SendWebhook(ctx, highlevelsim.WebhookSendRequest{Type: highlevelsim.EventLocationUpdate, LocationID: loc, CompanyID: s.companyID,
				Overrides: map[string]any{"timestamp": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)}})
			require.NoError(t, err)
			// 5. a forged one: signed with the wrong key / over other bytes.
			forged := fmt.Appendf(nil, `{"type":"UNINSTALL","locationId":%q,"companyId":%q,"timestamp":%q,"webhookId":"forged-%d"}`,
				loc, s.companyID, time.Now().UTC().Format(time.RFC3339Nano), i)
			status, err := s.postWebhook(ctx, forged, s.sign(append(forged, ' ')))
			require.NoError(t, err)
			record("forged", status)
		}()
	}
	wg.Wait()

	// Every sandbox delivery reaches a final outcome.
	var report highlevelsim.WebhookReport
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var err error
		report, err = s.admin.WebhookDeliveries(ctx)
		assert.NoError(c, err)
		assert.Equal(c, 4*n, report.Total)
		assert.Zero(c, report.ByOutcome[highlevelsim.OutcomePending])
	}, time.Minute, 250*time.Millisecond)
	for _, d := range report.Deliveries {
		last := d.Attempts[len(d.Attempts)-1]
		record(d.Type+"/"+d.Outcome, last.Status)
	}
	t.Logf("final statuses: %v", statuses)
	assert.Equal(t, map[int]int{http.StatusUnauthorized: n}, statuses["forged"])
	assert.Equal(t, 3*n, report.ByOutcome[highlevelsim.OutcomeDelivered], "INSTALLs (twice each) and fresh LocationUpdates delivered")
	assert.Equal(t, n, report.ByOutcome[highlevelsim.OutcomeRejected], "stale LocationUpdates refused")
	assert.Equal(t, n, statuses[highlevelsim.EventLocationUpdate+"/"+highlevelsim.OutcomeDelivered][http.StatusOK], "fresh LocationUpdates accepted")
	assert.Equal(t, n, statuses[highlevelsim.EventLocationUpdate+"/"+highlevelsim.OutcomeRejected][http.StatusUnauthorized], "stale LocationUpdates refused")

	// Exactly one owner per location, onboarded once, the check handled once (before
	// or after the install); nothing for the forged uninstalls.
	s.countWorkflows(ctx, t, fmt.Sprintf("WorkflowType = '%s' AND LocationId IN %s", workflows.LocationWorkflowType, idList(locs)), n)
	for _, loc := range locs {
		st := s.waitOwner(ctx, t, loc, func(st workflows.LocationState) bool {
			return st.Counts.Applied+st.Counts.NotInstalled >= 2
		})
		assert.Equal(t, "active", st.Phase, "%s onboarded", loc)
		assert.Equal(t, 2, st.Counts.Applied+st.Counts.NotInstalled, "the install and the check, once each, for %s", loc)
		assert.Zero(t, st.Counts.Parked)
	}
	calls, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	for _, loc := range locs {
		assert.Equal(t, 1, calls.CountFor(highlevel.EndpointEnableSaaS, loc, http.StatusCreated), "SaaS enabled once at %s", loc)
	}
}

// postBilling sends a signed billing event to the starter.
func (s *stack) postBilling(ctx context.Context, t testing.TB, ev map[string]any) int {
	t.Helper()
	code, err := s.sendBilling(ctx, ev)
	require.NoError(t, err)
	return code
}

// sendBilling sends a signed billing event and returns the status, or the error of a
// request that got no answer.
func (s *stack) sendBilling(ctx context.Context, ev map[string]any) (int, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.starterURL+"/events/subscription-changed", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(billing.SignatureHeader, billing.Sign([]byte(s.billingSecret), body, time.Now()))
	resp, err := webhookSender.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestBillingEventsReachHighLevelInOrder: subscription changes from the billing system
// pause, resume and re-plan a location; the location token follows ("Location is not
// active" keeps the refresh token); an uninstall then offboards it.
func TestBillingEventsReachHighLevelInOrder(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	s.mustOnboard(ctx, t, loc)
	state, err := s.admin.State(ctx)
	require.NoError(t, err)
	var plans []string
	for _, a := range state.Agencies {
		if a.ID == s.companyID {
			for _, p := range a.Plans {
				plans = append(plans, p.PlanID)
			}
		}
	}
	require.GreaterOrEqual(t, len(plans), 2)

	at := time.Now().UTC()
	event := func(id, sub, status string, n int) map[string]any {
		return map[string]any{"eventId": id, "locationId": loc, "subscriptionId": sub, "customerId": "cus_" + loc,
			"planId": plans[0], "status": status, "occurredAt": at.Add(time.Duration(n) * time.Second).Format(time.RFC3339)}
	}
	// Back to back: applied in this order.
	for _, ev := range []map[string]any{event("evt-1", "sub_a", "active", 1), event("evt-2", "sub_b", "unpaid", 2), event("evt-2", "sub_b", "unpaid", 2)} {
		assert.Contains(t, []int{http.StatusAccepted, http.StatusOK}, s.postBilling(ctx, t, ev))
	}
	st := s.waitOwner(ctx, t, loc, lastEvent("billing/evt-2"))
	assert.Equal(t, "sub_b", st.Subscription.SubscriptionID)
	assert.True(t, st.Subscription.Paused)
	assert.Equal(t, "paused", st.Subscription.Status)
	assert.Equal(t, 3, st.Counts.Applied, "the install and two changes")

	// Paused: HighLevel refuses the location's refresh ("Location is not active"), the
	// token is suspended and its refresh token kept.
	assert.Equal(t, "suspended", st.TokenStatus)
	store := s.openStore(t)
	tok, info, err := store.Get(ctx, tokens.KeyHighLevelLocation(loc))
	require.NoError(t, err)
	assert.Equal(t, tokens.StatusSuspended, info.Status)
	calls, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	assert.Positive(t, calls.Count(highlevel.EndpointToken, http.StatusBadRequest))

	// Resumed: the same refresh token works again.
	assert.Equal(t, http.StatusAccepted, s.postBilling(ctx, t, event("evt-3", "sub_b", "active", 3)))
	st = s.waitOwner(ctx, t, loc, lastEvent("billing/evt-3"))
	assert.False(t, st.Subscription.Paused)
	assert.Equal(t, "active", st.TokenStatus)
	_, info, err = store.Get(ctx, tokens.KeyHighLevelLocation(loc))
	require.NoError(t, err)
	assert.Equal(t, tokens.StatusActive, info.Status)
	assert.NotEmpty(t, tok.RefreshToken)

	// The sandbox agrees.
	state, err = s.admin.State(ctx)
	require.NoError(t, err)
	for _, l := range state.Locations {
		if l.ID == loc {
			assert.Equal(t, "sub_b", l.SaaS.SubscriptionID)
			assert.False(t, l.SaaS.Paused)
		}
	}

	// Uninstall through the real API: the sandbox emits UNINSTALL, the owner offboards
	// the location and, with nothing left to do, closes; the token is gone.
	_, err = s.admin.SendWebhook(ctx, highlevelsim.WebhookSendRequest{Type: highlevelsim.EventUninstall, LocationID: loc})
	require.NoError(t, err)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		desc, err := s.temporal.DescribeWorkflow(ctx, workflows.LocationWorkflowID(loc), "")
		if assert.NoError(c, err) {
			assert.Equal(c, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, desc.Status)
		}
	}, time.Minute, 200*time.Millisecond)
	_, _, err = store.Get(ctx, tokens.KeyHighLevelLocation(loc))
	assert.ErrorIs(t, err, tokens.ErrNotFound)
	known, ok, err := s.facts(t).Location(ctx, loc)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "uninstalled", known.Phase)
}

// TestOwnerContinuesAsNewUnderAStream: 60 events to one owner that continues as new
// every 15 events: every one is applied, once, in order.
func TestOwnerContinuesAsNewUnderAStream(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	const n, perRun = 60, 15
	opts := workflows.LocationStartOptions(loc, s.companyID)
	send := func(ev workflows.LocationEvent) {
		_, err := s.temporal.SignalWithStartWorkflow(ctx, workflows.LocationWorkflowID(loc), workflows.LocationSignal, ev, opts,
			workflows.LocationWorkflowType, workflows.LocationInput{LocationID: loc, CompanyID: s.companyID, EventsPerRun: perRun})
		require.NoError(t, err)
	}
	at := time.Now().UTC()
	send(workflows.LocationEvent{EventID: "stream-install", Kind: workflows.EventInstall, Source: "e2e", OccurredAt: at})
	for i := range n {
		ev := workflows.LocationEvent{EventID: fmt.Sprintf("stream-%03d", i), Kind: workflows.EventChange, Source: "e2e",
			SubscriptionID: fmt.Sprintf("sub_%03d", i), CustomerID: "cus_" + loc, OccurredAt: at.Add(time.Duration(i+1) * time.Millisecond)}
		send(ev)
		if i == 0 {
			send(ev) // and a duplicate right behind it
		}
	}
	st := s.waitOwner(ctx, t, loc, func(st workflows.LocationState) bool {
		return st.Counts.Applied+st.Counts.Parked+st.Counts.Duplicates >= n+2
	})
	assert.Equal(t, n+1, st.Counts.Applied)
	assert.Zero(t, st.Counts.Parked)
	assert.Equal(t, 1, st.Counts.Duplicates)
	assert.Equal(t, fmt.Sprintf("sub_%03d", n-1), st.Subscription.SubscriptionID, "the last event applied last")
	runs := s.countWorkflows(ctx, t, fmt.Sprintf("WorkflowId = '%s'", workflows.LocationWorkflowID(loc)), (n+2+perRun-1)/perRun)
	t.Logf("%d events applied across %d runs", n+1, runs)

	calls, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	assert.Equal(t, n, calls.CountFor(highlevel.EndpointUpdateSubscription, loc, http.StatusOK), "each change reached HighLevel once")
}
