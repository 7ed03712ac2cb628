package workflows

import (
	"fmt"
	"maps"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
)

// AgencyOffboardingInput offboards an agency (HighLevel's agency-level UNINSTALL).
// After, Batch and Result are set by continue-as-new between batches.
type AgencyOffboardingInput struct {
	CompanyID  string    `json:"companyId"`
	EventID    string    `json:"eventId"`
	Source     string    `json:"source,omitempty"`
	OccurredAt time.Time `json:"occurredAt"`
	// After is the last location id of the batches done.
	After string `json:"after,omitempty"`
	// Batch is how many locations one run offboards (0 = default).
	Batch  int                     `json:"batch,omitempty"`
	Result AgencyOffboardingResult `json:"result"`
}

// AgencyOffboardingResult says what an agency offboarding did.
type AgencyOffboardingResult struct {
	CompanyID  string `json:"companyId"`
	Offboarded int    `json:"offboarded"`
	// Parked are the locations whose offboarding waits on an operator, with why.
	Parked           map[string]string `json:"parked,omitempty"`
	AgencyTokenGone  bool              `json:"agencyTokenGone"`
	BatchesCompleted int               `json:"batchesCompleted"`
}

// defaultAgencyBatch bounds the locations one run signals and waits for, so a run's
// history stays small whatever the agency's size.
const defaultAgencyBatch = 100

// AgencyOffboarding sends the uninstall to every location's owner, a batch per run,
// waits for each to be offboarded (a parked one is collected, never failing the rest:
// the owners are not its children, nothing terminates them), then deletes the agency
// token. A location offboarding on its own already takes the uninstall as a duplicate.
func AgencyOffboarding(ctx workflow.Context, in AgencyOffboardingInput) (AgencyOffboardingResult, error) {
	if in.CompanyID == "" || in.EventID == "" {
		return in.Result, temporal.NewNonRetryableApplicationError("invalid agency offboarding input: companyId and eventId are required", ErrTypeInvalidInput, nil)
	}
	if in.Batch <= 0 {
		in.Batch = defaultAgencyBatch
	}
	in.Result.CompanyID = in.CompanyID
	var page activities.AgencyPage
	if err := workflow.ExecuteActivity(withStore(ctx, "Facts: the agency's locations"), factsActs.AgencyLocations,
		activities.AgencyPageRequest{CompanyID: in.CompanyID, After: in.After, Limit: in.Batch}).Get(ctx, &page); err != nil {
		return in.Result, err
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Offboarding agency `%s`**: batch %d, %d locations (%d offboarded so far)",
		in.CompanyID, in.Result.BatchesCompleted+1, len(page.LocationIDs), in.Result.Offboarded))
	if err := offboardBatch(ctx, in, page.LocationIDs, &in.Result); err != nil {
		return in.Result, err
	}
	in.Result.BatchesCompleted++
	if page.Next != "" {
		in.After = page.Next
		return in.Result, workflow.NewContinueAsNewError(ctx, AgencyOffboardingWorkflowType, in)
	}
	if err := workflow.ExecuteActivity(withStore(ctx, "Token store: delete agency token"),
		creds.DeleteAgencyToken, in.CompanyID).Get(ctx, nil); err != nil {
		return in.Result, err
	}
	in.Result.AgencyTokenGone = true
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Offboarded agency `%s`**: %d locations, %d parked", in.CompanyID, in.Result.Offboarded, len(in.Result.Parked)))
	return in.Result, nil
}

// offboardBatch signals the uninstall to a batch of owners and waits until each is
// uninstalled or parked.
func offboardBatch(ctx workflow.Context, in AgencyOffboardingInput, locs []string, res *AgencyOffboardingResult) error {
	if len(locs) == 0 {
		return nil
	}
	batch := activities.UninstallBatch{CompanyID: in.CompanyID, LocationIDs: locs, EventID: in.EventID, Source: in.Source, OccurredAt: in.OccurredAt}
	if err := workflow.ExecuteActivity(withFanOut(ctx, "Signal the uninstall to the batch's owners"), owners.SignalUninstalls, batch).Get(ctx, nil); err != nil {
		return err
	}
	for pending := locs; len(pending) > 0; {
		var p activities.UninstallProgress
		if err := workflow.ExecuteActivity(withFanOut(ctx, fmt.Sprintf("Wait for %d owners to offboard", len(pending))), factsActs.AwaitUninstalled,
			activities.UninstallWait{LocationIDs: pending}).Get(ctx, &p); err != nil {
			return err
		}
		res.Offboarded += len(p.Done)
		if len(p.Parked) > 0 {
			if res.Parked == nil {
				res.Parked = map[string]string{}
			}
			maps.Copy(res.Parked, p.Parked)
		}
		pending = p.Pending
	}
	return nil
}
