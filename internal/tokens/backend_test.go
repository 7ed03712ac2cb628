package tokens

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for raw access behind the store's back
)

// envPostgresDSN names a PostgreSQL server the tests may create schemas on, as a postgres:// URL
// whose user can CREATE SCHEMA (make test starts one with scripts/postgres.sh).
const envPostgresDSN = "SAASBRIDGE_TEST_POSTGRES_DSN"

// backend is a database engine the store's tests run against.
type backend struct {
	name string
	// fresh returns the DSN of a new, empty database that belongs to t alone and goes when t
	// ends. It skips t when the engine is not configured, and fails it when it is but cannot be
	// used.
	fresh func(t *testing.T) string
	// rawDriver is the database/sql driver name for opening a DSN behind the store's back.
	rawDriver string
	// setSchemaVersion is the statement that records schema version 99 as applied.
	setSchemaVersion string
	// dump returns everything the database behind dsn holds, as it is stored.
	dump func(t *testing.T, dsn string) []byte
	// lockPerCredential: a refresh locks its credential's row only (PostgreSQL), not the whole
	// database (SQLite).
	lockPerCredential bool
}

var backends = []backend{
	{
		name:             "sqlite",
		fresh:            func(t *testing.T) string { return filepath.Join(t.TempDir(), "tokens.db") },
		rawDriver:        "sqlite",
		setSchemaVersion: "INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)",
		dump:             dumpSQLiteFiles,
	},
	{
		name:              "postgres",
		fresh:             freshPostgresSchema,
		rawDriver:         "pgx",
		setSchemaVersion:  "INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, true)",
		dump:              dumpPostgresRows,
		lockPerCredential: true,
	},
}

// eachBackend runs fn as a subtest per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, be backend)) {
	t.Helper()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { fn(t, be) })
	}
}

// rawDB opens dsn with be's driver, bypassing the store.
func (be backend) rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(be.rawDriver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// dumpSQLiteFiles reads the database file and its WAL byte by byte.
func dumpSQLiteFiles(t *testing.T, path string) []byte {
	t.Helper()
	files, _ := filepath.Glob(path + "*")
	if len(files) == 0 {
		t.Fatalf("no database files at %s", path)
	}
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// dumpPostgresRows reads every column of every row as the server hands it out (bytea as raw bytes,
// not hex); the server's files are out of reach of a client, and may be on another host.
func dumpPostgresRows(t *testing.T, dsn string) []byte {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	rows, err := db.QueryContext(t.Context(), `SELECT * FROM credentials`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			all = append(append(all, v...), 0)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}

// pgServer is the test server named by envPostgresDSN, connected to once per test binary.
var pgServer struct {
	once sync.Once
	dsn  *url.URL
	db   *sql.DB
	err  error
}

// postgresAdmin returns a pool on the test server and its DSN. It skips t when envPostgresDSN is
// unset and fails it when the server cannot be used: a configured database that is down must not
// turn the PostgreSQL half of the suite into skips.
func postgresAdmin(t *testing.T) (*sql.DB, *url.URL) {
	t.Helper()
	raw := os.Getenv(envPostgresDSN)
	if raw == "" {
		t.Skipf("PostgreSQL tests skipped: %s is not set (make test sets it to a server started by scripts/postgres.sh)",
			envPostgresDSN)
	}
	pgServer.once.Do(func() {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			pgServer.err = fmt.Errorf("want a postgres:// URL (%v)", err)
			return
		}
		db, err := sql.Open("pgx", raw)
		if err != nil {
			pgServer.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			_ = db.Close()
			pgServer.err = err
			return
		}
		pgServer.dsn, pgServer.db = u, db
	})
	if pgServer.err != nil {
		t.Fatalf("%s is set but the server cannot be used: %v", envPostgresDSN, redactPassword(pgServer.err, raw))
	}
	return pgServer.db, pgServer.dsn
}

// freshPostgresSchema creates a schema of t's own on the test server and returns a DSN whose
// search_path is that schema, so that tests neither see nor lock each other's tables.
func freshPostgresSchema(t *testing.T) string {
	t.Helper()
	admin, base := postgresAdmin(t)
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	schema := fmt.Sprintf("tokens_test_%d_%s", os.Getpid(), hex.EncodeToString(suffix))
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	// Registered first, so it runs after the stores opened by t are closed.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u := *base
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
