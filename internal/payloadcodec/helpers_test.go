package payloadcodec_test

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/saasbridge/saasbridge/internal/payloadcodec"
)

// testKey is one key in both forms, so tests can check that neither leaks.
type testKey struct {
	id  string
	raw []byte
	b64 string
}

func newKey(t testing.TB, id string) testKey {
	t.Helper()
	raw := make([]byte, payloadcodec.KeySize)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return testKey{id: id, raw: raw, b64: base64.StdEncoding.EncodeToString(raw)}
}

func (k testKey) entry() string { return k.id + ":" + k.b64 }

func mustKeys(t testing.TB, current string, keys ...testKey) payloadcodec.Keys {
	t.Helper()
	entries := make([]string, len(keys))
	for i, k := range keys {
		entries[i] = k.entry()
	}
	ks, err := payloadcodec.ParseKeys(strings.Join(entries, ","), current)
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	return ks
}

// assertNoKeyMaterial fails if s holds any form of the keys.
func assertNoKeyMaterial(t *testing.T, s string, keys ...testKey) {
	t.Helper()
	for _, k := range keys {
		for _, form := range []string{k.b64, k.b64[:16], string(k.raw), base64.RawStdEncoding.EncodeToString(k.raw)} {
			if strings.Contains(s, form) {
				t.Fatalf("key %s material leaked into %q", k.id, s)
			}
		}
	}
}

// location is the shape of a workflow input that carries PII.
type location struct {
	LocationID string   `json:"locationId"`
	Name       string   `json:"name"`
	Email      string   `json:"email"`
	Address    string   `json:"address"`
	Tags       []string `json:"tags,omitempty"`
}

var acme = location{
	LocationID: "loc_8XJ2",
	Name:       "Acme Dental Brisbane",
	Email:      "reception@acme-dental.example",
	Address:    "12 Wharf Street, Brisbane QLD 4000",
	Tags:       []string{"vip"},
}

// piiStrings are the fragments of acme that must never appear in an encoded payload.
var piiStrings = []string{acme.Name, acme.Email, acme.Address, "acme-dental", "Wharf"}
