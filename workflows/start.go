package workflows

import (
	"context"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// StepQueued is the OnboardingStep of a run that has not started its first step.
const StepQueued = "queued"

// OnboardingStartOptions are the one set of start options for onboarding, whoever
// triggers it:
//   - a trigger while a run is in flight joins it (USE_EXISTING) instead of failing,
//     so a webhook redelivery and a CLI run never race two onboardings;
//   - a trigger after a run closed starts a new run (ALLOW_DUPLICATE): a re-install
//     must run again, and every step is idempotent, so nothing is applied twice.
func OnboardingStartOptions(in OnboardingInput) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       OnboardingWorkflowID(in.LocationID),
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			LocationIDAttr.ValueSet(in.LocationID),
			CompanyIDAttr.ValueSet(in.CompanyID),
			OnboardingStepAttr.ValueSet(StepQueued),
		),
		StaticSummary: "Onboard location " + in.LocationID,
		StaticDetails: onboardingDetails(in),
	}
}

// onboardingDetails is the Markdown shown under the summary: ids only, no PII.
func onboardingDetails(in OnboardingInput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Onboard HighLevel location `%s` of company `%s`", in.LocationID, in.CompanyID)
	if in.Trigger != "" {
		fmt.Fprintf(&b, ", triggered by %s", in.Trigger)
	}
	b.WriteString(".\n\n")
	if in.PlanID != "" {
		fmt.Fprintf(&b, "- SaaS plan: `%s`\n", in.PlanID)
	}
	if in.HasSubscription() {
		fmt.Fprintf(&b, "- Subscription: `%s`\n", in.SubscriptionID)
	} else {
		b.WriteString("- No subscription given: the subscription step is skipped\n")
	}
	return b.String()
}

// StartOnboarding starts (or joins) the onboarding of in.LocationID.
func StartOnboarding(ctx context.Context, c client.Client, in OnboardingInput) (client.WorkflowRun, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	run, err := c.ExecuteWorkflow(ctx, OnboardingStartOptions(in), OnboardingWorkflowType, in)
	if err != nil {
		return nil, fmt.Errorf("start onboarding of %s: %w", in.LocationID, err)
	}
	return run, nil
}
