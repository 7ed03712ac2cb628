package actionstep_test

// Helpers shared by this package's tests, written to be reused by tests against the Actionstep
// simulator: a credential that carries an api_endpoint, one that re-authorizes, a call
// observer, a recording fake API.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/httpapi"
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

// observer collects what WithObserver reports.
type observer struct {
	mu    sync.Mutex
	calls []httpapi.Call
}

func (o *observer) observe(c httpapi.Call) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, c)
}

func (o *observer) snapshot() []httpapi.Call {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.calls)
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
