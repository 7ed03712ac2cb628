package highlevel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

const (
	testClientID     = "6578278e879ad2646715ba9c-megyp358"
	testAppID        = "6578278e879ad2646715ba9c"
	testClientSecret = "9b1c6a4e-2f0d-4c1b-8a7e-3d5f6e7a8b9c"
	testRedirect     = "https://app.example.com/oauth/callback"
	allScopes        = "oauth.readonly oauth.write saas/company.read saas/company.write saas/location.read saas/location.write locations.readonly"
)

// Messages of the simulator's bodies that the tests expect verbatim.
const (
	msgInvalidJWT        = "Invalid JWT"
	msgExpiredToken      = "Invalid token: access token is invalid"
	msgInvalidRefresh    = "Invalid grant: refresh token is invalid"
	msgInvalidCode       = "Invalid grant: authorization code is invalid"
	msgNotActive         = "Location is not active"
	msgNoCompanyAccess   = "The token does not have access to this company."
	msgNoLocationAccess  = "The token does not have access to this location."
	msgNoAppAccess       = "The token does not have access to this app."
	msgLocationNotFound  = "Location not found"
	msgPlanNotFound      = "SaaS plan not found"
	msgAlreadyEnabled    = "SaaS is already enabled for this location"
	msgTooManyRequests   = "Too Many Requests"
	reasonUnauthorized   = "Unauthorized"
	reasonUnprocessable  = "Unprocessable Entity"
	sandboxStart         = "2026-03-02T09:30:00.000Z"
	versionOAuth         = "2021-07-28"
	versionSaaS          = "2021-04-15"
	tokenEndpointVersion = "" // POST /oauth/token takes no Version (reference §0)
)

// rebillingProducts is UpdateRebillingDto.product's enum (reference §4.1).
var rebillingProducts = []string{
	"contentAI", "workflow_premium_actions", "workflow_ai", "conversationAI", "EmailNotification",
	"whatsApp", "reviewsAI", "VERIFIED_CALLER_ID", "WALLET_SALES_TAX", "NOTIFICATION_SMS", "EmailSmtp",
	"EmailVerification", "autoCompleteAddress", "funnelAI", "domainPurchase", "Phone", "Email",
}

// fakeClock drives the simulator's token expiry and rate limiting.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// exchange is one HighLevel request as it crossed the wire.
type exchange struct {
	Method, Path, RawQuery, Version, ContentType string
	Status                                       int
	Body                                         []byte
}

// recorder wraps the simulator to see what the client sends (headers, query) and what
// it got back; the simulator's own call log has no headers.
type recorder struct {
	h  http.Handler
	mu sync.Mutex
	ex []exchange
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if strings.HasPrefix(req.URL.Path, "/_sandbox/") {
		r.h.ServeHTTP(w, req)
		return
	}
	cw := &captureWriter{ResponseWriter: w}
	r.h.ServeHTTP(cw, req)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ex = append(r.ex, exchange{
		Method: req.Method, Path: req.URL.Path, RawQuery: req.URL.RawQuery,
		Version: req.Header.Get("Version"), ContentType: req.Header.Get("Content-Type"),
		Status: cw.status, Body: bytes.Clone(cw.body.Bytes()),
	})
}

// exchanges returns the recorded API requests, consent page visits left out.
func (r *recorder) exchanges() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(r.ex), func(x exchange) bool { return strings.Contains(x.Path, "chooselocation") })
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ex = nil
}

// captureWriter copies the reply; Unwrap keeps hijacking (drop-after-commit) working.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observer collects what WithObserver reports.
type observer struct {
	mu    sync.Mutex
	calls []highlevel.Call
}

func (o *observer) observe(c highlevel.Call) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, c)
}

func (o *observer) snapshot() []highlevel.Call {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.calls)
}

func (o *observer) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = nil
}

// env is a simulator behind a real HTTP server with one agency that has connected the
// app: base is the client without a credential, client speaks as the agency.
type env struct {
	t      *testing.T
	sim    *highlevelsim.Server
	srv    *httptest.Server
	rec    *recorder
	obs    *observer
	clock  *fakeClock
	admin  *highlevelsim.AdminClient
	base   *highlevel.Client
	agency highlevelsim.Agency
	locs   []highlevelsim.Location
	token  *highlevel.TokenResponse // the agency token from the code exchange
	client *highlevel.Client
}

func newEnv(t *testing.T, spec highlevelsim.AgencySpec) *env {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
	sim := highlevelsim.New(highlevelsim.Options{ClientID: testClientID, ClientSecret: testClientSecret, Now: clock.Now})
	rec := &recorder{h: sim}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	e := &env{
		t: t, sim: sim, srv: srv, rec: rec, obs: &observer{}, clock: clock,
		admin: &highlevelsim.AdminClient{BaseURL: srv.URL, HTTP: srv.Client()},
	}
	e.base = e.newClient(testClientID, testClientSecret)
	created, err := sim.CreateAgency(spec)
	require.NoError(t, err)
	e.agency, e.locs = created.Agency, created.Locations
	e.token, err = e.base.ExchangeCode(t.Context(), e.authorize(e.agency.ID), testRedirect)
	require.NoError(t, err)
	e.client = e.as(e.token.AccessToken)
	e.rec.reset()
	e.obs.reset()
	sim.ResetCalls()
	return e
}

func (e *env) newClient(clientID, secret string) *highlevel.Client {
	e.t.Helper()
	c, err := highlevel.New(e.srv.URL+"/", clientID, secret,
		highlevel.WithHTTPClient(&http.Client{Transport: e.srv.Client().Transport, Timeout: 10 * time.Second}),
		highlevel.WithObserver(e.obs.observe))
	require.NoError(e.t, err)
	return c
}

// as returns the base client authenticated with a fixed access token.
func (e *env) as(accessToken string) *highlevel.Client {
	return e.base.As(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken, TokenType: "Bearer"}))
}

// authorize plays the agency admin on the consent page and returns the code.
func (e *env) authorize(companyID string) string {
	e.t.Helper()
	code, state, err := e.admin.Authorize(e.t.Context(), highlevelsim.AuthorizeRequest{
		ClientID: testClientID, RedirectURI: testRedirect, Scope: allScopes, State: "st-42", CompanyID: companyID,
	})
	require.NoError(e.t, err)
	require.Equal(e.t, "st-42", state)
	return code
}

// otherAgency creates a second agency (not connected) with one location.
func (e *env) otherAgency() highlevelsim.CreatedAgency {
	e.t.Helper()
	other, err := e.sim.CreateAgency(highlevelsim.AgencySpec{LocationCount: 1})
	require.NoError(e.t, err)
	return other
}

func (e *env) location(id string) highlevelsim.Location {
	e.t.Helper()
	for _, l := range e.sim.State().Locations {
		if l.ID == id {
			return l
		}
	}
	e.t.Fatalf("location %s not in sandbox state", id)
	return highlevelsim.Location{}
}

func (e *env) agencyState(id string) highlevelsim.Agency {
	e.t.Helper()
	for _, a := range e.sim.State().Agencies {
		if a.ID == id {
			return a
		}
	}
	e.t.Fatalf("agency %s not in sandbox state", id)
	return highlevelsim.Agency{}
}

func (e *env) lastExchange() exchange {
	e.t.Helper()
	ex := e.rec.exchanges()
	require.NotEmpty(e.t, ex)
	return ex[len(ex)-1]
}

// requireAPIError asserts err is an *APIError for endpoint with status and message,
// and that the message is exactly what the simulator's last reply body said.
func (e *env) requireAPIError(err error, endpoint string, status int, msg string) *highlevel.APIError {
	e.t.Helper()
	var apiErr *highlevel.APIError
	require.ErrorAs(e.t, err, &apiErr, "got %v", err)
	require.Equal(e.t, endpoint, apiErr.Endpoint)
	require.Equal(e.t, status, apiErr.StatusCode, "message %q", apiErr.Message)
	require.Equal(e.t, msg, apiErr.Message)
	last := e.lastExchange()
	require.Equal(e.t, status, last.Status)
	require.Equal(e.t, msg, bodyMessage(e.t, last.Body), "body: %s", last.Body)
	return apiErr
}

// bodyMessage is the "message" member of a NestJS error body, an array joined with "; ".
func bodyMessage(t *testing.T, body []byte) string {
	t.Helper()
	var b struct {
		Message any `json:"message"`
	}
	require.NoError(t, json.Unmarshal(body, &b), "body: %s", body)
	switch m := b.Message.(type) {
	case string:
		return m
	case []any:
		parts := make([]string, len(m))
		for i, p := range m {
			parts[i] = p.(string)
		}
		return strings.Join(parts, "; ")
	}
	t.Fatalf("body has no message: %s", body)
	return ""
}

func ptr[T any](v T) *T { return &v }

func ids(locs []highlevelsim.Location) []string {
	out := make([]string, len(locs))
	for i, l := range locs {
		out[i] = l.ID
	}
	return out
}

// --- OAuth -----------------------------------------------------------------------------

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

// GetLocation reads the business profile with the agency's token, or the location's
// own; another company's location is refused.
func TestGetLocation(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{Locations: []highlevelsim.LocationSpec{
		{Name: "Harbor & Vale Legal", Email: "office@harborvale.example", Phone: "+1 212 555 0100", Website: "https://harborvale.example", Address: "10 W 13th St"}, {},
	}})
	ctx := t.Context()
	loc := e.locs[0].ID
	got, err := e.client.GetLocation(ctx, loc)
	require.NoError(t, err)
	require.Equal(t, highlevel.Location{ID: loc, CompanyID: e.agency.ID, Name: "Harbor & Vale Legal", Email: "office@harborvale.example",
		Phone: "+1 212 555 0100", Website: "https://harborvale.example", Address: "10 W 13th St"}, *got)
	require.Equal(t, versionOAuth, e.lastExchange().Version)

	lt, err := e.client.LocationToken(ctx, e.agency.ID, loc)
	require.NoError(t, err)
	own, err := e.as(lt.AccessToken).GetLocation(ctx, loc)
	require.NoError(t, err)
	require.Equal(t, got, own)
	_, err = e.as(lt.AccessToken).GetLocation(ctx, e.locs[1].ID)
	_ = e.requireAPIError(err, highlevel.EndpointGetLocation, http.StatusForbidden, "The token does not have access to this location.")
	_, err = e.client.GetLocation(ctx, e.otherAgency().Locations[0].ID)
	_ = e.requireAPIError(err, highlevel.EndpointGetLocation, http.StatusForbidden, "The token does not have access to this location.")
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

// --- SaaS ------------------------------------------------------------------------------

func TestSaaSLifecycle(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 13})
	ctx := t.Context()
	company := e.agency.ID
	loc0 := e.locs[0].ID
	plan := e.agency.Plans[0]
	price := plan.Prices[0]

	sub := func(t *testing.T, loc string) *highlevel.Subscription {
		t.Helper()
		s, err := e.client.GetSubscription(ctx, loc, company)
		require.NoError(t, err)
		require.Equal(t, loc, s.LocationID)
		require.Equal(t, company, s.CompanyID)
		return s
	}

	t.Run("agency plans", func(t *testing.T) {
		plans, err := e.client.AgencyPlans(ctx, company)
		require.NoError(t, err)
		require.Len(t, plans, len(e.agency.Plans))
		for i, want := range e.agency.Plans {
			got := plans[i]
			require.Equal(t, want.PlanID, got.PlanID)
			require.Equal(t, company, got.CompanyID)
			require.Equal(t, want.Title, got.Title)
			require.Equal(t, want.Description, got.Description)
			require.Equal(t, want.SaaSProducts, got.SaaSProducts)
			require.Equal(t, want.AddOns, got.AddOns)
			require.Equal(t, want.PlanLevel, got.PlanLevel)
			require.Equal(t, want.TrialPeriod, got.TrialPeriod)
			require.Equal(t, want.UserLimit, *got.UserLimit)
			require.Equal(t, want.ContactLimit, *got.ContactLimit)
			require.Equal(t, want.IsSaaSV2, got.IsSaaSV2)
			require.Equal(t, want.ProductID, got.ProductID)
			require.Equal(t, want.SnapshotID, got.SnapshotID)
			require.Equal(t, want.CategoryID, got.CategoryID)
			require.Equal(t, sandboxStart, got.CreatedAt)
			require.Equal(t, sandboxStart, got.UpdatedAt)
			require.Len(t, got.Prices, len(want.Prices))
			for j, p := range want.Prices {
				require.Equal(t, highlevel.PlanPrice{
					ID: p.ID, BillingInterval: p.BillingInterval, Active: p.Active,
					Amount: p.Amount, Currency: p.Currency, Symbol: p.Symbol,
				}, got.Prices[j])
			}
		}
		require.Equal(t, versionSaaS, e.lastExchange().Version)
	})

	t.Run("one plan", func(t *testing.T) {
		got, err := e.client.GetSaaSPlan(ctx, plan.PlanID, company)
		require.NoError(t, err)
		require.Equal(t, plan.PlanID, got.PlanID)
		require.Equal(t, company, got.CompanyID)
		require.Equal(t, "Practice Starter", got.Title)
		require.Equal(t, 1, got.PlanLevel)
		require.Equal(t, 14, got.TrialPeriod)
		require.NotNil(t, got.SetupFee)
		require.Zero(t, *got.SetupFee)
		require.Equal(t, []highlevel.PlanPrice{
			{ID: price.ID, BillingInterval: "month", Active: true, Amount: 97, Currency: "USD", Symbol: "$"},
			{ID: plan.Prices[1].ID, BillingInterval: "year", Active: true, Amount: 970, Currency: "USD", Symbol: "$"},
		}, got.Prices)
	})

	t.Run("not activated before enable", func(t *testing.T) {
		s := sub(t, loc0)
		require.Equal(t, highlevel.SaaSModeNotActivated, s.SaaSMode)
		require.False(t, s.Enabled())
		require.False(t, s.IsSaaSV2)
	})

	var customerID string
	t.Run("enable", func(t *testing.T) {
		res, err := e.client.EnableSaaS(ctx, loc0, highlevel.EnableSaaSRequest{
			CompanyID: company, IsSaaSV2: true, SaaSPlanID: plan.PlanID, PriceID: price.ID,
		})
		require.NoError(t, err)
		st := e.location(loc0).SaaS
		require.True(t, strings.HasPrefix(res.CustomerID, "cus_"), res.CustomerID)
		// With a plan the sandbox pre-configures a subscription, so a card is on file.
		require.Equal(t, highlevel.EnableSaaSResult{CustomerID: st.CustomerID, OK: true, PaymentMethodAdded: true}, *res)
		require.Equal(t, 1, st.EnableCount)
		customerID = res.CustomerID
		require.Equal(t, http.StatusCreated, e.lastExchange().Status)

		s := sub(t, loc0)
		require.True(t, s.Enabled())
		require.Equal(t, highlevel.Subscription{
			LocationID: loc0, CompanyID: company, IsSaaSV2: true, SaaSMode: "saasV2", CustomerID: customerID,
			ProductID: plan.ProductID, PriceID: price.ID, SaaSPlanID: plan.PlanID,
			SubscriptionID: st.SubscriptionID, SubscriptionStatus: "trialing",
		}, *s)
	})

	t.Run("enable twice", func(t *testing.T) {
		_, err := e.client.EnableSaaS(ctx, loc0, highlevel.EnableSaaSRequest{CompanyID: company, IsSaaSV2: true})
		apiErr := e.requireAPIError(err, highlevel.EndpointEnableSaaS, http.StatusBadRequest, msgAlreadyEnabled)
		require.False(t, apiErr.Temporary())
		require.Equal(t, 1, e.location(loc0).SaaS.EnableCount, "a refused enable changes nothing")
	})

	t.Run("update subscription", func(t *testing.T) {
		err := e.client.UpdateSaaSSubscription(ctx, loc0, highlevel.UpdateSubscriptionRequest{
			SubscriptionID: "sub_1QDPY5FpU9DlKp7R", CustomerID: "cus_1QDPY5FpU9DlKp7R", CompanyID: company,
		})
		require.NoError(t, err)
		ex := e.lastExchange()
		require.Equal(t, http.MethodPut, ex.Method)
		require.Equal(t, "/saas/update-saas-subscription/"+loc0, ex.Path)
		s := sub(t, loc0)
		require.Equal(t, "sub_1QDPY5FpU9DlKp7R", s.SubscriptionID)
		require.Equal(t, "cus_1QDPY5FpU9DlKp7R", s.CustomerID)
		require.Equal(t, "active", s.SubscriptionStatus)
	})

	t.Run("locations by stripe ids", func(t *testing.T) {
		for _, q := range []highlevel.LocationsByStripeQuery{
			{CompanyID: company, CustomerID: "cus_1QDPY5FpU9DlKp7R"},
			{CompanyID: company, SubscriptionID: "sub_1QDPY5FpU9DlKp7R"},
			{CompanyID: company, CustomerID: "cus_nobody", SubscriptionID: "sub_1QDPY5FpU9DlKp7R"},
		} {
			got, err := e.client.LocationsByStripe(ctx, q)
			require.NoError(t, err)
			require.Equal(t, []string{loc0}, got, "%+v", q)
		}
		got, err := e.client.LocationsByStripe(ctx, highlevel.LocationsByStripeQuery{CompanyID: company, CustomerID: "cus_nobody"})
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("pause and resume", func(t *testing.T) {
		ok, err := e.client.Pause(ctx, loc0, company, true)
		require.NoError(t, err)
		require.True(t, ok)
		require.True(t, e.location(loc0).SaaS.Paused)
		require.Equal(t, "paused", sub(t, loc0).SubscriptionStatus)

		ok, err = e.client.Pause(ctx, loc0, company, false)
		require.NoError(t, err)
		require.True(t, ok)
		require.False(t, e.location(loc0).SaaS.Paused)
		require.Equal(t, "active", sub(t, loc0).SubscriptionStatus)
	})

	bulk := ids(e.locs[1:12]) // with loc0, 12 SaaS locations: two pages of ten
	t.Run("bulk enable", func(t *testing.T) {
		res, err := e.client.BulkEnableSaaS(ctx, company, highlevel.BulkEnableSaaSRequest{
			LocationIDs: bulk, IsSaaSV2: true, ActionPayload: highlevel.BulkEnableSaaSAction{SaaSPlanID: plan.PlanID, PriceID: price.ID},
		})
		require.NoError(t, err)
		require.Equal(t, highlevel.BulkEnableSaaSResult{Success: true, Message: "Bulk enable SaaS operation completed successfully"}, *res)
		for _, id := range bulk {
			st := e.location(id).SaaS
			require.Equal(t, "saasV2", st.SaaSMode, id)
			require.Equal(t, plan.PlanID, st.SaaSPlanID, id)
		}
		require.Equal(t, 1, e.location(loc0).SaaS.EnableCount, "bulk enable skips enabled locations")
		require.Equal(t, "not_activated", e.location(e.locs[12].ID).SaaS.SaaSMode)
	})

	t.Run("saas locations paging", func(t *testing.T) {
		p1, err := e.client.SaaSLocations(ctx, company, 1)
		require.NoError(t, err)
		require.Equal(t, highlevel.Pagination{Page: 1, Limit: 10, Total: 12, TotalPages: 2, HasNext: true}, p1.Pagination)
		require.Len(t, p1.Locations, 10)
		p2, err := e.client.SaaSLocations(ctx, company, 2)
		require.NoError(t, err)
		require.Equal(t, highlevel.Pagination{Page: 2, Limit: 10, Total: 12, TotalPages: 2, HasPrev: true}, p2.Pagination)
		require.Len(t, p2.Locations, 2)
		var got []string
		for _, l := range append(p1.Locations, p2.Locations...) {
			got = append(got, l.LocationID)
			require.Equal(t, company, l.CompanyID)
			require.Equal(t, "saasV2", l.SaaSMode)
			require.True(t, l.IsSaaSV2)
		}
		require.Equal(t, ids(e.locs[:12]), got)
		first := p1.Locations[0]
		require.Equal(t, highlevel.SaaSLocation{
			LocationID: loc0, CompanyID: company, SaaSMode: "saasV2", SubscriptionID: "sub_1QDPY5FpU9DlKp7R",
			CustomerID: "cus_1QDPY5FpU9DlKp7R", Name: e.locs[0].Name, Email: e.locs[0].Email, IsSaaSV2: true,
			SubscriptionInfo: highlevel.SubscriptionInfo{
				PriceID: price.ID, SaaSPlanID: plan.PlanID, StripeProductID: plan.ProductID, SubscriptionStatus: "active",
			},
		}, first)

		// Pages are 1-based: 0 is sent as 1.
		p0, err := e.client.SaaSLocations(ctx, company, 0)
		require.NoError(t, err)
		require.Equal(t, 1, p0.Pagination.Page)
		require.Equal(t, "page=1", e.lastExchange().RawQuery)
		p3, err := e.client.SaaSLocations(ctx, company, 3)
		require.NoError(t, err)
		require.Empty(t, p3.Locations)
		require.False(t, p3.Pagination.HasNext)
	})

	t.Run("bulk disable", func(t *testing.T) {
		msg, err := e.client.BulkDisableSaaS(ctx, company, bulk[:2])
		require.NoError(t, err)
		require.Equal(t, "success", msg)
		for _, id := range bulk[:2] {
			require.Equal(t, "not_activated", e.location(id).SaaS.SaaSMode, id)
		}
		p1, err := e.client.SaaSLocations(ctx, company, 1)
		require.NoError(t, err)
		require.Equal(t, 10, p1.Pagination.Total)
		require.False(t, p1.Pagination.HasNext)
	})

	t.Run("update rebilling", func(t *testing.T) {
		ok, err := e.client.UpdateRebilling(ctx, company, highlevel.UpdateRebillingRequest{
			Product: "contentAI", LocationIDs: []string{loc0, bulk[5]},
			Config: highlevel.RebillingConfig{Enabled: ptr(true), Markup: ptr(5.0)},
		})
		require.NoError(t, err)
		require.True(t, ok)
		for _, id := range []string{loc0, bulk[5]} {
			rc := e.location(id).Rebilling["contentAI"]
			require.Equal(t, highlevelsim.RebillingConfig{Enabled: ptr(true), Markup: ptr(5.0)}, rc, id)
		}
		require.Empty(t, e.location(bulk[6]).Rebilling)
	})
}

func TestSaaSErrors(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 3})
	ctx := t.Context()
	company := e.agency.ID
	loc := e.locs[0].ID
	other := e.otherAgency()
	foreign := other.Locations[0].ID

	products := "product must be one of the following values: " + strings.Join(rebillingProducts, ", ")
	tests := []struct {
		name     string
		endpoint string
		call     func() error
		status   int
		msg      string
	}{
		{"get subscription: unknown location", highlevel.EndpointGetSubscription, func() error {
			_, err := e.client.GetSubscription(ctx, "AAAAAAAAAAAAAAAAAAAA", company)
			return err
		}, http.StatusNotFound, msgLocationNotFound},
		{"get subscription: another company's location", highlevel.EndpointGetSubscription, func() error {
			_, err := e.client.GetSubscription(ctx, foreign, company)
			return err
		}, http.StatusForbidden, msgNoLocationAccess},
		{"get subscription: another company", highlevel.EndpointGetSubscription, func() error {
			_, err := e.client.GetSubscription(ctx, foreign, other.Agency.ID)
			return err
		}, http.StatusForbidden, msgNoCompanyAccess},
		{"saas plan: unknown", highlevel.EndpointSaaSPlan, func() error {
			_, err := e.client.GetSaaSPlan(ctx, "66c4d36534f21f900dc2a265", company)
			return err
		}, http.StatusNotFound, msgPlanNotFound},
		{"saas plan: another company's plan", highlevel.EndpointSaaSPlan, func() error {
			_, err := e.client.GetSaaSPlan(ctx, other.Agency.Plans[0].PlanID, company)
			return err
		}, http.StatusNotFound, msgPlanNotFound},
		{"agency plans: another company", highlevel.EndpointAgencyPlans, func() error {
			_, err := e.client.AgencyPlans(ctx, other.Agency.ID)
			return err
		}, http.StatusForbidden, msgNoCompanyAccess},
		{"saas locations: another company", highlevel.EndpointSaaSLocations, func() error {
			_, err := e.client.SaaSLocations(ctx, other.Agency.ID, 1)
			return err
		}, http.StatusForbidden, msgNoCompanyAccess},
		{"locations by stripe: no stripe id", highlevel.EndpointSaaSLocationsByStripe, func() error {
			_, err := e.client.LocationsByStripe(ctx, highlevel.LocationsByStripeQuery{CompanyID: company})
			return err
		}, http.StatusUnprocessableEntity, "customerId should not be empty; subscriptionId should not be empty"},
		{"update subscription: empty body fields", highlevel.EndpointUpdateSubscription, func() error {
			return e.client.UpdateSaaSSubscription(ctx, loc, highlevel.UpdateSubscriptionRequest{})
		}, http.StatusUnprocessableEntity, "subscriptionId should not be empty; customerId should not be empty; companyId should not be empty"},
		{"update subscription: SaaS not enabled", highlevel.EndpointUpdateSubscription, func() error {
			return e.client.UpdateSaaSSubscription(ctx, loc, highlevel.UpdateSubscriptionRequest{
				SubscriptionID: "sub_x", CustomerID: "cus_x", CompanyID: company,
			})
		}, http.StatusBadRequest, "SaaS is not enabled for this location"},
		{"enable: unknown plan", highlevel.EndpointEnableSaaS, func() error {
			_, err := e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: company, IsSaaSV2: true, SaaSPlanID: "66c4d36534f21f900dc2a265"})
			return err
		}, http.StatusBadRequest, msgPlanNotFound},
		{"enable: missing companyId", highlevel.EndpointEnableSaaS, func() error {
			_, err := e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{IsSaaSV2: true})
			return err
		}, http.StatusUnprocessableEntity, "companyId should not be empty"},
		{"bulk enable: unknown plan", highlevel.EndpointBulkEnableSaaS, func() error {
			_, err := e.client.BulkEnableSaaS(ctx, company, highlevel.BulkEnableSaaSRequest{
				LocationIDs: []string{loc}, IsSaaSV2: true, ActionPayload: highlevel.BulkEnableSaaSAction{SaaSPlanID: "66c4d36534f21f900dc2a265"},
			})
			return err
		}, http.StatusBadRequest, msgPlanNotFound},
		{"bulk enable: no plan", highlevel.EndpointBulkEnableSaaS, func() error {
			_, err := e.client.BulkEnableSaaS(ctx, company, highlevel.BulkEnableSaaSRequest{LocationIDs: []string{loc}, IsSaaSV2: true})
			return err
		}, http.StatusUnprocessableEntity, "actionPayload.saasPlanId should not be empty"},
		{"bulk disable: another company's location", highlevel.EndpointBulkDisableSaaS, func() error {
			_, err := e.client.BulkDisableSaaS(ctx, company, []string{loc, foreign})
			return err
		}, http.StatusForbidden, msgNoLocationAccess},
		{"bulk disable: no locations", highlevel.EndpointBulkDisableSaaS, func() error {
			_, err := e.client.BulkDisableSaaS(ctx, company, nil)
			return err
		}, http.StatusUnprocessableEntity, "locationIds should not be empty"},
		{"pause: unknown location", highlevel.EndpointPause, func() error {
			_, err := e.client.Pause(ctx, "AAAAAAAAAAAAAAAAAAAA", company, true)
			return err
		}, http.StatusNotFound, msgLocationNotFound},
		{"update rebilling: bad product", highlevel.EndpointUpdateRebilling, func() error {
			_, err := e.client.UpdateRebilling(ctx, company, highlevel.UpdateRebillingRequest{
				Product: "teleportation", LocationIDs: []string{loc}, Config: highlevel.RebillingConfig{Enabled: ptr(true)},
			})
			return err
		}, http.StatusUnprocessableEntity, products},
		{"update rebilling: unknown location", highlevel.EndpointUpdateRebilling, func() error {
			_, err := e.client.UpdateRebilling(ctx, company, highlevel.UpdateRebillingRequest{
				Product: "Phone", LocationIDs: []string{"AAAAAAAAAAAAAAAAAAAA"}, Config: highlevel.RebillingConfig{OptIn: ptr(true)},
			})
			return err
		}, http.StatusNotFound, msgLocationNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apiErr := e.requireAPIError(tt.call(), tt.endpoint, tt.status, tt.msg)
			require.False(t, apiErr.Temporary())
			require.True(t, apiErr.RateLimit.Present, "authenticated replies carry rate-limit headers")
			require.Zero(t, apiErr.RetryAfter)
			if tt.status == http.StatusUnprocessableEntity {
				require.Equal(t, reasonUnprocessable, apiErr.Reason)
			}
			require.Contains(t, apiErr.Error(), tt.msg)
		})
	}
	for _, l := range e.sim.State().Locations {
		require.Equal(t, "not_activated", l.SaaS.SaaSMode, "refused calls changed nothing")
		require.Empty(t, l.Rebilling)
	}

	t.Run("enable on a non-Pro agency", func(t *testing.T) {
		_, err := e.sim.UpdateAgency(company, highlevelsim.AgencyPatch{Plan: ptr("agency_monthly_297")})
		require.NoError(t, err)
		_, err = e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: company, IsSaaSV2: true})
		_ = e.requireAPIError(err, highlevel.EndpointEnableSaaS, http.StatusBadRequest, "This feature is only available on Agency Pro ($497) plan.")
	})
}

// --- cross-cutting ---------------------------------------------------------------------

// endpointCall is one client method, in an order in which each succeeds on a fresh env.
type endpointCall struct {
	endpoint string
	version  string
	status   int
	call     func(ctx context.Context, c *highlevel.Client) error
}

func (e *env) everyEndpoint() []endpointCall {
	company, loc, plan := e.agency.ID, e.locs[0].ID, e.agency.Plans[0]
	return []endpointCall{
		{highlevel.EndpointToken, tokenEndpointVersion, http.StatusOK, func(ctx context.Context, _ *highlevel.Client) error {
			_, err := e.base.ExchangeCode(ctx, e.authorize(company), testRedirect)
			return err
		}},
		{highlevel.EndpointToken, tokenEndpointVersion, http.StatusOK, func(ctx context.Context, _ *highlevel.Client) error {
			_, err := e.base.RefreshToken(ctx, e.token.RefreshToken, highlevel.UserTypeCompany)
			return err
		}},
		{highlevel.EndpointInstalledLocations, versionOAuth, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.InstalledLocations(ctx, highlevel.InstalledLocationsQuery{CompanyID: company})
			return err
		}},
		{highlevel.EndpointLocationToken, versionOAuth, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.LocationToken(ctx, company, loc)
			return err
		}},
		{highlevel.EndpointGetLocation, versionOAuth, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.GetLocation(ctx, loc)
			return err
		}},
		{highlevel.EndpointAgencyPlans, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.AgencyPlans(ctx, company)
			return err
		}},
		{highlevel.EndpointSaaSPlan, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.GetSaaSPlan(ctx, plan.PlanID, company)
			return err
		}},
		{highlevel.EndpointEnableSaaS, versionSaaS, http.StatusCreated, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: company, IsSaaSV2: true})
			return err
		}},
		{highlevel.EndpointGetSubscription, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.GetSubscription(ctx, loc, company)
			return err
		}},
		{highlevel.EndpointUpdateSubscription, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			return c.UpdateSaaSSubscription(ctx, loc, highlevel.UpdateSubscriptionRequest{SubscriptionID: "sub_1", CustomerID: "cus_1", CompanyID: company})
		}},
		{highlevel.EndpointSaaSLocationsByStripe, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.LocationsByStripe(ctx, highlevel.LocationsByStripeQuery{CompanyID: company, CustomerID: "cus_1"})
			return err
		}},
		{highlevel.EndpointPause, versionSaaS, http.StatusCreated, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.Pause(ctx, loc, company, true)
			return err
		}},
		{highlevel.EndpointBulkEnableSaaS, versionSaaS, http.StatusCreated, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.BulkEnableSaaS(ctx, company, highlevel.BulkEnableSaaSRequest{
				LocationIDs: ids(e.locs[1:]), IsSaaSV2: true, ActionPayload: highlevel.BulkEnableSaaSAction{SaaSPlanID: plan.PlanID},
			})
			return err
		}},
		{highlevel.EndpointSaaSLocations, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.SaaSLocations(ctx, company, 1)
			return err
		}},
		{highlevel.EndpointBulkDisableSaaS, versionSaaS, http.StatusCreated, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.BulkDisableSaaS(ctx, company, ids(e.locs[1:]))
			return err
		}},
		{highlevel.EndpointUpdateRebilling, versionSaaS, http.StatusCreated, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.UpdateRebilling(ctx, company, highlevel.UpdateRebillingRequest{
				Product: "Phone", LocationIDs: []string{loc}, Config: highlevel.RebillingConfig{OptIn: ptr(true)},
			})
			return err
		}},
		{highlevel.EndpointUninstall, versionOAuth, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.Uninstall(ctx, highlevel.UninstallRequest{CompanyID: company})
			return err
		}},
	}
}

// TestEveryEndpointVersionAndObserver checks, per client method, the Version header it
// sends, that its endpoint template is the simulator's route, and what the observer sees.
func TestEveryEndpointVersionAndObserver(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 3})
	for _, ec := range e.everyEndpoint() {
		t.Run(ec.endpoint, func(t *testing.T) {
			e.rec.reset()
			e.obs.reset()
			e.sim.ResetCalls()
			require.NoError(t, ec.call(t.Context(), e.client))

			ex := e.rec.exchanges()
			require.Len(t, ex, 1)
			require.Equal(t, ec.version, ex[0].Version, "Version header of %s", ec.endpoint)
			require.Equal(t, ec.status, ex[0].Status)

			var simCalls []highlevelsim.Call
			for _, c := range e.sim.Calls().Calls {
				if !strings.Contains(c.Endpoint, "chooselocation") {
					simCalls = append(simCalls, c)
				}
			}
			require.Len(t, simCalls, 1)
			require.Equal(t, ec.endpoint, simCalls[0].Endpoint, "client template = simulator route")

			obs := e.obs.snapshot()
			require.Len(t, obs, 1)
			require.Equal(t, ec.endpoint, obs[0].Endpoint)
			require.Equal(t, ec.status, obs[0].StatusCode)
			require.Positive(t, obs[0].Duration)
			if ec.endpoint == highlevel.EndpointToken {
				require.False(t, obs[0].RateLimit.Present)
			} else {
				require.True(t, obs[0].RateLimit.Present)
				require.Equal(t, 100, obs[0].RateLimit.Max)
				require.Equal(t, 10*time.Second, obs[0].RateLimit.Interval)
				require.Equal(t, 200000, obs[0].RateLimit.DailyLimit)
				require.Less(t, obs[0].RateLimit.Remaining, 100)
			}
		})
	}
}

// TestInvalidJWTOnEveryAuthenticatedEndpoint: a garbage bearer token is refused with
// 401 "Invalid JWT" everywhere, and the request is not repeated (no Reauthorizer).
func TestInvalidJWTOnEveryAuthenticatedEndpoint(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 3})
	bad := e.as("not-a-jwt")
	for _, ec := range e.everyEndpoint() {
		if ec.endpoint == highlevel.EndpointToken {
			continue
		}
		t.Run(ec.endpoint, func(t *testing.T) {
			e.rec.reset()
			apiErr := e.requireAPIError(ec.call(t.Context(), bad), ec.endpoint, http.StatusUnauthorized, msgInvalidJWT)
			require.Empty(t, apiErr.Reason)
			require.False(t, apiErr.Temporary())
			require.Len(t, e.rec.exchanges(), 1)
		})
	}
	require.Equal(t, "not_activated", e.location(e.locs[0].ID).SaaS.SaaSMode)
	require.True(t, e.agencyState(e.agency.ID).AppInstalled)
}

func TestRateLimited(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 1})
	ctx := t.Context()
	_, err := e.sim.SetRateLimit(highlevelsim.RateLimit{Max: 2, Window: highlevelsim.Duration(10 * time.Second)})
	require.NoError(t, err)
	q := highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID}

	for range 2 {
		_, err := e.client.InstalledLocations(ctx, q)
		require.NoError(t, err)
	}
	_, err = e.client.InstalledLocations(ctx, q)
	apiErr := e.requireAPIError(err, highlevel.EndpointInstalledLocations, http.StatusTooManyRequests, msgTooManyRequests)
	require.True(t, apiErr.Temporary())
	require.Equal(t, 10*time.Second, apiErr.RetryAfter, "from Retry-After")
	require.Equal(t, highlevel.RateLimit{
		Max: 2, Remaining: 0, Interval: 10 * time.Second, DailyLimit: 200000, DailyRemaining: 199998, Present: true,
	}, apiErr.RateLimit)
	require.Contains(t, apiErr.Error(), "429")

	var remaining []int
	for _, c := range e.obs.snapshot() {
		remaining = append(remaining, c.RateLimit.Remaining)
	}
	require.Equal(t, []int{1, 0, 0}, remaining)
	require.Equal(t, http.StatusTooManyRequests, e.obs.snapshot()[2].StatusCode)

	// The limit is per resource: another agency is not affected... and the window slides.
	e.clock.Advance(10 * time.Second)
	_, err = e.client.InstalledLocations(ctx, q)
	require.NoError(t, err)

	t.Run("429 burst fault", func(t *testing.T) {
		_, err := e.sim.SetRateLimit(highlevelsim.RateLimit{})
		require.NoError(t, err)
		_, err = e.sim.SetFaults(highlevelsim.Faults{
			Endpoints: []string{highlevel.EndpointGetSubscription}, BurstRate: 1, BurstRetryAfter: highlevelsim.Duration(3 * time.Second),
		})
		require.NoError(t, err)
		t.Cleanup(func() { _, _ = e.sim.SetFaults(highlevelsim.Faults{}) })
		_, err = e.client.GetSubscription(ctx, e.locs[0].ID, e.agency.ID)
		apiErr := e.requireAPIError(err, highlevel.EndpointGetSubscription, http.StatusTooManyRequests, msgTooManyRequests)
		require.Equal(t, 3*time.Second, apiErr.RetryAfter)
		require.True(t, apiErr.Temporary())
		// Other endpoints are not covered by the fault.
		_, err = e.client.AgencyPlans(ctx, e.agency.ID)
		require.NoError(t, err)
	})
}

func TestServerErrorsAreTemporary(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 2})
	ctx := t.Context()
	enable := func(loc string) error {
		_, err := e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: e.agency.ID, IsSaaSV2: true})
		return err
	}

	t.Run("scripted 503 once", func(t *testing.T) {
		require.NoError(t, e.sim.AddFaultRule(highlevelsim.Rule{Endpoint: highlevel.EndpointEnableSaaS, Status: 503, Times: 1}))
		apiErr := e.requireAPIError(enable(e.locs[0].ID), highlevel.EndpointEnableSaaS, http.StatusServiceUnavailable, "Service Unavailable")
		require.True(t, apiErr.Temporary())
		require.Zero(t, e.location(e.locs[0].ID).SaaS.EnableCount, "the failure came before any change")
		require.NoError(t, enable(e.locs[0].ID), "the rule fired once")
	})
	t.Run("random 502", func(t *testing.T) {
		_, err := e.sim.SetFaults(highlevelsim.Faults{Endpoints: []string{highlevel.EndpointEnableSaaS}, ErrorRate: 1, ErrorStatuses: []int{502}})
		require.NoError(t, err)
		t.Cleanup(func() { _, _ = e.sim.SetFaults(highlevelsim.Faults{}) })
		apiErr := e.requireAPIError(enable(e.locs[1].ID), highlevel.EndpointEnableSaaS, http.StatusBadGateway, "Bad Gateway")
		require.True(t, apiErr.Temporary())
	})
	t.Run("scripted 4xx is not temporary", func(t *testing.T) {
		require.NoError(t, e.sim.AddFaultRule(highlevelsim.Rule{
			Endpoint: highlevel.EndpointAgencyPlans, Status: 404, Message: "Company not found", Times: 1,
		}))
		_, err := e.client.AgencyPlans(ctx, e.agency.ID)
		apiErr := e.requireAPIError(err, highlevel.EndpointAgencyPlans, http.StatusNotFound, "Company not found")
		require.False(t, apiErr.Temporary())
	})
}

func TestDropAfterCommitIsATransportError(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 1})
	ctx := t.Context()
	loc := e.locs[0].ID
	_, err := e.sim.SetFaults(highlevelsim.Faults{Endpoints: []string{highlevel.EndpointEnableSaaS}, DropAfterCommitRate: 1})
	require.NoError(t, err)

	_, err = e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: e.agency.ID, IsSaaSV2: true})
	var te *httpapi.TransportError
	require.ErrorAs(t, err, &te, "got %v", err)
	require.Equal(t, highlevel.EndpointEnableSaaS, te.Endpoint)
	require.True(t, strings.HasPrefix(err.Error(), "highlevel "+highlevel.EndpointEnableSaaS+": "), "got %v", err)
	var apiErr *highlevel.APIError
	require.False(t, errors.As(err, &apiErr))
	require.NotContains(t, err.Error(), e.srv.URL, "transport errors name the endpoint template, not the URL")
	require.NotContains(t, err.Error(), loc)

	// The change was committed although the client saw no answer.
	require.Equal(t, 1, e.location(loc).SaaS.EnableCount)
	calls := e.sim.Calls()
	require.Equal(t, 1, calls.Dropped)
	require.Equal(t, 1, calls.Count(highlevel.EndpointEnableSaaS, 0), "a POST is not silently retried")
	obs := e.obs.snapshot()
	require.Len(t, obs, 1)
	require.Equal(t, highlevel.Call{Endpoint: highlevel.EndpointEnableSaaS, Duration: obs[0].Duration, Context: obs[0].Context}, obs[0], "status 0 in transport")

	// Repeating the request shows why callers must read state before retrying.
	_, err = e.sim.SetFaults(highlevelsim.Faults{})
	require.NoError(t, err)
	_, err = e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: e.agency.ID, IsSaaSV2: true})
	_ = e.requireAPIError(err, highlevel.EndpointEnableSaaS, http.StatusBadRequest, msgAlreadyEnabled)
}

// refreshingSource is a token source for an agency credential that refreshes through
// the real /oauth/token on Reauthorize.
type refreshingSource struct {
	base     *highlevel.Client
	mu       sync.Mutex
	tok      *highlevel.TokenResponse
	reauths  atomic.Int32
	rejected []string
	// override replaces the refreshed token, to test a Reauthorizer that does not help.
	override string
}

func (s *refreshingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &oauth2.Token{AccessToken: s.tok.AccessToken, TokenType: "Bearer"}, nil
}

func (s *refreshingSource) Reauthorize(ctx context.Context, rejected *oauth2.Token) (*oauth2.Token, error) {
	s.reauths.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = append(s.rejected, rejected.AccessToken)
	next, err := s.base.RefreshToken(ctx, s.tok.RefreshToken, highlevel.UserTypeCompany)
	if err != nil {
		return nil, err
	}
	s.tok = next
	if s.override != "" {
		return &oauth2.Token{AccessToken: s.override, TokenType: "Bearer"}, nil
	}
	return &oauth2.Token{AccessToken: next.AccessToken, TokenType: "Bearer"}, nil
}

var _ httpapi.Reauthorizer = (*refreshingSource)(nil)

func TestReauthorizeAfter401(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 2})
	ctx := t.Context()
	q := highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID}

	t.Run("expired token is replaced once and the call succeeds", func(t *testing.T) {
		src := &refreshingSource{base: e.base, tok: e.token}
		c := e.base.As(src)
		require.Equal(t, 1, e.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: e.agency.ID}))
		e.sim.ResetCalls()
		e.obs.reset()

		page, err := c.InstalledLocations(ctx, q)
		require.NoError(t, err)
		require.Equal(t, 2, page.Count)
		require.EqualValues(t, 1, src.reauths.Load())
		require.Equal(t, []string{e.token.AccessToken}, src.rejected, "Reauthorize gets the rejected token")

		calls := e.sim.Calls()
		require.Equal(t, 1, calls.Count(highlevel.EndpointInstalledLocations, http.StatusUnauthorized))
		require.Equal(t, 1, calls.Count(highlevel.EndpointInstalledLocations, http.StatusOK))
		require.Equal(t, 1, calls.Count(highlevel.EndpointToken, http.StatusOK))
		var seen []string
		for _, o := range e.obs.snapshot() {
			seen = append(seen, o.Endpoint+" "+http.StatusText(o.StatusCode))
		}
		require.Equal(t, []string{
			highlevel.EndpointInstalledLocations + " Unauthorized",
			highlevel.EndpointToken + " OK",
			highlevel.EndpointInstalledLocations + " OK",
		}, seen)

		// A POST is repeated the same way, with its body.
		require.Equal(t, 1, e.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: e.agency.ID}))
		_, err = c.EnableSaaS(ctx, e.locs[0].ID, highlevel.EnableSaaSRequest{CompanyID: e.agency.ID, IsSaaSV2: true})
		require.NoError(t, err)
		require.EqualValues(t, 2, src.reauths.Load())
		require.Equal(t, 1, e.location(e.locs[0].ID).SaaS.EnableCount)
	})

	t.Run("only once: a second 401 is returned", func(t *testing.T) {
		src := &refreshingSource{base: e.base, tok: e.freshAgencyToken(), override: "still-not-a-jwt"}
		e.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: e.agency.ID})
		e.rec.reset()
		_, err := e.base.As(src).InstalledLocations(ctx, q)
		_ = e.requireAPIError(err, highlevel.EndpointInstalledLocations, http.StatusUnauthorized, msgInvalidJWT)
		require.EqualValues(t, 1, src.reauths.Load())
		require.Len(t, slices.DeleteFunc(e.rec.exchanges(), func(x exchange) bool { return x.Path == "/oauth/token" }), 2)
	})

	t.Run("a failing Reauthorize is returned, wrapped", func(t *testing.T) {
		tok := e.freshAgencyToken()
		_, err := e.base.RefreshToken(ctx, tok.RefreshToken, "") // burn the refresh token behind the source's back
		require.NoError(t, err)
		src := &refreshingSource{base: e.base, tok: tok}
		e.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: e.agency.ID})
		_, err = e.base.As(src).InstalledLocations(ctx, q)
		require.ErrorContains(t, err, "re-authorize after 401")
		var apiErr *highlevel.APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, highlevel.EndpointToken, apiErr.Endpoint, "the refresh's error, not the 401")
		require.Equal(t, msgInvalidRefresh, apiErr.Message)
		require.EqualValues(t, 1, src.reauths.Load())
	})

	t.Run("without a Reauthorizer the 401 is returned", func(t *testing.T) {
		tok := e.freshAgencyToken()
		e.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: e.agency.ID})
		e.rec.reset()
		_, err := e.as(tok.AccessToken).InstalledLocations(ctx, q)
		apiErr := e.requireAPIError(err, highlevel.EndpointInstalledLocations, http.StatusUnauthorized, msgExpiredToken)
		require.Equal(t, reasonUnauthorized, apiErr.Reason)
		require.Len(t, e.rec.exchanges(), 1)
	})
}

// freshAgencyToken runs consent and the code exchange again for the env's agency.
func (e *env) freshAgencyToken() *highlevel.TokenResponse {
	e.t.Helper()
	tok, err := e.base.ExchangeCode(e.t.Context(), e.authorize(e.agency.ID), testRedirect)
	require.NoError(e.t, err)
	return tok
}

// ctxSource implements ContextTokenSource; its context-free Token must not be used.
type ctxSource struct {
	t     *testing.T
	token string
	got   context.Context
}

type ctxKey struct{}

func (s *ctxSource) Token() (*oauth2.Token, error) {
	s.t.Error("Token called although TokenContext is available")
	return nil, errors.New("unexpected")
}

func (s *ctxSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.got = ctx
	if s.token == "" {
		return nil, errors.New("store unavailable")
	}
	return &oauth2.Token{AccessToken: s.token, TokenType: "Bearer"}, nil
}

func TestTokenSources(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 1})
	q := highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID}

	t.Run("TokenContext is preferred and gets the request's context", func(t *testing.T) {
		src := &ctxSource{t: t, token: e.token.AccessToken}
		ctx := context.WithValue(t.Context(), ctxKey{}, "marker")
		_, err := e.base.As(src).InstalledLocations(ctx, q)
		require.NoError(t, err)
		require.Equal(t, "marker", src.got.Value(ctxKey{}))
	})
	t.Run("a token source failure sends nothing", func(t *testing.T) {
		e.rec.reset()
		_, err := e.base.As(&ctxSource{t: t}).InstalledLocations(t.Context(), q)
		require.ErrorContains(t, err, "store unavailable")
		require.ErrorContains(t, err, highlevel.EndpointInstalledLocations)
		require.Empty(t, e.rec.exchanges())
	})
	t.Run("no token source", func(t *testing.T) {
		e.rec.reset()
		_, err := e.base.InstalledLocations(t.Context(), q)
		require.ErrorContains(t, err, "no token source")
		require.Empty(t, e.rec.exchanges())
	})
}

// TestDecodeError: a 2xx body that does not match the contract. The simulator always
// answers well-formed JSON, so a plain handler stands in for a misbehaving proxy.
func TestDecodeError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>maintenance</html>"))
	}))
	t.Cleanup(srv.Close)
	c, err := highlevel.New(srv.URL, testClientID, testClientSecret, highlevel.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	_, err = c.As(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})).AgencyPlans(t.Context(), "GNb7aIv4rQFVb9iwNl5K")
	var de *httpapi.DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, highlevel.EndpointAgencyPlans, de.Endpoint)
	require.Equal(t, http.StatusOK, de.StatusCode)
	require.True(t, strings.HasPrefix(err.Error(), "highlevel "+highlevel.EndpointAgencyPlans+": decode 200 response: "), "got %v", err)
}

// stepPacer is a pacer that admits every request and lets the test act on each answer
// (wait out a Retry-After on the simulator's clock).
type stepPacer struct {
	waits   int
	answers []int
	onDone  func(status int, retryAfter time.Duration)
}

func (p *stepPacer) Wait(context.Context) (time.Time, error) {
	p.waits++
	return time.Now(), nil
}

func (p *stepPacer) Done(_ context.Context, _ time.Time, status int, retryAfter time.Duration) {
	p.answers = append(p.answers, status)
	if p.onDone != nil {
		p.onDone(status, retryAfter)
	}
}

// TestPacedCallsWaitAndResendA429: a paced client waits for its pacer before every
// authorized call (not the OAuth token endpoint, which spends no burst window), tells
// it each answer, and sends a 429 again once the pacer lets it.
func TestPacedCallsWaitAndResendA429(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 1})
	ctx := t.Context()
	_, err := e.sim.SetRateLimit(highlevelsim.RateLimit{Max: 2, Window: highlevelsim.Duration(10 * time.Second)})
	require.NoError(t, err)
	p := &stepPacer{onDone: func(status int, retryAfter time.Duration) {
		if status == http.StatusTooManyRequests {
			require.Equal(t, 10*time.Second, retryAfter)
			e.clock.Advance(retryAfter)
		}
	}}
	c := e.client.Paced(p)
	q := highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID}
	for range 3 {
		_, err := c.InstalledLocations(ctx, q)
		require.NoError(t, err)
	}
	require.Equal(t, []int{200, 200, 429, 200}, p.answers)
	require.Equal(t, 4, p.waits)

	_, err = e.base.Paced(p).RefreshToken(ctx, e.token.RefreshToken, highlevel.UserTypeCompany)
	require.NoError(t, err)
	require.Equal(t, 4, p.waits, "the token endpoint is not paced")
}
