package tokens

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var testKey = bytes.Repeat([]byte{7}, KeySize)

// openTestStore opens a store on a fresh file in t's temp dir and returns it with the file path.
func openTestStore(t *testing.T, opts ...Option) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.db")
	return openStoreAt(t, path, testKey, opts...), path
}

func openStoreAt(t *testing.T, path string, key []byte, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, key, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
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
