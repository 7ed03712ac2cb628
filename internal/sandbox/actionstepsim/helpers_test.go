package actionstepsim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

const (
	testClientID     = "as-client-7f3c"
	testClientSecret = "4a1b9c2d-secret"
	testRedirect     = "https://app.example.com/oauth/actionstep/callback"
	testOrg          = "acmelaw"
)

// harness is a simulator behind a real HTTP server with one organisation
// and a fake clock.
type harness struct {
	t     *testing.T
	s     *Server
	url   string
	clock *simkit.Clock
	admin *AdminClient
	org   Org
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
	org, err := s.CreateOrg(OrgSpec{OrgKey: testOrg, Name: "Acme Law"})
	require.NoError(t, err)
	return &harness{t: t, s: s, url: srv.URL, clock: clock, admin: &AdminClient{BaseURL: srv.URL, HTTP: srv.Client()}, org: org}
}

// httpReply is a raw HTTP reply.
type httpReply struct {
	Status int
	Header http.Header
	Body   []byte
}

// doc decodes the reply as a JSON object.
func (r *httpReply) doc(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "status %d body: %s", r.Status, r.Body)
	return m
}

// requireStatus asserts the status, showing the body on failure.
func (r *httpReply) requireStatus(t *testing.T, status int) *httpReply {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Body)
	return r
}

// requireError asserts an errors document and returns its "errors" object.
func (r *httpReply) requireError(t *testing.T, status int, code string) map[string]any {
	t.Helper()
	r.requireStatus(t, status)
	require.Equal(t, mediaJSONAPI, r.Header.Get("Content-Type"))
	e := obj(t, r.doc(t)["errors"])
	require.Equal(t, float64(status), e["status"])
	require.Equal(t, code, e["code"], "errors: %v", e)
	return e
}

func obj(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "want a JSON object, got %T: %v", v, v)
	return m
}

func arr(t *testing.T, v any) []any {
	t.Helper()
	a, ok := v.([]any)
	require.True(t, ok, "want a JSON array, got %T: %v", v, v)
	return a
}

// send makes a request; body is nil, url.Values (a form), a string (sent
// as is) or any other value (marshalled to JSON).
func (h *harness) send(method, target string, header http.Header, body any) *httpReply {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd = strings.NewReader(b.Encode())
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(h.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, target, rd)
	require.NoError(h.t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return &httpReply{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// tokenReply is the token endpoint's reply as a client sees it.
type tokenReply struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	APIEndpoint  string `json:"api_endpoint"`
	OrgKey       string `json:"orgkey"`
	RefreshToken string `json:"refresh_token"`
}

// authorize approves the consent page for an organisation.
func (h *harness) authorize(orgKey, scope string) string {
	h.t.Helper()
	code, state, err := h.admin.Authorize(context.Background(), AuthorizeRequest{
		ClientID: testClientID, RedirectURI: testRedirect, Scope: scope, State: "st-1", OrgKey: orgKey,
	})
	require.NoError(h.t, err)
	require.Equal(h.t, "st-1", state)
	return code
}

var formHeader = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

func (h *harness) tokenRequest(form url.Values) *httpReply {
	h.t.Helper()
	return h.send(http.MethodPost, h.url+tokenPath, formHeader, form)
}

// loginAs runs consent and the code exchange for an organisation.
func (h *harness) loginAs(orgKey, scope string) tokenReply {
	h.t.Helper()
	r := h.tokenRequest(url.Values{
		"grant_type": {"authorization_code"}, "code": {h.authorize(orgKey, scope)}, "redirect_uri": {testRedirect},
		"client_id": {testClientID}, "client_secret": {testClientSecret},
	}).requireStatus(h.t, http.StatusOK)
	var tr tokenReply
	require.NoError(h.t, json.Unmarshal(r.Body, &tr))
	return tr
}

// login signs in to the harness organisation with every scope.
func (h *harness) login() tokenReply {
	h.t.Helper()
	return h.loginAs(testOrg, "all")
}

func (h *harness) refresh(refreshToken string) *httpReply {
	h.t.Helper()
	return h.tokenRequest(url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
		"client_id": {testClientID}, "client_secret": {testClientSecret},
	})
}

func (h *harness) refreshOK(refreshToken string) tokenReply {
	h.t.Helper()
	r := h.refresh(refreshToken).requireStatus(h.t, http.StatusOK)
	var tr tokenReply
	require.NoError(h.t, json.Unmarshal(r.Body, &tr))
	return tr
}

// jsonAPI are the headers the reference says every REST call carries.
func jsonAPI(token string) http.Header {
	return http.Header{
		"Authorization": {"Bearer " + token}, "Accept": {mediaJSONAPI}, "Content-Type": {mediaJSONAPI},
	}
}

// api calls the REST API of tok's organisation: path is relative to
// api_endpoint, e.g. "rest/participants?pageSize=10".
func (h *harness) api(tok tokenReply, method, path string, body any) *httpReply {
	h.t.Helper()
	return h.send(method, tok.APIEndpoint+path, jsonAPI(tok.AccessToken), body)
}

// create POSTs one record and returns it.
func (h *harness) create(tok tokenReply, resource string, attrs map[string]any) map[string]any {
	h.t.Helper()
	r := h.api(tok, http.MethodPost, "rest/"+resource, map[string]any{resource: attrs}).requireStatus(h.t, http.StatusOK)
	return obj(h.t, r.doc(h.t)[resource])
}

// company creates a company participant.
func (h *harness) company(tok tokenReply, name, ref string) map[string]any {
	h.t.Helper()
	return h.create(tok, kParticipants, map[string]any{"isCompany": "T", "companyName": name, "importExternalReference": ref})
}

// matter creates a matter of the seeded type with p as its client.
func (h *harness) matter(tok tokenReply, name string, p any) map[string]any {
	h.t.Helper()
	return h.create(tok, kActionCreate, map[string]any{
		"actionName": name,
		"links": map[string]any{
			"actionType": h.org.MatterTypeID, "participantType" + strconv.Itoa(h.org.ClientParticipantTypeID): []any{p},
		},
	})
}

// id renders a record id as the URL takes it.
func id(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.Itoa(int(x))
	case string:
		return x
	}
	return ""
}

// orgState is the harness organisation's state.
func (h *harness) orgState() OrgState {
	h.t.Helper()
	st, err := h.s.OrgState(testOrg)
	require.NoError(h.t, err)
	return st
}
