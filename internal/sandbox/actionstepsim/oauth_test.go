package actionstepsim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCodeFlow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		basic bool // client credentials in HTTP Basic instead of the form
	}{{"form credentials", false}, {"basic credentials", true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{AutoConsent: true})
			q := url.Values{
				"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect},
				"scope": {"participants actions users"}, "state": {"xyz 1"},
			}
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := noRedirect.Get(h.url + authorizePath + "?" + q.Encode())
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusFound, resp.StatusCode)
			loc, err := url.Parse(resp.Header.Get("Location"))
			require.NoError(t, err)
			assert.Equal(t, "app.example.com", loc.Host)
			assert.Equal(t, "xyz 1", loc.Query().Get("state"), "state is echoed")
			code := loc.Query().Get("code")
			require.Len(t, code, 40)

			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}}
			header := formHeader.Clone()
			if tc.basic {
				header.Set("Authorization", "Basic "+basic(testClientID, testClientSecret))
			} else {
				form.Set("client_id", testClientID)
				form.Set("client_secret", testClientSecret)
			}
			r := h.send(http.MethodPost, h.url+tokenPath, header, form).requireStatus(t, http.StatusOK)
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			var raw map[string]any
			require.NoError(t, json.Unmarshal(r.Body, &raw))
			assert.ElementsMatch(t, []string{"access_token", "token_type", "expires_in", "api_endpoint", "orgkey", "refresh_token"}, keys(raw))
			var tok tokenReply
			require.NoError(t, json.Unmarshal(r.Body, &tok))
			assert.Equal(t, "bearer", tok.TokenType)
			assert.Equal(t, 3600, tok.ExpiresIn)
			assert.Equal(t, h.url+"/api/"+testOrg+"/", tok.APIEndpoint)
			assert.Equal(t, testOrg, tok.OrgKey)
			assert.True(t, strings.HasPrefix(tok.AccessToken, accessTokenPrefix))
			assert.True(t, strings.HasPrefix(tok.RefreshToken, refreshTokenPrefix))

			h.api(tok, http.MethodGet, "rest/users/current", nil).requireStatus(t, http.StatusOK)
			again := h.send(http.MethodPost, h.url+tokenPath, header, form)
			assert.JSONEq(t, `{"error":"invalid_grant","error_description":"Authorization code doesn't exist or is invalid for the client",`+
				`"error_uri":"http://tools.ietf.org/html/rfc6749#section-4.1.3"}`, string(again.requireStatus(t, 400).Body), "codes are single use")
		})
	}
}

func basic(user, pass string) string {
	req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestConsentPage(t *testing.T) {
	h := newHarness(t, Options{})
	_, err := h.s.CreateOrg(OrgSpec{OrgKey: "otherorg", Name: "Other & Sons"})
	require.NoError(t, err)
	valid := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect}, "scope": {"all"}, "state": {"s"}}
	page := h.send(http.MethodGet, h.url+authorizePath+"?"+valid.Encode(), nil, nil).requireStatus(t, http.StatusOK)
	assert.Contains(t, string(page.Body), "Acme Law")
	assert.Contains(t, string(page.Body), "Other &amp; Sons", "names are escaped")
	assert.Contains(t, string(page.Body), `name="orgkey" value="otherorg"`)

	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"response type", "response_type", "token", "response_type must be code"},
		{"client", "client_id", "nope", "unknown client_id"},
		{"redirect", "redirect_uri", "/relative", "absolute URL"},
		{"scope", "scope", " ", "scope is required"},
		{"org", "orgkey", "ghost", "unknown orgkey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range valid {
				form[k] = v
			}
			form.Set(tc.key, tc.value)
			r := h.send(http.MethodPost, h.url+authorizePath, formHeader, form).requireStatus(t, http.StatusBadRequest)
			assert.Contains(t, string(r.Body), tc.want)
		})
	}

	code, _, err := h.admin.Authorize(t.Context(), AuthorizeRequest{
		ClientID: testClientID, RedirectURI: testRedirect, Scope: "all", OrgKey: "otherorg",
	})
	require.NoError(t, err)
	tok := h.tokenRequest(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"client_id": {testClientID}, "client_secret": {testClientSecret}})
	assert.Contains(t, string(tok.requireStatus(t, 200).Body), `"orgkey":"otherorg"`, "the chosen organisation is granted")
}

func TestTokenEndpointErrors(t *testing.T) {
	h := newHarness(t, Options{})
	creds := url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret}}
	with := func(extra url.Values) url.Values {
		v := url.Values{}
		for k, vs := range creds {
			v[k] = vs
		}
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}
	expiredCode := h.authorize(testOrg, "all")
	for _, tc := range []struct {
		name    string
		form    url.Values
		advance time.Duration
		status  int
		err     string
		desc    string
	}{
		{"wrong secret", url.Values{"client_id": {testClientID}, "client_secret": {"x"}, "grant_type": {"refresh_token"}},
			0, 401, "invalid_client", "The client credentials are invalid"},
		{"no client", url.Values{"grant_type": {"refresh_token"}}, 0, 400, "invalid_client", "Client credentials were not found in the headers or body"},
		{"no grant type", with(nil), 0, 400, "invalid_request", "The grant type was not specified in the request"},
		{"client credentials grant", with(url.Values{"grant_type": {"client_credentials"}}), 0, 400, "unsupported_grant_type",
			`Grant type "client_credentials" not supported`},
		{"no code", with(url.Values{"grant_type": {"authorization_code"}}), 0, 400, "invalid_request", `Missing parameter: "code" is required`},
		{"unknown code", with(url.Values{"grant_type": {"authorization_code"}, "code": {"abc"}, "redirect_uri": {testRedirect}}),
			0, 400, "invalid_grant", "Authorization code doesn't exist or is invalid for the client"},
		{"redirect mismatch", with(url.Values{"grant_type": {"authorization_code"}, "code": {h.authorize(testOrg, "all")}, "redirect_uri": {"https://evil.example/cb"}}),
			0, 400, "invalid_grant", "The redirect URI is missing or do not match"},
		{"expired code", with(url.Values{"grant_type": {"authorization_code"}, "code": {expiredCode}, "redirect_uri": {testRedirect}}),
			authCodeTTL, 400, "invalid_grant", "The authorization code has expired"},
		{"no refresh token", with(url.Values{"grant_type": {"refresh_token"}}), 0, 400, "invalid_request", `Missing parameter: "refresh_token" is required`},
		{"unknown refresh token", with(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"assim_rt_nope"}}),
			0, 400, "invalid_grant", "Invalid refresh_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.clock.Advance(tc.advance)
			r := h.tokenRequest(tc.form).requireStatus(t, tc.status)
			var body map[string]any
			require.NoError(t, json.Unmarshal(r.Body, &body))
			assert.Equal(t, tc.err, body["error"])
			assert.Equal(t, tc.desc, body["error_description"])
			assert.Contains(t, body["error_uri"], "http://tools.ietf.org/html/rfc6749#section-")
		})
	}
}

func TestRefreshRotation(t *testing.T) {
	h := newHarness(t, Options{})
	first := h.login()
	second := h.refreshOK(first.RefreshToken)
	assert.NotEqual(t, first.AccessToken, second.AccessToken)
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken)
	assert.Equal(t, first.APIEndpoint, second.APIEndpoint, "no rotation unless asked")

	reused := h.refresh(first.RefreshToken).requireStatus(t, http.StatusBadRequest)
	assert.JSONEq(t, `{"error":"invalid_grant","error_description":"Invalid refresh_token","error_uri":"http://tools.ietf.org/html/rfc6749#section-4.1.3"}`,
		string(reused.Body), "refresh tokens are single use")
	third := h.refreshOK(second.RefreshToken)
	h.api(third, http.MethodGet, "rest/users/current", nil).requireStatus(t, http.StatusOK)
	h.api(first, http.MethodGet, "rest/users/current", nil).requireStatus(t, http.StatusOK) // simulator choice: old access tokens live on
	h.refresh(second.RefreshToken).requireStatus(t, http.StatusBadRequest)
}

func TestAccessTokenExpiry(t *testing.T) {
	for _, tc := range []struct {
		name string
		ttl  time.Duration
		want time.Duration
	}{{"default 60 minutes", 0, time.Hour}, {"configured", 5 * time.Minute, 5 * time.Minute}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{AccessTokenTTL: tc.ttl})
			tok := h.login()
			assert.Equal(t, int(tc.want.Seconds()), tok.ExpiresIn)
			h.clock.Advance(tc.want - time.Second)
			h.api(tok, http.MethodGet, "rest/participants", nil).requireStatus(t, http.StatusOK)
			h.clock.Advance(time.Second)
			r := h.api(tok, http.MethodGet, "rest/participants", nil).requireStatus(t, http.StatusUnauthorized)
			assert.JSONEq(t, `{"error":"expired_token","error_description":"The access token provided has expired. Please refresh your token. (4a)",`+
				`"error_uri":"http://tools.ietf.org/html/rfc6749#section-7"}`, string(r.Body))
			renewed := h.refreshOK(tok.RefreshToken)
			h.api(renewed, http.MethodGet, "rest/participants", nil).requireStatus(t, http.StatusOK)
		})
	}
}

func TestInvalidTokens(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	invalid := `{"error":"invalid_token","error_description":"The access token provided in invalid (2)","error_uri":"http://tools.ietf.org/html/rfc6749#section-7"}`
	for _, tc := range []struct {
		name   string
		header http.Header
	}{
		{"unknown token", http.Header{"Authorization": {"Bearer assim_at_unknown"}}},
		{"no header", http.Header{}},
		{"not bearer", http.Header{"Authorization": {"Basic " + basic("a", "b")}}},
		{"refresh token as access token", http.Header{"Authorization": {"Bearer " + tok.RefreshToken}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.send(http.MethodGet, tok.APIEndpoint+"rest/participants", tc.header, nil).requireStatus(t, http.StatusUnauthorized)
			assert.JSONEq(t, invalid, string(r.Body))
		})
	}
}

func TestRefreshTokenDiesWhenIdle(t *testing.T) {
	for _, tc := range []struct {
		name string
		ttl  time.Duration
		want time.Duration
	}{{"default 21 days", 0, 21 * 24 * time.Hour}, {"configured", 48 * time.Hour, 48 * time.Hour}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{RefreshTokenTTL: tc.ttl})
			tok := h.login()
			h.clock.Advance(tc.want - time.Second)
			renewed := h.refreshOK(tok.RefreshToken) // used in time: a fresh lifetime
			h.clock.Advance(tc.want - time.Second)
			renewed = h.refreshOK(renewed.RefreshToken)
			h.clock.Advance(tc.want)
			r := h.refresh(renewed.RefreshToken).requireStatus(t, http.StatusBadRequest)
			assert.JSONEq(t, `{"error":"invalid_grant","error_description":"Refresh token has expired","error_uri":"http://tools.ietf.org/html/rfc6749#section-4.1.3"}`,
				string(r.Body))
		})
	}
}

func TestAPIEndpointRotation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  Options
		admin bool // turn rotation on through the admin API
	}{{"option", Options{RotateAPIEndpoint: true}, false}, {"admin toggle", Options{}, true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts)
			if tc.admin {
				require.NoError(t, h.admin.SetEndpointRotation(t.Context(), true))
			}
			tok := h.login()
			assert.Equal(t, h.url+"/api/acmelaw/", tok.APIEndpoint, "a code exchange does not move the organisation")
			moved := h.refreshOK(tok.RefreshToken)
			assert.Equal(t, h.url+"/cluster2/api/acmelaw/", moved.APIEndpoint)
			assert.Equal(t, "/cluster2/api/acmelaw/", h.orgState().APIPath)

			h.api(moved, http.MethodGet, "rest/users/current", nil).requireStatus(t, http.StatusOK)
			stale := moved
			stale.APIEndpoint = tok.APIEndpoint
			h.api(stale, http.MethodGet, "rest/users/current", nil).requireStatus(t, http.StatusUnauthorized)
			old := tok
			old.APIEndpoint = moved.APIEndpoint
			h.api(old, http.MethodGet, "rest/users/current", nil).requireStatus(t, http.StatusOK) // tokens belong to the organisation

			again := h.refreshOK(moved.RefreshToken)
			assert.Equal(t, h.url+"/cluster3/api/acmelaw/", again.APIEndpoint)
			require.NoError(t, h.admin.SetEndpointRotation(t.Context(), false))
			assert.Equal(t, again.APIEndpoint, h.refreshOK(again.RefreshToken).APIEndpoint)
		})
	}
}

func TestOrganisationsAreIsolated(t *testing.T) {
	h := newHarness(t, Options{})
	_, err := h.s.CreateOrg(OrgSpec{OrgKey: "beta"})
	require.NoError(t, err)
	acme, beta := h.login(), h.loginAs("beta", "all")
	assert.Equal(t, h.url+"/api/beta/", beta.APIEndpoint)
	h.company(acme, "Acme Client", "loc_1")

	cross := beta
	cross.APIEndpoint = acme.APIEndpoint
	h.api(cross, http.MethodGet, "rest/participants", nil).requireStatus(t, http.StatusUnauthorized)
	ghost := acme
	ghost.APIEndpoint = h.url + "/api/ghost/"
	h.api(ghost, http.MethodGet, "rest/participants", nil).requireStatus(t, http.StatusUnauthorized)

	r := h.api(beta, http.MethodGet, "rest/participants?importExternalReference=loc_1", nil)
	r.requireStatus(t, http.StatusNoContent)
}

func TestScopesAreEnforced(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.loginAs(testOrg, "participants users")
	h.api(tok, http.MethodGet, "rest/participants", nil).requireStatus(t, http.StatusOK)
	e := h.api(tok, http.MethodGet, "rest/actions", nil).requireError(t, http.StatusForbidden, codeScope)
	assert.Contains(t, e["detail"], "'actions'")
}

// TestPKCE: with RequirePKCE the authorize page wants a challenge, and the code
// exchange the matching verifier.
func TestPKCE(t *testing.T) {
	verifier := strings.Repeat("p", 60)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	h := newHarness(t, Options{AutoConsent: true, RequirePKCE: true})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect}, "scope": {"users"}}
	h.send(http.MethodGet, h.url+authorizePath+"?"+q.Encode(), nil, nil).requireStatus(t, http.StatusBadRequest)

	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")
	resp, err := noRedirect.Get(h.url + authorizePath + "?" + q.Encode())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {testRedirect},
		"client_id": {testClientID}, "client_secret": {testClientSecret}}
	r := h.send(http.MethodPost, h.url+tokenPath, formHeader, form).requireStatus(t, http.StatusBadRequest)
	assert.Contains(t, string(r.Body), "PKCE verification failed")
	form.Set("code_verifier", verifier)
	h.send(http.MethodPost, h.url+tokenPath, formHeader, form).requireStatus(t, http.StatusOK)
}
