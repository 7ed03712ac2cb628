package facts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// UnmatchedEvent is a verified event the gateway acknowledged but could not hand to a
// location's owner (no location has its Stripe customer, or several do). It is kept,
// not dropped, until an operator re-drives or discards it.
type UnmatchedEvent struct {
	Source         string `json:"source"`
	EventID        string `json:"eventId"`
	Type           string `json:"type"`
	CustomerID     string `json:"customerId,omitempty"`
	SubscriptionID string `json:"subscriptionId,omitempty"`
	// Reason says why it matched no location.
	Reason string `json:"reason"`
	// Detail is the event as the gateway read it (ids and status, never the raw body),
	// enough to re-drive it.
	Detail     json.RawMessage `json:"detail,omitempty"`
	OccurredAt time.Time       `json:"occurredAt"`
	ReceivedAt time.Time       `json:"receivedAt"`
	// Deliveries counts how often the sender delivered it.
	Deliveries int `json:"deliveries"`
	// ResolvedAt and Resolution say how an operator ended it ("" while open).
	ResolvedAt time.Time `json:"resolvedAt,omitzero"`
	Resolution string    `json:"resolution,omitempty"`
}

// Open reports whether the event still waits for an operator.
func (u UnmatchedEvent) Open() bool { return u.ResolvedAt.IsZero() }

// ParkUnmatched keeps an event no location matched. A redelivery of an open one
// counts a delivery and refreshes its reason; one already resolved stays resolved.
func (s *Store) ParkUnmatched(ctx context.Context, u UnmatchedEvent) error {
	if u.Source == "" || u.EventID == "" || u.Type == "" || u.Reason == "" {
		return errors.New("facts: an unmatched event needs a source, an id, a type and a reason")
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO unmatched_events (source, event_id, type, customer_id, subscription_id, reason, detail, occurred_at, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (source, event_id) DO UPDATE SET deliveries = unmatched_events.deliveries + 1,
			reason = CASE WHEN unmatched_events.resolved_at = 0 THEN excluded.reason ELSE unmatched_events.reason END`,
		u.Source, u.EventID, u.Type, u.CustomerID, u.SubscriptionID, truncate(u.Reason, messageLimit), string(u.Detail),
		millis(u.OccurredAt), millis(s.now()))
	if err != nil {
		return fmt.Errorf("facts: park unmatched event %s: %w", u.EventID, err)
	}
	return nil
}

const unmatchedColumns = `source, event_id, type, customer_id, subscription_id, reason, detail, occurred_at, received_at,
	deliveries, resolved_at, resolution`

// UnmatchedEvents lists unmatched events, oldest received first: the open ones, or
// with all every one, at most limit.
func (s *Store) UnmatchedEvents(ctx context.Context, all bool, limit int) ([]UnmatchedEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+unmatchedColumns+` FROM unmatched_events
		WHERE resolved_at = 0 OR $1 ORDER BY received_at, event_id LIMIT $2`, all, limit)
	if err != nil {
		return nil, fmt.Errorf("facts: read unmatched events: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []UnmatchedEvent
	for rows.Next() {
		u, err := scanUnmatched(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("facts: read unmatched events: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("facts: read unmatched events: %w", err)
	}
	return out, nil
}

// UnmatchedEvent returns one unmatched event; ok is false when there is none.
func (s *Store) UnmatchedEvent(ctx context.Context, source, eventID string) (UnmatchedEvent, bool, error) {
	u, err := scanUnmatched(s.db.QueryRowContext(ctx, `SELECT `+unmatchedColumns+` FROM unmatched_events
		WHERE source = $1 AND event_id = $2`, source, eventID).Scan)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return UnmatchedEvent{}, false, nil
	case err != nil:
		return UnmatchedEvent{}, false, fmt.Errorf("facts: read unmatched event %s: %w", eventID, err)
	}
	return u, true, nil
}

// ResolveUnmatched ends an open unmatched event with what became of it (re-driven to a
// location, discarded). It reports false when the event is not open.
func (s *Store) ResolveUnmatched(ctx context.Context, source, eventID, resolution string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE unmatched_events SET resolved_at = $1, resolution = $2
		WHERE source = $3 AND event_id = $4 AND resolved_at = 0`, millis(s.now()), truncate(resolution, messageLimit), source, eventID)
	if err != nil {
		return false, fmt.Errorf("facts: resolve unmatched event %s: %w", eventID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("facts: resolve unmatched event %s: %w", eventID, err)
	}
	return n == 1, nil
}

func scanUnmatched(scan func(...any) error) (UnmatchedEvent, error) {
	var (
		u                            UnmatchedEvent
		detail                       string
		occurred, received, resolved int64
	)
	if err := scan(&u.Source, &u.EventID, &u.Type, &u.CustomerID, &u.SubscriptionID, &u.Reason, &detail,
		&occurred, &received, &u.Deliveries, &resolved, &u.Resolution); err != nil {
		return UnmatchedEvent{}, err
	}
	if detail != "" {
		u.Detail = json.RawMessage(detail)
	}
	u.OccurredAt, u.ReceivedAt, u.ResolvedAt = fromMillis(occurred), fromMillis(received), fromMillis(resolved)
	return u, nil
}
