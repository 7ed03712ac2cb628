package actionstep

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// Matter endpoint templates. Matters are "actions" in the API (reference §3.4).
const (
	EndpointListActionTypes         = "GET /actiontypes"
	EndpointActionCreate            = "POST /actioncreate"
	EndpointGetActionCreate         = "GET /actioncreate/{actionTypeId}"
	EndpointListActions             = "GET /actions"
	EndpointGetAction               = "GET /actions/{id}"
	EndpointUpdateAction            = "PATCH /actions/{id}"
	EndpointListActionParticipants  = "GET /actionparticipants"
	EndpointCreateActionParticipant = "POST /actionparticipants"
)

// Matter statuses.
const (
	ActionStatusActive   = "Active"
	ActionStatusInactive = "Inactive"
	ActionStatusClosed   = "Closed"
)

// ActionType is a matter type, configured in Actionstep's UI (reference §3.3).
type ActionType struct {
	ID                        ID     `json:"id"`
	Name                      string `json:"name"`
	Description               string `json:"description"`
	IsDisabled                Bool   `json:"isDisabled"`
	IsBillable                Bool   `json:"isBillable"`
	CanCreate                 Bool   `json:"canCreate"`
	TrackActualTime           Bool   `json:"trackActualTime"`
	TrackBillableTime         Bool   `json:"trackBillableTime"`
	IsForCrm                  Bool   `json:"isForCrm"`
	AllowCloseWithOpenInvoice Bool   `json:"allowCloseWithOpenInvoice"`
	CustomLogoFilesize        Int    `json:"customLogoFilesize"`
	TemplateIdentifier        string `json:"templateIdentifier"`
	Links                     struct {
		PrimaryParticipantType ID `json:"primaryParticipantType"`
	} `json:"links"`
}

// ListActionTypes queries matter types, e.g. Eq("name", "SaaS subscription").
func (c *Client) ListActionTypes(ctx context.Context, q Query) (*Page[ActionType], error) {
	return getPage[ActionType](ctx, c, EndpointListActionTypes, resActionTypes, q)
}

// Action is a matter.
type Action struct {
	ID                      ID     `json:"id"`
	Name                    string `json:"name"`
	Reference               string `json:"reference"`
	Priority                Int    `json:"priority"`
	Status                  string `json:"status"`
	StatusTimestamp         string `json:"statusTimestamp"`
	IsBillableOverride      Bool   `json:"isBillableOverride"`
	IsDeleted               Bool   `json:"isDeleted"`
	IsFavorite              Bool   `json:"isFavorite"`
	ImportExternalReference string `json:"importExternalReference"`
	BannerText              string `json:"bannerText"`
	CreatedTimestamp        string `json:"createdTimestamp"` // a date, "2019-08-15"
	ModifiedTimestamp       string `json:"modifiedTimestamp"`
	Links                   struct {
		AssignedTo          ID            `json:"assignedTo"`
		Division            ID            `json:"division"`
		ActionType          ID            `json:"actionType"`
		PrimaryParticipants OneOrMany[ID] `json:"primaryParticipants"`
		Step                ID            `json:"step"` // composite, "33--1"
		RelatedActions      OneOrMany[ID] `json:"relatedActions"`
	} `json:"links"`
}

// NewAction is the body of actioncreate, the only way to create a matter (reference §3.4).
// What else the start step requires depends on the matter type's workflow.
type NewAction struct {
	Name       string // actionName, required
	Reference  string // fileReference
	Status     string // ActionStatus…; the API's default when empty
	FileNote   string // an initial file note
	ActionType ID     // required
	AssignedTo ID     // the participant id of the user responsible
	// Participants links participants to the new matter by participant type id, e.g. the
	// client: {"27": {"7939"}}.
	Participants map[ID][]ID
}

// MarshalJSON writes the actioncreate attributes and links, with the participants as
// "participantType<ID>": [ids] links.
func (a NewAction) MarshalJSON() ([]byte, error) {
	links := map[string]any{"actionType": a.ActionType}
	if a.AssignedTo != "" {
		links["assignedToParticipant"] = a.AssignedTo
	}
	for typ, ids := range a.Participants {
		links["participantType"+string(typ)] = ids
	}
	body := map[string]any{"actionName": a.Name, "links": links}
	for k, v := range map[string]string{"fileReference": a.Reference, "status": a.Status, "fileNote": a.FileNote} {
		if v != "" {
			body[k] = v
		}
	}
	return json.Marshal(body)
}

// CreateAction creates a matter with actioncreate and returns it (its id, name, status and
// links). POST is not idempotent: find the matter first (ListActions on
// importExternalReference, set with UpdateAction after creating it) and again before retrying
// a create whose outcome is unknown.
func (c *Client) CreateAction(ctx context.Context, a NewAction) (*Action, error) {
	return create[Action](ctx, c, EndpointActionCreate, resActionCreate, a)
}

// ActionCreateNeeds is what a new matter of one matter type needs, as GET
// /actioncreate/{actionTypeId} describes it: the matter type's start step, the participant
// types and data fields the start step asks for, and the other participant types a matter
// may have. The request shapes of the start step are the matter type's own configuration,
// which differs between organisations.
type ActionCreateNeeds struct {
	ActionType            ID
	Step                  ID
	ParticipantTypes      []ID // each needs a participant on a new matter
	OtherParticipantTypes []ID
	DataFields            []ID // "<dataCollection>--<name>"
	// ParticipantTypeNames and DataFieldNames name the ids above, where the reply side-loaded
	// them.
	ParticipantTypeNames map[ID]string
	DataFieldNames       map[ID]string
}

// actionCreateNeeds is the wire form of ActionCreateNeeds.
type actionCreateNeeds struct {
	ID    ID `json:"id"`
	Links struct {
		ActionType            ID            `json:"actionType"`
		Step                  ID            `json:"step"`
		StepParticipantTypes  OneOrMany[ID] `json:"stepParticipantTypes"`
		OtherParticipantTypes OneOrMany[ID] `json:"otherParticipantTypes"`
		StepDataFields        OneOrMany[ID] `json:"stepDataFields"`
	} `json:"links"`
}

// ActionCreateNeeds asks what a new matter of actionType needs: GET
// /actioncreate/{actionTypeId}, with the participant types and data fields side-loaded.
func (c *Client) ActionCreateNeeds(ctx context.Context, actionType ID) (*ActionCreateNeeds, error) {
	path, err := recordPath(resActionCreate, actionType)
	if err != nil {
		return nil, endpointError(EndpointGetActionCreate, err)
	}
	r := request{
		endpoint: EndpointGetActionCreate, method: http.MethodGet, path: path,
		query: url.Values{"include": {"stepParticipantTypes,otherParticipantTypes,stepDataFields"}},
	}
	w, linked, err := fetchOne[actionCreateNeeds](ctx, c, r, resActionCreate)
	if err != nil {
		return nil, err
	}
	out := &ActionCreateNeeds{
		ActionType: w.Links.ActionType, Step: w.Links.Step, ParticipantTypes: w.Links.StepParticipantTypes,
		OtherParticipantTypes: w.Links.OtherParticipantTypes, DataFields: w.Links.StepDataFields,
		ParticipantTypeNames: map[ID]string{}, DataFieldNames: map[ID]string{},
	}
	for _, pt := range linked.ParticipantTypes {
		out.ParticipantTypeNames[pt.ID] = pt.Name
	}
	for _, f := range linked.DataCollectionFields {
		out.DataFieldNames[f.ID] = f.Name
	}
	return out, nil
}

// ListActions queries matters; side-load the matter type with Include: "actionType".
func (c *Client) ListActions(ctx context.Context, q Query) (*Page[Action], error) {
	return getPage[Action](ctx, c, EndpointListActions, resActions, q)
}

// GetAction reads one matter.
func (c *Client) GetAction(ctx context.Context, id ID) (*Action, error) {
	return getOne[Action](ctx, c, EndpointGetAction, resActions, id)
}

// ActionFields is the body of a matter update; only non-nil fields are sent.
type ActionFields struct {
	Name                    *string            `json:"name,omitempty"`
	Reference               *string            `json:"reference,omitempty"`
	Priority                *Int               `json:"priority,omitempty"`
	Status                  *string            `json:"status,omitempty"`
	ImportExternalReference *string            `json:"importExternalReference,omitempty"`
	BannerText              *string            `json:"bannerText,omitempty"`
	Links                   *ActionUpdateLinks `json:"links,omitempty"`
}

// ActionUpdateLinks are the relationships a matter update may change.
type ActionUpdateLinks struct {
	AssignedTo ID `json:"assignedTo,omitempty"`
	Division   ID `json:"division,omitempty"`
}

// UpdateAction changes the set fields of a matter. It uses PATCH, the method the current spec
// declares for matters (reference §2.3).
func (c *Client) UpdateAction(ctx context.Context, id ID, f ActionFields) (*Action, error) {
	return update[Action](ctx, c, EndpointUpdateAction, http.MethodPatch, resActions, id, f)
}

// CloseAction sets a matter's status to Closed; closing a closed matter is harmless.
func (c *Client) CloseAction(ctx context.Context, id ID) (*Action, error) {
	return c.UpdateAction(ctx, id, ActionFields{Status: new(ActionStatusClosed)})
}

// ActionParticipant links a participant to a matter in a role; its id is
// "<action>--<participantType>--<participant>" and its links cannot change.
type ActionParticipant struct {
	ID                ID  `json:"id"`
	ParticipantNumber Int `json:"participantNumber"`
	Links             struct {
		Action          ID `json:"action"`
		ParticipantType ID `json:"participantType"`
		Participant     ID `json:"participant"`
	} `json:"links"`
}

// ListActionParticipants queries matter participants, e.g. Eq("action", id); side-load with
// Include: "participant", "participantType".
func (c *Client) ListActionParticipants(ctx context.Context, q Query) (*Page[ActionParticipant], error) {
	return getPage[ActionParticipant](ctx, c, EndpointListActionParticipants, resActionParticipants, q)
}

// CreateActionParticipant links participant to action as participantType.
func (c *Client) CreateActionParticipant(ctx context.Context, action, participantType, participant ID) (*ActionParticipant, error) {
	body := linksOnly{Links: map[string]ID{"action": action, "participantType": participantType, "participant": participant}}
	return create[ActionParticipant](ctx, c, EndpointCreateActionParticipant, resActionParticipants, body)
}
