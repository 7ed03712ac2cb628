package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/schema"
	"github.com/saasbridge/saasbridge/internal/storetest"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

var storeKey = bytes.Repeat([]byte{3}, tokens.KeySize)

// openDB opens a migrated store database.
func openDB(t testing.TB, dsn string) (*sql.DB, schema.Engine) {
	t.Helper()
	s, err := tokens.Open(context.Background(), dsn, storeKey)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s.DB(), s.Schema().Engine
}

func keys(t testing.TB) audit.Keys {
	t.Helper()
	k, err := audit.DeriveKeys(1, storeKey, nil)
	require.NoError(t, err)
	return k
}

// appendTx appends entries in a transaction of their own.
func appendTx(t testing.TB, db *sql.DB, entries ...audit.Entry) {
	t.Helper()
	tx, err := db.BeginTx(context.Background(), nil)
	require.NoError(t, err)
	require.NoError(t, audit.Append(context.Background(), tx, entries...))
	require.NoError(t, tx.Commit())
}

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func call(at time.Time, loc, endpoint string, status int) audit.Entry {
	method, path, _ := strings.Cut(endpoint, " ")
	return audit.Entry{At: at, Kind: audit.KindCall, Action: method, LocationID: loc,
		Detail: audit.Detail{API: "highlevel", Endpoint: path, Status: status, DurationMs: 12.5}}
}

func change(at time.Time, loc, id string) audit.Entry {
	return audit.Entry{At: at, Kind: audit.KindSubscription, Action: "applied", LocationID: loc, CompanyID: "co1",
		Detail: audit.Detail{EventID: id, EventKind: "change", Source: "billing", OccurredAt: at,
			From: &audit.Subscription{PlanID: "basic", Status: "active"}, To: &audit.Subscription{PlanID: "gold", Status: "active"}}}
}

func all(t testing.TB, db *sql.DB, f audit.Filter) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	require.NoError(t, audit.Query(context.Background(), db, f, func(e audit.Entry) error { out = append(out, e); return nil }))
	return out
}

func verify(t testing.TB, db *sql.DB) audit.Report {
	t.Helper()
	r, err := audit.Verify(context.Background(), db, keys(t))
	require.NoError(t, err)
	return r
}

// TestAppendQueryAndExport: entries appended in several transactions form one chain,
// read back as written, filtered by location, kind and time, exported as JSON lines and
// as CSV; the chain verifies.
func TestAppendQueryAndExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db, _ := openDB(t, dsn)
		appendTx(t, db, call(t0, "loc1", "POST /oauth/locationToken", 201), call(t0.Add(time.Second), "loc1", "GET /saas/get-saas-subscription/{locationId}", 200))
		appendTx(t, db, change(t0.Add(2*time.Second), "loc1", "evt1"))
		appendTx(t, db, call(t0.Add(3*time.Second), "loc2", "PUT /saas/update-saas-subscription/{locationId}", 429))
		// An entry made a moment before another, appended after it, is listed by its time.
		appendTx(t, db, audit.Entry{At: t0.Add(500 * time.Millisecond), Kind: audit.KindCredential, Action: audit.ActionMinted,
			LocationID: "loc1", Detail: audit.Detail{Credential: "highlevel/location/loc1", Version: 1}})

		got := all(t, db, audit.Filter{LocationID: "loc1"})
		require.Len(t, got, 4)
		var kinds []string
		for _, e := range got {
			kinds = append(kinds, e.Kind+"/"+e.Action)
		}
		assert.Equal(t, []string{"call/POST", "credential/minted", "call/GET", "subscription/applied"}, kinds)
		assert.Equal(t, "gold", got[3].Detail.To.PlanID)
		assert.Equal(t, "basic", got[3].Detail.From.PlanID)
		assert.Equal(t, t0.Add(2*time.Second), got[3].At)
		assert.Equal(t, int64(3), got[3].Seq)

		assert.Len(t, all(t, db, audit.Filter{Kinds: []string{audit.KindCall}}), 3)
		assert.Len(t, all(t, db, audit.Filter{Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second)}), 2)
		newest := all(t, db, audit.Filter{Newest: true, Limit: 2})
		require.Len(t, newest, 2)
		assert.Equal(t, "loc2", newest[0].LocationID)
		_, err := audit.Export(t.Context(), db, audit.Filter{Kinds: []string{"calls"}}, audit.FormatJSONL, &bytes.Buffer{})
		assert.ErrorContains(t, err, `unknown kind "calls"`)

		var jsonl bytes.Buffer
		n, err := audit.Export(t.Context(), db, audit.Filter{}, audit.FormatJSONL, &jsonl)
		require.NoError(t, err)
		assert.Equal(t, 5, n)
		lines := strings.Split(strings.TrimSpace(jsonl.String()), "\n")
		require.Len(t, lines, 5)
		var first audit.Entry
		require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
		assert.Equal(t, "/oauth/locationToken", first.Detail.Endpoint)
		assert.Equal(t, 201, first.Detail.Status)

		var buf bytes.Buffer
		n, err = audit.Export(t.Context(), db, audit.Filter{Kinds: []string{audit.KindSubscription}}, audit.FormatCSV, &buf)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		records, err := csv.NewReader(&buf).ReadAll()
		require.NoError(t, err)
		require.Len(t, records, 2)
		row := map[string]string{}
		for i, h := range records[0] {
			row[h] = records[1][i]
		}
		assert.Equal(t, "basic / active", row["from"])
		assert.Equal(t, "gold / active", row["to"])
		assert.Equal(t, "evt1", row["eventId"])

		r := verify(t, db)
		assert.True(t, r.OK(), "%+v", r.Break)
		assert.Equal(t, int64(5), r.Entries)
	})
}

// TestAppendsFromManyWritersChain: writers appending at once, each in its own
// transaction (and, on SQLite, its own connection pool, as separate processes would),
// take turns: the chain holds every entry once, without gaps, and verifies.
func TestAppendsFromManyWritersChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		dbs := make([]*sql.DB, 4)
		for i := range dbs {
			dbs[i], _ = openDB(t, dsn)
		}
		var wg sync.WaitGroup
		for w, db := range dbs {
			wg.Go(func() {
				for i := range 25 {
					tx, err := db.BeginTx(t.Context(), nil)
					if !assert.NoError(t, err) {
						return
					}
					assert.NoError(t, audit.Append(t.Context(), tx, call(time.Now(), fmt.Sprintf("loc%d", w), "GET /x", 200),
						call(time.Now(), fmt.Sprintf("loc%d", w), fmt.Sprintf("GET /x/%d", i), 200)))
					assert.NoError(t, tx.Commit())
				}
			})
		}
		wg.Wait()
		r := verify(t, dbs[0])
		assert.True(t, r.OK(), "%+v", r.Break)
		assert.Equal(t, int64(200), r.Entries)
		assert.Equal(t, int64(200), r.Last)
	})
}

// TestTheDatabaseRefusesChanges: entries cannot be updated, nor deleted unless they are
// call entries (which retention prunes).
func TestTheDatabaseRefusesChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db, _ := openDB(t, dsn)
		appendTx(t, db, call(t0, "loc1", "GET /a", 200), change(t0, "loc1", "e1"))
		_, err := db.ExecContext(t.Context(), `UPDATE audit_log SET action = 'superseded' WHERE seq = 2`)
		assert.ErrorContains(t, err, "append-only")
		_, err = db.ExecContext(t.Context(), `DELETE FROM audit_log WHERE seq = 2`)
		assert.ErrorContains(t, err, "append-only")
		_, err = db.ExecContext(t.Context(), `DELETE FROM audit_log WHERE seq = 1`)
		assert.NoError(t, err, "a call entry can be pruned")
	})
}

// tamper changes the database behind the audit's back as someone with write access to
// it could, triggers dropped first.
func tamper(t *testing.T, db *sql.DB, engine schema.Engine, stmts ...string) {
	t.Helper()
	drop := []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}
	if engine == schema.Postgres {
		drop = []string{`DROP TRIGGER audit_log_append_only ON audit_log`}
	}
	for _, s := range append(drop, stmts...) {
		_, err := db.ExecContext(t.Context(), s)
		require.NoError(t, err, s)
	}
}

// TestVerifyFindsEveryTampering: each way of changing the chain is found, at the entry
// where it was made.
func TestVerifyFindsEveryTampering(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stmts []string
		seq   int64
		why   string
	}{
		{"a detail altered", []string{`UPDATE audit_log SET detail = replace(detail, 'gold', 'platinum') WHERE seq = 3`}, 3, "altered"},
		{"an outcome altered", []string{`UPDATE audit_log SET action = 'parked' WHERE seq = 3`}, 3, "altered"},
		{"an entry removed", []string{`DELETE FROM audit_log WHERE seq = 2`}, 3, "entries 2 to 2 are missing"},
		{"the last entries removed", []string{`DELETE FROM audit_log WHERE seq >= 5`}, 4, "removed from its end"},
		{"an entry inserted with its own hash", []string{
			`UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3`,
			`INSERT INTO audit_log (seq, at, kind, action, detail, prev_hash, hash) VALUES (3, 0, 'call', 'GET', '{}', 'x', 'y')`}, 3, "altered"},
		{"a time moved", []string{`UPDATE audit_log SET at = at - 1000000 WHERE seq = 1`}, 1, "altered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, dsn string) {
				db, engine := openDB(t, dsn)
				appendTx(t, db, call(t0, "loc1", "GET /a", 200), call(t0, "loc1", "GET /b", 200))
				appendTx(t, db, change(t0, "loc1", "e1"), call(t0, "loc1", "GET /c", 200), call(t0, "loc1", "GET /d", 200))
				require.True(t, verify(t, db).OK())
				tamper(t, db, engine, tc.stmts...)
				r := verify(t, db)
				require.False(t, r.OK(), "tampering not found")
				assert.Equal(t, tc.seq, r.Break.Seq, r.Break.Reason)
				assert.Contains(t, r.Break.Reason, tc.why)
			})
		})
	}
}

// TestPruneKeepsTheChainVerifiable: pruning call entries older than the cutoff leaves a
// signed checkpoint with which the chain still verifies; pruning again carries on from
// it; removing a surviving entry, forging the checkpoint or losing its key is found.
func TestPruneKeepsTheChainVerifiable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db, engine := openDB(t, dsn)
		for day := range 4 {
			at := t0.AddDate(0, 0, day)
			appendTx(t, db, call(at, "loc1", "GET /a", 200), change(at, "loc1", fmt.Sprintf("e%d", day)), call(at, "loc1", "GET /b", 429))
		}
		k := keys(t)
		res, err := audit.Prune(t.Context(), db, k, t0.AddDate(0, 0, 2)) // days 0 and 1
		require.NoError(t, err)
		assert.Equal(t, int64(4), res.Pruned)
		require.NotNil(t, res.Checkpoint)
		assert.Equal(t, int64(6), res.Checkpoint.Through)
		assert.Len(t, all(t, db, audit.Filter{Kinds: []string{audit.KindCall}}), 4, "the younger calls stay")
		assert.Len(t, all(t, db, audit.Filter{Kinds: []string{audit.KindSubscription}}), 4, "only calls are pruned")
		r := verify(t, db)
		require.True(t, r.OK(), "%+v", r.Break)
		assert.Equal(t, int64(6), r.Checkpoint.Through)

		res, err = audit.Prune(t.Context(), db, k, t0.AddDate(0, 0, 2))
		require.NoError(t, err)
		assert.Zero(t, res.Pruned, "nothing more to prune: no new checkpoint")

		appendTx(t, db, call(t0.AddDate(0, 0, 20), "loc1", "GET /c", 200))
		res, err = audit.Prune(t.Context(), db, k, t0.AddDate(0, 0, 10))
		require.NoError(t, err)
		assert.Equal(t, int64(4), res.Pruned, "the rest of the old calls")
		assert.Len(t, all(t, db, audit.Filter{Kinds: []string{audit.KindCheckpoint}}), 2)
		r = verify(t, db)
		require.True(t, r.OK(), "%+v", r.Break)

		// Keys rotated: the old key, kept as an old one, still verifies the checkpoint.
		rotated, err := audit.DeriveKeys(2, bytes.Repeat([]byte{4}, 32), map[byte][]byte{1: storeKey})
		require.NoError(t, err)
		r, err = audit.Verify(t.Context(), db, rotated)
		require.NoError(t, err)
		assert.True(t, r.OK())
		// Without it, the checkpoint cannot be trusted.
		other, err := audit.DeriveKeys(2, bytes.Repeat([]byte{4}, 32), nil)
		require.NoError(t, err)
		r, err = audit.Verify(t.Context(), db, other)
		require.NoError(t, err)
		require.False(t, r.OK())
		assert.Contains(t, r.Break.Reason, "key 1, which is not configured")

		// A surviving entry the checkpoint covers removed: the digest no longer matches.
		tamper(t, db, engine, `DELETE FROM audit_log WHERE seq = 2`)
		r = verify(t, db)
		require.False(t, r.OK())
		assert.Contains(t, r.Break.Reason, "not those the signed checkpoint vouches for")
	})
}

// TestAForgedCheckpointIsFound: a checkpoint made without the key (to hide removed
// entries) does not verify.
func TestAForgedCheckpointIsFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db, engine := openDB(t, dsn)
		appendTx(t, db, call(t0, "loc1", "GET /a", 200), change(t0, "loc1", "e1"), call(t0.AddDate(0, 0, 5), "loc1", "GET /b", 200))
		_, err := audit.Prune(t.Context(), db, keys(t), t0.AddDate(0, 0, 1))
		require.NoError(t, err)
		tamper(t, db, engine, `UPDATE audit_log SET detail = replace(detail, '"survivors":1', '"survivors":0') WHERE kind = 'checkpoint'`)
		r := verify(t, db)
		require.False(t, r.OK())
		assert.Contains(t, r.Break.Reason, "altered")
	})
}

// TestLogWritesInBatches: entries recorded through a Log are written within its flush
// interval, in one chain with those appended in transactions, filed under the location
// whose owner made them; Close writes what waits.
func TestLogWritesInBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db, _ := openDB(t, dsn)
		g := audit.NewLog(db, audit.WithFlushInterval(20*time.Millisecond),
			audit.WithLocationOf(func(id string) string { return strings.TrimPrefix(id, "location/") }))
		for i := range 50 {
			g.Call(t.Context(), "actionstep", fmt.Sprintf("GET /rest/participants/{id}#%d", i), 200, time.Millisecond)
		}
		require.Eventually(t, func() bool { return len(all(t, db, audit.Filter{})) == 50 }, 5*time.Second, 10*time.Millisecond)
		appendTx(t, db, change(time.Now(), "loc1", "e1"))
		g.Record(t.Context(), audit.Entry{Kind: audit.KindCall, Action: "GET", WorkflowID: "location/loc9"})
		require.NoError(t, g.Close())
		got := all(t, db, audit.Filter{LocationID: "loc9"})
		require.Len(t, got, 1, "the owner's workflow id names the location")
		assert.True(t, verify(t, db).OK())
		e := all(t, db, audit.Filter{Kinds: []string{audit.KindCall}, Limit: 1})[0]
		assert.Equal(t, "GET", e.Action)
		assert.Equal(t, "/rest/participants/{id}#0", e.Detail.Endpoint)
		assert.Equal(t, "actionstep", e.Detail.API)
	})
}
