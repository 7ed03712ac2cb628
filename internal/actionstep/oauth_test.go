package actionstep_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

const tokenBody = `{"access_token":"at-SECRET-1","token_type":"bearer","expires_in":3600,
	"api_endpoint":"https://ap-southeast-2.actionstep.com/api/","orgkey":"acmelaw","refresh_token":"rt-SECRET-1"}`

// tokenServer is a fake token endpoint at /api/oauth/token.
func tokenServer(t *testing.T, status int, body string) (*fakeAPI, *actionstep.Client) {
	t.Helper()
	api := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
	return api, newClient(t, api.srv.URL+"/api/oauth/token")
}

// form returns the single form body the token server received.
func form(t *testing.T, api *fakeAPI) url.Values {
	t.Helper()
	reqs := api.requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/api/oauth/token", r.Path)
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Empty(t, r.Header.Get("Authorization"))
	v, err := url.ParseQuery(string(r.Body))
	require.NoError(t, err)
	return v
}

func TestExchangeCode(t *testing.T) {
	api, c := tokenServer(t, 200, tokenBody)
	before := time.Now()
	tr, err := c.ExchangeCode(context.Background(), "code-123", testRedirect)
	require.NoError(t, err)

	assert.Equal(t, url.Values{
		"grant_type": {"authorization_code"}, "code": {"code-123"}, "redirect_uri": {testRedirect},
		"client_id": {testClientID}, "client_secret": {testClientSecret},
	}, form(t, api))
	assert.Equal(t, "at-SECRET-1", tr.AccessToken)
	assert.Equal(t, "rt-SECRET-1", tr.RefreshToken)
	assert.Equal(t, "acmelaw", tr.OrgKey)
	assert.Equal(t, "https://ap-southeast-2.actionstep.com/api/", tr.APIEndpoint)

	tok := tr.OAuth2(before)
	assert.Equal(t, "at-SECRET-1", tok.AccessToken)
	assert.Equal(t, "rt-SECRET-1", tok.RefreshToken)
	assert.Equal(t, before.Add(time.Hour), tok.Expiry)
	assert.Equal(t, tr.APIEndpoint, actionstep.APIEndpoint(tok))
	assert.Equal(t, "acmelaw", tok.Extra(actionstep.ExtraOrgKey))
}

func TestRefreshToken(t *testing.T) {
	api, c := tokenServer(t, 200, strings.Replace(tokenBody, `"expires_in":3600`, `"expires_in":"1800"`, 1))
	tr, err := c.RefreshToken(context.Background(), "rt-OLD")
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {"rt-OLD"},
		"client_id": {testClientID}, "client_secret": {testClientSecret},
	}, form(t, api))
	assert.Equal(t, actionstep.Int(1800), tr.ExpiresIn)
}

func TestTokenEndpointErrors(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		body         string
		code, desc   string
		invalidGrant bool
		temporary    bool
	}{
		{"invalid_grant", 400, `{"error":"invalid_grant","error_description":"Invalid refresh_token","error_uri":"http:\/\/tools.ietf.org\/html\/rfc6749#section-4.1.3"}`,
			"invalid_grant", "Invalid refresh_token", true, false},
		{"invalid_grant answered with 200", 200, `{"error":"invalid_grant","error_description":"Invalid authorization code"}`,
			"invalid_grant", "Invalid authorization code", true, false},
		{"invalid_client", 401, `{"error":"invalid_client","error_description":"Client authentication failed"}`,
			"invalid_client", "Client authentication failed", false, false},
		{"unavailable, not JSON", 503, `<html>maintenance</html>`, "", "", false, true},
		{"rate limited", 429, ``, "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := tokenServer(t, tt.status, tt.body)
			_, err := c.RefreshToken(context.Background(), "rt-SECRET-OLD")
			var oe *actionstep.OAuthError
			require.True(t, errors.As(err, &oe), "want *OAuthError, got %T: %v", err, err)
			assert.Equal(t, actionstep.EndpointToken, oe.Endpoint)
			assert.Equal(t, tt.status, oe.StatusCode)
			assert.Equal(t, tt.code, oe.Code)
			assert.Equal(t, tt.desc, oe.Description)
			assert.Equal(t, tt.invalidGrant, actionstep.IsInvalidGrant(err))
			assert.Equal(t, tt.invalidGrant, actionstep.IsInvalidGrant(fmt.Errorf("store: %w", err)))
			assert.Equal(t, tt.temporary, oe.Temporary())
			for _, secret := range []string{"rt-SECRET-OLD", testClientSecret, "html"} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
	assert.False(t, actionstep.IsInvalidGrant(errors.New("invalid_grant")))
	assert.False(t, actionstep.IsInvalidGrant(nil))
}

func TestTokenResponseMustBeUsable(t *testing.T) {
	for name, body := range map[string]string{
		"no access token":  `{"token_type":"bearer","expires_in":3600,"api_endpoint":"https://x.actionstep.com/api/","refresh_token":"r"}`,
		"no api_endpoint":  `{"access_token":"at-SECRET","expires_in":3600,"refresh_token":"rt-SECRET"}`,
		"bad api_endpoint": `{"access_token":"at-SECRET","expires_in":3600,"refresh_token":"rt-SECRET","api_endpoint":"javascript:alert(1)"}`,
		"not JSON":         `access_token=at-SECRET&refresh_token=rt-SECRET`,
	} {
		t.Run(name, func(t *testing.T) {
			_, c := tokenServer(t, 200, body)
			_, err := c.ExchangeCode(context.Background(), "code", testRedirect)
			var de *httpapi.DecodeError
			require.True(t, errors.As(err, &de), "want *DecodeError, got %T: %v", err, err)
			assert.NotContains(t, err.Error(), "SECRET")
		})
	}
}

func TestTokenEndpointTransportError(t *testing.T) {
	api, c := tokenServer(t, 200, tokenBody)
	api.srv.Close()
	_, err := c.ExchangeCode(context.Background(), "code-SECRET", testRedirect)
	var te *httpapi.TransportError
	require.True(t, errors.As(err, &te), "got %T: %v", err, err)
	assert.NotContains(t, err.Error(), "SECRET")
	assert.NotContains(t, err.Error(), testClientSecret)
}

func TestTokenResponseRedacts(t *testing.T) {
	tr := actionstep.TokenResponse{
		AccessToken: "at-SECRET", RefreshToken: "rt-SECRET", IDToken: "id-SECRET",
		OrgKey: "acmelaw", APIEndpoint: "https://ap-southeast-2.actionstep.com/api/", ExpiresIn: 3600,
	}
	for _, s := range []string{
		tr.String(), tr.GoString(), fmt.Sprint(tr), fmt.Sprintf("%v %+v %#v %s", tr, tr, tr, tr), fmt.Sprintf("%v %+v", &tr, &tr),
	} {
		assert.NotContains(t, s, "SECRET")
		assert.Contains(t, s, "acmelaw")
	}
	_, err := json.Marshal(tr)
	require.Error(t, err, "a token response must not be serialised")
}

func TestNewRejectsRelativeTokenURL(t *testing.T) {
	_, err := actionstep.New("/api/oauth/token", testClientID, testClientSecret)
	require.Error(t, err)
}

func TestSandboxOAuth(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()

	code, _, err := e.admin.Authorize(ctx, actionstepsim.AuthorizeRequest{
		ClientID: testClientID, RedirectURI: testRedirect, Scope: "all", OrgKey: simOrgKey,
	})
	require.NoError(t, err)
	before := time.Now()
	tr, err := e.api.ExchangeCode(ctx, code, testRedirect)
	require.NoError(t, err)
	assert.Equal(t, e.srv.URL+"/api/"+simOrgKey+"/", tr.APIEndpoint)
	assert.Equal(t, simOrgKey, tr.OrgKey)
	assert.Equal(t, "bearer", tr.TokenType)
	assert.Equal(t, actionstep.Int(3600), tr.ExpiresIn)
	assert.NotEmpty(t, tr.AccessToken)
	assert.NotEmpty(t, tr.RefreshToken)
	tok := tr.OAuth2(before)
	assert.Equal(t, tr.APIEndpoint, actionstep.APIEndpoint(tok))
	assert.WithinDuration(t, before.Add(time.Hour), tok.Expiry, time.Second)
	assert.NotContains(t, fmt.Sprint(tr), tr.AccessToken)

	// The form carries the client credentials and the grant.
	form, err := url.ParseQuery(string(e.wire.last(t, http.MethodPost, "/api/oauth/token").body))
	require.NoError(t, err)
	assert.Equal(t, "authorization_code", form.Get("grant_type"))
	assert.Equal(t, testClientID, form.Get("client_id"))
	assert.Equal(t, testRedirect, form.Get("redirect_uri"))

	// A code is single use.
	_, err = e.api.ExchangeCode(ctx, code, testRedirect)
	assert.True(t, actionstep.IsInvalidGrant(err), "reused code: %v", err)

	// The token works for REST calls.
	c := e.api.As(oauth2.StaticTokenSource(tok))
	_, err = c.CurrentUser(ctx)
	require.NoError(t, err)

	// Refresh rotates the pair; without rotation the endpoint stays.
	tr2, err := e.api.RefreshToken(ctx, tr.RefreshToken)
	require.NoError(t, err)
	assert.NotEqual(t, tr.AccessToken, tr2.AccessToken)
	assert.NotEqual(t, tr.RefreshToken, tr2.RefreshToken)
	assert.Equal(t, tr.APIEndpoint, tr2.APIEndpoint)
	_, err = e.api.As(oauth2.StaticTokenSource(tr2.OAuth2(time.Now()))).CurrentUser(ctx)
	require.NoError(t, err)

	// Reusing the spent refresh token is invalid_grant: the credential needs a new consent.
	_, err = e.api.RefreshToken(ctx, tr.RefreshToken)
	require.True(t, actionstep.IsInvalidGrant(err), "reused refresh token: %v", err)
	var oe *actionstep.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, http.StatusBadRequest, oe.StatusCode)
	assert.Equal(t, "Invalid refresh_token", oe.Description)
	assert.False(t, oe.Temporary())
	assert.NotContains(t, err.Error(), tr.RefreshToken)

	// Wrong client credentials are invalid_client, not invalid_grant.
	bad, err := actionstep.New(e.srv.URL+"/api/oauth/token", testClientID, "wrong", actionstep.WithHTTPClient(e.srv.Client()))
	require.NoError(t, err)
	_, err = bad.RefreshToken(ctx, tr2.RefreshToken)
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, http.StatusUnauthorized, oe.StatusCode)
	assert.Equal(t, "invalid_client", oe.Code)
	assert.False(t, actionstep.IsInvalidGrant(err))
}

func TestSandboxRefreshFollowsRotatedEndpoint(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{RotateAPIEndpoint: true})
	ctx := t.Context()
	c, s := e.login("all")
	first := s.current()
	assert.Equal(t, e.srv.URL+"/api/"+simOrgKey+"/", actionstep.APIEndpoint(first))

	_, err := c.CurrentUser(ctx)
	require.NoError(t, err)
	assert.Equal(t, "/api/"+simOrgKey+"/rest/users/current", e.wire.last(t, http.MethodGet, "/users/current").url.Path)

	second, err := s.refresh(ctx)
	require.NoError(t, err)
	assert.Equal(t, e.srv.URL+"/cluster2/api/"+simOrgKey+"/", actionstep.APIEndpoint(second))

	// The same bound client sends its next call to the new endpoint.
	u, err := c.CurrentUser(ctx)
	require.NoError(t, err)
	assert.Equal(t, e.userContact(), u.Links.Participant)
	assert.Equal(t, "/cluster2/api/"+simOrgKey+"/rest/users/current", e.wire.last(t, http.MethodGet, "/users/current").url.Path)
	assert.Equal(t, 1, s.refreshes)
	assert.Empty(t, s.rejected, "no 401 on the way")

	// The old endpoint is dead, even for the old, unexpired access token.
	_, err = e.api.As(oauth2.StaticTokenSource(first)).CurrentUser(ctx)
	apiErr := requireAPIError(t, err, http.StatusUnauthorized)
	assert.Equal(t, "invalid_token", apiErr.Code)
	assert.False(t, apiErr.Temporary())
}

// TestSandboxTokenEndpointFaults: a 5xx from the token endpoint leaves the refresh token
// usable; a reply lost after the refresh was committed leaves it spent.
func TestSandboxTokenEndpointFaults(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	tr := e.authorize("all")

	_, err := e.sim.SetFaults(actionstepsim.Faults{Endpoints: []string{"POST /api/oauth/token"}, ErrorRate: 1, ErrorStatuses: []int{503}})
	require.NoError(t, err)
	_, err = e.api.RefreshToken(ctx, tr.RefreshToken)
	var oe *actionstep.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, http.StatusServiceUnavailable, oe.StatusCode)
	assert.Equal(t, "temporarily_unavailable", oe.Code)
	assert.True(t, oe.Temporary())
	assert.False(t, actionstep.IsInvalidGrant(err))

	_, err = e.sim.SetFaults(actionstepsim.Faults{})
	require.NoError(t, err)
	tr2, err := e.api.RefreshToken(ctx, tr.RefreshToken)
	require.NoError(t, err, "the failed attempt did not spend the refresh token")

	_, err = e.sim.SetFaults(actionstepsim.Faults{Endpoints: []string{"POST /api/oauth/token"}, DropAfterCommitRate: 1})
	require.NoError(t, err)
	_, err = e.api.RefreshToken(ctx, tr2.RefreshToken)
	var te *httpapi.TransportError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, actionstep.EndpointToken, te.Endpoint)
	_, err = e.sim.SetFaults(actionstepsim.Faults{})
	require.NoError(t, err)
	_, err = e.api.RefreshToken(ctx, tr2.RefreshToken)
	assert.True(t, actionstep.IsInvalidGrant(err), "the lost refresh spent the token: %v", err)
}

// TestSandboxOAuthPKCE: a code issued for a PKCE challenge is exchanged only with its
// verifier.
func TestSandboxOAuthPKCE(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	code, _, err := e.admin.Authorize(t.Context(), actionstepsim.AuthorizeRequest{
		ClientID: testClientID, RedirectURI: testRedirect, Scope: "all", OrgKey: simOrgKey,
		CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]),
	})
	require.NoError(t, err)
	_, err = e.api.ExchangeCode(t.Context(), code, testRedirect)
	assert.True(t, actionstep.IsInvalidGrant(err), "no verifier: %v", err)
	_, err = e.api.ExchangeCodeWithVerifier(t.Context(), code, testRedirect, strings.Repeat("w", 43))
	assert.True(t, actionstep.IsInvalidGrant(err), "wrong verifier: %v", err)
	tr, err := e.api.ExchangeCodeWithVerifier(t.Context(), code, testRedirect, verifier)
	require.NoError(t, err)
	assert.Equal(t, simOrgKey, tr.OrgKey)
}
