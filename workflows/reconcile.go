package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
)

// Reconciliation phases: first the installed locations, then the SaaS subscriptions.
const (
	phaseInstalled = "installed"
	phaseSaaS      = "saas"
)

// ReconcileInput starts a reconciliation. The schedule starts it empty: it then lists
// the connected agencies and reconciles each in a child workflow. The cursor fields
// are set by continue-as-new, which runs between pages so a run's work is bounded.
type ReconcileInput struct {
	CompanyID string          `json:"companyId,omitempty"`
	Phase     string          `json:"phase,omitempty"`
	Skip      int             `json:"skip,omitempty"`
	Page      int             `json:"page,omitempty"`
	Totals    ReconcileTotals `json:"totals"`
}

// ReconcileTotals counts what a reconciliation found and did.
type ReconcileTotals struct {
	Installed int `json:"installed"`
	// OnboardingsStarted counts the installs sent to owners of locations not onboarded.
	OnboardingsStarted int `json:"onboardingsStarted"`
	SaaSLocations      int `json:"saasLocations"`
	// SubscriptionsSynced counts the checks sent to owners whose subscription drifted.
	SubscriptionsSynced int `json:"subscriptionsSynced"`
	Agencies            int `json:"agencies,omitempty"`
}

// ReconcileWorkflowID names an agency's reconciliation (one at a time per agency).
func ReconcileWorkflowID(companyID string) string { return "reconcile/" + companyID }

// Reconcile finds what webhooks missed (docs/architecture.md): an installed location
// not onboarded gets an install, and an onboarded location whose subscription in
// HighLevel differs from the last one applied gets a check, each sent to the location's
// owner.
func Reconcile(ctx workflow.Context, in ReconcileInput) (ReconcileTotals, error) {
	if in.CompanyID == "" {
		return reconcileAll(ctx)
	}
	if in.Phase == "" {
		in.Phase, in.Page = phaseInstalled, 1
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Reconciling agency `%s`**\n\nphase %s, installed offset %d, SaaS page %d\n\nso far: %+v",
		in.CompanyID, in.Phase, in.Skip, in.Page, in.Totals))

	next := in
	switch in.Phase {
	case phaseInstalled:
		var page activities.InstalledPage
		if err := workflow.ExecuteActivity(withHighLevel(ctx, fmt.Sprintf("HighLevel: installed locations from %d", in.Skip)),
			hl.ListInstalledLocations, activities.InstalledPageRequest{CompanyID: in.CompanyID, Skip: in.Skip}).Get(ctx, &page); err != nil {
			return in.Totals, err
		}
		var started []string
		if err := workflow.ExecuteActivity(withOrchestration(ctx, "Start onboardings that never ran"),
			reconciler.StartMissingOnboardings, activities.MissingOnboardings{CompanyID: in.CompanyID, LocationIDs: page.Installed}).Get(ctx, &started); err != nil {
			return in.Totals, err
		}
		next.Totals.Installed += len(page.Installed)
		next.Totals.OnboardingsStarted += len(started)
		if page.Next > 0 {
			next.Skip = page.Next
		} else {
			next.Phase, next.Skip = phaseSaaS, 0
		}
	case phaseSaaS:
		var page activities.SaaSPage
		if err := workflow.ExecuteActivity(withHighLevel(ctx, fmt.Sprintf("HighLevel: SaaS locations page %d", in.Page)),
			hl.ListSaaSLocations, activities.SaaSPageRequest{CompanyID: in.CompanyID, Page: in.Page}).Get(ctx, &page); err != nil {
			return in.Totals, err
		}
		var signaled []string
		if err := workflow.ExecuteActivity(withOrchestration(ctx, "Signal subscriptions that drifted"),
			reconciler.SignalDrifted, activities.DriftCheck{
				CompanyID: in.CompanyID, Locations: page.Locations,
				EventPrefix: fmt.Sprintf("reconcile/%s/", workflow.GetInfo(ctx).WorkflowExecution.RunID),
			}).Get(ctx, &signaled); err != nil {
			return in.Totals, err
		}
		next.Totals.SaaSLocations += len(page.Locations)
		next.Totals.SubscriptionsSynced += len(signaled)
		if !page.HasNext {
			workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Reconciled agency `%s`**: %+v", in.CompanyID, next.Totals))
			return next.Totals, nil
		}
		next.Page = in.Page + 1
	default:
		return in.Totals, temporal.NewNonRetryableApplicationError("unknown reconciliation phase "+in.Phase, ErrTypeInvalidInput, nil)
	}
	// One page per run: the history stays small however many locations there are.
	return in.Totals, workflow.NewContinueAsNewError(ctx, ReconcileWorkflowType, next)
}

func reconcileAll(ctx workflow.Context) (ReconcileTotals, error) {
	var companies []string
	if err := workflow.ExecuteActivity(withStore(ctx, "Token store: list connected agencies"), creds.ConnectedAgencies).Get(ctx, &companies); err != nil {
		return ReconcileTotals{}, err
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Reconciling %d agencies**", len(companies)))
	futures := make([]workflow.ChildWorkflowFuture, len(companies))
	for i, company := range companies {
		child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            ReconcileWorkflowID(company),
			StaticSummary:         "Reconcile agency " + company,
			TypedSearchAttributes: temporal.NewSearchAttributes(CompanyIDAttr.ValueSet(company)),
		})
		futures[i] = workflow.ExecuteChildWorkflow(child, ReconcileWorkflowType, ReconcileInput{CompanyID: company})
	}
	total := ReconcileTotals{Agencies: len(companies)}
	var firstErr error
	for i, f := range futures {
		var t ReconcileTotals
		if err := f.Get(ctx, &t); err != nil {
			// One agency's failure (a dead token) must not hide the others' work.
			workflow.GetLogger(ctx).Warn("agency reconciliation failed", "companyId", companies[i], "error", err)
			if firstErr == nil {
				firstErr = fmt.Errorf("reconcile agency %s: %w", companies[i], err)
			}
			continue
		}
		total.Installed += t.Installed
		total.OnboardingsStarted += t.OnboardingsStarted
		total.SaaSLocations += t.SaaSLocations
		total.SubscriptionsSynced += t.SubscriptionsSynced
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**Reconciled %d agencies**: %+v", len(companies), total))
	return total, firstErr
}
