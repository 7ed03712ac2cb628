package actionstepsim

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
)

// AdminClient drives a simulator running in another process through its
// admin API. HTTP defaults to http.DefaultClient.
type AdminClient struct {
	BaseURL string // e.g. "http://127.0.0.1:8082"
	HTTP    *http.Client
}

// AdminError is a non-2xx admin reply.
type AdminError struct {
	StatusCode int
	Message    string
}

func (e *AdminError) Error() string {
	return fmt.Sprintf("actionstep sandbox admin: %d %s", e.StatusCode, e.Message)
}

func (c *AdminClient) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// do sends in (when non-nil) as JSON and decodes the reply into out (when
// non-nil).
func (c *AdminClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", mediaJSON)
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var eb adminError
		if json.Unmarshal(b, &eb) != nil || eb.Message == "" {
			eb.Message = strings.TrimSpace(string(b))
		}
		return &AdminError{StatusCode: resp.StatusCode, Message: eb.Message}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// Healthz succeeds once the sandbox serves requests.
func (c *AdminClient) Healthz(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/_sandbox/healthz", nil, nil)
}

// State returns every organisation's data.
func (c *AdminClient) State(ctx context.Context) (State, error) {
	var st State
	err := c.do(ctx, http.MethodGet, "/_sandbox/state", nil, &st)
	return st, err
}

// CreateOrg creates an organisation.
func (c *AdminClient) CreateOrg(ctx context.Context, spec OrgSpec) (Org, error) {
	var out Org
	err := c.do(ctx, http.MethodPost, "/_sandbox/orgs", spec, &out)
	return out, err
}

// OrgState returns one organisation's data.
func (c *AdminClient) OrgState(ctx context.Context, orgKey string) (OrgState, error) {
	var out OrgState
	err := c.do(ctx, http.MethodGet, "/_sandbox/orgs/"+url.PathEscape(orgKey), nil, &out)
	return out, err
}

// Faults returns the fault configuration.
func (c *AdminClient) Faults(ctx context.Context) (Faults, error) {
	var out Faults
	err := c.do(ctx, http.MethodGet, "/_sandbox/faults", nil, &out)
	return out, err
}

// SetFaults replaces the fault configuration and returns it normalised.
func (c *AdminClient) SetFaults(ctx context.Context, f Faults) (Faults, error) {
	var out Faults
	err := c.do(ctx, http.MethodPut, "/_sandbox/faults", f, &out)
	return out, err
}

// ClearFaults turns all fault injection off.
func (c *AdminClient) ClearFaults(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/_sandbox/faults", nil, nil)
}

// AddFaultRule appends a scripted failure.
func (c *AdminClient) AddFaultRule(ctx context.Context, r Rule) error {
	return c.do(ctx, http.MethodPost, "/_sandbox/faults/rules", r, nil)
}

// RateLimit returns the rate limit.
func (c *AdminClient) RateLimit(ctx context.Context) (RateLimit, error) {
	var out RateLimit
	err := c.do(ctx, http.MethodGet, "/_sandbox/ratelimit", nil, &out)
	return out, err
}

// SetRateLimit replaces the rate limit and clears usage.
func (c *AdminClient) SetRateLimit(ctx context.Context, rl RateLimit) (RateLimit, error) {
	var out RateLimit
	err := c.do(ctx, http.MethodPut, "/_sandbox/ratelimit", rl, &out)
	return out, err
}

// ExpireTokens expires the live tokens matching f.
func (c *AdminClient) ExpireTokens(ctx context.Context, f TokenFilter) (ExpireResult, error) {
	var out ExpireResult
	err := c.do(ctx, http.MethodPost, "/_sandbox/tokens/expire", f, &out)
	return out, err
}

// Tokens returns every token string issued so far.
func (c *AdminClient) Tokens(ctx context.Context) (IssuedTokens, error) {
	var out IssuedTokens
	err := c.do(ctx, http.MethodGet, "/_sandbox/tokens", nil, &out)
	return out, err
}

// EndpointRotation reports whether refreshes rotate api_endpoint.
func (c *AdminClient) EndpointRotation(ctx context.Context) (EndpointRotation, error) {
	var out EndpointRotation
	err := c.do(ctx, http.MethodGet, "/_sandbox/endpoint-rotation", nil, &out)
	return out, err
}

// SetEndpointRotation turns api_endpoint rotation on refresh on or off.
func (c *AdminClient) SetEndpointRotation(ctx context.Context, enabled bool) error {
	return c.do(ctx, http.MethodPut, "/_sandbox/endpoint-rotation", EndpointRotation{Enabled: enabled}, nil)
}

// Calls returns the call report.
func (c *AdminClient) Calls(ctx context.Context) (CallReport, error) {
	var out CallReport
	err := c.do(ctx, http.MethodGet, "/_sandbox/calls", nil, &out)
	return out, err
}

// ResetCalls clears the call report.
func (c *AdminClient) ResetCalls(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/_sandbox/calls", nil, nil)
}

// AuthorizeRequest is what a client puts in its authorization URL, plus
// the organisation whose user signs in.
type AuthorizeRequest struct {
	ClientID    string
	RedirectURI string
	Scope       string // space-separated resource names, or "all"
	State       string
	OrgKey      string // empty = the first organisation
}

// Authorize plays the user on the consent page: it approves req and
// returns the code and state Actionstep would redirect with, without
// following the redirect. It works with or without AutoConsent.
func (c *AdminClient) Authorize(ctx context.Context, req AuthorizeRequest) (code, state string, err error) {
	form := url.Values{
		"response_type": {"code"}, "client_id": {req.ClientID}, "redirect_uri": {req.RedirectURI},
		"scope": {req.Scope}, "state": {req.State}, "orgkey": {req.OrgKey},
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.BaseURL, "/")+authorizePath, strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", err
	}
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	noRedirect := *c.client()
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Do(hreq)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusSeeOther {
		return "", "", &AdminError{StatusCode: resp.StatusCode, Message: strings.TrimSpace(string(b))}
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return "", "", err
	}
	code = loc.Query().Get("code")
	if code == "" {
		return "", "", errors.New("actionstep sandbox: consent redirect carries no code")
	}
	return code, loc.Query().Get("state"), nil
}
