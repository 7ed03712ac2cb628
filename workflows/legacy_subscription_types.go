package workflows

import "time"

// EventUninstalled ended the first releases' subscription entity (its change and check
// events were EventChange and EventCheck).
const EventUninstalled = "uninstalled"

// LegacySubscriptionEvent is one event for a location's subscription workflow. EventID is
// the dedupe key: an event whose ID was applied before is skipped.
type LegacySubscriptionEvent struct {
	EventID string `json:"eventId"`
	Kind    string `json:"kind"`
	// Source says where it came from (billing, highlevel:LocationUpdate, operator …).
	Source         string    `json:"source,omitempty"`
	SubscriptionID string    `json:"subscriptionId,omitempty"`
	CustomerID     string    `json:"customerId,omitempty"`
	PlanID         string    `json:"planId,omitempty"`
	Status         string    `json:"status,omitempty"`
	OccurredAt     time.Time `json:"occurredAt,omitzero"`
}

// LegacySubscriptionInput starts (or continues) a location's subscription entity. State
// and Pending are set only by continue-as-new, which carries them to the next run.
type LegacySubscriptionInput struct {
	LocationID string                   `json:"locationId"`
	CompanyID  string                   `json:"companyId"`
	State      *LegacySubscriptionState `json:"state,omitempty"`
	// Pending are events received but not yet applied when the last run ended.
	Pending []LegacySubscriptionEvent `json:"pending,omitempty"`
	// EventsPerRun bounds the events one run applies before continuing as new, so
	// the history stays small (0 = default). The server's own suggestion also counts.
	EventsPerRun int `json:"eventsPerRun,omitempty"`
}

// LegacySubscriptionState is the location's subscription as last applied; it answers
// StatusQuery and is the workflow's result when it ends.
type LegacySubscriptionState struct {
	LocationID     string `json:"locationId"`
	CompanyID      string `json:"companyId"`
	SubscriptionID string `json:"subscriptionId,omitempty"`
	CustomerID     string `json:"customerId,omitempty"`
	PlanID         string `json:"planId,omitempty"`
	PlanTitle      string `json:"planTitle,omitempty"`
	// Status is HighLevel's subscriptionStatus after the last event.
	Status   string `json:"status,omitempty"`
	SaaSMode string `json:"saasMode,omitempty"`
	Paused   bool   `json:"paused"`
	// TokenStatus is the location token's state (activities.Token*).
	TokenStatus string    `json:"tokenStatus,omitempty"`
	LastEventID string    `json:"lastEventId,omitempty"`
	LastEventAt time.Time `json:"lastEventAt,omitzero"`
	// LastError is the last event's failure, empty when it applied cleanly.
	LastError   string `json:"lastError,omitempty"`
	Applied     int    `json:"applied"`
	Failed      int    `json:"failed"`
	Duplicates  int    `json:"duplicates"`
	Uninstalled bool   `json:"uninstalled"`
	// Recent holds the IDs of the last events applied (oldest first), for dedupe.
	Recent []string `json:"recent,omitempty"`
	// Actionstep caches where the location lives in Actionstep and what the
	// configured names resolved to, so each event costs only the writes.
	ActionstepSetup  ActionstepSetup  `json:"actionstepSetup,omitzero"`
	ActionstepRecord ActionstepRecord `json:"actionstepRecord,omitzero"`
}
