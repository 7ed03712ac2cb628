package workflows

// What a location's owner shows of itself: its search attributes and the details the
// Web UI renders. Both carry ids and states only, never PII.

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/internal/facts"
)

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

// showIdle shows the owner between events: what it waits for.
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
