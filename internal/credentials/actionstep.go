package credentials

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// Attribute names stored beside Actionstep tokens (non-secret, but bound to the
// ciphertext: a changed api_endpoint without the key makes the row unreadable).
const (
	AttrAPIEndpoint = "api_endpoint"
	AttrOrgKey      = "orgkey"
)

// FromActionstep converts an Actionstep token response received at `received`.
func FromActionstep(resp *actionstep.TokenResponse, received time.Time) tokens.Token {
	attrs := map[string]string{AttrAPIEndpoint: resp.APIEndpoint, AttrOrgKey: resp.OrgKey}
	if resp.Scope != "" {
		attrs[AttrScope] = resp.Scope
	}
	return tokens.Token{
		AccessToken:  resp.AccessToken,
		RefreshToken: resp.RefreshToken,
		TokenType:    "Bearer",
		Expiry:       resp.Expiry(received),
		Attrs:        attrs,
	}
}

// ActionstepRefresher refreshes Actionstep tokens. Every answer carries the
// organisation's api_endpoint, which can move between clusters: it is stored with the
// new pair, in the same write.
func ActionstepRefresher(c *actionstep.Client) tokens.Refresher {
	return tokens.RefresherFunc(func(ctx context.Context, cur tokens.Token) (tokens.Token, error) {
		resp, err := c.RefreshToken(ctx, cur.RefreshToken)
		if actionstep.IsInvalidGrant(err) {
			return tokens.Token{}, fmt.Errorf("%w: Actionstep refused the refresh token; reconnect at /oauth/actionstep/start: %w", tokens.ErrInvalidGrant, err)
		}
		if err != nil {
			return tokens.Token{}, err
		}
		return FromActionstep(resp, time.Now()), nil
	})
}

// ActionstepSource returns a token source for the stored Actionstep credential `key`
// whose tokens carry their api_endpoint, refreshing through c when needed and
// replacing a token Actionstep rejected with 401.
func ActionstepSource(store *tokens.Store, c *actionstep.Client, key string) oauth2.TokenSource {
	return source{store: store, key: key, refresher: ActionstepRefresher(c), convert: func(t tokens.Token) *oauth2.Token {
		return actionstep.WithAPIEndpoint(bearer(t), t.Attrs[AttrAPIEndpoint])
	}}
}
