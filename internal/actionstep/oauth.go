package actionstep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/httpapi"
)

// EndpointToken is the token endpoint's template, used in errors and metrics.
const EndpointToken = "POST /oauth/token"

// TokenResponse is the token endpoint's answer, the same for a code exchange and a refresh
// (reference §1.6). It holds secrets: String and GoString redact them so a stray %v cannot
// leak one, and it refuses to be marshalled.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"` // "bearer"
	ExpiresIn    Int    `json:"expires_in"` // seconds
	RefreshToken string `json:"refresh_token"`
	// APIEndpoint is the organisation's API root ("https://ap-southeast-2.actionstep.com/api/").
	// It can change on any refresh: persist it with every response.
	APIEndpoint string `json:"api_endpoint"`
	// OrgKey names the organisation the token is valid for; credentials are keyed by it.
	OrgKey string `json:"orgkey"`
	// IDToken is a JWT sent when the openid scope was granted; the worker does not use it.
	IDToken string `json:"id_token,omitempty"`
	Scope   string `json:"scope,omitempty"`
}

func (t TokenResponse) String() string {
	return fmt.Sprintf("TokenResponse{orgkey:%s api_endpoint:%s expiresIn:%d tokens:[redacted]}",
		t.OrgKey, t.APIEndpoint, t.ExpiresIn)
}

// GoString redacts for %#v as well.
func (t TokenResponse) GoString() string { return t.String() }

// MarshalJSON refuses: a token response must not travel as JSON (a Temporal payload, a log
// field). Store it through the token store instead.
func (TokenResponse) MarshalJSON() ([]byte, error) {
	return nil, errors.New("actionstep: a TokenResponse must not be serialized")
}

// Expiry turns expires_in into an absolute time, measured from when the answer arrived.
func (t TokenResponse) Expiry(received time.Time) time.Time {
	return received.Add(time.Duration(t.ExpiresIn) * time.Second)
}

// OAuth2 converts the response into a token a client bound with As can use: the api_endpoint
// and orgkey travel as its extras (ExtraAPIEndpoint, ExtraOrgKey).
func (t TokenResponse) OAuth2(received time.Time) *oauth2.Token {
	tok := &oauth2.Token{
		AccessToken:  t.AccessToken,
		TokenType:    "Bearer",
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry(received),
	}
	return tok.WithExtra(map[string]any{ExtraAPIEndpoint: t.APIEndpoint, ExtraOrgKey: t.OrgKey})
}

// ExchangeCode trades an authorization code (single use) for the first token pair of the
// user who consented. redirectURI must be the one sent to the authorize page.
func (c *Client) ExchangeCode(ctx context.Context, code, redirectURI string) (*TokenResponse, error) {
	return c.ExchangeCodeWithVerifier(ctx, code, redirectURI, "")
}

// ExchangeCodeWithVerifier is ExchangeCode sending the PKCE code_verifier (RFC 7636) of a
// flow that sent a challenge; "" sends none.
func (c *Client) ExchangeCodeWithVerifier(ctx context.Context, code, redirectURI, verifier string) (*TokenResponse, error) {
	form := c.credentialsForm("authorization_code")
	form.Set("code", code)
	form.Set("redirect_uri", redirectURI)
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return c.requestToken(ctx, form)
}

// RefreshToken spends refreshToken (single use: treat it as dead after this call, whatever the
// outcome on our side) for a new pair and possibly a new api_endpoint. Persist the answer
// before using it. A refused token is an *OAuthError for which IsInvalidGrant is true.
func (c *Client) RefreshToken(ctx context.Context, refreshToken string) (*TokenResponse, error) {
	form := c.credentialsForm("refresh_token")
	form.Set("refresh_token", refreshToken)
	return c.requestToken(ctx, form)
}

// credentialsForm sends the client credentials in the form body, as the official sample app
// does (reference §1.4).
func (c *Client) credentialsForm(grant string) url.Values {
	return url.Values{
		"grant_type":    {grant},
		"client_id":     {c.clientID},
		"client_secret": {c.clientSecret},
	}
}

func (c *Client) requestToken(ctx context.Context, form url.Values) (*TokenResponse, error) {
	r := request{endpoint: EndpointToken, method: http.MethodPost, form: form}
	res, err := c.send(ctx, r, c.tokenURL.String(), nil)
	if err != nil {
		return nil, err
	}
	code, desc := parseErrorBody(res.Body)
	if res.Status < 200 || res.Status > 299 || code != "" {
		// Some OAuth servers answer a refused grant with 200 and an error document.
		return nil, &OAuthError{
			Endpoint: EndpointToken, StatusCode: res.Status, Code: code, Description: desc,
			RetryAfter: httpapi.RetryAfter(res.Header, time.Now(), maxRetryAfter),
		}
	}
	if res.Truncated {
		return nil, decodeError(EndpointToken, res.Status, errBodyTooLarge)
	}
	var out TokenResponse
	if err := json.Unmarshal(res.Body, &out); err != nil {
		// The json error names a field or offset, never the token values.
		return nil, decodeError(EndpointToken, res.Status, err)
	}
	if out.AccessToken == "" {
		return nil, decodeError(EndpointToken, res.Status, errors.New("no access_token"))
	}
	// Without a usable api_endpoint the token cannot be used; fail now, not on first use.
	if _, err := restBase(out.APIEndpoint); err != nil {
		return nil, decodeError(EndpointToken, res.Status, err)
	}
	return &out, nil
}
