package actionstepsim

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// State is everything the simulator holds except tokens.
type State struct {
	Orgs []OrgState `json:"orgs"`
}

// OrgState is one organisation's data, for tests to assert on.
// Timestamps are as the API renders them.
type OrgState struct {
	Org
	Participants            []Participant            `json:"participants"`
	ParticipantDefaultTypes []ParticipantDefaultType `json:"participantDefaultTypes"`
	Actions                 []Action                 `json:"actions"`
	ActionParticipants      []ActionParticipant      `json:"actionParticipants"`
	DataCollections         []DataCollection         `json:"dataCollections"`
	DataRecords             []DataRecord             `json:"dataRecords"`
	// DataValues are the values ever set (a cleared one has a nil Value);
	// unset values are null on the API and absent here.
	DataValues     []DataValue    `json:"dataValues"`
	FileNotes      []FileNote     `json:"fileNotes"`
	ContactNotes   []ContactNote  `json:"contactNotes"`
	Tasks          []Task         `json:"tasks"`
	Resthooks      []Resthook     `json:"resthooks"`
	HookDeliveries []HookDelivery `json:"hookDeliveries"`
	// DuplicateExternalReferences lists importExternalReference values
	// that more than one participant (or action) holds, as
	// "participants:<ref>" or "actions:<ref>": the trace of a
	// non-idempotent retry.
	DuplicateExternalReferences []string `json:"duplicateExternalReferences"`
}

// Participant is a contact.
type Participant struct {
	ID                      int    `json:"id"`
	DisplayName             string `json:"displayName"`
	IsCompany               bool   `json:"isCompany"`
	CompanyName             string `json:"companyName,omitempty"`
	FirstName               string `json:"firstName,omitempty"`
	LastName                string `json:"lastName,omitempty"`
	Email                   string `json:"email,omitempty"`
	Phone1Number            string `json:"phone1Number,omitempty"`
	Website                 string `json:"website,omitempty"`
	PhysicalAddressLine1    string `json:"physicalAddressLine1,omitempty"`
	ImportExternalReference string `json:"importExternalReference,omitempty"`
	CreatedTimestamp        string `json:"createdTimestamp"`
	ModifiedTimestamp       string `json:"modifiedTimestamp"`
}

// ParticipantDefaultType is a participant's default contact type.
type ParticipantDefaultType struct {
	ID                string `json:"id"`
	ParticipantID     int    `json:"participantId"`
	ParticipantTypeID int    `json:"participantTypeId"`
}

// Action is a matter.
type Action struct {
	ID                      int    `json:"id"`
	Name                    string `json:"name"`
	Reference               string `json:"reference,omitempty"`
	Status                  string `json:"status"`
	ActionTypeID            int    `json:"actionTypeId"`
	AssignedToID            int    `json:"assignedToId"`
	PrimaryParticipantIDs   []int  `json:"primaryParticipantIds"`
	ImportExternalReference string `json:"importExternalReference,omitempty"`
	CreatedTimestamp        string `json:"createdTimestamp"`
	ModifiedTimestamp       string `json:"modifiedTimestamp"`
	StatusTimestamp         string `json:"statusTimestamp"`
}

// ActionParticipant is a participant's role on a matter.
type ActionParticipant struct {
	ID                string `json:"id"`
	ActionID          int    `json:"actionId"`
	ParticipantTypeID int    `json:"participantTypeId"`
	ParticipantID     int    `json:"participantId"`
	ParticipantNumber int    `json:"participantNumber"`
}

// DataCollection is a data collection and its field names.
type DataCollection struct {
	ID              int      `json:"id"`
	Name            string   `json:"name"`
	ActionTypeID    int      `json:"actionTypeId"`
	MultipleRecords bool     `json:"multipleRecords"`
	Fields          []string `json:"fields"`
}

// DataRecord is a matter's record of a data collection.
type DataRecord struct {
	ID               int `json:"id"`
	ActionID         int `json:"actionId"`
	DataCollectionID int `json:"dataCollectionId"`
}

// DataValue is a set data collection record value.
type DataValue struct {
	ID               string    `json:"id"`
	ActionID         int       `json:"actionId"`
	DataCollectionID int       `json:"dataCollectionId"`
	RecordID         int       `json:"recordId"`
	Field            string    `json:"field"`
	Value            *string   `json:"value"`
	ModifiedAt       time.Time `json:"modifiedAt"`
}

// Task is a task on a matter.
type Task struct {
	ID           int    `json:"id"`
	ActionID     int    `json:"actionId"`
	AssigneeID   int    `json:"assigneeId"`
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	Status       string `json:"status"`
	Priority     string `json:"priority"`
	DueTimestamp string `json:"dueTimestamp"`
}

// FileNote is a note on a matter.
type FileNote struct {
	ID               int    `json:"id"`
	ActionID         int    `json:"actionId"`
	Text             string `json:"text"`
	Source           string `json:"source"`
	EnteredBy        string `json:"enteredBy"`
	EnteredTimestamp string `json:"enteredTimestamp"`
	NoteTimestamp    string `json:"noteTimestamp"`
}

// ContactNote is a note on a participant.
type ContactNote struct {
	ID               int    `json:"id"`
	ParticipantID    int    `json:"participantId"`
	Text             string `json:"text"`
	Source           string `json:"source"`
	EnteredTimestamp string `json:"enteredTimestamp"`
}

// Resthook is a registered webhook.
type Resthook struct {
	ID             int    `json:"id"`
	EventName      string `json:"eventName"`
	TargetURL      string `json:"targetUrl"`
	Status         string `json:"status"`
	TriggeredCount int    `json:"triggeredCount"`
}

// State returns every organisation, in creation order.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Orgs: []OrgState{}}
	for _, k := range s.w.orgOrder {
		st.Orgs = append(st.Orgs, s.w.orgs[k].state())
	}
	return st
}

// OrgState returns one organisation.
func (s *Server) OrgState(orgKey string) (OrgState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.w.orgs[orgKey]
	if !ok {
		return OrgState{}, simkit.Errorf(http.StatusNotFound, "organisation %s not found", orgKey)
	}
	return o.state(), nil
}

func (o *org) state() OrgState {
	st := OrgState{
		Org:                     o.view(),
		ParticipantDefaultTypes: convert(o.tables[kDefaultTypes], defaultTypeState),
		ActionParticipants:      convert(o.tables[kActionParticipants], actionParticipantState),
		DataRecords:             convert(o.tables[kDataRecords], dataRecordState),
		FileNotes:               convert(o.tables[kFileNotes], fileNoteState),
		ContactNotes:            convert(o.tables[kContactNotes], contactNoteState),
		Tasks:                   convert(o.tables[kTasks], taskState),
		Resthooks:               convert(o.tables[kResthooks], resthookState),
		Participants:            convert(o.tables[kParticipants], participantState),
		Actions:                 convert(o.tables[kActions], actionState),
		DataValues:              o.dataValues(),
		HookDeliveries:          append([]HookDelivery{}, o.deliveries...),
		DuplicateExternalReferences: slices.Concat([]string{},
			duplicateRefs(o.tables[kParticipants]), duplicateRefs(o.tables[kActions])),
	}
	for _, c := range o.tables[kDataCollections] {
		dc := DataCollection{
			ID: c.id.(int), Name: c.str("name"), ActionTypeID: c.linkID("actionType"),
			MultipleRecords: c.str("multipleRecords") == "T", Fields: []string{},
		}
		for _, f := range o.tables[kDataFields] {
			if f.links["dataCollection"] == c.idString() {
				dc.Fields = append(dc.Fields, f.str("name"))
			}
		}
		st.DataCollections = append(st.DataCollections, dc)
	}
	if st.DataCollections == nil {
		st.DataCollections = []DataCollection{}
	}
	return st
}

func convert[T any](rows []*record, fn func(*record) T) []T {
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		out = append(out, fn(r))
	}
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func participantState(r *record) Participant {
	return Participant{
		ID: r.id.(int), DisplayName: r.str("displayName"), IsCompany: r.str("isCompany") == "T",
		CompanyName: r.str("companyName"), FirstName: r.str("firstName"), LastName: r.str("lastName"),
		Email: r.str("email"), Phone1Number: r.str("phone1Number"), Website: r.str("website"),
		PhysicalAddressLine1: r.str("physicalAddressLine1"), ImportExternalReference: r.str("importExternalReference"),
		CreatedTimestamp: r.str("createdTimestamp"), ModifiedTimestamp: r.str("modifiedTimestamp"),
	}
}

func defaultTypeState(r *record) ParticipantDefaultType {
	return ParticipantDefaultType{ID: r.idString(), ParticipantID: r.linkID("participant"), ParticipantTypeID: r.linkID("participantType")}
}

func actionState(r *record) Action {
	a := Action{
		ID: r.id.(int), Name: r.str("name"), Reference: r.str("reference"), Status: r.str("status"),
		ActionTypeID: r.linkID("actionType"), AssignedToID: r.linkID("assignedTo"), PrimaryParticipantIDs: []int{},
		ImportExternalReference: r.str("importExternalReference"), CreatedTimestamp: r.str("createdTimestamp"),
		ModifiedTimestamp: r.str("modifiedTimestamp"), StatusTimestamp: r.str("statusTimestamp"),
	}
	for _, id := range r.linkIDs("primaryParticipants") {
		a.PrimaryParticipantIDs = append(a.PrimaryParticipantIDs, atoi(id))
	}
	return a
}

func actionParticipantState(r *record) ActionParticipant {
	return ActionParticipant{
		ID: r.idString(), ActionID: r.linkID("action"), ParticipantTypeID: r.linkID("participantType"),
		ParticipantID: r.linkID("participant"), ParticipantNumber: r.num("participantNumber"),
	}
}

func dataRecordState(r *record) DataRecord {
	return DataRecord{ID: r.id.(int), ActionID: r.linkID("action"), DataCollectionID: r.linkID("dataCollection")}
}

func taskState(r *record) Task {
	return Task{ID: r.id.(int), ActionID: r.linkID("action"), AssigneeID: r.linkID("assignee"), Name: r.str("name"),
		Description: r.str("description"), Status: r.str("status"), Priority: r.str("priority"), DueTimestamp: r.str("dueTimestamp")}
}

func fileNoteState(r *record) FileNote {
	return FileNote{
		ID: r.id.(int), ActionID: r.linkID("action"), Text: r.str("text"), Source: r.str("source"),
		EnteredBy: r.str("enteredBy"), EnteredTimestamp: r.str("enteredTimestamp"), NoteTimestamp: r.str("noteTimestamp"),
	}
}

func contactNoteState(r *record) ContactNote {
	return ContactNote{
		ID: r.id.(int), ParticipantID: r.linkID("participant"), Text: r.str("text"), Source: r.str("source"),
		EnteredTimestamp: r.str("enteredTimestamp"),
	}
}

func resthookState(r *record) Resthook {
	return Resthook{
		ID: r.id.(int), EventName: r.str("eventName"), TargetURL: r.str("targetUrl"), Status: r.str("status"),
		TriggeredCount: r.num("triggeredCount"),
	}
}

// dataValues lists the set values by record, then field.
func (o *org) dataValues() []DataValue {
	keys := slices.SortedFunc(maps.Keys(o.values), func(a, b valueKey) int {
		return cmp.Or(cmp.Compare(a.record, b.record), cmp.Compare(a.field, b.field))
	})
	out := make([]DataValue, 0, len(keys))
	for _, k := range keys {
		rec := o.lookup(kDataRecords, strconv.Itoa(k.record))
		v := o.values[k]
		dc := rec.links["dataCollection"].(string)
		out = append(out, DataValue{
			ID: dc + "--" + k.field + "--" + rec.idString(), ActionID: rec.linkID("action"), DataCollectionID: atoi(dc),
			RecordID: k.record, Field: k.field, Value: v.value, ModifiedAt: v.modifiedAt,
		})
	}
	return out
}

// duplicateRefs lists the importExternalReference values several rows share.
func duplicateRefs(rows []*record) []string {
	count := map[string]int{}
	var out []string
	for _, r := range rows {
		ref := r.str("importExternalReference")
		if ref == "" {
			continue
		}
		if count[ref]++; count[ref] == 2 {
			out = append(out, r.kind.name+":"+ref)
		}
	}
	return out
}
