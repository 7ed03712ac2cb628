package actionstep_test

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

// TestSandboxOAuthPKCE: a code issued for a PKCE challenge is exchanged only with its
// verifier.
func TestSandboxOAuthPKCE(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	code, _, err := e.admin.Authorize(t.Context(), actionstepsim.AuthorizeRequest{
		ClientID: testClientID, RedirectURI: testRedirect, Scope: "all", OrgKey: simOrgKey,
		CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]),
	})
	require.NoError(t, err)
	_, err = e.api.ExchangeCode(t.Context(), code, testRedirect)
	assert.True(t, actionstep.IsInvalidGrant(err), "no verifier: %v", err)
	_, err = e.api.ExchangeCodeWithVerifier(t.Context(), code, testRedirect, strings.Repeat("w", 43))
	assert.True(t, actionstep.IsInvalidGrant(err), "wrong verifier: %v", err)
	tr, err := e.api.ExchangeCodeWithVerifier(t.Context(), code, testRedirect, verifier)
	require.NoError(t, err)
	assert.Equal(t, simOrgKey, tr.OrgKey)
}
