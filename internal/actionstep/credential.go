package actionstep

import (
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// The REST API lives at a per-organisation address that the token endpoint returns with
// every token and that may change on any refresh (reference §1.9). The client therefore never
// holds it in configuration: it reads it, on every call, from the token the bound source
// returns, under the oauth2.Token extra ExtraAPIEndpoint. A token and the address it is valid
// for thus travel together, also through httpapi.Reauthorizer after a 401.

// Extra keys of the oauth2.Token that TokenResponse.OAuth2 builds, and the names under which
// a store should keep these non-secret attributes.
const (
	ExtraAPIEndpoint = "api_endpoint"
	ExtraOrgKey      = "orgkey"
)

// WithAPIEndpoint returns a copy of t that carries apiEndpoint for the client to call.
func WithAPIEndpoint(t *oauth2.Token, apiEndpoint string) *oauth2.Token {
	return t.WithExtra(map[string]any{ExtraAPIEndpoint: apiEndpoint})
}

// APIEndpoint returns the api_endpoint a token carries ("" when none).
func APIEndpoint(t *oauth2.Token) string {
	s, _ := t.Extra(ExtraAPIEndpoint).(string)
	return s
}

// restBase turns an api_endpoint ("https://ap-southeast-2.actionstep.com/api/", sometimes
// without the slash, sometimes already ending in /rest) into the REST root without a trailing
// slash. Anything that is not an absolute http(s) URL is refused: the access token is about to
// be sent there.
func restBase(apiEndpoint string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(apiEndpoint))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, ErrNoAPIEndpoint
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(u.Path, "/rest") {
		u.Path += "/rest"
	}
	u.RawPath = ""
	return u, nil
}
