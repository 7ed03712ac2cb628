package schema_test

import (
	"bytes"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", to build databases the way the first releases did
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // "sqlite"

	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/schema"
	"github.com/saasbridge/saasbridge/internal/storetest"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

var key = bytes.Repeat([]byte{7}, tokens.KeySize)

// legacy is what the first releases' hand-written lists ran, statement by statement
// (their schema version counts the statements applied), on each engine; the rows are
// what a store of those releases held.
var legacy = map[string]struct {
	statements []string
	setVersion func(n int) []string
	rows       []string
}{
	"sqlite": {
		statements: []string{
			`CREATE TABLE credentials (cred_key TEXT NOT NULL PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL,
				status_reason TEXT NOT NULL DEFAULT '', expiry INTEGER NOT NULL, attrs TEXT NOT NULL, secret BLOB NOT NULL,
				version INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT`,
			`CREATE TABLE locations (location_id TEXT NOT NULL PRIMARY KEY, company_id TEXT NOT NULL, phase TEXT NOT NULL,
				step TEXT NOT NULL DEFAULT '', installed_at INTEGER NOT NULL DEFAULT 0, onboarded_at INTEGER NOT NULL DEFAULT 0,
				uninstalled_at INTEGER NOT NULL DEFAULT 0, subscription_id TEXT NOT NULL DEFAULT '', customer_id TEXT NOT NULL DEFAULT '',
				plan_id TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT '', paused INTEGER NOT NULL DEFAULT 0,
				participant_id TEXT NOT NULL DEFAULT '', matter_id TEXT NOT NULL DEFAULT '', record_id TEXT NOT NULL DEFAULT '',
				attention TEXT NOT NULL DEFAULT '', parked INTEGER NOT NULL DEFAULT 0, last_event_id TEXT NOT NULL DEFAULT '',
				last_event_at INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL) STRICT`,
			`CREATE INDEX locations_by_company ON locations (company_id, location_id)`,
			`CREATE TABLE location_events (location_id TEXT NOT NULL, event_id TEXT NOT NULL, kind TEXT NOT NULL,
				source TEXT NOT NULL DEFAULT '', occurred_at INTEGER NOT NULL, outcome TEXT NOT NULL, message TEXT NOT NULL DEFAULT '',
				recorded_at INTEGER NOT NULL, PRIMARY KEY (location_id, event_id)) STRICT`,
			`CREATE INDEX location_events_by_time ON location_events (location_id, recorded_at)`,
		},
		setVersion: func(n int) []string { return []string{"PRAGMA user_version = " + strconv.Itoa(n)} },
	},
	"postgres": {
		statements: []string{
			`CREATE TABLE credentials (cred_key TEXT NOT NULL PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL,
				status_reason TEXT NOT NULL DEFAULT '', expiry BIGINT NOT NULL, attrs TEXT NOT NULL, secret BYTEA NOT NULL,
				version BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
			`CREATE TABLE locations (location_id TEXT NOT NULL PRIMARY KEY, company_id TEXT NOT NULL, phase TEXT NOT NULL,
				step TEXT NOT NULL DEFAULT '', installed_at BIGINT NOT NULL DEFAULT 0, onboarded_at BIGINT NOT NULL DEFAULT 0,
				uninstalled_at BIGINT NOT NULL DEFAULT 0, subscription_id TEXT NOT NULL DEFAULT '', customer_id TEXT NOT NULL DEFAULT '',
				plan_id TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT '', paused INTEGER NOT NULL DEFAULT 0,
				participant_id TEXT NOT NULL DEFAULT '', matter_id TEXT NOT NULL DEFAULT '', record_id TEXT NOT NULL DEFAULT '',
				attention TEXT NOT NULL DEFAULT '', parked INTEGER NOT NULL DEFAULT 0, last_event_id TEXT NOT NULL DEFAULT '',
				last_event_at BIGINT NOT NULL DEFAULT 0, updated_at BIGINT NOT NULL)`,
			`CREATE INDEX locations_by_company ON locations (company_id, location_id)`,
			`CREATE TABLE location_events (location_id TEXT NOT NULL, event_id TEXT NOT NULL, kind TEXT NOT NULL,
				source TEXT NOT NULL DEFAULT '', occurred_at BIGINT NOT NULL, outcome TEXT NOT NULL, message TEXT NOT NULL DEFAULT '',
				recorded_at BIGINT NOT NULL, PRIMARY KEY (location_id, event_id))`,
			`CREATE INDEX location_events_by_time ON location_events (location_id, recorded_at)`,
		},
		setVersion: func(n int) []string {
			return []string{`CREATE TABLE credentials_schema_version (version INTEGER NOT NULL)`,
				`INSERT INTO credentials_schema_version (version) VALUES (` + strconv.Itoa(n) + `)`}
		},
	},
}

// legacyDB builds, behind the store's back, a database as a release with the first n
// statements left it, holding a credential sealed by that release (sealing has not
// changed) and, with the facts, a location and one of its events.
func legacyDB(t *testing.T, engine, dsn string, n int) {
	t.Helper()
	// The credential is sealed by the store itself, on a database of its own: the blob
	// is bound to the row's key and plain columns, not to the database.
	seal := tokensOpen(t, t.TempDir()+"/seal.db")
	require.NoError(t, seal.Put(t.Context(), tokens.KeyHighLevelAgency("co1"), tokens.Token{AccessToken: "at-legacy", RefreshToken: "rt-legacy"}))
	var row struct {
		kind, status, attrs string
		expiry, version     int64
		secret              []byte
	}
	require.NoError(t, seal.DB().QueryRowContext(t.Context(),
		`SELECT kind, status, expiry, attrs, secret, version FROM credentials`).Scan(&row.kind, &row.status, &row.expiry, &row.attrs, &row.secret, &row.version))

	db := open(t, engine, dsn)
	l := legacy[engine]
	tx, err := db.BeginTx(t.Context(), nil)
	require.NoError(t, err)
	for _, stmt := range append(append([]string{}, l.statements[:n]...), l.setVersion(n)...) {
		_, err := tx.ExecContext(t.Context(), stmt)
		require.NoError(t, err, stmt)
	}
	_, err = tx.ExecContext(t.Context(), `INSERT INTO credentials (cred_key, kind, status, status_reason, expiry, attrs, secret, version, updated_at)
		VALUES ($1, $2, $3, '', $4, $5, $6, $7, 1)`, tokens.KeyHighLevelAgency("co1"), row.kind, row.status, row.expiry, row.attrs, row.secret, row.version)
	require.NoError(t, err)
	if n == 5 {
		_, err = tx.ExecContext(t.Context(), `INSERT INTO locations (location_id, company_id, phase, plan_id, status, matter_id, updated_at)
			VALUES ('loc1', 'co1', 'active', 'plan_gold', 'active', '42', 1)`)
		require.NoError(t, err)
		_, err = tx.ExecContext(t.Context(), `INSERT INTO location_events (location_id, event_id, kind, occurred_at, outcome, recorded_at)
			VALUES ('loc1', 'evt1', 'install', 1, 'applied', 1)`)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit())
}

func open(t *testing.T, engine, dsn string) *sql.DB {
	t.Helper()
	driver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[engine]
	db, err := sql.Open(driver, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func tokensOpen(t *testing.T, dsn string, opts ...tokens.Option) *tokens.Store {
	t.Helper()
	s, err := tokens.Open(t.Context(), dsn, key, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestAdoptsTheFirstReleasesDatabases opens, with the store, databases the first
// releases' migration lists made (schema versions 1 and 5, on each engine): goose adopts
// them, applies only what they lack, and every credential, location and event is still
// there and readable.
func TestAdoptsTheFirstReleasesDatabases(t *testing.T) {
	for _, e := range storetest.Engines {
		for _, n := range []int{1, 5} {
			t.Run(e.Name+"/version "+strconv.Itoa(n), func(t *testing.T) {
				dsn := e.Fresh(t)
				legacyDB(t, e.Name, dsn, n)

				// What adopting it would record, before anything is changed.
				before := tokensOpen(t, dsn, tokens.WithoutMigrating())
				st, err := schema.Status(t.Context(), before.Schema())
				require.NoError(t, err)
				require.GreaterOrEqual(t, len(st), 4)
				for _, m := range st {
					assert.Equal(t, m.Version <= map[int]int64{1: 1, 5: 2}[n], m.Applied(), "migration %d %s", m.Version, m.Name)
				}

				s := tokensOpen(t, dsn)
				tok, info, err := s.Get(t.Context(), tokens.KeyHighLevelAgency("co1"))
				require.NoError(t, err, "the credential sealed by the first release opens")
				assert.Equal(t, "at-legacy", tok.AccessToken)
				assert.Equal(t, "rt-legacy", tok.RefreshToken)
				assert.Equal(t, tokens.StatusActive, info.Status)

				known := facts.New(s.DB())
				if n == 5 {
					loc, ok, err := known.Location(t.Context(), "loc1")
					require.NoError(t, err)
					require.True(t, ok)
					assert.Equal(t, "plan_gold", loc.PlanID)
					assert.Equal(t, "42", loc.MatterID)
					evs, err := known.Events(t.Context(), "loc1", 10)
					require.NoError(t, err)
					require.Len(t, evs, 1)
				}
				// The new columns and tables are there: a named location is recorded.
				require.NoError(t, known.Record(t.Context(), facts.Location{LocationID: "loc2", CompanyID: "co1", Phase: facts.PhaseNew, Name: "Shop"}, nil))

				after, err := schema.Status(t.Context(), s.Schema())
				require.NoError(t, err)
				for _, m := range after {
					assert.True(t, m.Applied(), "migration %d %s", m.Version, m.Name)
				}
				// Nothing ran twice: goose's table holds each version once.
				var dup int
				require.NoError(t, s.DB().QueryRowContext(t.Context(),
					`SELECT count(*) FROM (SELECT version_id FROM goose_db_version GROUP BY version_id HAVING count(*) > 1) d`).Scan(&dup))
				assert.Zero(t, dup)
			})
		}
	}
}

// TestUpOnAFreshDatabase: every migration applies once, processes opening the database
// together included, and Status lists them applied, with names.
func TestUpOnAFreshDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := tokensOpen(t, dsn, tokens.WithoutMigrating())
		st, err := schema.Status(t.Context(), s.Schema())
		require.NoError(t, err)
		names := make([]string, len(st))
		for i, m := range st {
			assert.False(t, m.Applied())
			names[i] = m.Name
		}
		assert.Equal(t, []string{"credentials", "facts", "location_names", "audit", "stripe", "rate_limits"}, names)

		var wg sync.WaitGroup
		applied := make([][]schema.Migration, 4)
		for i := range applied {
			wg.Go(func() {
				var err error
				applied[i], err = schema.Up(t.Context(), s.Schema())
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		total := 0
		for _, a := range applied {
			total += len(a)
		}
		assert.Equal(t, len(st), total, "each migration applied once, by one of them")

		st, err = schema.Status(t.Context(), s.Schema())
		require.NoError(t, err)
		for _, m := range st {
			assert.True(t, m.Applied(), m.Name)
			assert.WithinDuration(t, time.Now(), m.AppliedAt, time.Minute)
		}
	})
}

// TestAnUnknownLegacyVersionIsRefused: a version no release shipped is not guessed at.
func TestAnUnknownLegacyVersionIsRefused(t *testing.T) {
	dsn := storetest.Engines[0].Fresh(t)
	legacyDB(t, "sqlite", dsn, 1)
	_, err := open(t, "sqlite", dsn).ExecContext(t.Context(), "PRAGMA user_version = 3")
	require.NoError(t, err)
	_, err = tokens.Open(t.Context(), dsn, key)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "schema version 3"), err.Error())
}
