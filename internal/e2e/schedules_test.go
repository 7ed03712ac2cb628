package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

// connectAgency connects another agency through the starter's OAuth flow (operator
// start page, public begin page), choosing it on the sandbox's consent page.
func (s *stack) connectAgency(ctx context.Context, t testing.TB, companyID string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next := s.operatorURL + "/oauth/highlevel/start"
	for range 2 { // start → begin → consent
		resp, err := hc.Get(next)
		require.NoError(t, err)
		resp.Body.Close()
		require.Contains(t, []int{http.StatusSeeOther, http.StatusFound}, resp.StatusCode)
		next = resp.Header.Get("Location")
	}
	consent, err := url.Parse(next)
	require.NoError(t, err)
	q := consent.Query()
	q.Set("company_id", companyID)
	consent.RawQuery = q.Encode()
	hc.CheckRedirect = nil
	resp, err := hc.Get(consent.String())
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	require.Contains(t, string(body), companyID)
}

// TestReconciliationFindsWhatWebhooksMissed: locations installed without an INSTALL
// webhook get onboarded, and a subscription changed in HighLevel without a webhook is
// synced, by one reconciliation of the agency.
func TestReconciliationFindsWhatWebhooksMissed(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	agency := s.newAgency(ctx, t, highlevelsim.AgencySpec{Name: "Reconcile Agency", LocationCount: 4})
	company := agency.Agency.ID
	s.connectAgency(ctx, t, company)
	locs := []string{agency.Locations[0].ID, agency.Locations[1].ID, agency.Locations[2].ID, agency.Locations[3].ID}

	// One location was onboarded; its plan then changes in HighLevel and no webhook
	// says so.
	first, err := workflows.ApplyLocationEvent(ctx, s.temporal, locs[0], company, workflows.LocationEvent{
		EventID: "seed/install", Kind: workflows.EventInstall, Source: "e2e", OccurredAt: time.Now().UTC()})
	require.NoError(t, err)
	require.Equal(t, "applied", first.Outcome.Outcome, first.Outcome.Message)
	plan := agency.Agency.Plans[0].PlanID
	if plan == first.State.Subscription.PlanID {
		plan = agency.Agency.Plans[1].PlanID // a real change
	}
	status := "active"
	_, err = s.admin.UpdateLocation(ctx, locs[0], highlevelsim.LocationPatch{SaaSPlanID: &plan, SubscriptionStatus: &status})
	require.NoError(t, err)

	totals := s.reconcile(ctx, t, company)
	assert.Equal(t, 4, totals.Installed)
	assert.Equal(t, 3, totals.OnboardingsStarted, "the three locations whose INSTALL was missed")
	assert.GreaterOrEqual(t, totals.SaaSLocations, 1)
	assert.GreaterOrEqual(t, totals.SubscriptionsSynced, 1, "the drifted subscription at least")

	known := s.facts(t)
	for _, loc := range locs[1:] {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			l, _, err := known.Location(ctx, loc)
			if assert.NoError(c, err) && assert.Equal(c, "active", l.Phase) {
				evs, err := known.Events(ctx, loc, 10)
				if assert.NoError(c, err) && assert.NotEmpty(c, evs) {
					assert.Contains(c, evs[len(evs)-1].Source, "reconciliation", "onboarded by reconciliation")
				}
			}
		}, time.Minute, 200*time.Millisecond)
	}
	st := s.waitOwner(ctx, t, locs[0], func(st workflows.LocationState) bool {
		return strings.HasPrefix(st.LastEvent.EventID, "reconcile/")
	})
	assert.Equal(t, plan, st.Subscription.PlanID, "the drifted plan was synced")

	// A second pass finds nothing more to do, even after Temporal forgot a location's
	// owner (a retention purge): what was onboarded is in the facts.
	s.purge(ctx, t, workflows.LocationWorkflowID(locs[1]))
	calls, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	totals = s.reconcile(ctx, t, company)
	assert.Zero(t, totals.OnboardingsStarted)
	after, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	assert.Equal(t, calls.CountFor(highlevel.EndpointEnableSaaS, locs[1], 201), after.CountFor(highlevel.EndpointEnableSaaS, locs[1], 201))
	assert.Zero(t, after.CountFor(highlevel.EndpointEnableSaaS, locs[1], 400), "nothing asked HighLevel to enable it again")
}

// reconcile runs one reconciliation of an agency to its end.
func (s *stack) reconcile(ctx context.Context, t testing.TB, company string) workflows.ReconcileTotals {
	t.Helper()
	r, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ReconcileWorkflowID(company), TaskQueue: workflows.TaskQueue},
		workflows.ReconcileWorkflowType, workflows.ReconcileInput{CompanyID: company})
	require.NoError(t, err)
	var totals workflows.ReconcileTotals
	require.NoError(t, s.temporal.GetWorkflow(ctx, r.GetID(), "").Get(ctx, &totals))
	return totals
}

// purge makes Temporal forget a workflow, as a namespace's retention does: terminated
// if running, then deleted.
func (s *stack) purge(ctx context.Context, t testing.TB, workflowID string) {
	t.Helper()
	runID := s.temporal.GetWorkflow(ctx, workflowID, "").GetRunID()
	_ = s.temporal.TerminateWorkflow(ctx, workflowID, runID, "e2e: retention purge")
	_, err := s.temporal.WorkflowService().DeleteWorkflowExecution(ctx, &workflowservice.DeleteWorkflowExecutionRequest{
		Namespace: "default", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID}})
	require.NoError(t, err)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		_, err := s.temporal.DescribeWorkflow(ctx, workflowID, runID)
		assert.Error(c, err, "the purged run is gone")
	}, time.Minute, 200*time.Millisecond)
}

// TestSchedulesApplyIdempotently: `starter schedules apply` creates both schedules,
// a second apply updates them (new interval) rather than failing; a run due while the
// last one runs is buffered (not dropped), and a run has an execution timeout.
func TestSchedulesApplyIdempotently(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, interval := range []string{"24h", "48h"} {
		out := s.runStarter(ctx, t, []string{"RECONCILE_INTERVAL=" + interval, "UPKEEP_INTERVAL=" + interval}, "schedules", "apply")
		assert.Contains(t, out, workflows.ReconcileScheduleID)
		assert.Contains(t, out, workflows.UpkeepScheduleID)
	}
	for _, id := range []string{workflows.ReconcileScheduleID, workflows.UpkeepScheduleID} {
		h := s.temporal.ScheduleClient().GetHandle(ctx, id)
		d, err := h.Describe(ctx)
		require.NoError(t, err)
		require.Len(t, d.Schedule.Spec.Intervals, 1)
		assert.Equal(t, 48*time.Hour, d.Schedule.Spec.Intervals[0].Every, "the second apply updated it")
		assert.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE, d.Schedule.Policy.Overlap, "a run due during another is kept, not dropped")
		action, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
		require.True(t, ok)
		assert.Equal(t, workflows.TaskQueue, action.TaskQueue)
		assert.Equal(t, 4*48*time.Hour, action.WorkflowExecutionTimeout, "a stuck run cannot hold the next back for ever")
		// Paused so it does not run in the background of the other tests.
		require.NoError(t, h.Pause(ctx, client.SchedulePauseOptions{Note: "e2e"}))
	}
}

// runStarter runs a starter command against the stack and returns its output.
func (s *stack) runStarter(ctx context.Context, t testing.TB, env []string, args ...string) string {
	t.Helper()
	out, err := s.program(ctx, "starter", env, args...)
	require.NoError(t, err, "%s", out)
	return out
}

// TestCredentialUpkeepRefreshesAndReports: credentials about to lapse are refreshed
// (and still work), a dead one is reported for reconnection.
func TestCredentialUpkeepRefreshesAndReports(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	s.mustOnboard(ctx, t, loc)

	// Kill the location's refresh token behind the store's back.
	store := s.openStore(t)
	dead, _, err := store.Get(ctx, tokens.KeyHighLevelLocation(loc))
	require.NoError(t, err)
	hc, err := highlevel.New(s.sandboxURL, s.clientID, s.clientSecret)
	require.NoError(t, err)
	_, err = hc.RefreshToken(ctx, dead.RefreshToken, highlevel.UserTypeLocation)
	require.NoError(t, err)
	before, err := s.asAdmin.Calls(ctx)
	require.NoError(t, err)

	// A 400-day horizon makes every credential "about to lapse".
	up, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "credential-upkeep-e2e", TaskQueue: workflows.TaskQueue},
		workflows.UpkeepWorkflowType, workflows.UpkeepInput{Horizon: 400 * 24 * time.Hour})
	require.NoError(t, err)
	var report workflows.UpkeepReport
	require.NoError(t, up.Get(ctx, &report))
	assert.Contains(t, report.Refreshed, tokens.KeyActionstep(s.orgKey))
	assert.Contains(t, report.Refreshed, tokens.KeyHighLevelAgency(s.companyID))
	assert.Contains(t, report.NeedsReconnect, tokens.KeyHighLevelLocation(loc))
	after, err := s.asAdmin.Calls(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, after.Count("POST /api/oauth/token", http.StatusOK)-before.Count("POST /api/oauth/token", http.StatusOK))

	// The refreshed credentials work: another onboarding runs end to end.
	next := s.addLocations(ctx, t, 1)[0]
	s.mustOnboard(ctx, t, next)
}
