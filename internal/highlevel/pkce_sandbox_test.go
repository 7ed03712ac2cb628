package highlevel_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

// TestSandboxExchangeCodeWithVerifier: a code issued for a PKCE challenge is exchanged
// only with its verifier.
func TestSandboxExchangeCodeWithVerifier(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{Name: "PKCE Agency"})
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	code, _, err := e.admin.Authorize(t.Context(), highlevelsim.AuthorizeRequest{
		ClientID: testClientID, RedirectURI: testRedirect, Scope: allScopes, CompanyID: e.agency.ID,
		CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]),
	})
	require.NoError(t, err)
	var api *highlevel.APIError
	_, err = e.base.ExchangeCode(t.Context(), code, testRedirect)
	require.True(t, errors.As(err, &api), "no verifier: %v", err)
	assert.Equal(t, http.StatusBadRequest, api.StatusCode)
	_, err = e.base.ExchangeCodeWithVerifier(t.Context(), code, testRedirect, strings.Repeat("w", 43))
	require.True(t, errors.As(err, &api), "wrong verifier: %v", err)
	tok, err := e.base.ExchangeCodeWithVerifier(t.Context(), code, testRedirect, verifier)
	require.NoError(t, err)
	assert.Equal(t, e.agency.ID, tok.CompanyID)
}
