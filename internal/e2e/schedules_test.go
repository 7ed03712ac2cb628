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
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

// connectAgency connects another agency through the starter's OAuth flow, choosing it
// on the sandbox's consent page.
func (s *stack) connectAgency(ctx context.Context, t testing.TB, companyID string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(s.starterURL + "/oauth/highlevel/start")
	require.NoError(t, err)
	resp.Body.Close()
	consent, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	q := consent.Query()
	q.Set("company_id", companyID)
	consent.RawQuery = q.Encode()
	hc.CheckRedirect = nil
	resp, err = hc.Get(consent.String())
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
	agency, err := s.admin.CreateAgency(ctx, highlevelsim.AgencySpec{Name: "Reconcile Agency", LocationCount: 4})
	require.NoError(t, err)
	company := agency.Agency.ID
	s.connectAgency(ctx, t, company)
	locs := []string{agency.Locations[0].ID, agency.Locations[1].ID, agency.Locations[2].ID, agency.Locations[3].ID}

	// One location was onboarded and has a subscription entity; its plan then
	// changes in HighLevel and no webhook says so.
	run, err := workflows.StartOnboarding(ctx, s.temporal, workflows.OnboardingInput{LocationID: locs[0], CompanyID: company})
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))
	_, err = workflows.SignalSubscription(ctx, s.temporal, locs[0], company, workflows.SubscriptionEvent{EventID: "seed", Kind: workflows.EventCheck})
	require.NoError(t, err)
	seeded := s.waitSubscription(ctx, t, locs[0], func(st workflows.SubscriptionState) bool { return st.LastEventID == "seed" })
	plan := agency.Agency.Plans[0].PlanID
	if plan == seeded.PlanID {
		plan = agency.Agency.Plans[1].PlanID // a real change
	}
	status := "active"
	_, err = s.admin.UpdateLocation(ctx, locs[0], highlevelsim.LocationPatch{SaaSPlanID: &plan, SubscriptionStatus: &status})
	require.NoError(t, err)

	r, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ReconcileWorkflowID(company), TaskQueue: workflows.TaskQueue},
		workflows.ReconcileWorkflowType, workflows.ReconcileInput{CompanyID: company})
	require.NoError(t, err)
	var totals workflows.ReconcileTotals
	require.NoError(t, s.temporal.GetWorkflow(ctx, r.GetID(), "").Get(ctx, &totals))
	assert.Equal(t, 4, totals.Installed)
	assert.Equal(t, 3, totals.OnboardingsStarted, "the three locations whose INSTALL was missed")
	// The three new onboardings may enable SaaS before the SaaS phase reads the pages:
	// they then show up there too, without a subscription entity, and get one.
	assert.GreaterOrEqual(t, totals.SaaSLocations, 1)
	assert.GreaterOrEqual(t, totals.SubscriptionsSynced, 1, "the drifted subscription at least")

	for _, loc := range locs[1:] {
		var res workflows.OnboardingResult
		require.NoError(t, s.temporal.GetWorkflow(ctx, workflows.OnboardingWorkflowID(loc), "").Get(ctx, &res), loc)
		assert.Contains(t, describeDetails(ctx, t, s, workflows.OnboardingWorkflowID(loc)), "reconciliation")
	}
	// The state is queried between events' steps too: wait for the reconciliation's
	// check to have been applied as a whole.
	st := s.waitSubscription(ctx, t, locs[0], func(st workflows.SubscriptionState) bool {
		return strings.HasPrefix(st.LastEventID, "reconcile/")
	})
	assert.Equal(t, plan, st.PlanID, "the drifted plan was synced")

	// A second pass finds nothing more to do.
	r, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ReconcileWorkflowID(company), TaskQueue: workflows.TaskQueue},
		workflows.ReconcileWorkflowType, workflows.ReconcileInput{CompanyID: company})
	require.NoError(t, err)
	require.NoError(t, s.temporal.GetWorkflow(ctx, r.GetID(), "").Get(ctx, &totals))
	assert.Zero(t, totals.OnboardingsStarted)
}

func describeDetails(ctx context.Context, t testing.TB, s *stack, id string) string {
	t.Helper()
	d, err := s.temporal.DescribeWorkflow(ctx, id, "")
	require.NoError(t, err)
	details, err := d.GetStaticDetails()
	require.NoError(t, err)
	return details
}

// TestSchedulesApplyIdempotently: `starter schedules apply` creates both schedules,
// a second apply updates them (new interval) rather than failing, and both skip
// overlapping runs.
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
		assert.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, d.Schedule.Policy.Overlap)
		action, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
		require.True(t, ok)
		assert.Equal(t, workflows.TaskQueue, action.TaskQueue)
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
	run, err := workflows.StartOnboarding(ctx, s.temporal, workflows.OnboardingInput{LocationID: loc, CompanyID: s.companyID})
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))

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
	run, err = workflows.StartOnboarding(ctx, s.temporal, workflows.OnboardingInput{LocationID: next, CompanyID: s.companyID})
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))
}
