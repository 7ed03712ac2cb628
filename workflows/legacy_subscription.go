package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
)

// LegacySubscription is the first releases' long-lived entity (type
// LocationSubscription) that applied every subscription event of one location, in
// arrival order. The location owner (Location) replaced it; it stays registered so that
// runs started before finish and replay (AdoptLegacy ends them). Events came by
// SignalWithStart on LegacySubscriptionSignal. A failed event is recorded and does not
// stop the entity; an uninstall ends it.
func LegacySubscription(ctx workflow.Context, in LegacySubscriptionInput) (LegacySubscriptionState, error) {
	s := &legacySubscription{in: in}
	if in.State != nil {
		s.state = *in.State
	}
	s.state.LocationID, s.state.CompanyID = in.LocationID, in.CompanyID
	if in.LocationID == "" || in.CompanyID == "" {
		return s.state, temporal.NewNonRetryableApplicationError("invalid subscription input: locationId and companyId are required", ErrTypeInvalidInput, nil)
	}
	if err := workflow.SetQueryHandlerWithOptions(ctx, StatusQuery, func() (LegacySubscriptionState, error) {
		return s.state, nil
	}, workflow.QueryHandlerOptions{Description: "The location's subscription as last applied"}); err != nil {
		return s.state, err
	}
	events := workflow.GetSignalChannelWithOptions(ctx, LegacySubscriptionSignal, workflow.SignalChannelOptions{
		Description: "A subscription change or check for this location, applied in arrival order",
	})
	queue := slices.Clone(in.Pending)
	perRun := in.EventsPerRun
	if perRun <= 0 {
		perRun = defaultEventsPerRun
	}
	s.showIdle(ctx, len(queue))

	for appliedThisRun := 0; ; {
		queue = drain(events, queue)
		if len(queue) == 0 {
			if s.state.Uninstalled {
				return s.state, nil
			}
			var ev LegacySubscriptionEvent
			events.Receive(ctx, &ev)
			queue = append(queue, ev)
			continue
		}
		ev := queue[0]
		queue = queue[1:]
		s.handle(ctx, ev, len(queue))
		appliedThisRun++

		if appliedThisRun >= perRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// Signals are not carried to the next run: take every buffered one along.
			queue = drain(events, queue)
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return s.state, err
			}
			next := LegacySubscriptionInput{
				LocationID: in.LocationID, CompanyID: in.CompanyID, State: &s.state,
				Pending: queue, EventsPerRun: in.EventsPerRun,
			}
			return s.state, workflow.NewContinueAsNewError(ctx, LegacySubscriptionWorkflowType, next)
		}
		s.showIdle(ctx, len(queue))
	}
}

func drain(ch workflow.ReceiveChannel, queue []LegacySubscriptionEvent) []LegacySubscriptionEvent {
	for {
		var ev LegacySubscriptionEvent
		if !ch.ReceiveAsync(&ev) {
			return queue
		}
		queue = append(queue, ev)
	}
}

type legacySubscription struct {
	in    LegacySubscriptionInput
	state LegacySubscriptionState
}

// handle applies one event, unless it was applied before, and records the outcome.
func (s *legacySubscription) handle(ctx workflow.Context, ev LegacySubscriptionEvent, waiting int) {
	logger := workflow.GetLogger(ctx)
	if ev.EventID != "" && slices.Contains(s.state.Recent, ev.EventID) {
		s.state.Duplicates++
		logger.Info("skipping an event already applied", "eventId", ev.EventID)
		return
	}
	workflow.SetCurrentDetails(ctx, s.details(fmt.Sprintf("applying %s event `%s` from %s (%d waiting)", ev.Kind, ev.EventID, ev.Source, waiting)))
	err := s.apply(ctx, ev)
	s.state.LastEventID = ev.EventID
	s.state.LastEventAt = workflow.Now(ctx)
	if ev.EventID != "" {
		s.state.Recent = append(s.state.Recent, ev.EventID)
		if n := len(s.state.Recent); n > recentEvents {
			s.state.Recent = slices.Clone(s.state.Recent[n-recentEvents:])
		}
	}
	if err != nil {
		s.state.Failed++
		s.state.LastError = errorMessage(err)
		logger.Warn("subscription event failed", "eventId", ev.EventID, "kind", ev.Kind, "error", err)
	} else {
		s.state.Applied++
		s.state.LastError = ""
	}
	s.upsertSearchAttributes(ctx)
}

// apply runs the steps of one event: each step is one activity, one endpoint.
func (s *legacySubscription) apply(ctx workflow.Context, ev LegacySubscriptionEvent) error {
	ref := activities.LocationRef{CompanyID: s.in.CompanyID, LocationID: s.in.LocationID}
	prev := s.state
	switch ev.Kind {
	case EventUninstalled:
		s.state.Uninstalled = true
		s.state.TokenStatus = activities.TokenMissing
		return nil
	case EventChange:
		if err := s.updateSubscription(ctx, ref, ev); err != nil {
			return err
		}
	case EventCheck:
	default:
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown event kind %q", ev.Kind), ErrTypeInvalidInput, nil)
	}
	if err := s.readSubscription(ctx, ref); err != nil {
		return err
	}
	if err := s.pauseForStatus(ctx, ref, ev.Status); err != nil {
		return err
	}
	if err := s.adjustToken(ctx, ref); err != nil {
		return err
	}
	// Actionstep joined the flow after the first release: runs recorded before it
	// replay without these steps.
	if workflow.GetVersion(ctx, "actionstep-sync", workflow.DefaultVersion, 1) == 1 {
		return s.syncActionstep(ctx, ev, prev)
	}
	return nil
}

// updateSubscription attaches a change event's subscription in HighLevel.
func (s *legacySubscription) updateSubscription(ctx workflow.Context, ref activities.LocationRef, ev LegacySubscriptionEvent) error {
	if ev.SubscriptionID == "" || ev.CustomerID == "" {
		return temporal.NewNonRetryableApplicationError("a change event needs subscriptionId and customerId", ErrTypeInvalidInput, nil)
	}
	return workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: update SaaS subscription"),
		hl.UpdateSaaSSubscription, activities.UpdateSaaSSubscriptionInput{
			LocationRef: ref, SubscriptionID: ev.SubscriptionID, CustomerID: ev.CustomerID,
		}).Get(ctx, nil)
}

// readSubscription syncs the state from HighLevel: it, not the event, is the truth. A
// new plan's title is read too.
func (s *legacySubscription) readSubscription(ctx workflow.Context, ref activities.LocationRef) error {
	var sub activities.SaaSSubscription
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: read SaaS subscription"),
		hl.GetSaaSSubscription, ref).Get(ctx, &sub); err != nil {
		return err
	}
	planChanged := sub.PlanID != "" && sub.PlanID != s.state.PlanID
	s.state.SubscriptionID, s.state.CustomerID = sub.SubscriptionID, sub.CustomerID
	s.state.PlanID, s.state.Status, s.state.SaaSMode = sub.PlanID, sub.SubscriptionStatus, sub.SaaSMode
	s.state.Paused = sub.SubscriptionStatus == statusPaused
	if !planChanged {
		return nil
	}
	var plan activities.Plan
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: read SaaS plan "+sub.PlanID),
		hl.GetSaaSPlan, activities.PlanRef{CompanyID: s.in.CompanyID, PlanID: sub.PlanID}).Get(ctx, &plan); err != nil {
		return err
	}
	s.state.PlanTitle = plan.Title
	return nil
}

// pauseForStatus pauses or resumes the location when the event's billing status calls
// for it and HighLevel's state differs.
func (s *legacySubscription) pauseForStatus(ctx workflow.Context, ref activities.LocationRef, status string) error {
	want, ok := wantsPause(status)
	if !ok || want == s.state.Paused {
		return nil
	}
	summary := "HighLevel: pause location"
	if !want {
		summary = "HighLevel: resume location"
	}
	if err := workflow.ExecuteActivity(withHighLevel(ctx, summary),
		hl.PauseLocation, activities.PauseInput{LocationRef: ref, Paused: want}).Get(ctx, nil); err != nil {
		return err
	}
	s.state.Paused = want
	if want {
		s.state.Status = statusPaused
	} else {
		s.state.Status = statusActive
	}
	return nil
}

// syncActionstep writes the subscription into the location's matter and notes the
// change. The first time, it finds (or creates) the client and matter, reading the
// location's name and address from HighLevel in case they must be created.
func (s *legacySubscription) syncActionstep(ctx workflow.Context, ev LegacySubscriptionEvent, prev LegacySubscriptionState) error {
	loc := activities.Location{LocationID: s.in.LocationID, CompanyID: s.in.CompanyID}
	sync := &actionstepSync{setup: s.state.ActionstepSetup, record: s.state.ActionstepRecord}
	if sync.record.RecordID == "" {
		var inst activities.InstalledLocation
		if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: read the location for Actionstep"),
			hl.GetInstalledLocation, activities.LocationRef{CompanyID: s.in.CompanyID, LocationID: s.in.LocationID}).Get(ctx, &inst); err != nil {
			return err
		}
		loc.Name, loc.Address = inst.Name, inst.Address
		if err := sync.provision(ctx, loc); err != nil {
			return err
		}
		s.state.ActionstepSetup, s.state.ActionstepRecord = sync.setup, sync.record
	}
	data := activities.SubscriptionData{
		SubscriptionID: s.state.SubscriptionID, CustomerID: s.state.CustomerID, PlanID: s.state.PlanID, PlanTitle: s.state.PlanTitle,
		Status: s.state.Status, Paused: s.state.Paused, EventID: ev.EventID, EventSource: ev.Source, ChangedAt: ev.OccurredAt,
	}
	if data.ChangedAt.IsZero() {
		data.ChangedAt = workflow.Now(ctx)
	}
	return sync.write(ctx, loc, data, changeNote(ev, prev, s.state))
}

// changeNote says what an event changed, for the matter's file notes.
func changeNote(ev LegacySubscriptionEvent, prev, now LegacySubscriptionState) string {
	return subscriptionNote(ev.Kind, ev.Source, subscriptionOf(prev), subscriptionOf(now))
}

func subscriptionOf(s LegacySubscriptionState) SubscriptionFacts {
	return SubscriptionFacts{SubscriptionID: s.SubscriptionID, PlanID: s.PlanID, Status: s.Status}
}

// adjustToken keeps the location token in step with the location (see
// adjustLocationToken).
func (s *legacySubscription) adjustToken(ctx workflow.Context, ref activities.LocationRef) error {
	status, err := adjustLocationToken(ctx, ref, false)
	if err == nil {
		s.state.TokenStatus = status
	}
	return err
}

func (s *legacySubscription) upsertSearchAttributes(ctx workflow.Context) {
	updates := []temporal.SearchAttributeUpdate{keyword(SubscriptionStatusAttr, s.state.Status), keyword(PlanIDAttr, s.state.PlanID)}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("could not upsert subscription search attributes", "error", err)
	}
}

func (s *legacySubscription) showIdle(ctx workflow.Context, waiting int) {
	what := "waiting for subscription events"
	if waiting > 0 {
		what = fmt.Sprintf("%d events waiting", waiting)
	}
	workflow.SetCurrentDetails(ctx, s.details(what))
}

func (s *legacySubscription) details(now string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Subscription of location `%s`** (company `%s`)\n\n", s.state.LocationID, s.state.CompanyID)
	fmt.Fprintf(&b, "| | |\n|---|---|\n| status | %s |\n| plan | %s %s |\n| subscription | %s |\n| paused | %t |\n| location token | %s |\n| events applied / failed / duplicates | %d / %d / %d |\n",
		orDash(s.state.Status), orDash(s.state.PlanID), s.state.PlanTitle, orDash(s.state.SubscriptionID), s.state.Paused,
		orDash(s.state.TokenStatus), s.state.Applied, s.state.Failed, s.state.Duplicates)
	if s.state.LastError != "" {
		fmt.Fprintf(&b, "\nLast event `%s` failed: %s\n", s.state.LastEventID, s.state.LastError)
	}
	fmt.Fprintf(&b, "\nNow: %s", now)
	return b.String()
}
