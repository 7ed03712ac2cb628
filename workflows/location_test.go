package workflows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/workflows"
)

// The interleaving that duplicated Actionstep records: an INSTALL and a LocationUpdate
// (and a LocationCreate) arriving together reach one owner, which onboards once and
// provisions Actionstep once.
func TestOwnerOnboardsOnceWhenTriggersArriveTogether(t *testing.T) {
	e := newOwnerEnv(t)
	e.send(0, install("highlevel/install", at(0)), checkAt("highlevel/update", at(time.Millisecond)),
		install("highlevel/create", at(2*time.Millisecond)))
	e.send(time.Minute, uninstallAt("highlevel/uninstall", at(time.Minute)))
	st, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	assert.Equal(t, 1, e.count("mint"))
	assert.Equal(t, 1, e.count("enable"))
	assert.Len(t, e.as.clients, 1)
	assert.Len(t, e.as.matters, 1)
	assert.Len(t, e.as.records, 1)
	assert.Equal(t, map[string]int{"CreateClient": 1, "CreateMatter": 1, "CreateRecord": 1, "AddFileNote": 3}, e.as.creates,
		"notes: onboarded, checked, uninstalled")
	assert.Equal(t, map[string]string{"highlevel/install": "applied", "highlevel/update": "applied", "highlevel/create": "applied",
		"highlevel/uninstall": "applied"}, e.outcomes())
	assert.Equal(t, facts.PhaseUninstalled, st.Phase)
	assert.Equal(t, []string{"mint", "enable", "delete-token"}, e.log)
}

// Point 1: an event that fails for longer than a step's budget (an outage) is retried
// whole by the owner, holding the queue, and applies once HighLevel is back; the event
// behind it waits and applies after it.
func TestOwnerRetriesAnEventThroughAnOutageLongerThanItsBudget(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activeFacts()
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}
	e.outage("UpdateSaaSSubscription", 80) // ~33 failed attempts fill a 30 min budget: this outage lasts about an hour
	var mid workflows.LocationState
	e.send(time.Second, changeAt("e1", "s1", at(time.Second)), changeAt("e2", "s2", at(2*time.Second)))
	e.query(40*time.Minute, &mid)
	e.send(3*time.Hour, uninstallAt("u", at(3*time.Hour)))
	st, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	require.NotNil(t, mid.Retrying, "at 40 min the first change is being retried by the owner")
	assert.Equal(t, "e1", mid.Retrying.EventID)
	assert.Contains(t, mid.Retrying.Error, "503")
	assert.Empty(t, mid.Parked)
	assert.Equal(t, []string{"update s1", "update s2", "delete-token"}, e.log, "in order, once each")
	assert.Equal(t, "applied", e.outcomes()["e1"])
	assert.Equal(t, "applied", e.outcomes()["e2"])
	assert.Equal(t, 0, st.Counts.Parked)
}

// Point 1: a step that fails for good parks its event with the API's message (query,
// facts, NeedsAttention), the queue goes on, and only applied or discarded events are
// remembered: a redelivery of the parked event applies it again.
func TestOwnerParksARejectedEventAndAppliesItsRedelivery(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activeFacts()
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}
	e.fail["UpdateSaaSSubscription"] = []error{rejected("highlevel PUT /saas/update-saas-subscription/{locationId}: 400: Stripe subscription not found")}
	var mid workflows.LocationState
	e.send(time.Second, changeAt("bad", "s1", at(time.Second)), changeAt("good", "s0", at(0)))
	e.query(time.Minute, &mid)
	e.send(2*time.Minute, changeAt("bad", "s1", at(time.Second)))
	e.send(3*time.Minute, uninstallAt("u", at(3*time.Minute)))
	st, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	require.Len(t, mid.Parked, 1)
	assert.Equal(t, "bad", mid.Parked[0].Event.EventID)
	assert.Contains(t, mid.Parked[0].Error, "Stripe subscription not found")
	assert.Equal(t, activities.ErrTypeRejected, mid.Parked[0].ErrorType)
	assert.NotContains(t, mid.Recent, "bad", "a parked event is not in the dedupe memory")
	assert.Equal(t, []string{"update s0", "update s1", "delete-token"}, e.log, "the redelivery applied it")
	assert.Equal(t, "applied", e.outcomes()["bad"], "its outcome recorded again")
	assert.Empty(t, st.Parked)
	parkedRow := false
	for _, r := range e.rows {
		parkedRow = parkedRow || (r.Attention == "parked" && r.Parked == 1)
	}
	assert.True(t, parkedRow, "the facts showed it parked")
}

// Point 1: an operator re-drives or discards a parked event with an update that
// answers its outcome.
func TestOwnerRedrivesAndDiscardsParkedEvents(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activeFacts()
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}
	e.fail["UpdateSaaSSubscription"] = []error{rejected("400: one"), rejected("400: two")}
	e.send(time.Second, changeAt("e1", "s1", at(time.Second)), changeAt("e2", "s2", at(2*time.Second)))
	var redriven, discarded workflows.EventResult
	var refused error
	e.RegisterDelayedCallback(func() {
		e.UpdateWorkflow(workflows.RedriveUpdate, "r1", &updateCallbacks{t: t, result: &redriven}, "e1")
		e.UpdateWorkflow(workflows.DiscardUpdate, "d1", &updateCallbacks{t: t, result: &discarded}, "e2")
		e.UpdateWorkflow(workflows.RedriveUpdate, "r2", &updateCallbacks{t: t, rejected: &refused}, "nope")
	}, time.Minute)
	e.send(2*time.Minute, uninstallAt("u", at(2*time.Minute)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	assert.Equal(t, "applied", redriven.Outcome.Outcome)
	assert.Equal(t, "s1", redriven.State.Subscription.SubscriptionID)
	assert.Equal(t, "discarded", discarded.Outcome.Outcome)
	assert.Contains(t, discarded.Outcome.Message, "400: two")
	require.Error(t, refused, "a re-drive of an event that is not parked is refused")
	assert.Equal(t, []string{"update s1", "delete-token"}, e.log)
	assert.Equal(t, "discarded", e.outcomes()["e2"])
}

// Point 7: events that set the same field are ordered by occurredAt, not arrival: an
// older change delivered late is recorded as superseded and changes nothing.
func TestOwnerSupersedesAnOlderChangeDeliveredLate(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activeFacts()
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}
	e.send(time.Second, changeAt("new", "s2", at(2*time.Hour)), statusAt("paused", "unpaid", at(3*time.Hour)))
	e.send(time.Minute, changeAt("old", "s1", at(time.Hour)), statusAt("old-status", "active", at(time.Hour)),
		checkAt("check", at(0)))
	e.send(2*time.Minute, uninstallAt("u", at(4*time.Hour)))
	st, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	assert.Equal(t, []string{"update s2", "pause", "delete-token"}, e.log)
	o := e.outcomes()
	assert.Equal(t, "superseded", o["old"])
	assert.Equal(t, "superseded", o["old-status"])
	assert.Equal(t, "applied", o["check"], "a check reads the truth, whatever its time")
	assert.Equal(t, 2, st.Counts.Superseded)
}

// Point 2: uninstall is terminal for everything queued behind it: nothing applies after
// it, no token is minted after it, and a late install older than it does not bring the
// location back. Only a newer install does.
func TestOwnerUninstallIsTerminalForOlderEvents(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activeFacts()
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}
	e.token = activities.TokenDead // a change would re-mint it
	e.loaded.Location.MatterID = "m1"
	e.as.matters[loc] = &fakeMatter{id: "m1", status: "Active"}
	var mid workflows.LocationState
	e.send(time.Second, uninstallAt("u", at(time.Hour)), changeAt("late-change", "s9", at(30*time.Minute)),
		install("late-install", at(30*time.Minute)), checkAt("late-check", at(45*time.Minute)),
		changeAt("next-life", "s10", at(2*time.Hour)), checkAt("next-check", at(2*time.Hour)))
	e.query(time.Minute, &mid)
	e.send(2*time.Minute, install("reinstall", at(3*time.Hour)))
	e.send(3*time.Minute, uninstallAt("u2", at(4*time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	assert.Equal(t, facts.PhaseUninstalled, mid.Phase)
	assert.Equal(t, "Closed", e.as.matters[loc].status, "closed at the uninstall, reopened by the re-install, closed again")
	assert.Len(t, e.as.matters, 1)
	for _, id := range []string{"late-change", "late-install", "late-check"} {
		assert.Equal(t, "after-uninstall", e.outcomes()[id], id)
	}
	require.Len(t, mid.Deferred, 1, "a change newer than the uninstall waits for a re-install")
	assert.Equal(t, "next-life", mid.Deferred[0].EventID)
	assert.Equal(t, "not-installed", e.outcomes()["next-check"])
	assert.Equal(t, []string{"delete-token", "mint", "enable", "update s10", "delete-token"}, e.log,
		"nothing between the uninstall and the re-install; the waiting change after it")
}

// Point 2: an owner that closed after an uninstall starts again from the facts when a
// late event arrives: it is recorded and dropped, and the owner closes again. A newer
// install onboards the location again (reopening its matter).
func TestOwnerRestartedByALateEventDropsItAndAReinstallOnboards(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activities.LoadedFacts{Found: true, Recent: []string{"u"}, Location: facts.Location{
		LocationID: loc, CompanyID: company, Phase: facts.PhaseUninstalled, UninstalledAt: at(time.Hour), InstalledAt: at(0), MatterID: "m1"}}
	e.as.matters[loc] = &fakeMatter{id: "m1", status: "Closed"}
	e.as.clients[loc] = "p1"
	e.as.records["m1"] = "r1"
	e.send(0, changeAt("late", "s1", at(30*time.Minute)), uninstallAt("u", at(time.Hour)))
	st, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Empty(t, e.log)
	assert.Equal(t, "after-uninstall", e.outcomes()["late"])
	assert.Equal(t, 1, st.Counts.Duplicates, "the redelivered uninstall is remembered from the facts")

	e2 := newOwnerEnv(t)
	e2.loaded = e.loaded
	e2.as.matters[loc] = &fakeMatter{id: "m1", status: "Closed"}
	e2.as.clients[loc] = "p1"
	e2.as.records["m1"] = "r1"
	var mid workflows.LocationState
	e2.send(0, install("reinstall", at(2*time.Hour)))
	e2.query(time.Minute, &mid)
	e2.send(2*time.Minute, uninstallAt("u2", at(3*time.Hour)))
	_, err = e2.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"mint", "enable", "delete-token"}, e2.log)
	assert.Equal(t, "applied", e2.outcomes()["reinstall"])
	assert.Equal(t, facts.PhaseActive, mid.Phase)
	assert.Zero(t, e2.as.creates["CreateMatter"], "the matter of the first install is reopened, not duplicated")
	assert.Equal(t, "m1", mid.ActionstepRecord.MatterID)
}

// Point 3: "ever onboarded" comes from the facts, not from workflow retention: an owner
// that starts for an onboarded location (its history purged) onboards nothing again.
func TestOwnerStartedFromFactsDoesNotOnboardAgain(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activeFacts()
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}
	e.send(time.Second, install("reconcile/install", at(time.Hour)))
	e.send(time.Minute, uninstallAt("u", at(2*time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"delete-token"}, e.log, "no mint, no enable-saas")
	assert.Empty(t, e.as.noteTexts(), "no second Onboarded note")
	assert.Equal(t, "applied", e.outcomes()["reconcile/install"])
}

// A change that arrives before the location is onboarded waits for the onboarding and
// applies after it; a check before it has nothing to check.
func TestOwnerDefersChangesUntilOnboarded(t *testing.T) {
	e := newOwnerEnv(t)
	e.send(0, changeAt("early", "s1", at(0)), checkAt("early-check", at(0)))
	var mid workflows.LocationState
	e.query(time.Minute, &mid)
	e.send(2*time.Minute, install("install", at(time.Second)))
	e.send(3*time.Minute, uninstallAt("u", at(time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	require.Len(t, mid.Deferred, 1)
	assert.Equal(t, facts.PhaseNew, mid.Phase)
	assert.Equal(t, []string{"mint", "enable", "update s1", "delete-token"}, e.log)
	assert.Equal(t, "applied", e.outcomes()["early"])
	assert.Equal(t, "not-installed", e.outcomes()["early-check"])
}

// An install for a location where the app is not installed ends as not-installed and
// the owner, with nothing left to do, closes.
func TestOwnerClosesAfterAnInstallForALocationWithoutTheApp(t *testing.T) {
	e := newOwnerEnv(t)
	e.installed = false
	e.send(0, install("create", at(0)))
	st, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, facts.PhaseNew, st.Phase)
	assert.Empty(t, e.log)
	assert.Equal(t, "not-installed", e.outcomes()["create"])
}

// The app uninstalled in HighLevel while an install was being onboarded (its UNINSTALL
// delivered only after a re-install): the step that fails for good (the token
// HighLevel no longer mints, the verification that no longer finds the app) ends the
// install as not-installed with its token deleted, and the owner closes, instead of
// parking it for good beside the location the re-install onboards (found by the
// interleaving audit).
func TestOwnerEndsAnInstallOvertakenByAnUninstall(t *testing.T) {
	for _, tc := range []struct {
		name, before  string
		recheckOutage bool // HighLevel is down for longer than a step's budget when the install is read again
		log           []string
	}{
		{name: "before the token is minted", before: "MintLocationToken", log: []string{"delete-token"}},
		{name: "before the verification", before: "EnableSaaS", log: []string{"mint", "enable", "delete-token"}},
		{name: "before the token is minted, then an outage", before: "MintLocationToken", recheckOutage: true, log: []string{"delete-token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newOwnerEnv(t)
			e.before[tc.before] = func() {
				e.installed = false
				if tc.recheckOutage {
					e.outage("GetInstalledLocation", 80)
				}
			}
			e.send(0, install("install", at(0)))
			st, err := e.run(workflows.LocationInput{})
			require.NoError(t, err)

			assert.Empty(t, st.Parked)
			assert.Equal(t, facts.PhaseNew, st.Phase)
			assert.Equal(t, activities.TokenMissing, st.TokenStatus)
			assert.Equal(t, tc.log, e.log, "the overtaken install's effects, then its token deleted")
			assert.Equal(t, map[string]string{"install": "not-installed"}, e.outcomes())
			assert.Contains(t, e.records[len(e.records)-1].Message, "uninstalled from location")
		})
	}
}

// An install whose confirmation is retried through an outage longer than a step's
// budget, then finds the app not installed, puts the location back in the phase it had
// before the install (new), not the onboarding phase of the retried round, so the owner
// closes instead of waiting as an onboarding forever.
func TestOwnerGoesBackToThePhaseBeforeAnInstallRetriedThroughAnOutage(t *testing.T) {
	e := newOwnerEnv(t)
	e.installed = false
	e.outage("GetInstalledLocation", 15)
	e.send(0, install("create", at(0)))
	st, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, facts.PhaseNew, st.Phase)
	assert.Equal(t, "not-installed", e.outcomes()["create"])
}

// An install that ends as not-installed did not install the location: an uninstall
// older than it, delivered after it, still applies, and the change deferred before
// both ends with it, so the owner closes (found by the interleaving audit at 200
// locations, where such owners waited for an install forever).
func TestOwnerNotInstalledInstallDoesNotSupersedeAnOlderUninstall(t *testing.T) {
	e := newOwnerEnv(t)
	e.installed = false
	e.send(0, changeAt("early", "s1", at(0)))
	e.send(time.Minute, install("install", at(2*time.Second)))
	e.send(2*time.Minute, uninstallAt("u", at(time.Second)))
	st, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, facts.PhaseUninstalled, st.Phase)
	assert.Equal(t, map[string]string{"early": "after-uninstall", "install": "not-installed", "u": "applied"}, e.outcomes())
}

// An onboarding that fails half way resumes where it stopped when retried: the token
// is minted once.
func TestOwnerResumesAnOnboardingWhereItStopped(t *testing.T) {
	e := newOwnerEnv(t)
	e.outage("EnableSaaS", 80)
	e.send(0, install("install", at(0)))
	e.send(3*time.Hour, uninstallAt("u", at(time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"mint", "enable", "delete-token"}, e.log)
}

// The apply update is the way in for callers that need an answer: it starts the event
// and answers with its outcome and the state after it.
func TestOwnerApplyUpdateAnswersTheOutcome(t *testing.T) {
	e := newOwnerEnv(t)
	var res workflows.EventResult
	e.RegisterDelayedCallback(func() {
		e.UpdateWorkflow(workflows.ApplyUpdate, "a1", &updateCallbacks{t: t, result: &res}, install("install", at(0)))
	}, 0)
	e.send(time.Minute, uninstallAt("u", at(time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, "applied", res.Outcome.Outcome)
	assert.Equal(t, facts.PhaseActive, res.State.Phase)
	assert.Equal(t, "saasV2", res.State.Subscription.SaaSMode)
}

// Point 5: an owner asked to upgrade continues as new at its next quiet point, carrying
// its state, so it runs the latest code.
func TestOwnerContinuesAsNewWhenAskedToUpgrade(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activeFacts()
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}
	e.send(time.Second, changeAt("e1", "s1", at(time.Second)))
	e.RegisterDelayedCallback(func() { e.SignalWorkflow(workflows.UpgradeSignal, nil) }, time.Minute)
	_, err := e.run(workflows.LocationInput{})
	can, ok := errorsAs[*workflow.ContinueAsNewError](err)
	require.True(t, ok, "want continue-as-new, got %v", err)
	var next workflows.LocationInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	assert.Equal(t, facts.PhaseActive, next.State.Phase)
	assert.Equal(t, []string{"e1"}, next.State.Recent)
	assert.Equal(t, "s1", next.State.Subscription.SubscriptionID)
}

// Continue-as-new under a stream of events: every event received is handled in this
// run or carried, in order, to the next.
func TestOwnerContinuesAsNewWithoutDroppingEvents(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activeFacts()
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}
	var evs []workflows.LocationEvent
	for i := range 6 {
		evs = append(evs, changeAt(fmt.Sprintf("e%d", i), fmt.Sprintf("s%d", i), at(time.Duration(i)*time.Second)))
	}
	e.send(time.Second, evs...)
	_, err := e.run(workflows.LocationInput{EventsPerRun: 2})
	can, ok := errorsAs[*workflow.ContinueAsNewError](err)
	require.True(t, ok, "want continue-as-new, got %v", err)
	var next workflows.LocationInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	var pending []string
	for _, q := range next.Pending {
		pending = append(pending, q.Event.EventID)
	}
	assert.Equal(t, []string{"e2", "e3", "e4", "e5"}, pending)
	assert.Equal(t, []string{"update s0", "update s1"}, e.log)

	e2 := newOwnerEnv(t)
	e2.sub = e.sub
	next.EventsPerRun = 100
	next.Pending = append(next.Pending, workflows.QueuedEvent{Event: changeAt("e1", "s1", at(time.Second))})
	e2.send(time.Second, uninstallAt("u", at(time.Hour)))
	st, err := e2.run(next)
	require.NoError(t, err)
	assert.Equal(t, []string{"update s2", "update s3", "update s4", "update s5", "delete-token"}, e2.log)
	assert.Equal(t, 1, st.Counts.Duplicates)
}

// A location the facts do not know yet is adopted from the first releases' workflows:
// onboarded there, it is not onboarded again, and the records they made are reused.
func TestOwnerAdoptsTheFirstReleasesState(t *testing.T) {
	e := newOwnerEnv(t)
	e.legacy = activities.LegacyState{Onboarded: true, SubscriptionID: "s0", PlanID: "p0", Status: "active",
		MatterTypeID: "40", ClientTypeID: "27", DataCollectionID: "148", ParticipantID: "p7", MatterID: "m8", RecordID: "r9",
		Recent: []string{"billing/old"}}
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionID: "s0", PlanID: "p0", SubscriptionStatus: "active"}
	e.as.matters[loc] = &fakeMatter{id: "m8", status: "Active"}
	e.send(0, install("install", at(0)), changeAt("billing/old", "sX", at(0)), changeAt("billing/new", "s1", at(time.Second)))
	e.send(time.Minute, uninstallAt("u", at(time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"update s1", "delete-token"}, e.log)
	require.NotEmpty(t, e.as.writes)
	assert.Equal(t, "r9", e.as.writes[0].RecordID, "the record the entity made")
	assert.Zero(t, e.as.creates["CreateClient"]+e.as.creates["CreateMatter"]+e.as.creates["CreateRecord"])
}

func activeFacts() activities.LoadedFacts {
	return activities.LoadedFacts{Found: true, Location: facts.Location{LocationID: loc, CompanyID: company, Phase: facts.PhaseActive,
		InstalledAt: t0.Add(-24 * time.Hour), OnboardedAt: t0.Add(-24 * time.Hour)}}
}

// updateCallbacks collects an update's outcome in a test.
type updateCallbacks struct {
	t        *testing.T
	result   *workflows.EventResult
	rejected *error
}

func (u *updateCallbacks) Accept() {}

func (u *updateCallbacks) Reject(err error) {
	if u.rejected == nil {
		u.t.Errorf("update rejected: %v", err)
		return
	}
	*u.rejected = err
}

func (u *updateCallbacks) Complete(success any, err error) {
	if err != nil {
		u.t.Errorf("update failed: %v", err)
		return
	}
	if u.result != nil {
		r, ok := success.(workflows.EventResult)
		if !ok {
			u.t.Errorf("update answered %T", success)
			return
		}
		*u.result = r
	}
}

// A re-install of a location that its billing paused: HighLevel will not mint a token
// for it ("Location is not active"), and the onboarding goes on without one (found by
// the interleaving audit, where such re-installs parked).
func TestOwnerOnboardsALocationThatIsNotActive(t *testing.T) {
	e := newOwnerEnv(t)
	e.fail["MintLocationToken"] = []error{temporal.NewNonRetryableApplicationError(
		"highlevel POST /oauth/locationToken: 400: Location is not active", activities.ErrTypeLocationSuspended, nil)}
	var mid workflows.LocationState
	e.send(0, install("install", at(0)))
	e.query(time.Minute, &mid)
	e.send(2*time.Minute, uninstallAt("u", at(time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, "applied", e.outcomes()["install"])
	assert.Equal(t, facts.PhaseActive, mid.Phase)
	assert.Equal(t, activities.TokenSuspended, mid.TokenStatus)
}

// A change whose token upkeep HighLevel refuses (the refresh token is dead and the app
// was just uninstalled in HighLevel, so no new one can be minted) still applies: the
// token is left for the uninstall that follows (found by the interleaving audit).
func TestOwnerAppliesAChangeWhenTheTokenCannotBeMinted(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activeFacts()
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}
	e.token = activities.TokenDead
	e.fail["MintLocationToken"] = []error{rejected("highlevel POST /oauth/locationToken: 400: App is not installed on this location")}
	var mid workflows.LocationState
	e.send(time.Second, changeAt("c", "s1", at(time.Second)))
	e.query(time.Minute, &mid)
	e.send(2*time.Minute, uninstallAt("u", at(time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, "applied", e.outcomes()["c"])
	assert.Equal(t, activities.TokenDead, mid.TokenStatus)
	assert.Equal(t, "s1", mid.Subscription.SubscriptionID)
	assert.Equal(t, []string{"update s1", "delete-token"}, e.log)
}

// A re-install that finds the location still onboarded (its uninstall delivered late)
// is recorded as installed at its time: the late uninstall, older than it, does not
// undo it (found by the interleaving audit).
func TestOwnerLateUninstallDoesNotUndoANewerInstall(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activeFacts()
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}
	var mid workflows.LocationState
	e.send(time.Second, install("reinstall", at(2*time.Hour)), uninstallAt("late-uninstall", at(time.Hour)))
	e.query(time.Minute, &mid)
	e.send(2*time.Minute, uninstallAt("u", at(3*time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, "superseded", e.outcomes()["late-uninstall"])
	assert.Equal(t, facts.PhaseActive, mid.Phase)
	assert.Equal(t, []string{"delete-token"}, e.log, "only the newer uninstall deleted the token")
}

// The owner records the location's name its install read (the console shows it), keeps
// it through later events, and takes it back from the facts when it starts again.
func TestOwnerRecordsTheLocationsName(t *testing.T) {
	e := newOwnerEnv(t)
	e.send(0, install("i", at(0)), changeAt("c", "s1", at(time.Second)))
	e.send(time.Minute, uninstallAt("u", at(time.Minute)))
	st, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, installed().Name, st.Name)
	require.NotEmpty(t, e.rows)
	assert.Equal(t, installed().Name, e.rows[len(e.rows)-1].Name, "the last row recorded names it")

	again := newOwnerEnv(t)
	again.loaded = activeFacts()
	again.loaded.Location.Name = "Named Before"
	again.send(0, uninstallAt("u", at(time.Hour)))
	st, err = again.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, "Named Before", st.Name)
}

func TestLocationIDOf(t *testing.T) {
	for id, want := range map[string]string{
		workflows.LocationWorkflowID("loc1"):                      "loc1",
		workflows.LegacyOnboardingWorkflowID("loc1"):              "loc1",
		workflows.LegacySubscriptionWorkflowID("loc1"):            "loc1",
		workflows.LegacyOffboardingWorkflowID("loc1"):             "loc1",
		workflows.AgencyOffboardingWorkflowID("co1"):              "",
		workflows.ReconcileWorkflowType + "/scheduled-2026-12-01": "",
		"location/":    "",
		"location":     "",
		"location/a/b": "",
		"":             "",
	} {
		assert.Equal(t, want, workflows.LocationIDOf(id), id)
	}
}
