package actionstep_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

func TestSandboxParticipants(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	c, _ := e.login("all")
	byRef := actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq(actionstep.FieldImportExternalReference, "loc_8f3c2a")}}

	page, err := c.ListParticipants(ctx, byRef)
	require.NoError(t, err)
	assert.Empty(t, page.Items, "nothing yet")
	ex := e.wire.last(t, http.MethodGet, "/rest/participants")
	assert.Equal(t, "loc_8f3c2a", ex.url.Query().Get("importExternalReference_eq"))
	assert.Equal(t, http.StatusNoContent, ex.status)

	created, err := c.CreateParticipant(ctx, actionstep.ParticipantFields{
		IsCompany: new(actionstep.Bool(true)), CompanyName: new("Acme Dental"), Email: new("ops@acme.example"),
		Phone1Number: new("9999 0000"), ImportExternalReference: new("loc_8f3c2a"),
		Links: &actionstep.ParticipantLinks{PhysicalCountry: "AU"},
	})
	require.NoError(t, err)
	assert.Equal(t, actionstep.ID("11"), created.ID, "the first id after the seeded user contact")
	assert.Equal(t, "Acme Dental", created.DisplayName, "computed by the API")
	assert.True(t, bool(created.IsCompany))
	assert.Equal(t, actionstep.ID("AU"), created.Links.PhysicalCountry)
	assert.Equal(t, actionstep.ID("1"), created.Links.Division)
	assert.Equal(t, actionstep.Int(61), created.Phone1Country, "the API's default")
	assert.NotEmpty(t, created.CreatedTimestamp)

	page, err = c.ListParticipants(ctx, byRef)
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, created.ID, page.Items[0].ID)
	assert.Equal(t, actionstep.Int(1), page.Paging.RecordCount)

	got, err := c.GetParticipant(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, "ops@acme.example", got.Email)
	assert.Equal(t, "loc_8f3c2a", got.ImportExternalReference)

	updated, err := c.UpdateParticipant(ctx, created.ID, actionstep.ParticipantFields{
		CompanyName: new("Acme Dental Bondi"), Email: new("bondi@acme.example"),
	})
	require.NoError(t, err)
	assert.Equal(t, "Acme Dental Bondi", updated.CompanyName)
	assert.Equal(t, "Acme Dental Bondi", updated.DisplayName, "recomputed")
	assert.Equal(t, "9999 0000", updated.Phone1Number, "fields not sent are kept")
	assert.Equal(t, "loc_8f3c2a", updated.ImportExternalReference)
	got, err = c.GetParticipant(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, "bondi@acme.example", got.Email)

	person, err := c.CreateParticipant(ctx, actionstep.ParticipantFields{
		IsCompany: new(actionstep.Bool(false)), FirstName: new("Jane"), LastName: new("Citizen"),
	})
	require.NoError(t, err)
	assert.Equal(t, "Citizen, Jane", person.DisplayName)
	assert.False(t, bool(person.IsCompany))

	// Participant types.
	types, err := c.ListParticipantTypes(ctx, actionstep.Query{})
	require.NoError(t, err)
	require.Len(t, types.Items, 2)
	assert.Equal(t, "Client_Primary_Contact", types.Items[1].Name)
	assert.Equal(t, "Client Primary Contact", types.Items[1].DisplayName)
	types, err = c.ListParticipantTypes(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.In("name", "Client")}})
	require.NoError(t, err)
	require.Len(t, types.Items, 1)
	assert.Equal(t, actionstep.ID("27"), types.Items[0].ID)
	assert.Equal(t, e.clientType(), types.Items[0].ID)

	// Default types.
	byParticipant := actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("participant", string(created.ID))}}
	defaults, err := c.ListParticipantDefaultTypes(ctx, byParticipant)
	require.NoError(t, err)
	assert.Empty(t, defaults.Items)
	dt, err := c.CreateParticipantDefaultType(ctx, created.ID, e.clientType())
	require.NoError(t, err)
	assert.Equal(t, actionstep.ID("11--27"), dt.ID)
	assert.Equal(t, created.ID, dt.Links.Participant)
	assert.Equal(t, e.clientType(), dt.Links.ParticipantType)
	defaults, err = c.ListParticipantDefaultTypes(ctx, byParticipant)
	require.NoError(t, err)
	require.Len(t, defaults.Items, 1)
	assert.Equal(t, dt.ID, defaults.Items[0].ID)
	_, err = c.CreateParticipantDefaultType(ctx, created.ID, e.clientType())
	assert.Equal(t, "AS-1300", requireAPIError(t, err, http.StatusBadRequest).Code, "a duplicate default type")

	st := e.state()
	require.Len(t, st.Participants, 3)
	assert.Equal(t, "loc_8f3c2a", st.Participants[1].ImportExternalReference)
	assert.Empty(t, st.DuplicateExternalReferences)
	require.Len(t, st.ParticipantDefaultTypes, 1)
}
