package highlevelsim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

const (
	testClientID     = "6578278e879ad2646715ba9c-megyp358"
	testAppID        = "6578278e879ad2646715ba9c"
	testClientSecret = "9b1c6a4e-2f0d-4c1b-8a7e-3d5f6e7a8b9c"
	testRedirect     = "https://app.example.com/oauth/callback"
	allScopes        = "oauth.readonly oauth.write saas/company.read saas/company.write saas/location.read saas/location.write locations.readonly"
)

// harness is a simulator behind a real HTTP server, with one agency of
// three installed locations and a fake clock.
type harness struct {
	t      *testing.T
	s      *Server
	url    string
	clock  *simkit.Clock
	admin  *AdminClient
	agency Agency
	locs   []Location
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	clock := simkit.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))
	opts.ClientID, opts.ClientSecret = testClientID, testClientSecret
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	s := New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	created, err := s.CreateAgency(AgencySpec{Name: "Acme Agency", LocationCount: 3})
	require.NoError(t, err)
	return &harness{
		t: t, s: s, url: srv.URL, clock: clock,
		admin:  &AdminClient{BaseURL: srv.URL, HTTP: srv.Client()},
		agency: created.Agency, locs: created.Locations,
	}
}

// reply is a raw HTTP reply.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *reply) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), "body: %s", r.Body)
}

// requireError asserts a NestJS error body exactly.
func (r *reply) requireError(t *testing.T, status int, want string) {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Body)
	require.JSONEq(t, want, string(r.Body))
}

type reqOption func(*http.Request)

func withVersion(v string) reqOption {
	return func(r *http.Request) {
		if v == "" {
			r.Header.Del("Version")
		} else {
			r.Header.Set("Version", v)
		}
	}
}

// call sends an API request. body is nil, url.Values (form-encoded), a
// string (sent as JSON text) or any other value (marshalled to JSON).
func (h *harness) call(method, path, token string, body any, opts ...reqOption) *reply {
	h.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		raw, err := json.Marshal(b)
		require.NoError(h.t, err)
		rd, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequestWithContext(context.Background(), method, h.url+path, rd)
	require.NoError(h.t, err)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Version", "2021-04-15")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return &reply{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// tokenReply is the /oauth/token and /oauth/locationToken reply as a
// client sees it.
type tokenReply struct {
	AccessToken              string `json:"access_token"`
	TokenType                string `json:"token_type"`
	ExpiresIn                int    `json:"expires_in"`
	RefreshToken             string `json:"refresh_token"`
	Scope                    string `json:"scope"`
	UserType                 string `json:"userType"`
	CompanyID                string `json:"companyId"`
	LocationID               string `json:"locationId"`
	UserID                   string `json:"userId"`
	AppID                    string `json:"appId"`
	VersionID                string `json:"versionId"`
	IsBulkInstallation       *bool  `json:"isBulkInstallation"`
	ApproveAllLocations      *bool  `json:"approveAllLocations"`
	InstallToFutureLocations *bool  `json:"installToFutureLocations"`
	RefreshTokenID           string `json:"refreshTokenId"`
	TraceID                  string `json:"traceId"`
}

// authorize approves the consent page for the harness agency.
func (h *harness) authorize(scope string) string {
	h.t.Helper()
	code, state, err := h.admin.Authorize(context.Background(), AuthorizeRequest{
		ClientID: testClientID, RedirectURI: testRedirect, Scope: scope, State: "st-1", CompanyID: h.agency.ID,
	})
	require.NoError(h.t, err)
	require.Equal(h.t, "st-1", state)
	return code
}

func (h *harness) exchange(form url.Values) *reply {
	h.t.Helper()
	return h.call(http.MethodPost, "/oauth/token", "", form, withVersion(""))
}

// companyToken runs consent and the code exchange.
func (h *harness) companyToken() tokenReply {
	h.t.Helper()
	return h.companyTokenWithScope(allScopes)
}

func (h *harness) companyTokenWithScope(scope string) tokenReply {
	h.t.Helper()
	r := h.exchange(url.Values{
		"client_id": {testClientID}, "client_secret": {testClientSecret}, "grant_type": {"authorization_code"},
		"code": {h.authorize(scope)}, "redirect_uri": {testRedirect},
	})
	require.Equal(h.t, http.StatusOK, r.Status, "body: %s", r.Body)
	var tr tokenReply
	r.decode(h.t, &tr)
	return tr
}

// locationToken mints a Location token from a Company token.
func (h *harness) locationToken(companyToken, locationID string) tokenReply {
	h.t.Helper()
	r := h.call(http.MethodPost, "/oauth/locationToken", companyToken,
		url.Values{"companyId": {h.agency.ID}, "locationId": {locationID}}, withVersion("2021-07-28"))
	require.Equal(h.t, http.StatusOK, r.Status, "body: %s", r.Body)
	var tr tokenReply
	r.decode(h.t, &tr)
	return tr
}

func (h *harness) refresh(refreshToken string) *reply {
	h.t.Helper()
	return h.exchange(url.Values{
		"client_id": {testClientID}, "client_secret": {testClientSecret},
		"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
	})
}

// location returns the current state of a location.
func (h *harness) location(id string) Location {
	h.t.Helper()
	for _, l := range h.s.State().Locations {
		if l.ID == id {
			return l
		}
	}
	h.t.Fatalf("location %s not in state", id)
	return Location{}
}
