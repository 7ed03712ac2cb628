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
	OnboardingWorkflowType = "LocationOnboarding"
)

// Query names.
const (
	// StatusQuery returns a workflow's progress (OnboardingStatus for onboarding).
	StatusQuery = "status"
)

// Custom search attributes. They carry ids and step names only, never PII: search
// attributes are not encrypted and are visible to anyone who can list workflows.
var (
	LocationIDAttr     = temporal.NewSearchAttributeKeyKeyword("LocationId")
	CompanyIDAttr      = temporal.NewSearchAttributeKeyKeyword("CompanyId")
	OnboardingStepAttr = temporal.NewSearchAttributeKeyKeyword("OnboardingStep")
)

// SearchAttributes lists every custom attribute with its type, for registering them on
// a server (make dev, tests, deployment scripts).
func SearchAttributes() map[string]string {
	return map[string]string{
		LocationIDAttr.GetName():     "Keyword",
		CompanyIDAttr.GetName():      "Keyword",
		OnboardingStepAttr.GetName(): "Keyword",
	}
}

// OnboardingWorkflowID is the one workflow ID per location for onboarding: duplicate
// triggers (webhook redeliveries, a CLI run during a webhook run) land on the same
// execution.
func OnboardingWorkflowID(locationID string) string { return "onboarding/" + locationID }
