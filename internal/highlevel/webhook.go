package highlevel

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Signature headers (reference §5.6), in canonical form.
const (
	// HeaderWebhookSignature carries base64(Ed25519(body)); preferred.
	HeaderWebhookSignature = "X-Ghl-Signature"
	// HeaderWebhookLegacySignature carries base64(RSA PKCS#1 v1.5 SHA-256(body)).
	HeaderWebhookLegacySignature = "X-Wh-Signature"
)

// DefaultWebhookMaxAge is the replay window used when NewWebhookVerifier is given none:
// HighLevel's own advice is five minutes.
const DefaultWebhookMaxAge = 5 * time.Minute

// MaxWebhookBody is the largest body Verify accepts. HighLevel's events are well under
// a kilobyte; the HTTP handler should read at most this much (http.MaxBytesReader).
const MaxWebhookBody = 1 << 20

const (
	// maxSignatureLen bounds a signature header before it is decoded: base64 of an
	// RSA-8192 signature (the largest key accepted) is 1368 characters.
	maxSignatureLen = 1400
	minRSABits      = 2048
	maxRSABits      = 8192
)

// Scheme names the signature scheme that verified a webhook.
type Scheme string

// Signature schemes.
const (
	SchemeEd25519 Scheme = "ed25519"    // x-ghl-signature
	SchemeRSA     Scheme = "rsa-sha256" // x-wh-signature (legacy)
)

// WebhookVerifier checks webhook signatures and timestamps. It is immutable once built
// and safe for concurrent use.
type WebhookVerifier struct {
	ed        []ed25519.PublicKey
	rsa       []*rsa.PublicKey
	legacyRSA bool
	maxAge    time.Duration
	now       func() time.Time
}

// WebhookOption configures NewWebhookVerifier.
type WebhookOption func(*WebhookVerifier)

// WithLegacyRSA accepts the legacy x-wh-signature (RSA) when x-ghl-signature is absent.
// HighLevel retired it in 2026 and signs with Ed25519 only, so it is refused by default:
// an extra scheme is an extra way in, and the RSA keys cannot be rotated by HighLevel
// any more.
func WithLegacyRSA() WebhookOption { return func(v *WebhookVerifier) { v.legacyRSA = true } }

// NewWebhookVerifier builds a verifier from PEM public keys ("PUBLIC KEY" SPKI; RSA also
// as "RSA PUBLIC KEY"). Each list may hold several keys so a rotation can overlap; an
// empty list (or one of blank strings) selects the official key of that scheme. A
// PEM whose newlines arrive escaped as `\n` (a common way to put one in an environment
// variable) is accepted. maxAge is the replay window for CheckFresh (zero selects
// DefaultWebhookMaxAge); now defaults to time.Now. The RSA keys are only used with
// WithLegacyRSA.
func NewWebhookVerifier(ed25519PEMs, rsaPEMs []string, maxAge time.Duration, now func() time.Time, opts ...WebhookOption) (*WebhookVerifier, error) {
	if maxAge < 0 {
		return nil, fmt.Errorf("highlevel webhook: max age %s is negative", maxAge)
	}
	if maxAge == 0 {
		maxAge = DefaultWebhookMaxAge
	}
	if now == nil {
		now = time.Now
	}
	v := &WebhookVerifier{maxAge: maxAge, now: now}
	for _, o := range opts {
		o(v)
	}

	edPEMs := nonBlank(ed25519PEMs)
	if len(edPEMs) == 0 {
		edPEMs = []string{OfficialWebhookEd25519Key}
	}
	for i, p := range edPEMs {
		key, err := parsePublicKeyPEM(p)
		if err != nil {
			return nil, fmt.Errorf("highlevel webhook: ed25519 key %d of %d: %w", i+1, len(edPEMs), err)
		}
		k, ok := key.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("highlevel webhook: ed25519 key %d of %d: is %s, want an Ed25519 key", i+1, len(edPEMs), keyKind(key))
		}
		v.ed = append(v.ed, k)
	}

	rsaList := nonBlank(rsaPEMs)
	if len(rsaList) == 0 {
		rsaList = []string{OfficialWebhookRSAKey}
	}
	for i, p := range rsaList {
		key, err := parsePublicKeyPEM(p)
		if err != nil {
			return nil, fmt.Errorf("highlevel webhook: rsa key %d of %d: %w", i+1, len(rsaList), err)
		}
		k, ok := key.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("highlevel webhook: rsa key %d of %d: is %s, want an RSA key", i+1, len(rsaList), keyKind(key))
		}
		if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, fmt.Errorf("highlevel webhook: rsa key %d of %d: %d bits, want %d to %d", i+1, len(rsaList), bits, minRSABits, maxRSABits)
		}
		v.rsa = append(v.rsa, k)
	}
	return v, nil
}

// MaxAge is the replay window; a webhookId dedupe record must outlive twice this span.
func (v *WebhookVerifier) MaxAge() time.Duration { return v.maxAge }

// Verify checks the signature over the exact raw body bytes (never a re-encoding of the
// parsed JSON: whitespace or key order would change what was signed). x-ghl-signature
// (Ed25519) is tried first; only when it is absent (or "N/A"), and only WithLegacyRSA, is
// the legacy x-wh-signature (RSA) tried. A present but wrong Ed25519 signature fails
// without a fallback, so a downgrade to the legacy scheme cannot be forced by mangling
// the header.
func (v *WebhookVerifier) Verify(h http.Header, body []byte) (Scheme, error) {
	if len(body) > MaxWebhookBody {
		return "", fmt.Errorf("%w: body is %d bytes, limit %d", ErrMalformed, len(body), MaxWebhookBody)
	}
	sig, err := signatureHeader(h, HeaderWebhookSignature)
	if err != nil {
		return "", err
	}
	if sig != "" {
		raw, err := decodeSignature(HeaderWebhookSignature, sig)
		if err != nil {
			return "", err
		}
		if len(raw) != ed25519.SignatureSize {
			return "", fmt.Errorf("%w: %s decodes to %d bytes, want %d", ErrSignatureInvalid, HeaderWebhookSignature, len(raw), ed25519.SignatureSize)
		}
		for _, k := range v.ed {
			if ed25519.Verify(k, body, raw) {
				return SchemeEd25519, nil
			}
		}
		return "", fmt.Errorf("%w: %s does not match the body under any of %d key(s)", ErrSignatureInvalid, HeaderWebhookSignature, len(v.ed))
	}

	if !v.legacyRSA {
		return "", fmt.Errorf("%w: %s is absent (the legacy %s is not accepted)", ErrSignatureMissing, HeaderWebhookSignature, HeaderWebhookLegacySignature)
	}
	return v.verifyLegacy(h, body)
}

// verifyLegacy checks x-wh-signature (RSA PKCS#1 v1.5 over SHA-256).
func (v *WebhookVerifier) verifyLegacy(h http.Header, body []byte) (Scheme, error) {
	sig, err := signatureHeader(h, HeaderWebhookLegacySignature)
	if err != nil {
		return "", err
	}
	if sig == "" {
		return "", fmt.Errorf("%w: neither %s nor %s is present", ErrSignatureMissing, HeaderWebhookSignature, HeaderWebhookLegacySignature)
	}
	raw, err := decodeSignature(HeaderWebhookLegacySignature, sig)
	if err != nil {
		return "", err
	}
	digest := sha256.Sum256(body)
	sized := false
	for _, k := range v.rsa {
		if len(raw) != k.Size() {
			continue
		}
		sized = true
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], raw) == nil {
			return SchemeRSA, nil
		}
	}
	if !sized {
		return "", fmt.Errorf("%w: %s decodes to %d bytes, which fits no configured key", ErrSignatureInvalid, HeaderWebhookLegacySignature, len(raw))
	}
	return "", fmt.Errorf("%w: %s does not match the body under any of %d key(s)", ErrSignatureInvalid, HeaderWebhookLegacySignature, len(v.rsa))
}

// CheckFresh rejects an event whose timestamp is more than MaxAge away from now, in
// either direction (a timestamp from the future is as suspect as an old one). An event
// without a timestamp cannot be checked: ErrTimestampMissing. Call it on a verified
// event: the timestamp is only trustworthy because the body is signed.
func (v *WebhookVerifier) CheckFresh(e WebhookEvent) error {
	if e.Timestamp.IsZero() {
		return fmt.Errorf("%w: the replay window cannot be checked", ErrTimestampMissing)
	}
	age := v.now().Sub(e.Timestamp)
	switch {
	case age > v.maxAge:
		return fmt.Errorf("%w: sent %s ago, window ±%s", ErrStale, age.Round(time.Millisecond), v.maxAge)
	case age < -v.maxAge:
		return fmt.Errorf("%w: dated %s in the future, window ±%s", ErrStale, (-age).Round(time.Millisecond), v.maxAge)
	}
	return nil
}

// signatureHeader returns the one meaningful value of header name: "" when it is absent,
// blank or "N/A" (some configurations send that literal). Several meaningful values are
// ambiguous and rejected. Header names are matched case-insensitively so that a
// hand-built http.Header with "x-ghl-signature" is read too.
func signatureHeader(h http.Header, name string) (string, error) {
	var found string
	n := 0
	for k, vs := range h {
		if !strings.EqualFold(k, name) {
			continue
		}
		for _, s := range vs {
			s = strings.TrimSpace(s)
			if s == "" || strings.EqualFold(s, "N/A") {
				continue
			}
			found = s
			n++
		}
	}
	if n > 1 {
		return "", fmt.Errorf("%w: %d values of %s", ErrSignatureInvalid, n, name)
	}
	return found, nil
}

// decodeSignature decodes standard base64 (padded, as HighLevel sends it, or unpadded),
// refusing absurd lengths before doing any work.
func decodeSignature(name, s string) ([]byte, error) {
	if len(s) > maxSignatureLen {
		return nil, fmt.Errorf("%w: %s is %d characters, longer than any supported signature", ErrSignatureInvalid, name, len(s))
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		raw, err = base64.RawStdEncoding.Strict().DecodeString(s)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not base64", ErrSignatureInvalid, name)
	}
	return raw, nil
}

func nonBlank(list []string) []string {
	var out []string
	for _, s := range list {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// parsePublicKeyPEM parses exactly one PEM public key. Errors say what is wrong without
// echoing the input (a pasted private key must not end up in a log).
func parsePublicKeyPEM(s string) (any, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "\n") && strings.Contains(s, `\n`) {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("not a PEM block (want -----BEGIN PUBLIC KEY-----)")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("more than one PEM block or trailing data; give one key per entry")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		return k, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse RSA public key: %w", err)
		}
		return k, nil
	default:
		if strings.Contains(block.Type, "PRIVATE") {
			return nil, fmt.Errorf("PEM block is a %s; configure the public key only", block.Type)
		}
		return nil, fmt.Errorf("PEM block type %q, want PUBLIC KEY", block.Type)
	}
}

func keyKind(k any) string {
	switch k.(type) {
	case ed25519.PublicKey:
		return "an Ed25519 key"
	case *rsa.PublicKey:
		return "an RSA key"
	default:
		return fmt.Sprintf("a %T", k)
	}
}

// SignWebhookEd25519 signs body as HighLevel does for x-ghl-signature: pure Ed25519 over
// the exact bytes, standard base64. For simulators and tests. It panics if priv is not
// ed25519.PrivateKeySize bytes long.
func SignWebhookEd25519(priv ed25519.PrivateKey, body []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(priv, body))
}

// SignWebhookRSA signs body as HighLevel does for the legacy x-wh-signature: RSA PKCS#1
// v1.5 over SHA-256 of the exact bytes, standard base64. For simulators and tests.
func SignWebhookRSA(priv *rsa.PrivateKey, body []byte) (string, error) {
	if priv == nil {
		return "", errors.New("highlevel webhook: nil RSA key")
	}
	digest := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("highlevel webhook: rsa sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// WebhookPublicKeyPEM encodes an Ed25519 or RSA public key as the SPKI PEM that
// NewWebhookVerifier reads, so a simulator can hand its key to the starter's config.
func WebhookPublicKeyPEM(pub crypto.PublicKey) (string, error) {
	switch pub.(type) {
	case ed25519.PublicKey, *rsa.PublicKey:
	default:
		return "", fmt.Errorf("highlevel webhook: unsupported key type %T", pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("highlevel webhook: marshal public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}
