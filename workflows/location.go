package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/internal/facts"
)

// The location owner's names.
const (
	// LocationWorkflowType is the one long-lived workflow per location that owns
	// every effect on it (docs/architecture.md, "One owner per location").
	LocationWorkflowType = "Location"
	// LocationSignal delivers a LocationEvent to the owner.
	LocationSignal = "location-event"
	// UpgradeSignal asks the owner to continue as new at its next quiet point, so it
	// runs the code of the latest deploy.
	UpgradeSignal = "continue-as-new"
	// ApplyUpdate delivers a LocationEvent and answers once it is handled (an
	// EventResult): the way in for callers that need the outcome.
	ApplyUpdate = "apply"
	// RedriveUpdate applies a parked event again; DiscardUpdate drops it for good.
	// Both take the event id and answer an EventResult.
	RedriveUpdate = "redrive"
	DiscardUpdate = "discard"
)

// LocationWorkflowID is the owner's workflow id: every trigger of a location reaches
// the same execution.
func LocationWorkflowID(locationID string) string { return "location/" + locationID }

// LocationIDOf is the location a workflow acts for, by its id: the owner's, or one of
// the first releases' workflows of a location; "" for any other workflow (an agency's
// offboarding, reconciliation, upkeep). The audit trail files calls by it.
func LocationIDOf(workflowID string) string {
	prefix, id, ok := strings.Cut(workflowID, "/")
	if !ok || strings.Contains(id, "/") {
		return ""
	}
	for _, own := range []func(string) string{LocationWorkflowID, LegacyOnboardingWorkflowID, LegacySubscriptionWorkflowID, LegacyOffboardingWorkflowID} {
		if own(id) == prefix+"/"+id {
			return id
		}
	}
	return ""
}

// OutcomeDuplicate answers an update whose event was handled before; it is not
// recorded again.
const OutcomeDuplicate = "duplicate"

// retryingAttentionRounds is how many failed rounds make a retrying event need
// attention: one outage round is expected, three are worth a look.
const retryingAttentionRounds = 3

// Location is a location's owner. It applies the location's events one at a time, in
// arrival order, each to the end: onboarding (install), subscription changes and checks,
// offboarding (uninstall). Retryable failures hold the queue and are retried; a step
// that fails for good parks its event (NeedsAttention) until an operator re-drives or
// discards it. Events that set the same field are ordered by occurredAt, an uninstall
// is terminal for every older event, and what it learns lives in the store's facts
// (internal/facts), so a run that starts again (after it closed, or a purge of
// histories) resumes from them. It closes when it has nothing left to do and the
// location is not onboarded.
func Location(ctx workflow.Context, in LocationInput) (LocationState, error) {
	if in.LocationID == "" || in.CompanyID == "" {
		return LocationState{}, temporal.NewNonRetryableApplicationError(
			"invalid location input: locationId and companyId are required", ErrTypeInvalidInput, nil)
	}
	o := newOwner(in)
	if err := o.register(ctx); err != nil {
		return o.state, err
	}
	ctx = withStepBudget(ctx)
	if in.State == nil {
		if err := o.load(ctx); err != nil {
			return o.state, err
		}
	}
	return o.run(ctx)
}

// owner is one run of a location's owner.
type owner struct {
	in      LocationInput
	state   LocationState
	queue   []QueuedEvent
	events  workflow.ReceiveChannel
	upgrade workflow.ReceiveChannel
	// upgradeAsked is set by the upgrade signal; the run continues as new once quiet.
	upgradeAsked bool
	handled      int
	// Updates waiting for the outcome of an event, by event id.
	waiting map[string]int
	results map[string]EventResult
}

func newOwner(in LocationInput) *owner {
	o := &owner{in: in, queue: slices.Clone(in.Pending), waiting: map[string]int{}, results: map[string]EventResult{}}
	if in.State != nil {
		o.state = *in.State
	}
	o.state.LocationID, o.state.CompanyID = in.LocationID, in.CompanyID
	if o.state.Phase == "" {
		o.state.Phase = facts.PhaseNew
	}
	return o
}

// register sets up the query, the signal channels and the update handlers before
// anything blocks, so an Update-with-Start is accepted in the first workflow task.
func (o *owner) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, StatusQuery, func() (LocationState, error) {
		return o.state, nil
	}, workflow.QueryHandlerOptions{Description: "The location's phase, subscription, parked and retrying events"}); err != nil {
		return err
	}
	o.events = workflow.GetSignalChannelWithOptions(ctx, LocationSignal, workflow.SignalChannelOptions{
		Description: "An event for this location (install, change, check, uninstall), handled in arrival order",
	})
	o.upgrade = workflow.GetSignalChannelWithOptions(ctx, UpgradeSignal, workflow.SignalChannelOptions{
		Description: "Continue as new at the next quiet point, to run the latest code",
	})
	updates := []struct {
		name, what string
		handler    any
		validator  any
	}{
		{ApplyUpdate, "Handle an event and answer its outcome", o.applyUpdate, validateEvent},
		{RedriveUpdate, "Apply a parked event again and answer its outcome", o.redriveUpdate, o.validateParked},
		{DiscardUpdate, "Discard a parked event for good", o.discardUpdate, o.validateParked},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, workflow.UpdateHandlerOptions{
			Validator: u.validator, Description: u.what,
		}); err != nil {
			return err
		}
	}
	return nil
}

// run handles events until the location needs no owner, or the run is long enough to
// continue as new.
func (o *owner) run(ctx workflow.Context) (LocationState, error) {
	o.showIdle(ctx)
	for {
		o.drain(ctx)
		if o.shouldContinueAsNew(ctx) {
			return o.state, o.continueAsNew(ctx)
		}
		if len(o.queue) == 0 {
			if o.closable() {
				if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
					return o.state, err
				}
				if o.drain(ctx); len(o.queue) == 0 {
					return o.state, nil
				}
				continue
			}
			if err := workflow.Await(ctx, func() bool {
				return o.events.Len() > 0 || o.upgrade.Len() > 0 || len(o.queue) > 0
			}); err != nil {
				return o.state, err
			}
			continue
		}
		item := o.queue[0]
		o.queue = o.queue[1:]
		o.handle(ctx, item)
		if err := ctx.Err(); err != nil {
			return o.state, err
		}
		o.handled++
		o.showIdle(ctx)
	}
}

// drain moves every buffered signal into the queue. An event without occurredAt gets
// its receipt time, so every event can be ordered.
func (o *owner) drain(ctx workflow.Context) {
	for {
		var ev LocationEvent
		if !o.events.ReceiveAsync(&ev) {
			break
		}
		o.queue = append(o.queue, QueuedEvent{Event: withOccurredAt(ctx, ev)})
	}
	for o.upgrade.ReceiveAsync(nil) {
		o.upgradeAsked = true
	}
}

func withOccurredAt(ctx workflow.Context, ev LocationEvent) LocationEvent {
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = workflow.Now(ctx)
	}
	return ev
}

// closable: the location needs no owner until its next event, which starts one again
// from the facts.
func (o *owner) closable() bool {
	return (o.state.Phase == facts.PhaseNew || o.state.Phase == facts.PhaseUninstalled) &&
		len(o.state.Parked) == 0 && len(o.state.Deferred) == 0
}

// defaultEventsPerRun keeps a run's history to a few thousand events.
const defaultEventsPerRun = 200

func (o *owner) shouldContinueAsNew(ctx workflow.Context) bool {
	perRun := o.in.EventsPerRun
	if perRun <= 0 {
		perRun = defaultEventsPerRun
	}
	full := o.handled >= perRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
	quietUpgrade := o.upgradeAsked && len(o.queue) == 0
	return (full || quietUpgrade) && workflow.AllHandlersFinished(ctx)
}

// continueAsNew carries the state and every event not yet handled to the next run.
func (o *owner) continueAsNew(ctx workflow.Context) error {
	o.drain(ctx)
	state := o.state
	next := LocationInput{
		LocationID: o.in.LocationID, CompanyID: o.in.CompanyID, State: &state,
		Pending: o.queue, EventsPerRun: o.in.EventsPerRun,
	}
	return workflow.NewContinueAsNewError(ctx, LocationWorkflowType, next)
}

// Updates. Each queues its work for the main loop (which alone makes effects) and waits
// for the event's result.

func validateEvent(ev LocationEvent) error {
	if ev.EventID == "" {
		return fmt.Errorf("an event needs an id")
	}
	switch ev.Kind {
	case EventInstall, EventChange, EventCheck, EventUninstall:
		return nil
	}
	return fmt.Errorf("unknown event kind %q", ev.Kind)
}

func (o *owner) validateParked(eventID string) error {
	if o.parkedIndex(eventID) < 0 {
		return fmt.Errorf("no parked event %q", eventID)
	}
	return nil
}

func (o *owner) applyUpdate(ctx workflow.Context, ev LocationEvent) (EventResult, error) {
	o.queue = append(o.queue, QueuedEvent{Event: withOccurredAt(ctx, ev)})
	return o.await(ctx, ev.EventID)
}

func (o *owner) redriveUpdate(ctx workflow.Context, eventID string) (EventResult, error) {
	o.queue = slices.Insert(o.queue, 0, QueuedEvent{Op: opRedrive, Event: LocationEvent{EventID: eventID}})
	return o.await(ctx, eventID)
}

func (o *owner) discardUpdate(ctx workflow.Context, eventID string) (EventResult, error) {
	o.queue = slices.Insert(o.queue, 0, QueuedEvent{Op: opDiscard, Event: LocationEvent{EventID: eventID}})
	return o.await(ctx, eventID)
}

func (o *owner) await(ctx workflow.Context, eventID string) (EventResult, error) {
	o.waiting[eventID]++
	defer func() {
		if o.waiting[eventID]--; o.waiting[eventID] <= 0 {
			delete(o.waiting, eventID)
			delete(o.results, eventID)
		}
	}()
	if err := workflow.Await(ctx, func() bool { _, ok := o.results[eventID]; return ok }); err != nil {
		return EventResult{}, err
	}
	return o.results[eventID], nil
}

// answer hands an event's outcome to the updates waiting for it.
func (o *owner) answer(out EventOutcome) {
	if o.waiting[out.EventID] > 0 {
		o.results[out.EventID] = EventResult{Outcome: out, State: o.state}
	}
}
