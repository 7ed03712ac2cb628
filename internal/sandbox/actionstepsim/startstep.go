package actionstepsim

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// startStep is what a matter type's start step requires of a new matter:
// participants of some participant types and values of some data fields.
type startStep struct {
	participantTypes []string // participant type ids
	dataFields       []string // data collection field ids ("148--plan")
}

// StartStepSpec names what the seeded matter type's start step requires.
// The default is one participant of the client participant type.
type StartStepSpec struct {
	ParticipantTypes []string `json:"participantTypes,omitempty"` // participant type names
	DataFields       []string `json:"dataFields,omitempty"`       // field names of the seeded data collection
}

// actionCreateTemplateKind is the GET /actioncreate/{actionTypeId} shape:
// what a new matter of the type needs. The real reply also lists the start
// step's tasks, messages and templates; simulator choice: the links below,
// where stepParticipantTypes and stepDataFields are what the start step
// requires and otherParticipantTypes the rest, side-loaded by default.
func actionCreateTemplateKind() *kind {
	return &kind{name: kActionCreate, fields: []field{
		{name: "actionName"}, {name: "fileReference"}, {name: "priority", typ: tInt}, {name: "status"},
	}, links: []linkDef{
		{name: "actionType", target: kActionTypes},
		{name: "step", target: "steps"},
		{name: "stepParticipantTypes", target: kParticipantTypes, many: true},
		{name: "otherParticipantTypes", target: kParticipantTypes, many: true},
		{name: "stepDataFields", target: kDataFields, many: true},
	}, defaultInclude: [][]string{{"stepParticipantTypes"}, {"otherParticipantTypes"}, {"stepDataFields"}}}
}

// startStepRecord renders what matter type at needs.
func (c *restCall) startStepRecord(k *kind, at *record) *record {
	id := at.idString()
	step := c.org.startStep(id)
	r := newRecord(k, at.id)
	r.attrs["priority"], r.attrs["status"] = 0, "Active"
	r.links["actionType"], r.links["step"] = id, id+"--1"
	var other []string
	for _, pt := range c.org.tables[kParticipantTypes] {
		if !slices.Contains(step.participantTypes, pt.idString()) {
			other = append(other, pt.idString())
		}
	}
	r.links["stepParticipantTypes"] = nilIfEmpty(step.participantTypes)
	r.links["otherParticipantTypes"] = nilIfEmpty(other)
	r.links["stepDataFields"] = nilIfEmpty(step.dataFields)
	return r
}

func nilIfEmpty(ids []string) any {
	if len(ids) == 0 {
		return nil
	}
	return slices.Clone(ids)
}

// startStep is the start step of matter type id: the seeded one's, or
// one participant of the type's primary participant type.
func (o *org) startStep(id string) startStep {
	if st, ok := o.startSteps[id]; ok {
		return st
	}
	if at := o.lookup(kActionTypes, id); at != nil {
		if pt, ok := at.links["primaryParticipantType"].(string); ok {
			return startStep{participantTypes: []string{pt}}
		}
	}
	return startStep{}
}

// checkStartStep enforces the start step under the "enforced" reading: an
// explicit assignee, a participant of every required participant type,
// and no required data field (actioncreate has no way to set one).
func (c *restCall) checkStartStep(req *record, typed map[int][]string, ptr string) error {
	if !c.enforceStart() {
		return nil
	}
	typeID := req.links["actionType"].(string)
	if req.attrs["assignedToParticipant"] == nil && req.links["assignedToParticipant"] == nil {
		return errInvalid(ptr+"/assignedToParticipant", "The start step of matter type %s needs the participant the matter is assigned to (assignedToParticipant)", typeID)
	}
	step := c.org.startStep(typeID)
	var missing []string
	for _, pt := range step.participantTypes {
		n, _ := strconv.Atoi(pt)
		if len(typed[n]) == 0 {
			missing = append(missing, "participantType"+pt)
		}
	}
	if len(missing) > 0 {
		return errInvalid(ptr+"/links", "The start step of matter type %s requires participants of participant type(s) %s", typeID, strings.Join(missing, ", "))
	}
	if len(step.dataFields) > 0 {
		return errInvalid(ptr, "The start step of matter type %s requires data field(s) %s", typeID, strings.Join(step.dataFields, ", "))
	}
	return nil
}

// reference is a new matter's reference under the fileReference reading.
func (c *restCall) reference(a *record, fileReference any) any {
	switch c.s.w.readings.FileReference {
	case "ignore":
		return nil
	case "autonumber":
		return fmt.Sprintf("M%05d", a.id.(int))
	}
	return fileReference
}

// seedStartStep records what the seeded matter type's start step
// requires; names that do not exist are an error.
func (o *org) seedStartStep(matterType string, spec *StartStepSpec) error {
	if spec == nil {
		return nil
	}
	byName := map[string]string{}
	for _, pt := range o.tables[kParticipantTypes] {
		byName[pt.str("name")] = pt.idString()
	}
	var st startStep
	for _, name := range spec.ParticipantTypes {
		id, ok := byName[name]
		if !ok {
			return fmt.Errorf("startStep.participantTypes: no participant type %q (known: %s)", name, strings.Join(slices.Sorted(maps.Keys(byName)), ", "))
		}
		st.participantTypes = append(st.participantTypes, id)
	}
	for _, name := range spec.DataFields {
		id := strconv.Itoa(o.collection) + "--" + name
		if o.collection == 0 || o.lookup(kDataFields, id) == nil {
			return fmt.Errorf("startStep.dataFields: the seeded data collection has no field %q", name)
		}
		st.dataFields = append(st.dataFields, id)
	}
	o.startSteps[matterType] = st
	return nil
}
