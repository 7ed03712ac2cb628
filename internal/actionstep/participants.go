package actionstep

import (
	"context"
	"net/http"
)

// Participant endpoint templates.
const (
	EndpointListParticipants             = "GET /participants"
	EndpointGetParticipant               = "GET /participants/{id}"
	EndpointCreateParticipant            = "POST /participants"
	EndpointUpdateParticipant            = "PUT /participants/{id}"
	EndpointListParticipantTypes         = "GET /participanttypes"
	EndpointListParticipantDefaultTypes  = "GET /participantdefaulttypes"
	EndpointCreateParticipantDefaultType = "POST /participantdefaulttypes"
)

// Participant is a contact: a company (IsCompany) or a person (reference §3.1). Timestamps are
// kept as sent: dates ("2019-08-15") and offset date-times both occur.
type Participant struct {
	ID                      ID               `json:"id"`
	DisplayName             string           `json:"displayName"`
	IsCompany               Bool             `json:"isCompany"`
	CompanyName             string           `json:"companyName"`
	Salutation              string           `json:"salutation"`
	FirstName               string           `json:"firstName"`
	MiddleName              string           `json:"middleName"`
	LastName                string           `json:"lastName"`
	Suffix                  string           `json:"suffix"`
	PreferredName           string           `json:"preferredName"`
	PhysicalAddressLine1    string           `json:"physicalAddressLine1"`
	PhysicalAddressLine2    string           `json:"physicalAddressLine2"`
	PhysicalCity            string           `json:"physicalCity"`
	PhysicalStateProvince   string           `json:"physicalStateProvince"`
	PhysicalPostCode        string           `json:"physicalPostCode"`
	MailingAddressLine1     string           `json:"mailingAddressLine1"`
	MailingAddressLine2     string           `json:"mailingAddressLine2"`
	MailingCity             string           `json:"mailingCity"`
	MailingStateProvince    string           `json:"mailingStateProvince"`
	MailingPostCode         string           `json:"mailingPostCode"`
	Phone1Label             string           `json:"phone1Label"`
	Phone1Country           Int              `json:"phone1Country"`
	Phone1Area              Int              `json:"phone1Area"`
	Phone1Number            string           `json:"phone1Number"`
	Phone2Label             string           `json:"phone2Label"`
	Phone2Country           Int              `json:"phone2Country"`
	Phone2Area              Int              `json:"phone2Area"`
	Phone2Number            string           `json:"phone2Number"`
	Email                   string           `json:"email"`
	Website                 string           `json:"website"`
	TaxNumber               string           `json:"taxNumber"`
	ImportExternalReference string           `json:"importExternalReference"`
	CreatedTimestamp        string           `json:"createdTimestamp"`
	ModifiedTimestamp       string           `json:"modifiedTimestamp"`
	Links                   ParticipantLinks `json:"links"`
}

// ParticipantFields is the body of a participant create or update. Only non-nil fields are
// sent, so an update changes exactly what is set (new("x") makes a pointer in Go 1.26).
// Creating a company needs IsCompany=T and CompanyName; a person IsCompany=F, FirstName and
// LastName (reference §3.1). DisplayName is computed by Actionstep when omitted.
type ParticipantFields struct {
	IsCompany               *Bool             `json:"isCompany,omitempty"`
	CompanyName             *string           `json:"companyName,omitempty"`
	DisplayName             *string           `json:"displayName,omitempty"`
	Salutation              *string           `json:"salutation,omitempty"`
	FirstName               *string           `json:"firstName,omitempty"`
	MiddleName              *string           `json:"middleName,omitempty"`
	LastName                *string           `json:"lastName,omitempty"`
	PreferredName           *string           `json:"preferredName,omitempty"`
	PhysicalAddressLine1    *string           `json:"physicalAddressLine1,omitempty"`
	PhysicalAddressLine2    *string           `json:"physicalAddressLine2,omitempty"`
	PhysicalCity            *string           `json:"physicalCity,omitempty"`
	PhysicalStateProvince   *string           `json:"physicalStateProvince,omitempty"`
	PhysicalPostCode        *string           `json:"physicalPostCode,omitempty"`
	MailingAddressLine1     *string           `json:"mailingAddressLine1,omitempty"`
	MailingAddressLine2     *string           `json:"mailingAddressLine2,omitempty"`
	MailingCity             *string           `json:"mailingCity,omitempty"`
	MailingStateProvince    *string           `json:"mailingStateProvince,omitempty"`
	MailingPostCode         *string           `json:"mailingPostCode,omitempty"`
	Phone1Label             *string           `json:"phone1Label,omitempty"`
	Phone1Country           *Int              `json:"phone1Country,omitempty"`
	Phone1Area              *Int              `json:"phone1Area,omitempty"`
	Phone1Number            *string           `json:"phone1Number,omitempty"`
	Phone2Label             *string           `json:"phone2Label,omitempty"`
	Phone2Country           *Int              `json:"phone2Country,omitempty"`
	Phone2Area              *Int              `json:"phone2Area,omitempty"`
	Phone2Number            *string           `json:"phone2Number,omitempty"`
	Email                   *string           `json:"email,omitempty"`
	Website                 *string           `json:"website,omitempty"`
	TaxNumber               *string           `json:"taxNumber,omitempty"`
	ImportExternalReference *string           `json:"importExternalReference,omitempty"`
	Links                   *ParticipantLinks `json:"links,omitempty"`
}

// ParticipantLinks are a participant's relationships, as read and as set by a create or update.
type ParticipantLinks struct {
	PhysicalCountry ID `json:"physicalCountry,omitempty"` // ISO 3166 alpha-2, e.g. "AU"
	MailingCountry  ID `json:"mailingCountry,omitempty"`
	Division        ID `json:"division,omitempty"`
}

// ListParticipants queries participants; find one by our key with
// Eq(FieldImportExternalReference, ref).
func (c *Client) ListParticipants(ctx context.Context, q Query) (*Page[Participant], error) {
	return getPage[Participant](ctx, c, EndpointListParticipants, resParticipants, q)
}

// GetParticipant reads one participant.
func (c *Client) GetParticipant(ctx context.Context, id ID) (*Participant, error) {
	return getOne[Participant](ctx, c, EndpointGetParticipant, resParticipants, id)
}

// CreateParticipant creates a participant. POST is not idempotent: look the participant up by
// its importExternalReference first, and again before retrying a create whose outcome is
// unknown (a TransportError).
func (c *Client) CreateParticipant(ctx context.Context, f ParticipantFields) (*Participant, error) {
	return create[Participant](ctx, c, EndpointCreateParticipant, resParticipants, f)
}

// UpdateParticipant changes the set fields of a participant.
func (c *Client) UpdateParticipant(ctx context.Context, id ID, f ParticipantFields) (*Participant, error) {
	return update[Participant](ctx, c, EndpointUpdateParticipant, http.MethodPut, resParticipants, id, f)
}

// ParticipantType is a contact role such as "Client" (reference §3.2).
type ParticipantType struct {
	ID                    ID     `json:"id"`
	Name                  string `json:"name"`
	DisplayName           string `json:"displayName"`
	Description           string `json:"description"`
	IsBaseParticipantType Bool   `json:"isBaseParticipantType"`
	CompanyFlag           Bool   `json:"companyFlag"`
	TaxNumberAlias        string `json:"taxNumberAlias"`
}

// ListParticipantTypes queries the organisation's participant types, e.g. In("name", "Client").
func (c *Client) ListParticipantTypes(ctx context.Context, q Query) (*Page[ParticipantType], error) {
	return getPage[ParticipantType](ctx, c, EndpointListParticipantTypes, resParticipantTypes, q)
}

// ParticipantDefaultType is a participant's default role; its id is
// "<participant>--<participantType>".
type ParticipantDefaultType struct {
	ID    ID `json:"id"`
	Links struct {
		Participant     ID `json:"participant"`
		ParticipantType ID `json:"participantType"`
	} `json:"links"`
}

// ListParticipantDefaultTypes queries default types, e.g. Eq("participant", id).
func (c *Client) ListParticipantDefaultTypes(ctx context.Context, q Query) (*Page[ParticipantDefaultType], error) {
	return getPage[ParticipantDefaultType](ctx, c, EndpointListParticipantDefaultTypes, resParticipantDefaultTypes, q)
}

// CreateParticipantDefaultType gives a participant a default type (e.g. makes it a Client).
func (c *Client) CreateParticipantDefaultType(ctx context.Context, participant, participantType ID) (*ParticipantDefaultType, error) {
	body := linksOnly{Links: map[string]ID{"participant": participant, "participantType": participantType}}
	return create[ParticipantDefaultType](ctx, c, EndpointCreateParticipantDefaultType, resParticipantDefaultTypes, body)
}

// linksOnly is the body of the join resources, which have nothing but links.
type linksOnly struct {
	Links map[string]ID `json:"links"`
}
