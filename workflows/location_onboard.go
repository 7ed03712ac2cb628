package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/facts"
)

// install onboards the location, unless it is onboarded already or the install is older
// than the uninstall that followed it.
func (o *owner) install(ctx workflow.Context, ev LocationEvent) (result, error) {
	switch {
	case o.state.Phase == facts.PhaseUninstalled && !ev.OccurredAt.After(o.state.UninstalledAt):
		return outcome(facts.OutcomeAfterUninstall, fmt.Sprintf("older than the uninstall of %s", stamp(o.state.UninstalledAt))), nil
	case o.state.Phase == facts.PhaseActive:
		// Installed at that time too: an uninstall older than it (delivered late, after
		// a re-install that found the location still onboarded) must not undo it.
		o.state.InstalledAt = later(o.state.InstalledAt, ev.OccurredAt)
		if ev.hasSubscription() {
			// `starter onboard --subscription` on an onboarded location: the
			// subscription is a change like any other.
			return o.change(ctx, ev)
		}
		return outcome(facts.OutcomeApplied, "already onboarded"), nil
	}
	return o.onboard(ctx, ev)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// onboardStep is one step of an onboarding.
type onboardStep struct {
	name string
	run  func() (stop *result, err error)
}

// onboard runs the onboarding steps that this install has not done yet (a retried or
// re-driven install resumes where it stopped): confirm the install, mint and store a
// location token, enable SaaS, attach the subscription the install carries, verify,
// and record the location in Actionstep.
func (o *owner) onboard(ctx workflow.Context, ev LocationEvent) (result, error) {
	if o.state.Install == nil || o.state.Install.EventID != ev.EventID {
		before, installedBefore := o.state.Phase, o.state.InstalledAt
		if o.state.Install != nil && o.state.Install.Before != "" { // a parked install's: its phase is not the location's
			before, installedBefore = o.state.Install.Before, o.state.Install.InstalledBefore
		}
		o.state.Install = &installProgress{EventID: ev.EventID, Before: before, InstalledBefore: installedBefore}
	}
	back := o.state.Phase
	o.state.Phase, o.state.InstalledAt = facts.PhaseOnboarding, ev.OccurredAt
	ref := o.ref()
	p := o.state.Install
	var sub activities.SaaSSubscription
	withPlan := workflow.GetVersion(ctx, onboardingPlanChange, workflow.DefaultVersion, 1) == 1
	steps := []onboardStep{
		{StepConfirmInstall, func() (*result, error) { return o.confirmInstall(ctx, ref, back) }},
		{StepMintLocationToken, func() (*result, error) { return nil, o.mintLocationToken(ctx, ref) }},
	}
	if withPlan {
		steps = append(steps,
			onboardStep{StepReadProfile, func() (*result, error) { return nil, o.readProfile(ctx) }},
			onboardStep{StepChoosePlan, func() (*result, error) { return nil, o.chooseInitialPlan(ctx, ev) }})
	}
	steps = append(steps,
		onboardStep{StepEnableSaaS, func() (*result, error) { return nil, o.enableSaaS(ctx, ev, withPlan) }},
		onboardStep{StepUpdateSubscription, func() (*result, error) { return nil, o.attachSubscription(ctx, ev) }},
		onboardStep{StepVerify, func() (*result, error) { return nil, o.verifyOnboarding(ctx, ev, withPlan, &sub) }},
		onboardStep{StepActionstep, func() (*result, error) { return nil, o.recordInActionstep(ctx, ev, withPlan) }},
	)
	for _, step := range steps {
		if slices.Contains(p.Done, step.name) {
			continue
		}
		o.enterStep(ctx, step.name)
		stop, err := step.run()
		if err != nil && step.name != StepConfirmInstall && parks(err) {
			stop, err = o.overtaken(ctx, ref, back, err)
		}
		if stop != nil {
			return *stop, nil
		}
		if err != nil {
			return result{}, err
		}
		p.Done = append(p.Done, step.name)
	}
	if !withPlan {
		o.onboarded(ctx, ev)
		return applied, nil
	}
	summary := initialPlanSummary(p, ev, o.state.Subscription, workflow.Now(ctx))
	o.onboarded(ctx, ev)
	o.state.InitialPlan = summary
	return result{outcome: facts.OutcomeApplied, message: "initial subscription: " + summary}, nil
}

// onboarded makes the location active and queues the changes that waited for it, oldest
// first, ahead of everything else.
func (o *owner) onboarded(ctx workflow.Context, ev LocationEvent) {
	s := &o.state
	s.Phase, s.Install, s.OnboardedAt = facts.PhaseActive, nil, workflow.Now(ctx)
	o.enterStep(ctx, StepDone)
	if ev.hasSubscription() {
		o.setFieldAt(fieldSubscription, ev)
	}
	deferred := slices.Clone(s.Deferred)
	slices.SortStableFunc(deferred, func(a, b LocationEvent) int { return a.OccurredAt.Compare(b.OccurredAt) })
	s.Deferred = nil
	for i, d := range deferred {
		o.queue = slices.Insert(o.queue, i, QueuedEvent{Event: d})
	}
}

func (o *owner) ref() activities.LocationRef {
	return activities.LocationRef{CompanyID: o.state.CompanyID, LocationID: o.state.LocationID}
}

// confirmInstall: the app must be installed at the location before anything changes
// there. When it is not, the install ends as not-installed and the phase goes back.
func (o *owner) confirmInstall(ctx workflow.Context, ref activities.LocationRef, back string) (*result, error) {
	var inst activities.InstalledLocation
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: find location in installedLocations"),
		hl.GetInstalledLocation, ref).Get(ctx, &inst); err != nil {
		return nil, err
	}
	if !inst.Found || !inst.IsInstalled {
		return o.notInstalled(ctx, back, fmt.Sprintf("HighLevel says the app is not installed at location %s", ref.LocationID)), nil
	}
	o.state.Install.Name, o.state.Install.Address = inst.Name, inst.Address
	o.state.Name = inst.Name
	return nil, nil
}

// installOvertakenChange: a step of an install that fails for good reads the install
// again (overtaken).
const installOvertakenChange = "install-overtaken"

// overtaken: a step that fails for good after the install was confirmed may have been
// overtaken by an uninstall in HighLevel whose webhook is not here yet (HighLevel no
// longer mints a token, the verification no longer finds the app). The install is read
// again; if the app is gone, the install ends as not-installed, as if its confirmation
// had found it so, and the token it minted is deleted. If the app is still there, the
// step's failure stands and parks the event; if the re-check itself fails (an outage),
// its error is the event's, so the event is retried whole rather than parked.
func (o *owner) overtaken(ctx workflow.Context, ref activities.LocationRef, back string, stepErr error) (*result, error) {
	if workflow.GetVersion(ctx, installOvertakenChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil, stepErr
	}
	var inst activities.InstalledLocation
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: re-check install"), hl.GetInstalledLocation, ref).Get(ctx, &inst); err != nil {
		return nil, err
	}
	if inst.Found && inst.IsInstalled {
		return nil, stepErr
	}
	if err := workflow.ExecuteActivity(withStore(ctx, "Token store: delete location token"), creds.DeleteLocationToken, ref).Get(ctx, nil); err != nil {
		return nil, err
	}
	o.state.TokenStatus = activities.TokenMissing
	return o.notInstalled(ctx, back, fmt.Sprintf("HighLevel says the app was uninstalled from location %s during its onboarding", ref.LocationID)), nil
}

// installBeforeChange: a not-installed install puts the location back in the phase it
// had before the install began, not before the current round.
const installBeforeChange = "install-phase-before"

// notInstalled ends the install as not-installed and puts the location's phase back:
// to back (the phase before this round) in the first releases; since
// installBeforeChange, to the phase before the install (a round retried after an
// outage found the location onboarding, and the owner would have waited as one
// forever), and InstalledAt too (an uninstall older than this install, which installed
// nothing, still applies).
func (o *owner) notInstalled(ctx workflow.Context, back, message string) *result {
	if p := o.state.Install; p.Before != "" && workflow.GetVersion(ctx, installBeforeChange, workflow.DefaultVersion, 1) == 1 {
		back, o.state.InstalledAt = p.Before, p.InstalledBefore
	}
	o.state.Phase, o.state.Install, o.state.Step = back, nil, ""
	r := outcome(facts.OutcomeNotInstalled, message)
	return &r
}

// mintLocationToken mints a location token; the token goes into the encrypted store
// inside the activity, only its expiry comes back into history. A location that is not
// active (paused by its billing: a re-install after a cancellation) is onboarded all
// the same; its token is minted once it is active again (adjustLocationToken).
func (o *owner) mintLocationToken(ctx workflow.Context, ref activities.LocationRef) error {
	var lt activities.LocationToken
	err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: mint location token"), hl.MintLocationToken, ref).Get(ctx, &lt)
	switch {
	case err == nil:
		o.state.TokenStatus = activities.TokenActive
	case errorType(err) == activities.ErrTypeLocationSuspended:
		o.state.TokenStatus, err = activities.TokenSuspended, nil
	}
	return err
}

// enableSaaS enables SaaS mode, pre-configuring the subscription on the chosen plan
// (withPlan; the install's plan as given before onboardingPlanChange). "Already
// enabled" is not trusted until verify reads it back.
func (o *owner) enableSaaS(ctx workflow.Context, ev LocationEvent, withPlan bool) error {
	in := activities.EnableSaaSInput{LocationRef: o.ref(), PlanID: ev.PlanID, PriceID: ev.PriceID}
	if withPlan {
		in.PlanID, in.PriceID = o.state.Install.Plan.PlanID, o.state.Install.Plan.PriceID
	}
	var enabled activities.EnableSaaSOutcome
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: enable SaaS"), hl.EnableSaaS, in).Get(ctx, &enabled); err != nil {
		return err
	}
	o.state.Install.AlreadyEnabled = enabled.AlreadyEnabled
	return nil
}

// attachSubscription attaches the subscription the install carries, if any.
func (o *owner) attachSubscription(ctx workflow.Context, ev LocationEvent) error {
	if !ev.hasSubscription() {
		return nil
	}
	return workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: update SaaS subscription"), hl.UpdateSaaSSubscription,
		activities.UpdateSaaSSubscriptionInput{LocationRef: o.ref(), SubscriptionID: ev.SubscriptionID, CustomerID: ev.CustomerID}).Get(ctx, nil)
}

// verifyOnboarding reads the SaaS state and the install back and compares them with
// what the install asked for.
func (o *owner) verifyOnboarding(ctx workflow.Context, ev LocationEvent, withPlan bool, sub *activities.SaaSSubscription) error {
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: read SaaS subscription"), hl.GetSaaSSubscription, o.ref()).Get(ctx, sub); err != nil {
		return err
	}
	var inst activities.InstalledLocation
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: re-check install"), hl.GetInstalledLocation, o.ref()).Get(ctx, &inst); err != nil {
		return err
	}
	in := LegacyOnboardingInput{PlanID: ev.PlanID, SubscriptionID: ev.SubscriptionID, CustomerID: ev.CustomerID}
	if withPlan {
		in.PlanID = o.state.Install.expectedPlan()
	}
	if problems := onboardingProblems(in, *sub, inst); len(problems) > 0 {
		return temporal.NewNonRetryableApplicationError("verification failed: "+strings.Join(problems, "; "), ErrTypeVerificationFailed, nil)
	}
	o.state.Subscription = subscriptionFacts(*sub, o.state.Subscription.PlanTitle)
	return nil
}

// recordInActionstep finds or creates the client, its matter and record, writes the
// subscription and notes the onboarding (the note's marker is the install's event id).
func (o *owner) recordInActionstep(ctx workflow.Context, ev LocationEvent, withPlan bool) error {
	in := o.state.Install
	loc := activities.Location{LocationID: o.state.LocationID, CompanyID: o.state.CompanyID,
		Name: in.Name, Address: in.Address, Email: in.Email, Phone: in.Phone, Website: in.Website}
	s := o.state.Subscription
	data := activities.SubscriptionData{SubscriptionID: s.SubscriptionID, CustomerID: s.CustomerID, PlanID: s.PlanID,
		Status: s.Status, Paused: s.Paused, EventID: ev.EventID, EventSource: ev.Source, ChangedAt: ev.OccurredAt}
	sync := o.actionstep()
	sync.subscription = data
	sync.reopen = !o.state.UninstalledAt.IsZero() // the uninstall closed the matter it knows
	if err := sync.provision(ctx, loc); err != nil {
		o.keepActionstep(sync)
		return err
	}
	o.keepActionstep(sync)
	note := onboardingNote(LegacyOnboardingResult{SaaSMode: s.SaaSMode, PlanID: s.PlanID, SubscriptionID: s.SubscriptionID,
		SubscriptionStatus: s.Status, AlreadyEnabled: in.AlreadyEnabled})
	if withPlan {
		note += " Initial subscription: " + initialPlanSummary(in, ev, s, workflow.Now(ctx)) + "."
	}
	return sync.write(ctx, loc, data, note)
}

// actionstep is the owner's Actionstep sync, starting from what it knows.
func (o *owner) actionstep() *actionstepSync {
	return &actionstepSync{setup: o.state.ActionstepSetup, record: o.state.ActionstepRecord}
}

// keepActionstep keeps what a sync resolved and found, even when it failed half way, so
// a retry looks up only what is still missing.
func (o *owner) keepActionstep(s *actionstepSync) {
	o.state.ActionstepSetup, o.state.ActionstepRecord = s.setup, s.record
}

// enterStep records an onboarding step in the OnboardingStep search attribute, the
// current details and the state.
func (o *owner) enterStep(ctx workflow.Context, step string) {
	o.state.Step = step
	if err := workflow.UpsertTypedSearchAttributes(ctx, OnboardingStepAttr.ValueSet(step), LocationPhaseAttr.ValueSet(o.state.Phase)); err != nil {
		workflow.GetLogger(ctx).Warn("could not upsert OnboardingStep", "error", err)
	}
	workflow.SetCurrentDetails(ctx, o.details("onboarding: "+step))
}
