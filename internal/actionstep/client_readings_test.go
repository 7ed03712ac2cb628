package actionstep_test

// Sandbox tests of what the client offers for the doubtful corners of the API: checking
// lookups client-side over every page (Collect), asking what a new matter needs, and creating
// the custom fields an organisation lacks.

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

// Collect reads every page when the server ignores a filter, and keeps only what matches.
func TestSandboxCollectChecksEveryPage(t *testing.T) {
	t.Parallel()
	for _, filters := range []string{"reject", "ignore"} {
		t.Run(filters, func(t *testing.T) {
			e := newSimEnv(t, actionstepsim.Options{
				Readings: actionstepsim.Readings{Filters: filters}, RateLimit: actionstepsim.RateLimit{Max: 10000},
			})
			ctx := t.Context()
			c, _ := e.login("all")
			for i := range 450 {
				_, err := c.CreateParticipant(ctx, actionstep.ParticipantFields{
					IsCompany: new(actionstep.Bool(true)), CompanyName: new(fmt.Sprint("Company ", i)),
					ImportExternalReference: new(fmt.Sprint("loc_", i)),
				})
				require.NoError(t, err)
			}
			before := e.sim.Calls().Count("GET /rest/participants", http.StatusOK)
			q := actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq(actionstep.FieldImportExternalReference, "loc_449")}}
			got, err := actionstep.Collect(ctx, c.ListParticipants, q, func(p actionstep.Participant) bool {
				return p.ImportExternalReference == "loc_449"
			})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, "Company 449", got[0].CompanyName)
			pages := e.sim.Calls().Count("GET /rest/participants", http.StatusOK) - before
			if filters == "reject" {
				assert.Equal(t, 1, pages, "a filtering server answers in one page")
			} else {
				assert.Equal(t, 3, pages, "451 participants, 200 a page, all read")
			}
			none, err := actionstep.Collect(ctx, c.ListParticipants, q, func(actionstep.Participant) bool { return false })
			require.NoError(t, err)
			assert.Empty(t, none)
		})
	}
}

// Collect gives up past MaxScanPages rather than scan without end.
func TestCollectStopsAtTheScanLimit(t *testing.T) {
	api := newFakeAPI(t, reply(200, `{"participants":[{"id":1},{"id":2}],`+
		paging("participants", "999999", "1", `"https://x/api/rest/participants?page=2"`)+`}`))
	_, err := actionstep.Collect(t.Context(), api.client(t).ListParticipants, actionstep.Query{
		Filters: []actionstep.Filter{actionstep.Eq(actionstep.FieldImportExternalReference, "loc_secret")},
	}, func(actionstep.Participant) bool { return false })
	require.ErrorIs(t, err, actionstep.ErrScanLimit)
	assert.Contains(t, err.Error(), "importExternalReference_eq")
	assert.NotContains(t, err.Error(), "loc_secret", "filter values stay out of errors")
	assert.Len(t, api.requests(), actionstep.MaxScanPages)
}

func TestSandboxActionCreateNeeds(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	_, err := e.sim.CreateOrg(actionstepsim.OrgSpec{OrgKey: "strictlaw", StartStep: &actionstepsim.StartStepSpec{
		ParticipantTypes: []string{"Client", "Client_Primary_Contact"}, DataFields: []string{"plan"},
	}})
	require.NoError(t, err)
	c, _ := e.login("all")

	needs, err := c.ActionCreateNeeds(ctx, e.matterType())
	require.NoError(t, err)
	assert.Equal(t, e.matterType(), needs.ActionType)
	assert.Equal(t, []actionstep.ID{e.clientType()}, needs.ParticipantTypes)
	assert.Equal(t, "Client", needs.ParticipantTypeNames[e.clientType()])
	assert.Len(t, needs.OtherParticipantTypes, 1)
	assert.Empty(t, needs.DataFields)

	_, err = c.ActionCreateNeeds(ctx, "999")
	_ = requireAPIError(t, err, http.StatusNotFound)
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
