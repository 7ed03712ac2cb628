package actionstepsim

import (
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Resource names (the URL segment and the envelope key).
const (
	kParticipants       = "participants"
	kParticipantTypes   = "participanttypes"
	kDefaultTypes       = "participantdefaulttypes"
	kActionTypes        = "actiontypes"
	kActions            = "actions"
	kActionCreate       = "actioncreate"
	kActionParticipants = "actionparticipants"
	kDataCollections    = "datacollections"
	kDataFields         = "datacollectionfields"
	kDataRecords        = "datacollectionrecords"
	kDataValues         = "datacollectionrecordvalues"
	kFileNotes          = "filenotes"
	kContactNotes       = "contactnotes"
	kUsers              = "users"
	kResthooks          = "resthooks"
)

// idBase is where each organisation's numeric ids start. Simulator choice:
// different ranges per resource (and close to the reference's examples),
// so a client that mixes up, say, a participant id and a participant type
// id gets a 404 or 400 instead of a lucky hit.
var idBase = map[string]int{
	kParticipants: 10, kParticipantTypes: 27, kActionTypes: 40, kActions: 1000,
	kDataCollections: 148, kDataRecords: 6000, kFileNotes: 21000, kContactNotes: 500, kTasks: 9280,
	kUsers: 2, kResthooks: 1,
}

// org is one Actionstep organisation (a customer system, "orgkey").
type org struct {
	key        string
	name       string
	generation int // api_endpoint generation; 1 until a rotation
	createdAt  time.Time
	userID     int
	userPartID int
	clientType int
	matterType int
	collection int // the seeded data collection, 0 when none
	// startSteps are the start steps of matter types that differ from the
	// default (one participant of the primary participant type), by id.
	startSteps map[string]startStep

	tables map[string][]*record
	next   map[string]int
	values map[valueKey]*storedValue
	// readings are the server's (world.readings), read under Server.mu.
	readings   *Readings
	deliveries []HookDelivery
	hookQueue  []hookJob // REST hook deliveries still to make
	delivering bool      // a goroutine is draining hookQueue
}

// valueKey addresses a data collection record value: the record and the
// field name (a record belongs to one collection).
type valueKey struct {
	record int
	field  string
}

type storedValue struct {
	value      *string
	modifiedAt time.Time
}

func newOrg(key, name string, now time.Time) *org {
	return &org{
		key: key, name: name, generation: 1, createdAt: now,
		tables: map[string][]*record{}, next: map[string]int{}, values: map[valueKey]*storedValue{},
		startSteps: map[string]startStep{},
	}
}

// nextID allocates the next numeric id of a resource.
func (o *org) nextID(kind string) int {
	if o.next[kind] == 0 {
		o.next[kind] = idBase[kind]
	}
	id := o.next[kind]
	o.next[kind]++
	return id
}

// insert stores r, keeping its table in id order.
func (o *org) insert(r *record) {
	t := append(o.tables[r.kind.name], r)
	slices.SortStableFunc(t, byID)
	o.tables[r.kind.name] = t
}

func (o *org) delete(r *record) {
	o.tables[r.kind.name] = slices.DeleteFunc(o.tables[r.kind.name], func(x *record) bool { return x == r })
}

// lookup finds a stored record by id.
func (o *org) lookup(kind, id string) *record {
	for _, r := range o.tables[kind] {
		if r.idString() == id {
			return r
		}
	}
	return nil
}

// apiPath is api_endpoint without scheme and host. After a rotation the
// organisation lives on another "cluster", as it would after moving region.
func (o *org) apiPath() string {
	if o.generation <= 1 {
		return "/api/" + o.key + "/"
	}
	return "/cluster" + strconv.Itoa(o.generation) + "/api/" + o.key + "/"
}

// Org is an organisation as the admin API shows it.
type Org struct {
	OrgKey string `json:"orgKey"`
	Name   string `json:"name"`
	// APIPath is the path of the current api_endpoint: "/api/<orgkey>/",
	// or "/cluster<N>/api/<orgkey>/" after N-1 rotations. api_endpoint is
	// the simulator's base URL followed by it.
	APIPath string `json:"apiPath"`
	// UserID is the organisation's dedicated API user, and
	// UserParticipantID that user's own contact.
	UserID                  int       `json:"userId"`
	UserParticipantID       int       `json:"userParticipantId"`
	ClientParticipantTypeID int       `json:"clientParticipantTypeId"`
	MatterTypeID            int       `json:"matterTypeId"`
	DataCollectionID        int       `json:"dataCollectionId,omitempty"`
	CreatedAt               time.Time `json:"createdAt"`
}

func (o *org) view() Org {
	return Org{
		OrgKey: o.key, Name: o.name, APIPath: o.apiPath(), UserID: o.userID, UserParticipantID: o.userPartID,
		ClientParticipantTypeID: o.clientType, MatterTypeID: o.matterType, DataCollectionID: o.collection,
		CreatedAt: o.createdAt,
	}
}

// OrgSpec describes an organisation to create; empty fields take defaults.
type OrgSpec struct {
	// OrgKey defaults to "simorg<N>"; letters, digits, '_' and '-'.
	OrgKey string `json:"orgKey,omitempty"`
	Name   string `json:"name,omitempty"`
	// User is the dedicated API user; default "Sandbox Integration".
	User *UserSpec `json:"user,omitempty"`
	// MatterTypeName is the seeded matter type; default "SaaS Subscription".
	// A second type, "General Matter", is always seeded beside it.
	MatterTypeName string `json:"matterTypeName,omitempty"`
	// ClientTypeName is the seeded participant type linked as the matter
	// type's primary participant type; default "Client".
	ClientTypeName string `json:"clientTypeName,omitempty"`
	// DataCollection is seeded on the matter type; default
	// DefaultDataCollection(). NoDataCollection seeds none.
	DataCollection   *DataCollectionSpec `json:"dataCollection,omitempty"`
	NoDataCollection bool                `json:"noDataCollection,omitempty"`
	// StartStep is what the seeded matter type's start step requires of
	// a new matter; default one participant of the client type. Enforced
	// only under the "enforced" startStep reading.
	StartStep *StartStepSpec `json:"startStep,omitempty"`
}

// UserSpec is the organisation's API user.
type UserSpec struct {
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	Email     string `json:"email,omitempty"`
}

// DataCollectionSpec is a data collection to seed on the matter type.
type DataCollectionSpec struct {
	Name            string          `json:"name"`
	Label           string          `json:"label,omitempty"`
	Description     string          `json:"description,omitempty"`
	MultipleRecords bool            `json:"multipleRecords,omitempty"`
	Fields          []DataFieldSpec `json:"fields"`
}

// DataFieldSpec is one field of a seeded data collection; DataType is one
// of Actionstep's (Str255, Number, Money, Date, DateTime, Boolean, …).
type DataFieldSpec struct {
	Name     string `json:"name"`
	Label    string `json:"label,omitempty"`
	DataType string `json:"dataType,omitempty"` // default Str255
}

// DefaultDataCollection is the single-record collection seeded on the
// matter type unless told otherwise: what the worker records about a
// subscription (reference §3.9).
func DefaultDataCollection() DataCollectionSpec {
	return DataCollectionSpec{
		Name: "saas_subscription", Label: "SaaS subscription", Description: "Synced from billing",
		Fields: []DataFieldSpec{
			{Name: "plan", Label: "Plan", DataType: "Str255"},
			{Name: "status", Label: "Status", DataType: "Str255"},
			{Name: "subscription_id", Label: "Subscription ID", DataType: "Str255"},
			{Name: "last_change", Label: "Last change", DataType: "DateTime"},
		},
	}
}

var (
	orgKeyPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	fieldNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
)
