package actionstepsim

import (
	"context"
	"net/http"
	"net/url"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// AdminClient drives a simulator running in another process through its
// admin API. HTTP defaults to http.DefaultClient.
type AdminClient struct {
	BaseURL string // e.g. "http://127.0.0.1:8082"
	HTTP    *http.Client
}

// kit is the shared transport under c.
func (c *AdminClient) kit() simkit.AdminClient {
	return simkit.AdminClient{BaseURL: c.BaseURL, HTTP: c.HTTP, Name: "actionstep sandbox"}
}

// Healthz succeeds once the sandbox serves requests.
func (c *AdminClient) Healthz(ctx context.Context) error {
	return c.kit().Healthz(ctx)
}

// State returns every organisation's data.
func (c *AdminClient) State(ctx context.Context) (State, error) {
	return simkit.Fetch[State](ctx, c.kit(), http.MethodGet, "/_sandbox/state", nil)
}

// CreateOrg creates an organisation.
func (c *AdminClient) CreateOrg(ctx context.Context, spec OrgSpec) (Org, error) {
	return simkit.Fetch[Org](ctx, c.kit(), http.MethodPost, "/_sandbox/orgs", spec)
}

// OrgState returns one organisation's data.
func (c *AdminClient) OrgState(ctx context.Context, orgKey string) (OrgState, error) {
	return simkit.Fetch[OrgState](ctx, c.kit(), http.MethodGet, "/_sandbox/orgs/"+url.PathEscape(orgKey), nil)
}

// Faults returns the fault configuration.
func (c *AdminClient) Faults(ctx context.Context) (Faults, error) {
	return simkit.FetchFaults[Faults](ctx, c.kit())
}

// SetFaults replaces the fault configuration and returns it normalised.
func (c *AdminClient) SetFaults(ctx context.Context, f Faults) (Faults, error) {
	return simkit.PutFaults(ctx, c.kit(), f)
}

// ClearFaults turns all fault injection off.
func (c *AdminClient) ClearFaults(ctx context.Context) error {
	return c.kit().ClearFaults(ctx)
}

// AddFaultRule appends a scripted failure.
func (c *AdminClient) AddFaultRule(ctx context.Context, r Rule) error {
	return c.kit().AddFaultRule(ctx, r)
}

// RateLimit returns the rate limit.
func (c *AdminClient) RateLimit(ctx context.Context) (RateLimit, error) {
	return simkit.FetchRateLimit[RateLimit](ctx, c.kit())
}

// SetRateLimit replaces the rate limit and clears usage.
func (c *AdminClient) SetRateLimit(ctx context.Context, rl RateLimit) (RateLimit, error) {
	return simkit.PutRateLimit(ctx, c.kit(), rl)
}

// ExpireTokens expires the live tokens matching f.
func (c *AdminClient) ExpireTokens(ctx context.Context, f TokenFilter) (ExpireResult, error) {
	return simkit.ExpireTokens[ExpireResult](ctx, c.kit(), f)
}

// Tokens returns every token string issued so far.
func (c *AdminClient) Tokens(ctx context.Context) (IssuedTokens, error) {
	return c.kit().Tokens(ctx)
}

// EndpointRotation reports whether refreshes rotate api_endpoint.
func (c *AdminClient) EndpointRotation(ctx context.Context) (EndpointRotation, error) {
	return simkit.Fetch[EndpointRotation](ctx, c.kit(), http.MethodGet, "/_sandbox/endpoint-rotation", nil)
}

// SetEndpointRotation turns api_endpoint rotation on refresh on or off.
func (c *AdminClient) SetEndpointRotation(ctx context.Context, enabled bool) error {
	return c.kit().Do(ctx, http.MethodPut, "/_sandbox/endpoint-rotation", EndpointRotation{Enabled: enabled}, nil)
}

// Calls returns the call report.
func (c *AdminClient) Calls(ctx context.Context) (CallReport, error) {
	return c.kit().Calls(ctx)
}

// ResetCalls clears the call report.
func (c *AdminClient) ResetCalls(ctx context.Context) error {
	return c.kit().ResetCalls(ctx)
}

// AuthorizeRequest is what a client puts in its authorization URL, plus
// the organisation whose user signs in.
type AuthorizeRequest struct {
	ClientID    string
	RedirectURI string
	Scope       string // space-separated resource names, or "all"
	State       string
	OrgKey      string // empty = the first organisation
	// CodeChallenge is a PKCE S256 challenge; empty sends none.
	CodeChallenge string
}

// Authorize plays the user on the consent page: it approves req and
// returns the code and state Actionstep would redirect with, without
// following the redirect. It works with or without AutoConsent.
func (c *AdminClient) Authorize(ctx context.Context, req AuthorizeRequest) (code, state string, err error) {
	return c.kit().Authorize(ctx, authorizePath, simkit.WithPKCE(url.Values{
		"response_type": {"code"}, "client_id": {req.ClientID}, "redirect_uri": {req.RedirectURI},
		"scope": {req.Scope}, "state": {req.State}, "orgkey": {req.OrgKey},
	}, req.CodeChallenge))
}

// Readings returns the readings in force.
func (c *AdminClient) Readings(ctx context.Context) (Readings, error) {
	return simkit.Fetch[Readings](ctx, c.kit(), http.MethodGet, "/_sandbox/readings", nil)
}

// SetReadings replaces the readings (empty fields take the defaults) and
// returns them normalised.
func (c *AdminClient) SetReadings(ctx context.Context, r Readings) (Readings, error) {
	return simkit.Fetch[Readings](ctx, c.kit(), http.MethodPut, "/_sandbox/readings", r)
}
