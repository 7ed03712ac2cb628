package actionstep_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
)

// sampleCase serves one recorded response with status and checks what the client made of it.
type sampleCase struct {
	status int
	check  func(t *testing.T, c *actionstep.Client)
}

// sampleCases covers every file in shared/contracts/actionstep/samples; a new sample without
// a case fails TestRecordedSamples, so each recording is decoded by the method that would
// receive it.
var sampleCases = map[string]sampleCase{
	"dbc-tech-get-action.json": {http.StatusOK, func(t *testing.T, c *actionstep.Client) {
		a, err := c.GetAction(context.Background(), "70151")
		require.NoError(t, err)
		assert.Equal(t, actionstep.ID("70151"), a.ID)
		assert.Equal(t, actionstep.ActionStatusClosed, a.Status)
		assert.Equal(t, "2019-08-15", a.CreatedTimestamp)
		assert.False(t, bool(a.IsDeleted))
		assert.Empty(t, a.ImportExternalReference)
		assert.Equal(t, actionstep.ID("33"), a.Links.ActionType)
		assert.Equal(t, actionstep.ID("33--1"), a.Links.Step)
		assert.Equal(t, []string{"33", "1"}, a.Links.Step.Parts())
		assert.Equal(t, actionstep.OneOrMany[actionstep.ID]{"75165"}, a.Links.PrimaryParticipants)
		assert.Equal(t, actionstep.OneOrMany[actionstep.ID]{"68502"}, a.Links.RelatedActions)
	}},
	"konekta-get-single-action.json": {http.StatusOK, func(t *testing.T, c *actionstep.Client) {
		// Recorded for GET actions?id_eq=1&include=actionType,…: one row comes as an object.
		page, err := c.ListActions(context.Background(), actionstep.Query{
			Filters: []actionstep.Filter{actionstep.Eq("id", "1")}, Include: []string{"actionType"},
		})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		a := page.Items[0]
		assert.Equal(t, actionstep.ID("1"), a.ID)
		assert.False(t, bool(a.IsBillableOverride), `"" is an unset flag`)
		assert.True(t, bool(a.IsFavorite))
		assert.Empty(t, a.Links.RelatedActions, "null to-many link")
		assert.Equal(t, actionstep.Int(1), page.Paging.RecordCount)
		assert.False(t, page.HasNext())
		require.Len(t, page.Linked.ActionTypes, 1)
		at := page.Linked.ActionTypes[0]
		assert.Equal(t, actionstep.ID("7"), at.ID)
		assert.True(t, bool(at.CanCreate))
		assert.False(t, bool(at.IsDisabled))
		assert.Equal(t, actionstep.Int(0), at.CustomLogoFilesize, `"" as a number`)
		assert.Equal(t, actionstep.ID("72"), at.Links.PrimaryParticipantType)
		assert.Equal(t, "actiontypes", page.Links["actions.actionType"].Type)
		assert.Contains(t, page.Links["actions.actionType"].Href, "{actions.actionType}")
	}},
	"konekta-list-actionparticipants.json": {http.StatusOK, func(t *testing.T, c *actionstep.Client) {
		page, err := c.ListActionParticipants(context.Background(), actionstep.Query{
			Filters: []actionstep.Filter{actionstep.Eq("action", "1")}, Include: []string{"participant", "participantType"},
		})
		require.NoError(t, err)
		require.Len(t, page.Items, 17)
		ap := page.Items[0]
		assert.Equal(t, actionstep.ID("1--27--10"), ap.ID)
		assert.Equal(t, actionstep.Int(1), ap.ParticipantNumber)
		assert.Equal(t, actionstep.ID("27"), ap.Links.ParticipantType)
		assert.Equal(t, actionstep.ID("10"), ap.Links.Participant)
		assert.Equal(t, actionstep.Int(17), page.Paging.RecordCount)
		require.Len(t, page.Linked.Participants, 5)
		p := page.Linked.Participants[0]
		assert.Equal(t, actionstep.ID("10"), p.ID)
		assert.Equal(t, "Smon, Daniel", p.DisplayName)
		assert.False(t, bool(p.IsCompany))
		assert.Equal(t, actionstep.Int(61), p.Phone1Country)
		assert.Equal(t, actionstep.ID("PH"), p.Links.MailingCountry)
		assert.True(t, bool(page.Linked.Participants[4].IsCompany))
		require.Len(t, page.Linked.ParticipantTypes, 13)
		assert.Equal(t, "Client", page.Linked.ParticipantTypes[0].Name)
		assert.True(t, bool(page.Linked.ParticipantTypes[2].CompanyFlag))
	}},
	"konekta-get-data-collection-record-values.json": {http.StatusOK, func(t *testing.T, c *actionstep.Client) {
		page, err := c.ListDataCollectionRecordValues(context.Background(), actionstep.Query{
			Filters: []actionstep.Filter{{Field: "action", Value: "7"}}, Include: []string{"dataCollectionField"},
		})
		require.NoError(t, err)
		require.Len(t, page.Items, 6)
		assert.Nil(t, page.Items[0].StringValue)
		assert.Equal(t, "", page.Items[0].Value())
		v := page.Items[3]
		assert.Equal(t, actionstep.DataCollectionRecordValueID("24", "titleref", "28"), v.ID)
		assert.Equal(t, "test-title-ref", v.Value())
		assert.Equal(t, actionstep.DataCollectionFieldID("24", "titleref"), v.Links.DataCollectionField)
		assert.Equal(t, actionstep.ID("28"), v.Links.DataCollectionRecord)
		require.Len(t, page.Linked.DataCollectionFields, 6)
		assert.Equal(t, "DropDown", page.Linked.DataCollectionFields[2].DataType)
		assert.Equal(t, actionstep.Int(50), page.Linked.DataCollectionFields[0].FormOrder)
		require.Len(t, page.Linked.DataCollections, 2)
		assert.True(t, bool(page.Linked.DataCollections[0].AlwaysShowDescriptions))
		assert.False(t, bool(page.Linked.DataCollections[0].MultipleRecords))
	}},
	"konekta-bad-request.json": {http.StatusBadRequest, func(t *testing.T, c *actionstep.Client) {
		_, err := c.CreateFileNote(context.Background(), "1", actionstep.NewNote{Text: "x"})
		api := requireAPIError(t, err, http.StatusBadRequest)
		assert.Equal(t, "AS-1302", api.Code)
		assert.Equal(t, "Invalid JSON Message: Unable to decode the JSON message", api.Message)
	}},
	"konekta-resource-not-found.json": {http.StatusNotFound, func(t *testing.T, c *actionstep.Client) {
		_, err := c.GetDataCollectionRecordValue(context.Background(), "24--titleref--28")
		api := requireAPIError(t, err, http.StatusNotFound)
		assert.Equal(t, "AS-TBC", api.Code)
		assert.True(t, strings.HasPrefix(api.Message, "API Resource Not Found: The specified Resource"), api.Message)
	}},
	"konekta-expired-token.json": {http.StatusUnauthorized, func(t *testing.T, c *actionstep.Client) {
		_, err := c.CurrentUser(context.Background())
		api := requireAPIError(t, err, http.StatusUnauthorized)
		assert.Equal(t, "expired_token", api.Code)
		assert.Contains(t, api.Message, "has expired")
	}},
	"konekta-invalid-token.json": {http.StatusUnauthorized, func(t *testing.T, c *actionstep.Client) {
		_, err := c.GetParticipant(context.Background(), "11")
		api := requireAPIError(t, err, http.StatusUnauthorized)
		assert.Equal(t, "invalid_token", api.Code)
		assert.False(t, api.Temporary())
	}},
	"konekta-refresh-token.json": {http.StatusOK, func(t *testing.T, c *actionstep.Client) {
		tr, err := c.RefreshToken(context.Background(), "old-refresh-token")
		require.NoError(t, err)
		assert.Equal(t, "updatedAccessToken", tr.AccessToken)
		assert.Equal(t, "updatedRefreshToken", tr.RefreshToken)
		assert.Equal(t, "bearer", tr.TokenType)
		assert.Equal(t, actionstep.Int(3600), tr.ExpiresIn)
		assert.Equal(t, "https://test-endpoint/api/", tr.APIEndpoint)
		assert.Equal(t, "testOrg", tr.OrgKey)
	}},
}

func requireAPIError(t *testing.T, err error, status int) *actionstep.APIError {
	t.Helper()
	var api *actionstep.APIError
	require.True(t, errors.As(err, &api), "want *APIError, got %T: %v", err, err)
	require.Equal(t, status, api.StatusCode)
	return api
}

// TestRecordedSamples serves every recorded Actionstep response to the method that would
// receive it, read from shared/ at test time.
func TestRecordedSamples(t *testing.T) {
	dir := samplesDir(t)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	seen := 0
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		seen++
		t.Run(e.Name(), func(t *testing.T) {
			tc, ok := sampleCases[e.Name()]
			if !ok {
				t.Fatalf("no decoding case for sample %s: add one to sampleCases", e.Name())
			}
			body, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			api := newFakeAPI(t, reply(tc.status, string(body)))
			tc.check(t, api.client(t))
		})
	}
	require.Equal(t, len(sampleCases), seen, "a sample listed in sampleCases is missing from %s", dir)
}
