package actionstepsim

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParticipants(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	c := h.create(tok, kParticipants, map[string]any{
		"isCompany": "T", "companyName": "Acme Dental – Bondi", "email": "ops@acme.example", "phone1Country": 61, "phone1Area": 2,
		"phone1Number": "9000 0000", "importExternalReference": "loc_8f3c2a", "links": map[string]any{"physicalCountry": "AU", "mailingCountry": "AU"},
	})
	assert.Equal(t, "Acme Dental – Bondi", c["displayName"], "a company's displayName is its name")
	assert.Equal(t, "loc_8f3c2a", c["importExternalReference"])
	assert.Equal(t, "Business", c["phone1Label"])
	person := h.create(tok, kParticipants, map[string]any{"isCompany": "F", "firstName": "James", "lastName": "Bond", "gender": "M"})
	assert.Equal(t, "Bond, James", person["displayName"])

	found := h.api(tok, http.MethodGet, "rest/participants?importExternalReference_eq=loc_8f3c2a", nil).requireStatus(t, 200)
	assert.Equal(t, c["id"], obj(t, found.doc(t)["participants"])["id"])

	h.clock.Advance(10 * time.Minute)
	upd := obj(t, h.api(tok, http.MethodPut, "rest/participants/"+id(c["id"]), map[string]any{"participants": map[string]any{
		"companyName": "Acme Dental Bondi", "email": nil,
	}}).requireStatus(t, 200).doc(t)["participants"])
	assert.Equal(t, "Acme Dental Bondi", upd["displayName"], "displayName follows the name")
	assert.Nil(t, upd["email"], "null clears")
	assert.Equal(t, c["createdTimestamp"], upd["createdTimestamp"])
	assert.NotEqual(t, c["modifiedTimestamp"], upd["modifiedTimestamp"])
	renamed := obj(t, h.api(tok, http.MethodPut, "rest/participants/"+id(person["id"]), map[string]any{"participants": map[string]any{
		"displayName": "Jim Bond", "isCompany": "F",
	}}).requireStatus(t, 200).doc(t)["participants"])
	assert.Equal(t, "Jim Bond", renamed["displayName"], "an explicit displayName wins")

	for _, tc := range []struct {
		name    string
		method  string
		path    string
		attrs   map[string]any
		pointer string
	}{
		{"no isCompany", "POST", "rest/participants", map[string]any{"companyName": "X"}, "/participants/isCompany"},
		{"person without last name", "POST", "rest/participants", map[string]any{"isCompany": "F", "firstName": "A"}, "/participants/lastName"},
		{"company without name", "POST", "rest/participants", map[string]any{"isCompany": "T"}, "/participants/companyName"},
		{"boolean instead of T/F", "POST", "rest/participants", map[string]any{"isCompany": true, "companyName": "X"}, "/participants/isCompany"},
		{"bad gender", "POST", "rest/participants", map[string]any{"isCompany": "F", "firstName": "A", "lastName": "B", "gender": "X"}, "/participants/gender"},
		{"bad number", "POST", "rest/participants", map[string]any{"isCompany": "T", "companyName": "X", "phone1Area": "two"}, "/participants/phone1Area"},
		{"bad date", "POST", "rest/participants", map[string]any{"isCompany": "F", "firstName": "A", "lastName": "B", "birthTimestamp": "23-May-1987"}, "/participants/birthTimestamp"},
		{"number for a string", "POST", "rest/participants", map[string]any{"isCompany": "T", "companyName": 7}, "/participants/companyName"},
		{"unknown link", "POST", "rest/participants", map[string]any{"isCompany": "T", "companyName": "X", "links": map[string]any{"country": "AU"}}, "/participants/links/country"},
		{"update breaks the rules", "PUT", "rest/participants/" + id(person["id"]), map[string]any{"lastName": nil}, "/participants/lastName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := h.api(tok, tc.method, tc.path, map[string]any{"participants": tc.attrs}).requireError(t, 400, codeInvalidRequest)
			assert.Equal(t, tc.pointer, obj(t, e["source"])["pointer"])
		})
	}
	assert.Equal(t, "Bond", participantByID(t, h, person["id"]).LastName, "a refused update changes nothing")

	h.company(tok, "Acme again", "loc_8f3c2a")
	assert.Equal(t, []string{"participants:loc_8f3c2a"}, h.orgState().DuplicateExternalReferences, "duplicates are allowed, and reported")
}

func participantByID(t *testing.T, h *harness, pid any) Participant {
	t.Helper()
	for _, p := range h.orgState().Participants {
		if float64(p.ID) == pid {
			return p
		}
	}
	t.Fatalf("participant %v not in state", pid)
	return Participant{}
}

func TestUniqueExternalReferences(t *testing.T) {
	h := newHarness(t, Options{UniqueExternalReferences: true})
	tok := h.login()
	a := h.company(tok, "Acme", "loc_1")
	b := h.company(tok, "Beta", "loc_2")
	e := h.api(tok, http.MethodPost, "rest/participants", map[string]any{"participants": map[string]any{
		"isCompany": "T", "companyName": "Acme 2", "importExternalReference": "loc_1",
	}}).requireError(t, 400, codeInvalidRequest)
	assert.Contains(t, e["detail"], "already used by participants "+id(a["id"]))
	h.api(tok, http.MethodPut, "rest/participants/"+id(b["id"]), map[string]any{"participants": map[string]any{"importExternalReference": "loc_1"}}).
		requireError(t, 400, codeInvalidRequest)
	h.api(tok, http.MethodPut, "rest/participants/"+id(a["id"]), map[string]any{"participants": map[string]any{"importExternalReference": "loc_1"}}).
		requireStatus(t, 200)
	m1 := h.matter(tok, "M1", a["id"])
	m2 := h.matter(tok, "M2", b["id"])
	set := func(m map[string]any) *httpReply {
		return h.api(tok, http.MethodPut, "rest/actions/"+id(m["id"]), map[string]any{"actions": map[string]any{"importExternalReference": "sub_1"}})
	}
	set(m1).requireStatus(t, 200)
	set(m2).requireError(t, 400, codeInvalidRequest)
}

func TestParticipantTypes(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	pt := obj(t, h.api(tok, http.MethodGet, "rest/participanttypes?name_eq=Client", nil).requireStatus(t, 200).doc(t)["participanttypes"])
	assert.Equal(t, map[string]any{
		"id": float64(h.org.ClientParticipantTypeID), "name": "Client", "displayName": "Client", "description": "Client",
		"isBaseParticipantType": "F", "companyFlag": nil, "taxNumberAlias": nil,
	}, pt)
	assert.Len(t, arr(t, h.api(tok, http.MethodGet, "rest/participanttypes", nil).requireStatus(t, 200).doc(t)["participanttypes"]), 2)
	h.api(tok, http.MethodPost, "rest/participanttypes", map[string]any{"participanttypes": map[string]any{"name": "X"}}).
		requireError(t, 405, codeMethodNotAllowed)

	c := h.company(tok, "Acme", "loc_1")
	link := map[string]any{"participantdefaulttypes": map[string]any{"links": map[string]any{"participant": c["id"], "participantType": pt["id"]}}}
	dt := obj(t, h.api(tok, http.MethodPost, "rest/participantdefaulttypes", link).requireStatus(t, 200).doc(t)["participantdefaulttypes"])
	want := fmt.Sprintf("%s--%d", id(c["id"]), h.org.ClientParticipantTypeID)
	assert.Equal(t, map[string]any{"id": want, "links": map[string]any{"participantType": id(pt["id"]), "participant": id(c["id"])}}, dt)
	h.api(tok, http.MethodPost, "rest/participantdefaulttypes", link).requireError(t, 400, codeInvalidRequest)
	got := h.api(tok, http.MethodGet, "rest/participantdefaulttypes?participant="+id(c["id"]), nil).requireStatus(t, 200)
	assert.Equal(t, want, obj(t, got.doc(t)["participantdefaulttypes"])["id"])
	assert.Equal(t, []ParticipantDefaultType{{ID: want, ParticipantID: int(c["id"].(float64)), ParticipantTypeID: h.org.ClientParticipantTypeID}},
		h.orgState().ParticipantDefaultTypes)
	h.api(tok, http.MethodDelete, "rest/participantdefaulttypes/"+want, nil).requireStatus(t, http.StatusNoContent)
	h.api(tok, http.MethodGet, "rest/participantdefaulttypes", nil).requireStatus(t, http.StatusNoContent)
}

func TestActionTypes(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	at := obj(t, h.api(tok, http.MethodGet, "rest/actiontypes?name_eq=SaaS%20Subscription", nil).requireStatus(t, 200).doc(t)["actiontypes"])
	assert.Equal(t, float64(h.org.MatterTypeID), at["id"])
	assert.Equal(t, map[string]any{"primaryParticipantType": strconv.Itoa(h.org.ClientParticipantTypeID)}, at["links"])
	assert.Equal(t, "T", at["canCreate"])
	all := h.api(tok, http.MethodGet, "rest/actiontypes", nil).requireStatus(t, 200).doc(t)
	assert.Len(t, arr(t, all["actiontypes"]), 2, "the list key is actiontypes")
}

func TestActionCreateAndActions(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	c := h.company(tok, "Acme", "loc_1")
	tpl := obj(t, h.api(tok, http.MethodGet, "rest/actioncreate/"+strconv.Itoa(h.org.MatterTypeID), nil).requireStatus(t, 200).doc(t)["actioncreate"])
	assert.Equal(t, []any{strconv.Itoa(h.org.ClientParticipantTypeID)}, obj(t, tpl["links"])["stepParticipantTypes"])
	h.api(tok, http.MethodGet, "rest/actioncreate", nil).requireError(t, 405, codeMethodNotAllowed)
	h.api(tok, http.MethodGet, "rest/actioncreate/1,2", nil).requireError(t, 400, codeInvalidRequest)

	created := h.api(tok, http.MethodPost, "rest/actioncreate", map[string]any{"actioncreate": map[string]any{
		"actionName": "Acme: SaaS subscription", "fileReference": "SUB-1", "priority": "2", "fileNote": "Created by saasbridge",
		"links": map[string]any{"actionType": strconv.Itoa(h.org.MatterTypeID), "participantType" + strconv.Itoa(h.org.ClientParticipantTypeID): []any{id(c["id"])}},
	}}).requireStatus(t, 200).doc(t)
	ac := obj(t, created["actioncreate"])
	assert.ElementsMatch(t, []string{"id", "name", "reference", "priority", "status", "statusTimestamp", "isBillableOverride", "createdTimestamp",
		"modifiedTimestamp", "isDeleted", "deletedBy", "deletedTimestamp", "isFavorite", "links"}, keys(ac))
	assert.Equal(t, "Acme: SaaS subscription", ac["name"])
	assert.Equal(t, "SUB-1", ac["reference"])
	assert.Equal(t, float64(2), ac["priority"])
	assert.Equal(t, map[string]any{"assignedTo": strconv.Itoa(h.org.UserParticipantID), "division": "1",
		"actionType": strconv.Itoa(h.org.MatterTypeID), "primaryParticipants": []any{id(c["id"])}}, ac["links"])
	aid := id(ac["id"])

	notes := h.orgState().FileNotes
	require.Len(t, notes, 1)
	assert.Equal(t, FileNote{ID: notes[0].ID, ActionID: int(ac["id"].(float64)), Text: "Created by saasbridge", Source: "User",
		EnteredBy: "Integration, Sandbox", EnteredTimestamp: notes[0].EnteredTimestamp, NoteTimestamp: notes[0].EnteredTimestamp}, notes[0])

	h.clock.Advance(10 * time.Minute)
	for i, method := range []string{http.MethodPut, http.MethodPatch} {
		ref := fmt.Sprintf("sub_%d", i)
		a := obj(t, h.api(tok, method, "rest/actions/"+aid, map[string]any{"actions": map[string]any{
			"importExternalReference": ref, "links": map[string]any{"assignedTo": c["id"]},
		}}).requireStatus(t, 200).doc(t)["actions"])
		assert.Equal(t, ref, a["importExternalReference"], method)
		assert.Equal(t, id(c["id"]), obj(t, a["links"])["assignedTo"])
	}
	found := h.api(tok, http.MethodGet, "rest/actions?importExternalReference_eq=sub_1&actionType_eq="+strconv.Itoa(h.org.MatterTypeID), nil)
	assert.Equal(t, ac["id"], obj(t, found.requireStatus(t, 200).doc(t)["actions"])["id"])

	h.clock.Advance(10 * time.Minute)
	closed := obj(t, h.api(tok, http.MethodPut, "rest/actions/"+aid, map[string]any{"actions": map[string]any{"status": "Closed"}}).
		requireStatus(t, 200).doc(t)["actions"])
	assert.Equal(t, "Closed", closed["status"])
	assert.NotEqual(t, ac["statusTimestamp"], closed["statusTimestamp"], "closing moves statusTimestamp")
	h.api(tok, http.MethodGet, "rest/actions?status_nteq=Closed", nil).requireStatus(t, http.StatusNoContent)
	assert.Equal(t, "Closed", h.orgState().Actions[0].Status)

	for _, tc := range []struct {
		name, method, path string
		body               map[string]any
	}{
		{"bad status", "PUT", "rest/actions/" + aid, map[string]any{"actions": map[string]any{"status": "Open"}}},
		{"read-only type", "PUT", "rest/actions/" + aid, map[string]any{"actions": map[string]any{"links": map[string]any{"actionType": "41"}}}},
		{"empty name", "PUT", "rest/actions/" + aid, map[string]any{"actions": map[string]any{"name": ""}}},
		{"no name", "POST", "rest/actioncreate", map[string]any{"actioncreate": map[string]any{"links": map[string]any{"actionType": h.org.MatterTypeID}}}},
		{"no type", "POST", "rest/actioncreate", map[string]any{"actioncreate": map[string]any{"actionName": "X"}}},
		{"unknown type", "POST", "rest/actioncreate", map[string]any{"actioncreate": map[string]any{"actionName": "X", "links": map[string]any{"actionType": 9}}}},
		{"unknown participant type", "POST", "rest/actioncreate", map[string]any{"actioncreate": map[string]any{"actionName": "X",
			"links": map[string]any{"actionType": h.org.MatterTypeID, "participantType99": []any{"10"}}}}},
		{"unknown participant", "POST", "rest/actioncreate", map[string]any{"actioncreate": map[string]any{"actionName": "X",
			"links": map[string]any{"actionType": h.org.MatterTypeID, "participantType" + strconv.Itoa(h.org.ClientParticipantTypeID): "77"}}}},
		{"not accepted on actioncreate", "POST", "rest/actioncreate", map[string]any{"actioncreate": map[string]any{"actionName": "X",
			"importExternalReference": "sub", "links": map[string]any{"actionType": h.org.MatterTypeID}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.api(tok, tc.method, tc.path, tc.body).requireError(t, 400, codeInvalidRequest)
		})
	}
	h.api(tok, http.MethodPost, "rest/actions", map[string]any{"actions": map[string]any{"name": "X"}}).requireError(t, 405, codeMethodNotAllowed)
	assert.Len(t, h.orgState().Actions, 1, "refused requests create nothing")
}

func TestActionParticipants(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	a, b := h.company(tok, "Acme", "loc_1"), h.company(tok, "Beta", "loc_2")
	m := h.matter(tok, "Acme matter", a["id"])
	client := strconv.Itoa(h.org.ClientParticipantTypeID)
	link := func(p any) *httpReply {
		return h.api(tok, http.MethodPost, "rest/actionparticipants", map[string]any{"actionparticipants": map[string]any{
			"links": map[string]any{"action": id(m["id"]), "participant": p, "participantType": client},
		}})
	}
	ap := obj(t, link(b["id"]).requireStatus(t, 200).doc(t)["actionparticipants"])
	assert.Equal(t, id(m["id"])+"--"+client+"--"+id(b["id"]), ap["id"])
	assert.Equal(t, float64(2), ap["participantNumber"], "numbered within the type")
	link(b["id"]).requireError(t, 400, codeInvalidRequest)
	link("999").requireError(t, 400, codeInvalidRequest)

	action := func() map[string]any {
		return obj(t, h.api(tok, http.MethodGet, "rest/actions/"+id(m["id"]), nil).requireStatus(t, 200).doc(t)["actions"])
	}
	assert.Equal(t, []any{id(a["id"]), id(b["id"])}, obj(t, action()["links"])["primaryParticipants"])
	list := h.api(tok, http.MethodGet, "rest/actionparticipants?action="+id(m["id"]), nil).requireStatus(t, 200).doc(t)
	assert.Len(t, arr(t, list["actionparticipants"]), 2)

	h.api(tok, http.MethodDelete, "rest/actionparticipants/"+id(ap["id"]), nil).requireStatus(t, http.StatusNoContent)
	assert.Equal(t, []any{id(a["id"])}, obj(t, action()["links"])["primaryParticipants"])
	h.api(tok, http.MethodDelete, "rest/actionparticipants/"+id(m["id"])+"--"+client+"--"+id(a["id"]), nil).requireStatus(t, http.StatusNoContent)
	assert.Nil(t, obj(t, action()["links"])["primaryParticipants"])
	h.api(tok, http.MethodPut, "rest/actionparticipants/"+id(ap["id"]), map[string]any{"actionparticipants": map[string]any{}}).
		requireError(t, 405, codeMethodNotAllowed)
}

func TestDataCollections(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	dc := strconv.Itoa(h.org.DataCollectionID)
	coll := obj(t, h.api(tok, http.MethodGet, "rest/datacollections?actionType="+strconv.Itoa(h.org.MatterTypeID)+"&multipleRecords=F", nil).
		requireStatus(t, 200).doc(t)["datacollections"])
	assert.Equal(t, "saas_subscription", coll["name"])
	fields := h.api(tok, http.MethodGet, "rest/datacollectionfields?dataCollection="+dc, nil).requireStatus(t, 200).doc(t)
	assert.Equal(t, []any{dc + "--last_change", dc + "--plan", dc + "--status", dc + "--subscription_id"}, ids(t, fields["datacollectionfields"]))

	c := h.company(tok, "Acme", "loc_1")
	m := h.matter(tok, "Acme matter", c["id"])
	h.api(tok, http.MethodGet, "rest/datacollectionrecords?dataCollection="+dc+"&action="+id(m["id"]), nil).requireStatus(t, http.StatusNoContent)
	newRecord := map[string]any{"datacollectionrecords": map[string]any{"links": map[string]any{"action": m["id"], "dataCollection": h.org.DataCollectionID}}}
	rec := obj(t, h.api(tok, http.MethodPost, "rest/datacollectionrecords", newRecord).requireStatus(t, 200).doc(t)["datacollectionrecords"])
	assert.Equal(t, "T", rec["canWrite"])
	rid := id(rec["id"])
	e := h.api(tok, http.MethodPost, "rest/datacollectionrecords", newRecord).requireError(t, 400, codeInvalidRequest)
	assert.Contains(t, e["detail"], "single-record")

	values := h.api(tok, http.MethodGet, "rest/datacollectionrecordvalues?action="+id(m["id"])+"&include=dataCollectionField", nil).requireStatus(t, 200).doc(t)
	vs := arr(t, values["datacollectionrecordvalues"])
	require.Len(t, vs, 4, "every field of a record has a value")
	first := obj(t, vs[0])
	assert.Equal(t, dc+"--last_change--"+rid, first["id"])
	assert.Nil(t, first["stringValue"])
	assert.Equal(t, map[string]any{"action": id(m["id"]), "dataCollectionField": dc + "--last_change", "dataCollectionRecord": rid, "dataCollection": dc},
		first["links"])
	assert.Len(t, arr(t, obj(t, values["linked"])["datacollectionfields"]), 4)

	planID := dc + "--plan--" + rid
	put := func(path string, body any) *httpReply {
		return h.api(tok, http.MethodPut, "rest/datacollectionrecordvalues/"+path, map[string]any{"datacollectionrecordvalues": body})
	}
	v := obj(t, put(planID, map[string]any{"stringValue": "Pro"}).requireStatus(t, 200).doc(t)["datacollectionrecordvalues"])
	assert.Equal(t, "Pro", v["stringValue"])
	bulk := put(dc+"--status--"+rid+","+dc+"--last_change--"+rid, []any{
		map[string]any{"stringValue": "active"}, map[string]any{"stringValue": "2026-03-02T20:30:00+11:00"},
	}).requireStatus(t, 200).doc(t)
	assert.Len(t, arr(t, bulk["datacollectionrecordvalues"]), 2)
	posted := h.api(tok, http.MethodPost, "rest/datacollectionrecordvalues", map[string]any{"datacollectionrecordvalues": map[string]any{
		"stringValue": "sub_123", "links": map[string]any{"action": m["id"], "dataCollection": dc, "dataCollectionField": dc + "--subscription_id",
			"dataCollectionRecord": rec["id"]},
	}}).requireStatus(t, 200).doc(t)
	assert.Equal(t, dc+"--subscription_id--"+rid, obj(t, posted["datacollectionrecordvalues"])["id"])

	got := h.api(tok, http.MethodGet, "rest/datacollectionrecordvalues?dataCollectionField[name_in]=plan,status&dataCollectionRecord="+rid, nil).
		requireStatus(t, 200).doc(t)
	assert.Equal(t, []any{"Pro", "active"}, []any{obj(t, arr(t, got["datacollectionrecordvalues"])[0])["stringValue"],
		obj(t, arr(t, got["datacollectionrecordvalues"])[1])["stringValue"]})
	assert.Len(t, h.orgState().DataValues, 4)

	for _, tc := range []struct {
		name string
		path string
		body any
	}{
		{"bad DateTime", dc + "--last_change--" + rid, map[string]any{"stringValue": "yesterday"}},
		{"no stringValue", planID, map[string]any{}},
		{"mismatched link", planID, map[string]any{"stringValue": "x", "links": map[string]any{"action": "1"}}},
		{"too long", planID, map[string]any{"stringValue": string(make([]byte, 256))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			put(tc.path, tc.body).requireError(t, 400, codeInvalidRequest)
		})
	}
	h.api(tok, http.MethodGet, "rest/datacollectionrecordvalues/"+dc+"--nope--"+rid, nil).requireError(t, 404, codeRecordNotFound)
	cleared := obj(t, put(planID, map[string]any{"stringValue": nil}).requireStatus(t, 200).doc(t)["datacollectionrecordvalues"])
	assert.Nil(t, cleared["stringValue"])

	other := h.create(tok, kActionCreate, map[string]any{"actionName": "General", "links": map[string]any{"actionType": h.org.MatterTypeID + 1}})
	e = h.api(tok, http.MethodPost, "rest/datacollectionrecords", map[string]any{"datacollectionrecords": map[string]any{
		"links": map[string]any{"action": other["id"], "dataCollection": dc}}}).requireError(t, 400, codeInvalidRequest)
	assert.Contains(t, e["detail"], "belongs to matter type")

	h.api(tok, http.MethodDelete, "rest/datacollectionrecords/"+rid, nil).requireStatus(t, http.StatusNoContent)
	assert.Empty(t, h.orgState().DataValues, "a record's values go with it")
}

func TestCustomDataCollections(t *testing.T) {
	h := newHarness(t, Options{})
	_, err := h.s.CreateOrg(OrgSpec{OrgKey: "bare", NoDataCollection: true})
	require.NoError(t, err)
	tok := h.loginAs("bare", "all")
	st, err := h.s.OrgState("bare")
	require.NoError(t, err)
	assert.Empty(t, st.DataCollections)
	coll := h.create(tok, kDataCollections, map[string]any{
		"name": "billing", "description": "Billing details", "multipleRecords": "T", "links": map[string]any{"actionType": st.MatterTypeID},
	})
	assert.Equal(t, "billing", coll["label"])
	h.api(tok, http.MethodPost, "rest/datacollections", map[string]any{"datacollections": map[string]any{
		"name": "billing", "description": "again", "links": map[string]any{"actionType": st.MatterTypeID},
	}}).requireError(t, 400, codeInvalidRequest)
	f := h.create(tok, kDataFields, map[string]any{"name": "seats", "dataType": "Number", "links": map[string]any{"dataCollection": coll["id"]}})
	assert.Equal(t, id(coll["id"])+"--seats", f["id"])
	assert.Equal(t, float64(10), f["formOrder"])
	h.api(tok, http.MethodPut, "rest/datacollectionfields/"+id(f["id"]), map[string]any{"datacollectionfields": map[string]any{"name": "x"}}).
		requireError(t, 400, codeInvalidRequest)
	upd := h.api(tok, http.MethodPut, "rest/datacollectionfields/"+id(f["id"]), map[string]any{"datacollectionfields": map[string]any{"label": "Seats"}})
	assert.Equal(t, "Seats", obj(t, upd.requireStatus(t, 200).doc(t)["datacollectionfields"])["label"])

	m := h.create(tok, kActionCreate, map[string]any{"actionName": "M", "links": map[string]any{"actionType": st.MatterTypeID}})
	for range 2 {
		h.create(tok, kDataRecords, map[string]any{"links": map[string]any{"action": m["id"], "dataCollection": coll["id"]}})
	}
	vals := h.api(tok, http.MethodGet, "rest/datacollectionrecordvalues?action="+id(m["id"]), nil).requireStatus(t, 200).doc(t)
	assert.Len(t, arr(t, vals["datacollectionrecordvalues"]), 2, "a multiple-record collection takes several records")
	e := h.api(tok, http.MethodPut, "rest/datacollectionrecordvalues/"+id(obj(t, arr(t, vals["datacollectionrecordvalues"])[0])["id"]),
		map[string]any{"datacollectionrecordvalues": map[string]any{"stringValue": "many"}}).requireError(t, 400, codeInvalidRequest)
	assert.Contains(t, e["detail"], "not a valid Number")

	h.api(tok, http.MethodDelete, "rest/datacollections/"+id(coll["id"]), nil).requireStatus(t, http.StatusNoContent)
	st, err = h.s.OrgState("bare")
	require.NoError(t, err)
	assert.Empty(t, st.DataCollections)
	assert.Empty(t, st.DataRecords)
}

func TestNotes(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	c := h.company(tok, "Acme", "loc_1")
	m := h.matter(tok, "Acme matter", c["id"])
	n := h.create(tok, kFileNotes, map[string]any{"text": "Subscription upgraded to Pro", "links": map[string]any{"action": id(m["id"])}})
	assert.Equal(t, "User", n["source"])
	assert.Equal(t, "Integration, Sandbox", n["enteredBy"])
	assert.Equal(t, strconv.Itoa(h.org.UserParticipantID), obj(t, n["links"])["participant"], "the author is the token's user")
	sys := h.create(tok, kFileNotes, map[string]any{"text": "Synced", "source": "System", "noteTimestamp": "2026-03-01T10:00:00Z",
		"links": map[string]any{"action": m["id"]}})
	assert.Equal(t, "2026-03-01T20:00:00+10:00", sys["noteTimestamp"], "timestamps are rendered in the organisation's zone")
	local := h.api(tok, http.MethodPut, "rest/filenotes/"+id(sys["id"]), map[string]any{"filenotes": map[string]any{"noteTimestamp": "2026-03-01 09:15:00"}})
	assert.Equal(t, "2026-03-01T09:15:00+10:00", obj(t, local.requireStatus(t, 200).doc(t)["filenotes"])["noteTimestamp"])
	h.api(tok, http.MethodPut, "rest/filenotes/"+id(sys["id"]), map[string]any{"filenotes": map[string]any{"noteTimestamp": "01/03/2026"}}).
		requireError(t, 400, codeInvalidRequest)
	user := h.api(tok, http.MethodGet, "rest/filenotes?action="+id(m["id"])+"&source_nteq=System", nil).requireStatus(t, 200).doc(t)
	assert.Equal(t, n["id"], obj(t, user["filenotes"])["id"])
	upd := h.api(tok, http.MethodPut, "rest/filenotes/"+id(n["id"]), map[string]any{"filenotes": map[string]any{"text": "Upgraded to Enterprise"}})
	assert.Equal(t, "Upgraded to Enterprise", obj(t, upd.requireStatus(t, 200).doc(t)["filenotes"])["text"])
	h.api(tok, http.MethodPost, "rest/filenotes", map[string]any{"filenotes": map[string]any{"text": "x"}}).requireError(t, 400, codeInvalidRequest)
	h.api(tok, http.MethodPost, "rest/filenotes", map[string]any{"filenotes": map[string]any{"text": "", "links": map[string]any{"action": m["id"]}}}).
		requireError(t, 400, codeInvalidRequest)
	h.api(tok, http.MethodPost, "rest/filenotes", map[string]any{"filenotes": map[string]any{"text": "x", "links": map[string]any{"action": "5"}}}).
		requireError(t, 400, codeInvalidRequest)
	assert.Len(t, h.orgState().FileNotes, 2)
	h.api(tok, http.MethodDelete, "rest/filenotes/"+id(n["id"]), nil).requireStatus(t, http.StatusNoContent)
	assert.Len(t, h.orgState().FileNotes, 1)

	cn := h.create(tok, kContactNotes, map[string]any{"text": "Location onboarded", "links": map[string]any{"participant": c["id"]}})
	assert.Equal(t, float64(h.org.UserParticipantID), cn["enteredByParticipant"])
	assert.Equal(t, []ContactNote{{ID: int(cn["id"].(float64)), ParticipantID: int(c["id"].(float64)), Text: "Location onboarded", Source: "User",
		EnteredTimestamp: cn["enteredTimestamp"].(string)}}, h.orgState().ContactNotes)
	h.api(tok, http.MethodPost, "rest/contactnotes", map[string]any{"contactnotes": map[string]any{"text": "x"}}).requireError(t, 400, codeInvalidRequest)
}

func TestUsersCurrent(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	d := h.api(tok, http.MethodGet, "rest/users/current?include=participant&fields[participants]=id,firstName,lastName", nil).requireStatus(t, 200).doc(t)
	u := obj(t, d["users"])
	assert.Equal(t, float64(h.org.UserID), u["id"])
	assert.Equal(t, map[string]any{"participant": strconv.Itoa(h.org.UserParticipantID)}, u["links"])
	p := obj(t, arr(t, obj(t, d["linked"])["participants"])[0])
	assert.Equal(t, map[string]any{"id": float64(h.org.UserParticipantID), "firstName": "Sandbox", "lastName": "Integration"}, p)
	h.api(tok, http.MethodGet, "rest/users/"+strconv.Itoa(h.org.UserID), nil).requireStatus(t, 200)
	h.api(tok, http.MethodGet, "rest/users", nil).requireStatus(t, 200)
	assert.Equal(t, 1, h.s.Calls().Count("GET /rest/users/current", 200))
}

func TestTasks(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	m := h.matter(tok, "Acme matter", h.company(tok, "Acme", "loc_1")["id"])
	user := strconv.Itoa(h.org.UserParticipantID)
	task := h.create(tok, kTasks, map[string]any{"name": "Welcome call", "status": "Incomplete", "dueTimestamp": "2026-03-03T09:00:00Z",
		"description": "Confirm the engagement", "links": map[string]any{"action": id(m["id"]), "assignee": user}})
	assert.Equal(t, "Normal", task["priority"], "the API's default")
	assert.Equal(t, "2026-03-03T19:00:00+10:00", task["dueTimestamp"])
	for name, body := range map[string]map[string]any{
		"no name":      {"status": "Incomplete", "dueTimestamp": "2026-03-03T09:00:00Z", "links": map[string]any{"action": id(m["id"]), "assignee": user}},
		"no due date":  {"name": "x", "status": "Incomplete", "links": map[string]any{"action": id(m["id"]), "assignee": user}},
		"no assignee":  {"name": "x", "status": "Incomplete", "dueTimestamp": "2026-03-03T09:00:00Z", "links": map[string]any{"action": id(m["id"])}},
		"bad priority": {"name": "x", "status": "Incomplete", "priority": "Urgent", "dueTimestamp": "2026-03-03T09:00:00Z", "links": map[string]any{"action": id(m["id"]), "assignee": user}},
		"no matter":    {"name": "x", "status": "Incomplete", "dueTimestamp": "2026-03-03T09:00:00Z", "links": map[string]any{"action": "5", "assignee": user}},
	} {
		t.Run(name, func(t *testing.T) {
			h.api(tok, http.MethodPost, "rest/tasks", map[string]any{"tasks": body}).requireError(t, 400, codeInvalidRequest)
		})
	}
	listed := h.api(tok, http.MethodGet, "rest/tasks?action="+id(m["id"]), nil).requireStatus(t, 200).doc(t)
	assert.Equal(t, task["id"], obj(t, listed["tasks"])["id"])
	assert.Equal(t, []Task{{ID: int(task["id"].(float64)), ActionID: int(m["id"].(float64)), AssigneeID: h.org.UserParticipantID, Name: "Welcome call",
		Description: "Confirm the engagement", Status: "Incomplete", Priority: "Normal", DueTimestamp: "2026-03-03T19:00:00+10:00"}}, h.orgState().Tasks)
}
