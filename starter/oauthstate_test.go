package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlowTokens(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s, err := newFlowSigner(storeKey, func() time.Time { return now })
	require.NoError(t, err)
	tok := s.sign(purposeState, flowClaims{Provider: "highlevel", Binding: "b", Replace: "42"}, stateTTL)
	c, err := s.open(purposeState, "highlevel", tok)
	require.NoError(t, err)
	assert.Equal(t, flowClaims{Provider: "highlevel", Binding: "b", Replace: "42", Expires: now.Add(stateTTL).Unix()}, c)

	for name, check := range map[string]func() error{
		"other purpose":  func() error { _, err := s.open(purposeTick, "highlevel", tok); return err },
		"other provider": func() error { _, err := s.open(purposeState, "actionstep", tok); return err },
		"truncated":      func() error { _, err := s.open(purposeState, "highlevel", tok[:len(tok)-1]); return err },
		"no signature":   func() error { _, err := s.open(purposeState, "highlevel", strings.Split(tok, ".")[0]); return err },
	} {
		assert.ErrorIs(t, check(), errBadState, name)
	}
	now = now.Add(stateTTL)
	_, err = s.open(purposeState, "highlevel", tok)
	assert.ErrorIs(t, err, errBadState, "expired at its expiry")

	now = now.Add(-time.Second)
	other, err := newFlowSigner(append([]byte{1}, storeKey[1:]...), func() time.Time { return now })
	require.NoError(t, err)
	_, err = other.open(purposeState, "highlevel", tok)
	assert.ErrorIs(t, err, errBadState, "another key")
	v := s.pkceVerifier("nonce")
	assert.Len(t, v, 43, "RFC 7636: 43 to 128 characters")
	assert.NotEqual(t, v, s.pkceVerifier("other nonce"))
}

// FuzzFlowOpen: open never panics and accepts nothing this signer did not sign.
func FuzzFlowOpen(f *testing.F) {
	s, err := newFlowSigner(storeKey, time.Now)
	if err != nil {
		f.Fatal(err)
	}
	signed := map[string]bool{}
	for _, c := range []flowClaims{{Provider: "highlevel"}, {Provider: "highlevel", Binding: "x", Replace: "7"}} {
		tok := s.sign(purposeState, c, stateTTL)
		signed[tok] = true
		f.Add(tok)
		f.Add(tok[:len(tok)-2])
		f.Add(strings.Replace(tok, ".", "", 1))
	}
	f.Add("")
	f.Add("e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		if _, err := s.open(purposeState, "highlevel", tok); err == nil && !signed[tok] {
			t.Fatalf("accepted a token nobody signed: %q", tok)
		}
	})
}
