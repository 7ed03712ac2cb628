package actionstep_test

import (
	"context"
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

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/httpapi"
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
