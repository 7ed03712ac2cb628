package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/activities"
)

// Orchestrator implements activities.Orchestrator with a Temporal client, using the
// same start helpers as the starter.
type Orchestrator struct {
	Client client.Client
}

var _ activities.Orchestrator = Orchestrator{}

func (o Orchestrator) signal(ctx context.Context, companyID, locationID, kind string, ev activities.OwnerEvent) error {
	_, err := SignalLocation(ctx, o.Client, locationID, companyID, LocationEvent{
		EventID: ev.EventID, Kind: kind, Source: ev.Source, OccurredAt: ev.OccurredAt,
	})
	return err
}

// SignalInstall sends an install to the location's owner.
func (o Orchestrator) SignalInstall(ctx context.Context, companyID, locationID string, ev activities.OwnerEvent) error {
	return o.signal(ctx, companyID, locationID, EventInstall, ev)
}

// SignalCheck sends a check to the location's owner.
func (o Orchestrator) SignalCheck(ctx context.Context, companyID, locationID string, ev activities.OwnerEvent) error {
	return o.signal(ctx, companyID, locationID, EventCheck, ev)
}

// SignalUninstall sends an uninstall to the location's owner.
func (o Orchestrator) SignalUninstall(ctx context.Context, companyID, locationID string, ev activities.OwnerEvent) error {
	return o.signal(ctx, companyID, locationID, EventUninstall, ev)
}

// handoverEventID is the event that ends a first-release subscription entity when its
// location's owner takes over.
const handoverEventID = "handover/location-owner"

// AdoptLegacy reads what the first releases' workflows of a location knew. While one
// of them runs it fails retryably (a running subscription entity is asked to end first),
// so the owner never acts beside them.
func (o Orchestrator) AdoptLegacy(ctx context.Context, locationID string) (activities.LegacyState, error) {
	var st activities.LegacyState
	onboarded, err := o.closedAt(ctx, LegacyOnboardingWorkflowID(locationID), "", &st)
	if err != nil {
		return st, err
	}
	offboarded, err := o.closedAt(ctx, LegacyOffboardingWorkflowID(locationID), "", nil)
	if err != nil {
		return st, err
	}
	st.Onboarded = !onboarded.IsZero() && onboarded.After(offboarded)
	st.Uninstalled = !offboarded.IsZero() && !offboarded.Before(onboarded)
	if _, err := o.closedAt(ctx, LegacySubscriptionWorkflowID(locationID), handoverEventID, &st); err != nil {
		return st, err
	}
	return st, nil
}

// closedAt returns when the workflow closed successfully (zero if it never ran or did
// not complete), reading its result into st. A running one is asked to end with the
// handover event when one is given, and reported as still running.
func (o Orchestrator) closedAt(ctx context.Context, workflowID, handover string, st *activities.LegacyState) (time.Time, error) {
	desc, err := o.Client.DescribeWorkflow(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("describe %s: %w", workflowID, err)
	}
	info := desc.RawResponse.GetWorkflowExecutionInfo()
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		if handover != "" {
			ev := LegacySubscriptionEvent{EventID: handover, Kind: EventUninstalled, Source: "handed over to the location owner"}
			if err := o.Client.SignalWorkflow(ctx, workflowID, "", LegacySubscriptionSignal, ev); err != nil {
				return time.Time{}, fmt.Errorf("hand %s over: %w", workflowID, err)
			}
		}
		return time.Time{}, temporal.NewApplicationErrorWithOptions(workflowID+" still runs; the location's owner waits for it",
			ErrTypeLegacyRunning, temporal.ApplicationErrorOptions{NextRetryDelay: 5 * time.Second})
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
	default:
		return time.Time{}, nil
	}
	if st != nil {
		if err := o.readLegacyResult(ctx, workflowID, info.GetType().GetName(), st); err != nil {
			return time.Time{}, err
		}
	}
	return info.GetCloseTime().AsTime(), nil
}

func (o Orchestrator) readLegacyResult(ctx context.Context, workflowID, workflowType string, st *activities.LegacyState) error {
	run := o.Client.GetWorkflow(ctx, workflowID, "")
	switch workflowType {
	case LegacyOnboardingWorkflowType:
		var r LegacyOnboardingResult
		if err := run.Get(ctx, &r); err != nil {
			return fmt.Errorf("read the result of %s: %w", workflowID, err)
		}
		st.ParticipantID, st.MatterID, st.RecordID = r.Actionstep.ParticipantID, r.Actionstep.MatterID, r.Actionstep.RecordID
		st.SubscriptionID, st.PlanID, st.Status, st.SaaSMode = r.SubscriptionID, r.PlanID, r.SubscriptionStatus, r.SaaSMode
	case LegacySubscriptionWorkflowType:
		var s LegacySubscriptionState
		if err := run.Get(ctx, &s); err != nil {
			return fmt.Errorf("read the result of %s: %w", workflowID, err)
		}
		st.SubscriptionID, st.CustomerID, st.PlanID, st.PlanTitle = s.SubscriptionID, s.CustomerID, s.PlanID, s.PlanTitle
		st.Status, st.SaaSMode, st.Paused, st.Recent = s.Status, s.SaaSMode, s.Paused, s.Recent
		st.MatterTypeID, st.ClientTypeID, st.DataCollectionID = s.ActionstepSetup.MatterTypeID, s.ActionstepSetup.ClientTypeID, s.ActionstepSetup.DataCollectionID
		if s.ActionstepRecord.RecordID != "" {
			st.ParticipantID, st.MatterID, st.RecordID = s.ActionstepRecord.ParticipantID, s.ActionstepRecord.MatterID, s.ActionstepRecord.RecordID
		}
	}
	return nil
}
