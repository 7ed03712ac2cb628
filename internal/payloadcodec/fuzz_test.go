package payloadcodec

import (
	"crypto/rand"
	"encoding/base64"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// FuzzDecode: Decode never panics, whatever the metadata and bytes, and whether or not the
// bytes authenticate; payloads that are not ours come back untouched.
func FuzzDecode(f *testing.F) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		f.Fatal(err)
	}
	keys, err := ParseKeys("k1:"+base64.StdEncoding.EncodeToString(raw), "")
	if err != nil {
		f.Fatal(err)
	}
	c := NewCodec(keys)
	aead := keys.aeads["k1"]

	valid, err := c.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"name":"Acme"}`)}})
	if err != nil {
		f.Fatal(err)
	}
	inner, err := proto.Marshal(&commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"x"`)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(Encoding, "k1", true, valid[0].Data, false)
	f.Add(Encoding, "k1", true, inner, true)
	f.Add(Encoding, "k1", true, []byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f}, true)
	f.Add(Encoding, "k2", true, valid[0].Data, false)
	f.Add(Encoding, "", false, []byte{}, false)
	f.Add(Encoding, "k1", true, valid[0].Data[:27], false)
	f.Add("json/plain", "k1", true, []byte(`"x"`), false)
	f.Add("", "", false, []byte(nil), true)

	f.Fuzz(func(t *testing.T, encoding, keyID string, hasKeyID bool, data []byte, seal bool) {
		if seal {
			// Authentic bytes that may not be a Payload: exercises the unmarshal path.
			nonce := make([]byte, aead.NonceSize())
			data = aead.Seal(nonce, nonce, data, aad("k1"))
		}
		md := map[string][]byte{converter.MetadataEncoding: []byte(encoding)}
		if hasKeyID {
			md[MetadataKeyID] = []byte(keyID)
		}
		p := &commonpb.Payload{Metadata: md, Data: data}
		out, err := c.Decode([]*commonpb.Payload{p, nil})
		if encoding != Encoding {
			if err != nil || len(out) != 2 || out[0] != p || out[1] != nil {
				t.Fatalf("foreign payload not passed through: %v %v", out, err)
			}
			return
		}
		if err == nil && (len(out) != 2 || out[0] == nil) {
			t.Fatalf("no error and no payload: %v", out)
		}
	})
}
