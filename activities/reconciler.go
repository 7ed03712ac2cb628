package activities

// *Reconciler: turning HighLevel's state into events for the owners. Reconciler holds
// the Orchestrator and the facts store.

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/saasbridge/saasbridge/internal/facts"
)

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
		saas := state[loc]
		if !ok || l.Phase != facts.PhaseActive ||
			(l.SubscriptionID == saas.SubscriptionID && l.PlanID == saas.PlanID && l.Status == saas.Status) {
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
