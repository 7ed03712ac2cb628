package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
)

// Onboarding is the first releases' onboarding workflow, which the location owner
// (Location) replaced; it stays registered so runs started before finish and replay.
// It confirms the install,
// mint and store a location token, enable SaaS, attach the subscription when one is
// given, and verify the result with two reads. Every step is one activity calling one
// endpoint. Running it again for the same location (a re-install) repeats no effect:
// enable-saas answers "already enabled" and the reads confirm the state.
func Onboarding(ctx workflow.Context, in OnboardingInput) (OnboardingResult, error) {
	o := &onboarding{in: in, ref: activities.LocationRef{CompanyID: in.CompanyID, LocationID: in.LocationID}}
	return o.run(ctx)
}

type onboarding struct {
	in     OnboardingInput
	ref    activities.LocationRef
	status OnboardingStatus
}

func (o *onboarding) run(ctx workflow.Context) (OnboardingResult, error) {
	if err := o.in.validate(); err != nil {
		return OnboardingResult{}, err
	}
	logger := workflow.GetLogger(ctx)
	if err := workflow.SetQueryHandlerWithOptions(ctx, StatusQuery, func() (OnboardingStatus, error) {
		return o.status, nil
	}, workflow.QueryHandlerOptions{Description: "Current onboarding step and the steps completed"}); err != nil {
		return OnboardingResult{}, err
	}

	// 1. The app must be installed at the location before anything is changed there.
	o.enter(ctx, StepConfirmInstall, "confirming the app is installed at the location")
	var inst activities.InstalledLocation
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: find location in installedLocations"),
		hl.GetInstalledLocation, o.ref).Get(ctx, &inst); err != nil {
		return OnboardingResult{}, err
	}
	if !inst.Found || !inst.IsInstalled {
		return OnboardingResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("the app is not installed at location %s of company %s", o.in.LocationID, o.in.CompanyID),
			ErrTypeNotInstalled, nil)
	}

	// 2. The location token goes into the encrypted store inside the activity; only
	// its expiry comes back into history.
	o.enter(ctx, StepMintLocationToken, "minting and storing a location token")
	var lt activities.LocationToken
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: mint location token"),
		hl.MintLocationToken, o.ref).Get(ctx, &lt); err != nil {
		return OnboardingResult{}, err
	}

	// 3. Enable SaaS. "Already enabled" is not trusted until step 5 reads it back.
	o.enter(ctx, StepEnableSaaS, "enabling SaaS mode")
	var enabled activities.EnableSaaSOutcome
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: enable SaaS"),
		hl.EnableSaaS, activities.EnableSaaSInput{LocationRef: o.ref, PlanID: o.in.PlanID, PriceID: o.in.PriceID},
	).Get(ctx, &enabled); err != nil {
		return OnboardingResult{}, err
	}
	o.status.AlreadyEnabled = enabled.AlreadyEnabled
	if enabled.AlreadyEnabled {
		logger.Info("SaaS was already enabled; will confirm by reading it back")
	}

	// 4. Attach the subscription when the trigger knows one.
	if o.in.HasSubscription() {
		o.enter(ctx, StepUpdateSubscription, "attaching subscription "+o.in.SubscriptionID)
		if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: update SaaS subscription"),
			hl.UpdateSaaSSubscription, activities.UpdateSubscriptionInput{
				LocationRef: o.ref, SubscriptionID: o.in.SubscriptionID, CustomerID: o.in.CustomerID,
			}).Get(ctx, nil); err != nil {
			return OnboardingResult{}, err
		}
	}

	// 5. Verify with two reads: the SaaS state and the install.
	o.enter(ctx, StepVerify, "verifying SaaS state and install")
	var sub activities.SaaSSubscription
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: read SaaS subscription"),
		hl.GetSaaSSubscription, o.ref).Get(ctx, &sub); err != nil {
		return OnboardingResult{}, err
	}
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: re-check install"),
		hl.GetInstalledLocation, o.ref).Get(ctx, &inst); err != nil {
		return OnboardingResult{}, err
	}
	if problems := verifyOnboarding(o.in, sub, inst); len(problems) > 0 {
		return OnboardingResult{}, temporal.NewNonRetryableApplicationError(
			"verification failed: "+strings.Join(problems, "; "), ErrTypeVerificationFailed, nil)
	}

	res := OnboardingResult{
		LocationID: o.in.LocationID, CompanyID: o.in.CompanyID, AlreadyEnabled: enabled.AlreadyEnabled,
		SaaSMode: sub.SaaSMode, PlanID: sub.PlanID, SubscriptionID: sub.SubscriptionID,
		SubscriptionStatus: sub.SubscriptionStatus,
	}

	// 6. Actionstep: the client, its subscription matter, the matter's data and a note.
	// Added after the first release: histories recorded before it replay without it.
	if workflow.GetVersion(ctx, "actionstep-provisioning", workflow.DefaultVersion, 1) == 1 {
		o.enter(ctx, StepActionstep, "recording the location in Actionstep")
		loc := activities.Location{LocationID: o.in.LocationID, CompanyID: o.in.CompanyID, Name: inst.Name, Address: inst.Address}
		sync := &actionstepSync{}
		if err := sync.provision(ctx, loc); err != nil {
			return res, err
		}
		data := activities.SubscriptionData{
			SubscriptionID: sub.SubscriptionID, CustomerID: sub.CustomerID, PlanID: sub.PlanID, Status: sub.SubscriptionStatus,
			Paused: sub.SubscriptionStatus == statusPaused, EventID: "onboarding/" + workflow.GetInfo(ctx).WorkflowExecution.RunID,
			EventSource: o.in.Trigger, ChangedAt: workflow.Now(ctx),
		}
		if err := sync.write(ctx, loc, data, onboardingNote(res)); err != nil {
			return res, err
		}
		res.Actionstep = sync.record
	}

	o.enter(ctx, StepDone, "onboarded")
	return res, nil
}

// enter records a step boundary in the three places the Web UI shows it: the
// OnboardingStep search attribute, the current details and the status query.
func (o *onboarding) enter(ctx workflow.Context, step, what string) {
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

func (o *onboarding) details(step, what string) string {
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

func (in OnboardingInput) validate() error {
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
