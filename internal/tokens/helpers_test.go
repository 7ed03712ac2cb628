package tokens

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var testKey = bytes.Repeat([]byte{7}, KeySize)

// openTestStore opens a store on a fresh database of be's (a file in t's temp dir, a schema of
// its own on the PostgreSQL test server) and returns it with the database's DSN.
func openTestStore(t *testing.T, be backend, opts ...Option) (*Store, string) {
	t.Helper()
	dsn := be.fresh(t)
	return openStoreAt(t, dsn, testKey, opts...), dsn
}

func openStoreAt(t *testing.T, dsn string, key []byte, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn, key, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dsn, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// holdRefresh starts a forced refresh of key on s whose refresher blocks, and returns once the
// refresher has been called, that is, with the refresh lock held. release lets the refresh
// finish (storing access token "a2") and waits for it.
func holdRefresh(t *testing.T, s *Store, key string) (release func()) {
	t.Helper()
	entered, done, unblock := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		_, _ = s.Refresh(context.Background(), key, &scripted{fn: func(context.Context, Token) (Token, error) {
			close(entered)
			<-unblock
			return Token{AccessToken: "a2", Expiry: time.Now().Add(time.Hour)}, nil
		}}, "")
	}()
	select {
	case <-entered:
	case <-done:
		t.Fatalf("the refresh of %s ended before calling the refresher", key)
	}
	var once sync.Once
	return func() { once.Do(func() { close(unblock); <-done }) }
}

func mustPut(t *testing.T, s *Store, key string, tok Token) {
	t.Helper()
	if err := s.Put(t.Context(), key, tok); err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
}

func mustGet(t *testing.T, s *Store, key string) (Token, Info) {
	t.Helper()
	tok, info, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return tok, info
}

// wantErr fails unless err wraps every one of targets.
func wantErr(t *testing.T, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one wrapping %v", targets)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Fatalf("error %q does not wrap %q", err, target)
		}
	}
}

// wantNoSecret fails if text contains any of the secrets.
func wantNoSecret(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("%s leaks secret %q: %s", what, s, text)
		}
	}
}

// scripted is a Refresher that counts calls and answers with fn.
type scripted struct {
	calls atomic.Int32
	fn    func(ctx context.Context, cur Token) (Token, error)
}

func (s *scripted) Refresh(ctx context.Context, cur Token) (Token, error) {
	s.calls.Add(1)
	return s.fn(ctx, cur)
}

// rotating answers every refresh with a new pair derived from the current one.
func rotating() *scripted {
	return &scripted{fn: func(_ context.Context, cur Token) (Token, error) {
		return Token{
			AccessToken:  cur.AccessToken + "+",
			RefreshToken: cur.RefreshToken + "+",
			Expiry:       time.Now().Add(time.Hour),
		}, nil
	}}
}

func failing(err error) *scripted {
	return &scripted{fn: func(context.Context, Token) (Token, error) { return Token{}, err }}
}

// expiredToken is a stored credential that needs a refresh.
func expiredToken(access, refresh string) Token {
	return Token{
		AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		Expiry: time.Now().Add(-time.Minute), Attrs: map[string]string{"locationId": "loc1"},
	}
}
