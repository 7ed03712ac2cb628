package activities

// *Owners: reaching locations' owners and the first releases' workflows. Owners holds
// the Orchestrator.

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
)

// Owners holds the activities through which workflows other than a location's owner
// reach owners, and an owner reaches the workflows of the first releases.
type Owners struct {
	Orchestrator Orchestrator
}

// LegacyState is what the first releases' workflows knew of a location: whether it was
// onboarded or offboarded, its subscription entity's last state and the Actionstep
// records it made.
type LegacyState struct {
	Onboarded   bool `json:"onboarded"`
	Uninstalled bool `json:"uninstalled"`
	// From the subscription entity, when one ran.
	SubscriptionID string   `json:"subscriptionId,omitempty"`
	CustomerID     string   `json:"customerId,omitempty"`
	PlanID         string   `json:"planId,omitempty"`
	PlanTitle      string   `json:"planTitle,omitempty"`
	Status         string   `json:"status,omitempty"`
	SaaSMode       string   `json:"saasMode,omitempty"`
	Paused         bool     `json:"paused,omitempty"`
	Recent         []string `json:"recent,omitempty"`
	// Actionstep ids.
	MatterTypeID     string `json:"matterTypeId,omitempty"`
	ClientTypeID     string `json:"clientTypeId,omitempty"`
	DataCollectionID string `json:"dataCollectionId,omitempty"`
	ParticipantID    string `json:"participantId,omitempty"`
	MatterID         string `json:"matterId,omitempty"`
	RecordID         string `json:"recordId,omitempty"`
}

// AdoptLegacy returns what the first releases' workflows knew of a location, once none
// of them is running any more (a retryable failure until then).
func (o *Owners) AdoptLegacy(ctx context.Context, locationID string) (LegacyState, error) {
	st, err := o.Orchestrator.AdoptLegacy(ctx, locationID)
	return st, classify(err)
}

// UninstallBatch is a batch of an agency's locations to offboard.
type UninstallBatch struct {
	CompanyID   string    `json:"companyId"`
	LocationIDs []string  `json:"locationIds"`
	EventID     string    `json:"eventId"`
	Source      string    `json:"source"`
	OccurredAt  time.Time `json:"occurredAt"`
}

// SignalUninstalls sends the agency uninstall to each location's owner (starting those
// not running; one that is offboarding already takes it as a duplicate). It heartbeats
// its progress so a retry resumes, and fails only once every location was tried.
func (o *Owners) SignalUninstalls(ctx context.Context, in UninstallBatch) error {
	next := 0
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &next)
	}
	var failed []string
	var lastErr error
	for i := next; i < len(in.LocationIDs); i++ {
		loc := in.LocationIDs[i]
		ev := OwnerEvent{EventID: in.EventID, Source: in.Source, OccurredAt: in.OccurredAt}
		if err := o.Orchestrator.SignalUninstall(ctx, in.CompanyID, loc, ev); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed, lastErr = append(failed, loc), err
		}
		activity.RecordHeartbeat(ctx, i+1)
	}
	if len(failed) > 0 {
		// Signals are idempotent (the event id is the same), so the retry sends them all.
		activity.RecordHeartbeat(ctx, 0)
		return classify(fmt.Errorf("signal the uninstall to %d of %d locations (first %s): %w", len(failed), len(in.LocationIDs), failed[0], lastErr))
	}
	return nil
}
