package tokens

import (
	"context"

	"golang.org/x/oauth2"
)

// TokenSource adapts the credential key to oauth2.Transport. oauth2 gives a TokenSource no
// context, and capturing one request's would make later requests fail once it ends; each call
// therefore runs under the store's own context, bounded by the lock and refresh timeouts and
// cancelled by Close. Every call reads the store (cheap), so a rotation by another process is
// picked up at once; don't wrap it in oauth2.ReuseTokenSource.
func (s *Store) TokenSource(key string, r Refresher) oauth2.TokenSource {
	return &source{store: s, key: key, refresher: r}
}

type source struct {
	store     *Store
	key       string
	refresher Refresher
}

func (ts *source) Token() (*oauth2.Token, error) {
	s := ts.store
	ctx, cancel := context.WithTimeout(s.bg, s.lockTimeout+s.refreshTimeout)
	defer cancel()
	t, err := s.Token(ctx, ts.key, ts.refresher)
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, Expiry: t.Expiry}, nil
}
