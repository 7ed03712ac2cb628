package actionstepsim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return b
}

// Token prefixes make simulator secrets easy to grep for in leak tests.
const (
	accessTokenPrefix  = "assim_at_"
	refreshTokenPrefix = "assim_rt_"
)

// newSecret is an opaque bearer secret with a recognisable prefix.
func newSecret(prefix string) string {
	return prefix + base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// newHex40 is 40 hex digits: the shape of authorization codes and of the
// "id" of Actionstep error documents (a SHA-1 in the samples).
func newHex40() string { return hex.EncodeToString(randomBytes(20)) }
