// Package schema holds the store database's schema, for SQLite and PostgreSQL alike, as
// goose migrations (embedded SQL files, sqlite/ and postgres/): the credentials of
// internal/tokens, the location owners' facts of internal/facts and the audit trail of
// internal/audit live in one database and share these migrations.
//
// Versions are kept in goose's table (goose_db_version). A database migrated by the
// hand-written lists of the first releases (SQLite's PRAGMA user_version, PostgreSQL's
// credentials_schema_version table) is adopted: the versions those lists reached are
// recorded as applied, nothing is run again and no row is touched. Their markers are left
// as they are, so a binary of those releases still opens the database.
//
// Processes opening a database together migrate it once: SQLite's file is locked with
// flock (SQLite's own locks are fcntl locks, which flock does not touch), PostgreSQL
// takes an advisory lock keyed by the schema the store lives in.
package schema

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Engine is a database engine the store runs on.
type Engine string

// The engines, named as goose names their dialects.
const (
	SQLite   Engine = Engine(goose.DialectSQLite3)
	Postgres Engine = Engine(goose.DialectPostgres)
)

// versionTable is goose's own default, so goose's CLI reads the same table.
const versionTable = "goose_db_version"

// DB is a store database and what migrating it needs.
type DB struct {
	*sql.DB
	Engine Engine
	// Path is the SQLite database file, which migrating processes lock.
	Path string
}

// Migration is one migration and whether the database has it.
type Migration struct {
	Version int64
	Name    string
	// AppliedAt is when it was applied (zero while pending; for an adopted database,
	// when it was adopted).
	AppliedAt time.Time
	// Legacy: the first releases' lists applied it, and goose records it when the
	// database is next migrated (AppliedAt is zero).
	Legacy bool
}

// Applied reports whether the database has the migration.
func (m Migration) Applied() bool { return !m.AppliedAt.IsZero() || m.Legacy }

// Up adopts a database of the first releases, then applies every pending migration, in a
// transaction each. A database newer than this binary (versions it does not know) is an
// error, and is left alone.
func Up(ctx context.Context, db DB) ([]Migration, error) {
	var applied []Migration
	err := withLock(ctx, db, func() error {
		if err := adopt(ctx, db); err != nil {
			return err
		}
		p, err := provider(db)
		if err != nil {
			return err
		}
		if err := notNewer(ctx, p); err != nil {
			return err
		}
		results, err := p.Up(ctx)
		for _, r := range results {
			if r.Error == nil {
				applied = append(applied, Migration{Version: r.Source.Version, Name: name(r.Source), AppliedAt: time.Now()})
			}
		}
		if err != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
		return nil
	})
	if err != nil {
		return applied, fmt.Errorf("schema: %w", err)
	}
	return applied, nil
}

// Status lists every migration this binary has, oldest first, and whether the database
// has it. It changes nothing: a database of the first releases shows what adopting it
// would record.
func Status(ctx context.Context, db DB) ([]Migration, error) {
	p, err := provider(db)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	legacy, err := legacyVersions(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	var out []Migration
	if legacy != nil {
		for _, src := range p.ListSources() {
			out = append(out, Migration{Version: src.Version, Name: name(src), Legacy: legacy[src.Version]})
		}
		return out, nil
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("schema: status: %w", err)
	}
	for _, s := range st {
		m := Migration{Version: s.Source.Version, Name: name(s.Source)}
		if s.State == goose.StateApplied {
			m.AppliedAt = s.AppliedAt
		}
		out = append(out, m)
	}
	return out, nil
}

func provider(db DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(files, dir(db.Engine))
	if err != nil {
		return nil, err
	}
	// Locking is ours (withLock): adopting a database must happen under the same lock.
	p, err := goose.NewProvider(goose.Dialect(db.Engine), db.DB, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithTableName(versionTable))
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	return p, nil
}

func dir(e Engine) string {
	if e == Postgres {
		return "postgres"
	}
	return "sqlite"
}

func name(s *goose.Source) string {
	_, n, _ := strings.Cut(strings.TrimSuffix(path.Base(s.Path), ".sql"), "_")
	return n
}

// notNewer refuses a database that has a version this binary does not know: an older
// binary must not write to a schema it does not understand.
func notNewer(ctx context.Context, p *goose.Provider) error {
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	var latest int64
	for _, s := range p.ListSources() {
		latest = max(latest, s.Version)
	}
	if current > latest {
		return fmt.Errorf("database schema version %d is newer than this binary's %d: run the newer release", current, latest)
	}
	return nil
}

// legacyAdoption maps each schema version the first releases' lists reached (the number
// of their statements applied) to the goose versions holding the same statements. Those
// releases shipped 1 (credentials) and 5 (with the facts).
var legacyAdoption = map[int64][]int64{
	1: {1},
	5: {1, 2},
}

// legacyVersions returns the goose versions a database of the first releases has, or nil
// when it is not one (goose's table exists, or the lists never ran).
func legacyVersions(ctx context.Context, db DB) (map[int64]bool, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close() }()
	if exists, err := tableExists(ctx, conn, db.Engine, versionTable); err != nil || exists {
		return nil, err
	}
	old, err := legacyVersion(ctx, conn, db.Engine)
	if err != nil || old == 0 {
		return nil, err
	}
	versions, ok := legacyAdoption[old]
	if !ok {
		return nil, fmt.Errorf("the database is at schema version %d of the first releases, which none of them shipped: restore it from a backup", old)
	}
	out := map[int64]bool{}
	for _, v := range versions {
		out[v] = true
	}
	return out, nil
}

func tableExists(ctx context.Context, conn *sql.Conn, e Engine, table string) (bool, error) {
	query := `SELECT to_regclass($1) IS NOT NULL`
	if e == SQLite {
		query = `SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = $1`
	}
	var exists bool
	err := conn.QueryRowContext(ctx, query, table).Scan(&exists)
	return exists, err
}

// legacyVersion reads the first releases' schema version (0 when there is none).
func legacyVersion(ctx context.Context, conn *sql.Conn, e Engine) (int64, error) {
	var v int64
	if e == SQLite {
		err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
		return v, err
	}
	if exists, err := tableExists(ctx, conn, e, "credentials_schema_version"); err != nil || !exists {
		return 0, err
	}
	err := conn.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM credentials_schema_version`).Scan(&v)
	return v, err
}

// adopt records the versions a database of the first releases has in goose's table, in
// one transaction.
func adopt(ctx context.Context, db DB) error {
	versions, err := legacyVersions(ctx, db)
	if err != nil || versions == nil {
		return err
	}
	store, err := database.NewStore(goose.Dialect(db.Engine), versionTable)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("adopt the first releases' schema: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := store.CreateVersionTable(ctx, tx); err != nil {
		return fmt.Errorf("adopt the first releases' schema: %w", err)
	}
	for _, v := range append([]int64{0}, slices.Sorted(maps.Keys(versions))...) {
		if err := store.Insert(ctx, tx, database.InsertRequest{Version: v}); err != nil {
			return fmt.Errorf("adopt the first releases' schema: record version %d: %w", v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("adopt the first releases' schema: %w", err)
	}
	return nil
}

// withLock runs fn while this process alone migrates the database.
func withLock(ctx context.Context, db DB, fn func() error) error {
	if db.Engine == Postgres {
		return withAdvisoryLock(ctx, db.DB, fn)
	}
	if db.Path == "" {
		return errors.New("a SQLite database needs its file's path to be migrated")
	}
	return withFileLock(ctx, db.Path, fn)
}

// withAdvisoryLock holds a session advisory lock keyed by the store's schema, on a
// connection of its own, while fn runs. Waiting for it is bounded by the session's
// lock_timeout (the store sets it).
func withAdvisoryLock(ctx context.Context, db *sql.DB, fn func() error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() { _ = conn.Close() }()
	const key = `hashtext('saasbridge/store migrate ' || coalesce(current_schema(), ''))`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`) }()
	return fn()
}
