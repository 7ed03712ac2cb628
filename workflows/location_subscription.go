package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/facts"
)

// subscriptionEvent applies a change or a check once the location is onboarded. An
// event older than the last uninstall never applies. Before the location is onboarded
// (or re-installed), a change waits for it (deferred) and a check has nothing to check.
func (o *owner) subscriptionEvent(ctx workflow.Context, ev LocationEvent) (result, error) {
	switch {
	case !ev.OccurredAt.After(o.state.UninstalledAt) && !o.state.UninstalledAt.IsZero():
		return outcome(facts.OutcomeAfterUninstall, fmt.Sprintf("the location was uninstalled at %s", stamp(o.state.UninstalledAt))), nil
	case o.state.Phase != facts.PhaseActive && ev.Kind == EventCheck:
		return outcome(facts.OutcomeNotInstalled, "the location is not onboarded: nothing to check"), nil
	case o.state.Phase != facts.PhaseActive:
		return outcome(facts.OutcomeDeferred, "waiting for the location to be onboarded"), nil
	case ev.Kind == EventCheck:
		return o.check(ctx, ev)
	}
	return o.change(ctx, ev)
}

// change applies the fields of ev that are at least as new as the last ones applied:
// the subscription (PUT update-saas-subscription) and the billing status (pause or
// resume); an event older for every field it sets is superseded.
func (o *owner) change(ctx workflow.Context, ev LocationEvent) (result, error) {
	_, statusKnown := wantsPause(ev.Status)
	if !ev.hasSubscription() && !statusKnown {
		return result{}, temporal.NewNonRetryableApplicationError(
			"a change event needs subscriptionId and customerId, or a billing status", ErrTypeInvalidInput, nil)
	}
	subNewer := ev.hasSubscription() && o.newest(fieldSubscription, ev)
	statusNewer := statusKnown && o.newest(fieldStatus, ev)
	if !subNewer && !statusNewer {
		return outcome(facts.OutcomeSuperseded, fmt.Sprintf("older than the change applied at %s", stamp(o.latestFieldAt()))), nil
	}
	prev := o.state.Subscription
	var plan *activities.ResolvedPlan
	if subNewer && (ev.PlanID != "" || ev.PriceID != "") && workflow.GetVersion(ctx, planIDsChange, workflow.DefaultVersion, 1) == 1 {
		p, err := o.resolvePlan(ctx, ev)
		if err != nil {
			return result{}, err
		}
		plan = &p
	}
	if subNewer {
		if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: update SaaS subscription"), hl.UpdateSaaSSubscription,
			activities.UpdateSaaSSubscriptionInput{LocationRef: o.ref(), SubscriptionID: ev.SubscriptionID, CustomerID: ev.CustomerID}).Get(ctx, nil); err != nil {
			return result{}, err
		}
	}
	if err := o.readSubscription(ctx, plan); err != nil {
		return result{}, err
	}
	if statusNewer {
		if err := o.pauseFor(ctx, ev.Status); err != nil {
			return result{}, err
		}
	}
	if err := o.syncAfter(ctx, ev, prev); err != nil {
		return result{}, err
	}
	r := applied
	if subNewer {
		o.setFieldAt(fieldSubscription, ev)
	} else if ev.hasSubscription() {
		r.message = "its subscription is older than the one applied: only the status was applied"
	}
	if statusNewer {
		o.setFieldAt(fieldStatus, ev)
	} else if statusKnown {
		r.message = "its status is older than the one applied: only the subscription was applied"
	}
	if diff := planDifference(plan, o.state.Subscription); diff != "" {
		r.message = strings.TrimPrefix(r.message+"; "+diff, "; ")
	}
	return r, nil
}

// check re-reads HighLevel's state and records it (a LocationUpdate, drift).
func (o *owner) check(ctx workflow.Context, ev LocationEvent) (result, error) {
	prev := o.state.Subscription
	if err := o.readSubscription(ctx, nil); err != nil {
		return result{}, err
	}
	return applied, o.syncAfter(ctx, ev, prev)
}

// newest reports whether ev is at least as new as the last event applied to field.
func (o *owner) newest(field string, ev LocationEvent) bool {
	return !ev.OccurredAt.Before(o.state.FieldAt[field])
}

func (o *owner) setFieldAt(field string, ev LocationEvent) {
	if o.state.FieldAt == nil {
		o.state.FieldAt = map[string]time.Time{}
	}
	o.state.FieldAt[field] = ev.OccurredAt
}

func (o *owner) latestFieldAt() time.Time {
	var t time.Time
	for _, at := range o.state.FieldAt {
		if at.After(t) {
			t = at
		}
	}
	return t
}

// readSubscription syncs the state from HighLevel: it, not the event, is the truth. A
// changed plan's title is read too, unless it is the plan the event's was checked as
// (known).
func (o *owner) readSubscription(ctx workflow.Context, known *activities.ResolvedPlan) error {
	var sub activities.SaaSSubscription
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: read SaaS subscription"), hl.GetSaaSSubscription, o.ref()).Get(ctx, &sub); err != nil {
		return err
	}
	title := o.state.Subscription.PlanTitle
	switch {
	case known != nil && sub.PlanID == known.PlanID:
		title = known.Title
	case sub.PlanID != "" && sub.PlanID != o.state.Subscription.PlanID:
		var plan activities.Plan
		if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: read SaaS plan "+sub.PlanID), hl.GetSaaSPlan,
			activities.PlanRef{CompanyID: o.state.CompanyID, PlanID: sub.PlanID}).Get(ctx, &plan); err != nil {
			return err
		}
		title = plan.Title
	}
	o.state.Subscription = subscriptionFacts(sub, title)
	return nil
}

// pauseFor pauses or resumes the location as the billing status calls for.
func (o *owner) pauseFor(ctx workflow.Context, status string) error {
	want, ok := wantsPause(status)
	if !ok || want == o.state.Subscription.Paused {
		return nil
	}
	summary := "HighLevel: pause location"
	if !want {
		summary = "HighLevel: resume location"
	}
	if err := workflow.ExecuteActivity(withHighLevel(ctx, summary), hl.PauseLocation,
		activities.PauseInput{LocationRef: o.ref(), Paused: want}).Get(ctx, nil); err != nil {
		return err
	}
	o.state.Subscription.Paused, o.state.Subscription.Status = want, statusActive
	if want {
		o.state.Subscription.Status = statusPaused
	}
	return nil
}

// syncAfter keeps the location token in step and records the event in Actionstep: the
// subscription in the matter's data and a file note saying what changed.
func (o *owner) syncAfter(ctx workflow.Context, ev LocationEvent, prev SubscriptionFacts) error {
	status, err := adjustLocationToken(ctx, o.ref(), true)
	if err != nil {
		return err
	}
	o.state.TokenStatus = status
	loc := activities.Location{LocationID: o.state.LocationID, CompanyID: o.state.CompanyID}
	s := o.state.Subscription
	sync := o.actionstep()
	sync.subscription = activities.SubscriptionData{SubscriptionID: s.SubscriptionID, CustomerID: s.CustomerID, PlanID: s.PlanID, PlanTitle: s.PlanTitle,
		Status: s.Status, Paused: s.Paused, EventID: ev.EventID, EventSource: ev.Source, ChangedAt: ev.OccurredAt}
	// The location's details are read when the records may have to be made, and on a
	// check (a LocationUpdate): the client participant is refreshed from them.
	if sync.record.RecordID == "" || ev.Kind == EventCheck {
		var inst activities.InstalledLocation
		if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: read the location for Actionstep"),
			hl.GetInstalledLocation, o.ref()).Get(ctx, &inst); err != nil {
			return err
		}
		loc.Name, loc.Address = inst.Name, inst.Address
	}
	if sync.record.RecordID == "" {
		err := sync.provision(ctx, loc)
		o.keepActionstep(sync)
		if err != nil {
			return err
		}
	}
	return sync.write(ctx, loc, sync.subscription, subscriptionNote(ev.Kind, ev.Source, prev, o.state.Subscription))
}

func subscriptionFacts(sub activities.SaaSSubscription, planTitle string) SubscriptionFacts {
	return SubscriptionFacts{SubscriptionID: sub.SubscriptionID, CustomerID: sub.CustomerID, PlanID: sub.PlanID, PlanTitle: planTitle,
		Status: sub.SubscriptionStatus, SaaSMode: sub.SaaSMode, Paused: sub.SubscriptionStatus == statusPaused}
}

// subscriptionNote says what an event changed, for the matter's file notes.
func subscriptionNote(kind, source string, prev, now SubscriptionFacts) string {
	var changes []string
	for _, c := range []struct{ what, from, to string }{
		{"subscription", prev.SubscriptionID, now.SubscriptionID},
		{"plan", prev.PlanID, now.PlanID},
		{"status", prev.Status, now.Status},
	} {
		if c.from != c.to {
			changes = append(changes, fmt.Sprintf("%s %s → %s", c.what, orDash(c.from), orDash(c.to)))
		}
	}
	what := "no change"
	if len(changes) > 0 {
		what = strings.Join(changes, ", ")
	}
	verb := "Subscription changed"
	if kind == EventCheck {
		verb = "Subscription checked"
	}
	return fmt.Sprintf("%s (%s): %s.", verb, orDash(source), what)
}

// stamp formats an event time for a message.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format(time.RFC3339Nano)
}
