package stripeevent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/saasbridge/saasbridge/internal/stripeevent"
)

const (
	secretOld = "whsec_old0123456789abcdefghijklmnopqrstuv"
	secretNew = "whsec_new0123456789abcdefghijklmnopqrstuv"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	require.NoError(t, err)
	return b
}

// Every signature case of the endpoint, on a fixture shaped like Stripe's event.
func TestVerify(t *testing.T) {
	now := time.Now()
	body := fixture(t, "customer.subscription.updated")
	changed := append([]byte(nil), body...)
	changed[len(changed)/2] ^= 0x01 // one byte, one bit
	rotating, err := stripeevent.NewVerifier([]string{secretOld, secretNew}, 5*time.Minute, time.Now)
	require.NoError(t, err)
	single, err := stripeevent.NewVerifier([]string{secretNew}, 5*time.Minute, time.Now)
	require.NoError(t, err)
	for _, tc := range []struct {
		name     string
		verifier *stripeevent.Verifier
		header   string
		body     []byte
		want     error
	}{
		{"valid", single, stripeevent.Sign(body, now, secretNew), body, nil},
		{"wrong secret", single, stripeevent.Sign(body, now, "whsec_someoneelse0123456789abcdefghij"), body, stripeevent.ErrSignatureInvalid},
		{"stale", single, stripeevent.Sign(body, now.Add(-6*time.Minute), secretNew), body, stripeevent.ErrStale},
		{"future", single, stripeevent.Sign(body, now.Add(6*time.Minute), secretNew), body, stripeevent.ErrStale},
		{"within the window either way", single, stripeevent.Sign(body, now.Add(4*time.Minute), secretNew), body, nil},
		{"rotation: our old secret, Stripe signs with the old", rotating, stripeevent.Sign(body, now, secretOld), body, nil},
		{"rotation: our old secret, Stripe signs with the new", rotating, stripeevent.Sign(body, now, secretNew), body, nil},
		{"rotation: Stripe signs with both while rolling", single, stripeevent.Sign(body, now, secretOld, secretNew), body, nil},
		{"old secret retired", single, stripeevent.Sign(body, now, secretOld), body, stripeevent.ErrSignatureInvalid},
		{"body changed by one byte", rotating, stripeevent.Sign(body, now, secretNew), changed, stripeevent.ErrSignatureInvalid},
		{"missing header", single, "", body, stripeevent.ErrSignatureMissing},
		{"header without v1", single, "t=12345", body, stripeevent.ErrSignatureInvalid},
		{"header not key=value", single, "garbage", body, stripeevent.ErrSignatureInvalid},
		{"signed, but not JSON", single, stripeevent.Sign([]byte("not json"), now, secretNew), []byte("not json"), stripeevent.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := tc.verifier.Verify(tc.header, tc.body)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, "evt_1QFixtureSubUpdated0001", ev.ID)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.NotContains(t, err.Error(), secretNew)
			assert.NotContains(t, err.Error(), "whsec_")
		})
	}
}

func TestNewVerifierNeedsASecret(t *testing.T) {
	_, err := stripeevent.NewVerifier([]string{" ", ""}, 0, time.Now)
	require.Error(t, err)
}

// FuzzVerify: no header or body makes Verify panic, and only a correct signature over
// the exact bytes passes.
func FuzzVerify(f *testing.F) {
	body := fixture(f, "invoice.paid")
	now := time.Now()
	f.Add(stripeevent.Sign(body, now, secretNew), body)
	f.Add("t=1,v1=00", []byte("{}"))
	f.Add("t=,v1=,v0=zz", []byte(nil))
	f.Add("t=9999999999999999999,v1="+stripeevent.Sign(body, now, secretNew)[13:], body)
	v, err := stripeevent.NewVerifier([]string{secretNew}, time.Hour, time.Now)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, header string, b []byte) {
		if _, err := v.Verify(header, b); err != nil {
			return
		}
		// It passed: the header carries the v1 of these exact bytes for its own t.
		var sec int64
		for item := range strings.SplitSeq(header, ",") {
			if k, val, _ := strings.Cut(strings.TrimSpace(item), "="); k == "t" {
				sec, _ = strconv.ParseInt(val, 10, 64)
			}
		}
		assert.Contains(t, header, fmt.Sprintf("v1=%x", webhook.ComputeSignature(time.Unix(sec, 0), b, secretNew)))
	})
}
