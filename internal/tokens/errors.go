package tokens

import (
	"errors"
	"strings"
)

var (
	// ErrNotFound: no credential is stored under the key.
	ErrNotFound = errors.New("credential not found")
	// ErrInvalidGrant is what a Refresher wraps when the server rejects the refresh token
	// (invalid, expired or already used).
	ErrInvalidGrant = errors.New("refresh token rejected (invalid grant)")
	// ErrInactive is what a Refresher wraps when the server refuses to refresh for now because the
	// account is not active (HighLevel "Location is not active"); the refresh token stays valid.
	ErrInactive = errors.New("account not active")
	// ErrReconnectNeeded: the credential's refresh token is dead and it must be authorized again.
	ErrReconnectNeeded = errors.New("credential needs re-connecting")
	// ErrSuspended: the provider refuses the credential until the account is active again.
	ErrSuspended = errors.New("credential suspended")
	// ErrLockTimeout: the refresh lock was not obtained within the store's lock timeout.
	ErrLockTimeout = errors.New("timed out waiting for the refresh lock")
	// ErrDecrypt: the sealed secret cannot be opened with the configured key, or was tampered with.
	ErrDecrypt = errors.New("cannot decrypt credential (wrong encryption key, or its row was altered)")
)

// Error is a failed operation on one credential. Its message names the credential, never a token.
type Error struct {
	Op  string // "get", "put", "refresh", …
	Key string
	Err error
}

func (e *Error) Error() string { return "tokens: " + e.Op + " " + e.Key + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// scrubbed hides secrets from the message of an error that came from outside the store (a
// Refresher's), while errors.Is and errors.As still see the original.
type scrubbed struct {
	err error
	msg string
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// minSecretLen keeps scrub from mangling messages over values too short to be real tokens.
const minSecretLen = 8

// scrub returns err with every secret (of at least minSecretLen bytes) replaced by "<redacted>"
// in its message.
func scrub(err error, secrets ...string) error {
	var pairs []string
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			pairs = append(pairs, s, "<redacted>")
		}
	}
	msg := err.Error()
	clean := strings.NewReplacer(pairs...).Replace(msg)
	if clean == msg {
		return err
	}
	return &scrubbed{err: err, msg: clean}
}
