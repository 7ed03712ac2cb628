package workflows

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/facts"
)

// StepQueued is the OnboardingStep of a run that has not started its first step.
const StepQueued = "queued"

// LocationStartOptions are the one set of start options of a location's owner,
// whoever triggers it:
//   - a trigger while the owner runs reaches it (signals join; Update-with-Start uses
//     the running execution: USE_EXISTING);
//   - a trigger after it closed starts a new run (ALLOW_DUPLICATE), which resumes from
//     the store's facts: a late event for an uninstalled location is recorded and
//     dropped there, a newer install onboards it again.
func LocationStartOptions(locationID, companyID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       LocationWorkflowID(locationID),
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			LocationIDAttr.ValueSet(locationID),
			CompanyIDAttr.ValueSet(companyID),
			LocationPhaseAttr.ValueSet(facts.PhaseNew),
		),
		Priority:      agencyFairness(companyID),
		StaticSummary: "Location " + locationID,
		StaticDetails: fmt.Sprintf("Owns every effect on HighLevel location `%s` (company `%s`) and its Actionstep records: onboarding, subscription changes, offboarding, one event at a time.", locationID, companyID),
	}
}

// agencyFairness makes the agency the fairness key of a workflow and, by inheritance,
// of its activities: with matching's fairness on (matching.enableFairness, as make dev,
// the e2e server and the cluster set it), a task queue serves the agencies in turn
// rather than first come first served, so one agency installing hundreds of locations
// does not hold back the first steps of another's (docs/architecture.md, "Pacing").
// Without it the key is ignored.
func agencyFairness(companyID string) temporal.Priority {
	return temporal.Priority{FairnessKey: companyID}
}

func checkEvent(locationID, companyID string, ev LocationEvent) error {
	if locationID == "" || companyID == "" {
		return fmt.Errorf("location event: locationId and companyId are required")
	}
	return validateEvent(ev)
}

// SignalLocation delivers ev to the location's owner, starting it if it is not running
// (SignalWithStart is atomic: no event can fall between a check and a start).
func SignalLocation(ctx context.Context, c client.Client, locationID, companyID string, ev LocationEvent) (client.WorkflowRun, error) {
	if err := checkEvent(locationID, companyID, ev); err != nil {
		return nil, err
	}
	run, err := c.SignalWithStartWorkflow(ctx, LocationWorkflowID(locationID), LocationSignal, ev,
		LocationStartOptions(locationID, companyID), LocationWorkflowType,
		LocationInput{LocationID: locationID, CompanyID: companyID})
	if err != nil {
		return nil, fmt.Errorf("signal the owner of %s: %w", locationID, err)
	}
	return run, nil
}

// ApplyLocationEvent delivers ev to the location's owner with Update-with-Start and
// waits until it is handled: the caller gets its outcome and the state after it.
func ApplyLocationEvent(ctx context.Context, c client.Client, locationID, companyID string, ev LocationEvent) (EventResult, error) {
	if err := checkEvent(locationID, companyID, ev); err != nil {
		return EventResult{}, err
	}
	start := c.NewWithStartWorkflowOperation(LocationStartOptions(locationID, companyID), LocationWorkflowType,
		LocationInput{LocationID: locationID, CompanyID: companyID})
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: ApplyUpdate, Args: []any{ev}, WaitForStage: client.WorkflowUpdateStageAccepted,
		},
	})
	if err != nil {
		return EventResult{}, fmt.Errorf("send event %s to the owner of %s: %w", ev.EventID, locationID, err)
	}
	var r EventResult
	if err := h.Get(ctx, &r); err != nil {
		return EventResult{}, fmt.Errorf("event %s of %s: %w", ev.EventID, locationID, err)
	}
	return r, nil
}

// ResolveParked re-drives (or, with discard, drops) a parked event of a running owner
// and waits for its result.
func ResolveParked(ctx context.Context, c client.Client, locationID, eventID string, discard bool) (EventResult, error) {
	name := RedriveUpdate
	if discard {
		name = DiscardUpdate
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: LocationWorkflowID(locationID), UpdateName: name, Args: []any{eventID},
		WaitForStage: client.WorkflowUpdateStageAccepted,
	})
	if err != nil {
		return EventResult{}, fmt.Errorf("%s event %s of %s: %w", name, eventID, locationID, err)
	}
	var r EventResult
	if err := h.Get(ctx, &r); err != nil {
		return EventResult{}, fmt.Errorf("%s event %s of %s: %w", name, eventID, locationID, err)
	}
	return r, nil
}

// StartAgencyOffboarding starts (or joins) the offboarding of every location of an
// agency, then of the agency itself.
func StartAgencyOffboarding(ctx context.Context, c client.Client, in AgencyOffboardingInput) (client.WorkflowRun, error) {
	if in.CompanyID == "" || in.EventID == "" {
		return nil, fmt.Errorf("start agency offboarding: companyId and eventId are required")
	}
	if in.OccurredAt.IsZero() {
		in.OccurredAt = time.Now().UTC()
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       AgencyOffboardingWorkflowID(in.CompanyID),
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(CompanyIDAttr.ValueSet(in.CompanyID)),
		Priority:                 agencyFairness(in.CompanyID),
		StaticSummary:            "Offboard agency " + in.CompanyID,
	}, AgencyOffboardingWorkflowType, in)
	if err != nil {
		return nil, fmt.Errorf("start the offboarding of agency %s: %w", in.CompanyID, err)
	}
	return run, nil
}
