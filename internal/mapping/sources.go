package mapping

import (
	"strconv"
	"time"
)

// Sources a template can name as {{source}}. The set is closed: a mapping naming any other
// source is rejected when it is parsed.
const (
	SourceLocationID        = "location.id"             // HighLevel location (sub-account) id
	SourceLocationCompanyID = "location.companyId"      // HighLevel agency (company) id
	SourceLocationName      = "location.name"           // the location's business name
	SourceLocationAddress   = "location.address"        // the location's street address
	SourceLocationEmail     = "location.email"          // the location's contact email
	SourceLocationPhone     = "location.phone"          // the location's business phone
	SourceLocationWebsite   = "location.website"        // the location's website
	SourceSubscriptionID    = "subscription.id"         // billing subscription id
	SourceCustomerID        = "subscription.customerId" // billing customer id
	SourcePlanID            = "subscription.planId"     // plan id, e.g. "plan_pro"
	SourcePlanTitle         = "subscription.planTitle"  // plan display name, e.g. "Pro"
	SourceStatus            = "subscription.status"     // e.g. "active", "past_due", "canceled"
	SourcePaused            = "subscription.paused"     // "true" or "false"
	SourceEventID           = "event.id"                // id of the event being applied
	SourceEventSource       = "event.source"            // where the event came from, e.g. "highlevel", "billing"
	SourceEventOccurredAt   = "event.occurredAt"        // RFC 3339 in UTC, e.g. "2026-05-28T20:26:40Z"
)

// sources lists every source in documentation order.
var sources = []string{
	SourceLocationID, SourceLocationCompanyID, SourceLocationName, SourceLocationAddress, SourceLocationEmail,
	SourceLocationPhone, SourceLocationWebsite, SourceSubscriptionID, SourceCustomerID, SourcePlanID, SourcePlanTitle, SourceStatus, SourcePaused,
	SourceEventID, SourceEventSource, SourceEventOccurredAt,
}

var sourceSet = func() map[string]bool {
	m := make(map[string]bool, len(sources))
	for _, s := range sources {
		m[s] = true
	}
	return m
}()

// Sources lists the names a template may use, in documentation order.
func Sources() []string { return append([]string(nil), sources...) }

// Values holds source values by source name (see Sources). A missing or empty value renders
// as "".
type Values map[string]string

// Location is what a mapping can use of a HighLevel location.
type Location struct {
	ID        string
	CompanyID string
	Name      string
	Address   string
	Email     string
	Phone     string
	Website   string
}

// Subscription is what a mapping can use of a location's SaaS subscription.
type Subscription struct {
	ID         string
	CustomerID string
	PlanID     string
	PlanTitle  string
	Status     string
	Paused     bool
}

// Event is what a mapping can use of the change being applied.
type Event struct {
	ID         string
	Source     string
	OccurredAt time.Time
}

// NewValues gathers the sources from their structs. Paused renders as "true" or "false";
// OccurredAt as RFC 3339 in UTC to the second, or "" when zero.
func NewValues(loc Location, sub Subscription, ev Event) Values {
	occurred := ""
	if !ev.OccurredAt.IsZero() {
		occurred = ev.OccurredAt.UTC().Format(time.RFC3339)
	}
	return Values{
		SourceLocationID:        loc.ID,
		SourceLocationCompanyID: loc.CompanyID,
		SourceLocationName:      loc.Name,
		SourceLocationAddress:   loc.Address,
		SourceLocationEmail:     loc.Email,
		SourceLocationPhone:     loc.Phone,
		SourceLocationWebsite:   loc.Website,
		SourceSubscriptionID:    sub.ID,
		SourceCustomerID:        sub.CustomerID,
		SourcePlanID:            sub.PlanID,
		SourcePlanTitle:         sub.PlanTitle,
		SourceStatus:            sub.Status,
		SourcePaused:            strconv.FormatBool(sub.Paused),
		SourceEventID:           ev.ID,
		SourceEventSource:       ev.Source,
		SourceEventOccurredAt:   occurred,
	}
}
