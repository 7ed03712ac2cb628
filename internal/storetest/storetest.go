// Package storetest gives tests a fresh database of each engine the token store (and
// the facts kept beside it) runs on: a SQLite file, and a schema of its own on the
// PostgreSQL server named by SAASBRIDGE_TEST_POSTGRES_DSN (make test starts one).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create and drop schemas
)

// EnvPostgresDSN names a PostgreSQL server whose user can CREATE SCHEMA.
const EnvPostgresDSN = "SAASBRIDGE_TEST_POSTGRES_DSN"

// Engine is a database engine to run a test against.
type Engine struct {
	Name string
	// Fresh returns the DSN of a new, empty database that belongs to t alone. It skips t
	// when the engine is not configured.
	Fresh func(t *testing.T) string
}

// Engines are SQLite and PostgreSQL.
var Engines = []Engine{
	{Name: "sqlite", Fresh: func(t *testing.T) string { return filepath.Join(t.TempDir(), "store.db") }},
	{Name: "postgres", Fresh: freshPostgres},
}

// Each runs fn as a subtest per engine.
func Each(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(e.Name, func(t *testing.T) { fn(t, e.Fresh(t)) })
	}
}

func freshPostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(EnvPostgresDSN)
	if dsn == "" {
		t.Skipf("PostgreSQL: set %s (make test starts a server)", EnvPostgresDSN)
	}
	base, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgresDSN, err)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	schema := fmt.Sprintf("storetest_%d_%s", os.Getpid(), hex.EncodeToString(suffix))
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	// Registered first, so it runs after whatever t opened on the schema is closed.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = admin.Close()
	})
	q := base.Query()
	q.Set("search_path", schema)
	base.RawQuery = q.Encode()
	return base.String()
}
