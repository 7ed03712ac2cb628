// Package actionstep is a typed client for the parts of Actionstep's REST API that saasbridge
// uses: OAuth (code exchange, refresh), participants and their types, matters (actions,
// actioncreate, actionparticipants), custom data (data collections, fields, records, values),
// file and contact notes, tasks, and the current user.
//
// One method per endpoint. Every non-2xx answer becomes an *APIError (or *OAuthError from the
// token endpoint) carrying the status, Actionstep's own message and Retry-After, so callers
// classify failures once instead of parsing bodies everywhere. Responses are decoded with the
// tolerant types of wire.go, because the wire format differs from the published specs.
//
// REST calls go to the organisation's api_endpoint, which comes with each token: see As and
// credential.go.
package actionstep

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

// api names this client in errors.
const api = "actionstep"

// mediaType is the content type of every REST request and response (reference §2.2).
const mediaType = "application/vnd.api+json"

// maxBody bounds how much of a response is read: a 200-record page with side-loads is well
// under a megabyte, and an unbounded read is how a misbehaving proxy exhausts a worker's memory.
const maxBody = 8 << 20

// Client calls Actionstep. The zero value is not usable; use New. A Client is safe for
// concurrent use; As returns a copy bound to one credential.
type Client struct {
	tokenURL     *url.URL
	http         *http.Client
	clientID     string
	clientSecret string
	tokens       oauth2.TokenSource
	observe      func(httpapi.Call)
	pacer        httpapi.Pacer
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (its Timeout bounds one attempt).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithObserver registers a callback that sees every call's outcome (for metrics and adaptive
// throttling). It must be fast and must not retain the Call.
func WithObserver(f func(httpapi.Call)) Option { return func(c *Client) { c.observe = f } }

// New returns a client that obtains tokens from tokenURL
// (https://api.actionstep.com/api/oauth/token in production) with the app's client
// credentials. REST calls need a credential bound with As.
func New(tokenURL, clientID, clientSecret string, opts ...Option) (*Client, error) {
	u, err := url.Parse(tokenURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("actionstep token URL %q is not absolute", tokenURL)
	}
	c := &Client{
		tokenURL:     u,
		http:         &http.Client{Timeout: 30 * time.Second},
		clientID:     clientID,
		clientSecret: clientSecret,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// As returns a copy of c that authenticates with tokens from ts and sends each REST call to
// the api_endpoint carried by the token it used (APIEndpoint; TokenResponse.OAuth2 and
// WithAPIEndpoint put it there). If ts implements httpapi.ContextTokenSource it is asked with
// the call's context; if it implements httpapi.Reauthorizer, a 401 makes the client replace
// the rejected token once and retry against the replacement's api_endpoint.
func (c *Client) As(ts oauth2.TokenSource) *Client {
	cp := *c
	cp.tokens = ts
	return &cp
}

// Paced returns a copy of c whose REST requests wait for p (the organisation's share
// of Actionstep's limit); a 429 is sent again once p allows it. The token endpoint is
// not paced.
func (c *Client) Paced(p httpapi.Pacer) *Client {
	cp := *c
	cp.pacer = p
	return &cp
}

// Resource names: the path segment, the request envelope key and the response key.
const (
	resParticipants               = "participants"
	resParticipantTypes           = "participanttypes"
	resParticipantDefaultTypes    = "participantdefaulttypes"
	resActions                    = "actions"
	resActionTypes                = "actiontypes"
	resActionCreate               = "actioncreate"
	resActionParticipants         = "actionparticipants"
	resDataCollections            = "datacollections"
	resDataCollectionFields       = "datacollectionfields"
	resDataCollectionRecords      = "datacollectionrecords"
	resDataCollectionRecordValues = "datacollectionrecordvalues"
	resFileNotes                  = "filenotes"
	resContactNotes               = "contactnotes"
	resUsers                      = "users"
)

// request is one API call before it is sent.
type request struct {
	endpoint string // template, e.g. "PUT /participants/{id}"
	method   string
	path     string // below the REST root, already escaped, e.g. "participants/7939"
	query    url.Values
	body     any        // JSON body, already in its resource envelope
	form     url.Values // form body (token endpoint)
}

// rest sends r to the REST API with the bound credential and returns the body of a 2xx answer.
func (c *Client) rest(ctx context.Context, r request) (httpapi.Response, error) {
	res, err := httpapi.Authorized(ctx, c.tokens, api, r.endpoint, func(tok *oauth2.Token) (httpapi.Response, error) {
		return httpapi.Paced(ctx, c.pacer, func() (httpapi.Response, error) { return c.sendREST(ctx, r, tok) })
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	return check(r.endpoint, res)
}

// sendREST sends r to the REST root of the api_endpoint that tok carries.
func (c *Client) sendREST(ctx context.Context, r request, tok *oauth2.Token) (httpapi.Response, error) {
	if tok == nil || tok.AccessToken == "" {
		return httpapi.Response{}, fmt.Errorf("actionstep %s: token source returned no access token", r.endpoint)
	}
	base, err := restBase(APIEndpoint(tok))
	if err != nil {
		return httpapi.Response{}, endpointError(r.endpoint, err)
	}
	target := base.String() + "/" + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	return c.send(ctx, r, target, tok)
}

// check turns a non-2xx answer into an *APIError and refuses a truncated 2xx body.
func check(endpoint string, res httpapi.Response) (httpapi.Response, error) {
	if res.Status < 200 || res.Status > 299 {
		e := &APIError{Endpoint: endpoint, StatusCode: res.Status, RetryAfter: httpapi.RetryAfter(res.Header, time.Now(), maxRetryAfter)}
		e.Code, e.Message = parseErrorBody(res.Body)
		return httpapi.Response{}, e
	}
	if res.Truncated {
		return httpapi.Response{}, decodeError(endpoint, res.Status, errBodyTooLarge)
	}
	return res, nil
}

func (c *Client) send(ctx context.Context, r request, target string, tok *oauth2.Token) (httpapi.Response, error) {
	var body io.Reader
	var contentType string
	switch {
	case r.form != nil:
		body, contentType = strings.NewReader(r.form.Encode()), "application/x-www-form-urlencoded"
	case r.body != nil:
		b, err := json.Marshal(r.body)
		if err != nil {
			return httpapi.Response{}, fmt.Errorf("actionstep %s: encode body: %w", r.endpoint, err)
		}
		body, contentType = bytes.NewReader(b), mediaType
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		// The URL is not quoted: its path holds ids and its host is per organisation.
		return httpapi.Response{}, fmt.Errorf("actionstep %s: build request failed", r.endpoint)
	}
	if r.form != nil {
		req.Header.Set("Accept", "application/json")
	} else {
		req.Header.Set("Accept", mediaType)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if tok != nil {
		tok.SetAuthHeader(req)
	}
	return httpapi.Do(c.http, req, api, r.endpoint, maxBody, c.report)
}

func (c *Client) report(call httpapi.Call, _ http.Header) {
	if c.observe != nil {
		c.observe(call)
	}
}

// getPage, getOne, create and update are the shapes every REST method takes: a collection
// query, a single record, and a write that answers with the record written.

func getPage[T any](ctx context.Context, c *Client, endpoint, resource string, q Query) (*Page[T], error) {
	v, err := q.values()
	if err != nil {
		return nil, endpointError(endpoint, err)
	}
	res, err := c.rest(ctx, request{endpoint: endpoint, method: http.MethodGet, path: resource, query: v})
	if err != nil {
		return nil, err
	}
	page, err := decodePage[T](res.Body, resource)
	if err != nil {
		return nil, decodeError(endpoint, res.Status, err)
	}
	return page, nil
}

func getOne[T any](ctx context.Context, c *Client, endpoint, resource string, id ID) (*T, error) {
	path, err := recordPath(resource, id)
	if err != nil {
		return nil, endpointError(endpoint, err)
	}
	return roundTrip[T](ctx, c, request{endpoint: endpoint, method: http.MethodGet, path: path}, resource)
}

// create POSTs body, wrapped in the resource envelope, and decodes the created record.
func create[T any](ctx context.Context, c *Client, endpoint, resource string, body any) (*T, error) {
	return roundTrip[T](ctx, c, request{
		endpoint: endpoint, method: http.MethodPost, path: resource, body: envelope(resource, body),
	}, resource)
}

// update sends body, wrapped in the resource envelope, to one record with method (PUT, or
// PATCH for matters) and decodes the updated record.
func update[T any](ctx context.Context, c *Client, endpoint, method, resource string, id ID, body any) (*T, error) {
	path, err := recordPath(resource, id)
	if err != nil {
		return nil, endpointError(endpoint, err)
	}
	return roundTrip[T](ctx, c, request{
		endpoint: endpoint, method: method, path: path, body: envelope(resource, body),
	}, resource)
}

// fetchOne sends r and decodes the one record its answer must hold, with the records the
// answer side-loaded.
func fetchOne[T any](ctx context.Context, c *Client, r request, resource string) (*T, Linked, error) {
	res, err := c.rest(ctx, r)
	if err != nil {
		return nil, Linked{}, err
	}
	page, err := decodePage[T](res.Body, resource)
	var one *T
	if err == nil {
		one, err = page.only(resource)
	}
	if err != nil {
		return nil, Linked{}, decodeError(r.endpoint, res.Status, err)
	}
	return one, page.Linked, nil
}

func roundTrip[T any](ctx context.Context, c *Client, r request, resource string) (*T, error) {
	res, err := c.rest(ctx, r)
	if err != nil {
		return nil, err
	}
	out, err := decodeOne[T](res.Body, resource)
	if err != nil {
		return nil, decodeError(r.endpoint, res.Status, err)
	}
	return out, nil
}

// recordPath is "<resource>/<id>". An empty id would turn a get into a list and an update into
// a bulk update, so it is refused (see idSegment).
func recordPath(resource string, id ID) (string, error) {
	seg, err := idSegment(id)
	if err != nil {
		return "", err
	}
	return resource + "/" + seg, nil
}

// idSegment is one id as a path segment. An empty id, a dot segment and a comma are refused:
// servers decode %2C before splitting a path's ids, so escaping cannot keep a comma from
// addressing several records.
func idSegment(id ID) (string, error) {
	if id == "" || id == "." || id == ".." || strings.Contains(string(id), ",") {
		return "", errInvalidID
	}
	return url.PathEscape(string(id)), nil
}

// decodeError reports a 2xx answer whose body did not match the API's shape.
func decodeError(endpoint string, status int, err error) error {
	return &httpapi.DecodeError{API: api, Endpoint: endpoint, StatusCode: status, Err: err}
}

// endpointError reports a request refused before it was sent (a bad id or filter).
func endpointError(endpoint string, err error) error {
	return fmt.Errorf("actionstep %s: %w", endpoint, err)
}
