// Package highlevel is a typed client for the parts of HighLevel's API v2 that saasbridge
// uses: OAuth (token, installedLocations, locationToken), the SaaS API, a location's
// profile and the app uninstall endpoint. One method per endpoint; every non-2xx answer
// becomes an *APIError carrying the status, HighLevel's own message and the rate-limit
// headers, so callers classify failures once (see activities) instead of parsing bodies
// everywhere. It also verifies and parses the webhooks HighLevel sends (webhook.go,
// webhookevent.go).
package highlevel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/httpapi"
)

// API versions per endpoint family. The SaaS spec only lists 2021-04-15; the OAuth
// endpoints list 2021-07-28; /oauth/token takes none (reference §0).
const (
	VersionOAuth = "2021-07-28"
	VersionSaaS  = "2021-04-15"
)

// api names this client in errors.
const api = "highlevel"

// maxBody bounds how much of a response is read: HighLevel answers are small, and an
// unbounded read is how a misbehaving proxy exhausts a worker's memory.
const maxBody = 4 << 20

// Client calls HighLevel. The zero value is not usable; use New. A Client is safe for
// concurrent use; As returns a copy bound to one credential.
type Client struct {
	base         *url.URL
	http         *http.Client
	clientID     string
	clientSecret string
	tokens       oauth2.TokenSource
	observe      func(Call)
	pacer        httpapi.Pacer
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (its Timeout bounds one attempt).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithObserver registers a callback that sees every call's outcome (for metrics and
// adaptive throttling). It must be fast and must not retain the Call.
func WithObserver(f func(Call)) Option { return func(c *Client) { c.observe = f } }

// New returns a client for the API at baseURL (https://services.leadconnectorhq.com in
// production) using the marketplace app's client credentials.
func New(baseURL, clientID, clientSecret string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("highlevel base URL %q is not absolute", baseURL)
	}
	c := &Client{
		base:         u,
		http:         &http.Client{Timeout: 20 * time.Second},
		clientID:     clientID,
		clientSecret: clientSecret,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// AppID is the marketplace app id, the part of the client id before the first dash.
func (c *Client) AppID() string {
	id, _, _ := strings.Cut(c.clientID, "-")
	return id
}

// As returns a copy of c that authenticates with tokens from ts. If ts implements
// httpapi.ContextTokenSource it is asked with the call's context; if it implements
// httpapi.Reauthorizer, a 401 makes the client replace the rejected token once and retry.
func (c *Client) As(ts oauth2.TokenSource) *Client {
	cp := *c
	cp.tokens = ts
	return &cp
}

// Observing returns a copy of c whose calls are also reported to f, besides the
// client-wide observer: a caller bound to one credential can watch that credential's
// rate-limit headers.
func (c *Client) Observing(f func(Call)) *Client {
	cp := *c
	if prev := c.observe; prev != nil {
		cp.observe = func(call Call) { prev(call); f(call) }
	} else {
		cp.observe = f
	}
	return &cp
}

// Paced returns a copy of c whose authorized requests wait for p (the company's share
// of HighLevel's burst window); a 429 is sent again once p allows it.
func (c *Client) Paced(p httpapi.Pacer) *Client {
	cp := *c
	cp.pacer = p
	return &cp
}

// Call describes one finished request for observers: what httpapi.Call says, and the
// rate-limit headers HighLevel sent with the answer.
type Call struct {
	Endpoint   string
	StatusCode int // 0 when the request failed in transport
	Duration   time.Duration
	RateLimit  RateLimit
	// Context is the request's (see httpapi.Call).
	Context context.Context
}

// request is one API call before it is sent.
type request struct {
	endpoint string // template, e.g. "POST /saas/enable-saas/{locationId}"
	method   string
	path     string
	query    url.Values
	version  string
	auth     bool
	form     url.Values // form body (OAuth endpoints)
	json     any        // JSON body
}

// do sends r and decodes a 2xx JSON body into out (when out is non-nil). An authorized
// request whose token the API rejects is repeated once with a replacement when the token
// source can provide one (httpapi.Authorized).
func (c *Client) do(ctx context.Context, r request, out any) error {
	send := func(tok *oauth2.Token) (httpapi.Response, error) {
		return httpapi.Paced(ctx, c.pacer, func() (httpapi.Response, error) { return c.send(ctx, r, tok) })
	}
	var res httpapi.Response
	var err error
	if r.auth {
		res, err = httpapi.Authorized(ctx, c.tokens, api, r.endpoint, send)
	} else {
		res, err = c.send(ctx, r, nil) // OAuth endpoints spend no burst window
	}
	if err != nil {
		return err
	}
	if res.Status < 200 || res.Status > 299 {
		return newAPIError(r.endpoint, res.Status, res.Header, res.Body)
	}
	if out == nil || len(bytes.TrimSpace(res.Body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(res.Body, out); err != nil {
		return &httpapi.DecodeError{API: api, Endpoint: r.endpoint, StatusCode: res.Status, Err: err}
	}
	return nil
}

func (c *Client) send(ctx context.Context, r request, tok *oauth2.Token) (httpapi.Response, error) {
	u := *c.base
	u.Path = c.base.Path + r.path
	u.RawQuery = r.query.Encode()

	var body io.Reader
	var contentType string
	switch {
	case r.form != nil:
		body, contentType = strings.NewReader(r.form.Encode()), "application/x-www-form-urlencoded"
	case r.json != nil:
		b, err := json.Marshal(r.json)
		if err != nil {
			return httpapi.Response{}, fmt.Errorf("highlevel %s: encode body: %w", r.endpoint, err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return httpapi.Response{}, fmt.Errorf("highlevel %s: build request: %w", r.endpoint, err)
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if r.version != "" {
		req.Header.Set("Version", r.version)
	}
	if tok != nil {
		tok.SetAuthHeader(req)
	}
	// A body cut off at maxBody is left to fail decoding: HighLevel answers are small.
	return httpapi.Do(c.http, req, api, r.endpoint, maxBody, c.report)
}

// report passes a call to the observer, with the rate-limit headers of its answer.
func (c *Client) report(call httpapi.Call, header http.Header) {
	if c.observe != nil {
		c.observe(Call{Endpoint: call.Endpoint, StatusCode: call.StatusCode, Duration: call.Duration, RateLimit: parseRateLimit(header),
			Context: call.Context})
	}
}
