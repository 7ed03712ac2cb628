package tokens

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// A sealed blob is
//
//	format (1 byte) | key id (1 byte) | nonce (12 bytes) | AES-256-GCM ciphertext and tag
//
// The key id says which key sealed the row, so that keys rotate without a migration: the current
// key seals every write, older keys still open the rows they sealed, and Reencrypt rewrites those
// rows until no row needs an old key. The format byte lets the layout change without guessing. Both bytes are additional authenticated data, and so is the
// binding: the credential key, so that a blob copied onto another credential's row fails to open,
// and the plain attrs and expiry columns, so that whoever can write the database but lacks the key
// cannot, say, point Actionstep's api_endpoint (where the access token is sent) at their own host.
const (
	blobFormat    byte = 1
	blobHeaderLen      = 2
	aadDomain          = "saasbridge/tokens\x00"
)

// DefaultKeyID is the id of the key Open is given unless WithKeyID says otherwise: the id every
// row written before keys had ids was sealed under.
const DefaultKeyID byte = 1

// KeySize is the length of the encryption key Open expects (AES-256).
const KeySize = 32

// sealed is the encrypted part of a credential. Short JSON names keep the blob small; JSON keeps
// it readable by a future format without a migration.
type sealed struct {
	AccessToken  string            `json:"a,omitempty"`
	RefreshToken string            `json:"r,omitempty"`
	TokenType    string            `json:"t,omitempty"`
	Secrets      map[string]string `json:"x,omitempty"`
}

// binding is what a sealed blob is tied to, as stored in the row's plain columns.
type binding struct {
	key    string
	attrs  string // the attrs column (JSON)
	expiry int64  // the expiry column (unix milliseconds)
}

// sealer is a key ring: the current key seals, every key opens what it sealed.
type sealer struct {
	current byte
	aeads   map[byte]cipher.AEAD
}

// newSealer is a ring of one key, DefaultKeyID.
func newSealer(key []byte) (*sealer, error) { return newKeyring(DefaultKeyID, key, nil) }

// newKeyring builds the ring from the current key and its id and the retired keys by id. Ids run
// from 1 to 255; errors name ids, never key material.
func newKeyring(current byte, key []byte, old map[byte][]byte) (*sealer, error) {
	if current == 0 {
		return nil, errors.New("tokens: key id 0 is reserved; ids run from 1 to 255")
	}
	s := &sealer{current: current, aeads: map[byte]cipher.AEAD{}}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("tokens: encryption key %d: %w", current, err)
	}
	s.aeads[current] = aead
	for id, k := range old {
		if id == 0 || id == current {
			return nil, fmt.Errorf("tokens: old key id %d: must be 1 to 255 and differ from the current key's", id)
		}
		if s.aeads[id], err = newAEAD(k); err != nil {
			return nil, fmt.Errorf("tokens: old key %d: %w", id, err)
		}
	}
	return s, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("must be %d bytes (AES-256), got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealedWith is the id of the key that sealed blob, 0 when blob is too short to say.
func sealedWith(blob []byte) byte {
	if len(blob) < blobHeaderLen {
		return 0
	}
	return blob[1]
}

// seal encrypts the secret part of t for the row described by b with a fresh random nonce.
func (s *sealer) seal(b binding, t Token) ([]byte, error) {
	plain, err := json.Marshal(sealed{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, Secrets: t.Secrets,
	})
	if err != nil {
		return nil, fmt.Errorf("encode secret: %w", err)
	}
	aead := s.aeads[s.current]
	ns := aead.NonceSize()
	blob := make([]byte, blobHeaderLen+ns, blobHeaderLen+ns+len(plain)+aead.Overhead())
	blob[0], blob[1] = blobFormat, s.current
	if _, err := rand.Read(blob[blobHeaderLen:]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return aead.Seal(blob, blob[blobHeaderLen:], plain, b.aad(blob[0], blob[1])), nil
}

// open decrypts a blob made by seal for the same binding, with the key whose id the blob names.
// Any mismatch (a key id not in the ring, another key under that id, other row, altered columns,
// truncated or altered bytes) yields an error wrapping ErrDecrypt, never a panic.
func (s *sealer) open(b binding, blob []byte) (sealed, error) {
	if len(blob) < blobHeaderLen {
		return sealed{}, fmt.Errorf("%w: blob too short (%d bytes)", ErrDecrypt, len(blob))
	}
	if blob[0] != blobFormat {
		return sealed{}, fmt.Errorf("%w: unknown blob format %d", ErrDecrypt, blob[0])
	}
	aead := s.aeads[blob[1]]
	if aead == nil {
		return sealed{}, fmt.Errorf("%w: sealed with key id %d, which is not configured (current key %d); list it among the old keys",
			ErrDecrypt, blob[1], s.current)
	}
	ns := aead.NonceSize()
	if len(blob) < blobHeaderLen+ns+aead.Overhead() {
		return sealed{}, fmt.Errorf("%w: blob too short (%d bytes)", ErrDecrypt, len(blob))
	}
	nonce, ct := blob[blobHeaderLen:blobHeaderLen+ns], blob[blobHeaderLen+ns:]
	plain, err := aead.Open(nil, nonce, ct, b.aad(blob[0], blob[1]))
	if err != nil {
		return sealed{}, ErrDecrypt
	}
	var out sealed
	if err := json.Unmarshal(plain, &out); err != nil {
		// Only a bug could get here (the tag authenticated these bytes), so don't echo them.
		return sealed{}, fmt.Errorf("%w: malformed secret payload", ErrDecrypt)
	}
	return out, nil
}

// aad length-prefixes the strings so that no two bindings encode alike.
func (b binding) aad(format, keyVersion byte) []byte {
	out := append([]byte(aadDomain), format, keyVersion)
	out = binary.BigEndian.AppendUint32(out, uint32(len(b.key)))
	out = append(out, b.key...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(b.attrs)))
	out = append(out, b.attrs...)
	return binary.BigEndian.AppendUint64(out, uint64(b.expiry))
}
