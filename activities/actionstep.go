package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// ErrTypeOutcomeUnknown: a create whose answer was lost (transport error, 5xx) may or
// may not have been applied. It is not retried blindly, because Actionstep's POSTs are
// not idempotent: the workflow looks the record up again and creates only if absent.
const ErrTypeOutcomeUnknown = "OutcomeUnknown"

// ErrTypeActionstepSetup: the organisation lacks something saasbridge is configured
// to use (a matter type, participant type or data collection by that name).
const ErrTypeActionstepSetup = "ActionstepSetup"

// Actionstep holds the Actionstep activities. Names in it are resolved to ids by the
// Lookup activities, whose results the workflows keep.
type Actionstep struct {
	Client  *actionstep.Client
	Tokens  *tokens.Store
	OrgKey  string
	Mapping mapping.Mapping
	// Names of the matter type, the client's participant type and the data collection.
	MatterType, ClientType, DataCollection string
}

// api returns a client bound to the organisation's stored credential.
func (a *Actionstep) api() *actionstep.Client {
	return a.Client.As(credentials.ActionstepSource(a.Tokens, a.Client, tokens.KeyActionstep(a.OrgKey)))
}

// LookupMatterType finds the configured matter type: GET /actiontypes?name_eq=….
func (a *Actionstep) LookupMatterType(ctx context.Context) (string, error) {
	page, err := a.api().ListActionTypes(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("name", a.MatterType)}})
	if err != nil {
		return "", classify(err)
	}
	return onlyID(page.Items, func(t actionstep.ActionType) actionstep.ID { return t.ID }, "matter type", a.MatterType, "ACTIONSTEP_MATTER_TYPE")
}

// LookupClientType finds the configured participant type: GET /participanttypes?name_eq=….
func (a *Actionstep) LookupClientType(ctx context.Context) (string, error) {
	page, err := a.api().ListParticipantTypes(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("name", a.ClientType)}})
	if err != nil {
		return "", classify(err)
	}
	return onlyID(page.Items, func(t actionstep.ParticipantType) actionstep.ID { return t.ID }, "participant type", a.ClientType, "ACTIONSTEP_CLIENT_TYPE")
}

// LookupDataCollection finds the configured data collection of the matter type:
// GET /datacollections?name_eq=…&actionType_eq=….
func (a *Actionstep) LookupDataCollection(ctx context.Context, matterTypeID string) (string, error) {
	page, err := a.api().ListDataCollections(ctx, actionstep.Query{Filters: []actionstep.Filter{
		actionstep.Eq("name", a.DataCollection), actionstep.Eq("actionType", matterTypeID),
	}})
	if err != nil {
		return "", classify(err)
	}
	return onlyID(page.Items, func(d actionstep.DataCollection) actionstep.ID { return d.ID }, "data collection", a.DataCollection, "ACTIONSTEP_DATA_COLLECTION")
}

func onlyID[T any](items []T, id func(T) actionstep.ID, what, name, variable string) (string, error) {
	if len(items) == 0 {
		return "", temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("Actionstep has no %s named %q (set %s or create it in Actionstep)", what, name, variable),
			ErrTypeActionstepSetup, nil)
	}
	return string(id(items[0])), nil
}

// Location is what the Actionstep side needs to know of a HighLevel location.
type Location struct {
	LocationID string `json:"locationId"`
	CompanyID  string `json:"companyId"`
	Name       string `json:"name,omitempty"`
	Address    string `json:"address,omitempty"`
	Email      string `json:"email,omitempty"`
}

func (l Location) mapping() mapping.Location {
	return mapping.Location{ID: l.LocationID, CompanyID: l.CompanyID, Name: l.Name, Address: l.Address, Email: l.Email}
}

// Found is the answer of a lookup by our own key.
type Found struct {
	ID     string `json:"id,omitempty"`
	Status string `json:"status,omitempty"`
}

// FindClient looks the location's client participant up by importExternalReference =
// location id: GET /participants?importExternalReference_eq=….
func (a *Actionstep) FindClient(ctx context.Context, locationID string) (Found, error) {
	page, err := a.api().ListParticipants(ctx, actionstep.Query{
		Filters: []actionstep.Filter{actionstep.Eq(actionstep.FieldImportExternalReference, locationID)},
	})
	if err != nil {
		return Found{}, classify(err)
	}
	if len(page.Items) == 0 {
		return Found{}, nil
	}
	if len(page.Items) > 1 {
		// Made outside saasbridge, or by a create that lost its answer before the
		// find-before-create rule: keep the oldest, leave the rest to a human.
		activity.GetLogger(ctx).Warn("several Actionstep participants carry this location id", "locationId", locationID, "count", len(page.Items))
	}
	return Found{ID: string(oldest(page.Items, func(p actionstep.Participant) actionstep.ID { return p.ID }))}, nil
}

// CreateClient creates the client participant: POST /participants, one attempt (see
// workflows.withActionstepCreate). Call FindClient first, and again after any failure
// that is not a refusal.
func (a *Actionstep) CreateClient(ctx context.Context, loc Location) (string, error) {
	f := a.Mapping.Participant(mapping.NewValues(loc.mapping(), mapping.Subscription{}, mapping.Event{}))
	isCompany := actionstep.Bool(true)
	f.IsCompany = &isCompany
	f.ImportExternalReference = &loc.LocationID
	if f.CompanyName == nil {
		name := loc.LocationID
		f.CompanyName = &name
	}
	p, err := a.api().CreateParticipant(ctx, f)
	if err != nil {
		return "", createFailure(err)
	}
	return string(p.ID), nil
}

// ClientUpdate brings an existing client participant in line with HighLevel.
type ClientUpdate struct {
	ParticipantID string   `json:"participantId"`
	Location      Location `json:"location"`
}

// UpdateClient sets the mapped fields on the client: PUT /participants/{id}. It sets
// state, so a retry is harmless.
func (a *Actionstep) UpdateClient(ctx context.Context, in ClientUpdate) error {
	f := a.Mapping.Participant(mapping.NewValues(in.Location.mapping(), mapping.Subscription{}, mapping.Event{}))
	_, err := a.api().UpdateParticipant(ctx, actionstep.ID(in.ParticipantID), f)
	return classify(err)
}

// MatterRef identifies the location's subscription matter: our reference on it and
// its matter type.
type MatterRef struct {
	LocationID   string `json:"locationId"`
	MatterTypeID string `json:"matterTypeId"`
}

// MatterReference is the file reference saasbridge gives a location's matter; it is
// set at creation (actioncreate has no importExternalReference), so a matter is never
// without it.
func MatterReference(locationID string) string { return "saasbridge:" + locationID }

// FindMatter looks the subscription matter up: GET /actions?reference_eq=…&actionType_eq=….
func (a *Actionstep) FindMatter(ctx context.Context, in MatterRef) (Found, error) {
	page, err := a.api().ListActions(ctx, actionstep.Query{Filters: []actionstep.Filter{
		actionstep.Eq("reference", MatterReference(in.LocationID)), actionstep.Eq("actionType", in.MatterTypeID),
	}})
	if err != nil {
		return Found{}, classify(err)
	}
	if len(page.Items) == 0 {
		return Found{}, nil
	}
	id := oldest(page.Items, func(m actionstep.Action) actionstep.ID { return m.ID })
	for _, m := range page.Items {
		if m.ID == id {
			return Found{ID: string(m.ID), Status: m.Status}, nil
		}
	}
	return Found{}, nil
}

// NewMatter creates the subscription matter with the client linked.
type NewMatter struct {
	MatterRef
	LocationName  string `json:"locationName,omitempty"`
	ClientTypeID  string `json:"clientTypeId"`
	ParticipantID string `json:"participantId"`
}

// CreateMatter creates the matter: POST /actioncreate, one attempt. Call FindMatter
// first, and again after any failure that is not a refusal.
func (a *Actionstep) CreateMatter(ctx context.Context, in NewMatter) (string, error) {
	name := in.LocationName
	if name == "" {
		name = in.LocationID
	}
	m, err := a.api().CreateAction(ctx, actionstep.NewAction{
		Name:         name + " – SaaS subscription",
		Reference:    MatterReference(in.LocationID),
		Status:       actionstep.ActionStatusActive,
		ActionType:   actionstep.ID(in.MatterTypeID),
		Participants: map[actionstep.ID][]actionstep.ID{actionstep.ID(in.ClientTypeID): {actionstep.ID(in.ParticipantID)}},
	})
	if err != nil {
		return "", createFailure(err)
	}
	return string(m.ID), nil
}

// MatterStatus sets a matter's status.
type MatterStatus struct {
	MatterID string `json:"matterId"`
	Status   string `json:"status"`
}

// SetMatterStatus closes or reopens a matter: PATCH /actions/{id}.
func (a *Actionstep) SetMatterStatus(ctx context.Context, in MatterStatus) error {
	status := in.Status
	_, err := a.api().UpdateAction(ctx, actionstep.ID(in.MatterID), actionstep.ActionFields{Status: &status})
	return classify(err)
}

// RecordRef names the matter's record of the data collection.
type RecordRef struct {
	MatterID         string `json:"matterId"`
	DataCollectionID string `json:"dataCollectionId"`
}

// FindRecord finds the matter's record: GET /datacollectionrecords?action_eq=…&dataCollection_eq=….
func (a *Actionstep) FindRecord(ctx context.Context, in RecordRef) (Found, error) {
	page, err := a.api().ListDataCollectionRecords(ctx, actionstep.Query{Filters: []actionstep.Filter{
		actionstep.Eq("action", in.MatterID), actionstep.Eq("dataCollection", in.DataCollectionID),
	}})
	if err != nil {
		return Found{}, classify(err)
	}
	if len(page.Items) == 0 {
		return Found{}, nil
	}
	return Found{ID: string(oldest(page.Items, func(r actionstep.DataCollectionRecord) actionstep.ID { return r.ID }))}, nil
}

// CreateRecord creates the matter's record: POST /datacollectionrecords.
func (a *Actionstep) CreateRecord(ctx context.Context, in RecordRef) (string, error) {
	r, err := a.api().CreateDataCollectionRecord(ctx, actionstep.ID(in.MatterID), actionstep.ID(in.DataCollectionID))
	if err != nil {
		return "", createFailure(err)
	}
	return string(r.ID), nil
}

// Subscription is the subscription as the Actionstep side records it.
type SubscriptionData struct {
	SubscriptionID string    `json:"subscriptionId,omitempty"`
	CustomerID     string    `json:"customerId,omitempty"`
	PlanID         string    `json:"planId,omitempty"`
	PlanTitle      string    `json:"planTitle,omitempty"`
	Status         string    `json:"status,omitempty"`
	Paused         bool      `json:"paused,omitempty"`
	EventID        string    `json:"eventId,omitempty"`
	EventSource    string    `json:"eventSource,omitempty"`
	ChangedAt      time.Time `json:"changedAt,omitzero"`
}

// DataWrite writes the subscription into the matter's record.
type DataWrite struct {
	RecordRef
	RecordID     string           `json:"recordId"`
	Location     Location         `json:"location"`
	Subscription SubscriptionData `json:"subscription"`
}

// WriteSubscriptionData sets every mapped field in one bulk
// PUT /datacollectionrecordvalues/{id},{id}…; it sets state, so a retry is harmless.
func (a *Actionstep) WriteSubscriptionData(ctx context.Context, in DataWrite) error {
	s := in.Subscription
	data := a.Mapping.Data(mapping.NewValues(in.Location.mapping(),
		mapping.Subscription{ID: s.SubscriptionID, CustomerID: s.CustomerID, PlanID: s.PlanID, PlanTitle: s.PlanTitle, Status: s.Status, Paused: s.Paused},
		mapping.Event{ID: s.EventID, Source: s.EventSource, OccurredAt: s.ChangedAt}))
	values := make(map[actionstep.ID]string, len(data))
	for field, v := range data {
		values[actionstep.DataCollectionRecordValueID(actionstep.ID(in.DataCollectionID), field, actionstep.ID(in.RecordID))] = v
	}
	if len(values) == 0 {
		return nil
	}
	_, err := a.api().UpdateDataCollectionRecordValues(ctx, values)
	return classify(err)
}

// Note is a file note on a matter. Marker is a unique token in the text (the event
// id) by which a note whose creation lost its answer is found again.
type Note struct {
	MatterID string `json:"matterId"`
	Text     string `json:"text"`
	Marker   string `json:"marker"`
}

// AddFileNote adds the note: POST /filenotes, one attempt. After any failure that is
// not a refusal, call FindFileNote before adding it again.
func (a *Actionstep) AddFileNote(ctx context.Context, in Note) (string, error) {
	n, err := a.api().CreateFileNote(ctx, actionstep.ID(in.MatterID), actionstep.NewNote{
		Text: in.Text, Source: actionstep.NoteSourceSystem,
	})
	if err != nil {
		return "", createFailure(err)
	}
	return string(n.ID), nil
}

// FindFileNote reports whether a note with the marker exists on the matter:
// GET /filenotes?action_eq=…&text_ilike=%marker%.
func (a *Actionstep) FindFileNote(ctx context.Context, in Note) (bool, error) {
	page, err := a.api().ListFileNotes(ctx, actionstep.ID(in.MatterID), actionstep.Query{
		Filters: []actionstep.Filter{{Field: "text", Op: actionstep.OpILike, Value: "%" + in.Marker + "%"}},
	})
	if err != nil {
		return false, classify(err)
	}
	return len(page.Items) > 0, nil
}

// createFailure classifies a failed create. Anything but a clear refusal or a 429
// (neither of which applied the create) leaves the outcome unknown.
func createFailure(err error) error {
	c := classify(err)
	var app *temporal.ApplicationError
	if errors.As(c, &app) && !app.NonRetryable() && app.Type() != ErrTypeRateLimited {
		return temporal.NewNonRetryableApplicationError(app.Error()+" (the create may have been applied)", ErrTypeOutcomeUnknown, err)
	}
	return c
}

// oldest picks the record with the smallest numeric id: the first one created.
func oldest[T any](items []T, id func(T) actionstep.ID) actionstep.ID {
	ids := make([]actionstep.ID, len(items))
	for i, it := range items {
		ids[i] = id(it)
	}
	slices.SortFunc(ids, func(a, b actionstep.ID) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	return ids[0]
}
