package activities

// The Actionstep receiver, its setup lookups, and the client (participant) records.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/actionstepsetup"
	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/pacing"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// Actionstep holds the Actionstep activities and their dependencies. The names in it
// are resolved to ids by ResolveSetup, once per worker process (runs from before
// actionstep-cached-setup call the three Lookup activities); the workflows keep the ids.
//
// Nothing here trusts a filter: the documentation shows few of them in use, and an API
// that ignores one returns records that do not match. Every lookup reads every page and
// checks each record itself (actionstep.Collect).
type Actionstep struct {
	Client  *actionstep.Client
	Tokens  *tokens.Store
	OrgKey  string
	Mapping mapping.Mapping
	// Names of the matter type, the client's participant type and the data collection.
	MatterType, ClientType, DataCollection string
	// Pacing paces calls to the organisation's share of Actionstep's limit, which Pace
	// finds for the whole fleet (nil: no pacing).
	Pacing *pacing.Limiter
	Pace   pacing.Adaptive

	// Audit records every record made or changed (nil: none recorded).
	Audit *audit.Log

	// cache holds what is asked once per process rather than per matter: what a new
	// matter of a type needs, and the API user's own contact.
	cache cache
	// setup is ResolveSetup's answer; setupMu makes concurrent activities wait for one
	// lookup rather than each make their own.
	setupMu sync.Mutex
	setup   cached[Setup]
}

// audited records that a record was made or changed, filed under the location whose
// owner's activity did it.
func (a *Actionstep) audited(ctx context.Context, action, record, id, reason string) {
	a.Audit.Record(ctx, audit.Entry{Kind: audit.KindActionstep, Action: action,
		Detail: audit.Detail{API: audit.APIActionstep, Record: record, RecordID: id, Reason: reason}})
}

// api returns a client bound to the organisation's stored credential, whose calls wait
// for the organisation's pace, or are held back until it has a slot (a
// *pacing.HoldBack, see classify).
func (a *Actionstep) api() *actionstep.Client {
	c := a.Client.As(credentials.ActionstepSource(a.Tokens, a.Client, tokens.KeyActionstep(a.OrgKey)))
	if a.Pacing != nil {
		c = c.Paced(a.Pacing.Pacer(ActionstepBudget(a.OrgKey), a.Pace))
	}
	return c
}

// ActionstepBudget names an organisation's budget of Actionstep's limit. Actionstep
// limits per user and organisation; saasbridge connects one user per organisation.
func ActionstepBudget(orgKey string) string { return "actionstep:" + orgKey }

// LookupMatterType finds the configured matter type: GET /actiontypes?name_eq=….
func (a *Actionstep) LookupMatterType(ctx context.Context) (string, error) {
	t, err := actionstepsetup.MatterType(ctx, a.api(), a.MatterType)
	return configured(t, err, func(t *actionstep.ActionType) actionstep.ID { return t.ID }, "matter type", a.MatterType, "ACTIONSTEP_MATTER_TYPE")
}

// LookupClientType finds the configured participant type: GET /participanttypes?name_eq=….
func (a *Actionstep) LookupClientType(ctx context.Context) (string, error) {
	t, err := actionstepsetup.ParticipantType(ctx, a.api(), a.ClientType)
	return configured(t, err, func(t *actionstep.ParticipantType) actionstep.ID { return t.ID }, "participant type", a.ClientType, "ACTIONSTEP_CLIENT_TYPE")
}

// LookupDataCollection finds the configured data collection of the matter type:
// GET /datacollections?name_eq=…&actionType_eq=….
func (a *Actionstep) LookupDataCollection(ctx context.Context, matterTypeID string) (string, error) {
	d, err := actionstepsetup.DataCollection(ctx, a.api(), a.DataCollection, actionstep.ID(matterTypeID))
	return configured(d, err, func(d *actionstep.DataCollection) actionstep.ID { return d.ID }, "data collection", a.DataCollection, "ACTIONSTEP_DATA_COLLECTION")
}

// Setup is what the configured names resolve to in the organisation.
type Setup struct {
	MatterTypeID     string `json:"matterTypeId"`
	ClientTypeID     string `json:"clientTypeId"`
	DataCollectionID string `json:"dataCollectionId"`
}

// ResolveSetup resolves the matter type, the client participant type and the data
// collection (LookupMatterType, LookupClientType, LookupDataCollection) once per
// worker and cacheTTL: every onboarding needs them, and they change only when someone
// changes the organisation's setup. Looked up when the worker has none (its last
// lookup failed, or Actionstep refused a request naming the ids: refusedSetup) and
// again once they are cacheTTL old; a lookup in progress is shared
// by the activities that need it meanwhile.
func (a *Actionstep) ResolveSetup(ctx context.Context) (Setup, error) {
	a.setupMu.Lock()
	defer a.setupMu.Unlock()
	if a.setup.fresh() {
		return a.setup.value, nil
	}
	var s Setup
	var err error
	if s.MatterTypeID, err = a.LookupMatterType(ctx); err != nil {
		return Setup{}, err
	}
	if s.ClientTypeID, err = a.LookupClientType(ctx); err != nil {
		return Setup{}, err
	}
	if s.DataCollectionID, err = a.LookupDataCollection(ctx, s.MatterTypeID); err != nil {
		return Setup{}, err
	}
	a.setup = cached[Setup]{s, time.Now()}
	return s, nil
}

// refusedSetup drops the cached setup when Actionstep refused a request that named its
// ids (a 4xx other than 429, or a setup failure): the matter type, participant type or
// data collection may have been deleted or re-created since the lookup, and the next
// ResolveSetup (the parked event's redrive, or the next onboarding) should ask again
// rather than keep the stale ids until they are cacheTTL old. A refusal for another
// reason costs one lookup more. It returns err unchanged.
func (a *Actionstep) refusedSetup(err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && (app.Type() == ErrTypeRejected || app.Type() == ErrTypeActionstepSetup) {
		a.setupMu.Lock()
		a.setup = cached[Setup]{}
		a.setupMu.Unlock()
	}
	return err
}

// configured is the id of a configured record, or why there is none.
func configured[T any](found *T, err error, id func(*T) actionstep.ID, what, name, variable string) (string, error) {
	switch {
	case err != nil:
		return "", classify(err)
	case found == nil:
		return "", setupError(fmt.Sprintf("Actionstep has no %s named %q (set %s, or run `starter setup actionstep`)", what, name, variable), nil)
	}
	return string(id(found)), nil
}

// Location is what the Actionstep side needs to know of a HighLevel location.
type Location struct {
	LocationID string `json:"locationId"`
	CompanyID  string `json:"companyId"`
	Name       string `json:"name,omitempty"`
	Address    string `json:"address,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Website    string `json:"website,omitempty"`
}

func (l Location) mapping() mapping.Location {
	return mapping.Location{ID: l.LocationID, CompanyID: l.CompanyID, Name: l.Name, Address: l.Address, Email: l.Email,
		Phone: l.Phone, Website: l.Website}
}

// Found is the answer of a lookup by our own key.
type Found struct {
	ID     string `json:"id,omitempty"`
	Status string `json:"status,omitempty"`
}

// FindClient looks the location's client participant up by importExternalReference =
// location id: GET /participants?importExternalReference_eq=…, every record checked.
func (a *Actionstep) FindClient(ctx context.Context, locationID string) (Found, error) {
	clients, err := a.clients(ctx, a.api(), locationID)
	if err != nil || len(clients) == 0 {
		return Found{}, classify(err)
	}
	if len(clients) > 1 {
		// Made outside saasbridge, or by a create that lost its answer before the
		// find-before-create rule: keep the oldest, leave the rest to a human.
		activity.GetLogger(ctx).Warn("several Actionstep participants carry this location id", "locationId", locationID, "count", len(clients))
	}
	return Found{ID: string(oldest(clients, func(id actionstep.ID) actionstep.ID { return id }))}, nil
}

// clients are the ids of the participants whose importExternalReference is the location's.
func (a *Actionstep) clients(ctx context.Context, api *actionstep.Client, locationID string) ([]actionstep.ID, error) {
	q := actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq(actionstep.FieldImportExternalReference, locationID)}}
	found, err := actionstep.Collect(ctx, api.ListParticipants, q, func(p actionstep.Participant) bool {
		return p.ImportExternalReference == locationID
	})
	ids := make([]actionstep.ID, len(found))
	for i, p := range found {
		ids[i] = p.ID
	}
	return ids, err
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
	a.audited(ctx, audit.ActionCreated, audit.RecordParticipant, string(p.ID), "")
	return string(p.ID), nil
}

// ClientUpdate brings an existing client participant in line with HighLevel.
type ClientUpdate struct {
	ParticipantID string   `json:"participantId"`
	Location      Location `json:"location"`
}

// UpdateClient sets the mapped fields on the client: PUT /participants/{id}. Fields the
// location has no value for are left alone, and nothing is sent when it has none. It
// sets state, so a retry is harmless.
func (a *Actionstep) UpdateClient(ctx context.Context, in ClientUpdate) error {
	f := a.Mapping.Participant(mapping.NewValues(in.Location.mapping(), mapping.Subscription{}, mapping.Event{}))
	if f == (actionstep.ParticipantFields{}) {
		return nil
	}
	if _, err := a.api().UpdateParticipant(ctx, actionstep.ID(in.ParticipantID), f); err != nil {
		return classify(err)
	}
	a.audited(ctx, audit.ActionUpdated, audit.RecordParticipant, in.ParticipantID, "")
	return nil
}

// createFailure classifies a failed create. Anything but a clear refusal or a 429
// (neither of which applied the create) leaves the outcome unknown.
func createFailure(err error) error {
	c := classify(err)
	var app *temporal.ApplicationError
	if errors.As(c, &app) && !app.NonRetryable() && app.Type() != ErrTypeRateLimited {
		return outcomeUnknown(app.Error()+" (the create may have been applied)", err)
	}
	return c
}

// appliedFailure is the failure of a request made after a create was applied (marking
// the new matter): whatever its kind, even a hold-back or a 429, which createFailure
// would report as not applied, the record exists, so the workflow must look for it
// before creating again.
func appliedFailure(err error) error {
	return outcomeUnknown(classify(err).Error()+" (the create was applied)", err)
}

// oldest picks the record with the smallest numeric id: the first one created.
func oldest[T any](items []T, id func(T) actionstep.ID) actionstep.ID {
	ids := make([]actionstep.ID, len(items))
	for i, it := range items {
		ids[i] = id(it)
	}
	slices.SortFunc(ids, actionstep.ID.Compare)
	return ids[0]
}
