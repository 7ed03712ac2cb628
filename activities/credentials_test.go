package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

func TestCredentialsActivities(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 3})
	c := &Credentials{Tokens: f.store}
	f.env.RegisterActivity(c)
	for i := range 2 {
		_, err := f.run(nil, f.acts.MintLocationToken, f.ref(i))
		require.NoError(t, err)
	}
	var locs []string
	_, err := f.run(&locs, c.LocationsWithTokens, f.company)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{f.locs[0].ID, f.locs[1].ID}, locs)
	_, err = f.run(&locs, c.LocationsWithTokens, "otherCompany00000000")
	require.NoError(t, err)
	assert.Empty(t, locs)

	_, err = f.run(nil, c.DeleteLocationToken, f.ref(0))
	require.NoError(t, err)
	_, err = f.run(nil, c.DeleteLocationToken, f.ref(0))
	require.NoError(t, err, "deleting twice is fine: offboarding retries")
	_, _, err = f.store.Get(t.Context(), tokens.KeyHighLevelLocation(f.locs[0].ID))
	require.ErrorIs(t, err, tokens.ErrNotFound)

	_, err = f.run(nil, c.DeleteAgencyToken, f.company)
	require.NoError(t, err)
	_, _, err = f.store.Get(t.Context(), tokens.KeyHighLevelAgency(f.company))
	require.ErrorIs(t, err, tokens.ErrNotFound)
}

// A credential offboarded between upkeep's listing and its refresh is gone, not
// "not connected": upkeep reports it and moves on instead of retrying for half an hour.
func TestRefreshCredentialOfADeletedCredentialIsGone(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 1})
	creds := &Credentials{Tokens: f.store, HighLevel: f.client}
	f.env.RegisterActivity(creds)
	var outcome string
	_, err := f.run(&outcome, creds.RefreshCredential, tokens.KeyHighLevelLocation(f.ref(0).LocationID))
	require.NoError(t, err)
	assert.Equal(t, RefreshGone, outcome)
}
