package tokens

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteMigrations[i] takes the schema from user_version i to i+1. Append only.
var sqliteMigrations = []string{
	`CREATE TABLE credentials (
		cred_key      TEXT    NOT NULL PRIMARY KEY,
		kind          TEXT    NOT NULL,
		status        TEXT    NOT NULL,
		status_reason TEXT    NOT NULL DEFAULT '',
		expiry        INTEGER NOT NULL, -- unix milliseconds; 0 when the access token never expires
		attrs         TEXT    NOT NULL, -- JSON object of the non-secret attributes
		secret        BLOB    NOT NULL, -- sealed secret part, see crypto.go
		version       INTEGER NOT NULL,
		updated_at    INTEGER NOT NULL  -- unix milliseconds
	) STRICT`,
	// The location owner's durable facts (internal/facts): what each location's lifecycle
	// reached and the records made for it, and the outcome of every event it was sent.
	`CREATE TABLE locations (
		location_id     TEXT    NOT NULL PRIMARY KEY,
		company_id      TEXT    NOT NULL,
		phase           TEXT    NOT NULL,
		step            TEXT    NOT NULL DEFAULT '',
		installed_at    INTEGER NOT NULL DEFAULT 0, -- unix milliseconds of the install applied last
		onboarded_at    INTEGER NOT NULL DEFAULT 0,
		uninstalled_at  INTEGER NOT NULL DEFAULT 0,
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
		last_event_at   INTEGER NOT NULL DEFAULT 0,
		updated_at      INTEGER NOT NULL
	) STRICT`,
	`CREATE INDEX locations_by_company ON locations (company_id, location_id)`,
	`CREATE TABLE location_events (
		location_id TEXT    NOT NULL,
		event_id    TEXT    NOT NULL,
		kind        TEXT    NOT NULL,
		source      TEXT    NOT NULL DEFAULT '',
		occurred_at INTEGER NOT NULL,
		outcome     TEXT    NOT NULL,
		message     TEXT    NOT NULL DEFAULT '',
		recorded_at INTEGER NOT NULL,
		PRIMARY KEY (location_id, event_id)
	) STRICT`,
	`CREATE INDEX location_events_by_time ON location_events (location_id, recorded_at)`,
	// The fleet's shared request pacing (internal/pacing): one row per API budget (a
	// HighLevel company's window, an Actionstep organisation's adaptive rate).
	`CREATE TABLE rate_limits (
		limit_key  TEXT    NOT NULL PRIMARY KEY,
		state      TEXT    NOT NULL, -- JSON, see internal/pacing
		updated_at INTEGER NOT NULL  -- unix milliseconds
	) STRICT`,
}

type sqliteDialect struct{}

func openSQLite(ctx context.Context, dsn string, lockTimeout time.Duration) (*sql.DB, dialect, error) {
	uri, err := sqliteURI(dsn, lockTimeout)
	if err != nil {
		return nil, nil, err
	}
	if err := ownerOnly(uri); err != nil {
		return nil, nil, err
	}
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil, nil, fmt.Errorf("tokens: open sqlite: %w", err)
	}
	d := sqliteDialect{}
	if err := d.enableWAL(ctx, db, lockTimeout); err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	if err := d.migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return db, d, nil
}

// enableWAL switches the file to WAL, which lets readers (the lock-free fast path, List) proceed
// while a refresh holds the write lock. The mode belongs to the file, so this holds for every
// connection of every process afterwards. Switching needs an exclusive lock, which SQLite may
// refuse at once instead of waiting for (several processes opening a new file together), hence
// the retries.
func (d sqliteDialect) enableWAL(ctx context.Context, db *sql.DB, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return fmt.Errorf("tokens: open sqlite: journal mode is %q, want wal", mode)
		case !d.isBusy(err):
			return fmt.Errorf("tokens: open sqlite: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("tokens: open sqlite: enable WAL: %w", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// sqliteURI turns a path, a sqlite:///path URL or a file: URI into a modernc file: URI with the
// pragmas every connection needs:
//   - busy_timeout bounds how long a statement waits for another process's write lock;
//   - synchronous=FULL makes a committed rotation survive a power cut: a rotated refresh token
//     that is lost after commit is a credential lost for good.
func sqliteURI(dsn string, lockTimeout time.Duration) (string, error) {
	var uri string
	switch {
	case strings.HasPrefix(dsn, "file:"):
		uri = dsn
	case strings.HasPrefix(dsn, "sqlite://"):
		path, query, _ := strings.Cut(strings.TrimPrefix(dsn, "sqlite://"), "?")
		uri = fileURI(path)
		if query != "" {
			uri += "?" + query
		}
	default:
		uri = fileURI(dsn)
	}
	name, query, hasQuery := strings.Cut(strings.TrimPrefix(uri, "file:"), "?")
	if name == "" || name == ":memory:" || strings.Contains(query, "mode=memory") {
		// Each pooled connection would get its own private database, and the lock would
		// serialize nothing across processes.
		return "", fmt.Errorf("tokens: sqlite DSN %q: the token store needs a database file", dsn)
	}
	sep := "?"
	if hasQuery {
		sep = "&"
	}
	return fmt.Sprintf("%s%s_pragma=busy_timeout(%d)&_pragma=synchronous(FULL)",
		uri, sep, lockTimeout.Milliseconds()), nil
}

// ownerOnly creates the database file readable and writable by its owner only (0600), or
// tightens an existing one, before SQLite opens it: the file holds sealed tokens and the audit
// columns. SQLite gives the -wal and -shm files it creates the database file's permissions; those
// left by an older version are tightened too.
func ownerOnly(uri string) error {
	name, _, _ := strings.Cut(strings.TrimPrefix(uri, "file:"), "?")
	path, err := url.PathUnescape(name)
	if err != nil {
		return fmt.Errorf("tokens: sqlite path: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("tokens: open sqlite: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("tokens: open sqlite: %w", err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("tokens: restrict %s to its owner: %w", filepath.Base(p), err)
		}
	}
	return nil
}

// fileURI escapes the characters that are special in a SQLite URI.
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// migrate runs under the write lock so that processes starting together apply each migration
// once.
func (d sqliteDialect) migrate(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("tokens: open sqlite: %w", err)
	}
	defer func() { _ = conn.Close() }()
	if err := d.beginLocked(ctx, conn, ""); err != nil {
		return fmt.Errorf("tokens: migrate: %w", err)
	}
	if err := migrateLocked(ctx, conn); err != nil {
		rollback(conn)
		return fmt.Errorf("tokens: migrate: %w", err)
	}
	if err := commit(conn); err != nil {
		return fmt.Errorf("tokens: migrate: commit: %w", err)
	}
	return nil
}

func migrateLocked(ctx context.Context, conn *sql.Conn) error {
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version == len(sqliteMigrations):
		return nil
	case version > len(sqliteMigrations):
		return fmt.Errorf("database schema version %d is newer than this binary's %d", version, len(sqliteMigrations))
	}
	for i := version; i < len(sqliteMigrations); i++ {
		if _, err := conn.ExecContext(ctx, sqliteMigrations[i]); err != nil {
			return fmt.Errorf("to schema version %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no bind parameters; the value is a number of ours.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(sqliteMigrations))); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	return nil
}

// beginLocked takes SQLite's single write lock. It covers every credential, which is fine for an
// embedded store (refreshes are rare and short) and is what makes the re-read inside it current:
// BEGIN IMMEDIATE starts the read snapshot only once the lock is held.
func (sqliteDialect) beginLocked(ctx context.Context, conn *sql.Conn, _ string) error {
	_, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	return err
}

func (sqliteDialect) isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}
