package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

func TestPauseAndPlanActivities(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 1})
	ref := f.ref(0)
	_, err := f.run(nil, f.acts.EnableSaaS, EnableSaaSInput{LocationRef: ref, PlanID: f.agency.Plans[0].PlanID})
	require.NoError(t, err)

	var ok bool
	_, err = f.run(&ok, f.acts.PauseLocation, PauseInput{LocationRef: ref, Paused: true})
	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, f.location(ref.LocationID).SaaS.Paused)
	_, err = f.run(&ok, f.acts.PauseLocation, PauseInput{LocationRef: ref, Paused: false})
	require.NoError(t, err)
	assert.False(t, f.location(ref.LocationID).SaaS.Paused)

	var plan Plan
	_, err = f.run(&plan, f.acts.GetSaaSPlan, PlanRef{CompanyID: f.company, PlanID: f.agency.Plans[0].PlanID})
	require.NoError(t, err)
	assert.Equal(t, f.agency.Plans[0].PlanID, plan.PlanID)
	assert.Equal(t, f.agency.Plans[0].Title, plan.Title)

	_, err = f.run(nil, f.acts.GetSaaSPlan, PlanRef{CompanyID: f.company, PlanID: "no-such-plan"})
	_ = requireAppError(t, err, ErrTypeRejected, false)
}

// The location token follows the location: refreshed while active, suspended (refresh
// token kept) while HighLevel says it is not active, alive again afterwards, reported
// missing or dead when it must be minted.
func TestRefreshLocationToken(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 1})
	ref := f.ref(0)
	key := tokens.KeyHighLevelLocation(ref.LocationID)
	var st LocationTokenState

	_, err := f.run(&st, f.acts.RefreshLocationToken, ref)
	require.NoError(t, err)
	assert.Equal(t, TokenMissing, st.Status)

	_, err = f.run(nil, f.acts.MintLocationToken, ref)
	require.NoError(t, err)
	_, err = f.run(&st, f.acts.RefreshLocationToken, ref)
	require.NoError(t, err)
	assert.Equal(t, TokenActive, st.Status)
	assert.False(t, st.ExpiresAt.IsZero())

	inactive := false
	_, err = f.sim.UpdateLocation(ref.LocationID, highlevelsim.LocationPatch{Active: &inactive})
	require.NoError(t, err)
	before, _, err := f.store.Get(t.Context(), key)
	require.NoError(t, err)
	_, err = f.run(&st, f.acts.RefreshLocationToken, ref)
	require.NoError(t, err)
	assert.Equal(t, TokenSuspended, st.Status)
	after, info, err := f.store.Get(t.Context(), key)
	require.NoError(t, err)
	assert.Equal(t, tokens.StatusSuspended, info.Status)
	assert.Equal(t, before.RefreshToken, after.RefreshToken, "the refresh token is kept while suspended")

	active := true
	_, err = f.sim.UpdateLocation(ref.LocationID, highlevelsim.LocationPatch{Active: &active})
	require.NoError(t, err)
	_, err = f.run(&st, f.acts.RefreshLocationToken, ref)
	require.NoError(t, err)
	assert.Equal(t, TokenActive, st.Status, "the same refresh token works again")

	// Spend the stored refresh token behind the store's back: it is dead now.
	cur, _, err := f.store.Get(t.Context(), key)
	require.NoError(t, err)
	_, err = f.client.RefreshToken(t.Context(), cur.RefreshToken, highlevel.UserTypeLocation)
	require.NoError(t, err)
	_, err = f.run(&st, f.acts.RefreshLocationToken, ref)
	require.NoError(t, err)
	assert.Equal(t, TokenDead, st.Status)
}

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
