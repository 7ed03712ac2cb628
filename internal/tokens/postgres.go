package tokens

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgresMigrations[i] takes the schema from version i to i+1 (kept in credentials_schema_version).
// Append only. The columns mirror sqliteMigrations; attrs stays TEXT rather than JSONB because the
// sealed secret is bound to its exact bytes, which JSONB would normalize.
var postgresMigrations = []string{
	`CREATE TABLE credentials (
		cred_key      TEXT   NOT NULL PRIMARY KEY,
		kind          TEXT   NOT NULL,
		status        TEXT   NOT NULL,
		status_reason TEXT   NOT NULL DEFAULT '',
		expiry        BIGINT NOT NULL, -- unix milliseconds; 0 when the access token never expires
		attrs         TEXT   NOT NULL, -- JSON object of the non-secret attributes
		secret        BYTEA  NOT NULL, -- sealed secret part, see crypto.go
		version       BIGINT NOT NULL,
		updated_at    BIGINT NOT NULL  -- unix milliseconds
	)`,
	// The location owner's durable facts (internal/facts): what each location's lifecycle
	// reached and the records made for it, and the outcome of every event it was sent.
	`CREATE TABLE locations (
		location_id     TEXT    NOT NULL PRIMARY KEY,
		company_id      TEXT    NOT NULL,
		phase           TEXT    NOT NULL,
		step            TEXT    NOT NULL DEFAULT '',
		installed_at    BIGINT  NOT NULL DEFAULT 0, -- unix milliseconds of the install applied last
		onboarded_at    BIGINT  NOT NULL DEFAULT 0,
		uninstalled_at  BIGINT  NOT NULL DEFAULT 0,
		subscription_id TEXT    NOT NULL DEFAULT '',
		customer_id     TEXT    NOT NULL DEFAULT '',
		plan_id         TEXT    NOT NULL DEFAULT '',
		status          TEXT    NOT NULL DEFAULT '',
		paused          INTEGER NOT NULL DEFAULT 0,
		participant_id  TEXT    NOT NULL DEFAULT '',
		matter_id       TEXT    NOT NULL DEFAULT '',
		record_id       TEXT    NOT NULL DEFAULT '',
		attention       TEXT    NOT NULL DEFAULT '',
		parked          INTEGER NOT NULL DEFAULT 0,
		last_event_id   TEXT    NOT NULL DEFAULT '',
		last_event_at   BIGINT  NOT NULL DEFAULT 0,
		updated_at      BIGINT  NOT NULL
	)`,
	`CREATE INDEX locations_by_company ON locations (company_id, location_id)`,
	`CREATE TABLE location_events (
		location_id TEXT    NOT NULL,
		event_id    TEXT    NOT NULL,
		kind        TEXT    NOT NULL,
		source      TEXT    NOT NULL DEFAULT '',
		occurred_at BIGINT  NOT NULL,
		outcome     TEXT    NOT NULL,
		message     TEXT    NOT NULL DEFAULT '',
		recorded_at BIGINT  NOT NULL,
		PRIMARY KEY (location_id, event_id)
	)`,
	`CREATE INDEX location_events_by_time ON location_events (location_id, recorded_at)`,
	// The fleet's shared request pacing (internal/pacing): one row per API budget (a
	// HighLevel company's window, an Actionstep organisation's adaptive rate).
	`CREATE TABLE rate_limits (
		limit_key  TEXT   NOT NULL PRIMARY KEY,
		state      TEXT   NOT NULL, -- JSON, see internal/pacing
		updated_at BIGINT NOT NULL  -- unix milliseconds
	)`,
}

// postgresConnectTimeout applies when the DSN sets no connect_timeout, so that Open against an
// unreachable host fails instead of hanging on TCP.
const postgresConnectTimeout = 10 * time.Second

// postgresDialect locks one credential's row per refresh, so refreshes of different credentials
// proceed in parallel across every worker host.
type postgresDialect struct {
	lockTimeout time.Duration
}

// openPostgres opens a postgres:// or postgresql:// URL through pgx's database/sql driver. Every
// session gets:
//   - lock_timeout = the store's lock timeout, so that any statement waiting on a row lock held by
//     a refresh (Put, SetStatus, Delete) gives up like SQLite's busy_timeout does, and so does the
//     migration's advisory lock;
//   - synchronous_commit = on, whatever the server's default: a rotated refresh token that is lost
//     after commit is a credential lost for good (SQLite's synchronous=FULL).
func openPostgres(ctx context.Context, dsn string, lockTimeout time.Duration) (*sql.DB, dialect, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("tokens: postgres DSN: %w", redactPassword(err, dsn))
	}
	cfg.RuntimeParams["lock_timeout"] = fmt.Sprint(max(lockTimeout.Milliseconds(), 1))
	cfg.RuntimeParams["synchronous_commit"] = "on"
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "saasbridge-tokens"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = postgresConnectTimeout
	}
	db := stdlib.OpenDB(*cfg)
	d := postgresDialect{lockTimeout: lockTimeout}
	if err := d.migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, nil, redactPassword(err, dsn)
	}
	return db, d, nil
}

// migrate holds a transaction-scoped advisory lock, keyed by the schema the store lives in, so that
// processes opening a new database together apply each migration once. PostgreSQL's DDL is
// transactional: a failed migration leaves nothing behind.
func (d postgresDialect) migrate(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("tokens: open postgres: %w", err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("tokens: open postgres: %w", err)
	}
	if err := d.migrateLocked(ctx, conn); err != nil {
		rollback(conn)
		return fmt.Errorf("tokens: migrate: %w", err)
	}
	if err := commit(conn); err != nil {
		return fmt.Errorf("tokens: migrate: commit: %w", err)
	}
	return nil
}

func (postgresDialect) migrateLocked(ctx context.Context, conn *sql.Conn) error {
	// Waits at most lock_timeout (set per session by openPostgres).
	if _, err := conn.ExecContext(ctx,
		`SELECT pg_advisory_xact_lock(hashtext('saasbridge/tokens migrate ' || coalesce(current_schema(), '')))`); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	// An up-to-date database needs no DDL, so a role without CREATE on the schema can open it.
	var exists bool
	if err := conn.QueryRowContext(ctx,
		`SELECT to_regclass('credentials_schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	var version int
	if exists {
		if err := conn.QueryRowContext(ctx,
			`SELECT coalesce(max(version), 0) FROM credentials_schema_version`).Scan(&version); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
	}
	switch {
	case version == len(postgresMigrations):
		return nil
	case version > len(postgresMigrations):
		return fmt.Errorf("database schema version %d is newer than this binary's %d", version, len(postgresMigrations))
	}
	if !exists {
		if _, err := conn.ExecContext(ctx,
			`CREATE TABLE credentials_schema_version (version INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("create the schema version table: %w", err)
		}
	}
	for i := version; i < len(postgresMigrations); i++ {
		if _, err := conn.ExecContext(ctx, postgresMigrations[i]); err != nil {
			return fmt.Errorf("to schema version %d: %w", i+1, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `DELETE FROM credentials_schema_version`); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO credentials_schema_version (version) VALUES ($1)`,
		len(postgresMigrations)); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	return nil
}

// beginLocked locks credKey's row: BEGIN, then SELECT … FOR UPDATE, which waits for a refresh of
// the same credential by any process and lets every other credential through. The wait is bounded
// by the server (SET LOCAL lock_timeout, to the time ctx has left, so the error is the server's
// lock_not_available rather than a torn-down connection) and by ctx. Under READ COMMITTED each
// later statement of the transaction sees what the previous holder committed, so the caller's
// re-read is current. A missing row locks nothing; the caller's read then reports ErrNotFound.
func (d postgresDialect) beginLocked(ctx context.Context, conn *sql.Conn, credKey string) error {
	wait := d.lockTimeout
	if deadline, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(deadline))
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	err := d.lockRow(ctx, conn, credKey, max(wait.Milliseconds(), 1)) // 0 would mean no limit
	if err != nil {
		rollback(conn)
	}
	return err
}

func (postgresDialect) lockRow(ctx context.Context, conn *sql.Conn, credKey string, waitMillis int64) error {
	// SET takes no bind parameters; the value is a number of ours.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", waitMillis)); err != nil {
		return err
	}
	var one int
	err := conn.QueryRowContext(ctx, `SELECT 1 FROM credentials WHERE cred_key = $1 FOR UPDATE`, credKey).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// isBusy: SQLSTATE 55P03 lock_not_available, which is what lock_timeout raises.
func (postgresDialect) isBusy(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// redactPassword hides the DSN's password from err's message, should a driver error quote the
// DSN (pgx redacts it itself, on a best-effort basis).
func redactPassword(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" {
		return err
	}
	msg := err.Error()
	clean := strings.NewReplacer(pw, "xxxxx", url.QueryEscape(pw), "xxxxx", url.PathEscape(pw), "xxxxx").Replace(msg)
	if clean == msg {
		return err
	}
	return &scrubbed{err: err, msg: clean}
}
