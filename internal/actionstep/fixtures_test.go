package actionstep_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
)

// fixtureCase serves one fixture with status and checks what the client made of it.
type fixtureCase struct {
	status int
	check  func(t *testing.T, c *actionstep.Client)
}

// fixtureCases covers every file in testdata: the API's documented response shapes (reference
// shapes of the envelope, error and token documents, written out with this project's own
// values). A new fixture without a case fails TestWireFixtures, so each one is decoded by the
// method that would receive it.
var fixtureCases = map[string]fixtureCase{
	"get-action.json": {http.StatusOK, func(t *testing.T, c *actionstep.Client) {
		a, err := c.GetAction(context.Background(), "4711")
		require.NoError(t, err)
		assert.Equal(t, actionstep.ID("4711"), a.ID)
		assert.Equal(t, actionstep.ActionStatusClosed, a.Status)
		assert.Equal(t, "2026-01-20", a.CreatedTimestamp)
		assert.False(t, bool(a.IsDeleted))
		assert.Empty(t, a.ImportExternalReference)
		assert.Empty(t, a.Reference, "null reference")
		assert.Equal(t, actionstep.ID("12"), a.Links.ActionType)
		assert.Equal(t, actionstep.ID("12--1"), a.Links.Step)
		assert.Equal(t, []string{"12", "1"}, a.Links.Step.Parts())
		assert.Equal(t, actionstep.OneOrMany[actionstep.ID]{"3301"}, a.Links.PrimaryParticipants)
		assert.Equal(t, actionstep.OneOrMany[actionstep.ID]{"4690"}, a.Links.RelatedActions)
	}},
	"list-actions-one-row.json": {http.StatusOK, func(t *testing.T, c *actionstep.Client) {
		// A collection query that matches one row answers with an object, not an array.
		page, err := c.ListActions(context.Background(), actionstep.Query{
			Filters: []actionstep.Filter{actionstep.Eq("id", "3")}, Include: []string{"actionType"},
		})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		a := page.Items[0]
		assert.Equal(t, actionstep.ID("3"), a.ID)
		assert.False(t, bool(a.IsBillableOverride), `"" is an unset flag`)
		assert.True(t, bool(a.IsFavorite))
		assert.Empty(t, a.Links.RelatedActions, "null to-many link")
		assert.Equal(t, actionstep.Int(1), page.Paging.RecordCount)
		assert.False(t, page.HasNext())
		require.Len(t, page.Linked.ActionTypes, 1)
		at := page.Linked.ActionTypes[0]
		assert.Equal(t, actionstep.ID("9"), at.ID)
		assert.Equal(t, "Subscriptions", at.Name)
		assert.True(t, bool(at.CanCreate))
		assert.False(t, bool(at.IsDisabled))
		assert.Equal(t, actionstep.Int(0), at.CustomLogoFilesize, `"" as a number`)
		assert.Equal(t, actionstep.ID("31"), at.Links.PrimaryParticipantType)
		assert.Equal(t, "actiontypes", page.Links["actions.actionType"].Type)
		assert.Contains(t, page.Links["actions.actionType"].Href, "{actions.actionType}")
	}},
	"list-actionparticipants.json": {http.StatusOK, func(t *testing.T, c *actionstep.Client) {
		page, err := c.ListActionParticipants(context.Background(), actionstep.Query{
			Filters: []actionstep.Filter{actionstep.Eq("action", "5")}, Include: []string{"participant", "participantType"},
		})
		require.NoError(t, err)
		require.Len(t, page.Items, 4)
		ap := page.Items[1]
		assert.Equal(t, actionstep.ID("5--31--34"), ap.ID)
		assert.Equal(t, actionstep.Int(2), ap.ParticipantNumber)
		assert.Equal(t, actionstep.ID("31"), ap.Links.ParticipantType)
		assert.Equal(t, actionstep.ID("34"), ap.Links.Participant)
		assert.Equal(t, actionstep.Int(4), page.Paging.RecordCount)
		require.Len(t, page.Linked.Participants, 2)
		p := page.Linked.Participants[0]
		assert.Equal(t, actionstep.ID("21"), p.ID)
		assert.Equal(t, "Okafor, Ngozi", p.DisplayName)
		assert.False(t, bool(p.IsCompany))
		assert.Equal(t, actionstep.Int(61), p.Phone1Country)
		assert.Equal(t, actionstep.Int(2), p.Phone1Area)
		company := page.Linked.Participants[1]
		assert.True(t, bool(company.IsCompany))
		assert.Equal(t, "loc_fixture_1", company.ImportExternalReference)
		assert.Equal(t, actionstep.ID("NZ"), company.Links.MailingCountry)
		require.Len(t, page.Linked.ParticipantTypes, 3)
		assert.Equal(t, "Client", page.Linked.ParticipantTypes[0].Name)
		assert.False(t, bool(page.Linked.ParticipantTypes[0].CompanyFlag), "null flag")
		assert.True(t, bool(page.Linked.ParticipantTypes[2].CompanyFlag))
	}},
	"list-datacollectionrecordvalues.json": {http.StatusOK, func(t *testing.T, c *actionstep.Client) {
		page, err := c.ListDataCollectionRecordValues(context.Background(), actionstep.Query{
			Filters: []actionstep.Filter{{Field: "action", Value: "5"}}, Include: []string{"dataCollectionField", "dataCollection"},
		})
		require.NoError(t, err)
		require.Len(t, page.Items, 5)
		assert.Nil(t, page.Items[0].StringValue)
		assert.Equal(t, "", page.Items[0].Value())
		v := page.Items[3]
		assert.Equal(t, actionstep.DataCollectionRecordValueID("61", "tier", "900"), v.ID)
		assert.Equal(t, "Gold", v.Value())
		assert.Equal(t, actionstep.DataCollectionFieldID("61", "tier"), v.Links.DataCollectionField)
		assert.Equal(t, actionstep.ID("900"), v.Links.DataCollectionRecord)
		require.Len(t, page.Linked.DataCollectionFields, 5)
		assert.Equal(t, "DropDown", page.Linked.DataCollectionFields[3].DataType)
		assert.Equal(t, actionstep.Int(10), page.Linked.DataCollectionFields[0].FormOrder)
		require.Len(t, page.Linked.DataCollections, 2)
		assert.True(t, bool(page.Linked.DataCollections[0].AlwaysShowDescriptions))
		assert.False(t, bool(page.Linked.DataCollections[0].MultipleRecords))
	}},
	"error-bad-json.json": {http.StatusBadRequest, func(t *testing.T, c *actionstep.Client) {
		_, err := c.CreateFileNote(context.Background(), "1", actionstep.NewNote{Text: "x"})
		api := requireAPIError(t, err, http.StatusBadRequest)
		assert.Equal(t, "AS-1302", api.Code)
		assert.Equal(t, "Invalid JSON Message: Unable to decode the JSON message", api.Message)
	}},
	"error-resource-not-found.json": {http.StatusNotFound, func(t *testing.T, c *actionstep.Client) {
		_, err := c.GetDataCollectionRecordValue(context.Background(), "61--tier--900")
		api := requireAPIError(t, err, http.StatusNotFound)
		assert.Equal(t, "AS-TBC", api.Code)
		assert.True(t, strings.HasPrefix(api.Message, "API Resource Not Found: The specified Resource"), api.Message)
	}},
	"oauth-expired-token.json": {http.StatusUnauthorized, func(t *testing.T, c *actionstep.Client) {
		_, err := c.CurrentUser(context.Background())
		api := requireAPIError(t, err, http.StatusUnauthorized)
		assert.Equal(t, "expired_token", api.Code)
		assert.Contains(t, api.Message, "has expired")
	}},
	"oauth-invalid-token.json": {http.StatusUnauthorized, func(t *testing.T, c *actionstep.Client) {
		_, err := c.GetParticipant(context.Background(), "11")
		api := requireAPIError(t, err, http.StatusUnauthorized)
		assert.Equal(t, "invalid_token", api.Code)
		assert.False(t, api.Temporary())
	}},
	"token-response.json": {http.StatusOK, func(t *testing.T, c *actionstep.Client) {
		tr, err := c.RefreshToken(context.Background(), "old-refresh-token")
		require.NoError(t, err)
		assert.Equal(t, "fixture-access-token", tr.AccessToken)
		assert.Equal(t, "fixture-refresh-token", tr.RefreshToken)
		assert.Equal(t, "bearer", tr.TokenType)
		assert.Equal(t, actionstep.Int(3600), tr.ExpiresIn)
		assert.Equal(t, "https://ap-southeast-2.actionstep.com/api/", tr.APIEndpoint)
		assert.Equal(t, "fixturelegal", tr.OrgKey)
	}},
}

// TestWireFixtures serves every fixture in testdata to the method that would receive it.
func TestWireFixtures(t *testing.T) {
	entries, err := os.ReadDir(fixturesDir)
	require.NoError(t, err)
	seen := 0
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		seen++
		t.Run(e.Name(), func(t *testing.T) {
			tc, ok := fixtureCases[e.Name()]
			if !ok {
				t.Fatalf("no decoding case for fixture %s: add one to fixtureCases", e.Name())
			}
			body, err := os.ReadFile(filepath.Join(fixturesDir, e.Name()))
			require.NoError(t, err)
			api := newFakeAPI(t, reply(tc.status, string(body)))
			tc.check(t, api.client(t))
		})
	}
	require.Equal(t, len(fixtureCases), seen, "a fixture listed in fixtureCases is missing from %s", fixturesDir)
}

// fixturesDir holds the wire fixtures; the simulator's shape tests read them too.
const fixturesDir = "testdata"
