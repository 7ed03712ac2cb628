package highlevelsim

import (
	"maps"
	"slices"
	"time"
)

// SaaS modes as HighLevel reports them in saasMode.
const (
	SaaSModeNotActivated = "not_activated"
	SaaSModeV1           = "saasV1"
	SaaSModeV2           = "saasV2"
)

// DefaultAgencyPlan is HighLevel's Agency Pro plan, the only one on which
// enable-saas works ("only available on Agency Pro ($497) plan").
const DefaultAgencyPlan = "agency_monthly_497"

// Agency is an agency (HighLevel "company") as the admin API shows it.
type Agency struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Plan is the agency's HighLevel plan, e.g. "agency_monthly_497" (Pro) or
	// "agency_monthly_297"; SaaS mode needs a *_497 plan.
	Plan string `json:"plan"`
	// UserID is the agency user who installs the app; tokens report it.
	UserID string `json:"userId"`
	// AppInstalled turns true on consent and false on an agency uninstall.
	AppInstalled             bool       `json:"appInstalled"`
	InstallToFutureLocations bool       `json:"installToFutureLocations"`
	CreatedAt                time.Time  `json:"createdAt"`
	LocationIDs              []string   `json:"locationIds"`
	Plans                    []SaaSPlan `json:"plans"`
}

// Location is a sub-account as the admin API shows it.
type Location struct {
	ID          string    `json:"id"`
	CompanyID   string    `json:"companyId"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	Phone       string    `json:"phone,omitempty"`
	Website     string    `json:"website,omitempty"`
	Address     string    `json:"address"`
	Installed   bool      `json:"installed"`
	InstalledAt time.Time `json:"installedAt,omitzero"`
	VersionID   string    `json:"versionId,omitempty"`
	// Active is the agency's own switch for the sub-account.
	Active bool `json:"active"`
	// EffectiveActive is what token refresh and locationToken check: Active,
	// not paused, and no lapsed SaaS subscription. Derived; ignored on input.
	EffectiveActive bool                       `json:"effectiveActive"`
	SaaS            SaaSState                  `json:"saas"`
	Rebilling       map[string]RebillingConfig `json:"rebilling,omitempty"`
}

// SaaSState is a location's SaaS configuration.
type SaaSState struct {
	SaaSMode           string `json:"saasMode"`
	IsSaaSV2           bool   `json:"isSaaSV2"`
	SubscriptionID     string `json:"subscriptionId,omitempty"`
	CustomerID         string `json:"customerId,omitempty"`
	PriceID            string `json:"priceId,omitempty"`
	SaaSPlanID         string `json:"saasPlanId,omitempty"`
	ProductID          string `json:"productId,omitempty"`
	ProviderLocationID string `json:"providerLocationId,omitempty"`
	// SubscriptionStatus is Stripe's status: "active", "paused", "canceled"...
	SubscriptionStatus string `json:"subscriptionStatus,omitempty"`
	Paused             bool   `json:"paused"`
	// EnableCount counts successful enable-saas state changes (single or
	// bulk), so tests can prove a retried enable did not apply twice.
	EnableCount int `json:"enableCount"`
}

func (s SaaSState) enabled() bool { return s.SaaSMode == SaaSModeV1 || s.SaaSMode == SaaSModeV2 }

// RebillingConfig is the last update-rebilling config applied to a product.
type RebillingConfig struct {
	OptIn   *bool    `json:"optIn,omitempty"`
	Enabled *bool    `json:"enabled,omitempty"`
	Markup  *float64 `json:"markup,omitempty"`
}

// lapsedStatuses are the Stripe subscription states in which HighLevel
// reports "Location is not active" (reference §1.2: incomplete, paused,
// canceled).
var lapsedStatuses = []string{"incomplete", "incomplete_expired", "paused", "canceled", "cancelled", "unpaid"}

func (l *Location) isActive() bool {
	return l.Active && !l.SaaS.Paused && !slices.Contains(lapsedStatuses, l.SaaS.SubscriptionStatus)
}

// view is a deep copy for callers outside the lock, with derived fields set.
func (l *Location) view() Location {
	v := *l
	v.EffectiveActive = l.isActive()
	v.Rebilling = maps.Clone(l.Rebilling)
	return v
}

func (a *Agency) view() Agency {
	v := *a
	v.LocationIDs = slices.Clone(a.LocationIDs)
	v.Plans = slices.Clone(a.Plans)
	return v
}

func (a *Agency) plan(id string) (SaaSPlan, bool) {
	for _, p := range a.Plans {
		if p.PlanID == id {
			return p, true
		}
	}
	return SaaSPlan{}, false
}

// world is all simulated state; Server.mu guards it.
type world struct {
	agencies    map[string]*Agency
	agencyOrder []string
	locations   map[string]*Location
	codes       map[string]*authCode
	access      map[string]*accessToken
	refresh     map[string]*refreshToken
	// The agencies' Stripe accounts (stripe.go): subscriptions by id, and the events
	// sent, by id, for redeliveries.
	stripeSubs map[string]*StripeSubscription
	stripeSent map[string]sentStripe
}

func newWorld() *world {
	return &world{
		agencies:   map[string]*Agency{},
		locations:  map[string]*Location{},
		codes:      map[string]*authCode{},
		access:     map[string]*accessToken{},
		refresh:    map[string]*refreshToken{},
		stripeSubs: map[string]*StripeSubscription{},
		stripeSent: map[string]sentStripe{},
	}
}

// install marks the app installed at l with the server's app version.
func (l *Location) install(versionID string, now time.Time) {
	l.Installed, l.InstalledAt, l.VersionID = true, now, versionID
}

func (l *Location) uninstall() {
	l.Installed, l.InstalledAt, l.VersionID = false, time.Time{}, ""
}

// uninstallLocation removes the app from l and revokes l's tokens, as
// HighLevel does on uninstall.
func (w *world) uninstallLocation(l *Location) {
	l.uninstall()
	w.revoke(func(g grant) bool { return g.userType == userLocation && g.locationID == l.ID })
}

// uninstallAgency removes the app from the agency and all its locations and
// revokes every token issued for them.
func (w *world) uninstallAgency(a *Agency) {
	a.AppInstalled = false
	for _, id := range a.LocationIDs {
		w.locations[id].uninstall()
	}
	w.revoke(func(g grant) bool { return g.companyID == a.ID })
}

// disableSaaS resets l to not-activated. The Stripe customer survives, as it
// does in Stripe, so a later enable reuses it; the agency's own pause stays.
func (l *Location) disableSaaS() {
	l.SaaS = SaaSState{
		SaaSMode:    SaaSModeNotActivated,
		CustomerID:  l.SaaS.CustomerID,
		Paused:      l.SaaS.Paused,
		EnableCount: l.SaaS.EnableCount,
	}
}
