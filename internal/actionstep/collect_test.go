package actionstep_test

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
