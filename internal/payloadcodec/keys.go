// Package payloadcodec encrypts Temporal payloads (workflow and activity inputs and results,
// memos, UI summaries) with AES-256-GCM before they leave the process, so that location
// names, emails and addresses are ciphertext in Temporal's database and history exports.
//
// Worker, starter and tests all build their client with [DataConverter]. Operators read
// histories through the codec server ([Handler]), which the Web UI and the temporal CLI call
// to decode payloads for display.
//
// Every encrypted payload names the key that sealed it (metadata "encryption-key-id"), so keys
// rotate without a migration: add the new key as current and keep the old one configured for
// as long as histories sealed with it are still open or may be replayed or read.
//
// Search attributes are never passed through a codec: keep PII out of them.
package payloadcodec

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeySize is the length of every key (AES-256).
const KeySize = 32

// keyIDPattern is what a key id must look like. It is written into every encrypted
// payload's metadata, so it is short and needs no escaping.
var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Keys holds the AES-256 keys the codec knows, by id, and which of them encrypts. The zero
// value holds no key: a codec built from it passes unencrypted payloads through and fails
// every Encode. Build one with [ParseKeys]. Keys is immutable and safe for concurrent use.
type Keys struct {
	current string
	ids     []string // configuration order, for String
	aeads   map[string]cipher.AEAD
}

// ParseKeys reads keys given as "id1:base64key,id2:base64key". Ids are 1 to 32 of
// A-Za-z0-9_- and unique; each key is 32 bytes in standard base64 (openssl rand -base64 32).
// Blanks around entries and empty entries are ignored. current names the key that encrypts;
// empty means the first entry.
//
// Errors name a bad entry by its id, or by its 1-based position when the id itself is bad;
// they never contain key material.
func ParseKeys(spec, current string) (Keys, error) {
	k := Keys{aeads: map[string]cipher.AEAD{}}
	pos := 0
	for _, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		pos++
		id, b64, ok := strings.Cut(entry, ":")
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		switch {
		case !ok:
			return Keys{}, fmt.Errorf("key entry %d: must be id:base64key", pos)
		case !keyIDPattern.MatchString(id):
			return Keys{}, fmt.Errorf("key entry %d: id must be 1 to 32 characters of A-Za-z0-9_-", pos)
		case k.aeads[id] != nil:
			return Keys{}, fmt.Errorf("key %q (entry %d): id used twice", id, pos)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return Keys{}, fmt.Errorf("key %q (entry %d): must be base64", id, pos)
		}
		if len(raw) != KeySize {
			return Keys{}, fmt.Errorf("key %q (entry %d): must decode to %d bytes, got %d", id, pos, KeySize, len(raw))
		}
		aead, err := newAEAD(raw)
		if err != nil {
			return Keys{}, fmt.Errorf("key %q (entry %d): %w", id, pos, err)
		}
		k.aeads[id] = aead
		k.ids = append(k.ids, id)
	}
	if len(k.ids) == 0 {
		return Keys{}, errors.New("no key given (want id:base64key[,id:base64key...])")
	}
	current = strings.TrimSpace(current)
	switch {
	case current == "":
		k.current = k.ids[0]
	case !keyIDPattern.MatchString(current):
		return Keys{}, errors.New("current key id must be 1 to 32 characters of A-Za-z0-9_-")
	case k.aeads[current] == nil:
		return Keys{}, fmt.Errorf("current key id %q is not among the configured keys", current)
	default:
		k.current = current
	}
	return k, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errors.New("not a valid AES key")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, errors.New("cannot set up AES-GCM")
	}
	return aead, nil
}

// Current is the id of the key that encrypts ("" for the zero Keys). It is not secret: log
// it at start-up.
func (k Keys) Current() string { return k.current }

// String shows the key ids and which one encrypts, never key material.
func (k Keys) String() string {
	return fmt.Sprintf("payload keys [current %q, ids %q, material redacted]", k.current, k.ids)
}

// GoString keeps %#v from printing the ciphers' internal state.
func (k Keys) GoString() string { return k.String() }
