package highlevelsim

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallAccounting(t *testing.T) {
	h := newHarness(t, Options{RateLimit: RateLimit{Max: 2, Window: Duration(time.Minute)}})
	tok := h.companyToken()
	l0 := h.locs[0].ID
	enable := "POST /saas/enable-saas/{locationId}"
	body := map[string]any{"companyId": h.agency.ID, "isSaaSV2": true}
	h.call(http.MethodPost, "/saas/enable-saas/"+l0, tok.AccessToken, body)
	h.call(http.MethodPost, "/saas/enable-saas/"+l0, tok.AccessToken, body) // already enabled: 400
	h.call(http.MethodPost, "/saas/enable-saas/"+l0, tok.AccessToken, body) // over the limit: 429
	h.call(http.MethodGet, "/saas/Agency-Plans/"+h.agency.ID, tok.AccessToken, nil)

	c := h.s.Calls()
	assert.Equal(t, 1, c.Count(enable, 201))
	assert.Equal(t, 1, c.Count(enable, 400))
	assert.Equal(t, 1, c.Count(enable, 429))
	assert.Equal(t, 3, c.Count(enable, 0))
	assert.Equal(t, 3, c.CountFor(enable, l0, 0))
	assert.Equal(t, 0, c.CountFor(enable, h.locs[1].ID, 0))
	assert.Equal(t, 1, c.TooManyRequests)
	assert.Equal(t, 1, c.Count("POST /oauth/token", 200))
	assert.Equal(t, 1, c.CountFor("POST /oauth/token", h.agency.ID, 200), "token calls are accounted to what they grant")
	assert.Equal(t, 1, c.Count("POST /v2/oauth/chooselocation", http.StatusSeeOther))
	assert.Equal(t, 1, c.Count("GET /saas/Agency-Plans/"+h.agency.ID, 404), "a mistyped path is kept verbatim")
	assert.Equal(t, 6, c.Total)
	require.Len(t, c.Calls, 6)
	assert.Equal(t, Call{Time: h.clock.Now(), Endpoint: enable, Scope: l0, Status: 429}, c.Calls[4])

	_, err := h.admin.State(t.Context()) // admin calls are not accounted
	require.NoError(t, err)
	require.NoError(t, h.admin.ResetCalls(t.Context()))
	c, err = h.admin.Calls(t.Context())
	require.NoError(t, err)
	assert.Zero(t, c.Total)
	assert.Empty(t, c.Calls)
}

func TestAdminClientRoundTrips(t *testing.T) {
	h := newHarness(t, Options{})
	ctx := t.Context()
	a := h.admin
	require.NoError(t, a.Healthz(ctx))

	created, err := a.CreateAgency(ctx, AgencySpec{
		ID: "GNb7aIv4rQFVb9iwNl5K", Name: "Riverside Agency", Plan: "agency_annual_497", InstallToFutureLocations: ptr(false),
		Locations:     []LocationSpec{{ID: "l1C08ntBrFjLS0elLIYU", Name: "Main Office", Installed: ptr(false)}},
		LocationCount: 2,
	})
	require.NoError(t, err)
	assert.Equal(t, "GNb7aIv4rQFVb9iwNl5K", created.Agency.ID)
	assert.Equal(t, "agency_annual_497", created.Agency.Plan)
	assert.False(t, created.Agency.InstallToFutureLocations)
	assert.Len(t, created.Agency.Plans, 2)
	require.Len(t, created.Locations, 3)
	assert.Equal(t, []string{"l1C08ntBrFjLS0elLIYU", created.Locations[1].ID, created.Locations[2].ID}, created.Agency.LocationIDs)
	assert.False(t, created.Locations[0].Installed)
	for _, l := range created.Locations[1:] {
		assert.Regexp(t, `^[A-Za-z0-9]{20}$`, l.ID)
		assert.True(t, l.Installed)
		assert.True(t, l.Active)
		assert.True(t, l.EffectiveActive)
		assert.Equal(t, SaaSModeNotActivated, l.SaaS.SaaSMode)
		assert.Contains(t, l.Address, ", USA")
		assert.True(t, strings.HasSuffix(l.Email, ".example.com"))
	}
	assert.NotEqual(t, created.Locations[1].Name, created.Locations[2].Name)

	_, err = a.CreateAgency(ctx, AgencySpec{ID: "GNb7aIv4rQFVb9iwNl5K"})
	var ae *AdminError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusConflict, ae.StatusCode)

	added, err := a.AddLocations(ctx, AddLocationsRequest{CompanyID: created.Agency.ID, Count: 1, Locations: []LocationSpec{{Active: ptr(false)}}})
	require.NoError(t, err)
	require.Len(t, added, 2)
	assert.False(t, added[0].Active)
	_, err = a.AddLocations(ctx, AddLocationsRequest{CompanyID: "missing", Count: 1})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusNotFound, ae.StatusCode)

	patched, err := a.UpdateLocation(ctx, "l1C08ntBrFjLS0elLIYU", LocationPatch{
		Installed: ptr(true), SaaSMode: ptr(SaaSModeV2), SubscriptionID: ptr("sub_1"), SubscriptionStatus: ptr("past_due"),
	})
	require.NoError(t, err)
	assert.True(t, patched.Installed)
	assert.Equal(t, h.s.State().App.VersionID, patched.VersionID)
	assert.Equal(t, SaaSState{SaaSMode: SaaSModeV2, IsSaaSV2: true, SubscriptionID: "sub_1", SubscriptionStatus: "past_due"}, patched.SaaS)
	assert.True(t, patched.EffectiveActive, "past_due is still active")
	_, err = a.UpdateLocation(ctx, "l1C08ntBrFjLS0elLIYU", LocationPatch{SaaSMode: ptr("saasV3")})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)

	ag, err := a.UpdateAgency(ctx, created.Agency.ID, AgencyPatch{Plan: ptr("agency_monthly_97")})
	require.NoError(t, err)
	assert.Equal(t, "agency_monthly_97", ag.Plan)

	st, err := a.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, AppInfo{ClientID: testClientID, AppID: testAppID, VersionID: h.s.State().App.VersionID}, st.App)
	assert.Len(t, st.Agencies, 2)
	assert.Len(t, st.Locations, 8)
	assert.Equal(t, h.s.State(), st, "the wire form carries the whole state")

	f, err := a.SetFaults(ctx, Faults{ErrorRate: 0.25, Latency: Duration(time.Millisecond), Endpoints: []string{"POST /oauth/locationToken"}})
	require.NoError(t, err)
	assert.Equal(t, 0.25, f.ErrorRate)
	require.NoError(t, a.AddFaultRule(ctx, Rule{Endpoint: "POST /saas/pause/{locationId}", Status: 500, Times: 3}))
	f, err = a.Faults(ctx)
	require.NoError(t, err)
	assert.Equal(t, []Rule{{Endpoint: "POST /saas/pause/{locationId}", Status: 500, Message: "Internal Server Error", Times: 3}}, f.Rules)
	assert.Equal(t, Duration(time.Millisecond), f.Latency)
	require.NoError(t, a.ClearFaults(ctx))
	f, err = a.Faults(ctx)
	require.NoError(t, err)
	assert.Zero(t, f.ErrorRate)
	assert.Empty(t, f.Rules)
	_, err = a.SetFaults(ctx, Faults{ErrorRate: 2})
	require.ErrorAs(t, err, &ae)

	rl, err := a.RateLimit(ctx)
	require.NoError(t, err)
	assert.Equal(t, RateLimit{Max: 100, Window: Duration(10 * time.Second), Daily: 200000}, rl)

	tok := h.companyToken()
	n, err := a.ExpireTokens(ctx, TokenFilter{})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, http.StatusUnauthorized, h.call(http.MethodGet, "/saas/agency-plans/"+h.agency.ID, tok.AccessToken, nil).Status)
	issued, err := a.Tokens(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{tok.AccessToken}, issued.AccessTokens)
	assert.Equal(t, []string{tok.RefreshToken}, issued.RefreshTokens)
	assert.True(t, slices.Contains(issued.All(), tok.RefreshToken))

	// Unknown members are rejected, so payload typos do not pass silently.
	r := h.call(http.MethodPost, "/_sandbox/agencies", "", `{"locations_count":3}`)
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, string(r.Body), "unknown field")
	assert.Equal(t, http.StatusNotFound, h.call(http.MethodGet, "/_sandbox/nope", "", nil).Status)
}

func TestAuthorizeFailsForUnknownAgency(t *testing.T) {
	h := newHarness(t, Options{})
	_, _, err := h.admin.Authorize(t.Context(), AuthorizeRequest{ClientID: testClientID, RedirectURI: testRedirect, Scope: "oauth.readonly", CompanyID: "missing"})
	var ae *AdminError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.Contains(t, ae.Message, "unknown company_id")
}

func TestNewRequiresCredentials(t *testing.T) {
	assert.Panics(t, func() { New(Options{ClientID: testClientID}) })
	assert.Panics(t, func() { New(Options{ClientSecret: testClientSecret}) })
}
