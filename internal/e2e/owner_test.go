package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/workflows"
)

// onboard sends an install to the location's owner and waits for its outcome; mod
// may add a subscription or a plan to the install.
func (s *stack) onboard(ctx context.Context, loc string, mod func(*workflows.LocationEvent)) (workflows.EventResult, error) {
	ev := workflows.LocationEvent{EventID: fmt.Sprintf("e2e/install/%s/%d", loc, time.Now().UnixNano()),
		Kind: workflows.EventInstall, Source: "e2e test", OccurredAt: time.Now().UTC()}
	if mod != nil {
		mod(&ev)
	}
	return workflows.ApplyLocationEvent(ctx, s.temporal, loc, s.companyID, ev)
}

// withSubscription makes an install attach sub_<location> of cus_<location>.
func withSubscription(ev *workflows.LocationEvent) {
	loc := strings.Split(ev.EventID, "/")[2]
	ev.SubscriptionID, ev.CustomerID = "sub_"+loc, "cus_"+loc
}

// mustOnboard onboards a location and fails the test unless it applied.
func (s *stack) mustOnboard(ctx context.Context, t testing.TB, loc string) workflows.LocationState {
	t.Helper()
	r, err := s.onboard(ctx, loc, nil)
	require.NoError(t, err)
	require.Equal(t, "applied", r.Outcome.Outcome, "onboarding of %s: %s", loc, r.Outcome.Message)
	return r.State
}

// sendEvent signals an event to a location's owner.
func (s *stack) sendEvent(ctx context.Context, t testing.TB, loc string, ev workflows.LocationEvent) {
	t.Helper()
	_, err := workflows.SignalLocation(ctx, s.temporal, loc, s.companyID, ev)
	require.NoError(t, err)
}

// waitOwner polls the location owner's state until done(state).
func (s *stack) waitOwner(ctx context.Context, t testing.TB, loc string, done func(workflows.LocationState) bool) workflows.LocationState {
	t.Helper()
	var st workflows.LocationState
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		v, err := s.temporal.QueryWorkflow(ctx, workflows.LocationWorkflowID(loc), "", workflows.StatusQuery)
		if !assert.NoError(c, err) {
			return
		}
		var now workflows.LocationState // fresh: decoding into the last state would keep its omitted fields
		if assert.NoError(c, v.Get(&now)) {
			st = now
			assert.True(c, done(st), "state %+v", st)
		}
	}, 2*time.Minute, 200*time.Millisecond)
	return st
}

// facts opens the owners' facts in the stack's store.
func (s *stack) facts(t testing.TB) *facts.Store { return facts.New(s.openStore(t).DB()) }

// lastEvent is a waitOwner condition: the event was handled last.
func lastEvent(id string) func(workflows.LocationState) bool {
	return func(st workflows.LocationState) bool { return st.LastEvent.EventID == id }
}
