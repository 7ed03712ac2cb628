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

// SubscriptionStartOptions are the start options of a location's subscription entity
// when an event arrives and none runs. A closed entity (the location was uninstalled)
// may start again on a re-install: ALLOW_DUPLICATE.
func SubscriptionStartOptions(locationID, companyID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                    SubscriptionWorkflowID(locationID),
		TaskQueue:             TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			LocationIDAttr.ValueSet(locationID),
			CompanyIDAttr.ValueSet(companyID),
		),
		StaticSummary: "Subscription of location " + locationID,
		StaticDetails: fmt.Sprintf("Applies every subscription change of HighLevel location `%s` (company `%s`), one at a time, in arrival order.", locationID, companyID),
	}
}

// SignalSubscription delivers ev to the location's subscription entity, starting it
// if it is not running (SignalWithStart is atomic: no event can fall between a
// check and a start).
func SignalSubscription(ctx context.Context, c client.Client, locationID, companyID string, ev SubscriptionEvent) (client.WorkflowRun, error) {
	if locationID == "" || companyID == "" || ev.EventID == "" || ev.Kind == "" {
		return nil, fmt.Errorf("signal subscription: locationId, companyId, eventId and kind are required")
	}
	run, err := c.SignalWithStartWorkflow(ctx, SubscriptionWorkflowID(locationID), SubscriptionSignal, ev,
		SubscriptionStartOptions(locationID, companyID), SubscriptionWorkflowType,
		SubscriptionInput{LocationID: locationID, CompanyID: companyID})
	if err != nil {
		return nil, fmt.Errorf("signal subscription of %s: %w", locationID, err)
	}
	return run, nil
}

// StartOffboarding starts (or joins) the offboarding of a location or, with no
// LocationID, of a whole agency.
func StartOffboarding(ctx context.Context, c client.Client, in OffboardingInput) (client.WorkflowRun, error) {
	if in.CompanyID == "" {
		return nil, fmt.Errorf("start offboarding: companyId is required")
	}
	id, summary := OffboardingWorkflowID(in.LocationID), "Offboard location "+in.LocationID
	attrs := []temporal.SearchAttributeUpdate{CompanyIDAttr.ValueSet(in.CompanyID)}
	if in.LocationID == "" {
		id, summary = AgencyOffboardingWorkflowID(in.CompanyID), "Offboard agency "+in.CompanyID
	} else {
		attrs = append(attrs, LocationIDAttr.ValueSet(in.LocationID))
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(attrs...),
		StaticSummary:            summary,
	}, OffboardingWorkflowType, in)
	if err != nil {
		return nil, fmt.Errorf("start offboarding %s: %w", id, err)
	}
	return run, nil
}
