package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/workflows"
)

var (
	factsActs *activities.Facts
	owners    *activities.Owners
)

// ownerEnv runs a location's owner against small models of HighLevel (one location),
// the token store, the facts and Actionstep (fakeActionstep), so tests assert on the
// state the events leave behind and on the order of the effects.
type ownerEnv struct {
	*testEnv
	t  *testing.T
	mu sync.Mutex
	// HighLevel's model of the location.
	installed bool
	sub       activities.SaaSSubscription
	token     string // what RefreshLocationToken answers
	// plans are the agency's plans by id; initialPlan is what InitialPlan answers (no
	// default plan when zero).
	plans       map[string]activities.ResolvedPlan
	initialPlan activities.ResolvedPlan
	// subPlans is the plan of a subscription's price in Stripe, which HighLevel takes
	// when it is attached ("plan_<sub>" when absent).
	subPlans map[string]string
	// log lists effects in order: "mint", "enable", "update sub_x", "pause", "resume",
	// "delete-token".
	log []string
	// fail maps an activity name to the errors its next calls return.
	fail map[string][]error
	// before maps an activity name to what happens in HighLevel just before its next
	// call (an uninstall in the middle of an onboarding).
	before map[string]func()
	// The facts: what LoadLocation answers, and every row and event recorded.
	loaded  activities.LoadedFacts
	legacy  activities.LegacyState
	rows    []facts.Location
	records []facts.Event
}

func newOwnerEnv(t *testing.T) *ownerEnv {
	e := &ownerEnv{testEnv: newEnv(t), t: t, installed: true, token: activities.TokenActive, fail: map[string][]error{}, before: map[string]func(){},
		plans: map[string]activities.ResolvedPlan{
			"plan_starter": {PlanID: "plan_starter", PriceID: "price_starter", Title: "Starter", TrialDays: 14},
			"plan_growth":  {PlanID: "plan_growth", PriceID: "price_growth", Title: "Growth", TrialDays: 14},
		}}
	e.RegisterActivity(&activities.Credentials{})
	e.RegisterActivity(&activities.Facts{})
	e.RegisterActivity(&activities.Owners{})
	e.mockHighLevel()
	e.OnActivity(creds.DeleteLocationToken, mock.Anything, ref).Return(func(context.Context, activities.LocationRef) error {
		return e.effect("DeleteLocationToken", "delete-token", func() { e.token = activities.TokenMissing })
	})
	e.OnActivity(factsActs.LoadLocation, mock.Anything, loc).Return(func(context.Context, string) (activities.LoadedFacts, error) {
		return e.loaded, e.failure("LoadLocation")
	})
	e.OnActivity(owners.AdoptLegacy, mock.Anything, loc).Return(func(context.Context, string) (activities.LegacyState, error) {
		return e.legacy, e.failure("AdoptLegacy")
	})
	e.OnActivity(factsActs.RecordLocation, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.FactsRecord) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.rows = append(e.rows, in.Location)
		if in.Event != nil {
			e.records = append(e.records, *in.Event)
		}
		return nil
	})
	return e
}

func (e *ownerEnv) mockHighLevel() {
	e.OnActivity(hl.GetInstalledLocation, mock.Anything, ref).Return(func(context.Context, activities.LocationRef) (activities.InstalledLocation, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if err := e.failureLocked("GetInstalledLocation"); err != nil {
			return activities.InstalledLocation{}, err
		}
		if !e.installed {
			return activities.InstalledLocation{}, nil
		}
		return installed(), nil
	})
	e.OnActivity(hl.MintLocationToken, mock.Anything, ref).Return(func(context.Context, activities.LocationRef) (activities.LocationToken, error) {
		return activities.LocationToken{}, e.effectOr("MintLocationToken", "mint", func() error {
			if !e.installed { // as HighLevel: no token for a location without the app
				return rejected("highlevel POST /oauth/locationToken: 400: App is not installed on this location")
			}
			e.token = activities.TokenActive
			return nil
		})
	})
	e.OnActivity(hl.EnableSaaS, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.EnableSaaSInput) (activities.EnableSaaSOutcome, error) {
		if e.sub.Enabled { // HighLevel refuses; the call is made all the same
			return activities.EnableSaaSOutcome{AlreadyEnabled: true}, e.effect("EnableSaaS", "enable", func() {})
		}
		what := "enable"
		if in.PlanID != "" {
			what = "enable " + in.PlanID
		}
		err := e.effect("EnableSaaS", what, func() {
			e.sub.Enabled, e.sub.SaaSMode, e.sub.SubscriptionStatus = true, "saasV2", "active"
			if in.PlanID != "" { // pre-configured: a trialing subscription on the plan
				e.sub.PlanID, e.sub.PriceID, e.sub.SubscriptionID, e.sub.SubscriptionStatus = in.PlanID, in.PriceID, "sub_pre", "trialing"
			}
		})
		return activities.EnableSaaSOutcome{}, err
	})
	e.OnActivity(hl.GetLocationProfile, mock.Anything, ref).Return(func(context.Context, activities.LocationRef) (activities.LocationProfile, error) {
		return activities.LocationProfile{Name: "Acme Dental", Address: "1 Main St", Email: "ops@acme.example", Phone: "+61 2 9000 0000"}, e.failure("GetLocationProfile")
	})
	e.OnActivity(hl.InitialPlan, mock.Anything, mock.Anything).Return(func(context.Context, activities.InitialPlanQuery) (activities.ResolvedPlan, error) {
		return e.initialPlan, e.failure("InitialPlan")
	})
	e.OnActivity(hl.ResolvePlan, mock.Anything, mock.Anything).Return(func(_ context.Context, q activities.PlanQuery) (activities.ResolvedPlan, error) {
		if err := e.failure("ResolvePlan"); err != nil {
			return activities.ResolvedPlan{}, err
		}
		for _, p := range e.plans {
			if p.PlanID == q.PlanID || (q.PlanID == "" && p.PriceID == q.PriceID) {
				return p, nil
			}
		}
		return activities.ResolvedPlan{}, temporal.NewNonRetryableApplicationError("plan "+q.PlanID+" is not one of agency "+q.CompanyID+"'s SaaS plans", activities.ErrTypePlanUnknown, nil)
	})
	e.OnActivity(hl.UpdateSaaSSubscription, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.UpdateSaaSSubscriptionInput) error {
		return e.effect("UpdateSaaSSubscription", "update "+in.SubscriptionID, func() {
			e.sub.SubscriptionID, e.sub.CustomerID, e.sub.PlanID = in.SubscriptionID, in.CustomerID, "plan_"+in.SubscriptionID
			if p, ok := e.subPlans[in.SubscriptionID]; ok {
				e.sub.PlanID = p
			}
		})
	})
	e.OnActivity(hl.GetSaaSSubscription, mock.Anything, ref).Return(func(context.Context, activities.LocationRef) (activities.SaaSSubscription, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.sub, e.failureLocked("GetSaaSSubscription")
	})
	e.OnActivity(hl.GetSaaSPlan, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PlanRef) (activities.Plan, error) {
		return activities.Plan{PlanID: in.PlanID, Title: "Title of " + in.PlanID}, e.failure("GetSaaSPlan")
	})
	e.OnActivity(hl.PauseLocation, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PauseInput) (bool, error) {
		what := map[bool]string{true: "pause", false: "resume"}[in.Paused]
		return true, e.effect("PauseLocation", what, func() {
			e.sub.SubscriptionStatus = map[bool]string{true: "paused", false: "active"}[in.Paused]
			e.token = map[bool]string{true: activities.TokenSuspended, false: activities.TokenActive}[in.Paused]
		})
	})
	e.OnActivity(hl.RefreshLocationToken, mock.Anything, ref).Return(func(context.Context, activities.LocationRef) (activities.LocationTokenState, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		return activities.LocationTokenState{Status: e.token}, e.failureLocked("RefreshLocationToken")
	})
}

// effect applies an effect unless the activity's next call is to fail.
func (e *ownerEnv) effect(activity, what string, apply func()) error {
	return e.effectOr(activity, what, func() error { apply(); return nil })
}

// effectOr is effect for an effect that HighLevel may refuse (apply's error).
func (e *ownerEnv) effectOr(activity, what string, apply func() error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f := e.before[activity]; f != nil {
		delete(e.before, activity)
		f()
	}
	if err := e.failureLocked(activity); err != nil {
		return err
	}
	if err := apply(); err != nil {
		return err
	}
	e.log = append(e.log, what)
	return nil
}

func (e *ownerEnv) failure(activity string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failureLocked(activity)
}

func (e *ownerEnv) failureLocked(activity string) error {
	if errs := e.fail[activity]; len(errs) > 0 {
		e.fail[activity] = errs[1:]
		return errs[0]
	}
	return nil
}

// outage makes an activity fail with a retryable error for as long as d of workflow
// time: longer than a step's budget, the owner must retry the event itself.
func (e *ownerEnv) outage(activity string, calls int) {
	for range calls {
		e.fail[activity] = append(e.fail[activity], temporal.NewApplicationError("highlevel: 503 Service Unavailable", activities.ErrTypeUnavailable))
	}
}

func rejected(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, activities.ErrTypeRejected, nil, 400)
}

// send signals events at the given workflow time.
func (e *ownerEnv) send(at time.Duration, evs ...workflows.LocationEvent) {
	e.RegisterDelayedCallback(func() {
		for _, ev := range evs {
			e.SignalWorkflow(workflows.LocationSignal, ev)
		}
	}, at)
}

// run runs the owner to its end and returns its final state; a run that continues as
// new returns the error.
func (e *ownerEnv) run(in workflows.LocationInput) (workflows.LocationState, error) {
	if in.LocationID == "" {
		in.LocationID, in.CompanyID = loc, company
	}
	e.ExecuteWorkflow(workflows.LocationWorkflowType, in)
	require.True(e.t, e.IsWorkflowCompleted())
	var st workflows.LocationState
	if err := e.GetWorkflowError(); err != nil {
		return st, err
	}
	require.NoError(e.t, e.GetWorkflowResult(&st))
	return st, nil
}

// query reads the owner's state at a workflow time.
func (e *ownerEnv) query(at time.Duration, into *workflows.LocationState) {
	e.RegisterDelayedCallback(func() {
		v, err := e.QueryWorkflow(workflows.StatusQuery)
		require.NoError(e.t, err)
		require.NoError(e.t, v.Get(into))
	}, at)
}

// outcomes maps each recorded event to its last recorded outcome.
func (e *ownerEnv) outcomes() map[string]string {
	out := map[string]string{}
	for _, r := range e.records {
		out[r.EventID] = r.Outcome
	}
	return out
}

func (e *ownerEnv) count(what string) int {
	n := 0
	for _, l := range e.log {
		if l == what {
			n++
		}
	}
	return n
}

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func install(id string, when time.Time) workflows.LocationEvent {
	return workflows.LocationEvent{EventID: id, Kind: workflows.EventInstall, Source: "test", OccurredAt: when}
}

func uninstallAt(id string, when time.Time) workflows.LocationEvent {
	return workflows.LocationEvent{EventID: id, Kind: workflows.EventUninstall, Source: "test", OccurredAt: when}
}

func changeAt(id, sub string, when time.Time) workflows.LocationEvent {
	return workflows.LocationEvent{EventID: id, Kind: workflows.EventChange, Source: "test", OccurredAt: when,
		SubscriptionID: sub, CustomerID: "cus_" + sub}
}

func statusAt(id, status string, when time.Time) workflows.LocationEvent {
	return workflows.LocationEvent{EventID: id, Kind: workflows.EventChange, Source: "test", OccurredAt: when, Status: status}
}

func checkAt(id string, when time.Time) workflows.LocationEvent {
	return workflows.LocationEvent{EventID: id, Kind: workflows.EventCheck, Source: "test", OccurredAt: when}
}

// errorsAs is errors.As for a target type, in one line.
func errorsAs[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}
