package workflows

import (
	"fmt"

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
