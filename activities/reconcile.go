package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/saasbridge/saasbridge/internal/facts"
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
	api := a.agency(in.CompanyID)
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
	api := a.agency(in.CompanyID)
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

// Orchestrator is what reconciliation and the owners ask of Temporal. The worker wires
// it to the workflows package's start helpers: activities cannot import workflows
// (workflows import activities).
type Orchestrator interface {
	// SignalInstall, SignalCheck and SignalUninstall deliver an event to a location's
	// owner, starting it if it is not running.
	SignalInstall(ctx context.Context, companyID, locationID string, ev OwnerEvent) error
	SignalCheck(ctx context.Context, companyID, locationID string, ev OwnerEvent) error
	SignalUninstall(ctx context.Context, companyID, locationID string, ev OwnerEvent) error
	// AdoptLegacy hands what the workflows of the first releases (onboarding/<id>,
	// subscription/<id>, offboarding/<id>) know of a location to its owner, ending the
	// subscription entity. It fails, retryably, while one of them still runs.
	AdoptLegacy(ctx context.Context, locationID string) (LegacyState, error)
}

// OwnerEvent is an event reconciliation or an agency offboarding sends an owner.
type OwnerEvent struct {
	EventID    string    `json:"eventId"`
	Source     string    `json:"source"`
	OccurredAt time.Time `json:"occurredAt"`
}

// Reconciler holds the activities that turn HighLevel's state into events for the
// locations' owners. What was onboarded, and what was applied, it reads from the
// owners' facts, never from Temporal's retention.
type Reconciler struct {
	Orchestrator Orchestrator
	Facts        *facts.Store
	// ReinstallGrace is how long after an uninstall an installed location is taken
	// for HighLevel's listing lagging behind, not for a re-install whose webhook was
	// lost (default 1 h).
	ReinstallGrace time.Duration
	// Now is the clock (tests fake it).
	Now func() time.Time
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// MissingOnboardings names installed locations to check.
type MissingOnboardings struct {
	CompanyID   string   `json:"companyId"`
	LocationIDs []string `json:"locationIds"`
}

// reconcileProgress is a reconciliation activity's heartbeat: a retry resumes after the
// locations already handled.
type reconcileProgress struct {
	Next int      `json:"next"`
	Done []string `json:"done"`
}

// StartMissingOnboardings sends an install to each installed location that is not
// onboarded (an INSTALL webhook that was lost, or a re-install whose webhook was lost,
// well after the uninstall), and returns those. A location whose signal fails is
// logged and left to the next run: one location must not stop the agency's
// reconciliation.
func (r *Reconciler) StartMissingOnboardings(ctx context.Context, in MissingOnboardings) ([]string, error) {
	known, err := r.Facts.Locations(ctx, in.LocationIDs)
	if err != nil {
		return nil, classify(fmt.Errorf("read the facts of %d locations: %w", len(in.LocationIDs), err))
	}
	grace := r.ReinstallGrace
	if grace <= 0 {
		grace = time.Hour
	}
	now := r.now()
	return r.eachLocation(ctx, in.LocationIDs, func(loc string) (bool, error) {
		l, ok := known[loc]
		switch {
		case ok && (l.Phase == facts.PhaseActive || l.Phase == facts.PhaseOnboarding || l.Phase == facts.PhaseOffboarding):
			return false, nil
		case ok && l.Phase == facts.PhaseUninstalled && now.Sub(l.UninstalledAt) < grace:
			return false, nil
		}
		ev := OwnerEvent{EventID: fmt.Sprintf("reconcile/%s/install/%d", loc, now.UnixMilli()),
			Source: "reconciliation: installed but not onboarded", OccurredAt: now}
		return true, r.Orchestrator.SignalInstall(ctx, in.CompanyID, loc, ev)
	})
}

// DriftCheck is a page of HighLevel's subscription states to compare.
type DriftCheck struct {
	CompanyID string      `json:"companyId"`
	Locations []SaaSState `json:"locations"`
	// EventPrefix makes the check events' ids unique per reconciliation run, so a
	// retry of this activity does not signal twice.
	EventPrefix string `json:"eventPrefix"`
}

// SignalDrifted signals a check to every onboarded location whose subscription in
// HighLevel differs from the one its owner last applied, and returns them.
func (r *Reconciler) SignalDrifted(ctx context.Context, in DriftCheck) ([]string, error) {
	ids := make([]string, len(in.Locations))
	state := make(map[string]SaaSState, len(in.Locations))
	for i, l := range in.Locations {
		ids[i], state[l.LocationID] = l.LocationID, l
	}
	known, err := r.Facts.Locations(ctx, ids)
	if err != nil {
		return nil, classify(fmt.Errorf("read the facts of %d locations: %w", len(ids), err))
	}
	return r.eachLocation(ctx, ids, func(loc string) (bool, error) {
		l, ok := known[loc]
		hl := state[loc]
		if !ok || l.Phase != facts.PhaseActive ||
			(l.SubscriptionID == hl.SubscriptionID && l.PlanID == hl.PlanID && l.Status == hl.Status) {
			return false, nil
		}
		ev := OwnerEvent{EventID: in.EventPrefix + loc, Source: "reconciliation: HighLevel differs from the last state applied", OccurredAt: r.now()}
		return true, r.Orchestrator.SignalCheck(ctx, in.CompanyID, loc, ev)
	})
}

// eachLocation runs fn for every location, heartbeating its progress so a retry
// resumes where this attempt stopped, and returns those for which fn acted. A failure
// of one location is logged and counted, not returned.
func (r *Reconciler) eachLocation(ctx context.Context, locs []string, fn func(loc string) (bool, error)) ([]string, error) {
	var p reconcileProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil {
			p = reconcileProgress{}
		}
	}
	failed := 0
	for i := p.Next; i < len(locs); i++ {
		if err := ctx.Err(); err != nil {
			return p.Done, err
		}
		acted, err := fn(locs[i])
		switch {
		case err != nil:
			failed++
			activity.GetLogger(ctx).Warn("reconciliation skipped a location; the next run tries it again", "locationId", locs[i], "error", err)
		case acted:
			p.Done = append(p.Done, locs[i])
		}
		p.Next = i + 1
		activity.RecordHeartbeat(ctx, p)
	}
	if failed > 0 {
		activity.GetLogger(ctx).Warn("reconciliation skipped locations", "failed", failed, "of", len(locs))
	}
	return p.Done, nil
}
