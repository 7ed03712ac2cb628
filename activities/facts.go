package activities

// *Facts: the location owners' durable facts. Facts holds the facts store and the
// token store (both in the token store's database).

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// Facts holds the activities on the location owners' durable facts (internal/facts),
// which live in the token store's database.
type Facts struct {
	Store  *facts.Store
	Tokens *tokens.Store
	// Concluded is told each event's kind and outcome once recorded (metrics; nil:
	// nobody).
	Concluded func(kind, outcome string)
}

// recentEventsLoaded is how many recorded events an owner loads for dedupe when it
// starts again from the store.
const recentEventsLoaded = 1000

// LoadedFacts is what the store knows of a location when its owner starts.
type LoadedFacts struct {
	Found    bool           `json:"found"`
	Location facts.Location `json:"location,omitzero"`
	// Recent are the ids of the events handled for good, oldest first.
	Recent []string `json:"recent,omitempty"`
}

// LoadLocation reads a location's row and its recently handled events.
func (f *Facts) LoadLocation(ctx context.Context, locationID string) (LoadedFacts, error) {
	loc, ok, err := f.Store.Location(ctx, locationID)
	if err != nil || !ok {
		return LoadedFacts{}, classify(err)
	}
	evs, err := f.Store.Events(ctx, locationID, recentEventsLoaded)
	if err != nil {
		return LoadedFacts{}, classify(err)
	}
	out := LoadedFacts{Found: true, Location: loc}
	for _, e := range slices.Backward(evs) {
		if e.Outcome != facts.OutcomeParked && e.Outcome != facts.OutcomeDeferred {
			out.Recent = append(out.Recent, e.EventID)
		}
	}
	return out, nil
}

// FactsRecord is a location's row, and the outcome of the event that led to it.
type FactsRecord struct {
	Location facts.Location `json:"location"`
	Event    *facts.Event   `json:"event,omitempty"`
}

// RecordLocation writes a location's row (and an event's outcome, with its audit entry)
// in one transaction.
func (f *Facts) RecordLocation(ctx context.Context, in FactsRecord) error {
	if err := f.Store.Record(ctx, in.Location, in.Event); err != nil {
		return classify(err)
	}
	if in.Event != nil && f.Concluded != nil {
		f.Concluded(in.Event.Kind, in.Event.Outcome)
	}
	return nil
}

// AgencyPageRequest asks for the next page of an agency's locations.
type AgencyPageRequest struct {
	CompanyID string `json:"companyId"`
	After     string `json:"after,omitempty"`
	Limit     int    `json:"limit"`
}

// AgencyPage is one page of an agency's locations, in id order; Next is where the next
// page starts ("" after the last).
type AgencyPage struct {
	LocationIDs []string `json:"locationIds"`
	Next        string   `json:"next,omitempty"`
}

// AgencyLocations pages through the locations an agency uninstall must offboard: every
// location of the company the store has facts of, and those it only holds a token of
// (onboarded before the owners kept facts). Uninstalled ones are left out.
func (f *Facts) AgencyLocations(ctx context.Context, in AgencyPageRequest) (AgencyPage, error) {
	rows, err := f.Store.CompanyLocations(ctx, in.CompanyID, in.After, in.Limit)
	if err != nil {
		return AgencyPage{}, classify(err)
	}
	ids := map[string]bool{}
	for _, l := range rows {
		ids[l.LocationID] = l.Phase != facts.PhaseUninstalled
	}
	// The page ends where the facts' page ended: tokens beyond it belong to later pages.
	end := ""
	if len(rows) == in.Limit {
		end = rows[len(rows)-1].LocationID
	}
	held, err := locationsWithTokens(ctx, f.Tokens, in.CompanyID)
	if err != nil {
		return AgencyPage{}, classify(err)
	}
	for _, loc := range held {
		if _, known := ids[loc]; !known && loc > in.After && (end == "" || loc <= end) {
			ids[loc] = true
		}
	}
	out := AgencyPage{Next: end}
	for id, live := range ids {
		if live {
			out.LocationIDs = append(out.LocationIDs, id)
		}
	}
	slices.Sort(out.LocationIDs)
	return out, nil
}

// UninstallWait names the locations whose uninstall an agency offboarding waits for.
type UninstallWait struct {
	LocationIDs []string `json:"locationIds"`
	// Poll is how often to look again (default 2 s).
	Poll time.Duration `json:"poll,omitempty"`
}

// UninstallProgress says which locations are offboarded, and which wait on an operator.
type UninstallProgress struct {
	Done    []string          `json:"done,omitempty"`
	Parked  map[string]string `json:"parked,omitempty"`
	Pending []string          `json:"pending,omitempty"`
}

// AwaitUninstalled watches the facts until every location is uninstalled or parked, or
// the activity's time is nearly up, heartbeating as it goes; it returns the progress
// either way and the workflow asks again for what is still pending.
func (f *Facts) AwaitUninstalled(ctx context.Context, in UninstallWait) (UninstallProgress, error) {
	poll := in.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	deadline, hasDeadline := ctx.Deadline()
	for {
		p, err := f.uninstallProgress(ctx, in)
		if err != nil {
			return UninstallProgress{}, classify(err)
		}
		activity.RecordHeartbeat(ctx, len(p.Done))
		if len(p.Pending) == 0 || (hasDeadline && time.Until(deadline) < 2*poll) {
			return p, nil
		}
		select {
		case <-ctx.Done():
			return UninstallProgress{}, ctx.Err()
		case <-time.After(poll):
		}
	}
}

func (f *Facts) uninstallProgress(ctx context.Context, in UninstallWait) (UninstallProgress, error) {
	locs, err := f.Store.Locations(ctx, in.LocationIDs)
	if err != nil {
		return UninstallProgress{}, err
	}
	var p UninstallProgress
	for _, id := range in.LocationIDs {
		l, ok := locs[id]
		switch {
		case ok && l.Phase == facts.PhaseUninstalled:
			p.Done = append(p.Done, id)
		case ok && l.Parked > 0:
			if p.Parked == nil {
				p.Parked = map[string]string{}
			}
			p.Parked[id] = fmt.Sprintf("%d events parked (see the location's owner)", l.Parked)
		default:
			p.Pending = append(p.Pending, id)
		}
	}
	return p, nil
}
