// Package operatorauth authenticates the people and programs that use the starter's
// operator listener (codec server, metrics, readiness, connect start pages): static
// bearer tokens, and JWTs from an OpenID Connect provider (issuer, audience and
// signature checked against the provider's JWKS), which is what the Temporal Web UI
// forwards to the codec server when it signs its users in.
//
// A credential is the bare token, taken from "Authorization: Bearer <token>" or, for
// browsers that can only prompt for a password, from HTTP Basic's password. Nothing
// configured means nothing is accepted: Check refuses every credential.
package operatorauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Errors of Check. They say why without repeating the credential.
var (
	// ErrNoCredential: the request carries no credential.
	ErrNoCredential = errors.New("operatorauth: no credential")
	// ErrRejected: the credential is not one of the tokens, nor a valid JWT.
	ErrRejected = errors.New("operatorauth: credential rejected")
)

// OIDC names the identity provider whose JWTs are accepted.
type OIDC struct {
	// Issuer is the iss claim every token must carry, and where discovery starts
	// (<issuer>/.well-known/openid-configuration) when JWKSURL is empty.
	Issuer string
	// Audience must be among the token's aud.
	Audience string
	// JWKSURL is the provider's key set; empty: the one discovery names.
	JWKSURL string
}

// Config configures New.
type Config struct {
	// Tokens are the accepted static tokens (several during a rotation).
	Tokens [][]byte
	// OIDC, when its Issuer is set, accepts JWTs.
	OIDC OIDC
	// HTTPClient fetches discovery and the JWKS (default: 10 s timeout).
	HTTPClient *http.Client
	// Now is the clock for token expiry (default time.Now).
	Now func() time.Time
}

// Authenticator checks credentials. It is safe for concurrent use.
type Authenticator struct {
	sums [][sha256.Size]byte // SHA-256 of each static token
	jwt  *jwtVerifier        // nil: no OIDC
}

// New builds an Authenticator; it contacts no provider until a JWT arrives.
func New(c Config) *Authenticator {
	a := &Authenticator{}
	for _, t := range c.Tokens {
		if len(t) > 0 {
			a.sums = append(a.sums, sha256.Sum256(t))
		}
	}
	if c.OIDC.Issuer != "" {
		a.jwt = newJWTVerifier(c.OIDC, c.HTTPClient, c.Now)
	}
	return a
}

// Configured reports whether any credential can pass.
func (a *Authenticator) Configured() bool { return a != nil && (len(a.sums) > 0 || a.jwt != nil) }

// Check accepts credential if it is one of the static tokens or a JWT the provider
// signed for the audience and that has not expired. Static tokens are compared as
// SHA-256 digests, every one of them, in constant time: neither the tokens nor their
// lengths leak through timing.
func (a *Authenticator) Check(ctx context.Context, credential string) error {
	if credential == "" {
		return ErrNoCredential
	}
	if a == nil {
		return ErrRejected
	}
	sum := sha256.Sum256([]byte(credential))
	match := 0
	for _, s := range a.sums {
		match |= subtle.ConstantTimeCompare(sum[:], s[:])
	}
	if match == 1 {
		return nil
	}
	if a.jwt != nil && strings.Count(credential, ".") == 2 {
		if err := a.jwt.verify(ctx, credential); err != nil {
			return fmt.Errorf("%w: %w", ErrRejected, err)
		}
		return nil
	}
	return ErrRejected
}

// Credential is the token a request carries: the Bearer token of its Authorization
// header, or the password of HTTP Basic (the user name is ignored).
func Credential(r *http.Request) string {
	if _, pass, ok := r.BasicAuth(); ok {
		return pass
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// Challenge answers 401 with the schemes a client may use: Bearer for programs, Basic
// so that a browser prompts for the token.
func Challenge(w http.ResponseWriter) {
	w.Header().Add("WWW-Authenticate", `Bearer realm="saasbridge operator"`)
	w.Header().Add("WWW-Authenticate", `Basic realm="saasbridge operator", charset="UTF-8"`)
	http.Error(w, "unauthorized: this is the operator listener; send the operator token", http.StatusUnauthorized)
}

// Require serves next only to requests whose credential passes Check.
func (a *Authenticator) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.Check(r.Context(), Credential(r)); err != nil {
			Challenge(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// jwtVerifier checks JWTs against the provider, discovering its key set on first use
// (a provider that is down at start-up only fails the logins until it is back).
type jwtVerifier struct {
	cfg    OIDC
	client *http.Client
	now    func() time.Time

	mu sync.Mutex
	v  *oidc.IDTokenVerifier
}

// signingAlgs are the asymmetric algorithms accepted; "none" and HMAC never are (an
// HMAC "signed" with the public key is the classic confusion attack).
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA,
}

func newJWTVerifier(cfg OIDC, client *http.Client, now func() time.Time) *jwtVerifier {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &jwtVerifier{cfg: cfg, client: client, now: now}
}

func (j *jwtVerifier) verify(ctx context.Context, raw string) error {
	v, err := j.verifier(ctx)
	if err != nil {
		return err
	}
	if _, err := v.Verify(oidc.ClientContext(ctx, j.client), raw); err != nil {
		return err
	}
	return nil
}

// verifier builds the go-oidc verifier once; a failed discovery is retried by the next
// request.
func (j *jwtVerifier) verifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.v != nil {
		return j.v, nil
	}
	conf := &oidc.Config{ClientID: j.cfg.Audience, SupportedSigningAlgs: signingAlgs, Now: j.now}
	// The key set outlives the request: its context carries only the HTTP client.
	keyCtx := oidc.ClientContext(context.Background(), j.client)
	jwks := j.cfg.JWKSURL
	if jwks == "" {
		p, err := oidc.NewProvider(oidc.ClientContext(ctx, j.client), j.cfg.Issuer)
		if err != nil {
			return nil, fmt.Errorf("discover the OIDC provider %s: %w", j.cfg.Issuer, err)
		}
		var doc struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err := p.Claims(&doc); err != nil || doc.JWKSURI == "" {
			return nil, fmt.Errorf("the OIDC provider %s names no jwks_uri", j.cfg.Issuer)
		}
		jwks = doc.JWKSURI
	}
	j.v = oidc.NewVerifier(j.cfg.Issuer, oidc.NewRemoteKeySet(keyCtx, jwks), conf)
	return j.v, nil
}
