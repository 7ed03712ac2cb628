package highlevelsim

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
	BaseURL string // e.g. "http://127.0.0.1:8081"
	HTTP    *http.Client
}

// AdminError is a non-2xx admin reply.
type AdminError struct {
	StatusCode int
	Message    string
}

func (e *AdminError) Error() string {
	return fmt.Sprintf("highlevel sandbox admin: %d %s", e.StatusCode, e.Message)
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
		req.Header.Set("Content-Type", "application/json")
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
		var eb struct {
			Message string `json:"message"`
		}
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

// State returns agencies, locations and SaaS state.
func (c *AdminClient) State(ctx context.Context) (State, error) {
	var st State
	err := c.do(ctx, http.MethodGet, "/_sandbox/state", nil, &st)
	return st, err
}

// CreateAgency creates an agency and its locations.
func (c *AdminClient) CreateAgency(ctx context.Context, spec AgencySpec) (CreatedAgency, error) {
	var out CreatedAgency
	err := c.do(ctx, http.MethodPost, "/_sandbox/agencies", spec, &out)
	return out, err
}

// UpdateAgency patches an agency.
func (c *AdminClient) UpdateAgency(ctx context.Context, id string, p AgencyPatch) (Agency, error) {
	var out Agency
	err := c.do(ctx, http.MethodPatch, "/_sandbox/agencies/"+url.PathEscape(id), p, &out)
	return out, err
}

// AddLocations adds locations to an agency.
func (c *AdminClient) AddLocations(ctx context.Context, req AddLocationsRequest) ([]Location, error) {
	var out struct {
		Locations []Location `json:"locations"`
	}
	err := c.do(ctx, http.MethodPost, "/_sandbox/locations", req, &out)
	return out.Locations, err
}

// UpdateLocation patches a location.
func (c *AdminClient) UpdateLocation(ctx context.Context, id string, p LocationPatch) (Location, error) {
	var out Location
	err := c.do(ctx, http.MethodPatch, "/_sandbox/locations/"+url.PathEscape(id), p, &out)
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

// ExpireTokens expires the live access tokens matching f and returns how
// many it expired.
func (c *AdminClient) ExpireTokens(ctx context.Context, f TokenFilter) (int, error) {
	var out ExpireResult
	err := c.do(ctx, http.MethodPost, "/_sandbox/tokens/expire", f, &out)
	return out.Expired, err
}

// Tokens returns every token string issued so far.
func (c *AdminClient) Tokens(ctx context.Context) (IssuedTokens, error) {
	var out IssuedTokens
	err := c.do(ctx, http.MethodGet, "/_sandbox/tokens", nil, &out)
	return out, err
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

// WebhookKeys returns the PEM public keys that verify webhook signatures.
func (c *AdminClient) WebhookKeys(ctx context.Context) (WebhookKeys, error) {
	var out WebhookKeys
	err := c.do(ctx, http.MethodGet, "/_sandbox/webhooks/keys", nil, &out)
	return out, err
}

// WebhookConfig returns the webhook delivery configuration.
func (c *AdminClient) WebhookConfig(ctx context.Context) (WebhookConfig, error) {
	var out WebhookConfig
	err := c.do(ctx, http.MethodGet, "/_sandbox/webhooks/config", nil, &out)
	return out, err
}

// SetWebhookConfig replaces the webhook delivery configuration and returns
// it normalised.
func (c *AdminClient) SetWebhookConfig(ctx context.Context, cfg WebhookConfig) (WebhookConfig, error) {
	var out WebhookConfig
	err := c.do(ctx, http.MethodPut, "/_sandbox/webhooks/config", cfg, &out)
	return out, err
}

// SendWebhook emits one event built from current state.
func (c *AdminClient) SendWebhook(ctx context.Context, req WebhookSendRequest) (SentWebhook, error) {
	var out SentWebhook
	err := c.do(ctx, http.MethodPost, "/_sandbox/webhooks/send", req, &out)
	return out, err
}

// BulkInstall installs the app at many locations and emits an INSTALL for each.
func (c *AdminClient) BulkInstall(ctx context.Context, req BulkInstallRequest) (BulkInstallResult, error) {
	var out BulkInstallResult
	err := c.do(ctx, http.MethodPost, "/_sandbox/webhooks/bulk-install", req, &out)
	return out, err
}

// WebhookDeliveries returns the webhook delivery log.
func (c *AdminClient) WebhookDeliveries(ctx context.Context) (WebhookReport, error) {
	var out WebhookReport
	err := c.do(ctx, http.MethodGet, "/_sandbox/webhooks/deliveries", nil, &out)
	return out, err
}

// ResetWebhookDeliveries empties the webhook delivery log.
func (c *AdminClient) ResetWebhookDeliveries(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/_sandbox/webhooks/deliveries", nil, nil)
}

// AuthorizeRequest is what an app puts in its authorization URL.
type AuthorizeRequest struct {
	ClientID    string
	RedirectURI string
	Scope       string // space-separated
	State       string
	CompanyID   string // the agency to approve; empty = the first one
}

// Authorize plays the user on the consent page: it approves req for the
// agency and returns the code and state HighLevel would redirect with,
// without following the redirect. It works with or without AutoConsent.
func (c *AdminClient) Authorize(ctx context.Context, req AuthorizeRequest) (code, state string, err error) {
	form := url.Values{
		"response_type": {"code"}, "client_id": {req.ClientID}, "redirect_uri": {req.RedirectURI},
		"scope": {req.Scope}, "state": {req.State}, "company_id": {req.CompanyID},
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.BaseURL, "/")+"/v2/oauth/chooselocation", strings.NewReader(form.Encode()))
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
		return "", "", errors.New("highlevel sandbox: consent redirect carries no code")
	}
	return code, loc.Query().Get("state"), nil
}
