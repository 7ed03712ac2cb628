package main

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// seedTrail writes, through the store as the programs do, a location's token mint, a
// change and the token's deletion, and another location's install.
func seedTrail(t *testing.T, dsn string, key []byte) *sql.DB {
	t.Helper()
	s, err := tokens.Open(t.Context(), dsn, key)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	require.NoError(t, s.Put(ctx, tokens.KeyHighLevelLocation("loc1"), tokens.Token{AccessToken: "secret-access-token-1"}))
	known := facts.New(s.DB())
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	loc := facts.Location{LocationID: "loc1", CompanyID: "co1", Phase: facts.PhaseActive, PlanID: "basic"}
	require.NoError(t, known.Record(ctx, loc, &facts.Event{EventID: "i1", Kind: "install", OccurredAt: at, Outcome: facts.OutcomeApplied}))
	loc.PlanID = "gold"
	require.NoError(t, known.Record(ctx, loc, &facts.Event{EventID: "c1", Kind: "change", Source: "billing", OccurredAt: at, Outcome: facts.OutcomeApplied}))
	require.NoError(t, s.Delete(ctx, tokens.KeyHighLevelLocation("loc1")))
	require.NoError(t, known.Record(ctx, facts.Location{LocationID: "loc2", CompanyID: "co1", Phase: facts.PhaseActive},
		&facts.Event{EventID: "i2", Kind: "install", OccurredAt: at, Outcome: facts.OutcomeApplied}))
	return s.DB()
}

// TestAuditCommand: the listing filters by location and kind, prints JSON lines or
// CSV; verify passes on the chain and fails (exit 1, naming the entry) once a row is
// altered; bad flags are usage errors naming the flag.
func TestAuditCommand(t *testing.T) {
	dsn, key := storeEnv(t)
	db := seedTrail(t, dsn, key)

	out, err := runStarter(t, "audit", "--location", "loc1")
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, out)
	var actions []string
	for _, l := range lines {
		var e audit.Entry
		require.NoError(t, json.Unmarshal([]byte(l), &e))
		actions = append(actions, e.Kind+"/"+e.Action)
	}
	assert.Equal(t, []string{"credential/minted", "lifecycle/applied", "subscription/applied", "credential/deleted"}, actions)
	assert.NotContains(t, out, "secret-access-token-1")

	out, err = runStarter(t, "audit", "--kind", "subscription,lifecycle", "--format", "csv")
	require.NoError(t, err, out)
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	assert.Len(t, records, 4, "header and three events")

	out, err = runStarter(t, "audit", "--since", "2099-01-01T00:00:00Z")
	require.NoError(t, err)
	assert.Empty(t, out)

	out, err = runStarter(t, "audit", "verify")
	require.NoError(t, err, out)
	assert.Contains(t, out, "ok: 5 entries")

	_, err = db.ExecContext(t.Context(), `DROP TRIGGER audit_log_no_update`)
	require.NoError(t, err)
	_, err = db.ExecContext(t.Context(), `UPDATE audit_log SET detail = replace(detail, 'gold', 'basic') WHERE seq = 3`)
	require.NoError(t, err)
	out, err = runStarter(t, "audit", "verify")
	require.ErrorIs(t, err, errChainBroken)
	assert.Contains(t, out, "BROKEN at entry 3")

	for _, args := range [][]string{{"--kind", "calls"}, {"--since", "yesterday"}, {"--format", "xml"}, {"extra"},
		{"--since", "2026-12-02T00:00:00Z", "--until", "2026-12-01T00:00:00Z"}, {"verify", "now"}} {
		out, err := runStarter(t, append([]string{"audit"}, args...)...)
		assert.ErrorIs(t, err, errUsage, "%v: %s", args, out)
	}
}
