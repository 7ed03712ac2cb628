package tokens

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// A sealed blob is
//
//	format (1 byte) | key version (1 byte) | nonce (12 bytes) | AES-256-GCM ciphertext and tag
//
// The key version lets a later key rotation tell which key sealed a row; the format byte lets the
// layout change without guessing. Both bytes are additional authenticated data, and so is the
// binding: the credential key, so that a blob copied onto another credential's row fails to open,
// and the plain attrs and expiry columns, so that whoever can write the database but lacks the key
// cannot, say, point Actionstep's api_endpoint (where the access token is sent) at their own host.
const (
	blobFormat        byte = 1
	currentKeyVersion byte = 1
	blobHeaderLen          = 2
	aadDomain              = "saasbridge/tokens\x00"
)

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

type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("tokens: encryption key must be %d bytes (AES-256), got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("tokens: encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("tokens: encryption key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// seal encrypts the secret part of t for the row described by b with a fresh random nonce.
func (s *sealer) seal(b binding, t Token) ([]byte, error) {
	plain, err := json.Marshal(sealed{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, Secrets: t.Secrets,
	})
	if err != nil {
		return nil, fmt.Errorf("encode secret: %w", err)
	}
	ns := s.aead.NonceSize()
	blob := make([]byte, blobHeaderLen+ns, blobHeaderLen+ns+len(plain)+s.aead.Overhead())
	blob[0], blob[1] = blobFormat, currentKeyVersion
	if _, err := rand.Read(blob[blobHeaderLen:]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return s.aead.Seal(blob, blob[blobHeaderLen:], plain, b.aad(blob[0], blob[1])), nil
}

// open decrypts a blob made by seal for the same binding. Any mismatch (other encryption key,
// other row, altered columns, truncated or altered bytes) yields an error wrapping ErrDecrypt,
// never a panic.
func (s *sealer) open(b binding, blob []byte) (sealed, error) {
	ns := s.aead.NonceSize()
	if len(blob) < blobHeaderLen+ns+s.aead.Overhead() {
		return sealed{}, fmt.Errorf("%w: blob too short (%d bytes)", ErrDecrypt, len(blob))
	}
	if blob[0] != blobFormat {
		return sealed{}, fmt.Errorf("%w: unknown blob format %d", ErrDecrypt, blob[0])
	}
	if blob[1] != currentKeyVersion {
		return sealed{}, fmt.Errorf("%w: sealed with key version %d, this store has key version %d",
			ErrDecrypt, blob[1], currentKeyVersion)
	}
	nonce, ct := blob[blobHeaderLen:blobHeaderLen+ns], blob[blobHeaderLen+ns:]
	plain, err := s.aead.Open(nil, nonce, ct, b.aad(blob[0], blob[1]))
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
