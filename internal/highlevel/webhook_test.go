package highlevel

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test keys. Ed25519 keys come from fixed seeds; RSA keys are generated once per test
// binary (2048 bits: the smallest accepted, and quick to make).
var (
	edKey1     = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	edKey2     = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize))
	edStranger = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))

	rsaKeys = sync.OnceValue(func() [3]*rsa.PrivateKey {
		var ks [3]*rsa.PrivateKey
		for i := range ks {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			ks[i] = k
		}
		return ks
	})
)

var webhookNow = time.Date(2025, 6, 25, 6, 57, 10, 0, time.UTC)

// installBody is the official INSTALL sample (reference §5.2), compact as HighLevel
// sends it.
const installBody = `{"type":"INSTALL","appId":"665c6bb13d4e5364bdec0e2f","versionId":"665c6bb13d4e5364bdec0e2f","installType":"Location","locationId":"HjiMUOsCCHCjtxzEf8PR","companyId":"GNb7aIv4rQFVb9iwNl5K","userId":"Rg6BRRiHh7dS9gJy3W8a","companyName":"Marketplace and Integrations Prod Agency","isWhitelabelCompany":true,"whitelabelDetails":{"logoUrl":"https://example.com/logo.gif","domain":"rajender.dentistsnear.me"},"timestamp":"2025-06-25T06:57:06.225Z","webhookId":"1a533f85-1f1e-4886-891e-ee0cf4666e90"}`

func pubPEM(t testing.TB, pub any) string {
	t.Helper()
	s, err := WebhookPublicKeyPEM(pub)
	require.NoError(t, err)
	return s
}

func edPub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// testVerifier trusts edKey1, edKey2 and the first two RSA keys.
func testVerifier(t testing.TB) *WebhookVerifier {
	t.Helper()
	ks := rsaKeys()
	v, err := NewWebhookVerifier(
		[]string{pubPEM(t, edPub(edKey1)), pubPEM(t, edPub(edKey2))},
		[]string{pubPEM(t, &ks[0].PublicKey), pubPEM(t, &ks[1].PublicKey)},
		5*time.Minute, func() time.Time { return webhookNow }, WithLegacyRSA())
	require.NoError(t, err)
	return v
}

func rsaSign(t testing.TB, k *rsa.PrivateKey, body []byte) string {
	t.Helper()
	s, err := SignWebhookRSA(k, body)
	require.NoError(t, err)
	return s
}

func TestOfficialWebhookKeys(t *testing.T) {
	k, err := parsePublicKeyPEM(OfficialWebhookEd25519Key)
	require.NoError(t, err)
	ed, ok := k.(ed25519.PublicKey)
	require.True(t, ok, "official x-ghl-signature key is Ed25519")
	// The reference abbreviates this as "8b61d1d6…7088e8"; its PEM decodes to this.
	assert.Equal(t, "8b61d1d6cacbe28d7c3bc0516bb815258ec6edbba96cddc7f40c09ac708388e8", hex.EncodeToString(ed))

	k, err = parsePublicKeyPEM(OfficialWebhookRSAKey)
	require.NoError(t, err)
	rk, ok := k.(*rsa.PublicKey)
	require.True(t, ok, "official x-wh-signature key is RSA")
	assert.Equal(t, 4096, rk.N.BitLen())
	assert.Equal(t, 65537, rk.E)

	for _, lists := range [][2][]string{{nil, nil}, {{}, {}}, {{"", "  \n"}, {" "}}} {
		v, err := NewWebhookVerifier(lists[0], lists[1], 0, nil)
		require.NoError(t, err)
		require.Len(t, v.ed, 1)
		require.Len(t, v.rsa, 1)
		assert.Equal(t, ed, v.ed[0])
		assert.True(t, rk.Equal(v.rsa[0]))
		assert.Equal(t, DefaultWebhookMaxAge, v.MaxAge())
	}
}

func TestNewWebhookVerifierKeys(t *testing.T) {
	ks := rsaKeys()
	good := pubPEM(t, edPub(edKey1))
	rsaGood := pubPEM(t, &ks[0].PublicKey)

	privDER, err := x509.MarshalPKCS8PrivateKey(edKey1)
	require.NoError(t, err)
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	privB64 := base64.StdEncoding.EncodeToString(privDER)

	corrupt := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("not DER at all")}))
	cert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}))
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)

	tests := []struct {
		name   string
		ed     []string
		rsa    []string
		maxAge time.Duration
		want   []string // substrings of the error
	}{
		{"garbage second ed25519 key", []string{good, "hello"}, nil, 0, []string{"ed25519 key 2 of 2", "not a PEM block"}},
		{"rsa key in ed25519 list", []string{rsaGood}, nil, 0, []string{"ed25519 key 1 of 1", "is an RSA key, want an Ed25519 key"}},
		{"ed25519 key in rsa list", nil, []string{rsaGood, good}, 0, []string{"rsa key 2 of 2", "is an Ed25519 key, want an RSA key"}},
		{"private key", []string{privPEM}, nil, 0, []string{"ed25519 key 1 of 1", "PRIVATE KEY; configure the public key only"}},
		{"two blocks in one entry", []string{good + good}, nil, 0, []string{"ed25519 key 1 of 1", "more than one PEM block"}},
		{"corrupt DER", nil, []string{corrupt}, 0, []string{"rsa key 1 of 1", "parse public key"}},
		{"certificate", []string{cert}, nil, 0, []string{"ed25519 key 1 of 1", `PEM block type "CERTIFICATE"`}},
		{"rsa too small", nil, []string{pubPEM(t, &small.PublicKey)}, 0, []string{"rsa key 1 of 1", "1024 bits"}},
		{"negative max age", nil, nil, -time.Second, []string{"negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewWebhookVerifier(tt.ed, tt.rsa, tt.maxAge, nil)
			require.Error(t, err)
			assert.Nil(t, v)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), privB64[10:40], "never echo key material")
		})
	}

	t.Run("escaped newlines and PKCS#1 RSA are accepted", func(t *testing.T) {
		escaped := strings.ReplaceAll(strings.TrimSpace(good), "\n", `\n`)
		pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&ks[0].PublicKey)}))
		v, err := NewWebhookVerifier([]string{escaped}, []string{pkcs1}, time.Minute, nil)
		require.NoError(t, err)
		assert.Equal(t, edPub(edKey1), v.ed[0])
		assert.True(t, ks[0].PublicKey.Equal(v.rsa[0]))
		assert.Equal(t, time.Minute, v.MaxAge())
	})
}

func TestVerify(t *testing.T) {
	v := testVerifier(t)
	ks := rsaKeys()
	body := []byte(installBody)
	other := []byte(strings.Replace(installBody, "HjiMUOsCCHCjtxzEf8PR", "HjiMUOsCCHCjtxzEf8PS", 1))

	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, body, "", "  "))
	var parsed map[string]any
	require.NoError(t, json.Unmarshal(body, &parsed))
	reencoded, err := json.Marshal(parsed) // same data, keys re-ordered
	require.NoError(t, err)
	require.NotEqual(t, body, reencoded)

	oneByte := bytes.Clone(body)
	oneByte[len(oneByte)/2] ^= 0x01

	edSig := SignWebhookEd25519(edKey1, body)
	rsaSig := rsaSign(t, ks[0], body)

	type hdr = map[string][]string
	tests := []struct {
		name    string
		header  hdr
		body    []byte
		scheme  Scheme
		wantErr error
	}{
		{"ed25519", hdr{HeaderWebhookSignature: {edSig}}, body, SchemeEd25519, nil},
		{"ed25519 with rotated key", hdr{HeaderWebhookSignature: {SignWebhookEd25519(edKey2, body)}}, body, SchemeEd25519, nil},
		{"ed25519 and rsa both valid: ed25519 wins", hdr{HeaderWebhookSignature: {edSig}, HeaderWebhookLegacySignature: {rsaSig}}, body, SchemeEd25519, nil},
		{"ed25519 unpadded base64", hdr{HeaderWebhookSignature: {strings.TrimRight(edSig, "=")}}, body, SchemeEd25519, nil},
		{"ed25519 surrounding whitespace", hdr{HeaderWebhookSignature: {" " + edSig + " "}}, body, SchemeEd25519, nil},
		{"lower-case header names in a hand-built map", hdr{"x-ghl-signature": {edSig}}, body, SchemeEd25519, nil},
		{"rsa when ed25519 absent", hdr{HeaderWebhookLegacySignature: {rsaSig}}, body, SchemeRSA, nil},
		{"rsa with rotated key", hdr{HeaderWebhookLegacySignature: {rsaSign(t, ks[1], body)}}, body, SchemeRSA, nil},
		{"rsa when ed25519 is N/A", hdr{HeaderWebhookSignature: {"N/A"}, HeaderWebhookLegacySignature: {rsaSig}}, body, SchemeRSA, nil},
		{"rsa when ed25519 is n/a", hdr{HeaderWebhookSignature: {" n/a "}, HeaderWebhookLegacySignature: {rsaSig}}, body, SchemeRSA, nil},
		{"rsa when ed25519 is empty", hdr{HeaderWebhookSignature: {""}, HeaderWebhookLegacySignature: {rsaSig}}, body, SchemeRSA, nil},
		{"lower-case legacy header", hdr{"x-wh-signature": {rsaSig}}, body, SchemeRSA, nil},

		{"no headers", hdr{}, body, "", ErrSignatureMissing},
		{"nil header", nil, body, "", ErrSignatureMissing},
		{"ed25519 N/A and no rsa", hdr{HeaderWebhookSignature: {"N/A"}}, body, "", ErrSignatureMissing},
		{"both N/A", hdr{HeaderWebhookSignature: {"N/A"}, HeaderWebhookLegacySignature: {"N/A"}}, body, "", ErrSignatureMissing},
		{"blank values", hdr{HeaderWebhookSignature: {"  "}, HeaderWebhookLegacySignature: {""}}, body, "", ErrSignatureMissing},

		{"ed25519 bad base64", hdr{HeaderWebhookSignature: {"!!not base64!!"}}, body, "", ErrSignatureInvalid},
		{"ed25519 wrong length", hdr{HeaderWebhookSignature: {base64.StdEncoding.EncodeToString(make([]byte, 63))}}, body, "", ErrSignatureInvalid},
		{"ed25519 absurdly long", hdr{HeaderWebhookSignature: {strings.Repeat("A", 100_000)}}, body, "", ErrSignatureInvalid},
		{"ed25519 from an unknown key", hdr{HeaderWebhookSignature: {SignWebhookEd25519(edStranger, body)}}, body, "", ErrSignatureInvalid},
		{"ed25519 over different bytes", hdr{HeaderWebhookSignature: {SignWebhookEd25519(edKey1, other)}}, body, "", ErrSignatureInvalid},
		{"one byte of body changed", hdr{HeaderWebhookSignature: {edSig}}, oneByte, "", ErrSignatureInvalid},
		{"body re-indented", hdr{HeaderWebhookSignature: {edSig}}, indented.Bytes(), "", ErrSignatureInvalid},
		{"body re-encoded from parsed JSON", hdr{HeaderWebhookSignature: {edSig}}, reencoded, "", ErrSignatureInvalid},
		{"empty body", hdr{HeaderWebhookSignature: {edSig}}, nil, "", ErrSignatureInvalid},
		{"two ed25519 values", hdr{HeaderWebhookSignature: {edSig, edSig}}, body, "", ErrSignatureInvalid},
		{"ed25519 under two spellings", hdr{HeaderWebhookSignature: {edSig}, "x-ghl-signature": {edSig}}, body, "", ErrSignatureInvalid},
		{"invalid ed25519 does not fall back to valid rsa", hdr{HeaderWebhookSignature: {SignWebhookEd25519(edKey1, other)}, HeaderWebhookLegacySignature: {rsaSig}}, body, "", ErrSignatureInvalid},
		{"garbage ed25519 does not fall back to valid rsa", hdr{HeaderWebhookSignature: {"garbage"}, HeaderWebhookLegacySignature: {rsaSig}}, body, "", ErrSignatureInvalid},
		{"ed25519 signature in the rsa header", hdr{HeaderWebhookLegacySignature: {edSig}}, body, "", ErrSignatureInvalid},

		{"rsa bad base64", hdr{HeaderWebhookLegacySignature: {"%%%"}}, body, "", ErrSignatureInvalid},
		{"rsa wrong length", hdr{HeaderWebhookLegacySignature: {rsaSig[:len(rsaSig)-8]}}, body, "", ErrSignatureInvalid},
		{"rsa absurdly long", hdr{HeaderWebhookLegacySignature: {strings.Repeat("QUFB", 10_000)}}, body, "", ErrSignatureInvalid},
		{"rsa from an unknown key", hdr{HeaderWebhookLegacySignature: {rsaSign(t, ks[2], body)}}, body, "", ErrSignatureInvalid},
		{"rsa over different bytes", hdr{HeaderWebhookLegacySignature: {rsaSign(t, ks[0], other)}}, body, "", ErrSignatureInvalid},
		{"rsa, one byte of body changed", hdr{HeaderWebhookLegacySignature: {rsaSig}}, oneByte, "", ErrSignatureInvalid},
		{"rsa, body re-indented", hdr{HeaderWebhookLegacySignature: {rsaSig}}, indented.Bytes(), "", ErrSignatureInvalid},
		{"two rsa values", hdr{HeaderWebhookLegacySignature: {rsaSig, rsaSig}}, body, "", ErrSignatureInvalid},

		{"body over the limit", hdr{HeaderWebhookSignature: {edSig}}, make([]byte, MaxWebhookBody+1), "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scheme, err := v.Verify(http.Header(tt.header), tt.body)
			assert.Equal(t, tt.scheme, scheme)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			msg := err.Error()
			for _, vs := range tt.header {
				for _, s := range vs {
					if len(strings.TrimSpace(s)) > 8 {
						assert.NotContains(t, msg, strings.TrimSpace(s)[:8], "error echoes a signature")
					}
				}
			}
			assert.NotContains(t, msg, "HjiMUOsCCHCjtxzEf8P", "error echoes the body")
			assert.Less(t, len(msg), 200)
		})
	}
}

// TestLegacyRSAOffByDefault: without WithLegacyRSA a valid x-wh-signature is not enough,
// and Ed25519 still verifies.
func TestLegacyRSAOffByDefault(t *testing.T) {
	ks := rsaKeys()
	v, err := NewWebhookVerifier([]string{pubPEM(t, edPub(edKey1))}, []string{pubPEM(t, &ks[0].PublicKey)}, time.Minute, nil)
	require.NoError(t, err)
	body := []byte(installBody)
	rsaSig := rsaSign(t, ks[0], body)
	for name, h := range map[string]http.Header{
		"rsa alone":          {HeaderWebhookLegacySignature: {rsaSig}},
		"rsa, ed25519 N/A":   {HeaderWebhookSignature: {"N/A"}, HeaderWebhookLegacySignature: {rsaSig}},
		"rsa, ed25519 blank": {HeaderWebhookSignature: {" "}, HeaderWebhookLegacySignature: {rsaSig}},
	} {
		scheme, err := v.Verify(h, body)
		assert.ErrorIs(t, err, ErrSignatureMissing, name)
		assert.Contains(t, err.Error(), "legacy X-Wh-Signature is not accepted", name)
		assert.Empty(t, scheme, name)
	}
	scheme, err := v.Verify(http.Header{HeaderWebhookSignature: {SignWebhookEd25519(edKey1, body)}, HeaderWebhookLegacySignature: {rsaSig}}, body)
	require.NoError(t, err)
	assert.Equal(t, SchemeEd25519, scheme)
}

func TestVerifyConcurrent(t *testing.T) {
	v := testVerifier(t)
	ks := rsaKeys()
	body := []byte(installBody)
	edH := http.Header{HeaderWebhookSignature: {SignWebhookEd25519(edKey2, body)}}
	rsaH := http.Header{HeaderWebhookLegacySignature: {rsaSign(t, ks[1], body)}}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 20 {
				h, want := edH, SchemeEd25519
				if i%2 == 1 {
					h, want = rsaH, SchemeRSA
				}
				s, err := v.Verify(h, body)
				assert.NoError(t, err)
				assert.Equal(t, want, s)
				_, err = v.Verify(h, body[1:])
				assert.ErrorIs(t, err, ErrSignatureInvalid)
			}
		})
	}
	wg.Wait()
}

func TestSignWebhookFormat(t *testing.T) {
	body := []byte(installBody)
	s := SignWebhookEd25519(edKey1, body)
	assert.Len(t, s, 88, "base64 of 64 bytes, padded")
	raw, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	assert.True(t, ed25519.Verify(edPub(edKey1), body, raw))

	_, err = SignWebhookRSA(nil, body)
	require.Error(t, err)

	_, err = WebhookPublicKeyPEM("not a key")
	require.Error(t, err)
}

func TestWebhookEndToEnd(t *testing.T) {
	v := testVerifier(t)
	body := []byte(installBody)
	h := http.Header{}
	h.Set(HeaderWebhookSignature, SignWebhookEd25519(edKey1, body))

	scheme, err := v.Verify(h, body)
	require.NoError(t, err)
	assert.Equal(t, SchemeEd25519, scheme)
	e, err := ParseWebhook(body)
	require.NoError(t, err)
	require.NoError(t, v.CheckFresh(e))
	assert.Equal(t, "HjiMUOsCCHCjtxzEf8PR", e.Location())
}

func TestCheckFresh(t *testing.T) {
	v := testVerifier(t) // now = webhookNow, maxAge 5m
	tests := []struct {
		name string
		ts   time.Time
		want error
	}{
		{"now", webhookNow, nil},
		{"just sent", webhookNow.Add(-3 * time.Second), nil},
		{"oldest accepted", webhookNow.Add(-5 * time.Minute), nil},
		{"newest accepted (clock skew)", webhookNow.Add(5 * time.Minute), nil},
		{"just too old", webhookNow.Add(-5*time.Minute - time.Millisecond), ErrStale},
		{"a day old (replay)", webhookNow.Add(-24 * time.Hour), ErrStale},
		{"just too far in the future", webhookNow.Add(5*time.Minute + time.Millisecond), ErrStale},
		{"far future", webhookNow.Add(365 * 24 * time.Hour), ErrStale},
		{"missing", time.Time{}, ErrTimestampMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.CheckFresh(WebhookEvent{Type: EventInstall, Timestamp: tt.ts})
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.want)
			if errors.Is(err, ErrStale) {
				assert.Contains(t, err.Error(), "window ±5m0s")
			}
		})
	}
}

func TestWebhookPublicKeyPEMRoundTrip(t *testing.T) {
	ks := rsaKeys()
	for _, pub := range []any{edPub(edKey1), &ks[0].PublicKey} {
		s, err := WebhookPublicKeyPEM(pub)
		require.NoError(t, err)
		k, err := parsePublicKeyPEM(s)
		require.NoError(t, err)
		assert.True(t, k.(interface{ Equal(crypto.PublicKey) bool }).Equal(pub))
	}
}
