package config

import (
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Key is a 32-byte AES-256 key given in base64.
type Key []byte

// UnmarshalText decodes the base64 form and insists on 32 bytes, so a truncated key is
// caught at start rather than on the first token write.
func (k *Key) UnmarshalText(b []byte) error {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return errors.New("must be base64")
	}
	if len(raw) != 32 {
		return fmt.Errorf("must decode to 32 bytes, got %d", len(raw))
	}
	*k = raw
	return nil
}

// String never shows the key: configs get logged.
func (k Key) String() string { return "[redacted]" }

// StoreKey is a token-store key with its id (1–255), written "[id:]base64".
type StoreKey struct {
	ID  byte
	Key Key
}

// UnmarshalText reads "id:base64" or a bare base64 key (id 1).
func (k *StoreKey) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	id := 1
	if prefix, rest, ok := strings.Cut(s, ":"); ok {
		n, err := strconv.Atoi(prefix)
		if err != nil || n < 1 || n > 255 {
			return errors.New("key id (before the colon) must be a number from 1 to 255")
		}
		id, s = n, rest
	}
	var key Key
	if err := key.UnmarshalText([]byte(s)); err != nil {
		return err
	}
	*k = StoreKey{ID: byte(id), Key: key}
	return nil
}

// String never shows the key.
func (k StoreKey) String() string { return fmt.Sprintf("key %d [redacted]", k.ID) }

// StoreKeys is a comma-separated list of "id:base64" keys, ids given explicitly.
type StoreKeys []StoreKey

// UnmarshalText splits on commas; every entry must name its id.
func (ks *StoreKeys) UnmarshalText(b []byte) error {
	var out StoreKeys
	for i, part := range strings.Split(string(b), ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		if !strings.Contains(part, ":") {
			return fmt.Errorf("entry %d: must be id:base64key", i+1)
		}
		var k StoreKey
		if err := k.UnmarshalText([]byte(part)); err != nil {
			return fmt.Errorf("entry %d: %w", i+1, err)
		}
		out = append(out, k)
	}
	*ks = out
	return nil
}

// Switch is an on/off setting: on, off, true, false, yes, no, 1 or 0.
type Switch bool

// UnmarshalText reads the switch's words.
func (s *Switch) UnmarshalText(b []byte) error {
	switch strings.ToLower(strings.TrimSpace(string(b))) {
	case "on", "true", "yes", "1":
		*s = true
	case "off", "false", "no", "0", "":
		*s = false
	default:
		return errors.New("must be on or off")
	}
	return nil
}

// PEMBlocks holds one or more PEM blocks from one variable. Literal "\n" sequences
// (how many .env tools store newlines) are accepted.
type PEMBlocks []string

// UnmarshalText splits the value into PEM blocks.
func (p *PEMBlocks) UnmarshalText(b []byte) error {
	rest := []byte(strings.ReplaceAll(string(b), `\n`, "\n"))
	var out PEMBlocks
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		out = append(out, string(pem.EncodeToMemory(block)))
	}
	if len(out) == 0 && strings.TrimSpace(string(b)) != "" {
		return errors.New("holds no PEM block")
	}
	*p = out
	return nil
}

// Secrets is a comma-separated list of shared secrets.
type Secrets [][]byte

// UnmarshalText splits on commas and drops empty entries.
func (s *Secrets) UnmarshalText(b []byte) error {
	var out Secrets
	for _, part := range strings.Split(string(b), ",") {
		if part = strings.TrimSpace(part); part != "" {
			if len(part) < 16 {
				return errors.New("each secret must be at least 16 characters")
			}
			out = append(out, []byte(part))
		}
	}
	*s = out
	return nil
}

// String never shows the secrets.
func (s Secrets) String() string { return fmt.Sprintf("[%d secrets redacted]", len(s)) }
