package actionstep_test

// Helpers shared by this package's tests: a credential that carries an api_endpoint, one that
// re-authorizes, a call observer, a recording fake API; and, for the sandbox tests
// (TestSandbox*), the Actionstep simulator (internal/sandbox/actionstepsim) on a real HTTP
// server with a session and a wire log. The fake-API tests pin the exact requests; the sandbox
// tests pin that client and simulator agree.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/httpapi/httpapitest"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

const (
	testClientID     = "saasbridge-test"
	testClientSecret = "client-secret-NEVER-LOGGED"
	testAccessToken  = "access-token-NEVER-LOGGED"
	testRedirect     = "https://bridge.example.com/oauth/actionstep/callback"
)

// credential returns a token source whose tokens carry apiEndpoint.
func credential(accessToken, apiEndpoint string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(actionstep.WithAPIEndpoint(&oauth2.Token{AccessToken: accessToken}, apiEndpoint))
}

// reauthSource serves tokens in turn: Token/TokenContext return the current one, Reauthorize
// moves to the next (as a refresh would, possibly with a new api_endpoint) and records the
// token it was told was rejected.
type reauthSource struct {
	mu       sync.Mutex
	tokens   []*oauth2.Token
	current  int
	rejected []string
	ctxCalls int
}

var (
	_ httpapi.Reauthorizer       = (*reauthSource)(nil)
	_ httpapi.ContextTokenSource = (*reauthSource)(nil)
)

func newReauthSource(tokens ...*oauth2.Token) *reauthSource { return &reauthSource{tokens: tokens} }

func (s *reauthSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[s.current], nil
}

func (s *reauthSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	s.ctxCalls++
	s.mu.Unlock()
	return s.Token()
}

func (s *reauthSource) Reauthorize(_ context.Context, rejected *oauth2.Token) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = append(s.rejected, rejected.AccessToken)
	if s.current < len(s.tokens)-1 {
		s.current++
	}
	return s.tokens[s.current], nil
}

// received is one request as it reached the fake API.
type received struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// fakeAPI is an httptest server that records every request and answers with reply.
type fakeAPI struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []received
	reply http.HandlerFunc
}

func newFakeAPI(t *testing.T, reply http.HandlerFunc) *fakeAPI {
	t.Helper()
	f := &fakeAPI{reply: reply}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, received{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.reply(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// apiEndpoint is the api_endpoint a token response of this server would carry.
func (f *fakeAPI) apiEndpoint() string { return f.srv.URL + "/api/" }

func (f *fakeAPI) requests() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

// client returns a client whose token endpoint is this server's /api/oauth/token, bound to a
// static credential for this server's api_endpoint.
func (f *fakeAPI) client(t *testing.T, opts ...actionstep.Option) *actionstep.Client {
	t.Helper()
	return newClient(t, f.srv.URL+"/api/oauth/token", opts...).As(credential(testAccessToken, f.apiEndpoint()))
}

func newClient(t *testing.T, tokenURL string, opts ...actionstep.Option) *actionstep.Client {
	t.Helper()
	c, err := actionstep.New(tokenURL, testClientID, testClientSecret, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// reply answers with status, the API's media type and body (none when body is "").
func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if body != "" {
			w.Header().Set("Content-Type", "application/vnd.api+json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// requireAPIError asserts err is an *APIError with the status and returns it.
func requireAPIError(t *testing.T, err error, status int) *actionstep.APIError {
	t.Helper()
	var api *actionstep.APIError
	require.True(t, errors.As(err, &api), "want *APIError, got %T: %v", err, err)
	require.Equal(t, status, api.StatusCode)
	return api
}

// --- the simulator environment of the sandbox tests --------------------------------------

const simOrgKey = "acmelaw"

// simEnv is a simulator behind an httptest server with one organisation, and a client whose
// every exchange is recorded.
type simEnv struct {
	t     *testing.T
	sim   *actionstepsim.Server
	srv   *httptest.Server
	admin *actionstepsim.AdminClient
	org   actionstepsim.Org
	wire  *wireLog
	obs   *httpapitest.Recorder[httpapi.Call]
	api   *actionstep.Client // not bound: the token endpoint only
}

func newSimEnv(t *testing.T, opts actionstepsim.Options) *simEnv {
	t.Helper()
	opts.ClientID, opts.ClientSecret = testClientID, testClientSecret
	sim := actionstepsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	org, err := sim.CreateOrg(actionstepsim.OrgSpec{OrgKey: simOrgKey, Name: "Acme Law"})
	require.NoError(t, err)
	wire := &wireLog{next: srv.Client().Transport}
	obs := &httpapitest.Recorder[httpapi.Call]{}
	api := newClient(t, srv.URL+"/api/oauth/token",
		actionstep.WithHTTPClient(&http.Client{Transport: wire, Timeout: 10 * time.Second}),
		actionstep.WithObserver(obs.Observe))
	return &simEnv{t: t, sim: sim, srv: srv, admin: &actionstepsim.AdminClient{BaseURL: srv.URL, HTTP: srv.Client()},
		org: org, wire: wire, obs: obs, api: api}
}

// authorize plays the user on the consent page and exchanges the code.
func (e *simEnv) authorize(scope string) *actionstep.TokenResponse {
	e.t.Helper()
	ctx := e.t.Context()
	code, state, err := e.admin.Authorize(ctx, actionstepsim.AuthorizeRequest{
		ClientID: testClientID, RedirectURI: testRedirect, Scope: scope, State: "state-1", OrgKey: simOrgKey,
	})
	require.NoError(e.t, err)
	require.Equal(e.t, "state-1", state)
	tr, err := e.api.ExchangeCode(ctx, code, testRedirect)
	require.NoError(e.t, err)
	return tr
}

// login authorizes and returns a client bound to a session that really refreshes.
func (e *simEnv) login(scope string) (*actionstep.Client, *session) {
	e.t.Helper()
	s := &session{api: e.api, tok: e.authorize(scope).OAuth2(time.Now())}
	return e.api.As(s), s
}

func (e *simEnv) state() actionstepsim.OrgState {
	e.t.Helper()
	st, err := e.sim.OrgState(simOrgKey)
	require.NoError(e.t, err)
	return st
}

// The seeded organisation's ids.
func (e *simEnv) matterType() actionstep.ID { return simID(e.org.MatterTypeID) }
func (e *simEnv) clientType() actionstep.ID { return simID(e.org.ClientParticipantTypeID) }
func (e *simEnv) collection() actionstep.ID { return simID(e.org.DataCollectionID) }
func (e *simEnv) userContact() actionstep.ID {
	return simID(e.org.UserParticipantID)
}

func simID(n int) actionstep.ID { return actionstep.ID(strconv.Itoa(n)) }

// session is a credential as the worker keeps one: the current token pair, replaced by a real
// refresh through the client when the API rejects the access token.
type session struct {
	api       *actionstep.Client
	mu        sync.Mutex
	tok       *oauth2.Token
	refreshes int
	rejected  []string
}

var (
	_ httpapi.Reauthorizer       = (*session)(nil)
	_ httpapi.ContextTokenSource = (*session)(nil)
)

func (s *session) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

func (s *session) TokenContext(context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok, nil
}

func (s *session) Reauthorize(ctx context.Context, rejected *oauth2.Token) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = append(s.rejected, rejected.AccessToken)
	if rejected.AccessToken != s.tok.AccessToken {
		return s.tok, nil // replaced meanwhile
	}
	return s.refreshLocked(ctx)
}

func (s *session) refresh(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshLocked(ctx)
}

func (s *session) refreshLocked(ctx context.Context) (*oauth2.Token, error) {
	tr, err := s.api.RefreshToken(ctx, s.tok.RefreshToken)
	if err != nil {
		return nil, err
	}
	s.tok = tr.OAuth2(time.Now())
	s.refreshes++
	return s.tok, nil
}

func (s *session) current() *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok
}

// exchange is one request as it went over the wire, and its answer.
type exchange struct {
	method     string
	url        *url.URL
	header     http.Header
	body       []byte
	status     int // 0 when no answer came
	respHeader http.Header
	resp       []byte
}

// wireLog is the client's transport: it records every exchange and can tamper with requests
// to provoke the errors a correct client never causes.
type wireLog struct {
	next   http.RoundTripper
	mu     sync.Mutex
	tamper func(r *http.Request, body []byte) []byte
	log    []exchange
}

func (w *wireLog) setTamper(f func(r *http.Request, body []byte) []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tamper = f
}

func (w *wireLog) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	out := req.Clone(req.Context())
	w.mu.Lock()
	tamper := w.tamper
	w.mu.Unlock()
	if tamper != nil {
		body = tamper(out, body)
	}
	if req.Body != nil {
		out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	ex := exchange{method: out.Method, url: out.URL, header: out.Header.Clone(), body: body}
	resp, err := w.next.RoundTrip(out)
	if err == nil {
		b, rerr := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if rerr != nil {
			return nil, rerr
		}
		ex.status, ex.respHeader, ex.resp = resp.StatusCode, resp.Header.Clone(), b
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	w.mu.Lock()
	w.log = append(w.log, ex)
	w.mu.Unlock()
	return resp, err
}

func (w *wireLog) all() []exchange {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.log)
}

// last is the latest exchange of method whose path ends in suffix.
func (w *wireLog) last(t *testing.T, method, suffix string) exchange {
	t.Helper()
	log := w.all()
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].method == method && strings.HasSuffix(log[i].url.Path, suffix) {
			return log[i]
		}
	}
	require.Failf(t, "no such exchange", "%s …%s", method, suffix)
	return exchange{}
}

// jsonObject decodes a body that must be a JSON object.
func jsonObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), "body: %s", b)
	return m
}

// provisioned is what onboarding creates for one location and its subscription.
type provisioned struct {
	participant, action, record actionstep.ID
}

// provision creates a company participant, its subscription matter (the participant linked as
// the client) and the matter's saas_subscription record.
func (e *simEnv) provision(c *actionstep.Client, ref string) provisioned {
	e.t.Helper()
	ctx := e.t.Context()
	p, err := c.CreateParticipant(ctx, actionstep.ParticipantFields{
		IsCompany: new(actionstep.Bool(true)), CompanyName: new("Acme Dental " + ref), ImportExternalReference: new("loc_" + ref),
	})
	require.NoError(e.t, err)
	a, err := c.CreateAction(ctx, actionstep.NewAction{
		Name: "Acme Dental " + ref + ": SaaS subscription", Reference: "sub_" + ref, ActionType: e.matterType(),
		AssignedTo: e.userContact(), Participants: map[actionstep.ID][]actionstep.ID{e.clientType(): {p.ID}},
	})
	require.NoError(e.t, err)
	r, err := c.CreateDataCollectionRecord(ctx, a.ID, e.collection())
	require.NoError(e.t, err)
	return provisioned{participant: p.ID, action: a.ID, record: r.ID}
}
