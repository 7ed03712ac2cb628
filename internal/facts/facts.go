// Package facts keeps what the location owners know durably, in the token store's
// database (SQLite or PostgreSQL): each location's lifecycle phase, when it was
// installed, onboarded and uninstalled, its subscription as last applied, the ids of the
// Actionstep records made for it, and the outcome of every event it was sent.
//
// These facts outlive Temporal's retention: reconciliation reads "ever onboarded" and
// "uninstalled" from here, not from closed workflows that a namespace may have purged,
// and an owner that starts again (a late event for an uninstalled location, a
// re-install) resumes from them. Only the location's owner workflow writes a
// location's row, one event at a time, so the last write is the current truth.
package facts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Lifecycle phases of a location.
const (
	// PhaseNew: seen, never onboarded (or its onboarding has not finished).
	PhaseNew = "new"
	// PhaseOnboarding: an install is being applied.
	PhaseOnboarding = "onboarding"
	// PhaseActive: onboarded; subscription changes apply.
	PhaseActive = "active"
	// PhaseOffboarding: an uninstall is being applied.
	PhaseOffboarding = "offboarding"
	// PhaseUninstalled: offboarded; only a newer install starts it again.
	PhaseUninstalled = "uninstalled"
)

// Outcomes of an event. Every event a location's owner accepts ends with one of them.
const (
	// OutcomeApplied: its effects were made (or were already in place).
	OutcomeApplied = "applied"
	// OutcomeParked: a step failed for good; it waits for an operator to re-drive or
	// discard it.
	OutcomeParked = "parked"
	// OutcomeSuperseded: older (by occurredAt) than what was applied for every field it
	// sets, or than the install or uninstall it would undo.
	OutcomeSuperseded = "superseded"
	// OutcomeAfterUninstall: it arrived for an uninstalled location and is not a newer
	// install.
	OutcomeAfterUninstall = "after-uninstall"
	// OutcomeNotInstalled: an install for a location where HighLevel says the app is not
	// installed, or a check for a location that was never onboarded.
	OutcomeNotInstalled = "not-installed"
	// OutcomeDeferred: a change for a location not onboarded yet; it is applied once the
	// onboarding finishes.
	OutcomeDeferred = "deferred"
	// OutcomeDiscarded: an operator discarded it while parked.
	OutcomeDiscarded = "discarded"
)

// Location is one location's row.
type Location struct {
	LocationID    string    `json:"locationId"`
	CompanyID     string    `json:"companyId"`
	Phase         string    `json:"phase"`
	Step          string    `json:"step,omitempty"`
	InstalledAt   time.Time `json:"installedAt,omitzero"`
	OnboardedAt   time.Time `json:"onboardedAt,omitzero"`
	UninstalledAt time.Time `json:"uninstalledAt,omitzero"`
	// The subscription as last applied.
	SubscriptionID string `json:"subscriptionId,omitempty"`
	CustomerID     string `json:"customerId,omitempty"`
	PlanID         string `json:"planId,omitempty"`
	Status         string `json:"status,omitempty"`
	Paused         bool   `json:"paused,omitempty"`
	// Where the location lives in Actionstep.
	ParticipantID string `json:"participantId,omitempty"`
	MatterID      string `json:"matterId,omitempty"`
	RecordID      string `json:"recordId,omitempty"`
	// Attention says why the location needs an operator ("" when it does not).
	Attention   string    `json:"attention,omitempty"`
	Parked      int       `json:"parked,omitempty"`
	LastEventID string    `json:"lastEventId,omitempty"`
	LastEventAt time.Time `json:"lastEventAt,omitzero"`
	// InitialPlan says what the onboarding did about the initial subscription: the
	// plan it set up and where that came from, or why it set up none.
	InitialPlan string    `json:"initialPlan,omitempty"`
	UpdatedAt   time.Time `json:"updatedAt,omitzero"`
}

// Onboarded reports whether the location is onboarded now (not since uninstalled).
func (l Location) Onboarded() bool { return l.Phase == PhaseActive }

// Event is the recorded outcome of one event.
type Event struct {
	LocationID string    `json:"locationId"`
	EventID    string    `json:"eventId"`
	Kind       string    `json:"kind"`
	Source     string    `json:"source,omitempty"`
	OccurredAt time.Time `json:"occurredAt,omitzero"`
	Outcome    string    `json:"outcome"`
	// Message is why, for every outcome but applied: the API's own message for a
	// parked event.
	Message    string    `json:"message,omitempty"`
	RecordedAt time.Time `json:"recordedAt,omitzero"`
}

// Store reads and writes the facts. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

// New returns a Store on db, whose schema the token store has migrated
// (tokens.Store.DB).
func New(db *sql.DB) *Store { return &Store{db: db, now: time.Now} }

// messageLimit bounds a recorded message: API messages are short, and a row must not
// grow with whatever a misbehaving server answers.
const messageLimit = 1000

// Record writes the location's row and, when ev is not nil, the outcome of one event,
// in one transaction. Recording the same event again replaces its outcome (a parked
// event re-driven and applied).
func (s *Store) Record(ctx context.Context, loc Location, ev *Event) error {
	if loc.LocationID == "" || loc.CompanyID == "" || loc.Phase == "" {
		return errors.New("facts: a location needs an id, a company and a phase")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("facts: record %s: %w", loc.LocationID, err)
	}
	defer func() { _ = tx.Rollback() }()
	now := s.now()
	if err := upsertLocation(ctx, tx, loc, now); err != nil {
		return fmt.Errorf("facts: record %s: %w", loc.LocationID, err)
	}
	if ev != nil {
		if err := upsertEvent(ctx, tx, loc.LocationID, *ev, now); err != nil {
			return fmt.Errorf("facts: record event %s of %s: %w", ev.EventID, loc.LocationID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("facts: record %s: %w", loc.LocationID, err)
	}
	return nil
}

const locationColumns = `location_id, company_id, phase, step, installed_at, onboarded_at, uninstalled_at,
	subscription_id, customer_id, plan_id, status, paused, participant_id, matter_id, record_id,
	attention, parked, last_event_id, last_event_at, initial_plan, updated_at`

func upsertLocation(ctx context.Context, tx *sql.Tx, l Location, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO locations (`+locationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
		ON CONFLICT (location_id) DO UPDATE SET
			company_id = excluded.company_id, phase = excluded.phase, step = excluded.step,
			installed_at = excluded.installed_at, onboarded_at = excluded.onboarded_at,
			uninstalled_at = excluded.uninstalled_at, subscription_id = excluded.subscription_id,
			customer_id = excluded.customer_id, plan_id = excluded.plan_id, status = excluded.status,
			paused = excluded.paused, participant_id = excluded.participant_id,
			matter_id = excluded.matter_id, record_id = excluded.record_id,
			attention = excluded.attention, parked = excluded.parked,
			last_event_id = excluded.last_event_id, last_event_at = excluded.last_event_at,
			initial_plan = excluded.initial_plan, updated_at = excluded.updated_at`,
		l.LocationID, l.CompanyID, l.Phase, l.Step, millis(l.InstalledAt), millis(l.OnboardedAt), millis(l.UninstalledAt),
		l.SubscriptionID, l.CustomerID, l.PlanID, l.Status, boolInt(l.Paused), l.ParticipantID, l.MatterID, l.RecordID,
		l.Attention, l.Parked, l.LastEventID, millis(l.LastEventAt), truncate(l.InitialPlan, messageLimit), millis(now))
	return err
}

func upsertEvent(ctx context.Context, tx *sql.Tx, locationID string, e Event, now time.Time) error {
	if e.EventID == "" || e.Outcome == "" {
		return errors.New("an event needs an id and an outcome")
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO location_events (location_id, event_id, kind, source, occurred_at, outcome, message, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (location_id, event_id) DO UPDATE SET
			kind = excluded.kind, source = excluded.source, occurred_at = excluded.occurred_at,
			outcome = excluded.outcome, message = excluded.message, recorded_at = excluded.recorded_at`,
		locationID, e.EventID, e.Kind, e.Source, millis(e.OccurredAt), e.Outcome, truncate(e.Message, messageLimit), millis(now))
	return err
}

// Location returns one location's row; ok is false when the location has none.
func (s *Store) Location(ctx context.Context, locationID string) (loc Location, ok bool, err error) {
	locs, err := s.Locations(ctx, []string{locationID})
	if err != nil {
		return Location{}, false, err
	}
	loc, ok = locs[locationID]
	return loc, ok, nil
}

// Locations returns the rows of the given locations that have one, by id.
func (s *Store) Locations(ctx context.Context, ids []string) (map[string]Location, error) {
	out := make(map[string]Location, len(ids))
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 500)]
		ids = ids[len(batch):]
		args := make([]any, len(batch))
		marks := make([]string, len(batch))
		for i, id := range batch {
			args[i], marks[i] = id, fmt.Sprintf("$%d", i+1)
		}
		locs, err := s.queryLocations(ctx, `SELECT `+locationColumns+` FROM locations WHERE location_id IN (`+
			strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, l := range locs {
			out[l.LocationID] = l
		}
	}
	return out, nil
}

// CompanyLocations pages through a company's locations in id order: those after the
// given id, at most limit of them.
func (s *Store) CompanyLocations(ctx context.Context, companyID, after string, limit int) ([]Location, error) {
	return s.queryLocations(ctx, `SELECT `+locationColumns+` FROM locations
		WHERE company_id = $1 AND location_id > $2 ORDER BY location_id LIMIT $3`, companyID, after, limit)
}

func (s *Store) queryLocations(ctx context.Context, query string, args ...any) ([]Location, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("facts: read locations: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Location
	for rows.Next() {
		l, err := scanLocation(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("facts: read locations: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("facts: read locations: %w", err)
	}
	return out, nil
}

func scanLocation(scan func(...any) error) (Location, error) {
	var (
		l                                                Location
		installed, onboarded, uninstalled, last, updated int64
		paused                                           int
	)
	if err := scan(&l.LocationID, &l.CompanyID, &l.Phase, &l.Step, &installed, &onboarded, &uninstalled,
		&l.SubscriptionID, &l.CustomerID, &l.PlanID, &l.Status, &paused, &l.ParticipantID, &l.MatterID, &l.RecordID,
		&l.Attention, &l.Parked, &l.LastEventID, &last, &l.InitialPlan, &updated); err != nil {
		return Location{}, err
	}
	l.InstalledAt, l.OnboardedAt, l.UninstalledAt = fromMillis(installed), fromMillis(onboarded), fromMillis(uninstalled)
	l.LastEventAt, l.UpdatedAt, l.Paused = fromMillis(last), fromMillis(updated), paused != 0
	return l, nil
}

// Events returns a location's recorded events, newest first, at most limit.
func (s *Store) Events(ctx context.Context, locationID string, limit int) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT event_id, kind, source, occurred_at, outcome, message, recorded_at FROM location_events
		WHERE location_id = $1 ORDER BY recorded_at DESC, event_id DESC LIMIT $2`, locationID, limit)
	if err != nil {
		return nil, fmt.Errorf("facts: read events of %s: %w", locationID, err)
	}
	defer func() { _ = rows.Close() }()
	var out []Event
	for rows.Next() {
		e := Event{LocationID: locationID}
		var occurred, recorded int64
		if err := rows.Scan(&e.EventID, &e.Kind, &e.Source, &occurred, &e.Outcome, &e.Message, &recorded); err != nil {
			return nil, fmt.Errorf("facts: read events of %s: %w", locationID, err)
		}
		e.OccurredAt, e.RecordedAt = fromMillis(occurred), fromMillis(recorded)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("facts: read events of %s: %w", locationID, err)
	}
	return out, nil
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
