package highlevelsim

import (
	"context"
	"net/http"
	"net/url"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// AdminClient drives a simulator running in another process through its
// admin API. HTTP defaults to http.DefaultClient.
type AdminClient struct {
	BaseURL string // e.g. "http://127.0.0.1:8081"
	HTTP    *http.Client
}

// kit is the shared transport under c.
func (c *AdminClient) kit() simkit.AdminClient {
	return simkit.AdminClient{BaseURL: c.BaseURL, HTTP: c.HTTP, Name: "highlevel sandbox"}
}

// Healthz succeeds once the sandbox serves requests.
func (c *AdminClient) Healthz(ctx context.Context) error {
	return c.kit().Healthz(ctx)
}

// State returns agencies, locations and SaaS state.
func (c *AdminClient) State(ctx context.Context) (State, error) {
	return simkit.Fetch[State](ctx, c.kit(), http.MethodGet, "/_sandbox/state", nil)
}

// CreateAgency creates an agency and its locations.
func (c *AdminClient) CreateAgency(ctx context.Context, spec AgencySpec) (CreatedAgency, error) {
	return simkit.Fetch[CreatedAgency](ctx, c.kit(), http.MethodPost, "/_sandbox/agencies", spec)
}

// UpdateAgency patches an agency.
func (c *AdminClient) UpdateAgency(ctx context.Context, id string, p AgencyPatch) (Agency, error) {
	return simkit.Fetch[Agency](ctx, c.kit(), http.MethodPatch, "/_sandbox/agencies/"+url.PathEscape(id), p)
}

// AddLocations adds locations to an agency.
func (c *AdminClient) AddLocations(ctx context.Context, req AddLocationsRequest) ([]Location, error) {
	out, err := simkit.Fetch[struct {
		Locations []Location `json:"locations"`
	}](ctx, c.kit(), http.MethodPost, "/_sandbox/locations", req)
	return out.Locations, err
}

// UpdateLocation patches a location.
func (c *AdminClient) UpdateLocation(ctx context.Context, id string, p LocationPatch) (Location, error) {
	return simkit.Fetch[Location](ctx, c.kit(), http.MethodPatch, "/_sandbox/locations/"+url.PathEscape(id), p)
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

// ExpireTokens expires the live access tokens matching f and returns how
// many it expired.
func (c *AdminClient) ExpireTokens(ctx context.Context, f TokenFilter) (int, error) {
	out, err := simkit.ExpireTokens[ExpireResult](ctx, c.kit(), f)
	return out.Expired, err
}

// Tokens returns every token string issued so far.
func (c *AdminClient) Tokens(ctx context.Context) (IssuedTokens, error) {
	return c.kit().Tokens(ctx)
}

// Calls returns the call report.
func (c *AdminClient) Calls(ctx context.Context) (CallReport, error) {
	return c.kit().Calls(ctx)
}

// ResetCalls clears the call report.
func (c *AdminClient) ResetCalls(ctx context.Context) error {
	return c.kit().ResetCalls(ctx)
}

// StripeConfig returns the Stripe webhook endpoint's configuration.
func (c *AdminClient) StripeConfig(ctx context.Context) (StripeConfig, error) {
	return simkit.Fetch[StripeConfig](ctx, c.kit(), http.MethodGet, "/_sandbox/stripe/config", nil)
}

// SetStripeConfig replaces the Stripe webhook endpoint's configuration.
func (c *AdminClient) SetStripeConfig(ctx context.Context, cfg StripeConfig) (StripeConfig, error) {
	return simkit.Fetch[StripeConfig](ctx, c.kit(), http.MethodPut, "/_sandbox/stripe/config", cfg)
}

// SendStripeEvent changes a subscription of an agency's Stripe account and delivers
// the event (or re-delivers one sent before).
func (c *AdminClient) SendStripeEvent(ctx context.Context, req StripeSendRequest) (SentStripeEvent, error) {
	return simkit.Fetch[SentStripeEvent](ctx, c.kit(), http.MethodPost, "/_sandbox/stripe/send", req)
}

// StripeSubscriptions lists the subscriptions of the agencies' Stripe accounts.
func (c *AdminClient) StripeSubscriptions(ctx context.Context) ([]StripeSubscription, error) {
	out, err := simkit.Fetch[struct {
		Subscriptions []StripeSubscription `json:"subscriptions"`
	}](ctx, c.kit(), http.MethodGet, "/_sandbox/stripe/subscriptions", nil)
	return out.Subscriptions, err
}

// WebhookKeys returns the PEM public keys that verify webhook signatures.
func (c *AdminClient) WebhookKeys(ctx context.Context) (WebhookKeys, error) {
	return simkit.Fetch[WebhookKeys](ctx, c.kit(), http.MethodGet, "/_sandbox/webhooks/keys", nil)
}

// WebhookConfig returns the webhook delivery configuration.
func (c *AdminClient) WebhookConfig(ctx context.Context) (WebhookConfig, error) {
	return simkit.Fetch[WebhookConfig](ctx, c.kit(), http.MethodGet, "/_sandbox/webhooks/config", nil)
}

// SetWebhookConfig replaces the webhook delivery configuration and returns
// it normalised.
func (c *AdminClient) SetWebhookConfig(ctx context.Context, cfg WebhookConfig) (WebhookConfig, error) {
	return simkit.Fetch[WebhookConfig](ctx, c.kit(), http.MethodPut, "/_sandbox/webhooks/config", cfg)
}

// SendWebhook emits one event built from current state.
func (c *AdminClient) SendWebhook(ctx context.Context, req WebhookSendRequest) (SentWebhook, error) {
	return simkit.Fetch[SentWebhook](ctx, c.kit(), http.MethodPost, "/_sandbox/webhooks/send", req)
}

// BulkInstall installs the app at many locations and emits an INSTALL for each.
func (c *AdminClient) BulkInstall(ctx context.Context, req BulkInstallRequest) (BulkInstallResult, error) {
	return simkit.Fetch[BulkInstallResult](ctx, c.kit(), http.MethodPost, "/_sandbox/webhooks/bulk-install", req)
}

// WebhookDeliveries returns the webhook delivery log.
func (c *AdminClient) WebhookDeliveries(ctx context.Context) (WebhookReport, error) {
	return simkit.Fetch[WebhookReport](ctx, c.kit(), http.MethodGet, "/_sandbox/webhooks/deliveries", nil)
}

// ResetWebhookDeliveries empties the webhook delivery log.
func (c *AdminClient) ResetWebhookDeliveries(ctx context.Context) error {
	return c.kit().Do(ctx, http.MethodDelete, "/_sandbox/webhooks/deliveries", nil, nil)
}

// AuthorizeRequest is what an app puts in its authorization URL.
type AuthorizeRequest struct {
	ClientID    string
	RedirectURI string
	Scope       string // space-separated
	State       string
	CompanyID   string // the agency to approve; empty = the first one
	// CodeChallenge is a PKCE S256 challenge; empty sends none.
	CodeChallenge string
}

// Authorize plays the user on the consent page: it approves req for the
// agency and returns the code and state HighLevel would redirect with,
// without following the redirect. It works with or without AutoConsent.
func (c *AdminClient) Authorize(ctx context.Context, req AuthorizeRequest) (code, state string, err error) {
	return c.kit().Authorize(ctx, "/v2/oauth/chooselocation", simkit.WithPKCE(url.Values{
		"response_type": {"code"}, "client_id": {req.ClientID}, "redirect_uri": {req.RedirectURI},
		"scope": {req.Scope}, "state": {req.State}, "company_id": {req.CompanyID},
	}, req.CodeChallenge))
}
