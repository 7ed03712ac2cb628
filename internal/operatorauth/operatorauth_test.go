package operatorauth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const audience = "temporal-ui"

// idp is a minimal OpenID provider: discovery and a JWKS that can rotate.
type idp struct {
	srv       *httptest.Server
	keys      atomic.Pointer[[]*rsa.PrivateKey] // published, by kid index
	jwksCalls atomic.Int32
	down      atomic.Bool
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	p := &idp{}
	p.rotate(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": p.srv.URL, "jwks_uri": p.srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		p.jwksCalls.Add(1)
		var set jose.JSONWebKeySet
		for i, k := range *p.keys.Load() {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid(i), Algorithm: "RS256", Use: "sig"})
		}
		_ = json.NewEncoder(w).Encode(set)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func kid(i int) string { return "k" + string(rune('0'+i)) }

// rotate publishes one more key.
func (p *idp) rotate(t *testing.T) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	var keys []*rsa.PrivateKey
	if old := p.keys.Load(); old != nil {
		keys = append(keys, *old...)
	}
	keys = append(keys, k)
	p.keys.Store(&keys)
}

// sign issues a JWT with claims over the published key i.
func sign(t *testing.T, key *rsa.PrivateKey, keyID string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", keyID))
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	jws, err := signer.Sign(payload)
	require.NoError(t, err)
	s, err := jws.CompactSerialize()
	require.NoError(t, err)
	return s
}

func (p *idp) claims(over map[string]any) map[string]any {
	c := map[string]any{"iss": p.srv.URL, "aud": []string{audience, "other"}, "sub": "operator@example.com",
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func (p *idp) token(t *testing.T, over map[string]any) string {
	return sign(t, (*p.keys.Load())[len(*p.keys.Load())-1], kid(len(*p.keys.Load())-1), p.claims(over))
}

func TestStaticTokens(t *testing.T) {
	a := New(Config{Tokens: [][]byte{[]byte("old-token-0123456789"), []byte("new-token-0123456789")}})
	assert.True(t, a.Configured())
	ctx := t.Context()
	assert.NoError(t, a.Check(ctx, "old-token-0123456789"))
	assert.NoError(t, a.Check(ctx, "new-token-0123456789"))
	assert.ErrorIs(t, a.Check(ctx, "new-token-012345678"), ErrRejected)
	assert.ErrorIs(t, a.Check(ctx, "new-token-0123456789 "), ErrRejected)
	assert.ErrorIs(t, a.Check(ctx, ""), ErrNoCredential)

	none := New(Config{})
	assert.False(t, none.Configured())
	assert.ErrorIs(t, none.Check(ctx, "anything"), ErrRejected, "nothing configured accepts nothing")
	assert.ErrorIs(t, none.Check(ctx, "a.b.c"), ErrRejected)
}

func TestJWTs(t *testing.T) {
	p := newIDP(t)
	stranger, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	a := New(Config{OIDC: OIDC{Issuer: p.srv.URL, Audience: audience}})
	require.True(t, a.Configured())
	good := p.token(t, nil)
	header, payload, _ := strings.Cut(good, ".")
	payload, sig, _ := strings.Cut(payload, ".")
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload + "."
	forgedClaims := base64.RawURLEncoding.EncodeToString(mustJSON(t, p.claims(map[string]any{"sub": "attacker"})))

	tests := []struct {
		name string
		jwt  string
		ok   bool
	}{
		{"valid", good, true},
		{"audience is a single string", p.token(t, map[string]any{"aud": audience}), true},
		{"expired", p.token(t, map[string]any{"exp": time.Now().Add(-time.Minute).Unix()}), false},
		{"no expiry", p.token(t, map[string]any{"exp": nil}), false},
		{"another audience", p.token(t, map[string]any{"aud": "someone-else"}), false},
		{"another issuer", p.token(t, map[string]any{"iss": "https://evil.example.com"}), false},
		{"signed by an unknown key", sign(t, stranger, kid(0), p.claims(nil)), false},
		{"alg none", unsigned, false},
		{"claims swapped under a valid signature", header + "." + forgedClaims + "." + sig, false},
		{"not a JWT", "a.b.c", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Check(t.Context(), tt.jwt)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, ErrRejected)
			assert.NotContains(t, err.Error(), tt.jwt, "the error repeats the token")
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestJWTKeyRotationAndOutage: a key the provider starts using after start-up is
// fetched when a token names it; a provider that is down at first use only fails the
// requests until it is back.
func TestJWTKeyRotationAndOutage(t *testing.T) {
	p := newIDP(t)
	p.down.Store(true)
	a := New(Config{OIDC: OIDC{Issuer: p.srv.URL, Audience: audience}})
	assert.ErrorIs(t, a.Check(t.Context(), p.token(t, nil)), ErrRejected, "provider down")
	p.down.Store(false)
	require.NoError(t, a.Check(t.Context(), p.token(t, nil)), "provider back")
	p.rotate(t)
	require.NoError(t, a.Check(t.Context(), p.token(t, nil)), "token under the rotated key")
	assert.GreaterOrEqual(t, p.jwksCalls.Load(), int32(2), "the key set was fetched again")

	// An explicit JWKS URL skips discovery.
	p.down.Store(true)
	b := New(Config{OIDC: OIDC{Issuer: p.srv.URL, Audience: audience, JWKSURL: p.srv.URL + "/jwks"}})
	assert.NoError(t, b.Check(t.Context(), p.token(t, nil)))
}

func TestCredentialAndRequire(t *testing.T) {
	req := func(h string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		return r
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("anyone:tok-0123456789abcdef"))
	assert.Equal(t, "tok-0123456789abcdef", Credential(req("Bearer tok-0123456789abcdef")))
	assert.Equal(t, "tok-0123456789abcdef", Credential(req("bearer  tok-0123456789abcdef ")))
	assert.Equal(t, "tok-0123456789abcdef", Credential(req(basic)))
	assert.Empty(t, Credential(req("")))
	assert.Empty(t, Credential(req("Token tok-0123456789abcdef")))

	a := New(Config{Tokens: [][]byte{[]byte("tok-0123456789abcdef")}})
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("metrics")) }))
	for _, tt := range []struct {
		auth   string
		status int
	}{{"", 401}, {"Bearer wrong-0123456789abcdef", 401}, {"Bearer tok-0123456789abcdef", 200}, {basic, 200}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req(tt.auth))
		assert.Equal(t, tt.status, rec.Code, tt.auth)
		if tt.status == 401 {
			assert.Len(t, rec.Header().Values("WWW-Authenticate"), 2)
			assert.NotContains(t, rec.Body.String(), "metrics")
		}
	}
	var nilAuth *Authenticator
	assert.False(t, nilAuth.Configured())
	assert.True(t, errors.Is(nilAuth.Check(t.Context(), "x"), ErrRejected))
}
