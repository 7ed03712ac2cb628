package activities

import (
	"context"
	"fmt"

	"github.com/saasbridge/saasbridge/internal/highlevel"
)

// InstalledPageRequest asks for one page of a company's installed locations.
type InstalledPageRequest struct {
	CompanyID string `json:"companyId"`
	Skip      int    `json:"skip"`
}

// InstalledPage is one page of installedLocations: the ids where the app is installed,
// and where the next page starts (0 when this was the last).
type InstalledPage struct {
	Installed []string `json:"installed"`
	Total     int      `json:"total"`
	Next      int      `json:"next"`
}

// ListInstalledLocations calls GET /oauth/installedLocations for one page of 100.
func (a *HighLevel) ListInstalledLocations(ctx context.Context, in InstalledPageRequest) (InstalledPage, error) {
	installed := true
	api, err := a.agency(in.CompanyID)
	if err != nil {
		return InstalledPage{}, err
	}
	page, err := api.InstalledLocations(ctx, highlevel.InstalledLocationsQuery{
		CompanyID: in.CompanyID, Skip: in.Skip, Limit: highlevel.MaxInstalledLocationsLimit, IsInstalled: &installed,
	})
	if err != nil {
		return InstalledPage{}, classify(err)
	}
	out := InstalledPage{Total: page.Count}
	for _, l := range page.Locations {
		if l.IsInstalled {
			out.Installed = append(out.Installed, l.ID)
		}
	}
	if next := in.Skip + len(page.Locations); len(page.Locations) > 0 && next < page.Count {
		out.Next = next
	}
	return out, nil
}

// SaaSPageRequest asks for one page (1-based) of a company's SaaS locations.
type SaaSPageRequest struct {
	CompanyID string `json:"companyId"`
	Page      int    `json:"page"`
}

// SaaSState is HighLevel's subscription state of one location, as reconciliation
// compares it with the last one applied.
type SaaSState struct {
	LocationID     string `json:"locationId"`
	SubscriptionID string `json:"subscriptionId,omitempty"`
	PlanID         string `json:"planId,omitempty"`
	Status         string `json:"status,omitempty"`
}

// SaaSPage is one page of saas-locations.
type SaaSPage struct {
	Locations []SaaSState `json:"locations"`
	HasNext   bool        `json:"hasNext"`
}

// ListSaaSLocations calls GET /saas/saas-locations/{companyId} for one page.
func (a *HighLevel) ListSaaSLocations(ctx context.Context, in SaaSPageRequest) (SaaSPage, error) {
	api, err := a.agency(in.CompanyID)
	if err != nil {
		return SaaSPage{}, err
	}
	page, err := api.SaaSLocations(ctx, in.CompanyID, in.Page)
	if err != nil {
		return SaaSPage{}, classify(err)
	}
	out := SaaSPage{HasNext: page.Pagination.HasNext}
	for _, l := range page.Locations {
		out.Locations = append(out.Locations, SaaSState{
			LocationID: l.LocationID, SubscriptionID: l.SubscriptionID,
			PlanID: l.SubscriptionInfo.SaaSPlanID, Status: l.SubscriptionInfo.SubscriptionStatus,
		})
	}
	return out, nil
}

// Orchestrator is what reconciliation asks of Temporal. The worker wires it to the
// workflows package's start helpers: activities cannot import workflows (workflows
// import activities).
type Orchestrator interface {
	// EnsureOnboarding starts the location's onboarding unless one has ever run;
	// it reports whether it started one.
	EnsureOnboarding(ctx context.Context, companyID, locationID, trigger string) (bool, error)
	// NeedsCheck reports whether HighLevel's state of the location differs from
	// what its subscription entity last applied (or no entity exists).
	NeedsCheck(ctx context.Context, hl SaaSState) (bool, error)
	// SignalCheck asks the location's entity (started if needed) to re-read HighLevel.
	SignalCheck(ctx context.Context, companyID, locationID, eventID, source string) error
}

// Reconciler holds the activities that turn HighLevel's state into workflow starts
// and signals.
type Reconciler struct {
	Orchestrator Orchestrator
}

// MissingOnboardings names installed locations to check.
type MissingOnboardings struct {
	CompanyID   string   `json:"companyId"`
	LocationIDs []string `json:"locationIds"`
}

// StartMissingOnboardings starts onboarding for each location that never had one (an
// INSTALL webhook that was lost), and returns those it started.
func (r *Reconciler) StartMissingOnboardings(ctx context.Context, in MissingOnboardings) ([]string, error) {
	var started []string
	for _, loc := range in.LocationIDs {
		ok, err := r.Orchestrator.EnsureOnboarding(ctx, in.CompanyID, loc, "reconciliation: installed without an onboarding")
		if err != nil {
			return started, classify(fmt.Errorf("ensure onboarding of %s: %w", loc, err))
		}
		if ok {
			started = append(started, loc)
		}
	}
	return started, nil
}

// DriftCheck is a page of HighLevel's subscription states to compare.
type DriftCheck struct {
	CompanyID string      `json:"companyId"`
	Locations []SaaSState `json:"locations"`
	// EventPrefix makes the check events' ids unique per reconciliation run, so a
	// retry of this activity does not signal twice.
	EventPrefix string `json:"eventPrefix"`
}

// SignalDrifted signals a check to every location whose HighLevel subscription state
// differs from the one its entity last applied (or that has no entity), and returns
// them.
func (r *Reconciler) SignalDrifted(ctx context.Context, in DriftCheck) ([]string, error) {
	var signaled []string
	for _, hl := range in.Locations {
		needed, err := r.Orchestrator.NeedsCheck(ctx, hl)
		if err != nil {
			return signaled, classify(fmt.Errorf("compare the subscription of %s: %w", hl.LocationID, err))
		}
		if !needed {
			continue
		}
		if err := r.Orchestrator.SignalCheck(ctx, in.CompanyID, hl.LocationID, in.EventPrefix+hl.LocationID, "reconciliation: HighLevel differs from the last state applied"); err != nil {
			return signaled, classify(fmt.Errorf("signal %s: %w", hl.LocationID, err))
		}
		signaled = append(signaled, hl.LocationID)
	}
	return signaled, nil
}
