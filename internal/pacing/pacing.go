// Package pacing spaces API requests for every worker process together. Each budget (a
// HighLevel company's burst window, an Actionstep organisation's rate) is one row of the
// token store's database (table rate_limits), read and written under a lock for every
// request, so the fleet shares it exactly whatever its size: a busy agency spends its own
// window and nobody else's, and a worker started mid-burst knows what the others sent.
//
// A request waits for its slot inside its caller when the slot is near (MaxWait); a
// request whose slot is further off is held back instead (a *HoldBack error, which the
// activities turn into a retry due when the slot frees), queued behind the requests held
// back before it, so held-back requests come back one per slot rather than all at once.
// A 429 blocks the budget for its Retry-After; an adaptive budget also lowers its rate.
package pacing

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Policy is how a budget admits requests: a fixed window (Window) or a rate that
// follows the API's answers (Adaptive).
type Policy interface {
	// next is when the k-th request from now may go (k = 0: the next one), in unix
	// microseconds, no earlier than now.
	next(s *state, now int64, k int) int64
	// take records the next request as going at at.
	take(s *state, at, now int64)
	// throttled records a 429 for a request that went at sent.
	throttled(s *state, sent, now int64, retryAfter time.Duration)
}

// state is a budget's row, as JSON. Times are unix microseconds, on the database's
// clock when it is PostgreSQL (worker hosts' clocks may differ), else the host's.
type state struct {
	// Window: when each of the last Max requests went (a ring, Head the oldest).
	Sent []int64 `json:"sent,omitempty"`
	Head int     `json:"head,omitempty"`
	// Adaptive: the rate (requests per second), the theoretical arrival time of the next
	// request (GCRA) and when the rate was last lowered.
	Rate        float64 `json:"rate,omitempty"`
	TAT         int64   `json:"tat,omitempty"`
	DecreasedAt int64   `json:"decreasedAt,omitempty"`
	// Blocked: nothing goes before it (a 429's Retry-After).
	Blocked int64 `json:"blocked,omitempty"`
	// Holds: when each request held back is due again, so the next one held back queues
	// behind them.
	Holds []int64 `json:"holds,omitempty"`
}

// Limiter keeps the budgets in a database. It is safe for concurrent use by any number
// of goroutines and processes.
type Limiter struct {
	db       *sql.DB
	postgres bool
	maxWait  time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	onError  func(key string, err error)
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithMaxWait sets the longest wait inside the caller (default 2 s): a short wait costs
// less than a retry through Temporal, a long one holds a worker slot.
func WithMaxWait(d time.Duration) Option { return func(l *Limiter) { l.maxWait = d } }

// WithClock replaces the clock and the wait for a slot (tests). It replaces
// PostgreSQL's clock too.
func WithClock(now func() time.Time, sleep func(context.Context, time.Duration) error) Option {
	return func(l *Limiter) { l.now, l.sleep = now, sleep }
}

// WithErrorLog is told when recording an answer failed (the request itself went on).
func WithErrorLog(f func(key string, err error)) Option { return func(l *Limiter) { l.onError = f } }

// New returns a limiter on db, the token store's database (tokens.Store.DB; postgres
// from tokens.Store.Postgres), whose schema holds the rate_limits table.
func New(db *sql.DB, postgres bool, opts ...Option) *Limiter {
	l := &Limiter{db: db, postgres: postgres, maxWait: 2 * time.Second, sleep: sleep}
	for _, o := range opts {
		o(l)
	}
	return l
}

// HoldBack is a request that was not sent because its budget has no slot for it soon:
// it should be tried again after Delay, when one is expected to be free.
type HoldBack struct {
	Key   string
	Delay time.Duration
}

func (h *HoldBack) Error() string {
	return fmt.Sprintf("the request budget %s is spent for now; holding the request back for %s", h.Key, h.Delay.Round(time.Millisecond))
}

// minHoldBack is the shortest hold-back: a shorter one only costs a retry that would be
// held back again.
const minHoldBack = 50 * time.Millisecond

// Pacer paces the requests of one budget; it implements httpapi.Pacer.
type Pacer struct {
	l      *Limiter
	key    string
	policy Policy
}

// Pacer returns the pacer of the budget named key under policy. Every process must
// use the same policy for a key.
func (l *Limiter) Pacer(key string, p Policy) *Pacer { return &Pacer{l: l, key: key, policy: p} }

// Wait returns once the next request may go, or a *HoldBack when its slot is further
// off than the limiter's MaxWait. The time returned (when the request was admitted)
// identifies the request to Done. A slot that a 429 voided while the request waited for
// it (see stale) is given up for a new one.
func (p *Pacer) Wait(ctx context.Context) (time.Time, error) {
	for {
		var at, due, now int64
		err := p.l.update(ctx, p.key, func(s *state, t int64) {
			now = t
			at, due = admit(p.policy, s, now, p.l.maxWait)
		})
		switch {
		case err != nil:
			return time.Time{}, fmt.Errorf("pacing %s: %w", p.key, err)
		case due > 0:
			return time.Time{}, &HoldBack{Key: p.key, Delay: time.Duration(due-now) * time.Microsecond}
		case at == now:
			return time.UnixMicro(now), nil
		}
		if err := p.l.sleep(ctx, time.Duration(at-now)*time.Microsecond); err != nil {
			return time.Time{}, err
		}
		if !p.slotVoided(ctx, now, at) {
			return time.UnixMicro(now), nil
		}
	}
}

// slotVoided reports whether the slot taken at now for at was voided meanwhile (a 429
// while the request waited, see stale). A failed check is no reason to hold the
// request, so it reports false.
func (p *Pacer) slotVoided(ctx context.Context, now, at int64) bool {
	s, _, err := p.l.read(ctx, p.l.db, p.key, false)
	return err == nil && stale(&s, now, at)
}

// admit takes the next slot when it is at most maxWait away and returns when it is;
// otherwise it holds the request back and returns when it is due again: shortly before
// the slot after those of the requests held back before it, so that it then waits for
// its slot inside the caller.
func admit(p Policy, s *state, now int64, maxWait time.Duration) (at, due int64) {
	if next := p.next(s, now, 0); next-now <= maxWait.Microseconds() {
		p.take(s, next, now)
		return next, 0
	}
	s.Holds = slices.DeleteFunc(s.Holds, func(h int64) bool { return h <= now })
	due = max(p.next(s, now, len(s.Holds))-maxWait.Microseconds()/2, now+minHoldBack.Microseconds())
	s.Holds = append(s.Holds, due)
	return 0, due
}

// Done records the answer to the request Wait admitted at sent: a 429 blocks the budget
// for retryAfter and lowers an adaptive rate; other answers change nothing.
func (p *Pacer) Done(ctx context.Context, sent time.Time, status int, retryAfter time.Duration) {
	if status != 429 {
		return
	}
	err := p.l.update(ctx, p.key, func(s *state, now int64) {
		p.policy.throttled(s, sent.UnixMicro(), now, retryAfter)
	})
	if err != nil && p.l.onError != nil {
		p.l.onError(p.key, err)
	}
}

// stale reports a request admitted at admitted, due at at, whose slot a 429 answered
// since made void: the budget was blocked past it, or its rate lowered.
func stale(s *state, admitted, at int64) bool {
	return s.DecreasedAt > admitted || s.Blocked > at
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// querier is what update needs of a transaction: a *sql.Tx or a *sql.Conn inside one.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// update runs change on key's state with the row locked against every other process,
// and writes it back.
func (l *Limiter) update(ctx context.Context, key string, change func(s *state, now int64)) error {
	return l.locked(ctx, func(q querier) error {
		s, dbNow, err := l.read(ctx, q, key, true)
		if err != nil {
			return err
		}
		now := dbNow
		if l.now != nil || !l.postgres {
			now = l.clock().UnixMicro()
		}
		change(&s, now)
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, `UPDATE rate_limits SET state = $1, updated_at = $2 WHERE limit_key = $3`,
			string(b), l.clock().UnixMilli(), key)
		return err
	})
}

func (l *Limiter) clock() time.Time {
	if l.now != nil {
		return l.now()
	}
	return time.Now()
}

// read reads key's state with the database's clock. With lock it creates the row if it
// is missing and locks it (PostgreSQL: FOR UPDATE; SQLite: the caller's transaction
// holds the database's write lock); without, it reads what is committed (a missing row
// is a fresh budget).
func (l *Limiter) read(ctx context.Context, q querier, key string, lock bool) (state, int64, error) {
	if lock {
		if _, err := q.ExecContext(ctx, `INSERT INTO rate_limits (limit_key, state, updated_at) VALUES ($1, '{}', $2)
			ON CONFLICT (limit_key) DO NOTHING`, key, l.clock().UnixMilli()); err != nil {
			return state{}, 0, err
		}
	}
	query := `SELECT state, 0 FROM rate_limits WHERE limit_key = $1`
	if l.postgres {
		query = `SELECT state, CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)
			FROM rate_limits WHERE limit_key = $1`
		if lock {
			query += ` FOR UPDATE`
		}
	}
	var raw string
	var now int64
	err := q.QueryRowContext(ctx, query, key).Scan(&raw, &now)
	switch {
	case errors.Is(err, sql.ErrNoRows) && !lock:
		return state{}, now, nil
	case err != nil:
		return state{}, 0, err
	}
	var s state
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		// A row no version of this package wrote: start the budget afresh.
		s = state{}
	}
	return s, now, nil
}

// endTimeout bounds COMMIT and ROLLBACK, which run detached from the caller's context:
// a transaction must end even when its caller has gone.
const endTimeout = 10 * time.Second

// locked runs fn in a transaction that locks what it reads: PostgreSQL's row locks
// (read's FOR UPDATE), or SQLite's write lock, taken at BEGIN IMMEDIATE so that the
// read inside it is current.
func (l *Limiter) locked(ctx context.Context, fn func(q querier) error) error {
	if l.postgres {
		tx, err := l.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return errors.Join(err, tx.Rollback())
		}
		return tx.Commit()
	}
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	end, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	defer cancel()
	err = fn(conn)
	if err == nil {
		if _, err = conn.ExecContext(end, "COMMIT"); err == nil {
			return nil
		}
	}
	if _, rerr := conn.ExecContext(end, "ROLLBACK"); rerr != nil {
		// Never hand a connection with an open transaction back to the pool: it would
		// keep the write lock.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}
