package actionstepsim

import "github.com/saasbridge/saasbridge/internal/sandbox/simkit"

// Token prefixes make simulator secrets easy to grep for in leak tests.
const (
	accessTokenPrefix  = "assim_at_"
	refreshTokenPrefix = "assim_rt_"
)

// newHex40 is 40 hex digits: the shape of authorization codes and of the
// "id" of Actionstep error documents (a SHA-1 in the samples).
func newHex40() string { return simkit.RandomHex(20) }
