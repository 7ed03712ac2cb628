package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/facts"
)

// uninstall offboards the location: its tokens are deleted, its matter noted and
// closed. It is terminal: every parked or deferred event goes with it, and every later
// event but a newer install is dropped. An uninstall older than the install it would
// undo (a late redelivery after a re-install) is superseded.
func (o *owner) uninstall(ctx workflow.Context, ev LocationEvent) (result, error) {
	switch {
	case o.state.Phase == facts.PhaseUninstalled:
		prev := o.state.UninstalledAt
		o.state.UninstalledAt = later(prev, ev.OccurredAt) // an install older than it is moot too
		return outcome(facts.OutcomeSuperseded, fmt.Sprintf("already uninstalled at %s", stamp(prev))), nil
	case ev.OccurredAt.Before(o.state.InstalledAt):
		return outcome(facts.OutcomeSuperseded, fmt.Sprintf("older than the install of %s", stamp(o.state.InstalledAt))), nil
	}
	o.state.Phase, o.state.Step = facts.PhaseOffboarding, ""
	o.upsertSearchAttributes(ctx)
	workflow.SetCurrentDetails(ctx, o.details("offboarding: deleting the location's tokens"))
	if err := workflow.ExecuteActivity(withStore(ctx, "Token store: delete location token"),
		creds.DeleteLocationToken, o.ref()).Get(ctx, nil); err != nil {
		return result{}, err
	}
	o.state.TokenStatus = activities.TokenMissing
	workflow.SetCurrentDetails(ctx, o.details("offboarding: noting and closing the Actionstep matter"))
	if err := o.closeMatter(ctx, ev); err != nil {
		return result{}, err
	}
	o.state.Phase, o.state.UninstalledAt, o.state.Install = facts.PhaseUninstalled, ev.OccurredAt, nil
	o.dropBehindUninstall(ctx)
	return applied, nil
}

// closeMatter notes the uninstall on the location's matter and closes it; a location
// that never reached Actionstep has nothing to close.
func (o *owner) closeMatter(ctx workflow.Context, ev LocationEvent) error {
	sync := o.actionstep()
	if sync.record.MatterID == "" {
		if err := sync.resolve(ctx); err != nil {
			o.keepActionstep(sync)
			return err
		}
		o.keepActionstep(sync)
		var matter activities.Found
		if err := workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: find the subscription matter"), as.FindMatter,
			activities.MatterRef{LocationID: o.state.LocationID, MatterTypeID: sync.setup.MatterTypeID}).Get(ctx, &matter); err != nil {
			return err
		}
		if matter.ID == "" {
			return nil
		}
		sync.record.MatterID = matter.ID
		o.keepActionstep(sync)
	}
	if err := sync.note(ctx, fmt.Sprintf("App uninstalled from the HighLevel location (%s); matter closed.", orDash(ev.Source)), ev.EventID); err != nil {
		return err
	}
	return sync.setStatus(ctx, matterClosed)
}

// dropBehindUninstall ends every parked event and every deferred one older than the
// uninstall: the location they were for is gone. Each is recorded as after-uninstall.
// A change newer than the uninstall waits on for a re-install.
func (o *owner) dropBehindUninstall(ctx workflow.Context) {
	var moot, waiting []LocationEvent
	for _, p := range o.state.Parked {
		moot = append(moot, p.Event)
	}
	for _, d := range o.state.Deferred {
		if d.OccurredAt.After(o.state.UninstalledAt) {
			waiting = append(waiting, d)
		} else {
			moot = append(moot, d)
		}
	}
	o.state.Parked, o.state.Deferred = nil, waiting
	for _, ev := range moot {
		o.conclude(ctx, ev, outcome(facts.OutcomeAfterUninstall, "the location was uninstalled before it could apply"))
	}
}

// upsertSearchAttributes mirrors the state in the search attributes: phase, attention,
// subscription status and plan. They carry ids and states only, never PII.
func (o *owner) upsertSearchAttributes(ctx workflow.Context) {
	s := o.state
	updates := []temporal.SearchAttributeUpdate{
		keyword(LocationPhaseAttr, s.Phase), keyword(NeedsAttentionAttr, s.attention()),
		keyword(SubscriptionStatusAttr, s.Subscription.Status), keyword(PlanIDAttr, s.Subscription.PlanID),
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("could not upsert the location's search attributes", "error", err)
	}
}

func (o *owner) showIdle(ctx workflow.Context) {
	what := "waiting for events"
	switch {
	case len(o.queue) > 0:
		what = fmt.Sprintf("%d events waiting", len(o.queue))
	case len(o.state.Deferred) > 0 && o.state.Phase != facts.PhaseActive:
		what = fmt.Sprintf("%d changes wait for the location to be (re-)installed", len(o.state.Deferred))
	}
	workflow.SetCurrentDetails(ctx, o.details(what))
}

// details is the Markdown the Web UI shows for the owner: ids and states, no PII.
func (o *owner) details(now string) string {
	s := o.state
	var b strings.Builder
	fmt.Fprintf(&b, "**Location `%s`** (company `%s`): %s", s.LocationID, s.CompanyID, s.Phase)
	if s.Phase == facts.PhaseOnboarding && s.Step != "" {
		fmt.Fprintf(&b, " (%s)", s.Step)
	}
	fmt.Fprintf(&b, "\n\n| | |\n|---|---|\n| status | %s |\n| plan | %s %s |\n| subscription | %s |\n| location token | %s |\n",
		orDash(s.Subscription.Status), orDash(s.Subscription.PlanID), s.Subscription.PlanTitle,
		orDash(s.Subscription.SubscriptionID), orDash(s.TokenStatus))
	c := s.Counts
	fmt.Fprintf(&b, "| events applied / parked / superseded / after uninstall / duplicates | %d / %d / %d / %d / %d |\n",
		c.Applied, c.Parked, c.Superseded, c.AfterUninstall, c.Duplicates)
	for _, p := range s.Parked {
		fmt.Fprintf(&b, "\n**Parked** `%s` (%s): %s\n", p.Event.EventID, p.Event.Kind, p.Error)
	}
	if r := s.Retrying; r != nil {
		fmt.Fprintf(&b, "\n**Retrying** `%s` (round %d, since %s): %s\n", r.EventID, r.Rounds, stamp(r.Since), r.Error)
	}
	fmt.Fprintf(&b, "\nNow: %s", now)
	return b.String()
}
