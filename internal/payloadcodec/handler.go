package payloadcodec

import (
	"bytes"
	"context"
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
	// Authenticate decides whether a credential may use /encode and /decode; every other
	// request gets 401 (CORS preflights never need one). The credential is the
	// "Authorization: Bearer <credential>" token (the temporal CLI's --codec-auth, or the
	// signed-in user's access token the Web UI forwards), or the path segment before the
	// operation, <mount>/<credential>/decode, for a Web UI that signs nobody in and can
	// only be given an endpoint URL. Nil refuses everyone: the codec server decrypts
	// whatever it is sent, so it is never open.
	Authenticate func(ctx context.Context, credential string) error
	// MaxBodyBytes bounds a request body (413 beyond); 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Handler is the codec server: POST encode and POST decode with the same keys as
// [DataConverter], as the Web UI and the temporal CLI (--codec-endpoint) expect. Its paths
// are relative, so mount it under a prefix with http.StripPrefix:
//
//	mux.Handle("/codec/", http.StripPrefix("/codec", payloadcodec.Handler(keys, opts)))
//
// and point the UI at <operator URL>/codec. X-Namespace is accepted and ignored: every
// namespace shares the keys. Responses are marked no-store, since decoded payloads hold PII.
func Handler(k Keys, o HandlerOptions) http.Handler {
	h := &handler{
		codec:   converter.NewPayloadCodecHTTPHandler(NewCodec(k)),
		origins: map[string]bool{},
		maxBody: o.MaxBodyBytes,
		auth:    o.Authenticate,
	}
	for _, origin := range o.AllowedOrigins {
		if origin = strings.TrimRight(strings.TrimSpace(origin), "/"); origin != "" {
			h.origins[origin] = true
		}
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	return h
}

type handler struct {
	codec   http.Handler
	origins map[string]bool
	auth    func(ctx context.Context, credential string) error
	maxBody int64
}

// ServeHTTP checks origin, route, method and credential, in that order, before the
// SDK's codec handler sees the request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Add("Vary", "Origin")
	if !h.allowOrigin(w, r) {
		return
	}
	pathCredential, op, ok := route(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !allowMethod(w, r) {
		return
	}
	if !h.authorized(r, pathCredential) {
		hdr.Set("WWW-Authenticate", `Bearer realm="codec"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	h.codec.ServeHTTP(w, canonical(r, op, body))
}

// allowOrigin answers 403 to a browser origin that is not configured and sets the CORS
// headers for one that is (the Temporal Web UI calls the codec from the browser).
// Requests without an Origin (the CLI) pass; the credential check applies to every request.
func (h *handler) allowOrigin(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if !h.origins[origin] {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Allow-Credentials", "true")
	return true
}

// allowMethod answers a CORS preflight (OPTIONS) and refuses every method but POST; it
// reports whether the request goes on.
func allowMethod(w http.ResponseWriter, r *http.Request) bool {
	hdr := w.Header()
	switch r.Method {
	case http.MethodPost:
		return true
	case http.MethodOptions:
		if r.Header.Get("Origin") != "" {
			hdr.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			hdr.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Namespace")
			hdr.Set("Access-Control-Max-Age", "600")
		}
		hdr.Set("Allow", "POST, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
	default:
		hdr.Set("Allow", "POST, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
	return false
}

// readBody reads the body up to the limit, answering 413 or 400 when it cannot.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err == nil {
		return body, true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
	} else {
		http.Error(w, "cannot read request body", http.StatusBadRequest)
	}
	return nil, false
}

// canonical is the request as the SDK's handler wants it: it routes on the path suffix,
// so it gets the canonical one, and the body already read.
func canonical(r *http.Request, op string, body []byte) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = "/"+op, ""
	r2.URL = &u
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	return r2
}

// route splits a path below the mount point into the optional credential segment and
// the operation: "/decode", "decode" (StripPrefix with the prefix's trailing slash) and
// "/<credential>/decode".
func route(path string) (credential, op string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch len(parts) {
	case 1:
		op = parts[0]
	case 2:
		credential, op = parts[0], parts[1]
		if credential == "" {
			return "", "", false
		}
	default:
		return "", "", false
	}
	return credential, op, op == "encode" || op == "decode"
}

// authorized asks Authenticate about the path credential, else the bearer token.
func (h *handler) authorized(r *http.Request, credential string) bool {
	if h.auth == nil {
		return false
	}
	if credential == "" {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return false
		}
		credential = strings.TrimSpace(token)
	}
	return credential != "" && h.auth(r.Context(), credential) == nil
}
