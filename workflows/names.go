package workflows

// The names a client needs and histories record: task queues, workflow types, queries
// and signals, search attributes and workflow ids.

import (
	"go.temporal.io/sdk/temporal"
)

// Task queues.
const (
	// TaskQueue carries workflow tasks and activities that call no rate-limited API.
	TaskQueue = "saasbridge"
	// HighLevelAgencyTaskQueue carries every activity that spends an agency's
	// HighLevel budget (100 requests per 10 s per app per company). The queue has no
	// server-side rate: the activities pace each agency to its own window, shared by the
	// whole fleet through the store (internal/pacing).
	HighLevelAgencyTaskQueue = "highlevel-agency"
	// ActionstepTaskQueue carries every Actionstep call, paced by the activities to the
	// organisation's adaptive rate (internal/pacing), not by the queue.
	ActionstepTaskQueue = "actionstep"
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
	LegacyOnboardingWorkflowType   = "LocationOnboarding"
	LegacySubscriptionWorkflowType = "LocationSubscription"
	LegacyOffboardingWorkflowType  = "LocationOffboarding"
)

// Query and signal names.
const (
	// StatusQuery returns a workflow's progress: LocationState for a location's owner
	// (LegacyOnboardingStatus and LegacySubscriptionState for the first releases'
	// workflows).
	StatusQuery = "status"
	// LegacySubscriptionSignal delivers a LegacySubscriptionEvent to a location's
	// first-release subscription entity, which applies them one at a time in arrival
	// order.
	LegacySubscriptionSignal = "subscription-event"
)

// Custom search attributes. They carry ids and step names only, never PII: search
// attributes are not encrypted and are visible to anyone who can list workflows.
var (
	LocationIDAttr     = temporal.NewSearchAttributeKeyKeyword("LocationId")
	CompanyIDAttr      = temporal.NewSearchAttributeKeyKeyword("CompanyId")
	OnboardingStepAttr = temporal.NewSearchAttributeKeyKeyword("OnboardingStep")
	// SubscriptionStatusAttr and PlanIDAttr follow the location's subscription as
	// HighLevel last reported it (the owner's state; the first releases' subscription
	// entity's).
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

// LegacyOnboardingWorkflowID, LegacySubscriptionWorkflowID and
// LegacyOffboardingWorkflowID name the first releases' workflows of a location (see
// AdoptLegacy).
func LegacyOnboardingWorkflowID(locationID string) string { return "onboarding/" + locationID }

func LegacySubscriptionWorkflowID(locationID string) string { return "subscription/" + locationID }

func LegacyOffboardingWorkflowID(locationID string) string { return "offboarding/" + locationID }

// AgencyOffboardingWorkflowID names the offboarding of a whole agency (company).
func AgencyOffboardingWorkflowID(companyID string) string { return "offboarding/company/" + companyID }
