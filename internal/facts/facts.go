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

	"github.com/saasbridge/saasbridge/internal/audit"
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
	LocationID string `json:"locationId"`
	CompanyID  string `json:"companyId"`
	// Name is HighLevel's name of the location, as its install found it. Recording a
	// location without one keeps the name recorded before.
	Name          string    `json:"name,omitempty"`
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

// nameLimit bounds a location's name likewise.
const nameLimit = 200

// Record writes the location's row and, when ev is not nil, the outcome of one event and
// its audit entry (internal/audit: the outcome, and the subscription before and after),
// in one transaction. Recording the same event again replaces its outcome (a parked
// event re-driven and applied) and adds an entry.
func (s *Store) Record(ctx context.Context, loc Location, ev *Event) error {
	if loc.LocationID == "" || loc.CompanyID == "" || loc.Phase == "" {
		return errors.New("facts: a location needs an id, a company and a phase")
	}
	if err := s.record(ctx, loc, ev); err != nil {
		return fmt.Errorf("facts: record %s: %w", loc.LocationID, err)
	}
	return nil
}

func (s *Store) record(ctx context.Context, loc Location, ev *Event) error {
	tx, err := s.begin(ctx, ev != nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var before Location
	if ev != nil {
		// Read under the chain's lock, which every writer of an event takes first.
		if before, err = currentLocation(ctx, tx, loc.LocationID); err != nil {
			return err
		}
	}
	now := s.now()
	if err := upsertLocation(ctx, tx, loc, now); err != nil {
		return err
	}
	if ev != nil {
		if err := upsertEvent(ctx, tx, loc.LocationID, *ev, now); err != nil {
			return fmt.Errorf("event %s: %w", ev.EventID, err)
		}
		if err := audit.Append(ctx, tx, eventEntry(before, loc, *ev)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// begin starts the transaction of a record; one that appends to the audit trail locks
// its chain first.
func (s *Store) begin(ctx context.Context, appends bool) (*sql.Tx, error) {
	if appends {
		return audit.Begin(ctx, s.db)
	}
	return s.db.BeginTx(ctx, nil)
}

// currentLocation reads a location's row in tx; a location without one reads as empty.
func currentLocation(ctx context.Context, tx *sql.Tx, id string) (Location, error) {
	l, err := scanLocation(tx.QueryRowContext(ctx, `SELECT `+locationColumns+` FROM locations WHERE location_id = $1`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return Location{}, nil
	}
	return l, err
}

// AuditKind is the audit kind of an event's entry: changes and checks are subscription
// entries, installs and uninstalls lifecycle ones.
func AuditKind(eventKind string) string {
	switch eventKind {
	case "change", "check":
		return audit.KindSubscription
	}
	return audit.KindLifecycle
}

// eventEntry is the audit entry of an event's outcome: the subscription before and after
// it, for every subscription event and for any event that changed it.
func eventEntry(before, after Location, ev Event) audit.Entry {
	e := audit.Entry{Kind: AuditKind(ev.Kind), Action: ev.Outcome, LocationID: after.LocationID, CompanyID: after.CompanyID,
		Detail: audit.Detail{EventID: ev.EventID, EventKind: ev.Kind, Source: ev.Source, OccurredAt: ev.OccurredAt, Message: ev.Message}}
	from, to := subscriptionOf(before), subscriptionOf(after)
	if e.Kind == audit.KindSubscription || from != to {
		e.Detail.From, e.Detail.To = &from, &to
	}
	return e
}

func subscriptionOf(l Location) audit.Subscription {
	return audit.Subscription{SubscriptionID: l.SubscriptionID, PlanID: l.PlanID, Status: l.Status, Paused: l.Paused}
}

const locationColumns = `location_id, company_id, phase, step, installed_at, onboarded_at, uninstalled_at,
	subscription_id, customer_id, plan_id, status, paused, participant_id, matter_id, record_id,
	attention, parked, last_event_id, last_event_at, updated_at, name, initial_plan`

func upsertLocation(ctx context.Context, tx *sql.Tx, l Location, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO locations (`+locationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		ON CONFLICT (location_id) DO UPDATE SET
			name = CASE WHEN excluded.name = '' THEN locations.name ELSE excluded.name END,
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
		l.Attention, l.Parked, l.LastEventID, millis(l.LastEventAt), millis(now), truncate(l.Name, nameLimit),
		truncate(l.InitialPlan, messageLimit))
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
		&l.Attention, &l.Parked, &l.LastEventID, &last, &updated, &l.Name, &l.InitialPlan); err != nil {
		return Location{}, err
	}
	l.InstalledAt, l.OnboardedAt, l.UninstalledAt = fromMillis(installed), fromMillis(onboarded), fromMillis(uninstalled)
	l.LastEventAt, l.UpdatedAt, l.Paused = fromMillis(last), fromMillis(updated), paused != 0
	return l, nil
}

// Events returns a location's recorded events, newest first, at most limit.
func (s *Store) Events(ctx context.Context, locationID string, limit int) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM location_events
		WHERE location_id = $1 ORDER BY recorded_at DESC, event_id DESC LIMIT $2`, locationID, limit)
	if err != nil {
		return nil, fmt.Errorf("facts: read events of %s: %w", locationID, err)
	}
	defer func() { _ = rows.Close() }()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("facts: read events of %s: %w", locationID, err)
		}
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

// PhasePaused is not a phase of its own: an active location whose billing paused it. The
// console lists it apart, and List filters on it.
const PhasePaused = "paused"

// Query selects locations for the console. Zero fields select everything.
type Query struct {
	// Phase is a phase, or PhasePaused (active and paused; "active" then means active
	// and not paused).
	Phase string
	// Status is the subscription's billing status.
	Status    string
	CompanyID string
	// Attention selects the locations that need an operator.
	Attention bool
	// Search matches a part of the location's id or name, ignoring case.
	Search        string
	Offset, Limit int
}

// Page is one page of locations, and how many the query selects in all.
type Page struct {
	Locations []Location
	Total     int
}

// List returns a page of the locations the query selects: those that need an operator
// first, then the most recent events first.
func (s *Store) List(ctx context.Context, q Query) (Page, error) {
	where, args := q.where()
	var p Page
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM locations`+where, args...).Scan(&p.Total); err != nil {
		return Page{}, fmt.Errorf("facts: list: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	n := len(args)
	locs, err := s.queryLocations(ctx, `SELECT `+locationColumns+` FROM locations`+where+
		fmt.Sprintf(` ORDER BY attention = '' , last_event_at DESC, location_id LIMIT $%d OFFSET $%d`, n+1, n+2),
		append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return Page{}, err
	}
	p.Locations = locs
	return p, nil
}

// where is the query's WHERE clause and its arguments (every value a parameter).
func (q Query) where() (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	switch q.Phase {
	case "":
	case PhasePaused:
		conds = append(conds, "phase = "+arg(PhaseActive)+" AND paused <> 0")
	case PhaseActive:
		conds = append(conds, "phase = "+arg(PhaseActive)+" AND paused = 0")
	default:
		conds = append(conds, "phase = "+arg(q.Phase))
	}
	if q.Status != "" {
		conds = append(conds, "status = "+arg(q.Status))
	}
	if q.CompanyID != "" {
		conds = append(conds, "company_id = "+arg(q.CompanyID))
	}
	if q.Attention {
		conds = append(conds, "attention <> ''")
	}
	if s := strings.TrimSpace(q.Search); s != "" {
		pattern := "%" + likeEscaper.Replace(strings.ToLower(s)) + "%"
		p := arg(pattern)
		conds = append(conds, "(lower(location_id) LIKE "+p+" ESCAPE '\\' OR lower(name) LIKE "+p+" ESCAPE '\\')")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Summary counts the locations by what the console shows of them.
type Summary struct {
	Total, New, Onboarding, Active, Paused, Offboarding, Uninstalled, Attention int
	// AttentionBy counts the locations that need an operator by why; ParkedEvents is
	// how many events are parked in all.
	AttentionBy  map[string]int
	ParkedEvents int
	// Companies and Statuses are the agencies and billing statuses the locations have.
	Companies, Statuses []string
}

// Summarize counts every location by phase, and lists their agencies and statuses.
func (s *Store) Summarize(ctx context.Context) (Summary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT phase, paused <> 0, attention, count(*), coalesce(sum(parked), 0) FROM locations GROUP BY 1, 2, 3`)
	if err != nil {
		return Summary{}, fmt.Errorf("facts: summarize: %w", err)
	}
	defer func() { _ = rows.Close() }()
	sum := Summary{AttentionBy: map[string]int{}}
	for rows.Next() {
		var phase, attention string
		var paused bool
		var n, parked int
		if err := rows.Scan(&phase, &paused, &attention, &n, &parked); err != nil {
			return Summary{}, fmt.Errorf("facts: summarize: %w", err)
		}
		sum.add(phase, paused, attention, n)
		sum.ParkedEvents += parked
	}
	if err := rows.Err(); err != nil {
		return Summary{}, fmt.Errorf("facts: summarize: %w", err)
	}
	if sum.Companies, err = s.distinct(ctx, "company_id"); err != nil {
		return Summary{}, err
	}
	if sum.Statuses, err = s.distinct(ctx, "status"); err != nil {
		return Summary{}, err
	}
	return sum, nil
}

func (sum *Summary) add(phase string, paused bool, attention string, n int) {
	sum.Total += n
	if attention != "" {
		sum.Attention += n
		sum.AttentionBy[attention] += n
	}
	switch {
	case phase == PhaseActive && paused:
		sum.Paused += n
	case phase == PhaseActive:
		sum.Active += n
	case phase == PhaseOnboarding:
		sum.Onboarding += n
	case phase == PhaseOffboarding:
		sum.Offboarding += n
	case phase == PhaseUninstalled:
		sum.Uninstalled += n
	default:
		sum.New += n
	}
}

// distinct lists a column's values, but the empty one (column is one of ours).
func (s *Store) distinct(ctx context.Context, column string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT `+column+` FROM locations WHERE `+column+` <> '' ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("facts: list %s: %w", column, err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("facts: list %s: %w", column, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Parked returns the events parked now of the given locations, by location, oldest
// first.
func (s *Store) Parked(ctx context.Context, ids []string) (map[string][]Event, error) {
	out := map[string][]Event{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{OutcomeParked}
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+`
		FROM location_events WHERE outcome = $1 AND location_id IN (`+strings.Join(marks, ", ")+`) ORDER BY recorded_at, event_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("facts: parked events: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		e, err := scanEvent(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("facts: parked events: %w", err)
		}
		out[e.LocationID] = append(out[e.LocationID], e)
	}
	return out, rows.Err()
}

const eventColumns = `location_id, event_id, kind, source, occurred_at, outcome, message, recorded_at`

func scanEvent(scan func(...any) error) (Event, error) {
	var e Event
	var occurred, recorded int64
	err := scan(&e.LocationID, &e.EventID, &e.Kind, &e.Source, &occurred, &e.Outcome, &e.Message, &recorded)
	e.OccurredAt, e.RecordedAt = fromMillis(occurred), fromMillis(recorded)
	return e, err
}

// Version changes whenever a location's row is written: the console's live updates
// poll it.
func (s *Store) Version(ctx context.Context, locationID string) (string, error) {
	var n, at int64
	var err error
	if locationID == "" {
		err = s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(updated_at), 0) FROM locations`).Scan(&n, &at)
	} else {
		err = s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(updated_at), 0) FROM locations WHERE location_id = $1`, locationID).Scan(&n, &at)
	}
	if err != nil {
		return "", fmt.Errorf("facts: version: %w", err)
	}
	return fmt.Sprintf("%d.%d", n, at), nil
}
