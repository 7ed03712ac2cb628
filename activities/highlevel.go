// Package activities holds saasbridge's Temporal activities: one method per external
// endpoint, grouped by API. Each returns errors already classified for Temporal (see
// classify) so retry behaviour is decided in one place.
package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/pacing"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// HighLevel holds the HighLevel activities and their dependencies. Build it once per
// worker process; workflows refer to its methods through a nil *HighLevel.
type HighLevel struct {
	Client *highlevel.Client
	Tokens *tokens.Store
	// RateLimits is told each agency answer's rate-limit headers (metrics; nil: nobody).
	RateLimits func(companyID string, rl highlevel.RateLimit)
	// InitialPlans choose a new location's initial plan when its install carries none
	// (the mapping's initialPlan rules, then HIGHLEVEL_DEFAULT_PLAN_ID); first match
	// wins.
	InitialPlans []mapping.PlanRule
	// Pacing paces agency calls to each company's share of HighLevel's burst window,
	// RateLimit (100 per 10 s), for the whole fleet (nil, or RateLimit off: no pacing).
	Pacing    *pacing.Limiter
	RateLimit pacing.Window
	// Now is the clock used to turn expires_in into an expiry (tests fake it).
	Now func() time.Time
}

func (a *HighLevel) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// agency returns a client authenticated as the agency (company) credential, whose
// calls spend the company's own budget: a request waits for a slot of the company's
// window, or is held back until one frees (a *pacing.HoldBack, see classify).
func (a *HighLevel) agency(companyID string) *highlevel.Client {
	c := a.Client.As(credentials.HighLevelSource(a.Tokens, a.Client, tokens.KeyHighLevelAgency(companyID)))
	if a.Pacing != nil && !a.RateLimit.Off() {
		c = c.Paced(a.Pacing.Pacer(HighLevelBudget(companyID), a.RateLimit))
	}
	if a.RateLimits != nil {
		c = c.Observing(func(call highlevel.Call) { a.RateLimits(companyID, call.RateLimit) })
	}
	return c
}

// HighLevelBudget names a company's budget of HighLevel's burst window.
func HighLevelBudget(companyID string) string { return "highlevel:" + companyID }

// LocationRef names a location of a company; most HighLevel activities take one.
type LocationRef struct {
	CompanyID  string `json:"companyId"`
	LocationID string `json:"locationId"`
}

// InstalledLocation is what installedLocations says about one location.
type InstalledLocation struct {
	Found       bool   `json:"found"`
	IsInstalled bool   `json:"isInstalled"`
	Name        string `json:"name,omitempty"`
	Address     string `json:"address,omitempty"`
	InstalledAt string `json:"installedAt,omitempty"`
}

// GetInstalledLocation calls GET /oauth/installedLocations filtered to one location.
func (a *HighLevel) GetInstalledLocation(ctx context.Context, in LocationRef) (InstalledLocation, error) {
	api := a.agency(in.CompanyID)
	page, err := api.InstalledLocations(ctx, highlevel.InstalledLocationsQuery{
		CompanyID: in.CompanyID, LocationID: in.LocationID, Limit: 1,
	})
	if err != nil {
		return InstalledLocation{}, classify(err)
	}
	for _, loc := range page.Locations {
		if loc.ID == in.LocationID {
			return InstalledLocation{
				Found: true, IsInstalled: loc.IsInstalled, Name: loc.Name,
				Address: loc.Address, InstalledAt: loc.InstalledAt,
			}, nil
		}
	}
	return InstalledLocation{}, nil
}

// LocationToken describes a minted location token without the token itself, which
// goes straight into the encrypted store and never into workflow history.
type LocationToken struct {
	ExpiresAt time.Time `json:"expiresAt"`
	Scope     string    `json:"scope,omitempty"`
}

// MintLocationToken calls POST /oauth/locationToken and stores the result. A re-run
// overwrites the stored token with a fresh one, which is what a re-install needs.
func (a *HighLevel) MintLocationToken(ctx context.Context, in LocationRef) (LocationToken, error) {
	api := a.agency(in.CompanyID)
	resp, err := api.LocationToken(ctx, in.CompanyID, in.LocationID)
	if err != nil {
		return LocationToken{}, classify(err)
	}
	if resp.AccessToken == "" || (resp.LocationID != "" && resp.LocationID != in.LocationID) {
		return LocationToken{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("locationToken answered for location %q, want %q (or no token)", resp.LocationID, in.LocationID),
			ErrTypeUnexpectedResponse, nil)
	}
	tok := credentials.FromHighLevel(resp, a.now())
	if err := a.Tokens.Put(ctx, tokens.KeyHighLevelLocation(in.LocationID), tok); err != nil {
		return LocationToken{}, classify(fmt.Errorf("store location token: %w", err))
	}
	activity.GetLogger(ctx).Info("location token stored", "locationId", in.LocationID, "expiresAt", tok.Expiry)
	return LocationToken{ExpiresAt: tok.Expiry, Scope: resp.Scope}, nil
}

// EnableSaaSInput enables SaaS mode on a location, optionally on a plan.
type EnableSaaSInput struct {
	LocationRef
	PlanID  string `json:"planId,omitempty"`
	PriceID string `json:"priceId,omitempty"`
}

// EnableSaaSOutcome reports what enable-saas did.
type EnableSaaSOutcome struct {
	// AlreadyEnabled: HighLevel refused because SaaS was already on. The caller must
	// confirm the state with a read before treating that as success.
	AlreadyEnabled bool   `json:"alreadyEnabled"`
	CustomerID     string `json:"customerId,omitempty"`
}

// AlreadyEnabledMessage is HighLevel's answer to enabling SaaS twice.
const AlreadyEnabledMessage = "SaaS is already enabled for this location"

// EnableSaaS calls POST /saas/enable-saas/{locationId}.
func (a *HighLevel) EnableSaaS(ctx context.Context, in EnableSaaSInput) (EnableSaaSOutcome, error) {
	api := a.agency(in.CompanyID)
	res, err := api.EnableSaaS(ctx, in.LocationID, highlevel.EnableSaaSRequest{
		CompanyID: in.CompanyID, IsSaaSV2: true, SaaSPlanID: in.PlanID, PriceID: in.PriceID,
	})
	var refused *highlevel.APIError
	if errors.As(err, &refused) && refused.StatusCode == 400 && refused.Message == AlreadyEnabledMessage {
		return EnableSaaSOutcome{AlreadyEnabled: true}, nil
	}
	if err != nil {
		return EnableSaaSOutcome{}, classify(err)
	}
	return EnableSaaSOutcome{CustomerID: res.CustomerID}, nil
}

// UpdateSubscriptionInput attaches a Stripe subscription to a location.
type UpdateSubscriptionInput struct {
	LocationRef
	SubscriptionID string `json:"subscriptionId"`
	CustomerID     string `json:"customerId"`
}

// UpdateSaaSSubscription calls PUT /saas/update-saas-subscription/{locationId}. It
// sets state, so a retry after a lost response is harmless.
func (a *HighLevel) UpdateSaaSSubscription(ctx context.Context, in UpdateSubscriptionInput) error {
	api := a.agency(in.CompanyID)
	return classify(api.UpdateSaaSSubscription(ctx, in.LocationID, highlevel.UpdateSubscriptionRequest{
		SubscriptionID: in.SubscriptionID, CustomerID: in.CustomerID, CompanyID: in.CompanyID,
	}))
}

// Subscription is a location's SaaS state as HighLevel reports it.
type Subscription struct {
	Enabled            bool   `json:"enabled"`
	SaaSMode           string `json:"saasMode,omitempty"`
	PlanID             string `json:"planId,omitempty"`
	PriceID            string `json:"priceId,omitempty"`
	SubscriptionID     string `json:"subscriptionId,omitempty"`
	CustomerID         string `json:"customerId,omitempty"`
	SubscriptionStatus string `json:"subscriptionStatus,omitempty"`
}

// GetSaaSSubscription calls GET /saas/get-saas-subscription/{locationId}.
func (a *HighLevel) GetSaaSSubscription(ctx context.Context, in LocationRef) (Subscription, error) {
	api := a.agency(in.CompanyID)
	s, err := api.GetSubscription(ctx, in.LocationID, in.CompanyID)
	if err != nil {
		return Subscription{}, classify(err)
	}
	return Subscription{
		Enabled: s.Enabled(), SaaSMode: s.SaaSMode, PlanID: s.SaaSPlanID, PriceID: s.PriceID,
		SubscriptionID: s.SubscriptionID, CustomerID: s.CustomerID, SubscriptionStatus: s.SubscriptionStatus,
	}, nil
}
