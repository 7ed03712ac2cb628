package main

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The connect flow's tokens are HMAC-signed, so that nothing it hands a browser can be
// made up, and nothing needs server memory (the flow works across starter instances):
//
//   - a ticket, issued by the operator listener's start page and redeemed by the public
//     begin page: it proves that an operator started this flow;
//   - a state, sent to the provider and checked at the callback: it names the provider,
//     expires, and is bound to a random nonce held in an HttpOnly cookie of the browser
//     that began the flow (the state carries only the nonce's digest, so a state that
//     leaks through a log or a referrer is useless without the cookie). The PKCE
//     verifier is derived from the same nonce and the key, so it is never stored either.
const (
	ticketTTL    = 2 * time.Minute
	stateTTL     = 10 * time.Minute
	maxTokenLen  = 2048 // a state or ticket longer than this is not ours
	purposeState = "state"
	purposeTick  = "ticket"
)

// tokenShape is the only form of a token: base64url claims "." base64url MAC. Checked
// first because Go's base64 decoder skips newlines, which would let one token take many
// spellings.
var tokenShape = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

// errBadState is every reason a state or ticket is refused; the user sees one fixed
// message, the log the reason.
var errBadState = errors.New("invalid or expired")

// flowClaims are what a ticket or state says.
type flowClaims struct {
	Provider string `json:"p"`
	Expires  int64  `json:"e"`           // unix seconds
	Binding  string `json:"b,omitempty"` // state: base64url(SHA-256(nonce))
	// Replace is the Actionstep user id an operator confirmed may replace the
	// connected one.
	Replace string `json:"r,omitempty"`
}

// flowSigner signs and checks tickets and states.
type flowSigner struct {
	key []byte
	now func() time.Time
}

// newFlowSigner derives the signing key from the token store's key (HKDF, its own
// label), so that every starter sharing the store shares the key and no new secret is
// needed. Rotating STORE_ENCRYPTION_KEY rotates it; flows in progress then start again.
func newFlowSigner(storeKey []byte, now func() time.Time) (*flowSigner, error) {
	key, err := hkdf.Key(sha256.New, storeKey, nil, "saasbridge/oauth-flow/v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive the OAuth state key: %w", err)
	}
	return &flowSigner{key: key, now: now}, nil
}

func (s *flowSigner) mac(purpose, body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose + "\x00" + body))
	return m.Sum(nil)
}

// sign returns base64url(JSON claims) "." base64url(HMAC(purpose, claims)).
func (s *flowSigner) sign(purpose string, c flowClaims, ttl time.Duration) string {
	c.Expires = s.now().Add(ttl).Unix()
	b, _ := json.Marshal(c) // a struct of strings and an int: cannot fail
	body := base64.RawURLEncoding.EncodeToString(b)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(purpose, body))
}

// open checks a token signed for purpose and provider and returns its claims. The MAC is
// checked (in constant time) before anything in the token is parsed.
func (s *flowSigner) open(purpose, provider, token string) (flowClaims, error) {
	if len(token) > maxTokenLen {
		return flowClaims{}, fmt.Errorf("%w: %d bytes long", errBadState, len(token))
	}
	if !tokenShape.MatchString(token) {
		return flowClaims{}, fmt.Errorf("%w: not a token", errBadState)
	}
	body, sig, ok := strings.Cut(token, ".")
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(mac, s.mac(purpose, body)) {
		return flowClaims{}, fmt.Errorf("%w: signature does not verify", errBadState)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	var c flowClaims
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return flowClaims{}, fmt.Errorf("%w: malformed", errBadState)
	}
	switch {
	case c.Provider != provider:
		return flowClaims{}, fmt.Errorf("%w: issued for %q", errBadState, c.Provider)
	case s.now().Unix() >= c.Expires:
		return flowClaims{}, fmt.Errorf("%w: expired", errBadState)
	}
	return c, nil
}

// newNonce is the browser's secret of one flow.
func newNonce() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// binding is what a state carries of the nonce.
func binding(nonce string) string {
	sum := sha256.Sum256([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// pkceVerifier derives the flow's PKCE code_verifier (43 characters, RFC 7636) from its
// nonce; pkceChallenge is its S256 challenge.
func (s *flowSigner) pkceVerifier(nonce string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("pkce", nonce))
}

func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
