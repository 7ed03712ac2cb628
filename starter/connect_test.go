package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

const (
	clientID     = "6578278e879ad2646715ba9c-megyp358"
	clientSecret = "0b7a4f3e-secret"
)

type connectFixture struct {
	sim     *highlevelsim.Server
	sandbox *httptest.Server
	starter *httptest.Server
	store   *tokens.Store
	company string
	logs    *syncBuffer
}

func newConnectFixture(t *testing.T, autoConsent bool) *connectFixture {
	t.Helper()
	f := &connectFixture{sim: highlevelsim.New(highlevelsim.Options{ClientID: clientID, ClientSecret: clientSecret, AutoConsent: autoConsent})}
	f.sandbox = httptest.NewServer(f.sim)
	t.Cleanup(f.sandbox.Close)
	agency, err := f.sim.CreateAgency(highlevelsim.AgencySpec{Name: "Connect Agency"})
	require.NoError(t, err)
	f.company = agency.Agency.ID

	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	var k config.Key
	require.NoError(t, k.UnmarshalText([]byte(key)))
	f.store, err = tokens.Open(t.Context(), filepath.Join(t.TempDir(), "tokens.db"), k)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.store.Close() })

	hl, err := highlevel.New(f.sandbox.URL, clientID, clientSecret)
	require.NoError(t, err)
	f.logs = &syncBuffer{}
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), f.logs, zap.DebugLevel)

	mux := http.NewServeMux()
	f.starter = httptest.NewUnstartedServer(mux)
	cfg := config.Starter{
		HighLevel: config.HighLevel{
			BaseURL: f.sandbox.URL, AuthURL: f.sandbox.URL + "/v2/oauth/chooselocation",
			ClientID: clientID, ClientSecret: clientSecret, Scopes: []string{"oauth.readonly", "oauth.write"},
		},
		PublicURL: "http://" + f.starter.Listener.Addr().String(),
	}
	newHighLevelConnect(cfg, hl, f.store, zap.New(core)).routes(mux)
	f.starter.Start()
	t.Cleanup(f.starter.Close)
	return f
}

func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestConnectStoresTheAgencyToken(t *testing.T) {
	f := newConnectFixture(t, true)
	status, body := get(t, browser(), f.starter.URL+"/oauth/highlevel/start")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, f.company)

	tok, info, err := f.store.Get(t.Context(), tokens.KeyHighLevelAgency(f.company))
	require.NoError(t, err)
	assert.Equal(t, tokens.StatusActive, info.Status)
	assert.Equal(t, highlevel.UserTypeCompany, info.Attrs["userType"])
	assert.NotEmpty(t, tok.RefreshToken)

	logged := f.logs.String()
	assert.Contains(t, logged, `"msg":"connected"`)
	for _, secret := range f.sim.IssuedTokens().All() {
		assert.NotContains(t, logged, secret, "a token was logged")
	}
}

func TestConnectRedirectsToConsentWithState(t *testing.T) {
	f := newConnectFixture(t, false)
	c := browser()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(f.starter.URL + "/oauth/highlevel/start")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	q := loc.Query()
	assert.Equal(t, "/v2/oauth/chooselocation", loc.Path)
	assert.Equal(t, clientID, q.Get("client_id"))
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, "oauth.readonly oauth.write", q.Get("scope"))
	assert.Equal(t, f.starter.URL+"/oauth/highlevel/callback", q.Get("redirect_uri"))
	require.Len(t, q.Get("state"), 43)
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "saasbridge_highlevel_oauth_state" {
			cookie = ck
		}
	}
	require.NotNil(t, cookie)
	assert.Equal(t, q.Get("state"), cookie.Value)
	assert.True(t, cookie.HttpOnly)
}

func TestCallbackRejectsBadInputAndStoresNothing(t *testing.T) {
	f := newConnectFixture(t, false)
	admin := &highlevelsim.AdminClient{BaseURL: f.sandbox.URL}
	code := func() string {
		c, _, err := admin.Authorize(t.Context(), highlevelsim.AuthorizeRequest{
			ClientID: clientID, RedirectURI: f.starter.URL + "/oauth/highlevel/callback", CompanyID: f.company, Scope: "oauth.readonly",
		})
		require.NoError(t, err)
		return c
	}
	withState := func(state string) *http.Client {
		c := browser()
		u, _ := url.Parse(f.starter.URL + "/oauth/highlevel/")
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "saasbridge_highlevel_oauth_state", Value: state, Path: "/oauth/highlevel/"}})
		return c
	}
	tests := []struct {
		name   string
		client *http.Client
		query  url.Values
		status int
		want   string
	}{
		{"consent denied", withState("s1"), url.Values{"error": {"access_denied"}, "state": {"s1"}}, 400, "did not grant access"},
		{"no state cookie", browser(), url.Values{"code": {code()}, "state": {"s1"}}, 400, "state is missing or does not match"},
		{"state mismatch", withState("s1"), url.Values{"code": {code()}, "state": {"s2"}}, 400, "state is missing or does not match"},
		{"no state param", withState("s1"), url.Values{"code": {code()}}, 400, "state is missing or does not match"},
		{"no code", withState("s1"), url.Values{"state": {"s1"}}, 400, "no authorization code"},
		{"code refused by HighLevel", withState("s1"), url.Values{"code": {"not-a-code"}, "state": {"s1"}}, 502, "HighLevel refused the authorization code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, tt.client, f.starter.URL+"/oauth/highlevel/callback?"+tt.query.Encode())
			assert.Equal(t, tt.status, status, body)
			assert.Contains(t, body, tt.want)
			list, err := f.store.List(t.Context())
			require.NoError(t, err)
			assert.Empty(t, list, "nothing is stored")
		})
	}

	// The state is single use: replaying a good callback fails.
	c := withState("s9")
	status, _ := get(t, c, f.starter.URL+"/oauth/highlevel/callback?"+url.Values{"code": {code()}, "state": {"s9"}}.Encode())
	require.Equal(t, http.StatusOK, status)
	status, body := get(t, c, f.starter.URL+"/oauth/highlevel/callback?"+url.Values{"code": {code()}, "state": {"s9"}}.Encode())
	assert.Equal(t, http.StatusBadRequest, status, body)
}

// syncBuffer collects log output from the handler goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Sync() error { return nil }

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestConnectActionstepStoresTheOrganisationsToken(t *testing.T) {
	sim := actionstepsim.New(actionstepsim.Options{ClientID: "as-client", ClientSecret: "as-secret", AutoConsent: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	org, err := sim.CreateOrg(actionstepsim.OrgSpec{OrgKey: "lawfirm"})
	require.NoError(t, err)

	var k config.Key
	require.NoError(t, k.UnmarshalText([]byte(base64.StdEncoding.EncodeToString(make([]byte, 32)))))
	store, err := tokens.Open(t.Context(), filepath.Join(t.TempDir(), "tokens.db"), k)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	asc, err := actionstep.New(srv.URL+"/api/oauth/token", "as-client", "as-secret")
	require.NoError(t, err)

	mux := http.NewServeMux()
	starter := httptest.NewUnstartedServer(mux)
	cfg := config.Starter{
		Actionstep: config.Actionstep{
			AuthURL: srv.URL + "/api/oauth/authorize", TokenURL: srv.URL + "/api/oauth/token",
			ClientID: "as-client", ClientSecret: "as-secret", OrgKey: "lawfirm", Scopes: []string{"participants", "actions"},
		},
		PublicURL: "http://" + starter.Listener.Addr().String(),
	}
	newActionstepConnect(cfg, asc, store, zap.NewNop()).routes(mux)
	starter.Start()
	t.Cleanup(starter.Close)

	status, body := get(t, browser(), starter.URL+"/oauth/actionstep/start")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, "organisation lawfirm")
	_, info, err := store.Get(t.Context(), tokens.KeyActionstep(org.OrgKey))
	require.NoError(t, err)
	assert.Equal(t, srv.URL+org.APIPath, info.Attrs["api_endpoint"])
	assert.Equal(t, "lawfirm", info.Attrs["orgkey"])

	// A code Actionstep refuses is a 502 with its error, and stores nothing new.
	c := browser()
	u, _ := url.Parse(starter.URL + "/oauth/actionstep/")
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "saasbridge_actionstep_oauth_state", Value: "s", Path: "/oauth/actionstep/"}})
	status, body = get(t, c, starter.URL+"/oauth/actionstep/callback?code=bogus&state=s")
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Contains(t, body, "Actionstep refused the authorization code: invalid_grant")
}
