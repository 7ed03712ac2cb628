package simkit

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
)

// IssuedTokens lists every token string a simulator ever issued, in issue
// order, so tests can search logs and workflow histories for leaks.
type IssuedTokens struct {
	AccessTokens  []string `json:"accessTokens"`
	RefreshTokens []string `json:"refreshTokens"`
}

// All returns access and refresh tokens together.
func (t IssuedTokens) All() []string { return slices.Concat(t.AccessTokens, t.RefreshTokens) }

// RandomBytes returns n bytes from crypto/rand, which never fails since
// Go 1.24.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// RandomHex is n random bytes in hex (2n digits).
func RandomHex(n int) string { return hex.EncodeToString(RandomBytes(n)) }

// NewSecret is an opaque bearer secret with a recognisable prefix, so that
// leak tests can grep for it.
func NewSecret(prefix string) string {
	return prefix + base64.RawURLEncoding.EncodeToString(RandomBytes(32))
}

// BearerToken returns the secret of an "Authorization: Bearer <secret>"
// header (the scheme in any case), and whether there was one.
func BearerToken(r *http.Request) (string, bool) {
	scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return "", false
	}
	return secret, true
}
