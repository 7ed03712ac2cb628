package workflows

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/saasbridge/saasbridge/activities"
)

// Orchestrator implements activities.Orchestrator with a Temporal client, using the
// same start helpers as the starter.
type Orchestrator struct {
	Client client.Client
}

var _ activities.Orchestrator = Orchestrator{}

// EnsureOnboarding starts onboarding when the location never had one. A location
// whose onboarding failed is left to an operator: re-running it every interval would
// repeat the failure, not fix it.
func (o Orchestrator) EnsureOnboarding(ctx context.Context, companyID, locationID, trigger string) (bool, error) {
	_, err := o.Client.DescribeWorkflow(ctx, OnboardingWorkflowID(locationID), "")
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		return false, nil
	case !errors.As(err, &notFound):
		return false, err
	}
	if _, err := StartOnboarding(ctx, o.Client, OnboardingInput{LocationID: locationID, CompanyID: companyID, Trigger: trigger}); err != nil {
		return false, err
	}
	return true, nil
}

// NeedsCheck compares HighLevel's subscription state with the entity's last applied
// one. An entity that ended because the app was uninstalled needs nothing.
func (o Orchestrator) NeedsCheck(ctx context.Context, hl activities.SaaSState) (bool, error) {
	v, err := o.Client.QueryWorkflow(ctx, SubscriptionWorkflowID(hl.LocationID), "", StatusQuery)
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return true, nil
	case err != nil:
		return false, err
	}
	var st SubscriptionState
	if err := v.Get(&st); err != nil {
		return false, fmt.Errorf("decode the subscription state of %s: %w", hl.LocationID, err)
	}
	if st.Uninstalled {
		return false, nil
	}
	return st.SubscriptionID != hl.SubscriptionID || st.PlanID != hl.PlanID || st.Status != hl.Status, nil
}

// SignalCheck signals (or starts) the entity with a check event.
func (o Orchestrator) SignalCheck(ctx context.Context, companyID, locationID, eventID, source string) error {
	_, err := SignalSubscription(ctx, o.Client, locationID, companyID, SubscriptionEvent{EventID: eventID, Kind: EventCheck, Source: source})
	return err
}
