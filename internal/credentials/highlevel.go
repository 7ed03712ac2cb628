// Package credentials joins the API clients to the token store: it turns token
// responses into stored tokens, refreshes them through the right endpoint, maps the
// APIs' refresh failures onto the store's error kinds, and hands clients a token
// source that reads from (and refreshes through) the store.
package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// Attribute names stored beside HighLevel tokens (non-secret).
const (
	AttrUserType   = "userType"
	AttrCompanyID  = "companyId"
	AttrLocationID = "locationId"
	AttrScope      = "scope"
	AttrUserID     = "userId"
)

// FromHighLevel converts a HighLevel token response received at `received`.
func FromHighLevel(resp *highlevel.TokenResponse, received time.Time) tokens.Token {
	attrs := map[string]string{}
	for k, v := range map[string]string{
		AttrUserType: resp.UserType, AttrCompanyID: resp.CompanyID, AttrLocationID: resp.LocationID,
		AttrScope: resp.Scope, AttrUserID: resp.UserID,
	} {
		if v != "" {
			attrs[k] = v
		}
	}
	return tokens.Token{
		AccessToken:  resp.AccessToken,
		RefreshToken: resp.RefreshToken,
		TokenType:    "Bearer",
		Expiry:       resp.Expiry(received),
		Attrs:        attrs,
	}
}

// msgInvalidGrant is HighLevel's message for a refused refresh token (reference §1.2).
const msgInvalidGrant = "Invalid grant"

// HighLevelRefresher refreshes HighLevel tokens with POST /oauth/token.
func HighLevelRefresher(c *highlevel.Client) tokens.Refresher {
	return tokens.RefresherFunc(func(ctx context.Context, cur tokens.Token) (tokens.Token, error) {
		resp, err := c.RefreshToken(ctx, cur.RefreshToken, cur.Attrs[AttrUserType])
		if err != nil {
			return tokens.Token{}, refreshError(err)
		}
		next := FromHighLevel(resp, time.Now())
		// Keep attributes the refresh answer omits (it need not repeat every id).
		for k, v := range cur.Attrs {
			if _, ok := next.Attrs[k]; !ok {
				next.Attrs[k] = v
			}
		}
		return next, nil
	})
}

// refreshError maps HighLevel's documented refresh failures onto the store's kinds,
// which decide whether the credential is suspended, needs a reconnect, or is retried.
func refreshError(err error) error {
	var api *highlevel.APIError
	if !errors.As(err, &api) || api.StatusCode != http.StatusBadRequest {
		return err
	}
	switch {
	case highlevel.LocationNotActive(err):
		return fmt.Errorf("%w: %w", tokens.ErrInactive, err)
	case strings.Contains(api.Message, msgInvalidGrant):
		return fmt.Errorf("%w: %w", tokens.ErrInvalidGrant, err)
	}
	return err
}

// source serves one stored credential to an API client.
type source struct {
	store     *tokens.Store
	key       string
	refresher tokens.Refresher
	// convert shapes the stored token for the client (Actionstep's carries its
	// api_endpoint along).
	convert func(tokens.Token) *oauth2.Token
}

var (
	_ httpapi.Reauthorizer       = source{}
	_ httpapi.ContextTokenSource = source{}
)

// HighLevelSource returns a token source for the stored credential `key` that
// refreshes through c when the token is about to expire, and replaces a token the API
// rejected with 401.
func HighLevelSource(store *tokens.Store, c *highlevel.Client, key string) oauth2.TokenSource {
	return source{store: store, key: key, refresher: HighLevelRefresher(c), convert: bearer}
}

// Token satisfies oauth2.TokenSource for code without a context; the client uses
// TokenContext.
func (s source) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.TokenContext(ctx)
}

// TokenContext returns a valid token, refreshing it under the store's lock if needed.
func (s source) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	t, err := s.store.Token(ctx, s.key, s.refresher)
	if err != nil {
		return nil, err
	}
	return s.convert(t), nil
}

// Reauthorize refreshes the credential unless another process already replaced the
// rejected token, in which case the stored one is returned.
func (s source) Reauthorize(ctx context.Context, rejected *oauth2.Token) (*oauth2.Token, error) {
	t, err := s.store.Refresh(ctx, s.key, s.refresher, rejected.AccessToken)
	if err != nil {
		return nil, err
	}
	return s.convert(t), nil
}

func bearer(t tokens.Token) *oauth2.Token {
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: "Bearer", Expiry: t.Expiry}
}
