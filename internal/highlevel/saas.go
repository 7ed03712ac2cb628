package highlevel

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// SaaS endpoint templates, at the current /saas/... paths (the /saas-api/public-api/...
// family is deprecated).
const (
	EndpointSaaSLocationsByStripe = "GET /saas/locations"
	EndpointUpdateSubscription    = "PUT /saas/update-saas-subscription/{locationId}"
	EndpointEnableSaaS            = "POST /saas/enable-saas/{locationId}"
	EndpointBulkDisableSaaS       = "POST /saas/bulk-disable-saas/{companyId}"
	EndpointBulkEnableSaaS        = "POST /saas/bulk-enable-saas/{companyId}"
	EndpointPause                 = "POST /saas/pause/{locationId}"
	EndpointUpdateRebilling       = "POST /saas/update-rebilling/{companyId}"
	EndpointAgencyPlans           = "GET /saas/agency-plans/{companyId}"
	EndpointGetSubscription       = "GET /saas/get-saas-subscription/{locationId}"
	EndpointSaaSLocations         = "GET /saas/saas-locations/{companyId}"
	EndpointSaaSPlan              = "GET /saas/saas-plan/{planId}"
)

// LocationsByStripeQuery finds locations by their Stripe customer or subscription.
type LocationsByStripeQuery struct {
	CompanyID      string
	CustomerID     string
	SubscriptionID string
}

// LocationsByStripe returns the ids of locations matching a Stripe customer/subscription.
func (c *Client) LocationsByStripe(ctx context.Context, q LocationsByStripeQuery) ([]string, error) {
	v := url.Values{"companyId": {q.CompanyID}}
	if q.CustomerID != "" {
		v.Set("customerId", q.CustomerID)
	}
	if q.SubscriptionID != "" {
		v.Set("subscriptionId", q.SubscriptionID)
	}
	var out []string
	err := c.saas(ctx, EndpointSaaSLocationsByStripe, http.MethodGet, "/saas/locations", v, nil, &out)
	return out, err
}

// UpdateSubscriptionRequest is UpdateSubscriptionDto; every field is required.
type UpdateSubscriptionRequest struct {
	SubscriptionID string `json:"subscriptionId"`
	CustomerID     string `json:"customerId"`
	CompanyID      string `json:"companyId"`
}

// UpdateSaaSSubscription attaches a Stripe subscription to a location. It sets state,
// so repeating it is harmless.
func (c *Client) UpdateSaaSSubscription(ctx context.Context, locationID string, req UpdateSubscriptionRequest) error {
	// The 2xx body is a bare, undocumented string; nothing in it is needed.
	return c.saas(ctx, EndpointUpdateSubscription, http.MethodPut,
		"/saas/update-saas-subscription/"+url.PathEscape(locationID), nil, req, nil)
}

// EnableSaaSRequest is EnableSaasDto.
type EnableSaaSRequest struct {
	CompanyID          string `json:"companyId"`
	IsSaaSV2           bool   `json:"isSaaSV2"`
	StripeAccountID    string `json:"stripeAccountId,omitempty"`
	Name               string `json:"name,omitempty"`
	Email              string `json:"email,omitempty"`
	StripeCustomerID   string `json:"stripeCustomerId,omitempty"`
	ContactID          string `json:"contactId,omitempty"`
	ProviderLocationID string `json:"providerLocationId,omitempty"`
	Description        string `json:"description,omitempty"`
	SaaSPlanID         string `json:"saasPlanId,omitempty"`
	PriceID            string `json:"priceId,omitempty"`
}

// EnableSaaSResult is EnableSaasResponseDto.data.
type EnableSaaSResult struct {
	CustomerID         string `json:"customer_id"`
	OK                 bool   `json:"ok"`
	PaymentMethodAdded bool   `json:"paymentMethodAdded"`
}

// EnableSaaS turns SaaS mode on for a location (Agency Pro plan only).
func (c *Client) EnableSaaS(ctx context.Context, locationID string, req EnableSaaSRequest) (*EnableSaaSResult, error) {
	var out struct {
		Data EnableSaaSResult `json:"data"`
	}
	if err := c.saas(ctx, EndpointEnableSaaS, http.MethodPost,
		"/saas/enable-saas/"+url.PathEscape(locationID), nil, req, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// BulkDisableSaaS turns SaaS mode off for several locations of a company.
func (c *Client) BulkDisableSaaS(ctx context.Context, companyID string, locationIDs []string) (string, error) {
	var out struct {
		Data struct {
			Msg string `json:"msg"`
		} `json:"data"`
	}
	err := c.saas(ctx, EndpointBulkDisableSaaS, http.MethodPost,
		"/saas/bulk-disable-saas/"+url.PathEscape(companyID), nil,
		map[string][]string{"locationIds": locationIDs}, &out)
	return out.Data.Msg, err
}

// BulkEnableSaaSRequest is BulkEnableSaasRequestDto.
type BulkEnableSaaSRequest struct {
	LocationIDs   []string             `json:"locationIds"`
	IsSaaSV2      bool                 `json:"isSaaSV2"`
	ActionPayload BulkEnableSaaSAction `json:"actionPayload"`
}

// BulkEnableSaaSAction is BulkEnableSaasActionPayloadDto.
type BulkEnableSaaSAction struct {
	SaaSPlanID         string `json:"saasPlanId"`
	PriceID            string `json:"priceId,omitempty"`
	StripeAccountID    string `json:"stripeAccountId,omitempty"`
	ProviderLocationID string `json:"providerLocationId,omitempty"`
}

// BulkEnableSaaSResult is BulkEnableSaasResponseDto.
type BulkEnableSaaSResult struct {
	Success       bool   `json:"success"`
	Message       string `json:"message"`
	BulkActionURL string `json:"bulkActionUrl,omitempty"`
}

// BulkEnableSaaS turns SaaS mode on for several locations of a company.
func (c *Client) BulkEnableSaaS(ctx context.Context, companyID string, req BulkEnableSaaSRequest) (*BulkEnableSaaSResult, error) {
	var out BulkEnableSaaSResult
	if err := c.saas(ctx, EndpointBulkEnableSaaS, http.MethodPost,
		"/saas/bulk-enable-saas/"+url.PathEscape(companyID), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Pause pauses (paused=true) or resumes a location; the answer is a bare boolean.
func (c *Client) Pause(ctx context.Context, locationID, companyID string, paused bool) (bool, error) {
	var out bool
	err := c.saas(ctx, EndpointPause, http.MethodPost, "/saas/pause/"+url.PathEscape(locationID), nil,
		struct {
			Paused    bool   `json:"paused"`
			CompanyID string `json:"companyId"`
		}{paused, companyID}, &out)
	return out, err
}

// UpdateRebillingRequest is UpdateRebillingDto; Markup is a percentage (5 = +5%).
type UpdateRebillingRequest struct {
	Product     string          `json:"product"`
	LocationIDs []string        `json:"locationIds"`
	Config      RebillingConfig `json:"config"`
}

// RebillingConfig is UpdateRebillingDto.config.
type RebillingConfig struct {
	OptIn   *bool    `json:"optIn,omitempty"`
	Enabled *bool    `json:"enabled,omitempty"`
	Markup  *float64 `json:"markup,omitempty"`
}

// UpdateRebilling sets rebilling for one product on several locations.
func (c *Client) UpdateRebilling(ctx context.Context, companyID string, req UpdateRebillingRequest) (bool, error) {
	var out struct {
		Success bool `json:"success"`
	}
	err := c.saas(ctx, EndpointUpdateRebilling, http.MethodPost,
		"/saas/update-rebilling/"+url.PathEscape(companyID), nil, req, &out)
	return out.Success, err
}

// SaaSPlan is AgencyPlanResponseDto / SaasPlanResponseDto.
type SaaSPlan struct {
	PlanID             string      `json:"planId"`
	CompanyID          string      `json:"companyId,omitempty"`
	Title              string      `json:"title"`
	Description        string      `json:"description"`
	SaaSProducts       []string    `json:"saasProducts"`
	AddOns             []string    `json:"addOns,omitempty"`
	PlanLevel          int         `json:"planLevel"`
	TrialPeriod        int         `json:"trialPeriod"`
	UserLimit          *int        `json:"userLimit,omitempty"`
	ContactLimit       *int        `json:"contactLimit,omitempty"`
	SetupFee           *float64    `json:"setupFee,omitempty"`
	Prices             []PlanPrice `json:"prices"`
	IsSaaSV2           bool        `json:"isSaaSV2"`
	CategoryID         string      `json:"categoryId,omitempty"`
	SnapshotID         string      `json:"snapshotId,omitempty"`
	ProductID          string      `json:"productId,omitempty"`
	ProviderLocationID string      `json:"providerLocationId,omitempty"`
	CreatedAt          string      `json:"createdAt"`
	UpdatedAt          string      `json:"updatedAt"`
}

// PlanPrice is one price of a SaaS plan.
type PlanPrice struct {
	ID              string  `json:"id"`
	BillingInterval string  `json:"billingInterval"`
	Active          bool    `json:"active"`
	Amount          float64 `json:"amount"`
	Currency        string  `json:"currency"`
	Symbol          string  `json:"symbol"`
}

// AgencyPlans lists the agency's SaaS plans.
func (c *Client) AgencyPlans(ctx context.Context, companyID string) ([]SaaSPlan, error) {
	var out []SaaSPlan
	err := c.saas(ctx, EndpointAgencyPlans, http.MethodGet, "/saas/agency-plans/"+url.PathEscape(companyID), nil, nil, &out)
	return out, err
}

// Subscription is LocationSubscriptionResponseDto: a location's SaaS state.
type Subscription struct {
	LocationID         string `json:"locationId"`
	CompanyID          string `json:"companyId"`
	IsSaaSV2           bool   `json:"isSaaSV2"`
	SaaSMode           string `json:"saasMode,omitempty"`
	SubscriptionID     string `json:"subscriptionId,omitempty"`
	CustomerID         string `json:"customerId,omitempty"`
	ProductID          string `json:"productId,omitempty"`
	PriceID            string `json:"priceId,omitempty"`
	SaaSPlanID         string `json:"saasPlanId,omitempty"`
	SubscriptionStatus string `json:"subscriptionStatus,omitempty"`
}

// SaaSModeNotActivated is the saasMode of a location without SaaS.
const SaaSModeNotActivated = "not_activated"

// Enabled reports whether the location is in SaaS mode.
func (s Subscription) Enabled() bool {
	return s.SaaSMode != "" && s.SaaSMode != SaaSModeNotActivated
}

// GetSubscription reads a location's SaaS subscription.
func (c *Client) GetSubscription(ctx context.Context, locationID, companyID string) (*Subscription, error) {
	var out Subscription
	if err := c.saas(ctx, EndpointGetSubscription, http.MethodGet,
		"/saas/get-saas-subscription/"+url.PathEscape(locationID), url.Values{"companyId": {companyID}}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SaaSLocation is SaasLocationDto.
type SaaSLocation struct {
	LocationID         string           `json:"locationId"`
	CompanyID          string           `json:"companyId"`
	SaaSMode           string           `json:"saasMode"`
	SubscriptionID     string           `json:"subscriptionId"`
	CustomerID         string           `json:"customerId,omitempty"`
	Name               string           `json:"name,omitempty"`
	Email              string           `json:"email,omitempty"`
	ProviderLocationID string           `json:"providerLocationId,omitempty"`
	IsSaaSV2           bool             `json:"isSaaSV2"`
	SubscriptionInfo   SubscriptionInfo `json:"subscriptionInfo"`
}

// SubscriptionInfo is SaasLocationDto.subscriptionInfo.
type SubscriptionInfo struct {
	PriceID            string `json:"priceId,omitempty"`
	SaaSPlanID         string `json:"saasPlanId,omitempty"`
	StripeProductID    string `json:"stripeProductId,omitempty"`
	SubscriptionStatus string `json:"subscriptionStatus,omitempty"`
}

// SaaSLocationsPage is GetSaasLocationsResponseDto.
type SaaSLocationsPage struct {
	Locations  []SaaSLocation `json:"locations"`
	Pagination Pagination     `json:"pagination"`
}

// Pagination is the page block of saas-locations.
type Pagination struct {
	Page       int  `json:"page"`
	Limit      int  `json:"limit"`
	Total      int  `json:"total"`
	TotalPages int  `json:"totalPages"`
	HasNext    bool `json:"hasNext"`
	HasPrev    bool `json:"hasPrev"`
}

// SaaSLocations fetches one page (1-based) of the company's SaaS locations.
func (c *Client) SaaSLocations(ctx context.Context, companyID string, page int) (*SaaSLocationsPage, error) {
	var out SaaSLocationsPage
	if err := c.saas(ctx, EndpointSaaSLocations, http.MethodGet,
		"/saas/saas-locations/"+url.PathEscape(companyID), url.Values{"page": {strconv.Itoa(max(page, 1))}}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetSaaSPlan reads one SaaS plan of the company.
func (c *Client) GetSaaSPlan(ctx context.Context, planID, companyID string) (*SaaSPlan, error) {
	var out SaaSPlan
	if err := c.saas(ctx, EndpointSaaSPlan, http.MethodGet,
		"/saas/saas-plan/"+url.PathEscape(planID), url.Values{"companyId": {companyID}}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) saas(ctx context.Context, endpoint, method, path string, q url.Values, body, out any) error {
	return c.do(ctx, request{
		endpoint: endpoint, method: method, path: path, query: q,
		version: VersionSaaS, auth: true, json: body,
	}, out)
}
