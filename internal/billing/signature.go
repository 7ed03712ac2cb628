// Package billing receives the agency billing system's subscription events
// (POST /events/subscription-changed on the starter): it verifies their Stripe-style
// HMAC signature and parses and validates their body. It knows nothing of HTTP
// handlers or workflows; the starter wires it to both.
//
// The signature header is
//
//	Saasbridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
//
// with one v1 value per secret while secrets are being rotated. Other schemes (v0,
// v2, …) are ignored, so a sender can add one before receivers understand it.
package billing

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the HTTP header carrying the signature.
const SignatureHeader = "Saasbridge-Signature"

// DefaultWindow is the replay window Verify uses when given none.
const DefaultWindow = 5 * time.Minute

const (
	// maxHeaderLen bounds the work done on a header before it is parsed: a timestamp and
	// maxSignatures v1 values fit in well under this.
	maxHeaderLen  = 1024
	maxSignatures = 8
	sigHexLen     = 2 * sha256.Size
)

// Verification errors; Verify wraps them with a reason that never contains the body, the
// signature or a secret. ErrNoSecret is a configuration error (answer 500, not 401).
var (
	ErrSignatureMissing = errors.New("billing: signature missing")
	ErrSignatureInvalid = errors.New("billing: signature invalid")
	ErrStale            = errors.New("billing: timestamp outside the replay window")
	ErrNoSecret         = errors.New("billing: no signing secret configured")
)

// Sign returns the SignatureHeader value for body sent at t. For the billing system's
// tests, simulators and the starter's CLI.
func Sign(secret []byte, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks header against body. It accepts when any v1 value matches the HMAC
// under any of secrets (several secrets overlap during a rotation; empty ones are
// skipped, since an empty key authenticates nothing) and the timestamp is within
// ±window of now (window <= 0 selects DefaultWindow). The signature is checked before
// the timestamp, so ErrStale is only reported for an authentic but late request. MACs
// are compared in constant time. The exact body bytes are what is signed: verify before
// parsing, never a re-encoding.
func Verify(secrets [][]byte, header string, body []byte, now time.Time, window time.Duration) error {
	var keys [][]byte
	for _, s := range secrets {
		if len(s) > 0 {
			keys = append(keys, s)
		}
	}
	if len(keys) == 0 {
		return ErrNoSecret
	}
	if window <= 0 {
		window = DefaultWindow
	}

	header = strings.TrimSpace(header)
	if header == "" {
		return fmt.Errorf("%w: no %s header", ErrSignatureMissing, SignatureHeader)
	}
	if len(header) > maxHeaderLen {
		return fmt.Errorf("%w: header is %d bytes, limit %d", ErrSignatureInvalid, len(header), maxHeaderLen)
	}
	ts, sigs, err := parseHeader(header)
	if err != nil {
		return err
	}

	ok := 0
	for _, k := range keys {
		want := mac(k, ts, body)
		for _, got := range sigs {
			// No early exit: the time taken does not depend on which pair matched.
			ok |= subtle.ConstantTimeCompare(want, got)
		}
	}
	if ok == 0 {
		return fmt.Errorf("%w: no v1 value matches under any of %d secret(s)", ErrSignatureInvalid, len(keys))
	}

	sec, _ := strconv.ParseInt(ts, 10, 64) // parseHeader checked it
	age := now.Sub(time.Unix(sec, 0))
	switch {
	case age > window:
		return fmt.Errorf("%w: signed %s ago, window ±%s", ErrStale, age.Round(time.Second), window)
	case age < -window:
		return fmt.Errorf("%w: signed %s in the future, window ±%s", ErrStale, (-age).Round(time.Second), window)
	}
	return nil
}

// parseHeader splits "t=…,v1=…[,v1=…]" into the timestamp (as sent, digits only: it is
// part of the signed payload) and the decoded v1 MACs.
func parseHeader(header string) (string, [][]byte, error) {
	var ts string
	var sigs [][]byte
	seenT := false
	for item := range strings.SplitSeq(header, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(item), "=")
		if !found {
			return "", nil, fmt.Errorf("%w: header item without '='", ErrSignatureInvalid)
		}
		switch k {
		case "t":
			if seenT {
				return "", nil, fmt.Errorf("%w: more than one t", ErrSignatureInvalid)
			}
			seenT = true
			if !isUnixSeconds(v) {
				return "", nil, fmt.Errorf("%w: t is not unix seconds", ErrSignatureInvalid)
			}
			ts = v
		case "v1":
			if len(sigs) == maxSignatures {
				return "", nil, fmt.Errorf("%w: more than %d v1 values", ErrSignatureInvalid, maxSignatures)
			}
			if len(v) != sigHexLen {
				return "", nil, fmt.Errorf("%w: v1 is %d characters, want %d hex digits", ErrSignatureInvalid, len(v), sigHexLen)
			}
			b, err := hex.DecodeString(v)
			if err != nil {
				return "", nil, fmt.Errorf("%w: v1 is not hex", ErrSignatureInvalid)
			}
			sigs = append(sigs, b)
		}
	}
	if !seenT {
		return "", nil, fmt.Errorf("%w: no t in header", ErrSignatureInvalid)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: no v1 in header", ErrSignatureInvalid)
	}
	return ts, sigs, nil
}

// isUnixSeconds accepts 1 to 12 decimal digits without sign or leading zero.
func isUnixSeconds(s string) bool {
	if len(s) == 0 || len(s) > 12 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
