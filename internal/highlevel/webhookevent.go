package highlevel

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Webhook event types the worker acts on (reference §5.2–5.5). Other types parse too and
// are acknowledged without action.
const (
	EventInstall        = "INSTALL"
	EventUninstall      = "UNINSTALL"
	EventLocationCreate = "LocationCreate"
	EventLocationUpdate = "LocationUpdate"
	// EventPlanChange is the marketplace app's own paid plan, not the SaaS plan (§5.5).
	EventPlanChange = "PLAN_CHANGE"
)

// maxIDLen bounds the ids that end up in workflow ids, logs and metrics.
const maxIDLen = 128

// WebhookEvent is one HighLevel webhook: the flat envelope (type, timestamp, webhookId)
// and the fields of the events in reference §5. Fields an event does not carry are
// zero. Unknown event types parse (Type says which) so the caller can acknowledge them.
type WebhookEvent struct {
	Type      string    `json:"type"`
	WebhookID string    `json:"webhookId,omitempty"`
	Timestamp time.Time `json:"timestamp,omitzero"`

	// INSTALL / UNINSTALL / PLAN_CHANGE.
	AppID              string `json:"appId,omitempty"`
	VersionID          string `json:"versionId,omitempty"`
	InstallType        string `json:"installType,omitempty"` // "Location" (or "Company" for agency installs)
	LocationID         string `json:"locationId,omitempty"`
	CompanyID          string `json:"companyId,omitempty"`
	UserID             string `json:"userId,omitempty"`
	PlanID             string `json:"planId,omitempty"`
	CompanyName        string `json:"companyName,omitempty"`
	IsBulkInstallation bool   `json:"isBulkInstallation,omitempty"`
	// IsWhitelabelCompany and WhitelabelDetails come with INSTALL.
	IsWhitelabelCompany bool               `json:"isWhitelabelCompany,omitempty"`
	WhitelabelDetails   *WhitelabelDetails `json:"whitelabelDetails,omitempty"`
	// Trial is the marketplace app's trial (INSTALL with a paid plan).
	Trial *WebhookTrial `json:"trial,omitempty"`

	// LocationCreate / LocationUpdate: ID is the location id (these events carry "id",
	// not "locationId"). StripeProductID is the closest signal of a SaaS plan change.
	ID              string `json:"id,omitempty"`
	Name            string `json:"name,omitempty"`
	Email           string `json:"email,omitempty"`
	StripeProductID string `json:"stripeProductId,omitempty"`

	// PLAN_CHANGE (the app's own plan).
	CurrentPlanID string `json:"currentPlanId,omitempty"`
	NewPlanID     string `json:"newPlanId,omitempty"`
}

// WhitelabelDetails is INSTALL's whitelabelDetails.
type WhitelabelDetails struct {
	Domain  string `json:"domain,omitempty"`
	LogoURL string `json:"logoUrl,omitempty"`
}

// WebhookTrial is INSTALL's trial.
type WebhookTrial struct {
	OnTrial        bool      `json:"onTrial"`
	TrialDuration  int       `json:"trialDuration,omitempty"` // days
	TrialStartDate time.Time `json:"trialStartDate,omitzero"`
}

// Location is the location the event is about: "id" for LocationCreate/LocationUpdate,
// "locationId" otherwise; "" for agency-level events.
func (e WebhookEvent) Location() string {
	if (e.Type == EventLocationCreate || e.Type == EventLocationUpdate) && e.ID != "" {
		return e.ID
	}
	return e.LocationID
}

// webhookWire is the JSON shape; times and numbers are decoded by hand so that their
// errors name the field without echoing the value.
type webhookWire struct {
	Type                string             `json:"type"`
	WebhookID           string             `json:"webhookId"`
	Timestamp           *string            `json:"timestamp"`
	AppID               string             `json:"appId"`
	VersionID           string             `json:"versionId"`
	InstallType         string             `json:"installType"`
	LocationID          string             `json:"locationId"`
	CompanyID           string             `json:"companyId"`
	UserID              string             `json:"userId"`
	PlanID              string             `json:"planId"`
	CompanyName         string             `json:"companyName"`
	IsBulkInstallation  bool               `json:"isBulkInstallation"`
	IsWhitelabelCompany bool               `json:"isWhitelabelCompany"`
	WhitelabelDetails   *WhitelabelDetails `json:"whitelabelDetails"`
	Trial               *struct {
		OnTrial        bool     `json:"onTrial"`
		TrialDuration  *float64 `json:"trialDuration"`
		TrialStartDate *string  `json:"trialStartDate"`
	} `json:"trial"`
	ID              string `json:"id"`
	Name            string `json:"name"`
	Email           string `json:"email"`
	StripeProductID string `json:"stripeProductId"`
	CurrentPlanID   string `json:"currentPlanId"`
	NewPlanID       string `json:"newPlanId"`
}

// ParseWebhook decodes a (verified) webhook body. Errors wrap ErrMalformed and name the
// offending field, never its value. Beyond JSON shape it checks what the worker relies
// on: a type; ids that are short and free of whitespace and control characters (they
// become workflow ids and log fields); a location or company on INSTALL/UNINSTALL; an
// id on LocationCreate/LocationUpdate; an RFC 3339 timestamp when one is present
// (CheckFresh insists on it). Unknown fields are ignored: HighLevel adds fields freely.
func ParseWebhook(body []byte) (WebhookEvent, error) {
	var w webhookWire
	if err := json.Unmarshal(body, &w); err != nil {
		return WebhookEvent{}, webhookJSONError(err)
	}
	e := w.event()
	if err := e.checkIDs(); err != nil {
		return WebhookEvent{}, err
	}
	var err error
	if e.Timestamp, err = w.timestamp(); err != nil {
		return WebhookEvent{}, err
	}
	if e.Trial, err = w.trial(); err != nil {
		return WebhookEvent{}, err
	}
	if err := e.checkRequired(); err != nil {
		return WebhookEvent{}, err
	}
	return e, nil
}

// event is w's fields that need no parsing.
func (w webhookWire) event() WebhookEvent {
	return WebhookEvent{
		Type: w.Type, WebhookID: w.WebhookID,
		AppID: w.AppID, VersionID: w.VersionID, InstallType: w.InstallType,
		LocationID: w.LocationID, CompanyID: w.CompanyID, UserID: w.UserID, PlanID: w.PlanID,
		CompanyName: w.CompanyName, IsBulkInstallation: w.IsBulkInstallation,
		IsWhitelabelCompany: w.IsWhitelabelCompany, WhitelabelDetails: w.WhitelabelDetails,
		ID: w.ID, Name: w.Name, Email: w.Email, StripeProductID: w.StripeProductID,
		CurrentPlanID: w.CurrentPlanID, NewPlanID: w.NewPlanID,
	}
}

// checkIDs insists on a type, and on ids fit to be workflow ids and log fields.
func (e WebhookEvent) checkIDs() error {
	if e.Type == "" {
		return fmt.Errorf("%w: type missing", ErrMalformed)
	}
	for _, f := range []struct{ name, value string }{
		{"type", e.Type}, {"webhookId", e.WebhookID}, {"appId", e.AppID}, {"versionId", e.VersionID},
		{"locationId", e.LocationID}, {"companyId", e.CompanyID}, {"userId", e.UserID},
		{"planId", e.PlanID}, {"id", e.ID}, {"currentPlanId", e.CurrentPlanID}, {"newPlanId", e.NewPlanID},
	} {
		if reason := checkID(f.value); reason != "" {
			return fmt.Errorf("%w: %s %s", ErrMalformed, f.name, reason)
		}
	}
	return nil
}

// timestamp is w's timestamp, the zero time when it has none.
func (w webhookWire) timestamp() (time.Time, error) {
	if w.Timestamp == nil {
		return time.Time{}, nil
	}
	t, err := parseTime(*w.Timestamp)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamp is not an RFC 3339 time", ErrMalformed)
	}
	return t, nil
}

// trial is w's trial, nil when it has none.
func (w webhookWire) trial() (*WebhookTrial, error) {
	if w.Trial == nil {
		return nil, nil
	}
	tr := &WebhookTrial{OnTrial: w.Trial.OnTrial}
	if d := w.Trial.TrialDuration; d != nil {
		if *d < 0 || *d > 1e6 {
			return nil, fmt.Errorf("%w: trial.trialDuration is out of range", ErrMalformed)
		}
		tr.TrialDuration = int(*d)
	}
	if w.Trial.TrialStartDate != nil && *w.Trial.TrialStartDate != "" {
		t, err := parseTime(*w.Trial.TrialStartDate)
		if err != nil {
			return nil, fmt.Errorf("%w: trial.trialStartDate is not an RFC 3339 time", ErrMalformed)
		}
		tr.TrialStartDate = t
	}
	return tr, nil
}

// checkRequired insists on what the worker needs of each type: whom an
// INSTALL or UNINSTALL is about, which location a LocationCreate or
// LocationUpdate is.
func (e WebhookEvent) checkRequired() error {
	switch e.Type {
	case EventInstall, EventUninstall:
		if e.LocationID == "" && e.CompanyID == "" {
			return fmt.Errorf("%w: %s has neither locationId nor companyId", ErrMalformed, e.Type)
		}
	case EventLocationCreate, EventLocationUpdate:
		if e.ID == "" {
			return fmt.Errorf("%w: %s has no id", ErrMalformed, e.Type)
		}
	}
	return nil
}

func webhookJSONError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field == "":
		return fmt.Errorf("%w: body is a JSON %s, want an object", ErrMalformed, te.Value)
	case errors.As(err, &te):
		// Value is the JSON kind ("number"), never the data.
		return fmt.Errorf("%w: %s is a JSON %s, want %s", ErrMalformed, te.Field, te.Value, jsonKind(te.Type.String()))
	case errors.As(err, &se):
		return fmt.Errorf("%w: invalid JSON at byte %d", ErrMalformed, se.Offset)
	default:
		// Some of json's other messages quote the input; say nothing specific.
		return fmt.Errorf("%w: invalid JSON", ErrMalformed)
	}
}

func jsonKind(goType string) string {
	switch goType {
	case "string", "*string":
		return "a string"
	case "bool":
		return "a boolean"
	case "float64", "*float64":
		return "a number"
	default:
		return "an object"
	}
}

// parseTime reads an ISO-8601 / RFC 3339 instant ("2025-06-25T06:57:06.225Z").
func parseTime(s string) (time.Time, error) {
	if len(s) > 64 {
		return time.Time{}, errors.New("too long")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// checkID explains why an id is unusable, or returns "" for a good (or absent) one.
func checkID(s string) string {
	if len(s) > maxIDLen {
		return fmt.Sprintf("is longer than %d bytes", maxIDLen)
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return "contains whitespace, control or invisible characters"
		}
	}
	return ""
}
