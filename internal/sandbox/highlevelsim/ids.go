package highlevelsim

import (
	"crypto/rand"
	"fmt"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString draws n characters uniformly from alphabet (rejection
// sampling, so no modulo bias). crypto/rand.Read never fails since Go 1.24.
func randomString(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// newResourceID is a HighLevel company/location/user id: 20 alphanumerics
// such as "l1C08ntBrFjLS0elLIYU".
func newResourceID() string { return randomString(alphanumeric, 20) }

// newObjectID is a 24-hex Mongo ObjectId, HighLevel's shape for app,
// version, plan and refreshTokenId values.
func newObjectID() string { return simkit.RandomHex(12) }

// newStripeID is a Stripe-style id such as "cus_NffrFeUfNV2Hib".
func newStripeID(prefix string) string { return prefix + randomString(alphanumeric, 14) }

// Token prefixes make simulator secrets easy to grep for in leak tests.
const (
	accessTokenPrefix  = "hlsim_at_"
	refreshTokenPrefix = "hlsim_rt_"
)

// newAuthCode mirrors the 40-hex codes seen in HighLevel's examples.
func newAuthCode() string { return simkit.RandomHex(20) }

// newTraceID is a random (version 4) UUID, HighLevel's traceId shape.
func newTraceID() string {
	b := simkit.RandomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
