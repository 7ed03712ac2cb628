package activities

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// fakeOrchestrator records the events it is asked to send; fail makes the signal to a
// location fail.
type fakeOrchestrator struct {
	mu       sync.Mutex
	installs []string
	checks   []string
	fail     map[string]bool
}

func (f *fakeOrchestrator) signal(to *[]string, loc string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail[loc] {
		return errors.New("temporal: unavailable")
	}
	*to = append(*to, loc)
	return nil
}

func (f *fakeOrchestrator) SignalInstall(_ context.Context, _, loc string, _ OwnerEvent) error {
	return f.signal(&f.installs, loc)
}
func (f *fakeOrchestrator) SignalCheck(_ context.Context, _, loc string, _ OwnerEvent) error {
	return f.signal(&f.checks, loc)
}
func (f *fakeOrchestrator) SignalUninstall(context.Context, string, string, OwnerEvent) error {
	return nil
}
func (f *fakeOrchestrator) AdoptLegacy(context.Context, string) (LegacyState, error) {
	return LegacyState{}, nil
}

func newReconciler(t *testing.T, rows ...facts.Location) (*Reconciler, *fakeOrchestrator, *testsuite.TestActivityEnvironment) {
	t.Helper()
	store, err := tokens.Open(t.Context(), filepath.Join(t.TempDir(), "tokens.db"), bytes.Repeat([]byte{3}, tokens.KeySize))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	known := facts.New(store.DB())
	for _, r := range rows {
		require.NoError(t, known.Record(t.Context(), r, nil))
	}
	orch := &fakeOrchestrator{fail: map[string]bool{}}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	r := &Reconciler{Orchestrator: orch, Facts: known, ReinstallGrace: time.Hour, Now: func() time.Time { return now }}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(r)
	return r, orch, env
}

// Point 3: what was onboarded comes from the facts, not from workflow retention; an
// uninstall is honoured for the grace period, then an installed location is taken
// for a re-install whose webhook was lost. Point 9: a location whose signal fails is
// skipped (the next run tries it again), not the agency's whole page.
func TestStartMissingOnboardingsReadsTheFacts(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	r, orch, env := newReconciler(t,
		facts.Location{LocationID: "active", CompanyID: "c", Phase: facts.PhaseActive},
		facts.Location{LocationID: "new", CompanyID: "c", Phase: facts.PhaseNew},
		facts.Location{LocationID: "just-uninstalled", CompanyID: "c", Phase: facts.PhaseUninstalled, UninstalledAt: now.Add(-time.Minute)},
		facts.Location{LocationID: "reinstalled", CompanyID: "c", Phase: facts.PhaseUninstalled, UninstalledAt: now.Add(-2 * time.Hour)},
	)
	orch.fail["broken"] = true
	val, err := env.ExecuteActivity(r.StartMissingOnboardings, MissingOnboardings{CompanyID: "c",
		LocationIDs: []string{"active", "new", "unknown", "broken", "just-uninstalled", "reinstalled"}})
	require.NoError(t, err, "one location's failure does not fail the page")
	var started []string
	require.NoError(t, val.Get(&started))
	assert.Equal(t, []string{"new", "unknown", "reinstalled"}, started)
	assert.Equal(t, started, orch.installs)
}

func TestSignalDriftedComparesWithTheFacts(t *testing.T) {
	r, orch, env := newReconciler(t,
		facts.Location{LocationID: "same", CompanyID: "c", Phase: facts.PhaseActive, SubscriptionID: "s", PlanID: "p", Status: "active"},
		facts.Location{LocationID: "drifted", CompanyID: "c", Phase: facts.PhaseActive, SubscriptionID: "s", PlanID: "p", Status: "active"},
		facts.Location{LocationID: "gone", CompanyID: "c", Phase: facts.PhaseUninstalled},
	)
	val, err := env.ExecuteActivity(r.SignalDrifted, DriftCheck{CompanyID: "c", EventPrefix: "reconcile/run/", Locations: []SaaSState{
		{LocationID: "same", SubscriptionID: "s", PlanID: "p", Status: "active"},
		{LocationID: "drifted", SubscriptionID: "s", PlanID: "p2", Status: "active"},
		{LocationID: "gone", SubscriptionID: "x"},
		{LocationID: "never-onboarded", SubscriptionID: "y"},
	}})
	require.NoError(t, err)
	var signaled []string
	require.NoError(t, val.Get(&signaled))
	assert.Equal(t, []string{"drifted"}, signaled)
	assert.True(t, slices.Equal(orch.checks, signaled))
}

// TestRecordLocationTellsWhatConcluded: recording an event's outcome tells Concluded
// its kind and outcome (saasbridge_location_events_total); a row without an event, or
// a failed write, tells nothing.
func TestRecordLocationTellsWhatConcluded(t *testing.T) {
	store, err := tokens.Open(t.Context(), filepath.Join(t.TempDir(), "s.db"), bytes.Repeat([]byte{1}, tokens.KeySize))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	var told []string
	f := &Facts{Store: facts.New(store.DB()), Tokens: store, Concluded: func(kind, outcome string) { told = append(told, kind+"/"+outcome) }}
	loc := facts.Location{LocationID: "loc1", CompanyID: "co1", Phase: facts.PhaseActive}
	require.NoError(t, f.RecordLocation(t.Context(), FactsRecord{Location: loc, Event: &facts.Event{EventID: "e1", Kind: "change", OccurredAt: time.Now(), Outcome: facts.OutcomeParked}}))
	require.NoError(t, f.RecordLocation(t.Context(), FactsRecord{Location: loc}))
	require.Error(t, f.RecordLocation(t.Context(), FactsRecord{Location: facts.Location{LocationID: "loc2"}, Event: &facts.Event{EventID: "e2", Kind: "change", Outcome: "applied"}}))
	require.Equal(t, []string{"change/parked"}, told)
}
