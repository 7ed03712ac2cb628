package tokens

import (
	"bytes"
	"errors"
	"maps"
	"testing"
)

var testBinding = binding{key: locKey, attrs: `{"locationId":"loc1"}`, expiry: 1_700_000_000_000}

func testSealer(t testing.TB) *sealer {
	t.Helper()
	s, err := newSealer(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	s := testSealer(t)
	tok := Token{AccessToken: "a", RefreshToken: "r", TokenType: "bearer", Secrets: map[string]string{"k": "v"}}
	blob, err := s.seal(testBinding, tok)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.open(testBinding, blob)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != "a" || got.RefreshToken != "r" || got.TokenType != "bearer" || !maps.Equal(got.Secrets, tok.Secrets) {
		t.Fatalf("open = %+v", got)
	}
	again, _ := s.seal(testBinding, tok)
	if bytes.Equal(blob[:blobHeaderLen+12], again[:blobHeaderLen+12]) {
		t.Fatal("two seals used the same nonce")
	}
	if blob[0] != blobFormat || blob[1] != DefaultKeyID {
		t.Fatalf("blob header = %v", blob[:2])
	}
}

func TestOpenRejects(t *testing.T) {
	s := testSealer(t)
	blob, err := s.seal(testBinding, Token{AccessToken: "a"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := newSealer(bytes.Repeat([]byte{1}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(b []byte)) []byte {
		b := bytes.Clone(blob)
		f(b)
		return b
	}
	for _, tc := range []struct {
		name   string
		sealer *sealer
		b      binding
		blob   []byte
	}{
		{"other encryption key", other, testBinding, blob},
		{"other credential", s, binding{key: "highlevel/location/loc2", attrs: testBinding.attrs, expiry: testBinding.expiry}, blob},
		{"other attrs", s, binding{key: locKey, attrs: `{"locationId":"loc2"}`, expiry: testBinding.expiry}, blob},
		{"other expiry", s, binding{key: locKey, attrs: testBinding.attrs, expiry: testBinding.expiry + 1}, blob},
		{"flipped ciphertext bit", s, testBinding, edit(func(b []byte) { b[len(b)-1] ^= 1 })},
		{"unknown format", s, testBinding, edit(func(b []byte) { b[0] = 9 })},
		{"unknown key version", s, testBinding, edit(func(b []byte) { b[1] = 2 })},
		{"truncated", s, testBinding, blob[:20]},
		{"empty", s, testBinding, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.sealer.open(tc.b, tc.blob); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("open = %v, want ErrDecrypt", err)
			}
		})
	}
}

// FuzzOpen feeds arbitrary bytes to the blob decoder: it must reject them without panicking.
func FuzzOpen(f *testing.F) {
	s := testSealer(f)
	valid, err := s.seal(testBinding, Token{AccessToken: "a", RefreshToken: "r"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte{})
	f.Add([]byte{blobFormat, DefaultKeyID})
	f.Add(valid[:blobHeaderLen+12])
	f.Fuzz(func(t *testing.T, blob []byte) {
		got, err := s.open(testBinding, blob)
		switch {
		// Each fuzz worker seals its own seed (random nonce), so a blob that opens can only be
		// one of those: same plaintext.
		case err == nil && (got.AccessToken != "a" || got.RefreshToken != "r"):
			t.Fatalf("open accepted a blob nobody sealed: %+v", got)
		case err != nil && !errors.Is(err, ErrDecrypt):
			t.Fatalf("open error %v does not wrap ErrDecrypt", err)
		}
	})
}
