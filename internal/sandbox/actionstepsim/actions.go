package actionstepsim

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
)

var (
	actionStatuses = []string{"Active", "Inactive", "Template", "Closed"}
	amlStatuses    = []string{"Not required", "Not started", "In progress", "Complete", "Delayed", "None"}
)

// actionsKind is matters (reference §3.4): GET, and PUT or PATCH (the
// spec says PATCH, the docs and older clients PUT; both work). Matters
// are created through actioncreate. Fields as the spec lists them.
func actionsKind() *kind {
	k := &kind{name: kActions, patch: true, fields: []field{
		{name: "name", access: onUpdate},
		{name: "reference", access: onUpdate},
		{name: "priority", typ: tInt, access: onUpdate},
		{name: "status", typ: tEnum, enum: actionStatuses, access: onUpdate},
		{name: "statusTimestamp", typ: tTimestamp},
		{name: "isBillableOverride", access: onUpdate},
		{name: "createdTimestamp", typ: tDate},
		{name: "modifiedTimestamp", typ: tTimestamp},
		{name: "isDeleted", typ: tFlag},
		{name: "deletedBy"},
		{name: "deletedTimestamp", typ: tTimestamp},
		{name: "isFavorite", typ: tFlag},
		{name: "overrideBillingStatus", typ: tEnum, enum: []string{"Active", "Closed"}, access: onUpdate},
		{name: "lastAccessTimestamp", typ: tTimestamp},
		{name: "importExternalReference", access: onUpdate},
		{name: "amlReviewStatus", typ: tEnum, enum: amlStatuses, access: onUpdate},
		{name: "bannerText", access: onUpdate},
	}, links: []linkDef{
		{name: "assignedTo", target: kParticipants, access: onUpdate},
		{name: "division", target: "divisions", access: onUpdate},
		{name: "actionType", target: kActionTypes},
		{name: "primaryParticipants", target: kParticipants, many: true},
		{name: "step", target: "steps"},
		{name: "billSettings", target: "actionbillsettings"},
		{name: "relatedActions", target: kActions, many: true},
	}}
	k.rows = stored(k.name)
	k.update = updateAction
	return k
}

// updateAction changes a matter; closing one is a status change to
// "Closed", which moves statusTimestamp.
func updateAction(c *restCall, r *record, in *item) error {
	old := r.str("status")
	if err := c.apply(r, in, onUpdate); err != nil {
		return err
	}
	switch {
	case r.str("name") == "":
		return errInvalid(in.pointer+"/name", "name must not be empty")
	case r.str("status") == "":
		return errInvalid(in.pointer+"/status", "status must not be empty")
	}
	if err := c.checkUniqueRef(r, in); err != nil {
		return err
	}
	if r.str("status") != old {
		r.attrs["statusTimestamp"] = c.s.timestamp(c.now)
	}
	r.attrs["modifiedTimestamp"] = c.s.timestamp(c.now)
	c.emit("ActionUpdated", r)
	return nil
}

// actionCreateKind is the non-standard matter creation resource
// (reference §3.4): POST returns the new matter in its own shape (DBC2
// ActionCreateSchema); GET /actioncreate/{actionTypeId} describes what a
// new matter of that type needs. No list, filters or multiple ids.
func actionCreateKind() *kind {
	k := &kind{name: kActionCreate, noList: true, single: true, fields: []field{
		{name: "name"}, {name: "reference"}, {name: "priority", typ: tInt}, {name: "status"},
		{name: "statusTimestamp"}, {name: "isBillableOverride"}, {name: "createdTimestamp"},
		{name: "modifiedTimestamp"}, {name: "isDeleted"}, {name: "deletedBy"}, {name: "deletedTimestamp"},
		{name: "isFavorite"},
	}, links: []linkDef{
		{name: "assignedTo", target: kParticipants},
		{name: "division", target: "divisions"},
		{name: "actionType", target: kActionTypes},
		{name: "primaryParticipants", target: kParticipants, many: true},
	}}
	k.template = actionCreateTemplateKind()
	k.find = func(c *restCall, id string) *record {
		if at := c.org.lookup(kActionTypes, id); at != nil {
			return c.startStepRecord(k.template, at)
		}
		return nil
	}
	k.create = func(c *restCall, in *item) (*record, error) {
		a, err := createAction(c, in)
		if err != nil {
			return nil, err
		}
		r := newRecord(k, a.id)
		for _, f := range k.fields {
			r.attrs[f.name] = a.attrs[f.name]
		}
		for _, l := range k.links {
			r.links[l.name] = a.links[l.name]
		}
		return r, nil
	}
	return k
}

// actionCreateInput is the POST /actioncreate body (DBC2
// ActionCreatePostSchema, ROGAN): participants are linked with
// "participantType<ID>": [participant ids] links. Workflow links are
// accepted and ignored.
var actionCreateInput = &kind{name: kActionCreate, fields: []field{
	{name: "actionName", access: onCreate},
	{name: "fileReference", access: onCreate},
	{name: "priority", typ: tInt, access: onCreate},
	{name: "assignedToParticipant", typ: tInt, access: onCreate},
	{name: "status", typ: tEnum, enum: actionStatuses, access: onCreate},
	{name: "timestamp", typ: tTimestamp, access: onCreate},
	{name: "fileNote", access: onCreate},
}, links: []linkDef{
	{name: "actionType", target: kActionTypes, access: onCreate},
	{name: "assignedToParticipant", target: kParticipants, access: onCreate},
	{name: "stepTasks", target: "tasks", many: true, access: onCreate},
	{name: "documentTemplates", target: "documenttemplates", many: true, access: onCreate},
	{name: "stepMessages", target: "stepmessages", many: true, access: onCreate},
	{name: "trustAccounts", target: "trustaccounts", many: true, access: onCreate},
}}

var participantTypeLink = regexp.MustCompile(`^participantType([0-9]+)$`)

// typedParticipants takes the "participantType<ID>": [participant ids] links out of
// an actioncreate body: the participants by type, and the other links.
func (c *restCall) typedParticipants(in *item) (map[int][]string, map[string]json.RawMessage, error) {
	typed := map[int][]string{} // participant type → participant ids
	links := maps.Clone(in.links)
	for name, raw := range in.links {
		m := participantTypeLink.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		delete(links, name)
		typeID, _ := strconv.Atoi(m[1])
		ptr := in.pointer + "/links/" + name
		if c.org.lookup(kParticipantTypes, m[1]) == nil {
			return nil, nil, errInvalid(ptr, "participanttypes '%s' does not exist", m[1])
		}
		l := linkDef{name: name, target: kParticipants, many: true}
		v, err := decodeLink(l, raw)
		if err != nil {
			// A single id is accepted as well as a list.
			l.many = false
			if v, err = decodeLink(l, raw); err != nil {
				return nil, nil, errInvalid(ptr, "%v", err)
			}
			v = []string{v.(string)}
		}
		if err := c.checkLink(l, v, ptr); err != nil {
			return nil, nil, err
		}
		typed[typeID], _ = v.([]string)
	}
	return typed, links, nil
}

// createAction creates a matter, links its participants and adds the
// optional file note.
func createAction(c *restCall, in *item) (*record, error) {
	req, typed, err := c.actionCreateRequest(in)
	if err != nil {
		return nil, err
	}
	assigned, err := c.assignee(req, in.pointer)
	if err != nil {
		return nil, err
	}
	a := c.newAction(req, assigned)
	c.org.insert(a)
	first := len(c.events)
	c.linkTypedParticipants(a, typed)
	// ActionCreated goes first but shows the linked participants.
	c.emit("ActionCreated", a)
	c.events = slices.Insert(c.events[:len(c.events)-1], first, c.events[len(c.events)-1])
	if note := req.str("fileNote"); note != "" {
		c.addFileNote(a.idString(), note, "User")
	}
	return a, nil
}

// actionCreateRequest reads and checks the body of POST /rest/actions:
// the request as an actioncreate record, and the participants to link by
// participant type.
func (c *restCall) actionCreateRequest(in *item) (*record, map[int][]string, error) {
	typed, links, err := c.typedParticipants(in)
	if err != nil {
		return nil, nil, err
	}
	req := newRecord(actionCreateInput, 0)
	if err := c.apply(req, &item{pointer: in.pointer, attrs: in.attrs, links: links}, onCreate); err != nil {
		return nil, nil, err
	}
	if req.str("actionName") == "" {
		return nil, nil, errInvalid(in.pointer+"/actionName", "actionName is required")
	}
	if req.links["actionType"] == nil {
		return nil, nil, errInvalid(in.pointer+"/links/actionType", "links.actionType is required")
	}
	if err := c.checkStartStep(req, typed, in.pointer); err != nil {
		return nil, nil, err
	}
	return req, typed, nil
}

// assignee is the participant a new matter is assigned to: the request's
// link, else its assignedToParticipant, else the signed-in user.
func (c *restCall) assignee(req *record, ptr string) (string, error) {
	assigned := strconv.Itoa(c.org.userPartID)
	if n, ok := req.attrs["assignedToParticipant"].(int); ok {
		assigned = strconv.Itoa(n)
		if c.org.lookup(kParticipants, assigned) == nil {
			return "", errInvalid(ptr+"/assignedToParticipant", "participants '%s' does not exist", assigned)
		}
	}
	if l, ok := req.links["assignedToParticipant"].(string); ok {
		assigned = l
	}
	return assigned, nil
}

// newAction is the matter req asks for, at its first step, not yet stored.
func (c *restCall) newAction(req *record, assigned string) *record {
	now := c.s.timestamp(c.now)
	typeID := req.links["actionType"]
	a := newRecord(c.s.kinds[kActions], c.org.nextID(kActions))
	a.attrs["name"], a.attrs["reference"] = req.attrs["actionName"], c.reference(a, req.attrs["fileReference"])
	a.attrs["priority"], a.attrs["status"] = 0, "Active"
	if p, ok := req.attrs["priority"].(int); ok {
		a.attrs["priority"] = p
	}
	if s, ok := req.attrs["status"].(string); ok {
		a.attrs["status"] = s
	}
	a.attrs["statusTimestamp"], a.attrs["createdTimestamp"], a.attrs["modifiedTimestamp"] = now, c.s.date(c.now), now
	a.attrs["isDeleted"], a.attrs["isFavorite"], a.attrs["amlReviewStatus"] = "F", "F", "None"
	a.links["assignedTo"], a.links["division"], a.links["actionType"] = assigned, "1", typeID
	a.links["step"], a.links["billSettings"] = typeID.(string)+"--1", a.idString()
	return a
}

// linkTypedParticipants links the participants of a new matter, in
// participant type order, each once.
func (c *restCall) linkTypedParticipants(a *record, typed map[int][]string) {
	for _, t := range slices.Sorted(maps.Keys(typed)) {
		for _, p := range typed[t] {
			pid, _ := strconv.Atoi(p)
			if c.org.lookup(kActionParticipants, participantID(a.id.(int), t, pid)) != nil {
				continue // listed twice in one request
			}
			c.linkParticipant(a, t, pid)
		}
	}
}

// actionParticipantsKind links participants to matters in a role
// (reference §3.4): GET, POST, DELETE; links are immutable; id
// "action--participantType--participant".
func actionParticipantsKind() *kind {
	k := &kind{name: kActionParticipants, fields: []field{
		{name: "participantNumber", typ: tInt},
	}, links: []linkDef{
		{name: "action", target: kActions, access: onCreate},
		{name: "participantType", target: kParticipantTypes, access: onCreate},
		{name: "participant", target: kParticipants, access: onCreate},
	}}
	k.rows = stored(k.name)
	k.create = func(c *restCall, in *item) (*record, error) {
		req := newRecord(k, "")
		if err := c.apply(req, in, onCreate); err != nil {
			return nil, err
		}
		a, t, p := req.linkID("action"), req.linkID("participantType"), req.linkID("participant")
		if a == 0 || t == 0 || p == 0 {
			return nil, errInvalid(in.pointer+"/links", "links.action, links.participantType and links.participant are required")
		}
		if c.org.lookup(k.name, participantID(a, t, p)) != nil {
			return nil, errInvalid(in.pointer, "Participant %d is already linked to action %d as participant type %d", p, a, t)
		}
		return c.linkParticipant(c.org.lookup(kActions, strconv.Itoa(a)), t, p), nil
	}
	k.remove = func(c *restCall, r *record) error {
		c.org.delete(r)
		c.syncPrimaryParticipants(c.org.lookup(kActions, r.links["action"].(string)))
		c.emit("ActionParticipantDeleted", r)
		return nil
	}
	return k
}

func participantID(action, typeID, participant int) string {
	return fmt.Sprintf("%d--%d--%d", action, typeID, participant)
}

// linkParticipant adds participant p to matter a as type t.
// participantNumber is its position among that type's participants.
func (c *restCall) linkParticipant(a *record, t, p int) *record {
	n := 1
	for _, ap := range c.org.tables[kActionParticipants] {
		if ap.links["action"] == a.idString() && ap.linkID("participantType") == t {
			n = max(n, ap.num("participantNumber")+1)
		}
	}
	r := newRecord(c.s.kinds[kActionParticipants], participantID(a.id.(int), t, p))
	r.attrs["participantNumber"] = n
	r.links["action"], r.links["participantType"], r.links["participant"] = a.idString(), strconv.Itoa(t), strconv.Itoa(p)
	c.org.insert(r)
	c.syncPrimaryParticipants(a)
	c.emit("ActionParticipantAdded", r)
	return r
}

// syncPrimaryParticipants sets a matter's primaryParticipants: its
// participants of the matter type's primary participant type.
func (c *restCall) syncPrimaryParticipants(a *record) {
	at := c.org.lookup(kActionTypes, a.links["actionType"].(string))
	primary := at.links["primaryParticipantType"]
	var ids []string
	for _, ap := range c.org.tables[kActionParticipants] {
		if ap.links["action"] == a.idString() && ap.links["participantType"] == primary {
			ids = append(ids, ap.links["participant"].(string))
		}
	}
	if ids == nil {
		a.links["primaryParticipants"] = nil
		return
	}
	a.links["primaryParticipants"] = ids
}
