package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/facts"
)

// handle runs one queue item to its outcome.
func (o *owner) handle(ctx workflow.Context, item QueuedEvent) {
	switch item.Op {
	case opRedrive:
		i := o.parkedIndex(item.Event.EventID)
		if i < 0 {
			o.answer(EventOutcome{EventID: item.Event.EventID, Outcome: OutcomeDuplicate, Message: "no longer parked"})
			return
		}
		ev := o.state.Parked[i].Event
		o.state.Parked = slices.Delete(o.state.Parked, i, i+1)
		o.conclude(ctx, ev, o.applyWithRetries(ctx, ev))
	case opDiscard:
		i := o.parkedIndex(item.Event.EventID)
		if i < 0 {
			o.answer(EventOutcome{EventID: item.Event.EventID, Outcome: OutcomeDuplicate, Message: "no longer parked"})
			return
		}
		p := o.state.Parked[i]
		o.state.Parked = slices.Delete(o.state.Parked, i, i+1)
		o.conclude(ctx, p.Event, outcome(facts.OutcomeDiscarded, "discarded by an operator; it was parked: "+p.Error))
	default:
		o.handleEvent(ctx, item.Event)
	}
}

// handleEvent applies an event unless it was handled before. A redelivery of a parked
// event applies it again (its sender retried); of a deferred one, it waits with it.
func (o *owner) handleEvent(ctx workflow.Context, ev LocationEvent) {
	if slices.Contains(o.state.Recent, ev.EventID) || slices.ContainsFunc(o.state.Deferred, func(d LocationEvent) bool { return d.EventID == ev.EventID }) {
		o.state.Counts.Duplicates++
		workflow.GetLogger(ctx).Info("skipping an event already handled", "eventId", ev.EventID)
		o.answer(EventOutcome{EventID: ev.EventID, Kind: ev.Kind, Outcome: OutcomeDuplicate})
		return
	}
	if i := o.parkedIndex(ev.EventID); i >= 0 {
		o.state.Parked = slices.Delete(o.state.Parked, i, i+1)
	}
	o.conclude(ctx, ev, o.applyWithRetries(ctx, ev))
}

func (o *owner) parkedIndex(eventID string) int {
	return slices.IndexFunc(o.state.Parked, func(p ParkedEvent) bool { return p.Event.EventID == eventID })
}

// result is how apply ended an event; parked carries the failure.
type result struct {
	outcome string
	message string
	parked  *ParkedEvent
}

func outcome(o, message string) result { return result{outcome: o, message: message} }

var applied = result{outcome: facts.OutcomeApplied}

// applyWithRetries applies an event, retrying it whole, with backoff, while its steps
// fail with retryable errors (an outage longer than a step's budget): the queue waits,
// so order is kept. A step that fails for good parks the event. An uninstall that
// arrives meanwhile, newer than the event, ends the wait: the event is moot.
func (o *owner) applyWithRetries(ctx workflow.Context, ev LocationEvent) result {
	defer func() { o.state.Retrying = nil }()
	for round := 1; ; round++ {
		workflow.SetCurrentDetails(ctx, o.details(fmt.Sprintf("applying %s event `%s` from %s (%d waiting)", ev.Kind, ev.EventID, orDash(ev.Source), len(o.queue))))
		r, err := o.apply(ctx, ev)
		switch {
		case err == nil:
			return r
		case ctx.Err() != nil:
			return outcome(facts.OutcomeParked, "the owner was cancelled while applying it")
		case parks(err):
			return result{outcome: facts.OutcomeParked, message: errorMessage(err), parked: &ParkedEvent{
				Event: ev, Error: errorMessage(err), ErrorType: errorType(err), ParkedAt: workflow.Now(ctx)}}
		}
		workflow.GetLogger(ctx).Warn("event failed with a retryable error; retrying it whole after a backoff", "eventId", ev.EventID, "round", round, "error", err)
		o.retrying(ctx, ev, round, err)
		if o.waitBeforeRetry(ctx, ev, round) {
			return outcome(facts.OutcomeAfterUninstall, "an uninstall arrived while it was retried")
		}
	}
}

// parks reports a failure that retrying the event will not fix: a non-retryable
// failure, except a create the workflow could not confirm (an outage: the next round
// looks the record up first).
func parks(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.NonRetryable() && app.Type() != ErrTypeActionstepCreateUnconfirmed
}

// retrying makes an event that keeps failing visible (query, facts, NeedsAttention).
func (o *owner) retrying(ctx workflow.Context, ev LocationEvent, round int, err error) {
	since := workflow.Now(ctx)
	if o.state.Retrying != nil && o.state.Retrying.EventID == ev.EventID {
		since = o.state.Retrying.Since
	}
	before := o.state.attention()
	o.state.Retrying = &RetryingEvent{EventID: ev.EventID, Rounds: round, Error: errorMessage(err), Since: since}
	if o.state.attention() != before {
		o.record(ctx, nil)
		o.upsertSearchAttributes(ctx)
	}
}

// retryBackoff is the wait before round n+1 of an event: 10 s doubling to 10 min.
func retryBackoff(round int) time.Duration {
	return min(10*time.Second<<min(round-1, 10), 10*time.Minute)
}

// waitBeforeRetry sleeps before the next round, taking in events as they come; it
// returns true when an uninstall at least as new as ev is queued (ev is moot).
func (o *owner) waitBeforeRetry(ctx workflow.Context, ev LocationEvent, round int) bool {
	timerCtx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	timer := workflow.NewTimer(timerCtx, retryBackoff(round))
	for fired := false; !fired; {
		s := workflow.NewSelector(ctx)
		s.AddFuture(timer, func(workflow.Future) { fired = true })
		s.AddReceive(o.events, func(workflow.ReceiveChannel, bool) { o.drain(ctx) })
		s.Select(ctx)
		if ctx.Err() != nil || o.uninstallQueued(ev) {
			return ctx.Err() == nil
		}
	}
	return false
}

func (o *owner) uninstallQueued(ev LocationEvent) bool {
	return ev.Kind != EventUninstall && slices.ContainsFunc(o.queue, func(q QueuedEvent) bool {
		return q.Op == "" && q.Event.Kind == EventUninstall && !q.Event.OccurredAt.Before(ev.OccurredAt)
	})
}

// apply runs the steps of one event, by kind.
func (o *owner) apply(ctx workflow.Context, ev LocationEvent) (result, error) {
	switch ev.Kind {
	case EventInstall:
		return o.install(ctx, ev)
	case EventUninstall:
		return o.uninstall(ctx, ev)
	case EventChange, EventCheck:
		return o.subscriptionEvent(ctx, ev)
	}
	return result{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown event kind %q", ev.Kind), ErrTypeInvalidInput, nil)
}

// conclude records how an event ended: in the state, the facts, the search attributes
// and for the updates waiting on it.
func (o *owner) conclude(ctx workflow.Context, ev LocationEvent, r result) {
	out := EventOutcome{EventID: ev.EventID, Kind: ev.Kind, Outcome: r.outcome, Message: r.message, At: workflow.Now(ctx)}
	o.state.LastEvent = out
	o.count(r.outcome)
	switch r.outcome {
	case facts.OutcomeParked:
		if r.parked != nil {
			o.state.Parked = append(o.state.Parked, *r.parked)
		}
		workflow.GetLogger(ctx).Warn("event parked", "eventId", ev.EventID, "kind", ev.Kind, "error", r.message)
	case facts.OutcomeDeferred:
		o.state.Deferred = append(o.state.Deferred, ev)
	default:
		o.remember(ev.EventID)
	}
	o.record(ctx, &facts.Event{EventID: ev.EventID, Kind: ev.Kind, Source: ev.Source, OccurredAt: ev.OccurredAt, Outcome: r.outcome, Message: r.message})
	o.upsertSearchAttributes(ctx)
	o.answer(out)
}

func (o *owner) count(outcome string) {
	c := &o.state.Counts
	switch outcome {
	case facts.OutcomeApplied:
		c.Applied++
	case facts.OutcomeParked:
		c.Parked++
	case facts.OutcomeSuperseded:
		c.Superseded++
	case facts.OutcomeAfterUninstall:
		c.AfterUninstall++
	case facts.OutcomeNotInstalled:
		c.NotInstalled++
	case facts.OutcomeDeferred:
		c.Deferred++
	case facts.OutcomeDiscarded:
		c.Discarded++
	}
}

// recentEvents is how many handled event ids are remembered for dedupe. Billing systems
// and HighLevel redeliver within hours, long before 1000 newer events.
const recentEvents = 1000

func (o *owner) remember(eventID string) {
	o.state.Recent = append(o.state.Recent, eventID)
	if n := len(o.state.Recent); n > recentEvents {
		o.state.Recent = slices.Clone(o.state.Recent[n-recentEvents:])
	}
}

// record writes the location's facts (and an event's outcome). The store is local: its
// failures are retried until it answers, never parked.
func (o *owner) record(ctx workflow.Context, ev *facts.Event) {
	in := activities.FactsRecord{Location: o.state.facts(), Event: ev}
	o.must(ctx, "record the location's facts", func() error {
		return workflow.ExecuteActivity(withStore(ctx, "Facts: record"), factsActs.RecordLocation, in).Get(ctx, nil)
	})
}

// must runs a step until it succeeds, backing off between failures: for steps on the
// owner's own store and Temporal, which an outage delays but nothing refuses for good.
func (o *owner) must(ctx workflow.Context, what string, step func() error) {
	for round := 1; ; round++ {
		err := step()
		if err == nil || ctx.Err() != nil {
			return
		}
		workflow.GetLogger(ctx).Warn("step failed; retrying", "step", what, "round", round, "error", err)
		if workflow.Sleep(ctx, retryBackoff(round)) != nil {
			return
		}
	}
}

// load starts the owner from the facts, or, for a location the facts do not know yet,
// from what the first releases' workflows knew of it.
func (o *owner) load(ctx workflow.Context) error {
	var lf activities.LoadedFacts
	o.must(ctx, "load the location's facts", func() error {
		return workflow.ExecuteActivity(withStore(ctx, "Facts: load the location"), factsActs.LoadLocation, o.in.LocationID).Get(ctx, &lf)
	})
	if lf.Found {
		o.fromFacts(lf)
		return ctx.Err()
	}
	var legacy activities.LegacyState
	o.must(ctx, "adopt the first releases' workflows", func() error {
		return workflow.ExecuteActivity(withOrchestration(ctx, "Adopt the location's earlier workflows"), owners.AdoptLegacy, o.in.LocationID).Get(ctx, &legacy)
	})
	o.fromLegacy(legacy)
	return ctx.Err()
}

func (o *owner) fromFacts(lf activities.LoadedFacts) {
	l := lf.Location
	s := &o.state
	s.Name, s.Phase, s.InstalledAt, s.OnboardedAt, s.UninstalledAt = l.Name, l.Phase, l.InstalledAt, l.OnboardedAt, l.UninstalledAt
	if s.Phase == facts.PhaseOnboarding || s.Phase == facts.PhaseOffboarding {
		// A run ended mid-event and its queue went with it: the event's sender
		// redelivers, or reconciliation finds what it left undone.
		s.Phase = facts.PhaseNew
		if !l.UninstalledAt.IsZero() && l.UninstalledAt.After(l.InstalledAt) {
			s.Phase = facts.PhaseUninstalled
		}
	}
	s.Subscription = SubscriptionFacts{SubscriptionID: l.SubscriptionID, CustomerID: l.CustomerID, PlanID: l.PlanID, Status: l.Status, Paused: l.Paused}
	s.ActionstepRecord = ActionstepRecord{ParticipantID: l.ParticipantID, MatterID: l.MatterID, RecordID: l.RecordID}
	s.Recent = lf.Recent
}

func (o *owner) fromLegacy(l activities.LegacyState) {
	s := &o.state
	switch {
	case l.Uninstalled:
		s.Phase = facts.PhaseUninstalled
	case l.Onboarded:
		s.Phase = facts.PhaseActive
	}
	s.Subscription = SubscriptionFacts{SubscriptionID: l.SubscriptionID, CustomerID: l.CustomerID, PlanID: l.PlanID,
		PlanTitle: l.PlanTitle, Status: l.Status, SaaSMode: l.SaaSMode, Paused: l.Paused}
	s.ActionstepSetup = ActionstepSetup{MatterTypeID: l.MatterTypeID, ClientTypeID: l.ClientTypeID, DataCollectionID: l.DataCollectionID}
	s.ActionstepRecord = ActionstepRecord{ParticipantID: l.ParticipantID, MatterID: l.MatterID, RecordID: l.RecordID}
	s.Recent = slices.Clone(l.Recent)
}
