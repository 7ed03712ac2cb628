package highlevel

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"
)

// fuzzSignedBodies are the only bodies the fuzz verifier's keys ever sign: Verify must
// accept nothing else, whatever the headers.
var fuzzSignedBodies = []string{
	installBody,
	`{"type":"UNINSTALL","appId":"ve9EPM428h8vShlRW1KT","locationId":"otg8dTQqGLh3Q6iQI55w"}`,
	`{"type":"LocationUpdate","id":"ve9EPM428h8vShlRW1KT","companyId":"otg8dTQqGLh3Q6iQI55w"}`,
	``,
	`{}`,
}

// FuzzVerify: Verify never panics and accepts only bodies that were signed.
func FuzzVerify(f *testing.F) {
	ks := rsaKeys()
	signed := map[string]bool{}
	for _, b := range fuzzSignedBodies {
		signed[b] = true
		body := []byte(b)
		rsaSig, err := SignWebhookRSA(ks[0], body)
		if err != nil {
			f.Fatal(err)
		}
		edSig := SignWebhookEd25519(edKey1, body)
		f.Add(body, edSig, "")
		f.Add(body, "", rsaSig)
		f.Add(body, "N/A", rsaSig)
		f.Add(body, edSig, rsaSig)
		f.Add(append(body, ' '), edSig, "")
		f.Add(body, edSig[:len(edSig)-2], "")
		f.Add(body, "", rsaSig[4:])
	}
	v := testVerifier(f)
	strict, err := NewWebhookVerifier(
		[]string{pubPEM(f, edPub(edKey1)), pubPEM(f, edPub(edKey2))}, []string{pubPEM(f, &ks[0].PublicKey)}, 5*time.Minute, nil)
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, body []byte, ghl, wh string) {
		h := http.Header{}
		if ghl != "" {
			h.Set(HeaderWebhookSignature, ghl)
		}
		if wh != "" {
			h.Set(HeaderWebhookLegacySignature, wh)
		}
		// Without WithLegacyRSA nothing verifies through the RSA header.
		if scheme, err := strict.Verify(h, body); err == nil && scheme != SchemeEd25519 {
			t.Fatalf("legacy scheme %q accepted with legacy RSA off", scheme)
		}
		scheme, err := v.Verify(h, body)
		if err == nil {
			if !signed[string(body)] {
				t.Fatalf("accepted an unsigned body via %s", scheme)
			}
			if scheme != SchemeEd25519 && scheme != SchemeRSA {
				t.Fatalf("accepted with scheme %q", scheme)
			}
			return
		}
		if scheme != "" {
			t.Fatalf("scheme %q with error %v", scheme, err)
		}
		if !errors.Is(err, ErrSignatureMissing) && !errors.Is(err, ErrSignatureInvalid) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("unclassified error %v", err)
		}
	})
}

// FuzzVerifyTamper: a body signed under either scheme verifies, and any change to it
// (a flipped byte, an appended byte, a truncation) is rejected.
func FuzzVerifyTamper(f *testing.F) {
	for _, b := range fuzzSignedBodies {
		f.Add([]byte(b), uint(0), byte(1), uint8(0))
		f.Add([]byte(b), uint(7), byte(0x20), uint8(1))
		f.Add([]byte(b), uint(3), byte(0), uint8(2))
	}
	v := testVerifier(f)
	rsaKey := rsaKeys()[1]

	f.Fuzz(func(t *testing.T, body []byte, pos uint, flip byte, mode uint8) {
		if len(body) > 4096 {
			return
		}
		edH := http.Header{HeaderWebhookSignature: {SignWebhookEd25519(edKey2, body)}}
		rsaSig, err := SignWebhookRSA(rsaKey, body)
		if err != nil {
			t.Fatal(err)
		}
		rsaH := http.Header{HeaderWebhookLegacySignature: {rsaSig}}
		for _, h := range []http.Header{edH, rsaH} {
			if _, err := v.Verify(h, body); err != nil {
				t.Fatalf("signed body rejected: %v", err)
			}
		}

		tampered := bytes.Clone(body)
		switch mode % 3 {
		case 0:
			if len(body) == 0 {
				return
			}
			if flip == 0 {
				flip = 1
			}
			tampered[pos%uint(len(body))] ^= flip
		case 1:
			tampered = append(tampered, flip)
		case 2:
			if len(body) == 0 {
				return
			}
			tampered = tampered[:pos%uint(len(body))]
		}
		for _, h := range []http.Header{edH, rsaH} {
			if s, err := v.Verify(h, tampered); !errors.Is(err, ErrSignatureInvalid) {
				t.Fatalf("tampered body: scheme %q, err %v", s, err)
			}
		}
	})
}
