package simkit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIssuedTokensAll(t *testing.T) {
	assert.Equal(t, []string{"a1", "a2", "r1"}, IssuedTokens{AccessTokens: []string{"a1", "a2"}, RefreshTokens: []string{"r1"}}.All())
}

func TestSecrets(t *testing.T) {
	s := NewSecret("sim_at_")
	assert.True(t, strings.HasPrefix(s, "sim_at_"))
	assert.Len(t, s, len("sim_at_")+43)
	assert.NotEqual(t, s, NewSecret("sim_at_"))
	assert.Regexp(t, `^[0-9a-f]{40}$`, RandomHex(20))
	assert.Len(t, RandomBytes(12), 12)
}

func TestBearerToken(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer abc": "abc", "bearer abc": "abc", "BEARER a b": "a b",
		"": "", "Bearer": "", "Bearer ": "", "Basic abc": "",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		got, ok := BearerToken(r)
		assert.Equal(t, want, got, header)
		assert.Equal(t, want != "", ok, header)
	}
}
