package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Register registers every workflow under its pinned type name. The worker and the
// replay tests both call it, so they cannot drift apart.
func Register(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(Location, workflow.RegisterOptions{Name: LocationWorkflowType})
	r.RegisterWorkflowWithOptions(AgencyOffboarding, workflow.RegisterOptions{Name: AgencyOffboardingWorkflowType})
	r.RegisterWorkflowWithOptions(LegacyOnboarding, workflow.RegisterOptions{Name: LegacyOnboardingWorkflowType})
	r.RegisterWorkflowWithOptions(LegacySubscription, workflow.RegisterOptions{Name: LegacySubscriptionWorkflowType})
	r.RegisterWorkflowWithOptions(LegacyOffboarding, workflow.RegisterOptions{Name: LegacyOffboardingWorkflowType})
	r.RegisterWorkflowWithOptions(Reconcile, workflow.RegisterOptions{Name: ReconcileWorkflowType})
	r.RegisterWorkflowWithOptions(CredentialUpkeep, workflow.RegisterOptions{Name: UpkeepWorkflowType})
}
