// Package stripeevent receives the agency's Stripe events (POST /webhooks/stripe on the
// starter): it verifies their Stripe-Signature with the official stripe-go webhook
// package and turns the subscription and invoice events saasbridge handles into a
// Change for the location's owner. It knows nothing of HTTP handlers, locations or
// workflows; the starter wires it to them.
package stripeevent

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
)

// SignatureHeader is the HTTP header carrying Stripe's signature.
const SignatureHeader = "Stripe-Signature"

// DefaultTolerance is the replay window when none is configured: stripe-go's own.
const DefaultTolerance = webhook.DefaultTolerance

// Verification errors. Their messages never contain the body, the signature or a
// secret.
var (
	ErrSignatureMissing = errors.New("stripe: Stripe-Signature header missing")
	ErrSignatureInvalid = errors.New("stripe: signature invalid")
	ErrStale            = errors.New("stripe: timestamp outside the replay window")
	ErrMalformed        = errors.New("stripe: malformed event")
)

// Verifier checks Stripe-Signature headers against the endpoint's signing secrets.
type Verifier struct {
	secrets   []string
	tolerance time.Duration
	now       func() time.Time
}

// NewVerifier verifies with any of secrets (several while a secret is rolled: Stripe
// then signs with the old and the new one) within tolerance of now (<= 0:
// DefaultTolerance).
func NewVerifier(secrets []string, tolerance time.Duration, now func() time.Time) (*Verifier, error) {
	var keep []string
	for _, s := range secrets {
		if s = strings.TrimSpace(s); s != "" {
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return nil, errors.New("stripe: no webhook signing secret")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	return &Verifier{secrets: keep, tolerance: tolerance, now: now}, nil
}

// Verify checks the signature over the exact body bytes and returns the event.
// stripe-go checks the signature and that the timestamp is not older than the
// tolerance; it does not refuse a timestamp from the future, which Verify does too
// (a signed request held back and replayed later would otherwise pass). The event's
// API version is not checked against stripe-go's: the agency's endpoint is pinned to
// whatever version it was created with, and Change reads only fields that every
// version since 2020 carries (see Parse).
func (v *Verifier) Verify(header string, body []byte) (stripe.Event, error) {
	if strings.TrimSpace(header) == "" {
		return stripe.Event{}, ErrSignatureMissing
	}
	var lastErr error
	for _, secret := range v.secrets {
		ev, err := webhook.ConstructEventWithOptions(body, header, secret, webhook.ConstructEventOptions{
			Tolerance: v.tolerance, IgnoreAPIVersionMismatch: true,
		})
		switch {
		case err == nil:
			return ev, v.checkNotFuture(header)
		case errors.Is(err, webhook.ErrTooOld):
			return stripe.Event{}, fmt.Errorf("%w: signed more than %s ago", ErrStale, v.tolerance)
		case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader), errors.Is(err, webhook.ErrNoValidSignature):
			lastErr = err
		default: // signed, but not an event: the JSON did not parse
			return stripe.Event{}, fmt.Errorf("%w: the body is not a JSON event", ErrMalformed)
		}
	}
	if errors.Is(lastErr, webhook.ErrInvalidHeader) {
		return stripe.Event{}, fmt.Errorf("%w: the header is not t=…,v1=…", ErrSignatureInvalid)
	}
	return stripe.Event{}, fmt.Errorf("%w: no v1 value matches under any of %d secret(s)", ErrSignatureInvalid, len(v.secrets))
}

// checkNotFuture refuses a verified header whose timestamp is more than the tolerance
// ahead of now.
func (v *Verifier) checkNotFuture(header string) error {
	for item := range strings.SplitSeq(header, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(item), "=")
		if k != "t" {
			continue
		}
		sec, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: t is not unix seconds", ErrSignatureInvalid)
		}
		if ahead := time.Unix(sec, 0).Sub(v.now()); ahead > v.tolerance {
			return fmt.Errorf("%w: signed %s in the future", ErrStale, ahead.Round(time.Second))
		}
		return nil
	}
	return fmt.Errorf("%w: no t in the header", ErrSignatureInvalid)
}

// Sign returns a Stripe-Signature header for body signed at t with each of secrets (one
// v1 value per secret, as Stripe sends while a secret is rolled). For tests, benchmarks
// and the sandbox's own checks.
func Sign(body []byte, t time.Time, secrets ...string) string {
	h := "t=" + strconv.FormatInt(t.Unix(), 10)
	for _, s := range secrets {
		h += fmt.Sprintf(",v1=%x", webhook.ComputeSignature(t, body, s))
	}
	return h
}
