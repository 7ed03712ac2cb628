package activities

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

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

func TestMintLocationToken(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{Locations: []highlevelsim.LocationSpec{{}, {Installed: ptr(false)}}})
	ctx := t.Context()
	ref := f.ref(0)
	key := tokens.KeyHighLevelLocation(ref.LocationID)

	before := time.Now()
	var got LocationToken
	raw, err := f.run(&got, f.acts.MintLocationToken, ref)
	require.NoError(t, err)
	require.Equal(t, hlScopes, got.Scope)
	require.WithinRange(t, got.ExpiresAt, before.Add(86399*time.Second-time.Second), time.Now().Add(86399*time.Second+time.Second))

	// The token went to the store, encrypted...
	tok, info, err := f.store.Get(ctx, key)
	require.NoError(t, err)
	issued := f.sim.IssuedTokens()
	require.Len(t, issued.AccessTokens, 2, "agency + location")
	require.Contains(t, issued.AccessTokens, tok.AccessToken)
	require.Contains(t, issued.RefreshTokens, tok.RefreshToken)
	require.NotEqual(t, f.agencyTK.AccessToken, tok.AccessToken)
	require.Equal(t, tokens.KindHighLevelLocation, info.Kind)
	require.Equal(t, tokens.StatusActive, info.Status)
	require.Equal(t, highlevel.UserTypeLocation, info.Attrs[credentials.AttrUserType])
	require.Equal(t, ref.LocationID, info.Attrs[credentials.AttrLocationID])
	require.Equal(t, f.company, info.Attrs[credentials.AttrCompanyID])
	require.WithinDuration(t, got.ExpiresAt, info.Expiry, time.Millisecond, "stored and reported expiry")
	entries, err := os.ReadDir(f.dbDir)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(f.dbDir, e.Name()))
		require.NoError(t, err)
		for _, s := range issued.All() {
			require.False(t, bytes.Contains(b, []byte(s)), "%s holds a token in clear", e.Name())
		}
	}

	// ...and never into the result Temporal records, nor the activity's logs.
	require.NotEmpty(t, raw)
	require.Empty(t, f.secretsIn(string(raw)), "result %s", raw)
	require.Contains(t, f.log.text(), "location token stored")
	require.Empty(t, f.secretsIn(f.log.text()))

	// The stored location token works on its own.
	ok, err := f.client.As(credentials.HighLevelSource(f.store, f.client, key)).
		Uninstall(ctx, highlevel.UninstallRequest{LocationID: ref.LocationID})
	require.NoError(t, err)
	require.True(t, ok)

	t.Run("a re-run overwrites the stored token", func(t *testing.T) {
		_, err := f.sim.UpdateLocation(ref.LocationID, highlevelsim.LocationPatch{Installed: ptr(true)})
		require.NoError(t, err)
		_, err = f.run(nil, f.acts.MintLocationToken, ref)
		require.NoError(t, err)
		again, info2, err := f.store.Get(ctx, key)
		require.NoError(t, err)
		require.NotEqual(t, tok.AccessToken, again.AccessToken)
		require.Greater(t, info2.Version, info.Version)
	})
	t.Run("not installed: rejected, nothing stored", func(t *testing.T) {
		_, err := f.run(nil, f.acts.MintLocationToken, f.ref(1))
		app := requireAppError(t, err, ErrTypeRejected, false)
		require.Contains(t, app.Error(), "App is not installed on this location")
		require.Empty(t, f.secretsIn(err.Error()))
		_, _, err = f.store.Get(ctx, tokens.KeyHighLevelLocation(f.locs[1].ID))
		require.ErrorIs(t, err, tokens.ErrNotFound)
	})
}

// LocationToken is recorded in workflow history: its encoded form is camelCase and has
// nothing but the expiry and scope.
func TestLocationTokenEncoding(t *testing.T) {
	p, err := converter.GetDefaultDataConverter().ToPayload(LocationToken{ExpiresAt: time.Date(2026, 3, 3, 9, 30, 0, 0, time.UTC), Scope: "a b"})
	require.NoError(t, err)
	require.JSONEq(t, `{"expiresAt":"2026-03-03T09:30:00Z","scope":"a b"}`, string(p.GetData()))
}
