package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
)

// Reauthorizer is implemented by token sources that can replace a token the API has
// rejected (revoked or expired early) with a freshly refreshed one.
type Reauthorizer interface {
	Reauthorize(ctx context.Context, rejected *oauth2.Token) (*oauth2.Token, error)
}

// ContextTokenSource is preferred over oauth2.TokenSource when a source implements it, so
// that waiting for a refresh (and its lock) honours the request's context.
type ContextTokenSource interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// Token returns a token from ts, asking with ctx when ts is a ContextTokenSource.
func Token(ctx context.Context, ts oauth2.TokenSource) (*oauth2.Token, error) {
	if cts, ok := ts.(ContextTokenSource); ok {
		return cts.TokenContext(ctx)
	}
	return ts.Token()
}

// Authorized calls send with a token from ts (see Token). If the API answers 401 and ts
// is a Reauthorizer, the rejected token is replaced once and send is called again with
// the replacement: a token can die before its expiry (revoked, or rotated by another
// process), and a 401 means the request was not executed, so repeating a POST cannot
// duplicate its effect. api and endpoint name the call in errors.
func Authorized(ctx context.Context, ts oauth2.TokenSource, api, endpoint string, send func(*oauth2.Token) (Response, error)) (Response, error) {
	if ts == nil {
		return Response{}, fmt.Errorf("%s %s: client has no token source (use As)", api, endpoint)
	}
	tok, err := Token(ctx, ts)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: get token: %w", api, endpoint, err)
	}
	res, err := send(tok)
	if err != nil || res.Status != http.StatusUnauthorized || tok == nil {
		return res, err
	}
	ra, ok := ts.(Reauthorizer)
	if !ok {
		return res, nil
	}
	fresh, err := ra.Reauthorize(ctx, tok)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: re-authorize after 401: %w", api, endpoint, err)
	}
	return send(fresh)
}
