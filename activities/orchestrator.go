package activities

// What the activities ask of Temporal, implemented by workflows.Orchestrator.

import (
	"context"
	"time"
)

// Orchestrator is what reconciliation and the owners ask of Temporal. The worker wires
// it to the workflows package's start helpers: activities cannot import workflows
// (workflows import activities).
type Orchestrator interface {
	// SignalInstall, SignalCheck and SignalUninstall deliver an event to a location's
	// owner, starting it if it is not running.
	SignalInstall(ctx context.Context, companyID, locationID string, ev OwnerEvent) error
	SignalCheck(ctx context.Context, companyID, locationID string, ev OwnerEvent) error
	SignalUninstall(ctx context.Context, companyID, locationID string, ev OwnerEvent) error
	// AdoptLegacy hands what the workflows of the first releases (onboarding/<id>,
	// subscription/<id>, offboarding/<id>) know of a location to its owner, ending the
	// subscription entity. It fails, retryably, while one of them still runs.
	AdoptLegacy(ctx context.Context, locationID string) (LegacyState, error)
}

// OwnerEvent is an event reconciliation or an agency offboarding sends an owner.
type OwnerEvent struct {
	EventID    string    `json:"eventId"`
	Source     string    `json:"source"`
	OccurredAt time.Time `json:"occurredAt"`
}
