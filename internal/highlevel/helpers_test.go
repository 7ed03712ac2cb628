package highlevel_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi/httpapitest"
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

// env is a simulator behind a real HTTP server with one agency that has connected the
// app: base is the client without a credential, client speaks as the agency.
type env struct {
	t      *testing.T
	sim    *highlevelsim.Server
	srv    *httptest.Server
	rec    *recorder
	obs    *httpapitest.Recorder[highlevel.Call]
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
		t: t, sim: sim, srv: srv, rec: rec, obs: &httpapitest.Recorder[highlevel.Call]{}, clock: clock,
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
	e.obs.Reset()
	sim.ResetCalls()
	return e
}

func (e *env) newClient(clientID, secret string) *highlevel.Client {
	e.t.Helper()
	c, err := highlevel.New(e.srv.URL+"/", clientID, secret,
		highlevel.WithHTTPClient(&http.Client{Transport: e.srv.Client().Transport, Timeout: 10 * time.Second}),
		highlevel.WithObserver(e.obs.Observe))
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
