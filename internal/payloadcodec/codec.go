package payloadcodec

import (
	"crypto/rand"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload. Nothing else of the original payload (its encoding,
// its message type) is left in clear: it is all inside the ciphertext.
const (
	// Encoding is the "encoding" metadata value of an encrypted payload.
	Encoding = "binary/encrypted"
	// MetadataKeyID is the metadata key naming the key that sealed the payload.
	MetadataKeyID = "encryption-key-id"
)

// aadDomain is the additional authenticated data prefix; the key id follows it, so that
// sealed bytes only open under the id they were sealed under.
const aadDomain = "saasbridge/payloadcodec/v1\x00"

var (
	// ErrUnknownKeyID is wrapped by Decode errors for a payload whose key id is missing,
	// malformed or not configured. Add the key back (as a non-current key) to read it.
	ErrUnknownKeyID = errors.New("payloadcodec: unknown encryption key id")
	// ErrDecrypt is wrapped by Decode errors for a payload that does not open under the key
	// its metadata names: it was altered or truncated, or the key under that id changed.
	ErrDecrypt = errors.New("payloadcodec: cannot decrypt payload")
	// ErrNoCurrentKey is wrapped by Encode errors when the Keys hold no key.
	ErrNoCurrentKey = errors.New("payloadcodec: no encryption key configured")
)

type codec struct{ keys Keys }

// NewCodec returns the encrypting PayloadCodec.
//
// Encode marshals each payload (protobuf) and seals it with AES-256-GCM under the current
// key and a random nonce; the result is nonce || ciphertext || tag with metadata
// encoding=binary/encrypted and encryption-key-id=<id>.
//
// Decode opens each encrypted payload with the key its metadata names and passes every
// other payload through unchanged, so histories recorded before encryption was turned on
// still replay. Nil payloads pass through both ways.
//
// Errors name the payload's position and key id, never key material. They are wrapped in
// [converter.NewWorkflowTaskFailureError]: during workflow-task processing a missing or
// wrong key then fails (and retries) the workflow task rather than failing the workflow
// execution, so fixing the key configuration lets the workflow carry on. Elsewhere they are
// ordinary errors; errors.Is finds [ErrUnknownKeyID], [ErrDecrypt] and [ErrNoCurrentKey].
func NewCodec(k Keys) converter.PayloadCodec { return &codec{keys: k} }

// DataConverter is the data converter every client of this project uses: the SDK's default
// converter with payloads encrypted by [NewCodec].
func DataConverter(k Keys) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), NewCodec(k))
}

func aad(keyID string) []byte { return append([]byte(aadDomain), keyID...) }

// Encode implements converter.PayloadCodec.
func (c *codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.keys.current
	aead := c.keys.aeads[id]
	if aead == nil {
		return nil, converter.NewWorkflowTaskFailureError(ErrNoCurrentKey)
	}
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if p == nil {
			continue
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, converter.NewWorkflowTaskFailureError(fmt.Errorf("payloadcodec: marshal payload %d: %w", i, err))
		}
		ns := aead.NonceSize()
		sealed := make([]byte, ns, ns+len(plain)+aead.Overhead())
		if _, err := rand.Read(sealed); err != nil {
			return nil, converter.NewWorkflowTaskFailureError(fmt.Errorf("payloadcodec: nonce: %w", err))
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				MetadataKeyID:              []byte(id),
			},
			Data: aead.Seal(sealed, sealed, plain, aad(id)),
		}
	}
	return out, nil
}

// Decode implements converter.PayloadCodec.
func (c *codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		d, err := c.open(i, p)
		if err != nil {
			return nil, converter.NewWorkflowTaskFailureError(err)
		}
		out[i] = d
	}
	return out, nil
}

func (c *codec) open(i int, p *commonpb.Payload) (*commonpb.Payload, error) {
	raw, ok := p.GetMetadata()[MetadataKeyID]
	if !ok {
		return nil, fmt.Errorf("%w: payload %d has no %s metadata", ErrUnknownKeyID, i, MetadataKeyID)
	}
	id := string(raw)
	if !keyIDPattern.MatchString(id) {
		return nil, fmt.Errorf("%w: payload %d has a malformed %s (%d bytes)", ErrUnknownKeyID, i, MetadataKeyID, len(raw))
	}
	aead := c.keys.aeads[id]
	if aead == nil {
		return nil, fmt.Errorf("%w: payload %d was encrypted with key id %q, which is not configured", ErrUnknownKeyID, i, id)
	}
	data := p.GetData()
	ns := aead.NonceSize()
	if len(data) < ns+aead.Overhead() {
		return nil, fmt.Errorf("%w: payload %d (key id %q) is truncated: %d bytes", ErrDecrypt, i, id, len(data))
	}
	plain, err := aead.Open(nil, data[:ns], data[ns:], aad(id))
	if err != nil {
		return nil, fmt.Errorf("%w: payload %d (key id %q) failed authentication: it was altered, or the key under this id changed", ErrDecrypt, i, id)
	}
	var d commonpb.Payload
	if err := proto.Unmarshal(plain, &d); err != nil {
		// Only a bug could get here (the tag authenticated these bytes); don't echo them.
		return nil, fmt.Errorf("%w: payload %d (key id %q) decrypted to something that is not a payload", ErrDecrypt, i, id)
	}
	return &d, nil
}
