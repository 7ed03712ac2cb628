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
	ReconcileWorkflowType         = "Reconcile"
	UpkeepWorkflowType            = "CredentialUpkeep"
	AgencyOffboardingWorkflowType = "AgencyOffboarding"
	// The first releases' workflows, which the location owner (LocationWorkflowType)
	// replaced. They stay registered so runs started before it finish and replay;
	// nothing starts them any more.
	OnboardingWorkflowType   = "LocationOnboarding"
	SubscriptionWorkflowType = "LocationSubscription"
	OffboardingWorkflowType  = "LocationOffboarding"
)

// Query and signal names.
const (
	// StatusQuery returns a workflow's progress: LocationState for a location's owner
	// (OnboardingStatus and SubscriptionState for the first releases' workflows).
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
	// LocationPhaseAttr is the owner's lifecycle phase (new, onboarding, active,
	// offboarding, uninstalled).
	LocationPhaseAttr = temporal.NewSearchAttributeKeyKeyword("LocationPhase")
	// NeedsAttentionAttr says why an owner needs an operator (parked, retrying,
	// waiting-for-install); unset when it does not: `NeedsAttention IS NOT NULL`.
	NeedsAttentionAttr = temporal.NewSearchAttributeKeyKeyword("NeedsAttention")
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
		LocationPhaseAttr.GetName():      "Keyword",
		NeedsAttentionAttr.GetName():     "Keyword",
	}
}

// OnboardingWorkflowID, SubscriptionWorkflowID and OffboardingWorkflowID name the first
// releases' workflows of a location (see AdoptLegacy).
func OnboardingWorkflowID(locationID string) string { return "onboarding/" + locationID }

func SubscriptionWorkflowID(locationID string) string { return "subscription/" + locationID }

func OffboardingWorkflowID(locationID string) string { return "offboarding/" + locationID }

// AgencyOffboardingWorkflowID names the offboarding of a whole agency (company).
func AgencyOffboardingWorkflowID(companyID string) string { return "offboarding/company/" + companyID }
