package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
)

// LegacyOffboardingInput offboards one location (LocationID set) or a whole agency (only
// CompanyID set: HighLevel's agency-level UNINSTALL).
type LegacyOffboardingInput struct {
	CompanyID  string `json:"companyId"`
	LocationID string `json:"locationId,omitempty"`
	Trigger    string `json:"trigger,omitempty"`
}

// LegacyOffboardingResult records what an offboarding removed.
type LegacyOffboardingResult struct {
	CompanyID string `json:"companyId"`
	// Locations are the locations offboarded (one for a location uninstall).
	Locations []string `json:"locations"`
	// SubscriptionStopped is true when a running subscription entity was told.
	SubscriptionStopped bool `json:"subscriptionStopped,omitempty"`
	// MatterClosed is the Actionstep matter closed (a location offboarding).
	MatterClosed string `json:"matterClosed,omitempty"`
}

// LegacyOffboarding is the first releases' offboarding workflow (type
// LocationOffboarding), of a location, or of an agency with a child per location. The
// location owner and AgencyOffboarding replaced it; it stays registered so runs started
// before finish and replay.
func LegacyOffboarding(ctx workflow.Context, in LegacyOffboardingInput) (LegacyOffboardingResult, error) {
	if in.CompanyID == "" {
		return LegacyOffboardingResult{}, temporal.NewNonRetryableApplicationError("invalid offboarding input: companyId is required", ErrTypeInvalidInput, nil)
	}
	if in.LocationID != "" {
		return offboardLocation(ctx, in)
	}
	return offboardAgency(ctx, in)
}

func offboardLocation(ctx workflow.Context, in LegacyOffboardingInput) (LegacyOffboardingResult, error) {
	ref := activities.LocationRef{CompanyID: in.CompanyID, LocationID: in.LocationID}
	res := LegacyOffboardingResult{CompanyID: in.CompanyID, Locations: []string{in.LocationID}}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Offboarding location `%s`**\n\nNow: deleting its stored tokens", in.LocationID))
	if err := workflow.ExecuteActivity(withStore(ctx, "Token store: delete location token"),
		creds.DeleteLocationToken, ref).Get(ctx, nil); err != nil {
		return res, err
	}

	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Offboarding location `%s`**\n\nNow: ending its subscription workflow", in.LocationID))
	ev := LegacySubscriptionEvent{EventID: "uninstall/" + workflow.GetInfo(ctx).WorkflowExecution.RunID, Kind: EventUninstalled, Source: in.Trigger}
	err := workflow.SignalExternalWorkflow(ctx, LegacySubscriptionWorkflowID(in.LocationID), "", LegacySubscriptionSignal, ev).Get(ctx, nil)
	var notRunning *temporal.UnknownExternalWorkflowExecutionError
	switch {
	case err == nil:
		res.SubscriptionStopped = true
	case errors.As(err, &notRunning):
		// No subscription entity is running for this location: nothing to stop.
	default:
		return res, err
	}
	// Actionstep joined the flow after the first release (see GetVersion).
	if workflow.GetVersion(ctx, "actionstep-offboarding", workflow.DefaultVersion, 1) == 1 {
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Offboarding location `%s`**\n\nNow: closing its Actionstep matter", in.LocationID))
		matter, err := closeMatter(ctx, in)
		if err != nil {
			return res, err
		}
		res.MatterClosed = matter
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Offboarded location `%s`**", in.LocationID))
	return res, nil
}

// closeMatter notes the uninstall on the location's matter and closes it; a location
// that never reached Actionstep has nothing to close.
func closeMatter(ctx workflow.Context, in LegacyOffboardingInput) (string, error) {
	sync := &actionstepSync{}
	if err := sync.resolve(ctx); err != nil {
		return "", err
	}
	var matter activities.Found
	if err := workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: find the subscription matter"), as.FindMatter,
		activities.MatterRef{LocationID: in.LocationID, MatterTypeID: sync.setup.MatterTypeID}).Get(ctx, &matter); err != nil || matter.ID == "" {
		return "", err
	}
	sync.record.MatterID = matter.ID
	marker := "offboarding/" + workflow.GetInfo(ctx).WorkflowExecution.RunID
	if err := sync.note(ctx, fmt.Sprintf("App uninstalled from the HighLevel location (%s); matter closed.", orDash(in.Trigger)), marker); err != nil {
		return "", err
	}
	if matter.Status != matterClosed {
		if err := sync.setStatus(ctx, matterClosed); err != nil {
			return "", err
		}
	}
	return matter.ID, nil
}

func offboardAgency(ctx workflow.Context, in LegacyOffboardingInput) (LegacyOffboardingResult, error) {
	res := LegacyOffboardingResult{CompanyID: in.CompanyID}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Offboarding agency `%s`**\n\nNow: finding its locations", in.CompanyID))
	var locs []string
	if err := workflow.ExecuteActivity(withStore(ctx, "Token store: list the agency's locations"),
		creds.LocationsWithTokens, in.CompanyID).Get(ctx, &locs); err != nil {
		return res, err
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Offboarding agency `%s`**\n\nNow: offboarding %d locations", in.CompanyID, len(locs)))
	futures := make([]workflow.ChildWorkflowFuture, len(locs))
	for i, loc := range locs {
		child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:    LegacyOffboardingWorkflowID(loc),
			StaticSummary: "Offboard location " + loc,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				LocationIDAttr.ValueSet(loc), CompanyIDAttr.ValueSet(in.CompanyID)),
		})
		futures[i] = workflow.ExecuteChildWorkflow(child, LegacyOffboardingWorkflowType,
			LegacyOffboardingInput{CompanyID: in.CompanyID, LocationID: loc, Trigger: in.Trigger})
	}
	for i, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			return res, fmt.Errorf("offboard location %s: %w", locs[i], err)
		}
		res.Locations = append(res.Locations, locs[i])
	}
	if err := workflow.ExecuteActivity(withStore(ctx, "Token store: delete agency token"),
		creds.DeleteAgencyToken, in.CompanyID).Get(ctx, nil); err != nil {
		return res, err
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Offboarded agency `%s`** and %d locations", in.CompanyID, len(locs)))
	return res, nil
}
