package highlevel_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

func TestExchangeCode(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 2})
	ctx := t.Context()

	code := e.authorize(e.agency.ID)
	received := time.Now()
	tok, err := e.base.ExchangeCode(ctx, code, testRedirect)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(tok.AccessToken, "hlsim_at_"), tok.AccessToken)
	require.True(t, strings.HasPrefix(tok.RefreshToken, "hlsim_rt_"), tok.RefreshToken)
	require.NotEqual(t, e.token.AccessToken, tok.AccessToken, "every exchange issues a new pair")
	require.Equal(t, "Bearer", tok.TokenType)
	require.EqualValues(t, 86399, tok.ExpiresIn)
	require.Equal(t, allScopes, tok.Scope)
	require.Equal(t, highlevel.UserTypeCompany, tok.UserType)
	require.Equal(t, e.agency.ID, tok.CompanyID)
	require.Empty(t, tok.LocationID)
	require.Equal(t, e.agency.UserID, tok.UserID)
	require.True(t, tok.IsBulkInstallation)
	require.True(t, tok.ApproveAllLocations)
	require.True(t, tok.InstallToFutureLocation)
	require.NotEmpty(t, tok.TraceID)
	require.Equal(t, received.Add(86399*time.Second), tok.Expiry(received))
	o := tok.OAuth2(received)
	require.Equal(t, oauth2.Token{AccessToken: tok.AccessToken, TokenType: "Bearer", RefreshToken: tok.RefreshToken, Expiry: tok.Expiry(received)}, *o)
	require.True(t, e.agencyState(e.agency.ID).AppInstalled)

	// The code exchange is form-encoded and carries no Version header.
	last := e.lastExchange()
	require.Equal(t, "application/x-www-form-urlencoded", last.ContentType)
	require.Equal(t, tokenEndpointVersion, last.Version)

	t.Run("code is single use", func(t *testing.T) {
		_, err := e.base.ExchangeCode(ctx, code, testRedirect)
		apiErr := e.requireAPIError(err, highlevel.EndpointToken, http.StatusBadRequest, msgInvalidCode)
		require.False(t, apiErr.Temporary())
		require.False(t, apiErr.RateLimit.Present, "/oauth/token is not rate limited")
	})
	t.Run("redirect_uri must match", func(t *testing.T) {
		_, err := e.base.ExchangeCode(ctx, e.authorize(e.agency.ID), "https://evil.example.com/cb")
		_ = e.requireAPIError(err, highlevel.EndpointToken, http.StatusBadRequest, "Invalid parameter: redirect_uri")
	})
	t.Run("wrong client secret", func(t *testing.T) {
		bad := e.newClient(testClientID, "not-the-secret")
		_, err := bad.ExchangeCode(ctx, e.authorize(e.agency.ID), testRedirect)
		apiErr := e.requireAPIError(err, highlevel.EndpointToken, http.StatusUnauthorized, "Invalid client credentials")
		require.Equal(t, reasonUnauthorized, apiErr.Reason)
	})
	t.Run("unknown client id", func(t *testing.T) {
		bad := e.newClient("0123456789abcdef01234567-zzzzzzzz", testClientSecret)
		_, err := bad.ExchangeCode(ctx, "whatever", "")
		_ = e.requireAPIError(err, highlevel.EndpointToken, http.StatusBadRequest, "Invalid parameter: client_id")
	})
}

func TestRefreshToken(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 1})
	ctx := t.Context()

	next, err := e.base.RefreshToken(ctx, e.token.RefreshToken, highlevel.UserTypeCompany)
	require.NoError(t, err)
	require.NotEqual(t, e.token.AccessToken, next.AccessToken)
	require.NotEqual(t, e.token.RefreshToken, next.RefreshToken)
	require.Equal(t, highlevel.UserTypeCompany, next.UserType)
	require.Equal(t, e.agency.ID, next.CompanyID)
	require.Equal(t, allScopes, next.Scope)
	require.EqualValues(t, 86399, next.ExpiresIn)
	require.Equal(t, tokenEndpointVersion, e.lastExchange().Version)

	// The rotated access token works.
	page, err := e.as(next.AccessToken).InstalledLocations(ctx, highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID})
	require.NoError(t, err)
	require.Equal(t, 1, page.Count)

	t.Run("reuse of a rotated refresh token", func(t *testing.T) {
		_, err := e.base.RefreshToken(ctx, e.token.RefreshToken, highlevel.UserTypeCompany)
		apiErr := e.requireAPIError(err, highlevel.EndpointToken, http.StatusBadRequest, msgInvalidRefresh)
		require.False(t, apiErr.Temporary())
	})
	t.Run("user_type must match the token", func(t *testing.T) {
		_, err := e.base.RefreshToken(ctx, next.RefreshToken, highlevel.UserTypeLocation)
		_ = e.requireAPIError(err, highlevel.EndpointToken, http.StatusBadRequest, "Invalid parameter: user_type")
		// The refusal did not burn the refresh token.
		_, err = e.base.RefreshToken(ctx, next.RefreshToken, "")
		require.NoError(t, err)
	})
	t.Run("inactive location keeps its refresh token", func(t *testing.T) {
		loc := e.locs[0].ID
		lt, err := e.client.LocationToken(ctx, e.agency.ID, loc)
		require.NoError(t, err)
		_, err = e.sim.UpdateLocation(loc, highlevelsim.LocationPatch{Active: ptr(false)})
		require.NoError(t, err)
		_, err = e.base.RefreshToken(ctx, lt.RefreshToken, highlevel.UserTypeLocation)
		_ = e.requireAPIError(err, highlevel.EndpointToken, http.StatusBadRequest, msgNotActive)

		_, err = e.sim.UpdateLocation(loc, highlevelsim.LocationPatch{Active: ptr(true)})
		require.NoError(t, err)
		again, err := e.base.RefreshToken(ctx, lt.RefreshToken, highlevel.UserTypeLocation)
		require.NoError(t, err)
		require.Equal(t, highlevel.UserTypeLocation, again.UserType)
		require.Equal(t, loc, again.LocationID)
	})
}

func TestInstalledLocations(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{Locations: []highlevelsim.LocationSpec{
		{Name: "Harbor Alpha Law", Address: "1 Harbor Blvd, Austin, TX 78701, USA"},
		{Name: "Northgate Family Law"},
		{Name: "Old Harbor Conveyancing", Installed: ptr(false)},
		{Name: "Summit Trial Group"},
		{Name: "Riverbend Elder Law", Installed: ptr(false)},
	}})
	ctx := t.Context()
	all := ids(e.locs)
	versionID := e.sim.State().App.VersionID

	tests := []struct {
		name      string
		q         highlevel.InstalledLocationsQuery
		wantIDs   []string
		wantCount int
	}{
		{"no filter", highlevel.InstalledLocationsQuery{}, all, 5},
		{"first page", highlevel.InstalledLocationsQuery{Limit: 2}, all[0:2], 5},
		{"middle page", highlevel.InstalledLocationsQuery{Skip: 2, Limit: 2}, all[2:4], 5},
		{"last page", highlevel.InstalledLocationsQuery{Skip: 4, Limit: 2}, all[4:5], 5},
		{"past the end", highlevel.InstalledLocationsQuery{Skip: 5, Limit: 2}, []string{}, 5},
		{"installed only", highlevel.InstalledLocationsQuery{IsInstalled: ptr(true)}, []string{all[0], all[1], all[3]}, 3},
		{"not installed only", highlevel.InstalledLocationsQuery{IsInstalled: ptr(false)}, []string{all[2], all[4]}, 2},
		{"one location", highlevel.InstalledLocationsQuery{LocationID: all[3]}, all[3:4], 1},
		{"name query", highlevel.InstalledLocationsQuery{Query: "harbor"}, []string{all[0], all[2]}, 2},
		{"name query, paged", highlevel.InstalledLocationsQuery{Query: "harbor", Skip: 1, Limit: 1}, all[2:3], 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.CompanyID = e.agency.ID
			page, err := e.client.InstalledLocations(ctx, tt.q)
			require.NoError(t, err)
			got := make([]string, 0, len(page.Locations))
			for _, l := range page.Locations {
				got = append(got, l.ID)
			}
			require.Equal(t, tt.wantIDs, got)
			require.Equal(t, tt.wantCount, page.Count)
			require.True(t, page.InstallToFutureLocations)
			ex := e.lastExchange()
			require.Equal(t, versionOAuth, ex.Version)
			require.Contains(t, ex.RawQuery, "appId="+testAppID)
		})
	}

	t.Run("fields", func(t *testing.T) {
		page, err := e.client.InstalledLocations(ctx, highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID})
		require.NoError(t, err)
		require.Equal(t, highlevel.InstalledLocation{
			ID: all[0], Name: "Harbor Alpha Law", Address: "1 Harbor Blvd, Austin, TX 78701, USA",
			IsInstalled: true, VersionID: versionID, InstalledAt: sandboxStart,
		}, page.Locations[0])
		require.Equal(t, highlevel.InstalledLocation{
			ID: all[2], Name: "Old Harbor Conveyancing", Address: e.locs[2].Address,
		}, page.Locations[2])
	})
	t.Run("limit is capped at 100 and sent as a string", func(t *testing.T) {
		_, err := e.client.InstalledLocations(ctx, highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID, Limit: 500, Skip: 3})
		require.NoError(t, err)
		q := e.lastExchange().RawQuery
		require.Contains(t, q, "limit=100")
		require.Contains(t, q, "skip=3")
	})
	t.Run("other company", func(t *testing.T) {
		other := e.otherAgency()
		_, err := e.client.InstalledLocations(ctx, highlevel.InstalledLocationsQuery{CompanyID: other.Agency.ID})
		_ = e.requireAPIError(err, highlevel.EndpointInstalledLocations, http.StatusForbidden, msgNoCompanyAccess)
	})
	t.Run("missing companyId", func(t *testing.T) {
		_, err := e.client.InstalledLocations(ctx, highlevel.InstalledLocationsQuery{})
		apiErr := e.requireAPIError(err, highlevel.EndpointInstalledLocations, http.StatusUnprocessableEntity, "companyId should not be empty")
		require.Equal(t, reasonUnprocessable, apiErr.Reason)
	})
}

func TestAllInstalledLocations(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 250})
	ctx := t.Context()
	want := ids(e.locs)

	collect := func(t *testing.T, q highlevel.InstalledLocationsQuery, stopAfter int) []string {
		t.Helper()
		e.sim.ResetCalls()
		var got []string
		for loc, err := range e.client.AllInstalledLocations(ctx, q) {
			require.NoError(t, err)
			got = append(got, loc.ID)
			if len(got) == stopAfter {
				break
			}
		}
		return got
	}
	pages := func() int { return e.sim.Calls().Count(highlevel.EndpointInstalledLocations, http.StatusOK) }

	t.Run("every location exactly once across pages", func(t *testing.T) {
		got := collect(t, highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID}, -1)
		require.Equal(t, want, got)
		require.Equal(t, 3, pages(), "250 locations in pages of 100")
	})
	t.Run("custom page size and start", func(t *testing.T) {
		got := collect(t, highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID, Skip: 200, Limit: 40}, -1)
		require.Equal(t, want[200:], got)
		require.Equal(t, 2, pages())
	})
	t.Run("exact multiple of the page size stops without an empty page", func(t *testing.T) {
		got := collect(t, highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID, Skip: 50, Limit: 100}, -1)
		require.Equal(t, want[50:], got)
		require.Equal(t, 2, pages())
	})
	t.Run("stopping early fetches no further page", func(t *testing.T) {
		got := collect(t, highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID}, 5)
		require.Equal(t, want[:5], got)
		require.Equal(t, 1, pages())
	})
	t.Run("filters apply to every page", func(t *testing.T) {
		for _, id := range want[10:20] {
			_, err := e.sim.UpdateLocation(id, highlevelsim.LocationPatch{Installed: ptr(false)})
			require.NoError(t, err)
		}
		got := collect(t, highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID, IsInstalled: ptr(false), Limit: 3}, -1)
		require.Equal(t, want[10:20], got)
		require.Equal(t, 4, pages())
	})
	t.Run("an error is yielded once and ends the iteration", func(t *testing.T) {
		n := 0
		for _, err := range e.as("garbage").AllInstalledLocations(ctx, highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID}) {
			n++
			_ = e.requireAPIError(err, highlevel.EndpointInstalledLocations, http.StatusUnauthorized, msgInvalidJWT)
		}
		require.Equal(t, 1, n)
	})
}

func TestLocationToken(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{Locations: []highlevelsim.LocationSpec{
		{}, {Installed: ptr(false)}, {Active: ptr(false)},
	}})
	ctx := t.Context()
	loc := e.locs[0].ID

	lt, err := e.client.LocationToken(ctx, e.agency.ID, loc)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(lt.AccessToken, "hlsim_at_"))
	require.True(t, strings.HasPrefix(lt.RefreshToken, "hlsim_rt_"))
	require.Equal(t, "Bearer", lt.TokenType)
	require.EqualValues(t, 86399, lt.ExpiresIn)
	require.Equal(t, highlevel.UserTypeLocation, lt.UserType)
	require.Equal(t, e.agency.ID, lt.CompanyID)
	require.Equal(t, loc, lt.LocationID)
	require.Equal(t, e.agency.UserID, lt.UserID)
	require.Equal(t, testAppID, lt.AppID)
	require.Equal(t, e.sim.State().App.VersionID, lt.VersionID)
	require.Equal(t, allScopes, lt.Scope)
	ex := e.lastExchange()
	require.Equal(t, versionOAuth, ex.Version)
	require.Equal(t, "application/x-www-form-urlencoded", ex.ContentType)

	other := e.otherAgency()
	tests := []struct {
		name, companyID, locationID string
		status                      int
		msg                         string
	}{
		{"app not installed", e.agency.ID, e.locs[1].ID, http.StatusBadRequest, "App is not installed on this location"},
		{"location not active", e.agency.ID, e.locs[2].ID, http.StatusBadRequest, msgNotActive},
		{"another company's location", e.agency.ID, other.Locations[0].ID, http.StatusBadRequest, "Location not found for this company"},
		{"unknown location", e.agency.ID, "AAAAAAAAAAAAAAAAAAAA", http.StatusBadRequest, "Location not found for this company"},
		{"another company", other.Agency.ID, other.Locations[0].ID, http.StatusForbidden, msgNoCompanyAccess},
		{"empty ids", "", "", http.StatusUnprocessableEntity, "companyId should not be empty; locationId should not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.LocationToken(ctx, tt.companyID, tt.locationID)
			_ = e.requireAPIError(err, highlevel.EndpointLocationToken, tt.status, tt.msg)
		})
	}
	t.Run("a location token cannot mint", func(t *testing.T) {
		_, err := e.as(lt.AccessToken).LocationToken(ctx, e.agency.ID, loc)
		_ = e.requireAPIError(err, highlevel.EndpointLocationToken, http.StatusUnauthorized,
			"This authClass type is not allowed to access this scope. Please reach out to the Platform team to get it added.")
	})
}

func TestUninstall(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 3})
	ctx := t.Context()
	other := e.otherAgency()

	lt, err := e.client.LocationToken(ctx, e.agency.ID, e.locs[0].ID)
	require.NoError(t, err)
	asLocation := e.as(lt.AccessToken)

	t.Run("errors", func(t *testing.T) {
		_, err := asLocation.Uninstall(ctx, highlevel.UninstallRequest{LocationID: e.locs[1].ID})
		_ = e.requireAPIError(err, highlevel.EndpointUninstall, http.StatusForbidden, msgNoLocationAccess)

		_, err = e.client.Uninstall(ctx, highlevel.UninstallRequest{CompanyID: other.Agency.ID})
		_ = e.requireAPIError(err, highlevel.EndpointUninstall, http.StatusForbidden, msgNoCompanyAccess)

		_, err = e.client.Uninstall(ctx, highlevel.UninstallRequest{})
		_ = e.requireAPIError(err, highlevel.EndpointUninstall, http.StatusUnprocessableEntity, "companyId should not be empty")

		otherApp := e.newClient("0123456789abcdef01234567-zzzzzzzz", testClientSecret).
			As(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: e.token.AccessToken}))
		_, err = otherApp.Uninstall(ctx, highlevel.UninstallRequest{CompanyID: e.agency.ID})
		_ = e.requireAPIError(err, highlevel.EndpointUninstall, http.StatusForbidden, msgNoAppAccess)
		require.Equal(t, "/marketplace/app/0123456789abcdef01234567/installations", e.lastExchange().Path)

		for _, l := range e.sim.State().Locations {
			require.True(t, l.Installed, "a refused uninstall changed nothing")
		}
	})

	t.Run("one location with its location token", func(t *testing.T) {
		ok, err := asLocation.Uninstall(ctx, highlevel.UninstallRequest{LocationID: e.locs[0].ID, Reason: "offboarded"})
		require.NoError(t, err)
		require.True(t, ok)
		ex := e.lastExchange()
		require.Equal(t, http.MethodDelete, ex.Method)
		require.Equal(t, "/marketplace/app/"+testAppID+"/installations", ex.Path)
		require.Equal(t, versionOAuth, ex.Version)
		require.Equal(t, "application/json", ex.ContentType)
		require.False(t, e.location(e.locs[0].ID).Installed)
		require.True(t, e.location(e.locs[1].ID).Installed)
		require.True(t, e.agencyState(e.agency.ID).AppInstalled)

		// The location's tokens are revoked.
		_, err = asLocation.Uninstall(ctx, highlevel.UninstallRequest{LocationID: e.locs[0].ID})
		apiErr := e.requireAPIError(err, highlevel.EndpointUninstall, http.StatusUnauthorized, msgExpiredToken)
		require.Equal(t, reasonUnauthorized, apiErr.Reason)
	})

	t.Run("the whole agency", func(t *testing.T) {
		ok, err := e.client.Uninstall(ctx, highlevel.UninstallRequest{CompanyID: e.agency.ID, Reason: "churned"})
		require.NoError(t, err)
		require.True(t, ok)
		require.False(t, e.agencyState(e.agency.ID).AppInstalled)
		for _, id := range ids(e.locs) {
			require.False(t, e.location(id).Installed, id)
		}
		require.True(t, e.location(other.Locations[0].ID).Installed, "other agencies are untouched")

		_, err = e.client.InstalledLocations(ctx, highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID})
		_ = e.requireAPIError(err, highlevel.EndpointInstalledLocations, http.StatusUnauthorized, msgExpiredToken)
		_, err = e.base.RefreshToken(ctx, e.token.RefreshToken, "")
		_ = e.requireAPIError(err, highlevel.EndpointToken, http.StatusBadRequest, msgInvalidRefresh)
	})
}

// TestSandboxExchangeCodeWithVerifier: a code issued for a PKCE challenge is exchanged
// only with its verifier.
func TestSandboxExchangeCodeWithVerifier(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{Name: "PKCE Agency"})
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	code, _, err := e.admin.Authorize(t.Context(), highlevelsim.AuthorizeRequest{
		ClientID: testClientID, RedirectURI: testRedirect, Scope: allScopes, CompanyID: e.agency.ID,
		CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]),
	})
	require.NoError(t, err)
	var api *highlevel.APIError
	_, err = e.base.ExchangeCode(t.Context(), code, testRedirect)
	require.True(t, errors.As(err, &api), "no verifier: %v", err)
	assert.Equal(t, http.StatusBadRequest, api.StatusCode)
	_, err = e.base.ExchangeCodeWithVerifier(t.Context(), code, testRedirect, strings.Repeat("w", 43))
	require.True(t, errors.As(err, &api), "wrong verifier: %v", err)
	tok, err := e.base.ExchangeCodeWithVerifier(t.Context(), code, testRedirect, verifier)
	require.NoError(t, err)
	assert.Equal(t, e.agency.ID, tok.CompanyID)
}
