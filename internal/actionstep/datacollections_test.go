package actionstep_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

func TestSandboxCustomData(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	c, _ := e.login("all")
	p := e.provision(c, "1")

	colls, err := c.ListDataCollections(ctx, actionstep.Query{Filters: []actionstep.Filter{
		actionstep.Eq("actionType", string(e.matterType())), actionstep.Eq("name", "saas_subscription"),
	}})
	require.NoError(t, err)
	require.Len(t, colls.Items, 1)
	dc := colls.Items[0]
	assert.Equal(t, actionstep.ID("148"), dc.ID)
	assert.False(t, bool(dc.MultipleRecords))
	assert.Equal(t, e.matterType(), dc.Links.ActionType)
	got, err := c.GetDataCollection(ctx, dc.ID)
	require.NoError(t, err)
	assert.Equal(t, "SaaS subscription", got.Label)

	fields, err := c.ListDataCollectionFields(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("dataCollection", string(dc.ID))}})
	require.NoError(t, err)
	var names []string
	for _, f := range fields.Items {
		names = append(names, f.Name)
		assert.Equal(t, actionstep.DataCollectionFieldID(dc.ID, f.Name), f.ID)
	}
	assert.ElementsMatch(t, []string{"plan", "status", "subscription_id", "last_change"}, names)
	field, err := c.GetDataCollectionField(ctx, actionstep.DataCollectionFieldID(dc.ID, "last_change"))
	require.NoError(t, err)
	assert.Equal(t, "DateTime", field.DataType)
	assert.Equal(t, dc.ID, field.Links.DataCollection)

	// The record: provision created it; find it by matter and collection.
	byMatter := actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("action", string(p.action)), actionstep.Eq("dataCollection", string(dc.ID))}}
	recs, err := c.ListDataCollectionRecords(ctx, byMatter)
	require.NoError(t, err)
	require.Len(t, recs.Items, 1)
	assert.Equal(t, p.record, recs.Items[0].ID)
	assert.Equal(t, actionstep.ID("6000"), p.record)
	rec, err := c.GetDataCollectionRecord(ctx, p.record)
	require.NoError(t, err)
	assert.True(t, bool(rec.CanWrite))
	assert.Equal(t, p.action, rec.Links.Action)
	_, err = c.CreateDataCollectionRecord(ctx, p.action, dc.ID)
	assert.Contains(t, requireAPIError(t, err, http.StatusBadRequest).Message, "single-record", "one record per matter")
	otherMatter := e.provision(c, "2")
	recs, err = c.ListDataCollectionRecords(ctx, byMatter)
	require.NoError(t, err)
	require.Len(t, recs.Items, 1, "filtered by matter")

	// Values exist, empty, as soon as the record does.
	planID := actionstep.DataCollectionRecordValueID(dc.ID, "plan", p.record)
	assert.Equal(t, actionstep.ID("148--plan--6000"), planID)
	v, err := c.GetDataCollectionRecordValue(ctx, planID)
	require.NoError(t, err)
	assert.Nil(t, v.StringValue)
	assert.Empty(t, v.Value())

	v, err = c.UpdateDataCollectionRecordValue(ctx, planID, "Pro")
	require.NoError(t, err)
	assert.Equal(t, "Pro", v.Value())
	assert.Equal(t, p.record, v.Links.DataCollectionRecord)
	assert.Equal(t, actionstep.DataCollectionFieldID(dc.ID, "plan"), v.Links.DataCollectionField)

	v, err = c.CreateDataCollectionRecordValue(ctx, actionstep.NewDataCollectionRecordValue{
		StringValue: "trialing", Action: p.action, DataCollection: dc.ID, DataCollectionRecord: p.record, FieldName: "status",
	})
	require.NoError(t, err)
	assert.Equal(t, actionstep.DataCollectionRecordValueID(dc.ID, "status", p.record), v.ID)
	assert.Equal(t, "trialing", v.Value())

	// Bulk: one PUT for all four fields, ids sorted.
	want := map[actionstep.ID]string{
		actionstep.DataCollectionRecordValueID(dc.ID, "plan", p.record):            "Enterprise",
		actionstep.DataCollectionRecordValueID(dc.ID, "status", p.record):          "active",
		actionstep.DataCollectionRecordValueID(dc.ID, "subscription_id", p.record): "sub_1",
		actionstep.DataCollectionRecordValueID(dc.ID, "last_change", p.record):     "2026-03-01T10:00:00+11:00",
	}
	putsBefore := e.sim.Calls().Count("PUT /rest/datacollectionrecordvalues/{id}", 0)
	written, err := c.UpdateDataCollectionRecordValues(ctx, want)
	require.NoError(t, err)
	require.Len(t, written, 4)
	for _, w := range written {
		assert.Equal(t, want[w.ID], w.Value(), w.ID)
	}
	ex := e.wire.last(t, http.MethodPut, "6000")
	assert.Equal(t, "/api/"+simOrgKey+"/rest/datacollectionrecordvalues/"+
		"148--last_change--6000,148--plan--6000,148--status--6000,148--subscription_id--6000", ex.url.Path)
	assert.JSONEq(t, `{"datacollectionrecordvalues":[{"stringValue":"2026-03-01T10:00:00+11:00"},
		{"stringValue":"Enterprise"},{"stringValue":"active"},{"stringValue":"sub_1"}]}`, string(ex.body))
	calls := e.obs.Snapshot()
	assert.Equal(t, actionstep.EndpointUpdateDataCollectionRecordValues, calls[len(calls)-1].Endpoint)
	assert.Equal(t, putsBefore+1, e.sim.Calls().Count("PUT /rest/datacollectionrecordvalues/{id}", http.StatusOK), "one request")

	// Read back, with the fields side-loaded.
	vals, err := c.ListDataCollectionRecordValues(ctx, actionstep.Query{
		Filters: []actionstep.Filter{actionstep.Eq("action", string(p.action))}, Include: []string{"dataCollectionField"},
	})
	require.NoError(t, err)
	require.Len(t, vals.Items, 4)
	for _, v := range vals.Items {
		assert.Equal(t, want[v.ID], v.Value(), v.ID)
	}
	assert.Len(t, vals.Linked.DataCollectionFields, 4)
	byID := map[actionstep.ID]string{}
	for _, dv := range e.state().DataValues {
		if dv.RecordID == 6000 && dv.Value != nil {
			byID[actionstep.ID(dv.ID)] = *dv.Value
		}
	}
	assert.Equal(t, want, byID)

	// A single value in the bulk form, and clearing one.
	written, err = c.UpdateDataCollectionRecordValues(ctx, map[actionstep.ID]string{planID: ""})
	require.NoError(t, err)
	require.Len(t, written, 1, "one record comes back as an object")
	assert.Empty(t, written[0].Value())

	// The other matter's values were never touched.
	other, err := c.ListDataCollectionRecordValues(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("action", string(otherMatter.action))}})
	require.NoError(t, err)
	require.Len(t, other.Items, 4)
	for _, v := range other.Items {
		assert.Nil(t, v.StringValue, v.ID)
	}
}

func TestSandboxBulkValueErrors(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	c, _ := e.login("all")
	p := e.provision(c, "1")
	id := func(field string) actionstep.ID {
		return actionstep.DataCollectionRecordValueID(e.collection(), field, p.record)
	}

	_, err := c.UpdateDataCollectionRecordValues(ctx, map[actionstep.ID]string{
		id("plan"): "Pro", actionstep.DataCollectionRecordValueID(e.collection(), "plan", "9999"): "Pro",
	})
	apiErr := requireAPIError(t, err, http.StatusNotFound)
	assert.Equal(t, actionstep.EndpointUpdateDataCollectionRecordValues, apiErr.Endpoint)
	assert.Equal(t, "AS-1501", apiErr.Code)

	_, err = c.UpdateDataCollectionRecordValues(ctx, map[actionstep.ID]string{id("plan"): "Pro", id("last_change"): "yesterday"})
	apiErr = requireAPIError(t, err, http.StatusBadRequest)
	assert.Contains(t, apiErr.Message, "DateTime")

	before := len(e.wire.all())
	got, err := c.UpdateDataCollectionRecordValues(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
	_, err = c.UpdateDataCollectionRecordValues(ctx, map[actionstep.ID]string{id("plan"): "a", "148--plan--6000,148--status--6000": "b"})
	require.Error(t, err, "a comma would address other records")
	_, err = c.UpdateDataCollectionRecordValues(ctx, map[actionstep.ID]string{"": "b"})
	require.Error(t, err)
	_, err = c.GetParticipant(ctx, "10,11")
	require.Error(t, err, "the server decodes %2C and would read two participants")
	assert.Len(t, e.wire.all(), before, "nothing sent")
}

func TestSandboxCreateCustomFields(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	c, _ := e.login("all")
	other, err := c.ListActionTypes(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("name", "General Matter")}})
	require.NoError(t, err)
	require.Len(t, other.Items, 1)

	d := actionstep.NewDataCollection{Name: "billing", Label: "Billing", Description: "Written by saasbridge"}
	d.Links.ActionType = other.Items[0].ID
	dc, err := c.CreateDataCollection(ctx, d)
	require.NoError(t, err)
	assert.Equal(t, "billing", dc.Name)
	assert.False(t, bool(dc.MultipleRecords))
	assert.Equal(t, other.Items[0].ID, dc.Links.ActionType)

	f := actionstep.NewDataCollectionField{Name: "renewal", Label: "Renewal", DataType: "DateTime"}
	f.Links.DataCollection = dc.ID
	field, err := c.CreateDataCollectionField(ctx, f)
	require.NoError(t, err)
	assert.Equal(t, actionstep.DataCollectionFieldID(dc.ID, "renewal"), field.ID)
	assert.Equal(t, "DateTime", field.DataType)

	_, err = c.CreateDataCollectionField(ctx, f)
	assert.Contains(t, requireAPIError(t, err, http.StatusBadRequest).Message, "already has a field")
}
