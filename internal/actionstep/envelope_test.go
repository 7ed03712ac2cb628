package actionstep_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

func TestSandboxWireFormat(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{RateLimit: actionstepsim.RateLimit{Max: 1000}})
	ctx := t.Context()
	c, _ := e.login("all")
	p := e.provision(c, "1")

	t.Run("one record is an object, several an array", func(t *testing.T) {
		one, err := c.ListParticipantTypes(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("name", "Client")}})
		require.NoError(t, err)
		require.Len(t, one.Items, 1)
		raw := jsonObject(t, e.wire.last(t, http.MethodGet, "/rest/participanttypes").resp)
		assert.IsType(t, map[string]any{}, raw["participanttypes"])
		assert.Equal(t, actionstep.Int(1), one.Paging.RecordCount)

		two, err := c.ListParticipantTypes(ctx, actionstep.Query{})
		require.NoError(t, err)
		require.Len(t, two.Items, 2)
		raw = jsonObject(t, e.wire.last(t, http.MethodGet, "/rest/participanttypes").resp)
		assert.IsType(t, []any{}, raw["participanttypes"])
	})

	t.Run("an empty list is 204 without a body", func(t *testing.T) {
		page, err := c.ListParticipants(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq(actionstep.FieldImportExternalReference, "nobody")}})
		require.NoError(t, err)
		ex := e.wire.last(t, http.MethodGet, "/rest/participants")
		assert.Equal(t, http.StatusNoContent, ex.status)
		assert.Empty(t, ex.resp)
		assert.Empty(t, page.Items)
		assert.Equal(t, actionstep.Paging{}, page.Paging)
		assert.False(t, page.HasNext())
	})

	t.Run("T/F flags both ways, numeric record ids, string link ids", func(t *testing.T) {
		got, err := c.GetParticipant(ctx, p.participant)
		require.NoError(t, err)
		sent := jsonObject(t, e.wire.last(t, http.MethodPost, "/rest/participants").body)["participants"].(map[string]any)
		assert.Equal(t, "T", sent["isCompany"])
		raw := jsonObject(t, e.wire.last(t, http.MethodGet, "/rest/participants/"+string(p.participant)).resp)["participants"].(map[string]any)
		assert.Equal(t, "T", raw["isCompany"])
		assert.Equal(t, float64(11), raw["id"], "a JSON number")
		assert.Equal(t, "1", raw["links"].(map[string]any)["division"], "a JSON string")
		assert.True(t, bool(got.IsCompany))
		assert.Equal(t, actionstep.ID("11"), got.ID)
		assert.Equal(t, actionstep.ID("1"), got.Links.Division)
		assert.Nil(t, raw["firstName"])
		assert.Empty(t, got.FirstName)
	})

	t.Run("composite ids", func(t *testing.T) {
		aps, err := c.ListActionParticipants(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("action", string(p.action))}})
		require.NoError(t, err)
		require.Len(t, aps.Items, 1)
		raw := jsonObject(t, e.wire.last(t, http.MethodGet, "/rest/actionparticipants").resp)["actionparticipants"].(map[string]any)
		assert.Equal(t, "1000--27--11", raw["id"])
		assert.Equal(t, []string{"1000", "27", "11"}, aps.Items[0].ID.Parts())
		assert.Equal(t, p.participant, aps.Items[0].Links.Participant)

		f, err := c.GetDataCollectionField(ctx, actionstep.DataCollectionFieldID(e.collection(), "plan"))
		require.NoError(t, err)
		assert.Equal(t, []string{"148", "plan"}, f.ID.Parts())
		v, err := c.GetDataCollectionRecordValue(ctx, actionstep.DataCollectionRecordValueID(e.collection(), "subscription_id", p.record))
		require.NoError(t, err)
		assert.Equal(t, []string{"148", "subscription_id", "6000"}, v.ID.Parts())
	})

	t.Run("paging caps pageSize at 200; page 2", func(t *testing.T) {
		for i := range 200 {
			_, err := c.CreateParticipant(ctx, actionstep.ParticipantFields{
				IsCompany: new(actionstep.Bool(true)), CompanyName: new(fmt.Sprintf("Bulk %03d", i)),
				ImportExternalReference: new(fmt.Sprintf("bulk_%03d", i)),
			})
			require.NoError(t, err)
		}
		q := actionstep.Query{Filters: []actionstep.Filter{{Field: "companyName", Op: actionstep.OpLike, Value: "*"}}, PageSize: 500}
		page1, err := c.ListParticipants(ctx, q)
		require.NoError(t, err)
		assert.Equal(t, "200", e.wire.last(t, http.MethodGet, "/rest/participants").url.Query().Get("pageSize"))
		assert.Len(t, page1.Items, 200)
		assert.Equal(t, actionstep.Paging{RecordCount: 201, PageCount: 2, Page: 1, PageSize: 200, NextPage: page1.Paging.NextPage}, page1.Paging)
		require.True(t, page1.HasNext())
		next, err := url.Parse(page1.Paging.NextPage)
		require.NoError(t, err)
		assert.Equal(t, "2", next.Query().Get("page"))

		q.Page = 2
		page2, err := c.ListParticipants(ctx, q)
		require.NoError(t, err)
		require.Len(t, page2.Items, 1)
		raw := jsonObject(t, e.wire.last(t, http.MethodGet, "/rest/participants").resp)
		assert.IsType(t, map[string]any{}, raw["participants"], "the last page's one record is an object despite recordCount 201")
		assert.Equal(t, actionstep.Int(201), page2.Paging.RecordCount)
		assert.Equal(t, actionstep.Int(2), page2.Paging.Page)
		assert.NotEmpty(t, page2.Paging.PrevPage)
		assert.False(t, page2.HasNext())
		assert.Equal(t, "bulk_199", page2.Items[0].ImportExternalReference)

		q.Page = 3
		page3, err := c.ListParticipants(ctx, q)
		require.NoError(t, err)
		assert.Empty(t, page3.Items, "past the last page: 204")
	})

	t.Run("include side-loads linked records as arrays", func(t *testing.T) {
		page, err := c.ListActions(ctx, actionstep.Query{
			Filters: []actionstep.Filter{actionstep.Eq("reference", "sub_1")}, Include: []string{"actionType", "primaryParticipants"},
		})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		raw := jsonObject(t, e.wire.last(t, http.MethodGet, "/rest/actions").resp)
		linked := raw["linked"].(map[string]any)
		assert.IsType(t, []any{}, linked["actiontypes"])
		require.Len(t, page.Linked.ActionTypes, 1)
		assert.Equal(t, e.matterType(), page.Linked.ActionTypes[0].ID)
		require.Len(t, page.Linked.Participants, 1)
		assert.Equal(t, p.participant, page.Linked.Participants[0].ID)
		tpl, ok := page.Links["actions.actionType"]
		require.True(t, ok, "link templates: %v", page.Links)
		assert.Equal(t, "actiontypes", tpl.Type)
		assert.Contains(t, tpl.Href, ".actionstep.com", "the doubled host, never to be followed")
	})
}
