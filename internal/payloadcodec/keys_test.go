package payloadcodec_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/saasbridge/saasbridge/internal/payloadcodec"
)

func TestParseKeys(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "2026-05_b")
	spec := " " + k1.entry() + " , " + k2.entry() + ","

	ks, err := payloadcodec.ParseKeys(spec, "")
	if err != nil {
		t.Fatal(err)
	}
	if ks.Current() != "k1" {
		t.Errorf("current defaults to %q, want the first entry k1", ks.Current())
	}
	ks, err = payloadcodec.ParseKeys(spec, "2026-05_b")
	if err != nil {
		t.Fatal(err)
	}
	if ks.Current() != "2026-05_b" {
		t.Errorf("current = %q", ks.Current())
	}
}

func TestParseKeysErrorsNameTheEntryAndHideTheKey(t *testing.T) {
	k1 := newKey(t, "k1")
	short := newKey(t, "short")
	short.b64 = short.b64[:24] // 18 bytes
	long := newKey(t, "x")
	tooLongID := strings.Repeat("a", 33)
	tests := []struct {
		name, spec, current, want string
	}{
		{"empty", "", "", "no key given"},
		{"only commas", " , ,", "", "no key given"},
		{"no colon", k1.entry() + "," + k1.b64, "", "key entry 2: must be id:base64key"},
		{"bad id chars", "k.1:" + k1.b64, "", "key entry 1: id must be 1 to 32 characters"},
		{"empty id", ":" + k1.b64, "", "key entry 1: id must be"},
		{"id too long", tooLongID + ":" + k1.b64, "", "key entry 1: id must be"},
		{"swapped", k1.b64 + ":k1", "", "key entry 1: id must be"},
		{"duplicate id", k1.entry() + ",k1:" + long.b64, "", `key "k1" (entry 2): id used twice`},
		{"not base64", "k2:" + k1.b64[:20] + "!!!" + k1.b64[23:], "", `key "k2" (entry 1): must be base64`},
		{"short key", short.entry(), "", `key "short" (entry 1): must decode to 32 bytes, got 18`},
		{"unknown current", k1.entry(), "k9", `current key id "k9" is not among the configured keys`},
		{"malformed current", k1.entry(), k1.b64, "current key id must be 1 to 32 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := payloadcodec.ParseKeys(tt.spec, tt.current)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			assertNoKeyMaterial(t, err.Error(), k1, long)
			if strings.Contains(err.Error(), short.b64) {
				t.Errorf("error %q echoes the short key", err)
			}
		})
	}
}

func TestKeysStringRedacts(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	ks := mustKeys(t, "k2", k1, k2)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		s := fmt.Sprintf(verb, ks)
		assertNoKeyMaterial(t, s, k1, k2)
		if !strings.Contains(s, "redacted") || !strings.Contains(s, "k2") {
			t.Errorf("%s: %q should name the ids and say material is redacted", verb, s)
		}
	}
	// Inside a config struct printed whole.
	s := fmt.Sprintf("%+v", struct{ Keys payloadcodec.Keys }{ks})
	assertNoKeyMaterial(t, s, k1, k2)
}
