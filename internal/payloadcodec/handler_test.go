package payloadcodec_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/saasbridge/saasbridge/internal/operatorauth"
	"github.com/saasbridge/saasbridge/internal/payloadcodec"
)

const (
	uiOrigin = "http://localhost:8233"
	token    = "codec-token-9f3b2c1d8e7a"
)

// tokenAuth accepts the test token, as the starter's operator authentication would.
var tokenAuth = operatorauth.New(operatorauth.Config{Tokens: [][]byte{[]byte(token)}}).Check

// codecServer mounts the handler the way the starter does: under /codec with StripPrefix.
// Without an Authenticate of its own it accepts the test token.
func codecServer(t *testing.T, keys payloadcodec.Keys, o payloadcodec.HandlerOptions) *httptest.Server {
	t.Helper()
	if o.Authenticate == nil {
		o.Authenticate = tokenAuth
	}
	mux := http.NewServeMux()
	mux.Handle("/codec/", http.StripPrefix("/codec", payloadcodec.Handler(keys, o)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// reply is what tests look at of a response (whose body do has read and closed).
type reply struct {
	StatusCode int
	Header     http.Header
}

func post(t *testing.T, url string, body []byte, hdr map[string]string) (reply, []byte) {
	t.Helper()
	return do(t, http.MethodPost, url, body, hdr)
}

func do(t *testing.T, method, url string, body []byte, hdr map[string]string) (reply, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	// The test token unless the test says otherwise ("" sends no Authorization).
	if _, ok := hdr["Authorization"]; !ok {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{StatusCode: resp.StatusCode, Header: resp.Header}, b
}

func marshalPayloads(t *testing.T, ps ...*commonpb.Payload) []byte {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unmarshalPayloads(t *testing.T, b []byte) []*commonpb.Payload {
	t.Helper()
	var out commonpb.Payloads
	if err := protojson.Unmarshal(b, &out); err != nil {
		t.Fatalf("response %q: %v", b, err)
	}
	return out.Payloads
}

func TestHandlerEncodeDecodeRoundTrip(t *testing.T) {
	k1 := newKey(t, "k1")
	keys := mustKeys(t, "", k1)
	srv := codecServer(t, keys, payloadcodec.HandlerOptions{AllowedOrigins: []string{uiOrigin}})
	plain := plainPayloads(t)
	in := []*commonpb.Payload{plain["json/plain"], plain["binary/plain"], plain["json/protobuf"], plain["binary/null"]}

	resp, body := post(t, srv.URL+"/codec/encode", marshalPayloads(t, in...), map[string]string{"X-Namespace": "default"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("encode: %d %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q", got)
	}
	for _, s := range piiStrings {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("/encode response contains %q", s)
		}
	}
	encoded := unmarshalPayloads(t, body)
	if len(encoded) != len(in) {
		t.Fatalf("%d payloads back", len(encoded))
	}
	for i, p := range encoded {
		if string(p.Metadata["encoding"]) != "binary/encrypted" || string(p.Metadata["encryption-key-id"]) != "k1" {
			t.Errorf("payload %d metadata %q", i, p.Metadata)
		}
	}

	// What the server encoded, the worker's DataConverter reads.
	var got location
	if err := payloadcodec.DataConverter(keys).FromPayload(encoded[0], &got); err != nil || !reflect.DeepEqual(got, acme) {
		t.Errorf("DataConverter on /encode output: %+v %v", got, err)
	}

	resp, body = post(t, srv.URL+"/codec/decode", marshalPayloads(t, encoded...), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("decode: %d %s", resp.StatusCode, body)
	}
	decoded := unmarshalPayloads(t, body)
	for i := range in {
		if !proto.Equal(decoded[i], in[i]) {
			t.Errorf("payload %d: %v, want %v", i, decoded[i], in[i])
		}
	}
}

func TestHandlerDecodeErrorNamesKeyID(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	p, err := payloadcodec.DataConverter(mustKeys(t, "", k2)).ToPayload(acme)
	if err != nil {
		t.Fatal(err)
	}
	srv := codecServer(t, mustKeys(t, "", k1), payloadcodec.HandlerOptions{})
	resp, body := post(t, srv.URL+"/codec/decode", marshalPayloads(t, p), nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"k2"`) {
		t.Errorf("decode with unknown key: %d %s", resp.StatusCode, body)
	}
	assertNoKeyMaterial(t, string(body), k1, k2)
}

func TestHandlerCORS(t *testing.T) {
	keys := mustKeys(t, "", newKey(t, "k1"))
	// A trailing slash in the configuration must not silently break CORS.
	srv := codecServer(t, keys, payloadcodec.HandlerOptions{
		AllowedOrigins: []string{uiOrigin + "/", "https://temporal.example.com"},
	})
	preflight := map[string]string{
		"Authorization":                  "",
		"Origin":                         uiOrigin,
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "authorization,content-type,x-namespace",
	}

	t.Run("preflight from the UI, without auth", func(t *testing.T) {
		for _, path := range []string{"/codec/decode", "/codec/encode"} {
			resp, _ := do(t, http.MethodOptions, srv.URL+path, nil, preflight)
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("%s: status %d", path, resp.StatusCode)
			}
			for h, want := range map[string]string{
				"Access-Control-Allow-Origin":      uiOrigin,
				"Access-Control-Allow-Methods":     "POST, OPTIONS",
				"Access-Control-Allow-Headers":     "Content-Type, Authorization, X-Namespace",
				"Access-Control-Allow-Credentials": "true",
			} {
				if got := resp.Header.Get(h); got != want {
					t.Errorf("%s: %s = %q, want %q", path, h, got, want)
				}
			}
			if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
				t.Errorf("%s: Vary %q lacks Origin", path, resp.Header.Values("Vary"))
			}
		}
	})

	t.Run("POST from the UI", func(t *testing.T) {
		resp, body := post(t, srv.URL+"/codec/decode", marshalPayloads(t), map[string]string{
			"Origin": uiOrigin, "Authorization": "Bearer " + token, "X-Namespace": "default",
		})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d %s", resp.StatusCode, body)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != uiOrigin || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("CORS headers %v", resp.Header)
		}
	})

	t.Run("401 is readable by the UI", func(t *testing.T) {
		resp, _ := post(t, srv.URL+"/codec/decode", marshalPayloads(t), map[string]string{"Origin": uiOrigin, "Authorization": ""})
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Access-Control-Allow-Origin") != uiOrigin {
			t.Errorf("status %d, Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})

	t.Run("foreign origins", func(t *testing.T) {
		for _, origin := range []string{"https://evil.example", uiOrigin + "/", "http://localhost:8234", "https://temporal.example.com.evil.example", "null"} {
			h := map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST", "Authorization": "Bearer " + token}
			for _, method := range []string{http.MethodOptions, http.MethodPost} {
				resp, body := do(t, method, srv.URL+"/codec/decode", marshalPayloads(t), h)
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s %s: status %d", method, origin, resp.StatusCode)
				}
				for name := range resp.Header {
					if strings.HasPrefix(name, "Access-Control-") {
						t.Errorf("%s %s: CORS header %s: %q", method, origin, name, resp.Header.Get(name))
					}
				}
				if bytes.Contains(body, []byte("payloads")) {
					t.Errorf("%s %s: body %q", method, origin, body)
				}
			}
		}
	})

	t.Run("second allowed origin", func(t *testing.T) {
		resp, _ := do(t, http.MethodOptions, srv.URL+"/codec/decode", nil, map[string]string{"Origin": "https://temporal.example.com"})
		if resp.Header.Get("Access-Control-Allow-Origin") != "https://temporal.example.com" {
			t.Errorf("Allow-Origin %q", resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})
}

func TestHandlerBearer(t *testing.T) {
	keys := mustKeys(t, "", newKey(t, "k1"))
	srv := codecServer(t, keys, payloadcodec.HandlerOptions{})
	for _, tt := range []struct {
		name, auth string
		want       int
	}{
		{"none", "", http.StatusUnauthorized},
		{"wrong", "Bearer " + token + "x", http.StatusUnauthorized},
		{"prefix", "Bearer " + token[:10], http.StatusUnauthorized},
		{"empty token", "Bearer ", http.StatusUnauthorized},
		{"basic", "Basic " + token, http.StatusUnauthorized},
		{"bare", token, http.StatusUnauthorized},
		{"right", "Bearer " + token, http.StatusOK},
		{"scheme case", "bearer " + token, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Authorization": tt.auth}
			for _, path := range []string{"/codec/encode", "/codec/decode"} {
				resp, body := post(t, srv.URL+path, marshalPayloads(t, &commonpb.Payload{Data: []byte("x")}), h)
				if resp.StatusCode != tt.want {
					t.Errorf("%s: status %d, want %d (%s)", path, resp.StatusCode, tt.want, body)
				}
				if tt.want == http.StatusUnauthorized {
					if resp.Header.Get("WWW-Authenticate") == "" {
						t.Errorf("%s: no WWW-Authenticate", path)
					}
					if bytes.Contains(body, []byte(token)) {
						t.Errorf("%s: 401 body echoes the token", path)
					}
				}
			}
		})
	}

	// The token as the endpoint's last path segment, for a Web UI that can only be given
	// a URL: <operator>/codec/<token>/decode. A wrong segment is refused like a wrong
	// header, and the path wins over the header.
	for _, tt := range []struct {
		path, auth string
		want       int
	}{
		{"/codec/" + token + "/decode", "", http.StatusOK},
		{"/codec/" + token + "/encode", "", http.StatusOK},
		{"/codec/" + token + "x/decode", "", http.StatusUnauthorized},
		{"/codec/" + token + "x/decode", "Bearer " + token, http.StatusUnauthorized},
		{"/codec/a/" + token + "/decode", "", http.StatusNotFound},
	} {
		resp, _ := post(t, srv.URL+tt.path, marshalPayloads(t), map[string]string{"Authorization": tt.auth})
		if resp.StatusCode != tt.want {
			t.Errorf("%s (%q): status %d, want %d", strings.ReplaceAll(tt.path, token, "<token>"), tt.auth, resp.StatusCode, tt.want)
		}
	}
}

// TestHandlerClosedWithoutAuthentication: a codec server given no way to authenticate
// refuses everyone; it is a decryption oracle, never open.
func TestHandlerClosedWithoutAuthentication(t *testing.T) {
	keys := mustKeys(t, "", newKey(t, "k1"))
	mux := http.NewServeMux()
	mux.Handle("/codec/", http.StripPrefix("/codec", payloadcodec.Handler(keys, payloadcodec.HandlerOptions{AllowedOrigins: []string{uiOrigin}})))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	encrypted, err := payloadcodec.DataConverter(keys).ToPayloads(acme)
	if err != nil {
		t.Fatal(err)
	}
	for _, hdr := range []map[string]string{
		{"Authorization": ""}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}, {"Authorization": "", "Origin": uiOrigin},
	} {
		for _, path := range []string{"/codec/decode", "/codec/encode", "/codec/anything/decode"} {
			resp, body := post(t, srv.URL+path, marshalPayloads(t, encrypted.Payloads...), hdr)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %v: status %d", path, hdr, resp.StatusCode)
			}
			for _, s := range piiStrings {
				if bytes.Contains(body, []byte(s)) {
					t.Errorf("%s: the refusal holds %q", path, s)
				}
			}
		}
	}
}

func TestHandlerBodyLimit(t *testing.T) {
	keys := mustKeys(t, "", newKey(t, "k1"))
	srv := codecServer(t, keys, payloadcodec.HandlerOptions{MaxBodyBytes: 4096})
	auth := map[string]string{"Authorization": "Bearer " + token}

	small := marshalPayloads(t, &commonpb.Payload{Data: bytes.Repeat([]byte("a"), 1000)})
	if resp, body := post(t, srv.URL+"/codec/encode", small, auth); resp.StatusCode != http.StatusOK {
		t.Fatalf("small body: %d %s", resp.StatusCode, body)
	}
	big := marshalPayloads(t, &commonpb.Payload{Data: bytes.Repeat([]byte("a"), 8000)})
	if resp, body := post(t, srv.URL+"/codec/encode", big, auth); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("big body: %d %s", resp.StatusCode, body)
	}
	// Auth comes first: an unauthenticated caller cannot make the server buffer a body.
	if resp, _ := post(t, srv.URL+"/codec/encode", big, map[string]string{"Authorization": ""}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("big unauthenticated body: %d", resp.StatusCode)
	}

	// The default limit admits a Temporal-sized (2 MiB) payload and refuses far more.
	def := codecServer(t, keys, payloadcodec.HandlerOptions{})
	twoMiB := marshalPayloads(t, &commonpb.Payload{Data: bytes.Repeat([]byte("a"), 2<<20)})
	if resp, body := post(t, def.URL+"/codec/encode", twoMiB, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("2 MiB payload: %d %.200s", resp.StatusCode, body)
	}
	huge := bytes.Repeat([]byte(" "), payloadcodec.DefaultMaxBodyBytes+1)
	if resp, _ := post(t, def.URL+"/codec/decode", huge, nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("over the default limit: %d", resp.StatusCode)
	}
}

func TestHandlerRouting(t *testing.T) {
	keys := mustKeys(t, "", newKey(t, "k1"))
	srv := codecServer(t, keys, payloadcodec.HandlerOptions{})
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/codec/decode", http.StatusMethodNotAllowed},
		{http.MethodPut, "/codec/encode", http.StatusMethodNotAllowed},
		{http.MethodPost, "/codec/", http.StatusNotFound},
		{http.MethodPost, "/codec/default/decode", http.StatusUnauthorized}, // "default" is taken for a credential
		{http.MethodPost, "/codec/a/default/decode", http.StatusNotFound},
		{http.MethodPost, "/codec/decoder", http.StatusNotFound},
		{http.MethodPost, "/codec/decode", http.StatusOK},
	} {
		resp, body := do(t, tt.method, srv.URL+tt.path, marshalPayloads(t), nil)
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: %d, want %d (%s)", tt.method, tt.path, resp.StatusCode, tt.want, body)
		}
	}
	if resp, body := post(t, srv.URL+"/codec/decode", []byte("{not json"), nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed body: %d %s", resp.StatusCode, body)
	}

	// Mounted with the prefix's trailing slash stripped too, and at the root.
	mux := http.NewServeMux()
	mux.Handle("/c/", http.StripPrefix("/c/", payloadcodec.Handler(keys, payloadcodec.HandlerOptions{Authenticate: tokenAuth})))
	mux.Handle("/", payloadcodec.Handler(keys, payloadcodec.HandlerOptions{Authenticate: tokenAuth}))
	other := httptest.NewServer(mux)
	defer other.Close()
	for _, path := range []string{"/c/decode", "/decode"} {
		if resp, body := post(t, other.URL+path, marshalPayloads(t), nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
}

// TestRemoteDataConverter does what the temporal CLI (--codec-endpoint, --codec-auth) and
// the Web UI do: decode through the codec server what the worker's DataConverter wrote.
func TestRemoteDataConverter(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	old := payloadcodec.DataConverter(mustKeys(t, "", k1))
	keys := mustKeys(t, "", k2, k1)
	local := payloadcodec.DataConverter(keys)
	srv := codecServer(t, keys, payloadcodec.HandlerOptions{AllowedOrigins: []string{uiOrigin}})

	remote := converter.NewRemoteDataConverter(converter.GetDefaultDataConverter(), converter.RemoteDataConverterOptions{
		Endpoint: srv.URL + "/codec/",
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			r.Header.Set("X-Namespace", "default")
			return nil
		},
	})

	for name, dc := range map[string]converter.DataConverter{"current key": local, "rotated-out key": old} {
		t.Run(name, func(t *testing.T) {
			payloads, err := dc.ToPayloads(acme, "note for "+acme.Email)
			if err != nil {
				t.Fatal(err)
			}
			var (
				got  location
				note string
			)
			if err := remote.FromPayloads(payloads, &got, &note); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, acme) || note != "note for "+acme.Email {
				t.Errorf("remote decoded %+v %q", got, note)
			}
			if s := remote.ToString(payloads.Payloads[0]); !strings.Contains(s, acme.Address) {
				t.Errorf("remote ToString %q", s)
			}
		})
	}

	// And the other way: the codec server encrypts, the worker decrypts.
	p, err := remote.ToPayload(acme)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Metadata["encryption-key-id"]) != "k2" {
		t.Errorf("remote encode used key %q", p.Metadata["encryption-key-id"])
	}
	var got location
	if err := local.FromPayload(p, &got); err != nil || !reflect.DeepEqual(got, acme) {
		t.Errorf("local decode of remote encode: %+v %v", got, err)
	}

	// Without the token the CLI gets a clear failure, not garbage.
	anon := converter.NewRemoteDataConverter(converter.GetDefaultDataConverter(), converter.RemoteDataConverterOptions{Endpoint: srv.URL + "/codec"})
	if err := anon.FromPayload(p, &got); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Errorf("anonymous remote decode: %v", err)
	}
}
