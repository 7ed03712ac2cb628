package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/workflows"
)

// subEnv is a test environment with the subscription's HighLevel reads backed by a
// tiny model of the location, so tests assert on behaviour rather than call scripts.
type subEnv struct {
	*testEnv
	t       *testing.T
	model   activities.SaaSSubscription
	updates []string // subscription ids in the order UpdateSaaSSubscription saw them
	pauses  []bool
	plans   []string
	token   string // what RefreshLocationToken answers
	mints   int
	// failUpdate makes UpdateSaaSSubscription fail for these subscription ids.
	failUpdate map[string]error
}

func newSubEnv(t *testing.T) *subEnv {
	e := &subEnv{t: t, testEnv: newEnv(t), token: activities.TokenActive,
		model: activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}}
	e.RegisterActivity(&activities.Credentials{})
	e.OnActivity(hl.GetInstalledLocation, mock.Anything, ref).Return(installed(), nil)
	e.OnActivity(hl.UpdateSaaSSubscription, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.UpdateSaaSSubscriptionInput) error {
		if err := e.failUpdate[in.SubscriptionID]; err != nil {
			return err
		}
		e.updates = append(e.updates, in.SubscriptionID)
		e.model.SubscriptionID, e.model.CustomerID = in.SubscriptionID, in.CustomerID
		e.model.PlanID = "plan_" + in.SubscriptionID
		return nil
	})
	e.OnActivity(hl.GetSaaSSubscription, mock.Anything, ref).Return(func(context.Context, activities.LocationRef) (activities.SaaSSubscription, error) {
		return e.model, nil
	})
	e.OnActivity(hl.GetSaaSPlan, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PlanRef) (activities.Plan, error) {
		e.plans = append(e.plans, in.PlanID)
		return activities.Plan{PlanID: in.PlanID, Title: "Title of " + in.PlanID}, nil
	})
	e.OnActivity(hl.PauseLocation, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PauseInput) (bool, error) {
		e.pauses = append(e.pauses, in.Paused)
		e.model.SubscriptionStatus = map[bool]string{true: "paused", false: "active"}[in.Paused]
		if in.Paused {
			e.token = activities.TokenSuspended
		} else {
			e.token = activities.TokenActive
		}
		return true, nil
	})
	e.OnActivity(hl.RefreshLocationToken, mock.Anything, ref).Return(func(context.Context, activities.LocationRef) (activities.LocationTokenState, error) {
		return activities.LocationTokenState{Status: e.token}, nil
	})
	e.OnActivity(hl.MintLocationToken, mock.Anything, ref).Return(func(context.Context, activities.LocationRef) (activities.LocationToken, error) {
		e.mints++
		e.token = activities.TokenActive
		return activities.LocationToken{}, nil
	})
	return e
}

// send delivers events, all at the same instant, after the workflow started.
func (e *subEnv) send(at time.Duration, evs ...workflows.LegacySubscriptionEvent) {
	e.RegisterDelayedCallback(func() {
		for _, ev := range evs {
			e.SignalWorkflow(workflows.LegacySubscriptionSignal, ev)
		}
	}, at)
}

func (e *subEnv) run(in workflows.LegacySubscriptionInput) (workflows.LegacySubscriptionState, error) {
	if in.LocationID == "" {
		in.LocationID, in.CompanyID = loc, company
	}
	e.ExecuteWorkflow(workflows.LegacySubscriptionWorkflowType, in)
	require.True(e.t, e.IsWorkflowCompleted())
	var st workflows.LegacySubscriptionState
	if err := e.GetWorkflowError(); err != nil {
		return st, err
	}
	require.NoError(e.t, e.GetWorkflowResult(&st))
	return st, nil
}

func change(id, sub string) workflows.LegacySubscriptionEvent {
	return workflows.LegacySubscriptionEvent{EventID: id, Kind: workflows.EventChange, SubscriptionID: sub, CustomerID: "cus_" + sub, Source: "test"}
}

var uninstall = workflows.LegacySubscriptionEvent{EventID: "uninstall", Kind: workflows.EventUninstalled}

func TestSubscriptionAppliesEventsInArrivalOrder(t *testing.T) {
	e := newSubEnv(t)
	e.send(time.Second, change("e1", "s1"), change("e2", "s2"), change("e3", "s3"))
	e.send(2*time.Second, change("e4", "s4"), uninstall)
	st, err := e.run(workflows.LegacySubscriptionInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"s1", "s2", "s3", "s4"}, e.updates)
	assert.Equal(t, "s4", st.SubscriptionID)
	assert.Equal(t, "plan_s4", st.PlanID)
	assert.Equal(t, "Title of plan_s4", st.PlanTitle)
	assert.Equal(t, []string{"plan_s1", "plan_s2", "plan_s3", "plan_s4"}, e.plans, "the plan is read when it changed")
	assert.Equal(t, 5, st.Applied)
	assert.True(t, st.Uninstalled)
	assert.Equal(t, "uninstall", st.LastEventID)
}

func TestSubscriptionAppliesADuplicateOnce(t *testing.T) {
	e := newSubEnv(t)
	e.send(time.Second, change("e1", "s1"), change("e1", "s1"))
	e.send(time.Hour, change("e1", "s1"), change("e2", "s1"), uninstall)
	st, err := e.run(workflows.LegacySubscriptionInput{})
	require.NoError(t, err)
	assert.Equal(t, []string{"s1", "s1"}, e.updates, "e1 once, e2 once")
	assert.Equal(t, 2, st.Duplicates)
	assert.Equal(t, []string{"plan_s1"}, e.plans, "an unchanged plan is not read again")
}

func TestSubscriptionPausesAndResumesWithTheBillingStatus(t *testing.T) {
	e := newSubEnv(t)
	paused := change("e1", "s1")
	paused.Status = "unpaid"
	pastDue := change("e2", "s1")
	pastDue.Status = "past_due"
	active := change("e3", "s1")
	active.Status = "active"
	e.send(time.Second, paused)
	var midway workflows.LegacySubscriptionState
	e.RegisterDelayedCallback(func() {
		v, err := e.QueryWorkflow(workflows.StatusQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&midway))
	}, 2*time.Second)
	e.send(3*time.Second, pastDue, active, uninstall)
	st, err := e.run(workflows.LegacySubscriptionInput{})
	require.NoError(t, err)

	assert.Equal(t, []bool{true, false}, e.pauses, "paused on unpaid, nothing on past_due, resumed on active")
	assert.True(t, midway.Paused)
	assert.Equal(t, "paused", midway.Status)
	// HighLevel answers "Location is not active" while paused: the token is suspended,
	// not re-minted (its refresh token works again once the location is active).
	assert.Equal(t, activities.TokenSuspended, midway.TokenStatus)
	assert.Zero(t, e.mints)
	assert.False(t, st.Paused)
	assert.Equal(t, activities.TokenMissing, st.TokenStatus, "uninstalled at the end")
}

func TestSubscriptionRemintsADeadToken(t *testing.T) {
	e := newSubEnv(t)
	e.token = activities.TokenDead
	e.send(time.Second, workflows.LegacySubscriptionEvent{EventID: "c1", Kind: workflows.EventCheck}, uninstall)
	_, err := e.run(workflows.LegacySubscriptionInput{})
	require.NoError(t, err)
	assert.Equal(t, 1, e.mints)
	assert.Empty(t, e.updates, "a check changes nothing")
}

func TestSubscriptionRecordsAFailedEventAndGoesOn(t *testing.T) {
	e := newSubEnv(t)
	e.failUpdate = map[string]error{"bad": temporal.NewNonRetryableApplicationError(
		"highlevel PUT /saas/update-saas-subscription/{locationId}: 400: SaaS is not enabled", activities.ErrTypeRejected, nil)}
	var mid workflows.LegacySubscriptionState
	e.send(time.Second, change("e1", "bad"))
	e.RegisterDelayedCallback(func() {
		v, err := e.QueryWorkflow(workflows.StatusQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&mid))
	}, 2*time.Second)
	e.send(3*time.Second, change("e2", "good"), workflows.LegacySubscriptionEvent{EventID: "x", Kind: "bogus"}, uninstall)
	st, err := e.run(workflows.LegacySubscriptionInput{})
	require.NoError(t, err)
	assert.Equal(t, 1, mid.Failed)
	assert.Contains(t, mid.LastError, "SaaS is not enabled")
	assert.Equal(t, "good", st.SubscriptionID)
	assert.Equal(t, 2, st.Failed, "the bad change and the unknown kind")
	assert.Equal(t, 2, st.Applied, "the good change and the uninstall")
}

// Continue-as-new under a stream of events: every event received is either applied in
// this run or carried, in order, to the next one.
func TestSubscriptionContinuesAsNewWithoutDroppingEvents(t *testing.T) {
	e := newSubEnv(t)
	var evs []workflows.LegacySubscriptionEvent
	for i := range 7 {
		evs = append(evs, change(fmt.Sprintf("e%d", i), fmt.Sprintf("s%d", i)))
	}
	// All arrive while the first is applied: five are still in the signal channel
	// when the run ends and must be drained into the next run's input. (Signals sent
	// after the run ended reach the next run through the server.)
	e.send(time.Second, evs...)
	_, err := e.run(workflows.LegacySubscriptionInput{EventsPerRun: 2})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "want continue-as-new, got %v", err)
	assert.Equal(t, workflows.LegacySubscriptionWorkflowType, can.WorkflowType.Name)

	var next workflows.LegacySubscriptionInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	assert.Equal(t, []string{"s0", "s1"}, e.updates)
	require.NotNil(t, next.State)
	assert.Equal(t, 2, next.State.Applied)
	assert.Equal(t, []string{"e0", "e1"}, next.State.Recent)
	var pending []string
	for _, ev := range next.Pending {
		pending = append(pending, ev.EventID)
	}
	assert.Equal(t, []string{"e2", "e3", "e4", "e5", "e6"}, pending)
	assert.Equal(t, 2, next.EventsPerRun)

	// The next run applies the carried events first, still in order, and still
	// dedupes against what the first run applied.
	e2 := newSubEnv(t)
	next.Pending = append(next.Pending, change("e1", "s1"))
	e2.send(time.Second, uninstall)
	next.EventsPerRun = 100
	st, err := e2.run(next)
	require.NoError(t, err)
	assert.Equal(t, []string{"s2", "s3", "s4", "s5", "s6"}, e2.updates)
	assert.Equal(t, 1, st.Duplicates)
	assert.Equal(t, 8, st.Applied)
}

func TestSubscriptionRejectsMissingIDs(t *testing.T) {
	e := newSubEnv(t)
	e.ExecuteWorkflow(workflows.LegacySubscriptionWorkflowType, workflows.LegacySubscriptionInput{LocationID: loc})
	var app *temporal.ApplicationError
	require.ErrorAs(t, e.GetWorkflowError(), &app)
	assert.Equal(t, workflows.ErrTypeInvalidInput, app.Type())
}
