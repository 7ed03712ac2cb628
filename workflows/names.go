// Package workflows holds saasbridge's Temporal workflows and everything a client needs
// to start or signal them: task queues, workflow type names, ID helpers, search
// attributes and start options. The starter imports this package; it never spells a
// workflow ID or task queue itself.
package workflows

import (
	"go.temporal.io/sdk/temporal"
)

// Task queues.
const (
	// TaskQueue carries workflow tasks and activities that call no rate-limited API.
	TaskQueue = "saasbridge"
	// HighLevelAgencyTaskQueue carries every activity that spends the agency's
	// HighLevel budget (100 requests per 10 s per app per company). Its workers set the
	// same server-side TaskQueueActivitiesPerSecond, so the whole fleet shares one limit.
	HighLevelAgencyTaskQueue = "highlevel-agency"
)

// Workflow type names, pinned so that renaming a Go function cannot orphan running
// workflows or break replay.
const (
	OnboardingWorkflowType   = "LocationOnboarding"
	SubscriptionWorkflowType = "LocationSubscription"
	OffboardingWorkflowType  = "LocationOffboarding"
	ReconcileWorkflowType    = "Reconcile"
	UpkeepWorkflowType       = "CredentialUpkeep"
)

// Query and signal names.
const (
	// StatusQuery returns a workflow's progress: OnboardingStatus for onboarding,
	// SubscriptionState for the subscription entity.
	StatusQuery = "status"
	// SubscriptionSignal delivers a SubscriptionEvent to a location's subscription
	// workflow; events are applied one at a time in arrival order.
	SubscriptionSignal = "subscription-event"
)

// Custom search attributes. They carry ids and step names only, never PII: search
// attributes are not encrypted and are visible to anyone who can list workflows.
var (
	LocationIDAttr     = temporal.NewSearchAttributeKeyKeyword("LocationId")
	CompanyIDAttr      = temporal.NewSearchAttributeKeyKeyword("CompanyId")
	OnboardingStepAttr = temporal.NewSearchAttributeKeyKeyword("OnboardingStep")
	// SubscriptionStatusAttr and PlanIDAttr follow the subscription entity's state.
	SubscriptionStatusAttr = temporal.NewSearchAttributeKeyKeyword("SubscriptionStatus")
	PlanIDAttr             = temporal.NewSearchAttributeKeyKeyword("PlanId")
)

// SearchAttributes lists every custom attribute with its type, for registering them on
// a server (make dev, tests, deployment scripts).
func SearchAttributes() map[string]string {
	return map[string]string{
		LocationIDAttr.GetName():         "Keyword",
		CompanyIDAttr.GetName():          "Keyword",
		OnboardingStepAttr.GetName():     "Keyword",
		SubscriptionStatusAttr.GetName(): "Keyword",
		PlanIDAttr.GetName():             "Keyword",
	}
}

// OnboardingWorkflowID is the one workflow ID per location for onboarding: duplicate
// triggers (webhook redeliveries, a CLI run during a webhook run) land on the same
// execution.
func OnboardingWorkflowID(locationID string) string { return "onboarding/" + locationID }

// SubscriptionWorkflowID is the one long-lived subscription entity per location.
func SubscriptionWorkflowID(locationID string) string { return "subscription/" + locationID }

// OffboardingWorkflowID names the offboarding of one location.
func OffboardingWorkflowID(locationID string) string { return "offboarding/" + locationID }

// AgencyOffboardingWorkflowID names the offboarding of a whole agency (company).
func AgencyOffboardingWorkflowID(companyID string) string { return "offboarding/company/" + companyID }
