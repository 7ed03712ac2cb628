package mapping_test

import (
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

// TestDefaultAgainstSimulator writes what Default renders to the Actionstep simulator the way
// the worker does: a company participant, then the values of the seeded saas_subscription
// collection on a matter. The simulator checks field names and value formats (last_change is
// a DateTime).
func TestDefaultAgainstSimulator(t *testing.T) {
	const clientID, secret, redirect = "as-client-mapping", "mapping-test-secret", "https://app.example.com/cb"
	sim := actionstepsim.New(actionstepsim.Options{ClientID: clientID, ClientSecret: secret})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	org, err := sim.CreateOrg(actionstepsim.OrgSpec{OrgKey: "acme"})
	require.NoError(t, err)

	var seeded []string
	for _, f := range actionstepsim.DefaultDataCollection().Fields {
		seeded = append(seeded, f.Name)
	}
	slices.Sort(seeded)
	m := mapping.Default()
	require.Equal(t, seeded, m.DataFields(), "Default maps exactly the simulator's seeded fields")

	ctx := t.Context()
	admin := &actionstepsim.AdminClient{BaseURL: srv.URL, HTTP: srv.Client()}
	code, _, err := admin.Authorize(ctx, actionstepsim.AuthorizeRequest{ClientID: clientID, RedirectURI: redirect, Scope: "all", OrgKey: "acme"})
	require.NoError(t, err)
	c, err := actionstep.New(srv.URL+"/api/oauth/token", clientID, secret, actionstep.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	tr, err := c.ExchangeCode(ctx, code, redirect)
	require.NoError(t, err)
	api := c.As(oauth2.StaticTokenSource(tr.OAuth2(time.Now())))

	v := values()
	fields := m.Participant(v)
	fields.IsCompany, fields.ImportExternalReference = new(actionstep.Bool(true)), new(v[mapping.SourceLocationID])
	p, err := api.CreateParticipant(ctx, fields)
	require.NoError(t, err)
	assert.Equal(t, "Acme Dental", p.CompanyName)
	assert.Equal(t, "1 Campbell Pde", p.PhysicalAddressLine1)
	assert.Equal(t, "ops@acme.example", p.Email)

	// An update from sparse values changes only what it has something to say about.
	sparse := mapping.NewValues(mapping.Location{Name: "Acme Dental Bondi"}, mapping.Subscription{}, mapping.Event{})
	p, err = api.UpdateParticipant(ctx, p.ID, m.Participant(sparse))
	require.NoError(t, err)
	assert.Equal(t, "Acme Dental Bondi", p.CompanyName)
	assert.Equal(t, "ops@acme.example", p.Email, "not blanked")

	matterType, clientType := actionstep.ID(strconv.Itoa(org.MatterTypeID)), actionstep.ID(strconv.Itoa(org.ClientParticipantTypeID))
	dc := actionstep.ID(strconv.Itoa(org.DataCollectionID))
	matter, err := api.CreateAction(ctx, actionstep.NewAction{
		Name: "Acme Dental: SaaS subscription", ActionType: matterType, Participants: map[actionstep.ID][]actionstep.ID{clientType: {p.ID}},
	})
	require.NoError(t, err)
	rec, err := api.CreateDataCollectionRecord(ctx, matter.ID, dc)
	require.NoError(t, err)

	data := m.Data(v)
	for _, name := range m.DataFields() {
		_, err := api.UpdateDataCollectionRecordValue(ctx, actionstep.DataCollectionRecordValueID(dc, name, rec.ID), data[name])
		require.NoError(t, err, name)
	}
	page, err := api.ListDataCollectionRecordValues(ctx, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("action", string(matter.ID))}})
	require.NoError(t, err)
	stored := map[string]string{}
	for _, val := range page.Items {
		for _, name := range seeded {
			if val.ID == actionstep.DataCollectionRecordValueID(dc, name, rec.ID) {
				stored[name] = val.Value()
			}
		}
	}
	assert.Equal(t, data, stored)
}
