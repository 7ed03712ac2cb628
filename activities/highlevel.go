package activities

// The HighLevel receiver, its agency client, and the reads of a location.

import (
	"context"
	"time"

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
