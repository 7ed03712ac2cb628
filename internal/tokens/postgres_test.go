package tokens

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestOpenPostgresDSNErrors needs no server: a DSN that cannot be parsed or reached fails Open
// promptly, with an error that does not repeat the password.
func TestOpenPostgresDSNErrors(t *testing.T) {
	const pw = "hunter2-db-password"
	for _, dsn := range []string{
		"postgres://u:" + pw + "@127.0.0.1:1/db?sslmode=disable", // nothing listens on port 1
		"postgresql://u:" + pw + "@127.0.0.1:1/db?sslmode=disable",
		"postgres://u:" + pw + "@127.0.0.1:99999/db",
		"postgres://u:" + pw + "@127.0.0.1/db?sslmode=bogus",
		"postgres://u:" + pw + "@127.0.0.1/db?connect_timeout=soon",
		"postgres://u:" + pw + "@127.0.0.1/db?search_path=%zz",
	} {
		start := time.Now()
		s, err := Open(t.Context(), dsn, testKey)
		if err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("Open error leaks the password: %v", err)
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Errorf("Open(%q) took %v to fail", dsn, elapsed)
		}
	}
}

// TestOpenPostgres opens both URL schemes on one database and checks what every session gets.
func TestOpenPostgres(t *testing.T) {
	dsn := freshPostgresSchema(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	for i, scheme := range []string{"postgres://", "postgresql://"} {
		s := openStoreAt(t, scheme+strings.SplitN(dsn, "://", 2)[1], testKey, WithLockTimeout(1500*time.Millisecond))
		key := KeyHighLevelAgency("c")
		mustPut(t, s, key, Token{AccessToken: "a"})
		if _, info := mustGet(t, s, key); info.Version != int64(i+1) {
			t.Fatalf("%s: version %d, want %d: not the same database?", scheme, info.Version, i+1)
		}
		for setting, want := range map[string]string{
			"lock_timeout":       "1500ms",
			"synchronous_commit": "on", // the test server's default is off
			"application_name":   "saasbridge-tokens",
			"search_path":        schema,
		} {
			var got string
			if err := s.db.QueryRowContext(t.Context(), "SELECT current_setting($1)", setting).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: session %s = %q, want %q", scheme, setting, got, want)
			}
		}
		var version int
		if err := s.db.QueryRowContext(t.Context(),
			`SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&version); err != nil {
			t.Fatal(err)
		}
		if version < 4 {
			t.Fatalf("schema version %d: not migrated?", version)
		}
	}
}

// TestPostgresLeastPrivilege opens a migrated database as a role that may only read and write the
// store's tables (no CREATE on the schema), as a production worker would, and refreshes with it:
// SELECT … FOR UPDATE needs UPDATE, nothing more.
func TestPostgresLeastPrivilege(t *testing.T) {
	dsn := freshPostgresSchema(t)
	admin, _ := postgresAdmin(t)
	s := openStoreAt(t, dsn, testKey) // migrates, as the test server's user
	mustPut(t, s, locKey, expiredToken("a", "r"))
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	role := "app_" + schema
	if _, err := admin.ExecContext(t.Context(), "CREATE ROLE "+role+" LOGIN"); err != nil {
		t.Skipf("cannot create a role on the test server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, stmt := range []string{"DROP OWNED BY " + role, "DROP ROLE " + role} {
			if _, err := admin.ExecContext(ctx, stmt); err != nil {
				t.Errorf("%s: %v", stmt, err)
			}
		}
	})
	for _, stmt := range []string{
		"REVOKE CREATE ON SCHEMA " + schema + " FROM PUBLIC",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON " + schema + ".credentials TO " + role,
		"GRANT SELECT ON " + schema + ".goose_db_version TO " + role,
		// The audit trail: appended to, its head moved on; never updated or deleted.
		"GRANT SELECT, INSERT ON " + schema + ".audit_log TO " + role,
		"GRANT SELECT, UPDATE ON " + schema + ".audit_head TO " + role,
	} {
		if _, err := admin.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	u.User = url.User(role)
	app := openStoreAt(t, u.String(), testKey)
	if got, err := app.Token(t.Context(), locKey, rotating()); err != nil || got.AccessToken != "a+" {
		t.Fatalf("Token as %s = %v, %v", role, got, err)
	}
	var canCreate bool
	if err := app.db.QueryRowContext(t.Context(), "SELECT has_schema_privilege($1, 'CREATE')", schema).Scan(&canCreate); err != nil || canCreate {
		t.Fatalf("the role may create in the schema (%v, %v): the test proves nothing", canCreate, err)
	}
}
