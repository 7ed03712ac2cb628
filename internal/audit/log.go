package audit

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
)

// Log appends entries recorded where no transaction of the store is at hand (the API
// clients' calls, observed as they finish) in batches, off the caller's path: a call's
// observer must not wait on the database, which a token refresh may hold locked (SQLite)
// while it calls the API. A batch is written every FlushInterval, or as soon as
// BatchSize entries wait. An entry still waiting when the process dies is lost; Close
// writes what waits.
type Log struct {
	db         *sql.DB
	logger     *zap.Logger
	locationOf func(workflowID string) string
	interval   time.Duration
	batchSize  int
	maxWaiting int

	mu      sync.Mutex
	waiting []Entry
	dropped int64
	failed  int64

	wake    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// Option configures a Log.
type Option func(*Log)

// WithLogger logs the batches that could not be written.
func WithLogger(l *zap.Logger) Option { return func(g *Log) { g.logger = l } }

// WithLocationOf names the location a workflow acts for (its owner's workflow id holds
// it), so a call made by that workflow's activities is filed under the location.
func WithLocationOf(f func(workflowID string) string) Option {
	return func(g *Log) { g.locationOf = f }
}

// WithFlushInterval sets how often waiting entries are written (default 200 ms).
func WithFlushInterval(d time.Duration) Option { return func(g *Log) { g.interval = d } }

// NewLog starts a Log appending to db. Close it to write what waits.
func NewLog(db *sql.DB, opts ...Option) *Log {
	g := &Log{db: db, logger: zap.NewNop(), interval: 200 * time.Millisecond, batchSize: 500, maxWaiting: 100_000,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	for _, o := range opts {
		o(g)
	}
	go g.run()
	return g
}

// Record queues an entry; its workflow run and attempt are read from ctx now. It never
// blocks: past 100,000 waiting entries (a database down for long), new ones are dropped
// and counted (Dropped).
func (g *Log) Record(ctx context.Context, e Entry) {
	if g == nil {
		return
	}
	e = ScopeOf(ctx).fill(e)
	if e.LocationID == "" && g.locationOf != nil && e.WorkflowID != "" {
		e.LocationID = g.locationOf(e.WorkflowID)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	g.mu.Lock()
	if len(g.waiting) >= g.maxWaiting {
		g.dropped++
		g.mu.Unlock()
		return
	}
	g.waiting = append(g.waiting, e)
	full := len(g.waiting) >= g.batchSize
	g.mu.Unlock()
	if full {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
}

// Call records one request to an API: endpoint is the client's template, "METHOD /path"
// (its ids are placeholders), status 0 means no answer.
func (g *Log) Call(ctx context.Context, api, endpoint string, status int, d time.Duration) {
	method, path, ok := strings.Cut(endpoint, " ")
	if !ok {
		method, path = "", endpoint
	}
	g.Record(ctx, Entry{Kind: KindCall, Action: method, Detail: Detail{
		API: api, Endpoint: path, Status: status, DurationMs: float64(d.Microseconds()) / 1000,
	}})
}

// Dropped is how many entries were dropped because too many waited; Failed how many
// batches could not be written (each is tried again).
func (g *Log) Dropped() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.dropped
}

// Flush writes every waiting entry now.
func (g *Log) Flush(ctx context.Context) error {
	g.mu.Lock()
	batch := g.waiting
	g.waiting = nil
	g.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := g.write(ctx, batch); err != nil {
		g.requeue(batch)
		return err
	}
	return nil
}

// Close stops the Log after writing what waits (for at most 10 s).
func (g *Log) Close() error {
	if g == nil {
		return nil
	}
	g.once.Do(func() { close(g.stop) })
	<-g.stopped
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return g.Flush(ctx)
}

func (g *Log) run() {
	defer close(g.stopped)
	t := time.NewTicker(g.interval)
	defer t.Stop()
	backoff := time.Time{}
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
		case <-g.wake:
		}
		if time.Now().Before(backoff) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := g.Flush(ctx); err != nil {
			g.mu.Lock()
			g.failed++
			g.mu.Unlock()
			g.logger.Warn("audit entries not written yet; trying again", zap.Error(err))
			backoff = time.Now().Add(2 * time.Second)
		}
		cancel()
	}
}

// requeue puts a batch that could not be written back in front of what came since.
func (g *Log) requeue(batch []Entry) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.waiting = append(batch, g.waiting...)
	if over := len(g.waiting) - g.maxWaiting; over > 0 {
		g.waiting = g.waiting[over:]
		g.dropped += int64(over)
	}
}

// write appends a batch in one transaction.
func (g *Log) write(ctx context.Context, batch []Entry) error {
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := Append(ctx, tx, batch...); err != nil {
		return err
	}
	return tx.Commit()
}

// Names of the APIs in call entries.
const (
	APIHighLevel  = "highlevel"
	APIActionstep = "actionstep"
)

// HighLevelObserver records the HighLevel client's calls (highlevel.WithObserver).
func (g *Log) HighLevelObserver() func(highlevel.Call) {
	return func(c highlevel.Call) { g.Call(c.Context, APIHighLevel, c.Endpoint, c.StatusCode, c.Duration) }
}

// ActionstepObserver records the Actionstep client's calls (actionstep.WithObserver).
func (g *Log) ActionstepObserver() func(httpapi.Call) {
	return func(c httpapi.Call) { g.Call(c.Context, APIActionstep, c.Endpoint, c.StatusCode, c.Duration) }
}
