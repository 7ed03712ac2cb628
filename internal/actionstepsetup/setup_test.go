package actionstepsetup_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/actionstepsetup"
	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

const (
	clientID, clientSecret = "setup-test", "setup-secret"
	redirect               = "https://app.example.com/oauth/actionstep/callback"
)

// connect creates an organisation from spec in a fresh simulator and returns a client
// signed in to it.
func connect(t *testing.T, spec actionstepsim.OrgSpec) (*actionstep.Client, *actionstepsim.Server) {
	t.Helper()
	sim := actionstepsim.New(actionstepsim.Options{ClientID: clientID, ClientSecret: clientSecret})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	spec.OrgKey = "setuplaw"
	_, err := sim.CreateOrg(spec)
	require.NoError(t, err)
	c, err := actionstep.New(srv.URL+"/api/oauth/token", clientID, clientSecret, actionstep.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	admin := &actionstepsim.AdminClient{BaseURL: srv.URL, HTTP: srv.Client()}
	code, _, err := admin.Authorize(t.Context(), actionstepsim.AuthorizeRequest{
		ClientID: clientID, RedirectURI: redirect, Scope: "all", State: "s", OrgKey: spec.OrgKey,
	})
	require.NoError(t, err)
	tr, err := c.ExchangeCode(t.Context(), code, redirect)
	require.NoError(t, err)
	return c.As(oauth2.StaticTokenSource(tr.OAuth2(time.Now()))), sim
}

func defaultWant() actionstepsetup.Want {
	return actionstepsetup.Want{MatterType: "SaaS Subscription", ClientType: "Client", DataCollection: "saas_subscription",
		Fields: actionstepsetup.FieldsOf(mapping.Default())}
}

func TestFieldsOf(t *testing.T) {
	assert.Equal(t, []actionstepsetup.Field{
		{Name: "last_change", DataType: "DateTime"}, {Name: "plan", DataType: "Str255"},
		{Name: "status", DataType: "Str255"}, {Name: "subscription_id", DataType: "Str255"},
	}, actionstepsetup.FieldsOf(mapping.Default()))
}

// An organisation whose collection lacks two of the mapping's fields: Apply creates them,
// and a second Inspect finds nothing to do.
func TestInspectAndApplyMissingFields(t *testing.T) {
	c, sim := connect(t, actionstepsim.OrgSpec{DataCollection: &actionstepsim.DataCollectionSpec{
		Name: "saas_subscription", Fields: []actionstepsim.DataFieldSpec{{Name: "plan"}, {Name: "status"}, {Name: "notes", DataType: "TextArea"}},
	}})
	ctx := t.Context()
	r, err := actionstepsetup.Inspect(ctx, c, defaultWant())
	require.NoError(t, err)
	require.NotNil(t, r.MatterType)
	require.NotNil(t, r.ClientType)
	require.NotNil(t, r.Collection)
	assert.Equal(t, []actionstepsetup.Field{{Name: "last_change", DataType: "DateTime"}, {Name: "subscription_id", DataType: "Str255"}}, r.MissingFields)
	assert.Len(t, r.Fields, 2)
	assert.Empty(t, r.Unfilled)
	probs := r.Problems()
	require.Len(t, probs, 2)
	assert.True(t, probs[0].Creatable)

	dry, err := actionstepsetup.Apply(ctx, c, r, true)
	require.NoError(t, err)
	assert.Len(t, dry, 2)
	assert.Len(t, r.MissingFields, 2, "a dry run changes nothing")
	st, _ := sim.OrgState("setuplaw")
	assert.Len(t, st.DataCollections[0].Fields, 3)

	done, err := actionstepsetup.Apply(ctx, c, r, false)
	require.NoError(t, err)
	assert.Equal(t, []string{`field "last_change" (DateTime) in data collection "saas_subscription"`,
		`field "subscription_id" (Str255) in data collection "saas_subscription"`}, done)
	assert.Empty(t, r.Problems())

	again, err := actionstepsetup.Inspect(ctx, c, defaultWant())
	require.NoError(t, err)
	assert.Empty(t, again.Problems())
	done, err = actionstepsetup.Apply(ctx, c, again, false)
	require.NoError(t, err)
	assert.Empty(t, done, "the second run creates nothing")
	st, _ = sim.OrgState("setuplaw")
	assert.ElementsMatch(t, []string{"plan", "status", "notes", "last_change", "subscription_id"}, st.DataCollections[0].Fields)
}

// Without a collection, Apply creates it on the matter type with every field.
func TestApplyCreatesTheCollection(t *testing.T) {
	c, sim := connect(t, actionstepsim.OrgSpec{NoDataCollection: true})
	r, err := actionstepsetup.Inspect(t.Context(), c, defaultWant())
	require.NoError(t, err)
	assert.Nil(t, r.Collection)
	assert.Len(t, r.Problems(), 5, "the collection and four fields")
	done, err := actionstepsetup.Apply(t.Context(), c, r, false)
	require.NoError(t, err)
	assert.Len(t, done, 5)
	st, _ := sim.OrgState("setuplaw")
	require.Len(t, st.DataCollections, 1)
	assert.Equal(t, "saas_subscription", st.DataCollections[0].Name)
	assert.Equal(t, st.MatterTypeID, st.DataCollections[0].ActionTypeID)
	assert.False(t, st.DataCollections[0].MultipleRecords)
	assert.Len(t, st.DataCollections[0].Fields, 4)
}

// What the API cannot create is reported with its fix: a missing matter type or
// participant type, and a start step that asks for more than saasbridge fills.
func TestProblemsSetupCannotFix(t *testing.T) {
	c, _ := connect(t, actionstepsim.OrgSpec{StartStep: &actionstepsim.StartStepSpec{
		ParticipantTypes: []string{"Client", "Client_Primary_Contact"}, DataFields: []string{"plan"},
	}})
	r, err := actionstepsetup.Inspect(t.Context(), c, defaultWant())
	require.NoError(t, err)
	assert.Equal(t, []string{`a participant of type "Client_Primary_Contact"`, `data field "plan"`}, r.Unfilled)
	probs := r.Problems()
	require.Len(t, probs, 1)
	assert.False(t, probs[0].Creatable)
	assert.Contains(t, probs[0].Fix, "start step")

	w := defaultWant()
	w.MatterType, w.ClientType = "Conveyancing", "Purchaser"
	r, err = actionstepsetup.Inspect(t.Context(), c, w)
	require.NoError(t, err)
	probs = r.Problems()
	require.Len(t, probs, 2)
	assert.Contains(t, probs[0].What, `no matter type named "Conveyancing"`)
	assert.Contains(t, probs[0].Fix, "ACTIONSTEP_MATTER_TYPE")
	assert.Contains(t, probs[1].What, `no participant type named "Purchaser"`)
	done, err := actionstepsetup.Apply(t.Context(), c, r, false)
	require.NoError(t, err)
	assert.Empty(t, done, "nothing to create on a matter type that does not exist")
}
