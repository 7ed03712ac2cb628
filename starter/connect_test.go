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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

const (
	clientID     = "6578278e879ad2646715ba9c-megyp358"
	clientSecret = "0b7a4f3e-secret"
	asClientID   = "as-client"
	asSecret     = "as-secret"
	orgKey       = "lawfirm"
	hlTokenCall  = "POST /oauth/token"
	asTokenCall  = "POST /api/oauth/token"
)

var storeKey = bytes.Repeat([]byte{5}, 32)

// connectFixture is both simulators, a token store, and the starter's connect pages on
// a public and an operator server, as serve lays them out.
type connectFixture struct {
	hl, as           *httptest.Server
	hlSim            *highlevelsim.Server
	asSim            *actionstepsim.Server
	store            *tokens.Store
	public, operator *httptest.Server
	company, foreign string // an agency saasbridge serves, and one it does not
	org              actionstepsim.Org
	logs             *syncBuffer
	conns            map[string]*connector
}

type fixtureOpts struct {
	manualConsent bool // the consent pages wait for a click
	pkce          bool // the starter sends PKCE
	requirePKCE   bool // the simulators insist on it
}

func newConnectFixture(t *testing.T, o fixtureOpts) *connectFixture {
	t.Helper()
	f := &connectFixture{logs: &syncBuffer{}, conns: map[string]*connector{}}
	f.hlSim = highlevelsim.New(highlevelsim.Options{ClientID: clientID, ClientSecret: clientSecret, AutoConsent: !o.manualConsent, RequirePKCE: o.requirePKCE})
	f.hl = httptest.NewServer(f.hlSim)
	t.Cleanup(f.hl.Close)
	f.asSim = actionstepsim.New(actionstepsim.Options{ClientID: asClientID, ClientSecret: asSecret, AutoConsent: !o.manualConsent, RequirePKCE: o.requirePKCE})
	f.as = httptest.NewServer(f.asSim)
	t.Cleanup(f.as.Close)
	// The first agency is the one auto-consent picks.
	served, err := f.hlSim.CreateAgency(highlevelsim.AgencySpec{Name: "Connect Agency"})
	require.NoError(t, err)
	stranger, err := f.hlSim.CreateAgency(highlevelsim.AgencySpec{Name: "Stranger Agency"})
	require.NoError(t, err)
	f.company, f.foreign = served.Agency.ID, stranger.Agency.ID
	f.org, err = f.asSim.CreateOrg(actionstepsim.OrgSpec{OrgKey: orgKey})
	require.NoError(t, err)
	f.store, err = tokens.Open(t.Context(), filepath.Join(t.TempDir(), "tokens.db"), storeKey)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.store.Close() })

	pub, op := http.NewServeMux(), http.NewServeMux()
	f.public, f.operator = httptest.NewUnstartedServer(pub), httptest.NewServer(op)
	t.Cleanup(f.operator.Close)
	cfg := config.Starter{
		Common: config.Common{
			HighLevel: config.HighLevel{
				BaseURL: f.hl.URL, AuthURL: f.hl.URL + "/v2/oauth/chooselocation",
				ClientID: clientID, ClientSecret: clientSecret, Scopes: []string{"oauth.readonly", "oauth.write"},
			},
			Actionstep: config.Actionstep{
				AuthURL: f.as.URL + "/api/oauth/authorize", TokenURL: f.as.URL + "/api/oauth/token",
				ClientID: asClientID, ClientSecret: asSecret, OrgKey: orgKey, Scopes: []string{"participants", "users"},
			},
		},
		CompanyIDs: []string{f.company}, PublicURL: "http://" + f.public.Listener.Addr().String(),
		HighLevelPKCE: config.Switch(o.pkce), ActionstepPKCE: config.Switch(o.pkce),
	}
	flows, err := newFlowSigner(storeKey, time.Now)
	require.NoError(t, err)
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), f.logs, zap.DebugLevel))
	hl, err := highlevel.New(f.hl.URL, clientID, clientSecret)
	require.NoError(t, err)
	asc, err := actionstep.New(f.as.URL+"/api/oauth/token", asClientID, asSecret)
	require.NoError(t, err)
	f.conns["highlevel"] = newHighLevelConnect(cfg, hl, f.store, flows, logger)
	f.conns["actionstep"] = newActionstepConnect(cfg, asc, f.store, flows, logger)
	for _, c := range f.conns {
		c.publicRoutes(pub)
		c.operatorRoutes(op)
	}
	f.public.Start()
	t.Cleanup(f.public.Close)
	return f
}

func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

func noRedirects(c *http.Client) *http.Client {
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// tokenCalls counts the simulators' token-endpoint calls: a refused callback makes none.
func (f *connectFixture) tokenCalls() int {
	return f.hlSim.Calls().Count(hlTokenCall, 0) + f.asSim.Calls().Count(asTokenCall, 0)
}

// flow is one connect flow begun in a browser: the consent URL the starter sent it to,
// its state, and the browser's state cookie.
type flow struct {
	consent *url.URL
	state   string
	cookie  *http.Cookie
	browser *http.Client
}

// begin runs start (operator) and begin (public) without following the provider's
// redirect.
func (f *connectFixture) begin(t *testing.T, provider, query string) flow {
	t.Helper()
	c := noRedirects(browser())
	resp, err := c.Get(f.operator.URL + "/oauth/" + provider + "/start" + query)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	begin, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, f.public.URL+"/oauth/"+provider+"/begin", begin.Scheme+"://"+begin.Host+begin.Path, "start sends the browser to the public begin page")
	resp, err = c.Get(begin.String())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	consent, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	fl := flow{consent: consent, state: consent.Query().Get("state"), browser: c}
	for _, ck := range resp.Cookies() {
		if strings.Contains(ck.Name, provider+"_oauth") {
			fl.cookie = ck
		}
	}
	require.NotNil(t, fl.cookie, "begin sets the state cookie")
	return fl
}

// finish follows the flow through the (auto-)consent page to the callback.
func (fl flow) finish(t *testing.T, consentParams url.Values) (int, string) {
	t.Helper()
	u := *fl.consent
	q := u.Query()
	for k, v := range consentParams {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	fl.browser.CheckRedirect = nil
	return get(t, fl.browser, u.String())
}

func TestConnectStoresTheAgencyToken(t *testing.T) {
	f := newConnectFixture(t, fixtureOpts{})
	status, body := get(t, browser(), f.operator.URL+"/oauth/highlevel/start")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, f.company)

	tok, info, err := f.store.Get(t.Context(), tokens.KeyHighLevelAgency(f.company))
	require.NoError(t, err)
	assert.Equal(t, tokens.StatusActive, info.Status)
	assert.Equal(t, highlevel.UserTypeCompany, info.Attrs["userType"])
	assert.NotEmpty(t, tok.RefreshToken)

	logged := f.logs.String()
	assert.Contains(t, logged, `"msg":"connected"`)
	for _, secret := range f.hlSim.IssuedTokens().All() {
		assert.NotContains(t, logged, secret, "a token was logged")
	}
}

// TestConnectFlowBindsStateToTheBrowser: the state sent to the provider is signed and
// carries only a digest of the browser's cookie; the cookie is HttpOnly, SameSite=Lax,
// scoped to the flow and short-lived; PKCE is sent only when configured.
func TestConnectFlowBindsStateToTheBrowser(t *testing.T) {
	for _, pkce := range []bool{false, true} {
		t.Run("pkce="+strconv.FormatBool(pkce), func(t *testing.T) {
			f := newConnectFixture(t, fixtureOpts{manualConsent: true, pkce: pkce})
			fl := f.begin(t, "highlevel", "")
			q := fl.consent.Query()
			assert.Equal(t, "/v2/oauth/chooselocation", fl.consent.Path)
			assert.Equal(t, clientID, q.Get("client_id"))
			assert.Equal(t, "code", q.Get("response_type"))
			assert.Equal(t, "oauth.readonly oauth.write", q.Get("scope"))
			assert.Equal(t, f.public.URL+"/oauth/highlevel/callback", q.Get("redirect_uri"))
			assert.Equal(t, 1, strings.Count(fl.state, "."), "state is claims.signature")
			assert.NotContains(t, fl.state, fl.cookie.Value, "the state does not carry the cookie's secret")
			assert.Equal(t, "saasbridge_highlevel_oauth", fl.cookie.Name)
			assert.Equal(t, "/oauth/highlevel/", fl.cookie.Path)
			assert.True(t, fl.cookie.HttpOnly)
			assert.Equal(t, http.SameSiteLaxMode, fl.cookie.SameSite)
			assert.Equal(t, int(stateTTL.Seconds()), fl.cookie.MaxAge)
			if pkce {
				assert.Equal(t, "S256", q.Get("code_challenge_method"))
				assert.Equal(t, pkceChallenge(f.conns["highlevel"].flows.pkceVerifier(fl.cookie.Value)), q.Get("code_challenge"))
			} else {
				assert.False(t, q.Has("code_challenge"), "no PKCE unless configured")
			}
		})
	}
}

// TestStateCookieOnHTTPS: behind an https public URL the cookie is a __Host- cookie:
// Secure, path /, no domain, so no other host or path can plant or read it.
func TestStateCookieOnHTTPS(t *testing.T) {
	f := newConnectFixture(t, fixtureOpts{})
	c := *f.conns["highlevel"]
	c.secure, c.publicURL = true, "https://bridge.example.com"
	ticket := c.flows.sign(purposeTick, flowClaims{Provider: "highlevel"}, ticketTTL)
	rec := httptest.NewRecorder()
	c.begin(rec, httptest.NewRequest(http.MethodGet, "https://bridge.example.com/oauth/highlevel/begin?ticket="+url.QueryEscape(ticket), nil))
	require.Equal(t, http.StatusFound, rec.Code)
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	assert.Equal(t, "__Host-saasbridge_highlevel_oauth", cookies[0].Name)
	assert.True(t, cookies[0].Secure)
	assert.Equal(t, "/", cookies[0].Path)
	assert.Empty(t, cookies[0].Domain)
}

// TestCallbackRejectsBadInputAndStoresNothing is the callback's bad-input table: every
// forged, stale or foreign callback is refused with a fixed message, stores nothing, and
// makes no call to the provider (the simulators count their token-endpoint calls).
func TestCallbackRejectsBadInputAndStoresNothing(t *testing.T) {
	f := newConnectFixture(t, fixtureOpts{manualConsent: true})
	fl := f.begin(t, "highlevel", "")
	other := f.begin(t, "highlevel", "")
	asFlow := f.begin(t, "actionstep", "")
	code := "0123456789abcdef0123456789abcdef01234567"
	stale, err := newFlowSigner(storeKey, func() time.Time { return time.Now().Add(-stateTTL - time.Second) })
	require.NoError(t, err)
	strangerKey, err := newFlowSigner(bytes.Repeat([]byte{6}, 32), time.Now)
	require.NoError(t, err)
	body, sig, _ := strings.Cut(fl.state, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(body)
	retargeted := base64.RawURLEncoding.EncodeToString(bytes.Replace(claims, []byte(`"p":"highlevel"`), []byte(`"p":"actionstep"`), 1)) + "." + sig
	reflected := "<script>alert(1)</script>" + strings.Repeat("A", 10_000)

	tests := []struct {
		name   string
		cookie *http.Cookie
		query  url.Values
		status int
		want   string
	}{
		{"consent denied", fl.cookie, url.Values{"error": {"access_denied"}, "error_description": {reflected}, "state": {fl.state}}, 400, "HighLevel agency did not connect: access was not granted"},
		{"unknown provider error, reflected and huge", fl.cookie, url.Values{"error": {reflected}, "state": {fl.state}}, 400, "the provider reported an error"},
		{"no state cookie", nil, url.Values{"code": {code}, "state": {fl.state}}, 400, "state is missing, invalid or expired"},
		{"another browser's cookie", other.cookie, url.Values{"code": {code}, "state": {fl.state}}, 400, "state is missing, invalid or expired"},
		{"no state", fl.cookie, url.Values{"code": {code}}, 400, "state is missing, invalid or expired"},
		{"made-up state", fl.cookie, url.Values{"code": {code}, "state": {"s1"}}, 400, "state is missing, invalid or expired"},
		{"state signed with another key", fl.cookie, url.Values{"code": {code}, "state": {strangerKey.sign(purposeState, flowClaims{Provider: "highlevel", Binding: binding(fl.cookie.Value)}, stateTTL)}}, 400, "state is missing"},
		{"expired state", fl.cookie, url.Values{"code": {code}, "state": {stale.sign(purposeState, flowClaims{Provider: "highlevel", Binding: binding(fl.cookie.Value)}, stateTTL)}}, 400, "state is missing"},
		{"a ticket passed off as a state", fl.cookie, url.Values{"code": {code}, "state": {f.conns["highlevel"].flows.sign(purposeTick, flowClaims{Provider: "highlevel", Binding: binding(fl.cookie.Value)}, ticketTTL)}}, 400, "state is missing"},
		{"claims edited under the signature", fl.cookie, url.Values{"code": {code}, "state": {retargeted}}, 400, "state is missing"},
		{"another provider's state", asFlow.cookie, url.Values{"code": {code}, "state": {asFlow.state}}, 400, "state is missing"},
		{"huge state", fl.cookie, url.Values{"code": {code}, "state": {strings.Repeat("a", 5000) + "." + sig}}, 400, "state is missing"},
		{"no code", fl.cookie, url.Values{"state": {fl.state}}, 400, "no usable authorization code"},
		{"huge code", fl.cookie, url.Values{"code": {strings.Repeat("c", maxCodeLen+1)}, "state": {fl.state}}, 400, "no usable authorization code"},
	}
	before := f.tokenCalls()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, f.public.URL+"/oauth/highlevel/callback?"+tt.query.Encode(), nil)
			require.NoError(t, err)
			if tt.cookie != nil {
				req.AddCookie(&http.Cookie{Name: "saasbridge_highlevel_oauth", Value: tt.cookie.Value})
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode, "%.200s", b)
			assert.Contains(t, string(b), tt.want)
			assert.Less(t, len(b), 300, "the answer is a fixed message")
			assert.NotContains(t, string(b), "<script>", "the request is not reflected")
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			list, err := f.store.List(t.Context())
			require.NoError(t, err)
			assert.Empty(t, list, "nothing is stored")
		})
	}
	assert.Equal(t, before, f.tokenCalls(), "no refused callback called the provider")
	for _, line := range strings.Split(f.logs.String(), "\n") {
		assert.Less(t, len(line), 1000, "a log line carries the reflected input uncapped")
	}
	assert.NotContains(t, f.logs.String(), "<script>")

	// A code the provider refuses is its one call, answered 502 with its (capped) message.
	status, b := fl.finish(t, url.Values{"company_id": {f.company}})
	require.Equal(t, http.StatusOK, status, b)
	require.NoError(t, f.store.Delete(t.Context(), tokens.KeyHighLevelAgency(f.company)))
	bad := f.begin(t, "highlevel", "")
	req, _ := http.NewRequest(http.MethodGet, f.public.URL+"/oauth/highlevel/callback?"+url.Values{"code": {code}, "state": {bad.state}}.Encode(), nil)
	req.AddCookie(bad.cookie)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b2, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Contains(t, string(b2), "HighLevel refused the authorization code")
}

// TestCallbackStateIsSingleUse: a browser that finished a flow cannot replay its callback.
func TestCallbackStateIsSingleUse(t *testing.T) {
	f := newConnectFixture(t, fixtureOpts{manualConsent: true})
	fl := f.begin(t, "highlevel", "")
	noRedirects(fl.browser)
	form := url.Values{"company_id": {f.company}}
	for k, v := range fl.consent.Query() {
		form[k] = v
	}
	resp, err := fl.browser.PostForm(f.hl.URL+fl.consent.Path, form)
	require.NoError(t, err)
	resp.Body.Close()
	callback := resp.Header.Get("Location")
	status, body := get(t, fl.browser, callback)
	require.Equal(t, http.StatusOK, status, body)
	status, body = get(t, fl.browser, callback)
	assert.Equal(t, http.StatusBadRequest, status, body)
	assert.Contains(t, body, "state is missing, invalid or expired")
}

// TestBeginNeedsATicket: the public begin page redirects nowhere and sets no cookie
// without a ticket from the operator listener.
func TestBeginNeedsATicket(t *testing.T) {
	f := newConnectFixture(t, fixtureOpts{})
	flows := f.conns["highlevel"].flows
	expired, err := newFlowSigner(storeKey, func() time.Time { return time.Now().Add(-ticketTTL - time.Second) })
	require.NoError(t, err)
	for name, ticket := range map[string]string{
		"none":                    "",
		"made up":                 "abc.def",
		"expired":                 expired.sign(purposeTick, flowClaims{Provider: "highlevel"}, ticketTTL),
		"another provider's":      flows.sign(purposeTick, flowClaims{Provider: "actionstep"}, ticketTTL),
		"a state, not a ticket":   flows.sign(purposeState, flowClaims{Provider: "highlevel"}, stateTTL),
		"longer than any of ours": strings.Repeat("t", maxTokenLen+1),
	} {
		resp, err := noRedirects(browser()).Get(f.public.URL + "/oauth/highlevel/begin?ticket=" + url.QueryEscape(ticket))
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
		assert.Contains(t, string(b), "invalid or has expired", name)
		assert.Empty(t, resp.Cookies(), name)
		assert.Empty(t, resp.Header.Get("Location"), name)
	}
	status, _ := get(t, browser(), f.public.URL+"/oauth/highlevel/start")
	assert.Equal(t, http.StatusNotFound, status, "the start page is on the operator listener only")
}

// TestConnectRefusesAForeignAgency: an agency outside HIGHLEVEL_COMPANY_IDS cannot
// connect, even through a flow an operator started.
func TestConnectRefusesAForeignAgency(t *testing.T) {
	f := newConnectFixture(t, fixtureOpts{})
	status, body := f.begin(t, "highlevel", "").finish(t, url.Values{"company_id": {f.foreign}})
	assert.Equal(t, http.StatusForbidden, status, body)
	assert.Contains(t, body, "is not one saasbridge serves")
	list, err := f.store.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, list)
}

// TestConnectWithPKCE: with PKCE on, both flows succeed against simulators that insist
// on it; with it off, they refuse the authorization request.
func TestConnectWithPKCE(t *testing.T) {
	f := newConnectFixture(t, fixtureOpts{pkce: true, requirePKCE: true})
	for _, provider := range []string{"highlevel", "actionstep"} {
		status, body := get(t, browser(), f.operator.URL+"/oauth/"+provider+"/start")
		assert.Equal(t, http.StatusOK, status, "%s: %s", provider, body)
	}
	list, err := f.store.List(t.Context())
	require.NoError(t, err)
	assert.Len(t, list, 2)

	off := newConnectFixture(t, fixtureOpts{requirePKCE: true})
	for _, provider := range []string{"highlevel", "actionstep"} {
		status, body := get(t, browser(), off.operator.URL+"/oauth/"+provider+"/start")
		assert.Equal(t, http.StatusBadRequest, status, provider)
		assert.Contains(t, body, "code_challenge is required", provider)
	}
}

func TestConnectActionstepStoresTheOrganisationsToken(t *testing.T) {
	f := newConnectFixture(t, fixtureOpts{})
	status, body := get(t, browser(), f.operator.URL+"/oauth/actionstep/start")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, "organisation lawfirm as user "+strconv.Itoa(f.org.UserID))
	_, info, err := f.store.Get(t.Context(), tokens.KeyActionstep(orgKey))
	require.NoError(t, err)
	assert.Equal(t, f.as.URL+f.org.APIPath, info.Attrs["api_endpoint"])
	assert.Equal(t, orgKey, info.Attrs["orgkey"])
	assert.Equal(t, strconv.Itoa(f.org.UserID), info.Attrs[credentials.AttrUserID])
}

// TestConnectActionstepRefusesAnotherOrganisation: a user of another organisation is
// not stored at all.
func TestConnectActionstepRefusesAnotherOrganisation(t *testing.T) {
	f := newConnectFixture(t, fixtureOpts{})
	_, err := f.asSim.CreateOrg(actionstepsim.OrgSpec{OrgKey: "otherfirm"})
	require.NoError(t, err)
	status, body := f.begin(t, "actionstep", "").finish(t, url.Values{"orgkey": {"otherfirm"}})
	assert.Equal(t, http.StatusForbidden, status, body)
	assert.Contains(t, body, "saasbridge writes to lawfirm (ACTIONSTEP_ORG_KEY)")
	list, err := f.store.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, list)
}

// TestConnectActionstepRefusesAnotherUser: a connect by another user than the connected
// one is refused and leaves the stored credential alone, until an operator confirms that
// very user on the start page.
func TestConnectActionstepRefusesAnotherUser(t *testing.T) {
	f := newConnectFixture(t, fixtureOpts{})
	key := tokens.KeyActionstep(orgKey)
	require.NoError(t, f.store.Put(t.Context(), key, tokens.Token{
		AccessToken: "dedicated-user-access", RefreshToken: "dedicated-user-refresh",
		Attrs: map[string]string{credentials.AttrOrgKey: orgKey, credentials.AttrUserID: "999"},
	}))
	simUser := strconv.Itoa(f.org.UserID)
	for _, query := range []string{"", "?replace_user=12345"} {
		status, body := get(t, browser(), f.operator.URL+"/oauth/actionstep/start"+query)
		assert.Equal(t, http.StatusConflict, status, "%q: %s", query, body)
		assert.Contains(t, body, "connected as Actionstep user 999, and this sign-in is user "+simUser)
		assert.Contains(t, body, "/oauth/actionstep/start?replace_user="+simUser)
		tok, _, err := f.store.Get(t.Context(), key)
		require.NoError(t, err)
		assert.Equal(t, "dedicated-user-access", tok.AccessToken, "the connected user's token is untouched")
	}
	status, body := get(t, browser(), f.operator.URL+"/oauth/actionstep/start?replace_user=not-a-number")
	assert.Equal(t, http.StatusBadRequest, status, body)
	status, body = get(t, browser(), f.operator.URL+"/oauth/highlevel/start?replace_user="+simUser)
	assert.Equal(t, http.StatusBadRequest, status, "HighLevel has no replacement to confirm: %s", body)

	status, body = get(t, browser(), f.operator.URL+"/oauth/actionstep/start?replace_user="+simUser)
	require.Equal(t, http.StatusOK, status, body)
	tok, info, err := f.store.Get(t.Context(), key)
	require.NoError(t, err)
	assert.NotEqual(t, "dedicated-user-access", tok.AccessToken)
	assert.Equal(t, simUser, info.Attrs[credentials.AttrUserID])
	assert.Contains(t, f.logs.String(), "Actionstep user replaced, as an operator confirmed")
	// The same user again needs no confirmation.
	status, body = get(t, browser(), f.operator.URL+"/oauth/actionstep/start")
	assert.Equal(t, http.StatusOK, status, body)
}

func TestLogSafe(t *testing.T) {
	assert.Equal(t, "abc", logSafe("a\nb\x00c", 10))
	assert.Equal(t, "aaaa…", logSafe("aaaaaaaa", 4))
	assert.Equal(t, "é…", logSafe("ééé", 3), "cut on a rune boundary")
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
