package payloadcodec_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/saasbridge/saasbridge/internal/payloadcodec"
)

// plainPayloads are one payload of every encoding the default converter produces.
func plainPayloads(t *testing.T) map[string]*commonpb.Payload {
	t.Helper()
	dc := converter.GetDefaultDataConverter()
	out := map[string]*commonpb.Payload{}
	for _, v := range []any{
		nil,
		"Acme Dental Brisbane, reception@acme-dental.example",
		acme,
		[]byte("raw bytes: 12 Wharf Street"),
		&commonpb.WorkflowExecution{WorkflowId: "onboarding:loc_8XJ2", RunId: "run-Wharf-Street"},
	} {
		p, err := dc.ToPayload(v)
		if err != nil {
			t.Fatalf("ToPayload(%T): %v", v, err)
		}
		out[string(p.Metadata[converter.MetadataEncoding])] = p
	}
	p, err := converter.NewProtoPayloadConverter().ToPayload(&commonpb.WorkflowExecution{WorkflowId: "onboarding:loc_8XJ2", RunId: "run-Wharf-Street"})
	if err != nil {
		t.Fatal(err)
	}
	out[string(p.Metadata[converter.MetadataEncoding])] = p
	for _, enc := range []string{"binary/null", "json/plain", "binary/plain", "json/protobuf", "binary/protobuf"} {
		if out[enc] == nil {
			t.Fatalf("no %s payload in the fixture; got %v", enc, reflect.ValueOf(out).MapKeys())
		}
	}
	return out
}

func TestCodecRoundTripEveryEncoding(t *testing.T) {
	k1 := newKey(t, "k1")
	codec := payloadcodec.NewCodec(mustKeys(t, "", k1))
	for enc, plain := range plainPayloads(t) {
		t.Run(enc, func(t *testing.T) {
			encoded, err := codec.Encode([]*commonpb.Payload{plain})
			if err != nil {
				t.Fatal(err)
			}
			if len(encoded) != 1 {
				t.Fatalf("%d payloads", len(encoded))
			}
			e := encoded[0]
			wantMD := map[string][]byte{"encoding": []byte("binary/encrypted"), "encryption-key-id": []byte("k1")}
			if !reflect.DeepEqual(e.Metadata, wantMD) {
				t.Errorf("metadata %q, want only encoding and key id", e.Metadata)
			}
			wire, err := proto.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if len(plain.Data) >= 4 && bytes.Contains(wire, plain.Data) {
				t.Error("encoded payload contains the plaintext data")
			}
			if bytes.Contains(wire, []byte(enc)) || bytes.Contains(wire, []byte("messageType")) {
				t.Error("encoded payload shows the original metadata")
			}
			for _, s := range append(piiStrings, "Wharf", "loc_8XJ2") {
				if bytes.Contains(wire, []byte(s)) {
					t.Errorf("encoded payload contains %q", s)
				}
			}

			decoded, err := codec.Decode(encoded)
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(decoded[0], plain) {
				t.Errorf("decoded %v, want %v", decoded[0], plain)
			}
		})
	}
}

func TestCodecUsesFreshNonces(t *testing.T) {
	codec := payloadcodec.NewCodec(mustKeys(t, "", newKey(t, "k1")))
	p := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"same"`)}
	a, err := codec.Encode([]*commonpb.Payload{p})
	if err != nil {
		t.Fatal(err)
	}
	b, err := codec.Encode([]*commonpb.Payload{p})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a[0].Data, b[0].Data) {
		t.Error("two encodings of one payload are identical")
	}
}

func TestCodecSeveralPayloadsAndNil(t *testing.T) {
	codec := payloadcodec.NewCodec(mustKeys(t, "", newKey(t, "k1")))
	plain := plainPayloads(t)
	in := []*commonpb.Payload{plain["json/plain"], nil, plain["binary/plain"]}
	enc, err := codec.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != 3 || enc[1] != nil {
		t.Fatalf("encoded %v", enc)
	}
	dec, err := codec.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !proto.Equal(dec[i], in[i]) {
			t.Errorf("payload %d: %v, want %v", i, dec[i], in[i])
		}
	}
}

func TestDataConverterRoundTripsPII(t *testing.T) {
	k1 := newKey(t, "k1")
	dc := payloadcodec.DataConverter(mustKeys(t, "", k1))

	payloads, err := dc.ToPayloads(acme, "second arg: "+acme.Email, 42)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := proto.Marshal(payloads)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range piiStrings {
		if bytes.Contains(wire, []byte(s)) {
			t.Errorf("encoded payloads contain %q", s)
		}
	}
	for i, p := range payloads.Payloads {
		if string(p.Metadata["encoding"]) != "binary/encrypted" {
			t.Errorf("payload %d encoding %q", i, p.Metadata["encoding"])
		}
	}

	var (
		got    location
		second string
		n      int
	)
	if err := dc.FromPayloads(payloads, &got, &second, &n); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, acme) || second != "second arg: "+acme.Email || n != 42 {
		t.Errorf("round trip: %+v %q %d", got, second, n)
	}
	if s := dc.ToString(payloads.Payloads[0]); !strings.Contains(s, acme.Email) {
		t.Errorf("ToString = %q, want the decoded value", s)
	}

	// A pointer, a nil and a proto through the single-payload path.
	one, err := dc.ToPayload(&acme)
	if err != nil {
		t.Fatal(err)
	}
	var ptr *location
	if err := dc.FromPayload(one, &ptr); err != nil || ptr == nil || !reflect.DeepEqual(*ptr, acme) {
		t.Errorf("pointer round trip: %v %v", ptr, err)
	}
	nilP, err := dc.ToPayload(nil)
	if err != nil {
		t.Fatal(err)
	}
	ptr = &location{}
	if err := dc.FromPayload(nilP, &ptr); err != nil || ptr != nil {
		t.Errorf("nil round trip: %v %v", ptr, err)
	}
	we := &commonpb.WorkflowExecution{WorkflowId: "w", RunId: "r"}
	pp, err := dc.ToPayload(we)
	if err != nil {
		t.Fatal(err)
	}
	var gotWE commonpb.WorkflowExecution
	if err := dc.FromPayload(pp, &gotWE); err != nil || !proto.Equal(&gotWE, we) {
		t.Errorf("proto round trip: %v %v", &gotWE, err)
	}
}

func TestDecodePassesPlaintextThrough(t *testing.T) {
	codec := payloadcodec.NewCodec(mustKeys(t, "", newKey(t, "k1")))
	plain := plainPayloads(t)
	in := []*commonpb.Payload{
		plain["json/plain"], plain["binary/null"], plain["binary/protobuf"],
		{Data: []byte("no metadata at all")},
		{Metadata: map[string][]byte{"encoding": []byte("binary/zlib")}, Data: []byte{1, 2}},
		nil,
	}
	out, err := codec.Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("payload %d was changed", i)
		}
	}

	// A history recorded before encryption still reads through the DataConverter.
	old, err := converter.GetDefaultDataConverter().ToPayload(acme)
	if err != nil {
		t.Fatal(err)
	}
	var got location
	if err := payloadcodec.DataConverter(mustKeys(t, "", newKey(t, "k1"))).FromPayload(old, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, acme) {
		t.Errorf("got %+v", got)
	}
}

func TestKeyRotation(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	before := payloadcodec.DataConverter(mustKeys(t, "", k1))
	old, err := before.ToPayload(acme)
	if err != nil {
		t.Fatal(err)
	}

	// Rotate: k2 encrypts, k1 stays configured for what it sealed. Both spellings.
	for _, rotated := range []payloadcodec.Keys{mustKeys(t, "", k2, k1), mustKeys(t, "k2", k1, k2)} {
		after := payloadcodec.DataConverter(rotated)
		var got location
		if err := after.FromPayload(old, &got); err != nil {
			t.Fatalf("old payload after rotation: %v", err)
		}
		if !reflect.DeepEqual(got, acme) {
			t.Errorf("old payload decoded to %+v", got)
		}
		fresh, err := after.ToPayload(acme)
		if err != nil {
			t.Fatal(err)
		}
		if id := string(fresh.Metadata["encryption-key-id"]); id != "k2" {
			t.Errorf("new payload sealed with %q, want k2", id)
		}
		if err := after.FromPayload(fresh, &got); err != nil {
			t.Fatal(err)
		}
	}

	// A process that still only has k1 (not yet redeployed) cannot read k2's payloads,
	// and says which key it lacks.
	fresh, err := payloadcodec.DataConverter(mustKeys(t, "", k2, k1)).ToPayload(acme)
	if err != nil {
		t.Fatal(err)
	}
	var got location
	err = before.FromPayload(fresh, &got)
	if !errors.Is(err, payloadcodec.ErrUnknownKeyID) || !strings.Contains(err.Error(), `"k2"`) {
		t.Fatalf("err = %v, want ErrUnknownKeyID naming k2", err)
	}
	assertNoKeyMaterial(t, err.Error(), k1, k2)
}

func TestDecodeFailures(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	codec := payloadcodec.NewCodec(mustKeys(t, "k2", k1, k2))
	sealed := func() *commonpb.Payload {
		enc, err := codec.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"x"`)}})
		if err != nil {
			t.Fatal(err)
		}
		return enc[0]
	}
	tests := []struct {
		name   string
		mutate func(p *commonpb.Payload)
		is     error
		want   string
	}{
		{"unknown key id", func(p *commonpb.Payload) { p.Metadata["encryption-key-id"] = []byte("k9") }, payloadcodec.ErrUnknownKeyID, `key id "k9", which is not configured`},
		{"no key id", func(p *commonpb.Payload) { delete(p.Metadata, "encryption-key-id") }, payloadcodec.ErrUnknownKeyID, "has no encryption-key-id"},
		{"malformed key id", func(p *commonpb.Payload) { p.Metadata["encryption-key-id"] = []byte("k\n9 " + k1.b64) }, payloadcodec.ErrUnknownKeyID, "malformed encryption-key-id"},
		{"flipped bit", func(p *commonpb.Payload) { p.Data[len(p.Data)/2] ^= 1 }, payloadcodec.ErrDecrypt, `payload 0 (key id "k2") failed authentication`},
		{"flipped tag", func(p *commonpb.Payload) { p.Data[len(p.Data)-1] ^= 0x80 }, payloadcodec.ErrDecrypt, "failed authentication"},
		{"flipped nonce", func(p *commonpb.Payload) { p.Data[0] ^= 1 }, payloadcodec.ErrDecrypt, "failed authentication"},
		{"other configured key id", func(p *commonpb.Payload) { p.Metadata["encryption-key-id"] = []byte("k1") }, payloadcodec.ErrDecrypt, `(key id "k1") failed authentication`},
		{"truncated", func(p *commonpb.Payload) { p.Data = p.Data[:20] }, payloadcodec.ErrDecrypt, "truncated: 20 bytes"},
		{"appended", func(p *commonpb.Payload) { p.Data = append(p.Data, 0) }, payloadcodec.ErrDecrypt, "failed authentication"},
		{"empty", func(p *commonpb.Payload) { p.Data = nil }, payloadcodec.ErrDecrypt, "truncated: 0 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sealed()
			tt.mutate(p)
			_, err := codec.Decode([]*commonpb.Payload{p})
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %q, want it to contain %q", err, tt.want)
			}
			assertNoKeyMaterial(t, err.Error(), k1, k2)
			// A workflow task fails (and retries once the keys are fixed) rather than the
			// workflow execution.
			var wtf *converter.WorkflowTaskFailureError
			if !errors.As(err, &wtf) {
				t.Errorf("err %T is not a WorkflowTaskFailureError", err)
			}

			// The same through the DataConverter.
			var s string
			if err := payloadcodec.DataConverter(mustKeys(t, "k2", k1, k2)).FromPayload(p, &s); !errors.Is(err, tt.is) {
				t.Errorf("DataConverter: err = %v", err)
			}
		})
	}
}

func TestEncodeWithoutKeys(t *testing.T) {
	_, err := payloadcodec.NewCodec(payloadcodec.Keys{}).Encode([]*commonpb.Payload{{Data: []byte("x")}})
	if !errors.Is(err, payloadcodec.ErrNoCurrentKey) {
		t.Fatalf("err = %v", err)
	}
	if _, err := payloadcodec.DataConverter(payloadcodec.Keys{}).ToPayload(acme); err == nil {
		t.Fatal("zero Keys encoded a payload")
	}
}
