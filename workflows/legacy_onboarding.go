package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
)

// LegacyOnboarding is the first releases' onboarding workflow (type LocationOnboarding),
// which the location owner (Location) replaced; it stays registered so runs started
// before finish and replay. It confirms the install, mints and stores a location token,
// enables SaaS, attaches the subscription when one is given, and verifies the result
// with two reads. Every step is one activity calling one endpoint. Running it again for
// the same location (a re-install) repeats no effect: enable-saas answers "already
// enabled" and the reads confirm the state.
func LegacyOnboarding(ctx workflow.Context, in LegacyOnboardingInput) (LegacyOnboardingResult, error) {
	o := &legacyOnboarding{in: in, ref: activities.LocationRef{CompanyID: in.CompanyID, LocationID: in.LocationID}}
	return o.run(ctx)
}

type legacyOnboarding struct {
	in     LegacyOnboardingInput
	ref    activities.LocationRef
	status LegacyOnboardingStatus
}

// run is the onboarding, step by step; each step is one activity calling one
// endpoint, in the order the recorded histories replay.
func (o *legacyOnboarding) run(ctx workflow.Context) (LegacyOnboardingResult, error) {
	if err := o.in.validate(); err != nil {
		return LegacyOnboardingResult{}, err
	}
	if err := workflow.SetQueryHandlerWithOptions(ctx, StatusQuery, func() (LegacyOnboardingStatus, error) {
		return o.status, nil
	}, workflow.QueryHandlerOptions{Description: "Current onboarding step and the steps completed"}); err != nil {
		return LegacyOnboardingResult{}, err
	}
	var inst activities.InstalledLocation
	if err := o.confirmInstall(ctx, &inst); err != nil {
		return LegacyOnboardingResult{}, err
	}
	if err := o.mintLocationToken(ctx); err != nil {
		return LegacyOnboardingResult{}, err
	}
	if err := o.enableSaaS(ctx); err != nil {
		return LegacyOnboardingResult{}, err
	}
	if err := o.attachSubscription(ctx); err != nil {
		return LegacyOnboardingResult{}, err
	}
	sub, err := o.verify(ctx, &inst)
	if err != nil {
		return LegacyOnboardingResult{}, err
	}
	res := LegacyOnboardingResult{
		LocationID: o.in.LocationID, CompanyID: o.in.CompanyID, AlreadyEnabled: o.status.AlreadyEnabled,
		SaaSMode: sub.SaaSMode, PlanID: sub.PlanID, SubscriptionID: sub.SubscriptionID,
		SubscriptionStatus: sub.SubscriptionStatus,
	}
	// Actionstep was added after the first release: histories recorded before it replay
	// without it.
	if workflow.GetVersion(ctx, "actionstep-provisioning", workflow.DefaultVersion, 1) == 1 {
		if err := o.recordInActionstep(ctx, inst, sub, &res); err != nil {
			return res, err
		}
	}
	o.enter(ctx, StepDone, "onboarded")
	return res, nil
}

// confirmInstall is step 1: the app must be installed at the location before anything
// is changed there.
func (o *legacyOnboarding) confirmInstall(ctx workflow.Context, inst *activities.InstalledLocation) error {
	o.enter(ctx, StepConfirmInstall, "confirming the app is installed at the location")
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: find location in installedLocations"),
		hl.GetInstalledLocation, o.ref).Get(ctx, inst); err != nil {
		return err
	}
	if !inst.Found || !inst.IsInstalled {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("the app is not installed at location %s of company %s", o.in.LocationID, o.in.CompanyID),
			ErrTypeNotInstalled, nil)
	}
	return nil
}

// mintLocationToken is step 2. The location token goes into the encrypted store inside
// the activity; only its expiry comes back into history.
func (o *legacyOnboarding) mintLocationToken(ctx workflow.Context) error {
	o.enter(ctx, StepMintLocationToken, "minting and storing a location token")
	var lt activities.LocationToken
	return workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: mint location token"),
		hl.MintLocationToken, o.ref).Get(ctx, &lt)
}

// enableSaaS is step 3. "Already enabled" is not trusted until step 5 reads it back.
func (o *legacyOnboarding) enableSaaS(ctx workflow.Context) error {
	o.enter(ctx, StepEnableSaaS, "enabling SaaS mode")
	var enabled activities.EnableSaaSOutcome
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: enable SaaS"),
		hl.EnableSaaS, activities.EnableSaaSInput{LocationRef: o.ref, PlanID: o.in.PlanID, PriceID: o.in.PriceID},
	).Get(ctx, &enabled); err != nil {
		return err
	}
	o.status.AlreadyEnabled = enabled.AlreadyEnabled
	if enabled.AlreadyEnabled {
		workflow.GetLogger(ctx).Info("SaaS was already enabled; will confirm by reading it back")
	}
	return nil
}

// attachSubscription is step 4: attach the subscription when the trigger knows one.
func (o *legacyOnboarding) attachSubscription(ctx workflow.Context) error {
	if !o.in.HasSubscription() {
		return nil
	}
	o.enter(ctx, StepUpdateSubscription, "attaching subscription "+o.in.SubscriptionID)
	return workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: update SaaS subscription"),
		hl.UpdateSaaSSubscription, activities.UpdateSaaSSubscriptionInput{
			LocationRef: o.ref, SubscriptionID: o.in.SubscriptionID, CustomerID: o.in.CustomerID,
		}).Get(ctx, nil)
}

// verify is step 5: two reads, the SaaS state and the install (read again into inst).
func (o *legacyOnboarding) verify(ctx workflow.Context, inst *activities.InstalledLocation) (activities.SaaSSubscription, error) {
	o.enter(ctx, StepVerify, "verifying SaaS state and install")
	var sub activities.SaaSSubscription
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: read SaaS subscription"),
		hl.GetSaaSSubscription, o.ref).Get(ctx, &sub); err != nil {
		return sub, err
	}
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: re-check install"),
		hl.GetInstalledLocation, o.ref).Get(ctx, inst); err != nil {
		return sub, err
	}
	if problems := onboardingProblems(o.in, sub, *inst); len(problems) > 0 {
		return sub, temporal.NewNonRetryableApplicationError(
			"verification failed: "+strings.Join(problems, "; "), ErrTypeVerificationFailed, nil)
	}
	return sub, nil
}

// recordInActionstep is step 6: the client, its subscription matter, the matter's data
// and a note. It records where in res.
func (o *legacyOnboarding) recordInActionstep(ctx workflow.Context, inst activities.InstalledLocation,
	sub activities.SaaSSubscription, res *LegacyOnboardingResult) error {
	o.enter(ctx, StepActionstep, "recording the location in Actionstep")
	loc := activities.Location{LocationID: o.in.LocationID, CompanyID: o.in.CompanyID, Name: inst.Name, Address: inst.Address}
	sync := &actionstepSync{}
	if err := sync.provision(ctx, loc); err != nil {
		return err
	}
	data := activities.SubscriptionData{
		SubscriptionID: sub.SubscriptionID, CustomerID: sub.CustomerID, PlanID: sub.PlanID, Status: sub.SubscriptionStatus,
		Paused: sub.SubscriptionStatus == statusPaused, EventID: "onboarding/" + workflow.GetInfo(ctx).WorkflowExecution.RunID,
		EventSource: o.in.Trigger, ChangedAt: workflow.Now(ctx),
	}
	if err := sync.write(ctx, loc, data, onboardingNote(*res)); err != nil {
		return err
	}
	res.Actionstep = sync.record
	return nil
}

// enter records a step boundary in the three places the Web UI shows it: the
// OnboardingStep search attribute, the current details and the status query.
func (o *legacyOnboarding) enter(ctx workflow.Context, step, what string) {
	if o.status.Step != "" {
		o.status.CompletedSteps = append(o.status.CompletedSteps, o.status.Step)
	}
	o.status.Step = step
	if err := workflow.UpsertTypedSearchAttributes(ctx, OnboardingStepAttr.ValueSet(step)); err != nil {
		// Only fails if the attribute is not registered; progress matters more.
		workflow.GetLogger(ctx).Warn("could not upsert OnboardingStep", "error", err)
	}
	workflow.SetCurrentDetails(ctx, o.details(step, what))
}

var onboardingSteps = []string{StepConfirmInstall, StepMintLocationToken, StepEnableSaaS, StepUpdateSubscription, StepVerify, StepActionstep}

func (o *legacyOnboarding) details(step, what string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Onboarding location `%s`** (company `%s`)\n\n", o.in.LocationID, o.in.CompanyID)
	for _, s := range onboardingSteps {
		mark := "☐"
		switch {
		case s == step:
			mark = "▶"
		case slices.Contains(o.status.CompletedSteps, s) || step == StepDone:
			mark = "☑"
		case s == StepUpdateSubscription && !o.in.HasSubscription():
			mark = "–"
		}
		fmt.Fprintf(&b, "- %s %s\n", mark, s)
	}
	fmt.Fprintf(&b, "\nNow: %s", what)
	return b.String()
}

func (in LegacyOnboardingInput) validate() error {
	var missing []string
	if in.LocationID == "" {
		missing = append(missing, "locationId")
	}
	if in.CompanyID == "" {
		missing = append(missing, "companyId")
	}
	if (in.SubscriptionID == "") != (in.CustomerID == "") {
		missing = append(missing, "subscriptionId and customerId must be given together")
	}
	if len(missing) > 0 {
		return temporal.NewNonRetryableApplicationError("invalid onboarding input: "+strings.Join(missing, ", "),
			ErrTypeInvalidInput, nil)
	}
	return nil
}
