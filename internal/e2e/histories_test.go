package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

// fixtureRelease names the workflow code the recorded histories come from. Bump it
// when a workflow changes shape, run make histories, and commit the new files next to
// the old ones: old histories must keep replaying (v1: before Actionstep; v2: with it;
// v3: the location owner; v4: the initial subscription, plan ids honoured and the
// matter's first task; v4_pacing: the Actionstep setup resolved per worker and no find
// for a record the owner knows or has just made the parent of, recorded apart; v5: both;
// v6: an install overtaken by an uninstall ends as not-installed, and a not-installed
// install goes back to the phase before it).
const fixtureRelease = "v6"

// TestRecordHistories writes real histories, from this dev server, into
// workflows/testdata for the replay tests: every workflow, and the owner's branches
// (onboarding, changes, duplicates, superseded, parked and re-driven, deferred,
// find→create rounds, a retry round after an outage longer than a step's budget,
// continue-as-new, uninstall, a restart from the facts and a re-install, an onboarding
// on a default plan with a template's first task and plan-checked changes, an install
// overtaken by an uninstall, one retried through an outage to not-installed), agency
// offboarding in batches, reconciliation and credential upkeep.
func TestRecordHistories(t *testing.T) {
	s := need(t)
	if os.Getenv("SAASBRIDGE_RECORD_HISTORIES") == "" {
		t.Skip("set SAASBRIDGE_RECORD_HISTORIES=1 (make histories) to record replay fixtures")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r := &recorder{s: s, t: t, ctx: ctx, out: filepath.Join(repoRoot(), "workflows", "testdata")}
	locs := s.addLocations(ctx, t, 8)
	r.lifecycle(locs[0])
	r.roundsAndRetries(locs[1])
	r.continueAsNew(locs[2])
	r.reinstall(locs[3])
	r.plans(locs[4])
	r.unsentCreate(locs[5])
	r.overtakenInstall(locs[6])
	r.retriedNotInstalled(locs[7])
	r.agency()
	r.schedules()
}

type recorder struct {
	s   *stack
	t   *testing.T
	ctx context.Context
	out string
}

// save writes one run's history as workflows/testdata/<name>_<release>.json.
func (r *recorder) save(name, workflowID, runID string) {
	js, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&historypb.History{Events: r.s.history(r.ctx, r.t, workflowID, runID)})
	require.NoError(r.t, err)
	require.NoError(r.t, os.WriteFile(filepath.Join(r.out, fmt.Sprintf("%s_%s.json", name, fixtureRelease)), js, 0o644))
}

// saveClosed waits for the workflow's current run to close and saves it.
func (r *recorder) saveClosed(name, workflowID string) string {
	run := r.s.temporal.GetWorkflow(r.ctx, workflowID, "")
	_ = run.Get(r.ctx, nil)
	r.save(name, workflowID, run.GetRunID())
	return run.GetRunID()
}

func (r *recorder) event(loc string, ev workflows.LocationEvent) {
	r.s.sendEvent(r.ctx, r.t, loc, ev)
}

func change(id, sub, status string, at time.Time) workflows.LocationEvent {
	return workflows.LocationEvent{EventID: id, Kind: workflows.EventChange, Source: "replay fixture", OccurredAt: at,
		SubscriptionID: sub, CustomerID: "cus_replay", Status: status}
}

// lifecycle: a change before the install (deferred), the install, changes, a duplicate,
// a pause, a check, an older change (superseded), a rejected one (parked, then
// re-driven), another parked and discarded, the uninstall and an event after it.
func (r *recorder) lifecycle(loc string) {
	at := time.Now().UTC()
	r.event(loc, change("early", "sub_r0", "", at))
	r.s.mustOnboard(r.ctx, r.t, loc)
	for _, ev := range []workflows.LocationEvent{
		change("r1", "sub_r1", "active", at.Add(time.Second)), change("r1", "sub_r1", "active", at.Add(time.Second)),
		change("r2", "sub_r2", "unpaid", at.Add(2*time.Second)), {EventID: "r3", Kind: workflows.EventCheck, Source: "replay fixture"},
		change("older", "sub_old", "", at.Add(-time.Hour)),
	} {
		r.event(loc, ev)
	}
	r.s.waitOwner(r.ctx, r.t, loc, lastEvent("older"))
	require.NoError(r.t, r.s.admin.AddFaultRule(r.ctx, highlevelsim.Rule{Endpoint: highlevel.EndpointUpdateSubscription, LocationID: loc, Status: 400, Message: "rejected for the replay fixture", Times: 2}))
	r.event(loc, change("bad", "sub_bad", "", at.Add(3*time.Second)))
	r.event(loc, change("bad2", "sub_bad2", "", at.Add(4*time.Second)))
	r.s.waitOwner(r.ctx, r.t, loc, func(st workflows.LocationState) bool { return len(st.Parked) == 2 })
	_, err := workflows.ResolveParked(r.ctx, r.s.temporal, loc, "bad", false)
	require.NoError(r.t, err)
	_, err = workflows.ResolveParked(r.ctx, r.s.temporal, loc, "bad2", true)
	require.NoError(r.t, err)
	r.event(loc, workflows.LocationEvent{EventID: "u", Kind: workflows.EventUninstall, Source: "replay fixture", OccurredAt: at.Add(time.Minute)})
	r.event(loc, change("late", "sub_late", "", at.Add(30*time.Second)))
	r.saveClosed("location_lifecycle", workflows.LocationWorkflowID(loc))
}

// roundsAndRetries: an onboarding whose Actionstep creates lose their answers (find
// → create rounds), then a change held through an outage longer than a step's budget
// (the owner's retry round).
func (r *recorder) roundsAndRetries(loc string) {
	_, err := r.s.asAdmin.SetFaults(r.ctx, actionstepsim.Faults{DropAfterCommitRate: 1, Endpoints: []string{"POST /rest/participants", "POST /rest/filenotes"}})
	require.NoError(r.t, err)
	r.s.mustOnboard(r.ctx, r.t, loc)
	require.NoError(r.t, r.s.asAdmin.ClearFaults(r.ctx))
	require.NoError(r.t, r.s.admin.AddFaultRule(r.ctx, highlevelsim.Rule{Endpoint: highlevel.EndpointUpdateSubscription, LocationID: loc, Status: 503, Times: 1000}))
	r.event(loc, change("outage", "sub_outage", "", time.Now().UTC()))
	r.s.waitOwner(r.ctx, r.t, loc, func(st workflows.LocationState) bool { return st.Retrying != nil && st.Retrying.Rounds >= 1 })
	require.NoError(r.t, r.s.admin.ClearFaults(r.ctx))
	r.s.waitOwner(r.ctx, r.t, loc, lastEvent("outage"))
	r.event(loc, workflows.LocationEvent{EventID: "u", Kind: workflows.EventUninstall, Source: "replay fixture", OccurredAt: time.Now().UTC()})
	r.saveClosed("location_rounds_and_retry", workflows.LocationWorkflowID(loc))
}

// continueAsNew: an owner started with two events per run, sent five: the first run
// (which continued as new) and the last are saved.
func (r *recorder) continueAsNew(loc string) {
	opts := workflows.LocationStartOptions(loc, r.s.companyID)
	at := time.Now().UTC()
	send := func(ev workflows.LocationEvent) {
		_, err := r.s.temporal.SignalWithStartWorkflow(r.ctx, workflows.LocationWorkflowID(loc), workflows.LocationSignal, ev, opts,
			workflows.LocationWorkflowType, workflows.LocationInput{LocationID: loc, CompanyID: r.s.companyID, EventsPerRun: 2})
		require.NoError(r.t, err)
	}
	send(workflows.LocationEvent{EventID: "i", Kind: workflows.EventInstall, Source: "replay fixture", OccurredAt: at})
	first := r.s.temporal.GetWorkflow(r.ctx, workflows.LocationWorkflowID(loc), "").GetRunID()
	for i := range 3 {
		send(change(fmt.Sprintf("c%d", i), fmt.Sprintf("sub_c%d", i), "", at.Add(time.Duration(i+1)*time.Second)))
	}
	send(workflows.LocationEvent{EventID: "u", Kind: workflows.EventUninstall, Source: "replay fixture", OccurredAt: at.Add(time.Minute)})
	r.saveClosed("location_continue_as_new_last", workflows.LocationWorkflowID(loc))
	r.save("location_continue_as_new_first", workflows.LocationWorkflowID(loc), first)
}

// reinstall: an uninstalled location's owner restarts from the facts for a late event
// (dropped), then a newer install onboards it again.
func (r *recorder) reinstall(loc string) {
	r.s.mustOnboard(r.ctx, r.t, loc)
	at := time.Now().UTC()
	r.event(loc, workflows.LocationEvent{EventID: "u", Kind: workflows.EventUninstall, Source: "replay fixture", OccurredAt: at})
	_ = r.s.temporal.GetWorkflow(r.ctx, workflows.LocationWorkflowID(loc), "").Get(r.ctx, nil)
	r.event(loc, change("late", "sub_late", "", at.Add(-time.Second)))
	r.saveClosed("location_restart_after_uninstall", workflows.LocationWorkflowID(loc))
	_, err := r.s.onboard(r.ctx, loc, func(ev *workflows.LocationEvent) { ev.OccurredAt = at.Add(time.Minute) })
	require.NoError(r.t, err)
	r.event(loc, workflows.LocationEvent{EventID: "u2", Kind: workflows.EventUninstall, Source: "replay fixture", OccurredAt: at.Add(2 * time.Minute)})
	r.saveClosed("location_reinstall", workflows.LocationWorkflowID(loc))
}

// plans: with a worker on the lead-to-client template and a default plan, an
// onboarding sets up the initial subscription and the matter's first task; a change
// naming another of the agency's plans is checked and applied, one naming a plan the
// agency does not have is parked (then discarded); the uninstall.
func (r *recorder) plans(loc string) {
	plans := r.s.plans(r.ctx, r.t, r.s.companyID)
	r.s.restartWorkers(r.t, 1, "ACTIONSTEP_TEMPLATE=lead-to-client@1", "HIGHLEVEL_DEFAULT_PLAN_ID="+plans[0].PlanID)
	defer r.s.restartWorkers(r.t, 1)
	r.s.mustOnboard(r.ctx, r.t, loc)
	at := time.Now().UTC()
	next := change("plan", "sub_plan", "active", at.Add(time.Second))
	next.PlanID = plans[1].PlanID
	unknown := change("unknown-plan", "sub_unknown", "", at.Add(2*time.Second))
	unknown.PriceID = "price_1NotTheAgencys"
	r.event(loc, next)
	r.event(loc, unknown)
	r.s.waitOwner(r.ctx, r.t, loc, func(st workflows.LocationState) bool { return len(st.Parked) == 1 })
	_, err := workflows.ResolveParked(r.ctx, r.s.temporal, loc, "unknown-plan", true)
	require.NoError(r.t, err)
	r.event(loc, workflows.LocationEvent{EventID: "u", Kind: workflows.EventUninstall, Source: "replay fixture", OccurredAt: at.Add(time.Minute)})
	r.saveClosed("location_plans", workflows.LocationWorkflowID(loc))
}

// unsentCreate: an onboarding whose matter create is answered 429 every time the client
// sends it (its own resends included), so the activity fails as not applied and the
// owner sends the create again without a find first (actionstep-unsent-create).
func (r *recorder) unsentCreate(loc string) {
	require.NoError(r.t, r.s.asAdmin.AddFaultRule(r.ctx, actionstepsim.Rule{Endpoint: "POST /rest/actioncreate", Status: 429, Times: 4}))
	r.s.mustOnboard(r.ctx, r.t, loc)
	require.NoError(r.t, r.s.asAdmin.ClearFaults(r.ctx))
	r.event(loc, workflows.LocationEvent{EventID: "u", Kind: workflows.EventUninstall, Source: "replay fixture", OccurredAt: time.Now().UTC()})
	r.saveClosed("location_unsent_create", workflows.LocationWorkflowID(loc))
}

// overtakenInstall: the app is uninstalled in HighLevel while the install's token is
// being minted (HighLevel answers 503 until then): the mint is refused for good, the
// install is read again and ends as not-installed, its token deleted (install-overtaken).
func (r *recorder) overtakenInstall(loc string) {
	require.NoError(r.t, r.s.admin.AddFaultRule(r.ctx, highlevelsim.Rule{Endpoint: highlevel.EndpointLocationToken, LocationID: loc, Status: 503, Times: 1000}))
	r.event(loc, workflows.LocationEvent{EventID: "i", Kind: workflows.EventInstall, Source: "replay fixture", OccurredAt: time.Now().UTC()})
	r.s.waitOwner(r.ctx, r.t, loc, func(st workflows.LocationState) bool { return st.Step == workflows.StepMintLocationToken })
	installed := false
	_, err := r.s.admin.UpdateLocation(r.ctx, loc, highlevelsim.LocationPatch{Installed: &installed})
	require.NoError(r.t, err)
	require.NoError(r.t, r.s.admin.ClearFaults(r.ctx))
	r.saveClosed("location_install_overtaken", workflows.LocationWorkflowID(loc))
}

// retriedNotInstalled: an install for a location without the app whose confirmation
// HighLevel answers 503 for longer than a step's budget (the owner's retry round), then
// not-installed: the location goes back to new and the owner closes
// (install-phase-before).
func (r *recorder) retriedNotInstalled(loc string) {
	installed := false
	_, err := r.s.admin.UpdateLocation(r.ctx, loc, highlevelsim.LocationPatch{Installed: &installed})
	require.NoError(r.t, err)
	require.NoError(r.t, r.s.admin.AddFaultRule(r.ctx, highlevelsim.Rule{Endpoint: highlevel.EndpointInstalledLocations, LocationID: loc, Status: 503, Times: 1000}))
	r.event(loc, workflows.LocationEvent{EventID: "i", Kind: workflows.EventInstall, Source: "replay fixture", OccurredAt: time.Now().UTC()})
	r.s.waitOwner(r.ctx, r.t, loc, func(st workflows.LocationState) bool { return st.Retrying != nil && st.Retrying.Rounds >= 1 })
	require.NoError(r.t, r.s.admin.ClearFaults(r.ctx))
	r.saveClosed("location_retried_not_installed", workflows.LocationWorkflowID(loc))
}

// agency: an agency of two onboarded locations and one it only holds a token of,
// offboarded one per run (so its first run continues as new).
func (r *recorder) agency() {
	other := r.s.newAgency(r.ctx, r.t, highlevelsim.AgencySpec{Name: "Replay Agency", LocationCount: 3})
	company := other.Agency.ID
	r.s.connectAgency(r.ctx, r.t, company)
	for _, l := range other.Locations[:2] {
		res, err := workflows.ApplyLocationEvent(r.ctx, r.s.temporal, l.ID, company, workflows.LocationEvent{
			EventID: "replay/install", Kind: workflows.EventInstall, Source: "replay fixture", OccurredAt: time.Now().UTC()})
		require.NoError(r.t, err)
		require.Equal(r.t, "applied", res.Outcome.Outcome, res.Outcome.Message)
	}
	store := r.s.openStore(r.t)
	held := other.Locations[2].ID
	require.NoError(r.t, store.Put(r.ctx, tokens.KeyHighLevelLocation(held), tokens.Token{
		AccessToken: "replay-access", RefreshToken: "replay-refresh", Expiry: time.Now().Add(time.Hour),
		Attrs: map[string]string{credentials.AttrCompanyID: company, credentials.AttrLocationID: held},
	}))
	run, err := workflows.StartAgencyOffboarding(r.ctx, r.s.temporal, workflows.AgencyOffboardingInput{
		CompanyID: company, EventID: "replay/agency-uninstall", Source: "replay fixture", Batch: 1})
	require.NoError(r.t, err)
	first := run.GetRunID()
	r.saveClosed("agency_offboarding_last", workflows.AgencyOffboardingWorkflowID(company))
	r.save("agency_offboarding_first", workflows.AgencyOffboardingWorkflowID(company), first)
}

// schedules: one reconciliation of the stack's agency and one credential upkeep.
func (r *recorder) schedules() {
	run, err := r.s.temporal.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: "replay-reconcile", TaskQueue: workflows.TaskQueue},
		workflows.ReconcileWorkflowType, workflows.ReconcileInput{CompanyID: r.s.companyID})
	require.NoError(r.t, err)
	first := run.GetRunID()
	r.saveClosed("reconcile_last_page", "replay-reconcile")
	r.save("reconcile_first_page", "replay-reconcile", first)
	run, err = r.s.temporal.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: "replay-upkeep", TaskQueue: workflows.TaskQueue},
		workflows.UpkeepWorkflowType, workflows.UpkeepInput{Horizon: 400 * 24 * time.Hour})
	require.NoError(r.t, err)
	r.saveClosed("credential_upkeep", "replay-upkeep")
	_ = run
}
