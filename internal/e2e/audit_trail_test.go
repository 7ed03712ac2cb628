package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	auditlog "github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/workflows"
)

// auditEntries runs `starter audit` with args and decodes its JSON lines.
func (s *stack) auditEntries(ctx context.Context, t testing.TB, args ...string) []auditlog.Entry {
	t.Helper()
	out, err := s.program(ctx, "starter", nil, append([]string{"audit"}, args...)...)
	require.NoError(t, err, out)
	var entries []auditlog.Entry
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var e auditlog.Entry
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		entries = append(entries, e)
	}
	return entries
}

// TestAuditTrailOfALocation: a location onboarded with a subscription, changed to an
// unpaid one (paused) and uninstalled. `starter audit --location` lists, in order, the
// token mint, each endpoint call with its status, the onboarding, the Actionstep records
// made, the change with its subscription before and after, the token's suspension and
// its deletion, with no token anywhere; `starter audit verify` passes, and fails once a
// row of a copy of the store is altered.
func TestAuditTrailOfALocation(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	res, err := s.onboard(ctx, loc, withSubscription)
	require.NoError(t, err)
	require.Equal(t, "applied", res.Outcome.Outcome, res.Outcome.Message)
	change := workflows.LocationEvent{EventID: "audit/change", Kind: workflows.EventChange, Source: "e2e billing",
		OccurredAt: time.Now().UTC(), SubscriptionID: "sub_b_" + loc, CustomerID: "cus_" + loc, Status: "unpaid"}
	res, err = workflows.ApplyLocationEvent(ctx, s.temporal, loc, s.companyID, change)
	require.NoError(t, err)
	require.Equal(t, "applied", res.Outcome.Outcome, res.Outcome.Message)
	res, err = workflows.ApplyLocationEvent(ctx, s.temporal, loc, s.companyID,
		workflows.LocationEvent{EventID: "audit/uninstall", Kind: workflows.EventUninstall, Source: "e2e", OccurredAt: time.Now().UTC()})
	require.NoError(t, err)
	require.Equal(t, "applied", res.Outcome.Outcome, res.Outcome.Message)

	// Calls are written in batches a moment after they are made.
	var entries []auditlog.Entry
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		entries = s.auditEntries(ctx, t, "--location", loc)
		assert.True(c, slices.ContainsFunc(entries, func(e auditlog.Entry) bool {
			return e.Kind == auditlog.KindActionstep && e.Detail.Record == auditlog.RecordMatter && e.Action == auditlog.ActionUpdated
		}), "the matter's closing is recorded")
	}, 30*time.Second, 250*time.Millisecond)

	at := func(what string, match func(auditlog.Entry) bool) int {
		t.Helper()
		i := slices.IndexFunc(entries, match)
		require.GreaterOrEqual(t, i, 0, "no entry of %s in:\n%s", what, describeEntries(entries))
		return i
	}
	credential := func(action string) func(auditlog.Entry) bool {
		return func(e auditlog.Entry) bool { return e.Kind == auditlog.KindCredential && e.Action == action }
	}
	callTo := func(method, endpoint string) func(auditlog.Entry) bool {
		return func(e auditlog.Entry) bool {
			return e.Kind == auditlog.KindCall && e.Action == method && e.Detail.Endpoint == endpoint && e.Detail.Status >= 200 && e.Detail.Status < 300
		}
	}
	record := func(action, rec string) func(auditlog.Entry) bool {
		return func(e auditlog.Entry) bool {
			return e.Kind == auditlog.KindActionstep && e.Action == action && e.Detail.Record == rec && e.Detail.RecordID != ""
		}
	}
	event := func(id string) func(auditlog.Entry) bool {
		return func(e auditlog.Entry) bool { return e.Detail.EventID == id }
	}

	mintCall := at("the locationToken call", callTo("POST", "/oauth/locationToken"))
	minted := at("the token's mint", credential(auditlog.ActionMinted))
	enable := at("enable-saas", callTo("POST", "/saas/enable-saas/{locationId}"))
	participant := at("the client made", record(auditlog.ActionCreated, auditlog.RecordParticipant))
	matter := at("the matter made", record(auditlog.ActionCreated, auditlog.RecordMatter))
	dataRecord := at("the data record made", record(auditlog.ActionCreated, auditlog.RecordDataRecord))
	at("the data written", record(auditlog.ActionWritten, auditlog.RecordDataValues))
	at("a file note", record(auditlog.ActionCreated, auditlog.RecordFileNote))
	installed := at("the install's outcome", func(e auditlog.Entry) bool {
		return e.Kind == auditlog.KindLifecycle && e.Detail.EventKind == workflows.EventInstall
	})
	changed := at("the change's outcome", event("audit/change"))
	suspended := at("the token's suspension", credential(auditlog.ActionSuspended))
	deleted := at("the token's deletion", credential(auditlog.ActionDeleted))
	closed := at("the matter closed", record(auditlog.ActionUpdated, auditlog.RecordMatter))
	uninstalled := at("the uninstall's outcome", event("audit/uninstall"))
	for _, order := range [][]int{{mintCall, minted, enable, participant, matter, dataRecord, installed, changed, deleted, uninstalled},
		{suspended, deleted}, {closed, uninstalled}} {
		assert.True(t, slices.IsSorted(order), "out of order %v:\n%s", order, describeEntries(entries))
	}

	c := entries[changed]
	assert.Equal(t, auditlog.KindSubscription, c.Kind)
	assert.Equal(t, "applied", c.Action)
	assert.Equal(t, "e2e billing", c.Detail.Source)
	require.NotNil(t, c.Detail.From)
	require.NotNil(t, c.Detail.To)
	assert.Equal(t, "sub_"+loc, c.Detail.From.SubscriptionID)
	assert.Equal(t, "active", c.Detail.From.Status)
	assert.Equal(t, "sub_b_"+loc, c.Detail.To.SubscriptionID)
	assert.True(t, c.Detail.To.Paused)
	assert.Equal(t, workflows.LocationWorkflowID(loc), c.WorkflowID, "the owner's activity recorded it")
	assert.NotEmpty(t, c.RunID)

	var statuses []string
	for _, e := range entries {
		if e.Kind == auditlog.KindCall {
			require.NotZero(t, e.Detail.Status, "a call without a status: %+v", e)
			require.NotEmpty(t, e.Detail.API)
			require.Equal(t, workflows.LocationWorkflowID(loc), e.WorkflowID)
			require.Positive(t, e.Attempt)
			statuses = append(statuses, fmt.Sprintf("%s %s %d", e.Action, e.Detail.Endpoint, e.Detail.Status))
		}
	}
	assert.Contains(t, statuses, "PUT /saas/update-saas-subscription/{locationId} 200")
	t.Logf("%d entries for %s, %d of them calls", len(entries), loc, len(statuses))

	// Nothing secret: no token either sandbox issued is in the trail.
	issued, err := s.issuedTokens(ctx)
	require.NoError(t, err)
	out, err := s.program(ctx, "starter", nil, "audit")
	require.NoError(t, err)
	assert.False(t, issued.foundIn(out), "the audit trail holds an issued token")

	s.verifyAndTamper(ctx, t)
}

// verifyAndTamper: the stack's chain verifies; a copy of the store with one entry
// altered (its trigger dropped first, as someone with write access to the file could)
// does not, and the command exits 1 naming the entry.
func (s *stack) verifyAndTamper(ctx context.Context, t *testing.T) {
	t.Helper()
	out, err := s.program(ctx, "starter", nil, "audit", "verify")
	require.NoError(t, err, out)
	assert.Contains(t, out, "ok: ")

	copyPath := filepath.Join(t.TempDir(), "tampered.db")
	db, err := sql.Open("sqlite", s.storePath)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `VACUUM INTO '`+copyPath+`'`)
	require.NoError(t, db.Close())
	require.NoError(t, err)
	tampered, err := sql.Open("sqlite", copyPath)
	require.NoError(t, err)
	defer tampered.Close()
	var seq int64
	require.NoError(t, tampered.QueryRowContext(ctx, `SELECT max(seq) FROM audit_log WHERE kind = 'subscription'`).Scan(&seq))
	for _, stmt := range []string{`DROP TRIGGER audit_log_no_update`,
		fmt.Sprintf(`UPDATE audit_log SET action = 'superseded' WHERE seq = %d`, seq)} {
		_, err := tampered.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	out, err = s.program(ctx, "starter", []string{"STORE_DSN=" + copyPath}, "audit", "verify")
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, out)
	assert.Equal(t, 1, exit.ExitCode())
	assert.Contains(t, out, fmt.Sprintf("BROKEN at entry %d", seq))
}

func describeEntries(entries []auditlog.Entry) string {
	var b strings.Builder
	for i, e := range entries {
		fmt.Fprintf(&b, "%3d %s %s %s %s %s %s\n", i, e.At.Format("15:04:05.000000"), e.Kind, e.Action, e.Detail.Endpoint+e.Detail.Credential+e.Detail.Record, e.Detail.EventID, e.Detail.RecordID)
	}
	return b.String()
}
