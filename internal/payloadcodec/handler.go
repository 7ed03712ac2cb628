package payloadcodec

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"

	"go.temporal.io/sdk/converter"
)

// DefaultMaxBodyBytes bounds a codec request body when HandlerOptions.MaxBodyBytes is 0.
// Temporal refuses payloads over 2 MiB by default; base64 in JSON makes that about 2.7 MiB.
const DefaultMaxBodyBytes = 8 << 20

// HandlerOptions configure the codec server.
type HandlerOptions struct {
	// AllowedOrigins are the Web UI origins (scheme://host[:port]) allowed to call the codec
	// server from a browser, matched exactly against the Origin header. A trailing "/" is
	// dropped, since browsers never send one. A browser request from any other origin is
	// refused (403); requests without an Origin header (the temporal CLI, SDK clients) are
	// unaffected.
	AllowedOrigins []string
	// BearerToken, when set, is required as "Authorization: Bearer <token>" on /encode and
	// /decode (401 otherwise; CORS preflights never need it). The temporal CLI sends it with
	// --codec-auth "Bearer <token>". The Web UI cannot send a fixed token (it can only pass
	// the signed-in user's OIDC access token), so with the UI leave it empty and restrict the
	// codec server by network instead.
	BearerToken string
	// MaxBodyBytes bounds a request body (413 beyond); 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Handler is the codec server: POST encode and POST decode with the same keys as
// [DataConverter], as the Web UI and the temporal CLI (--codec-endpoint) expect. Its paths
// are relative, so mount it under a prefix with http.StripPrefix:
//
//	mux.Handle("/codec/", http.StripPrefix("/codec", payloadcodec.Handler(keys, opts)))
//
// and point the UI at <public URL>/codec. X-Namespace is accepted and ignored: every
// namespace shares the keys. Responses are marked no-store, since decoded payloads hold PII.
func Handler(k Keys, o HandlerOptions) http.Handler {
	h := &handler{
		codec:   converter.NewPayloadCodecHTTPHandler(NewCodec(k)),
		origins: map[string]bool{},
		maxBody: o.MaxBodyBytes,
	}
	for _, origin := range o.AllowedOrigins {
		if origin = strings.TrimRight(strings.TrimSpace(origin), "/"); origin != "" {
			h.origins[origin] = true
		}
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if o.BearerToken != "" {
		sum := sha256.Sum256([]byte(o.BearerToken))
		h.tokenSum = sum[:]
	}
	return h
}

type handler struct {
	codec    http.Handler
	origins  map[string]bool
	tokenSum []byte // SHA-256 of the bearer token; nil means no auth
	maxBody  int64
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Add("Vary", "Origin")

	origin := r.Header.Get("Origin")
	if origin != "" {
		if !h.origins[origin] {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		hdr.Set("Access-Control-Allow-Origin", origin)
		hdr.Set("Access-Control-Allow-Credentials", "true")
	}

	// Tolerate StripPrefix with or without the prefix's trailing slash.
	op := strings.TrimPrefix(r.URL.Path, "/")
	if op != "encode" && op != "decode" {
		http.NotFound(w, r)
		return
	}

	switch r.Method {
	case http.MethodOptions:
		if origin != "" {
			hdr.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			hdr.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Namespace")
			hdr.Set("Access-Control-Max-Age", "600")
		}
		hdr.Set("Allow", "POST, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		hdr.Set("Allow", "POST, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	if !h.authorized(r) {
		hdr.Set("WWW-Authenticate", `Bearer realm="codec"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return
	}

	// The SDK's handler routes on the path suffix; give it the canonical one.
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = "/"+op, ""
	r2.URL = &u
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	h.codec.ServeHTTP(w, r2)
}

// authorized compares SHA-256 digests in constant time, so neither the token's bytes nor
// its length leak through timing.
func (h *handler) authorized(r *http.Request) bool {
	if h.tokenSum == nil {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(sum[:], h.tokenSum) == 1
}
