package workflows

import (
	"time"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/facts"
)

// Kinds of location event.
const (
	// EventInstall onboards the location (INSTALL and LocationCreate webhooks,
	// reconciliation finding an installed location never onboarded, `starter onboard`),
	// or onboards it again after an uninstall when it is newer than the uninstall.
	EventInstall = "install"
	// EventChange sets the subscription (billing systems, operators).
	EventChange = "change"
	// EventCheck re-reads HighLevel's state (a LocationUpdate webhook, drift found by
	// reconciliation).
	EventCheck = "check"
	// EventUninstall offboards the location; it is terminal for every older event.
	EventUninstall = "uninstall"
)

// LocationEvent is one event for a location's owner. EventID is the dedupe key;
// OccurredAt orders events that set the same field (the receipt time when the sender
// gave none).
type LocationEvent struct {
	EventID string `json:"eventId"`
	Kind    string `json:"kind"`
	// Source says where it came from (HighLevel INSTALL webhook …, billing, operator).
	Source     string    `json:"source,omitempty"`
	OccurredAt time.Time `json:"occurredAt,omitzero"`
	// The subscription a change (or an install) sets.
	SubscriptionID string `json:"subscriptionId,omitempty"`
	CustomerID     string `json:"customerId,omitempty"`
	PlanID         string `json:"planId,omitempty"`
	PriceID        string `json:"priceId,omitempty"`
	// Status is the billing status (active, paused, unpaid, canceled …).
	Status string `json:"status,omitempty"`
}

func (ev LocationEvent) hasSubscription() bool { return ev.SubscriptionID != "" && ev.CustomerID != "" }

// LocationInput starts (or continues) a location's owner. State and Pending are set
// only by continue-as-new.
type LocationInput struct {
	LocationID string         `json:"locationId"`
	CompanyID  string         `json:"companyId"`
	State      *LocationState `json:"state,omitempty"`
	// Pending are the events received but not yet handled when the last run ended, in
	// order.
	Pending []QueuedEvent `json:"pending,omitempty"`
	// EventsPerRun bounds the events one run handles before continuing as new (0 =
	// default). The server's own suggestion also counts.
	EventsPerRun int `json:"eventsPerRun,omitempty"`
}

// QueuedEvent is an event waiting in the owner's queue, or an operator's instruction about
// a parked one.
type QueuedEvent struct {
	Event LocationEvent `json:"event"`
	// Op is "" for an event, opRedrive or opDiscard for an instruction about the
	// parked event Event.EventID.
	Op string `json:"op,omitempty"`
}

const (
	opRedrive = "redrive"
	opDiscard = "discard"
)

// Fields an event can set, each ordered by its own occurredAt.
const (
	fieldSubscription = "subscription"
	fieldStatus       = "status"
)

// LocationState is what a location's owner knows; it answers StatusQuery and is the
// workflow's result when it closes.
type LocationState struct {
	LocationID string `json:"locationId"`
	CompanyID  string `json:"companyId"`
	// Name is HighLevel's name of the location, as its last install found it.
	Name string `json:"name,omitempty"`
	// Phase is one of facts.Phase*; Step the onboarding step while onboarding.
	Phase string `json:"phase"`
	Step  string `json:"step,omitempty"`
	// InstalledAt and UninstalledAt are the occurredAt of the install and uninstall
	// applied last; an older event of the other kind is superseded by them.
	InstalledAt   time.Time `json:"installedAt,omitzero"`
	UninstalledAt time.Time `json:"uninstalledAt,omitzero"`
	OnboardedAt   time.Time `json:"onboardedAt,omitzero"`
	// Install tracks the steps of the install being applied, so a retry resumes it.
	Install *installProgress `json:"install,omitempty"`

	Subscription SubscriptionFacts `json:"subscription,omitzero"`
	// FieldAt is the occurredAt of the newest event applied per field.
	FieldAt map[string]time.Time `json:"fieldAt,omitempty"`
	// TokenStatus is the location token's state (activities.Token*).
	TokenStatus string `json:"tokenStatus,omitempty"`
	// InitialPlan says what the last onboarding did about the initial subscription.
	InitialPlan string `json:"initialPlan,omitempty"`

	ActionstepSetup  ActionstepSetup  `json:"actionstepSetup,omitzero"`
	ActionstepRecord ActionstepRecord `json:"actionstepRecord,omitzero"`

	// Parked events wait for an operator; Deferred changes wait for the onboarding.
	Parked   []ParkedEvent   `json:"parked,omitempty"`
	Deferred []LocationEvent `json:"deferred,omitempty"`
	// Retrying is the event whose steps keep failing with retryable errors (an
	// outage): it holds the queue until it applies.
	Retrying *RetryingEvent `json:"retrying,omitempty"`

	LastEvent EventOutcome `json:"lastEvent,omitzero"`
	Counts    EventCounts  `json:"counts"`
	// Recent holds the ids of the last events handled for good (every outcome but
	// parked and deferred), oldest first, for dedupe.
	Recent []string `json:"recent,omitempty"`
}

// SubscriptionFacts is the location's subscription as HighLevel reported it after the
// last event.
type SubscriptionFacts struct {
	SubscriptionID string `json:"subscriptionId,omitempty"`
	CustomerID     string `json:"customerId,omitempty"`
	PlanID         string `json:"planId,omitempty"`
	PlanTitle      string `json:"planTitle,omitempty"`
	Status         string `json:"status,omitempty"`
	SaaSMode       string `json:"saasMode,omitempty"`
	Paused         bool   `json:"paused"`
}

// installProgress is what the install being applied has done so far.
type installProgress struct {
	EventID string `json:"eventId"`
	// Before is the location's phase before the install began: where a not-installed
	// install puts it back (a round retried after an outage starts from onboarding).
	Before string `json:"before,omitempty"`
	// InstalledBefore is the location's InstalledAt before the install began: a
	// not-installed install did not install it, so an older uninstall still applies.
	InstalledBefore time.Time `json:"installedBefore,omitzero"`
	Done            []string  `json:"done,omitempty"`
	AlreadyEnabled  bool      `json:"alreadyEnabled,omitempty"`
	Name            string    `json:"name,omitempty"`
	Address         string    `json:"address,omitempty"`
	// The business contact read from the location's profile.
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Website string `json:"website,omitempty"`
	// Plan is the initial subscription's plan, when one was chosen.
	Plan activities.ResolvedPlan `json:"plan,omitzero"`
}

// ParkedEvent is an event whose step failed for good, with the API's message.
type ParkedEvent struct {
	Event     LocationEvent `json:"event"`
	Error     string        `json:"error"`
	ErrorType string        `json:"errorType,omitempty"`
	ParkedAt  time.Time     `json:"parkedAt"`
}

// RetryingEvent is the event holding the queue while its steps keep failing.
type RetryingEvent struct {
	EventID string    `json:"eventId"`
	Rounds  int       `json:"rounds"`
	Error   string    `json:"error"`
	Since   time.Time `json:"since"`
}

// EventOutcome is how one event ended (an outcome of facts.Outcome*).
type EventOutcome struct {
	EventID string    `json:"eventId,omitempty"`
	Kind    string    `json:"kind,omitempty"`
	Outcome string    `json:"outcome,omitempty"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// EventCounts counts the events an owner handled, by outcome.
type EventCounts struct {
	Applied        int `json:"applied"`
	Parked         int `json:"parked"`
	Superseded     int `json:"superseded"`
	AfterUninstall int `json:"afterUninstall"`
	NotInstalled   int `json:"notInstalled"`
	Deferred       int `json:"deferred"`
	Discarded      int `json:"discarded"`
	Duplicates     int `json:"duplicates"`
}

// Attention values (the NeedsAttention search attribute and the facts' attention).
const (
	attentionParked   = "parked"
	attentionRetrying = "retrying"
	attentionWaiting  = "waiting-for-install"
)

// AttentionReasons are the values of NeedsAttention (and of the facts' attention).
func AttentionReasons() []string {
	return []string{attentionParked, attentionRetrying, attentionWaiting}
}

// attention says why the location needs an operator now, "" when it does not.
func (s LocationState) attention() string {
	switch {
	case len(s.Parked) > 0:
		return attentionParked
	case s.Retrying != nil && s.Retrying.Rounds >= retryingAttentionRounds:
		return attentionRetrying
	case len(s.Deferred) > 0 && s.Phase != facts.PhaseActive && s.Phase != facts.PhaseOnboarding:
		return attentionWaiting
	}
	return ""
}

// facts is the row the owner keeps in the store.
func (s LocationState) facts() facts.Location {
	return facts.Location{
		LocationID: s.LocationID, CompanyID: s.CompanyID, Name: s.Name, Phase: s.Phase, Step: s.Step,
		InstalledAt: s.InstalledAt, OnboardedAt: s.OnboardedAt, UninstalledAt: s.UninstalledAt,
		SubscriptionID: s.Subscription.SubscriptionID, CustomerID: s.Subscription.CustomerID,
		PlanID: s.Subscription.PlanID, Status: s.Subscription.Status, Paused: s.Subscription.Paused,
		ParticipantID: s.ActionstepRecord.ParticipantID, MatterID: s.ActionstepRecord.MatterID,
		RecordID: s.ActionstepRecord.RecordID, Attention: s.attention(), Parked: len(s.Parked),
		LastEventID: s.LastEvent.EventID, LastEventAt: s.LastEvent.At, InitialPlan: s.InitialPlan,
	}
}

// EventResult answers the apply, redrive and discard updates: how the event ended,
// and the location's state after it.
type EventResult struct {
	Outcome EventOutcome  `json:"outcome"`
	State   LocationState `json:"state"`
}
