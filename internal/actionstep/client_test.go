package actionstep_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/httpapi/httpapitest"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

// methodCase is one call of a client method against a fake API: what must go over the wire,
// and what the client must make of the answer.
type methodCase struct {
	name     string
	call     func(ctx context.Context, c *actionstep.Client) (any, error)
	reply    http.HandlerFunc
	endpoint string // the template the observer must see
	method   string
	path     string
	query    string // compared as parsed values
	body     string // compared as JSON; "" for none
	check    func(t *testing.T, got any)
}

// paging renders a meta.paging block for resource.
func paging(resource, recordCount, page, next string) string {
	return `"meta":{"paging":{"` + resource + `":{"recordCount":` + recordCount + `,"pageCount":2,"page":` + page +
		`,"pageSize":50,"prevPage":null,"nextPage":` + next + `}},"debug":{"rl":null}}`
}

var methodCases = []methodCase{
	{
		name: "ListParticipants by importExternalReference, one row as an object",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListParticipants(ctx, actionstep.Query{
				Filters:  []actionstep.Filter{actionstep.Eq(actionstep.FieldImportExternalReference, "loc_8f3c2a")},
				PageSize: 500, Page: 1,
			})
		},
		reply: reply(200, `{"links":{"participants.division":{"href":"https://x.actionstep.com.actionstep.com/api/rest/divisions/{participants.division}","type":"divisions"},"odd":"not an object"},
			"participants":{"id":7939,"displayName":"Acme Dental","isCompany":"T","companyName":"Acme Dental","firstName":null,
			"phone1Country":"61","phone1Area":"","importExternalReference":"loc_8f3c2a","links":{"physicalCountry":"AU","division":1}},
			`+paging("participants", "1", "1", "null")+`}`),
		endpoint: actionstep.EndpointListParticipants, method: "GET", path: "/api/rest/participants",
		query: "importExternalReference_eq=loc_8f3c2a&page=1&pageSize=200",
		check: func(t *testing.T, got any) {
			page := got.(*actionstep.Page[actionstep.Participant])
			require.Len(t, page.Items, 1)
			p := page.Items[0]
			assert.Equal(t, actionstep.ID("7939"), p.ID)
			assert.True(t, bool(p.IsCompany))
			assert.Equal(t, actionstep.Int(61), p.Phone1Country)
			assert.Equal(t, actionstep.Int(0), p.Phone1Area)
			assert.Equal(t, actionstep.ID("1"), p.Links.Division)
			assert.Equal(t, "divisions", page.Links["participants.division"].Type)
			assert.NotContains(t, page.Links, "odd")
			assert.Equal(t, actionstep.Int(1), page.Paging.RecordCount)
		},
	},
	{
		name: "ListParticipants, several rows as an array with a next page",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListParticipants(ctx, actionstep.Query{
				Filters: []actionstep.Filter{{Field: "displayName", Op: actionstep.OpILike, Value: "*acme*"}, actionstep.In("id", "1", "2")},
				Sort:    []string{"-modifiedTimestamp", "id"}, Include: []string{"division"},
			})
		},
		reply: reply(200, `{"participants":[{"id":"1","isCompany":"F"},{"id":2,"isCompany":false}],`+
			paging("participants", "51", "1", `"https://x/api/rest/participants?page=2"`)+`}`),
		endpoint: actionstep.EndpointListParticipants, method: "GET", path: "/api/rest/participants",
		query: "displayName_ilike=*acme*&id_in=1,2&sort=-modifiedTimestamp,id&include=division",
		check: func(t *testing.T, got any) {
			page := got.(*actionstep.Page[actionstep.Participant])
			require.Len(t, page.Items, 2)
			assert.Equal(t, actionstep.ID("2"), page.Items[1].ID)
			assert.True(t, page.HasNext())
			assert.Equal(t, actionstep.Int(51), page.Paging.RecordCount)
		},
	},
	{
		name: "GetParticipant",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) { return c.GetParticipant(ctx, "7939") },
		reply: reply(200, `{"participants":{"id":7939,"displayName":"Bond, James","isCompany":"F","firstName":"James","lastName":"Bond","email":"jb@example.com"},`+
			paging("participants", "1", "1", "null")+`}`),
		endpoint: actionstep.EndpointGetParticipant, method: "GET", path: "/api/rest/participants/7939",
		check: func(t *testing.T, got any) {
			p := got.(*actionstep.Participant)
			assert.Equal(t, "Bond, James", p.DisplayName)
			assert.Equal(t, "jb@example.com", p.Email)
		},
	},
	{
		name: "CreateParticipant sends the envelope with T/F and only the set fields",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.CreateParticipant(ctx, actionstep.ParticipantFields{
				IsCompany: new(actionstep.Bool(true)), CompanyName: new("Acme Dental"), Email: new("ops@acme.example"),
				Phone1Country:           new(actionstep.Int(61)),
				ImportExternalReference: new("loc_8f3c2a"),
				Links:                   &actionstep.ParticipantLinks{PhysicalCountry: "AU"},
			})
		},
		reply:    reply(200, `{"participants":{"id":7940,"isCompany":"T","companyName":"Acme Dental","importExternalReference":"loc_8f3c2a"}}`),
		endpoint: actionstep.EndpointCreateParticipant, method: "POST", path: "/api/rest/participants",
		body: `{"participants":{"isCompany":"T","companyName":"Acme Dental","email":"ops@acme.example","phone1Country":61,
			"importExternalReference":"loc_8f3c2a","links":{"physicalCountry":"AU"}}}`,
		check: func(t *testing.T, got any) {
			assert.Equal(t, actionstep.ID("7940"), got.(*actionstep.Participant).ID)
		},
	},
	{
		name: "UpdateParticipant PUTs only the changed fields",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.UpdateParticipant(ctx, "7940", actionstep.ParticipantFields{CompanyName: new("Acme Dental Bondi"), Website: new("")})
		},
		reply:    reply(200, `{"participants":{"id":"7940","companyName":"Acme Dental Bondi"}}`),
		endpoint: actionstep.EndpointUpdateParticipant, method: "PUT", path: "/api/rest/participants/7940",
		body: `{"participants":{"companyName":"Acme Dental Bondi","website":""}}`,
		check: func(t *testing.T, got any) {
			assert.Equal(t, "Acme Dental Bondi", got.(*actionstep.Participant).CompanyName)
		},
	},
	{
		name: "ListParticipantTypes, 204 is an empty page",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListParticipantTypes(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("name", "Client")}})
		},
		reply:    reply(http.StatusNoContent, ""),
		endpoint: actionstep.EndpointListParticipantTypes, method: "GET", path: "/api/rest/participanttypes",
		query: "name_eq=Client",
		check: func(t *testing.T, got any) {
			page := got.(*actionstep.Page[actionstep.ParticipantType])
			assert.Empty(t, page.Items)
			assert.False(t, page.HasNext())
		},
	},
	{
		name: "ListParticipantDefaultTypes with composite ids, empty linked and meta as []",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListParticipantDefaultTypes(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("participant", "7940")}})
		},
		reply:    reply(200, `{"links":[],"participantdefaulttypes":{"id":"7940--27","links":{"participant":"7940","participantType":27}},"linked":[],"meta":[]}`),
		endpoint: actionstep.EndpointListParticipantDefaultTypes, method: "GET", path: "/api/rest/participantdefaulttypes",
		query: "participant_eq=7940",
		check: func(t *testing.T, got any) {
			page := got.(*actionstep.Page[actionstep.ParticipantDefaultType])
			require.Len(t, page.Items, 1)
			assert.Equal(t, []string{"7940", "27"}, page.Items[0].ID.Parts())
			assert.Equal(t, actionstep.ID("27"), page.Items[0].Links.ParticipantType)
		},
	},
	{
		name: "CreateParticipantDefaultType",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.CreateParticipantDefaultType(ctx, "7940", "27")
		},
		reply:    reply(201, `{"participantdefaulttypes":{"id":"7940--27","links":{"participant":"7940","participantType":"27"}}}`),
		endpoint: actionstep.EndpointCreateParticipantDefaultType, method: "POST", path: "/api/rest/participantdefaulttypes",
		body: `{"participantdefaulttypes":{"links":{"participant":"7940","participantType":"27"}}}`,
		check: func(t *testing.T, got any) {
			assert.Equal(t, actionstep.ID("7940--27"), got.(*actionstep.ParticipantDefaultType).ID)
		},
	},
	{
		name: "ListActionTypes",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListActionTypes(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("name", "SaaS subscription")}})
		},
		reply: reply(200, `{"actiontypes":[{"id":28,"name":"SaaS subscription","isDisabled":"F","canCreate":"T","links":{"primaryParticipantType":"27"}},
			{"id":29,"name":"Other","isDisabled":"T","canCreate":"F","links":{"primaryParticipantType":null}}]}`),
		endpoint: actionstep.EndpointListActionTypes, method: "GET", path: "/api/rest/actiontypes",
		query: "name_eq=SaaS+subscription",
		check: func(t *testing.T, got any) {
			page := got.(*actionstep.Page[actionstep.ActionType])
			require.Len(t, page.Items, 2)
			assert.True(t, bool(page.Items[0].CanCreate))
			assert.True(t, bool(page.Items[1].IsDisabled))
			assert.Equal(t, actionstep.ID("27"), page.Items[0].Links.PrimaryParticipantType)
			assert.Equal(t, actionstep.ID(""), page.Items[1].Links.PrimaryParticipantType)
		},
	},
	{
		name: "CreateAction posts actioncreate with participant-type links",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.CreateAction(ctx, actionstep.NewAction{
				Name: "Acme Dental: SaaS subscription", Status: actionstep.ActionStatusActive,
				ActionType: "28", AssignedTo: "10", Participants: map[actionstep.ID][]actionstep.ID{"27": {"7939"}},
			})
		},
		reply: reply(200, `{"actioncreate":{"id":822,"name":"Acme Dental: SaaS subscription","status":"Active","priority":"0",
			"links":{"assignedTo":"10","division":"1","actionType":"28","primaryParticipants":"7939"}}}`),
		endpoint: actionstep.EndpointActionCreate, method: "POST", path: "/api/rest/actioncreate",
		body: `{"actioncreate":{"actionName":"Acme Dental: SaaS subscription","status":"Active",
			"links":{"actionType":"28","assignedToParticipant":"10","participantType27":["7939"]}}}`,
		check: func(t *testing.T, got any) {
			a := got.(*actionstep.Action)
			assert.Equal(t, actionstep.ID("822"), a.ID)
			assert.Equal(t, actionstep.OneOrMany[actionstep.ID]{"7939"}, a.Links.PrimaryParticipants, "a bare id for a to-many link")
		},
	},
	{
		name: "ActionCreateNeeds reads the start step's requirements and their names",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) { return c.ActionCreateNeeds(ctx, "28") },
		reply: reply(200, `{"actioncreate":{"id":28,"actionName":null,"status":"Active","links":{"actionType":"28","step":"28--1",
			"stepParticipantTypes":["27","30"],"otherParticipantTypes":"31","stepDataFields":null}},
			"linked":{"participanttypes":[{"id":27,"name":"Client"},{"id":30,"name":"Guarantor"},{"id":31,"name":"Other"}]}}`),
		endpoint: actionstep.EndpointGetActionCreate, method: "GET", path: "/api/rest/actioncreate/28",
		query: "include=stepParticipantTypes,otherParticipantTypes,stepDataFields",
		check: func(t *testing.T, got any) {
			n := got.(*actionstep.ActionCreateNeeds)
			assert.Equal(t, actionstep.ID("28--1"), n.Step)
			assert.Equal(t, []actionstep.ID{"27", "30"}, n.ParticipantTypes)
			assert.Equal(t, []actionstep.ID{"31"}, n.OtherParticipantTypes, "a bare id for a to-many link")
			assert.Empty(t, n.DataFields)
			assert.Equal(t, "Guarantor", n.ParticipantTypeNames["30"])
		},
	},
	{
		name: "ListActions with include and linked action types",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListActions(ctx, actionstep.Query{
				Filters: []actionstep.Filter{actionstep.Eq(actionstep.FieldImportExternalReference, "sub_1"), {Field: "status", Op: actionstep.OpNotEq, Value: "Closed"}},
				Include: []string{"actionType"},
			})
		},
		reply: reply(200, `{"actions":[{"id":822,"status":"Active","importExternalReference":"sub_1","links":{"actionType":"28","primaryParticipants":["7939","7940"]}},
			{"id":823,"status":"Active","importExternalReference":"sub_1","links":{"actionType":"28"}}],
			"linked":{"actiontypes":{"id":28,"name":"SaaS subscription"}},`+paging("actions", "2", "1", "null")+`}`),
		endpoint: actionstep.EndpointListActions, method: "GET", path: "/api/rest/actions",
		query: "importExternalReference_eq=sub_1&status_nteq=Closed&include=actionType",
		check: func(t *testing.T, got any) {
			page := got.(*actionstep.Page[actionstep.Action])
			require.Len(t, page.Items, 2)
			assert.Len(t, page.Items[0].Links.PrimaryParticipants, 2)
			require.Len(t, page.Linked.ActionTypes, 1, "one linked record as an object")
			assert.Equal(t, "SaaS subscription", page.Linked.ActionTypes[0].Name)
		},
	},
	{
		name:     "GetAction",
		call:     func(ctx context.Context, c *actionstep.Client) (any, error) { return c.GetAction(ctx, "822") },
		reply:    reply(200, `{"actions":{"id":"822","name":"Acme","priority":2,"isDeleted":"F","links":{"step":"28--1"}}}`),
		endpoint: actionstep.EndpointGetAction, method: "GET", path: "/api/rest/actions/822",
		check: func(t *testing.T, got any) {
			a := got.(*actionstep.Action)
			assert.Equal(t, actionstep.Int(2), a.Priority)
			assert.Equal(t, actionstep.ID("28--1"), a.Links.Step)
		},
	},
	{
		name: "UpdateAction PATCHes the set fields",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.UpdateAction(ctx, "822", actionstep.ActionFields{
				ImportExternalReference: new("sub_1"), Links: &actionstep.ActionUpdateLinks{AssignedTo: "10"},
			})
		},
		reply:    reply(200, `{"actions":{"id":822,"importExternalReference":"sub_1"}}`),
		endpoint: actionstep.EndpointUpdateAction, method: "PATCH", path: "/api/rest/actions/822",
		body: `{"actions":{"importExternalReference":"sub_1","links":{"assignedTo":"10"}}}`,
		check: func(t *testing.T, got any) {
			assert.Equal(t, "sub_1", got.(*actionstep.Action).ImportExternalReference)
		},
	},
	{
		name:     "CloseAction",
		call:     func(ctx context.Context, c *actionstep.Client) (any, error) { return c.CloseAction(ctx, "822") },
		reply:    reply(200, `{"actions":{"id":822,"status":"Closed"}}`),
		endpoint: actionstep.EndpointUpdateAction, method: "PATCH", path: "/api/rest/actions/822",
		body: `{"actions":{"status":"Closed"}}`,
		check: func(t *testing.T, got any) {
			assert.Equal(t, actionstep.ActionStatusClosed, got.(*actionstep.Action).Status)
		},
	},
	{
		name: "ListActionParticipants, 204",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListActionParticipants(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("action", "822"), actionstep.Eq("participantType", "27")}})
		},
		reply:    reply(http.StatusNoContent, ""),
		endpoint: actionstep.EndpointListActionParticipants, method: "GET", path: "/api/rest/actionparticipants",
		query: "action_eq=822&participantType_eq=27",
		check: func(t *testing.T, got any) {
			assert.Empty(t, got.(*actionstep.Page[actionstep.ActionParticipant]).Items)
		},
	},
	{
		name: "CreateActionParticipant",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.CreateActionParticipant(ctx, "822", "27", "7939")
		},
		reply:    reply(200, `{"actionparticipants":{"id":"822--27--7939","participantNumber":"1","links":{"action":"822","participantType":"27","participant":"7939"}}}`),
		endpoint: actionstep.EndpointCreateActionParticipant, method: "POST", path: "/api/rest/actionparticipants",
		body: `{"actionparticipants":{"links":{"action":"822","participantType":"27","participant":"7939"}}}`,
		check: func(t *testing.T, got any) {
			ap := got.(*actionstep.ActionParticipant)
			assert.Equal(t, actionstep.ID("822--27--7939"), ap.ID)
			assert.Equal(t, actionstep.Int(1), ap.ParticipantNumber)
		},
	},
	{
		name: "CreateDataCollection",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			d := actionstep.NewDataCollection{Name: "saas_subscription", Label: "SaaS subscription", Description: "Synced by saasbridge"}
			d.Links.ActionType = "28"
			return c.CreateDataCollection(ctx, d)
		},
		reply:    reply(200, `{"datacollections":{"id":150,"name":"saas_subscription","multipleRecords":"F","links":{"actionType":"28"}}}`),
		endpoint: actionstep.EndpointCreateDataCollection, method: "POST", path: "/api/rest/datacollections",
		body: `{"datacollections":{"name":"saas_subscription","label":"SaaS subscription","description":"Synced by saasbridge",
			"multipleRecords":"F","links":{"actionType":"28"}}}`,
		check: func(t *testing.T, got any) {
			assert.Equal(t, actionstep.ID("150"), got.(*actionstep.DataCollection).ID)
		},
	},
	{
		name: "CreateDataCollectionField",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			f := actionstep.NewDataCollectionField{Name: "seats", Label: "Seats", DataType: "Str255"}
			f.Links.DataCollection = "150"
			return c.CreateDataCollectionField(ctx, f)
		},
		reply:    reply(200, `{"datacollectionfields":{"id":"150--seats","name":"seats","dataType":"Str255","links":{"dataCollection":"150"}}}`),
		endpoint: actionstep.EndpointCreateDataCollectionField, method: "POST", path: "/api/rest/datacollectionfields",
		body: `{"datacollectionfields":{"name":"seats","label":"Seats","dataType":"Str255","links":{"dataCollection":"150"}}}`,
		check: func(t *testing.T, got any) {
			assert.Equal(t, actionstep.DataCollectionFieldID("150", "seats"), got.(*actionstep.DataCollectionField).ID)
		},
	},
	{
		name: "ListDataCollections",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListDataCollections(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("actionType", "28"), actionstep.Eq("name", "saas_subscription")}})
		},
		reply:    reply(200, `{"datacollections":{"id":148,"name":"saas_subscription","multipleRecords":"F","order":"5","links":{"actionType":28}}}`),
		endpoint: actionstep.EndpointListDataCollections, method: "GET", path: "/api/rest/datacollections",
		query: "actionType_eq=28&name_eq=saas_subscription",
		check: func(t *testing.T, got any) {
			page := got.(*actionstep.Page[actionstep.DataCollection])
			require.Len(t, page.Items, 1)
			assert.Equal(t, actionstep.Int(5), page.Items[0].Order)
			assert.Equal(t, actionstep.ID("28"), page.Items[0].Links.ActionType)
		},
	},
	{
		name:     "GetDataCollection",
		call:     func(ctx context.Context, c *actionstep.Client) (any, error) { return c.GetDataCollection(ctx, "148") },
		reply:    reply(200, `{"datacollections":{"id":148,"name":"saas_subscription","multipleRecords":true}}`),
		endpoint: actionstep.EndpointGetDataCollection, method: "GET", path: "/api/rest/datacollections/148",
		check: func(t *testing.T, got any) {
			assert.True(t, bool(got.(*actionstep.DataCollection).MultipleRecords))
		},
	},
	{
		name: "ListDataCollectionFields",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListDataCollectionFields(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("dataCollection", "148")}})
		},
		reply:    reply(200, `{"datacollectionfields":[{"id":"148--plan","name":"plan","dataType":"Str255","required":"T"},{"id":"148--seats","name":"seats","dataType":"Number","required":"F"}]}`),
		endpoint: actionstep.EndpointListDataCollectionFields, method: "GET", path: "/api/rest/datacollectionfields",
		query: "dataCollection_eq=148",
		check: func(t *testing.T, got any) {
			page := got.(*actionstep.Page[actionstep.DataCollectionField])
			require.Len(t, page.Items, 2)
			assert.True(t, bool(page.Items[0].Required))
			assert.Equal(t, "Number", page.Items[1].DataType)
		},
	},
	{
		name: "GetDataCollectionField by composite id",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.GetDataCollectionField(ctx, actionstep.DataCollectionFieldID("148", "plan"))
		},
		reply:    reply(200, `{"datacollectionfields":{"id":"148--plan","name":"plan","links":{"dataCollection":"148","tag":null}}}`),
		endpoint: actionstep.EndpointGetDataCollectionField, method: "GET", path: "/api/rest/datacollectionfields/148--plan",
		check: func(t *testing.T, got any) {
			assert.Equal(t, actionstep.ID("148"), got.(*actionstep.DataCollectionField).Links.DataCollection)
		},
	},
	{
		name: "ListDataCollectionRecords, 204 means no record yet",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListDataCollectionRecords(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("action", "822"), actionstep.Eq("dataCollection", "148")}})
		},
		reply:    reply(http.StatusNoContent, ""),
		endpoint: actionstep.EndpointListDataCollectionRecords, method: "GET", path: "/api/rest/datacollectionrecords",
		query: "action_eq=822&dataCollection_eq=148",
		check: func(t *testing.T, got any) {
			assert.Empty(t, got.(*actionstep.Page[actionstep.DataCollectionRecord]).Items)
		},
	},
	{
		name: "GetDataCollectionRecord",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.GetDataCollectionRecord(ctx, "6234")
		},
		reply:    reply(200, `{"datacollectionrecords":{"id":6234,"canWrite":"T","canDelete":"F","links":{"action":"822","dataCollection":"148"}}}`),
		endpoint: actionstep.EndpointGetDataCollectionRecord, method: "GET", path: "/api/rest/datacollectionrecords/6234",
		check: func(t *testing.T, got any) {
			r := got.(*actionstep.DataCollectionRecord)
			assert.True(t, bool(r.CanWrite))
			assert.False(t, bool(r.CanDelete))
		},
	},
	{
		name: "CreateDataCollectionRecord",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.CreateDataCollectionRecord(ctx, "822", "148")
		},
		reply:    reply(200, `{"datacollectionrecords":{"id":6234,"links":{"action":822,"dataCollection":148}}}`),
		endpoint: actionstep.EndpointCreateDataCollectionRecord, method: "POST", path: "/api/rest/datacollectionrecords",
		body: `{"datacollectionrecords":{"links":{"action":"822","dataCollection":"148"}}}`,
		check: func(t *testing.T, got any) {
			assert.Equal(t, actionstep.ID("822"), got.(*actionstep.DataCollectionRecord).Links.Action)
		},
	},
	{
		name: "ListDataCollectionRecordValues",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListDataCollectionRecordValues(ctx, actionstep.Query{
				Filters: []actionstep.Filter{actionstep.Eq("action", "822")}, Include: []string{"dataCollectionField"},
			})
		},
		reply: reply(200, `{"datacollectionrecordvalues":[{"id":"148--plan--6234","stringValue":"Pro","last_modified_by_user_id":7837},
			{"id":"148--seats--6234","stringValue":null}],"linked":{"datacollectionfields":[{"id":"148--plan","name":"plan"},{"id":"148--seats","name":"seats"}]}}`),
		endpoint: actionstep.EndpointListDataCollectionRecordValues, method: "GET", path: "/api/rest/datacollectionrecordvalues",
		query: "action_eq=822&include=dataCollectionField",
		check: func(t *testing.T, got any) {
			page := got.(*actionstep.Page[actionstep.DataCollectionRecordValue])
			require.Len(t, page.Items, 2)
			assert.Equal(t, "Pro", page.Items[0].Value())
			assert.Equal(t, actionstep.ID("7837"), page.Items[0].LastModifiedByUserID)
			assert.Nil(t, page.Items[1].StringValue)
			assert.Len(t, page.Linked.DataCollectionFields, 2)
		},
	},
	{
		name: "GetDataCollectionRecordValue",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.GetDataCollectionRecordValue(ctx, actionstep.DataCollectionRecordValueID("148", "plan", "6234"))
		},
		reply:    reply(200, `{"datacollectionrecordvalues":{"id":"148--plan--6234","stringValue":"Pro"}}`),
		endpoint: actionstep.EndpointGetDataCollectionRecordValue, method: "GET", path: "/api/rest/datacollectionrecordvalues/148--plan--6234",
		check: func(t *testing.T, got any) {
			assert.Equal(t, "Pro", got.(*actionstep.DataCollectionRecordValue).Value())
		},
	},
	{
		name: "CreateDataCollectionRecordValue sends all four links",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.CreateDataCollectionRecordValue(ctx, actionstep.NewDataCollectionRecordValue{
				StringValue: "Pro", Action: "822", DataCollection: "148", DataCollectionRecord: "6234", FieldName: "plan",
			})
		},
		reply:    reply(200, `{"datacollectionrecordvalues":{"id":"148--plan--6234","stringValue":"Pro"}}`),
		endpoint: actionstep.EndpointCreateDataCollectionRecordValue, method: "POST", path: "/api/rest/datacollectionrecordvalues",
		body: `{"datacollectionrecordvalues":{"stringValue":"Pro","links":{"action":"822","dataCollection":"148",
			"dataCollectionField":"148--plan","dataCollectionRecord":"6234"}}}`,
		check: func(t *testing.T, got any) {
			assert.Equal(t, actionstep.ID("148--plan--6234"), got.(*actionstep.DataCollectionRecordValue).ID)
		},
	},
	{
		name: "UpdateDataCollectionRecordValue",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.UpdateDataCollectionRecordValue(ctx, "148--plan--6234", "Enterprise")
		},
		reply:    reply(200, `{"datacollectionrecordvalues":{"id":"148--plan--6234","stringValue":"Enterprise"}}`),
		endpoint: actionstep.EndpointUpdateDataCollectionRecordValue, method: "PUT", path: "/api/rest/datacollectionrecordvalues/148--plan--6234",
		body: `{"datacollectionrecordvalues":{"stringValue":"Enterprise"}}`,
		check: func(t *testing.T, got any) {
			assert.Equal(t, "Enterprise", got.(*actionstep.DataCollectionRecordValue).Value())
		},
	},
	{
		name: "CreateFileNote",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.CreateFileNote(ctx, "822", actionstep.NewNote{Text: "Subscription upgraded to Pro", Source: actionstep.NoteSourceSystem})
		},
		reply:    reply(200, `{"filenotes":{"id":2347,"text":"Subscription upgraded to Pro","source":"System","links":{"action":"822","participant":"10","tags":[]}}}`),
		endpoint: actionstep.EndpointCreateFileNote, method: "POST", path: "/api/rest/filenotes",
		body: `{"filenotes":{"text":"Subscription upgraded to Pro","source":"System","links":{"action":"822"}}}`,
		check: func(t *testing.T, got any) {
			n := got.(*actionstep.FileNote)
			assert.Equal(t, actionstep.ID("2347"), n.ID)
			assert.Equal(t, actionstep.ID("10"), n.Links.Participant)
			assert.Empty(t, n.Links.Tags)
		},
	},
	{
		name: "ListFileNotes of one matter",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.ListFileNotes(ctx, "822", actionstep.Query{Sort: []string{"-enteredTimestamp"}, PageSize: 10})
		},
		reply:    reply(200, `{"filenotes":[{"id":1,"text":"a","links":{"action":"822","tags":"5"}},{"id":2,"text":"b","links":{"action":"822","tags":["5","6"]}}]}`),
		endpoint: actionstep.EndpointListFileNotes, method: "GET", path: "/api/rest/filenotes",
		query: "action_eq=822&sort=-enteredTimestamp&pageSize=10",
		check: func(t *testing.T, got any) {
			page := got.(*actionstep.Page[actionstep.FileNote])
			require.Len(t, page.Items, 2)
			assert.Equal(t, actionstep.OneOrMany[actionstep.ID]{"5"}, page.Items[0].Links.Tags)
			assert.Len(t, page.Items[1].Links.Tags, 2)
		},
	},
	{
		name: "CreateContactNote",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) {
			return c.CreateContactNote(ctx, "7939", actionstep.NewNote{Text: "Location onboarded", NoteTimestamp: "2026-03-01T10:00:00+11:00"})
		},
		reply:    reply(200, `{"contactnotes":{"id":"99","text":"Location onboarded","links":{"participant":7939}}}`),
		endpoint: actionstep.EndpointCreateContactNote, method: "POST", path: "/api/rest/contactnotes",
		body: `{"contactnotes":{"text":"Location onboarded","noteTimestamp":"2026-03-01T10:00:00+11:00","links":{"participant":"7939"}}}`,
		check: func(t *testing.T, got any) {
			assert.Equal(t, actionstep.ID("7939"), got.(*actionstep.ContactNote).Links.Participant)
		},
	},
	{
		name: "CurrentUser with its participant",
		call: func(ctx context.Context, c *actionstep.Client) (any, error) { return c.CurrentUser(ctx) },
		reply: reply(200, `{"users":{"id":"5","firstName":"Bridge","isActive":"T","links":{"participant":"10"}},
			"linked":{"participants":[{"id":9,"displayName":"Other"},{"id":10,"displayName":"Sync, Bridge"}]}}`),
		endpoint: actionstep.EndpointCurrentUser, method: "GET", path: "/api/rest/users/current",
		query: "include=participant",
		check: func(t *testing.T, got any) {
			u := got.(*actionstep.CurrentUser)
			assert.Equal(t, actionstep.ID("5"), u.ID)
			assert.True(t, bool(u.IsActive))
			require.NotNil(t, u.Participant)
			assert.Equal(t, "Sync, Bridge", u.Participant.DisplayName)
		},
	},
}

// TestMethods runs every client method against a fake API and checks the request it sent
// (method, path, query, headers, envelope) and what it decoded.
func TestMethods(t *testing.T) {
	for _, tc := range methodCases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, tc.reply)
			obs := &httpapitest.Recorder[httpapi.Call]{}
			got, err := tc.call(context.Background(), api.client(t, actionstep.WithObserver(obs.Observe)))
			require.NoError(t, err)
			tc.check(t, got)

			reqs := api.requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, tc.method, r.Method)
			assert.Equal(t, tc.path, r.Path)
			wantQuery, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			gotQuery, err := url.ParseQuery(r.RawQuery)
			require.NoError(t, err)
			assert.Equal(t, wantQuery, gotQuery)
			assert.Equal(t, "application/vnd.api+json", r.Header.Get("Accept"))
			assert.Equal(t, "Bearer "+testAccessToken, r.Header.Get("Authorization"))
			if tc.body == "" {
				assert.Empty(t, r.Body)
			} else {
				assert.Equal(t, "application/vnd.api+json", r.Header.Get("Content-Type"))
				assert.JSONEq(t, tc.body, string(r.Body))
			}

			calls := obs.Snapshot()
			require.Len(t, calls, 1)
			assert.Equal(t, tc.endpoint, calls[0].Endpoint)
			assert.NotZero(t, calls[0].StatusCode)
		})
	}
}

// A bulk value write that landed is not failed over the reply's record count: the API
// documents no bulk reply shape, and repeating the write would change nothing.
func TestBulkValuesAcceptsAShortReply(t *testing.T) {
	api := newFakeAPI(t, reply(200, `{"datacollectionrecordvalues":{"id":"148--plan--6000","stringValue":"Pro",
		"links":{"dataCollectionRecord":"6000"}}}`))
	written, err := api.client(t).UpdateDataCollectionRecordValues(context.Background(), map[actionstep.ID]string{
		"148--plan--6000": "Pro", "148--status--6000": "active",
	})
	require.NoError(t, err)
	require.Len(t, written, 1)
	assert.Equal(t, "Pro", written[0].Value())
	require.Len(t, api.requests(), 1)
	assert.Equal(t, "/api/rest/datacollectionrecordvalues/148--plan--6000,148--status--6000", api.requests()[0].Path)
}

// sandboxCovered lists the Client methods these tests call against the simulator; a new method
// must get a sandbox test and be added here.
var sandboxCovered = []string{
	"As", "Paced", "ExchangeCode", "ExchangeCodeWithVerifier", "RefreshToken", "CurrentUser",
	"ListParticipants", "GetParticipant", "CreateParticipant", "UpdateParticipant",
	"ListParticipantTypes", "ListParticipantDefaultTypes", "CreateParticipantDefaultType",
	"ListActionTypes", "ActionCreateNeeds", "CreateAction", "ListActions", "GetAction", "UpdateAction", "CloseAction",
	"ListActionParticipants", "CreateActionParticipant",
	"ListDataCollections", "GetDataCollection", "CreateDataCollection",
	"ListDataCollectionFields", "GetDataCollectionField", "CreateDataCollectionField",
	"ListDataCollectionRecords", "GetDataCollectionRecord", "CreateDataCollectionRecord",
	"ListDataCollectionRecordValues", "GetDataCollectionRecordValue", "CreateDataCollectionRecordValue",
	"UpdateDataCollectionRecordValue", "UpdateDataCollectionRecordValues",
	"CreateFileNote", "ListFileNotes", "CreateContactNote", "CreateTask", "ListTasks",
}

func TestSandboxCoversEveryMethod(t *testing.T) {
	typ := reflect.TypeFor[*actionstep.Client]()
	var methods []string
	for m := range typ.Methods() {
		methods = append(methods, m.Name)
	}
	assert.ElementsMatch(t, methods, sandboxCovered)
}

func TestSandboxExpiredTokenIsReplacedOnce(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{RotateAPIEndpoint: true})
	ctx := t.Context()
	c, s := e.login("all")
	stale := s.current()
	require.Equal(t, 1, e.sim.ExpireTokens(actionstepsim.TokenFilter{OrgKey: simOrgKey}).Expired)

	// Without a Reauthorizer the 401 is the caller's: the OAuth-shaped body becomes the APIError.
	_, err := e.api.As(oauth2.StaticTokenSource(stale)).GetParticipant(ctx, e.userContact())
	apiErr := requireAPIError(t, err, http.StatusUnauthorized)
	assert.Equal(t, "expired_token", apiErr.Code)
	assert.Contains(t, apiErr.Message, "has expired")
	assert.Equal(t, actionstep.EndpointGetParticipant, apiErr.Endpoint)
	assert.NotContains(t, err.Error(), stale.AccessToken)

	// With one, the client refreshes once and repeats the call against the new api_endpoint.
	p, err := c.UpdateParticipant(ctx, e.userContact(), actionstep.ParticipantFields{PreferredName: new("Bridge")})
	require.NoError(t, err)
	assert.Equal(t, "Bridge", p.PreferredName)
	assert.Equal(t, 1, s.refreshes)
	assert.Equal(t, []string{stale.AccessToken}, s.rejected)
	fresh := s.current()
	assert.Contains(t, actionstep.APIEndpoint(fresh), "/cluster2/")
	puts := slices.DeleteFunc(e.wire.all(), func(x exchange) bool { return x.method != http.MethodPut })
	require.Len(t, puts, 2)
	assert.Equal(t, []int{401, 200}, []int{puts[0].status, puts[1].status})
	assert.Equal(t, "/api/"+simOrgKey+"/rest/participants/10", puts[0].url.Path)
	assert.Equal(t, "/cluster2/api/"+simOrgKey+"/rest/participants/10", puts[1].url.Path)
	assert.Equal(t, string(puts[0].body), string(puts[1].body), "the retry resends the body")
	calls := e.sim.Calls()
	assert.Equal(t, 1, calls.Count("PUT /rest/participants/{id}", http.StatusUnauthorized))
	assert.Equal(t, 1, calls.Count("PUT /rest/participants/{id}", http.StatusOK))

	// When the refresh token is dead too, the 401 ends in invalid_grant: consent again.
	e.sim.ExpireTokens(actionstepsim.TokenFilter{RefreshTokens: true})
	_, err = c.CurrentUser(ctx)
	require.Error(t, err)
	assert.True(t, actionstep.IsInvalidGrant(err), "got %v", err)
	assert.Contains(t, err.Error(), "re-authorize after 401")
	assert.Equal(t, 1, s.refreshes)
}

func TestSandboxRateLimit(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	c, _ := e.login("all")
	me := e.userContact()

	_, err := e.sim.SetRateLimit(actionstepsim.RateLimit{Max: 2, Window: actionstepsim.Duration(time.Minute), RetryAfter: true})
	require.NoError(t, err)
	for range 2 {
		_, err := c.GetParticipant(ctx, me)
		require.NoError(t, err)
	}
	_, err = c.GetParticipant(ctx, me)
	apiErr := requireAPIError(t, err, http.StatusTooManyRequests)
	assert.True(t, apiErr.Temporary())
	assert.Equal(t, "AS-1105", apiErr.Code)
	assert.Contains(t, apiErr.Message, "rate limit exceeded")
	assert.Greater(t, apiErr.RetryAfter, time.Duration(0))
	assert.LessOrEqual(t, apiErr.RetryAfter, time.Minute)

	// As documented: no Retry-After unless configured.
	_, err = e.sim.SetRateLimit(actionstepsim.RateLimit{Max: 1, Window: actionstepsim.Duration(time.Minute)})
	require.NoError(t, err)
	_, err = c.GetParticipant(ctx, me)
	require.NoError(t, err)
	_, err = c.GetParticipant(ctx, me)
	apiErr = requireAPIError(t, err, http.StatusTooManyRequests)
	assert.Zero(t, apiErr.RetryAfter)
	assert.True(t, apiErr.Temporary())

	// An injected burst with a configured Retry-After.
	_, err = e.sim.SetRateLimit(actionstepsim.RateLimit{})
	require.NoError(t, err)
	_, err = e.sim.SetFaults(actionstepsim.Faults{BurstRate: 1, BurstRetryAfter: actionstepsim.Duration(3 * time.Second)})
	require.NoError(t, err)
	_, err = c.ListActions(ctx, actionstep.Query{})
	apiErr = requireAPIError(t, err, http.StatusTooManyRequests)
	assert.Equal(t, 3*time.Second, apiErr.RetryAfter)
	assert.Equal(t, actionstep.EndpointListActions, apiErr.Endpoint)
}

func TestSandboxServerErrors(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	c, _ := e.login("all")
	p := e.provision(c, "1")

	require.NoError(t, e.sim.AddFaultRule(actionstepsim.Rule{Endpoint: "GET /rest/participants/{id}", Status: 503, Message: "Down for maintenance", Times: 1}))
	_, err := c.GetParticipant(ctx, p.participant)
	apiErr := requireAPIError(t, err, http.StatusServiceUnavailable)
	assert.True(t, apiErr.Temporary())
	assert.Equal(t, "AS-1400", apiErr.Code)
	assert.Equal(t, "Service Unavailable: Down for maintenance", apiErr.Message)
	_, err = c.GetParticipant(ctx, p.participant)
	require.NoError(t, err, "the rule fired once")

	// A 5xx comes before any change: the note was not written.
	_, err = e.sim.SetFaults(actionstepsim.Faults{Endpoints: []string{"POST /rest/filenotes"}, ErrorRate: 1, ErrorStatuses: []int{502}})
	require.NoError(t, err)
	_, err = c.CreateFileNote(ctx, p.action, actionstep.NewNote{Text: "lost"})
	apiErr = requireAPIError(t, err, http.StatusBadGateway)
	assert.True(t, apiErr.Temporary())
	assert.Empty(t, e.state().FileNotes)
	calls := e.obs.Snapshot()
	last := calls[len(calls)-1]
	assert.Equal(t, actionstep.EndpointCreateFileNote, last.Endpoint)
	assert.Equal(t, http.StatusBadGateway, last.StatusCode)
}

// TestSandboxCommitThenDrop is the case the provisioning activities are built for: the create
// is committed, the reply is lost. The client reports a TransportError (outcome unknown) and
// does not repeat the POST; a lookup by our key then finds exactly the one record.
func TestSandboxCommitThenDrop(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	c, _ := e.login("all")
	_, err := e.sim.SetFaults(actionstepsim.Faults{
		Endpoints: []string{"POST /rest/participants", "POST /rest/actioncreate"}, DropAfterCommitRate: 1,
	})
	require.NoError(t, err)

	_, err = c.CreateParticipant(ctx, actionstep.ParticipantFields{
		IsCompany: new(actionstep.Bool(true)), CompanyName: new("Acme Dental"), ImportExternalReference: new("loc_drop"),
	})
	var te *httpapi.TransportError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, actionstep.EndpointCreateParticipant, te.Endpoint)
	var apiErr *actionstep.APIError
	assert.False(t, errors.As(err, &apiErr))

	st := e.state()
	var made []actionstepsim.Participant
	for _, p := range st.Participants {
		if p.ImportExternalReference == "loc_drop" {
			made = append(made, p)
		}
	}
	require.Len(t, made, 1, "the participant WAS created")
	calls := e.sim.Calls()
	assert.Equal(t, 1, calls.Count("POST /rest/participants", 0), "the client did not repeat the POST")
	assert.Equal(t, 1, calls.Dropped)

	page, err := c.ListParticipants(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq(actionstep.FieldImportExternalReference, "loc_drop")}})
	require.NoError(t, err, "reads are not dropped")
	require.Len(t, page.Items, 1)
	found := page.Items[0]
	assert.Equal(t, simID(made[0].ID), found.ID)

	_, err = c.CreateAction(ctx, actionstep.NewAction{
		Name: "Acme Dental: SaaS subscription", Reference: "sub_drop", ActionType: e.matterType(),
		Participants: map[actionstep.ID][]actionstep.ID{e.clientType(): {found.ID}},
	})
	require.ErrorAs(t, err, &te)
	assert.Equal(t, actionstep.EndpointActionCreate, te.Endpoint)
	st = e.state()
	require.Len(t, st.Actions, 1, "the matter WAS created")
	assert.Equal(t, "sub_drop", st.Actions[0].Reference)
	assert.Equal(t, []int{made[0].ID}, st.Actions[0].PrimaryParticipantIDs, "with its client linked")
	assert.Equal(t, 1, e.sim.Calls().Count("POST /rest/actioncreate", 0))

	matters, err := c.ListActions(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("reference", "sub_drop")}})
	require.NoError(t, err)
	require.Len(t, matters.Items, 1)
	assert.Equal(t, simID(st.Actions[0].ID), matters.Items[0].ID)
	assert.Empty(t, e.state().DuplicateExternalReferences)
}

// TestSandboxPacedSendsA429Again: a paced client waits for its pacer before every REST
// call (the token endpoint is not paced), tells it each answer with a 429's Retry-After,
// and sends the 429 again, a create included (a 429 applied nothing), once the pacer
// lets it.
func TestSandboxPacedSendsA429Again(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	c, _ := e.login("all")
	_, err := e.sim.SetRateLimit(actionstepsim.RateLimit{Max: 1, Window: actionstepsim.Duration(time.Minute), RetryAfter: true})
	require.NoError(t, err)
	p := &httpapitest.Pacer{OnDone: func(status int, retryAfter time.Duration) {
		if status == http.StatusTooManyRequests {
			assert.Greater(t, retryAfter, 50*time.Second)
			_, err := e.sim.SetRateLimit(actionstepsim.RateLimit{Max: 1000}) // the minute has passed
			assert.NoError(t, err)
		}
	}}
	paced := c.Paced(p)
	_, err = paced.ListParticipants(ctx, actionstep.Query{})
	require.NoError(t, err)
	const ref = "loc_paced"
	_, err = paced.CreateParticipant(ctx, actionstep.ParticipantFields{
		IsCompany: new(actionstep.Bool(true)), CompanyName: new("Paced Ltd"), ImportExternalReference: new(ref),
	})
	require.NoError(t, err)
	assert.Equal(t, []int{200, 429, 200}, p.Answers)
	assert.Equal(t, 3, p.Waits)
	made := 0
	for _, pt := range e.state().Participants {
		if pt.ImportExternalReference == ref {
			made++
		}
	}
	assert.Equal(t, 1, made, "created once")
}
