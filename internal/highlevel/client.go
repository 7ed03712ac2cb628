// Package highlevel is a typed client for the parts of HighLevel's API v2 that saasbridge
// uses: OAuth (token, installedLocations, locationToken), the SaaS API and the app
// uninstall endpoint. One method per endpoint; every non-2xx answer becomes an *APIError
// carrying the status, HighLevel's own message and the rate-limit headers, so callers
// classify failures once (see activities) instead of parsing bodies everywhere.
package highlevel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// API versions per endpoint family. The SaaS spec only lists 2021-04-15; the OAuth
// endpoints list 2021-07-28; /oauth/token takes none (reference §0).
const (
	VersionOAuth = "2021-07-28"
	VersionSaaS  = "2021-04-15"
)

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

// As returns a copy of c that authenticates with tokens from ts. If ts also implements
// Reauthorizer, a 401 makes the client replace the rejected token once and retry.
func (c *Client) As(ts oauth2.TokenSource) *Client {
	cp := *c
	cp.tokens = ts
	return &cp
}

// Reauthorizer is implemented by token sources that can replace a token the API has
// rejected (revoked or expired early) with a freshly refreshed one.
type Reauthorizer interface {
	Reauthorize(ctx context.Context, rejected *oauth2.Token) (*oauth2.Token, error)
}

// ContextTokenSource is preferred over oauth2.TokenSource when a source implements
// it, so that waiting for a refresh (and its lock) honours the request's context.
type ContextTokenSource interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// Call describes one finished request for observers.
type Call struct {
	Endpoint   string
	StatusCode int // 0 when the request failed in transport
	Duration   time.Duration
	RateLimit  RateLimit
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

// do sends r and decodes a 2xx JSON body into out (when out is non-nil).
func (c *Client) do(ctx context.Context, r request, out any) error {
	var tok *oauth2.Token
	if r.auth {
		if c.tokens == nil {
			return fmt.Errorf("highlevel %s: client has no token source (use As)", r.endpoint)
		}
		var err error
		if cts, ok := c.tokens.(ContextTokenSource); ok {
			tok, err = cts.TokenContext(ctx)
		} else {
			tok, err = c.tokens.Token()
		}
		if err != nil {
			return fmt.Errorf("highlevel %s: get token: %w", r.endpoint, err)
		}
	}
	res, err := c.send(ctx, r, tok)
	if err == nil && res.status == http.StatusUnauthorized && tok != nil {
		// A token can die before its expiry (revoked, or rotated by another process and
		// invalidated): replace it once. A 401 means the request was not executed, so
		// repeating a POST here cannot duplicate its effect.
		if ra, ok := c.tokens.(Reauthorizer); ok {
			fresh, rerr := ra.Reauthorize(ctx, tok)
			if rerr != nil {
				return fmt.Errorf("highlevel %s: re-authorize after 401: %w", r.endpoint, rerr)
			}
			res, err = c.send(ctx, r, fresh)
		}
	}
	if err != nil {
		return err
	}
	if res.status < 200 || res.status > 299 {
		return newAPIError(r.endpoint, res.status, res.header, res.body)
	}
	if out == nil || len(bytes.TrimSpace(res.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(res.body, out); err != nil {
		return &DecodeError{Endpoint: r.endpoint, StatusCode: res.status, Err: err}
	}
	return nil
}

// response is a fully read answer; the body is closed before send returns.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) send(ctx context.Context, r request, tok *oauth2.Token) (response, error) {
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
			return response{}, fmt.Errorf("highlevel %s: encode body: %w", r.endpoint, err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return response{}, fmt.Errorf("highlevel %s: build request: %w", r.endpoint, err)
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

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.report(Call{Endpoint: r.endpoint, Duration: time.Since(start)})
		// Never include the URL's query or headers: only the endpoint template.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return response{}, &TransportError{Endpoint: r.endpoint, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	c.report(Call{Endpoint: r.endpoint, StatusCode: resp.StatusCode, Duration: time.Since(start), RateLimit: parseRateLimit(resp.Header)})
	if err != nil {
		return response{}, &TransportError{Endpoint: r.endpoint, Err: fmt.Errorf("read body: %w", err)}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func (c *Client) report(call Call) {
	if c.observe != nil {
		c.observe(call)
	}
}
