package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	auditlog "github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/facts"
)

// consoleBenchLocations is how many locations the console benchmark lists.
const consoleBenchLocations = 10_000

// BenchmarkConsolePage measures the location console of the stack's starter with 10,000
// locations in its store (one agency of its own, every phase, 2% needing attention with a
// parked event): the time to serve a page of 100 over its operator listener, for the
// first, a middle and the last page, each filter and a search. Target: under 300 ms.
// `make bench` prints the table and writes build/bench-console.md.
func BenchmarkConsolePage(b *testing.B) {
	s := need(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	company := "BenchConsole" + randHex(4)
	seedLocations(ctx, b, s.openStore(b).DB(), company, consoleBenchLocations)
	pages := []struct{ name, query string }{
		{"first page", ""}, {"page 50", "page=50"}, {"last page", fmt.Sprintf("page=%d", consoleBenchLocations/100)},
		{"agency", "agency=" + company}, {"agency, page 60", "agency=" + company + "&page=60"},
		{"paused", "phase=paused"}, {"needs attention", "attention=1"}, {"search by name", "q=dental"},
		{"search by id", "q=bench-loc-0042"},
	}
	var rows []string
	for b.Loop() {
		rows = rows[:0]
		for _, p := range pages {
			times := timePage(ctx, b, s.operatorURL+"/console?"+p.query, 20)
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", p.name, ms(times[len(times)/2]), ms(times[len(times)*95/100]), ms(times[len(times)-1])))
		}
	}
	report := fmt.Sprintf("| console page of 100, %d locations in the store | median | p95 | max |\n|---|---|---|---|\n%s\n",
		consoleBenchLocations, strings.Join(rows, "\n"))
	fmt.Print(report)
	_ = os.MkdirAll(filepath.Join(repoRoot(), "build"), 0o755)
	_ = os.WriteFile(filepath.Join(repoRoot(), "build", "bench-console.md"), []byte(report), 0o644)
}

// timePage GETs a console page n times and returns the times, sorted.
func timePage(ctx context.Context, b *testing.B, u string, n int) []time.Duration {
	b.Helper()
	var out []time.Duration
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<table") {
			b.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
		}
		out = append(out, time.Since(start))
	}
	slices.Sort(out)
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// seedLocations writes n locations of a company straight into the store, in one
// transaction, as their owners would have recorded them: every phase, a name, and every
// fiftieth one with a parked event.
func seedLocations(ctx context.Context, b *testing.B, db *sql.DB, company string, n int) {
	b.Helper()
	known := facts.New(db)
	names := []string{"Dental", "Legal", "Fitness", "Realty", "Plumbing"}
	phases := []string{facts.PhaseActive, facts.PhaseActive, facts.PhaseActive, facts.PhaseUninstalled, facts.PhaseOnboarding, facts.PhaseNew}
	start := time.Now()
	at := time.Now().Add(-time.Hour)
	for i := range n {
		l := facts.Location{LocationID: fmt.Sprintf("bench-loc-%05d", i), CompanyID: company, Name: fmt.Sprintf("Bench %s %d", names[i%len(names)], i),
			Phase: phases[i%len(phases)], Status: "active", PlanID: "plan_bench", LastEventID: fmt.Sprintf("bench/%d", i), LastEventAt: at.Add(time.Duration(i) * time.Millisecond)}
		if i%7 == 0 {
			l.Status, l.Paused = "paused", true
		}
		var ev *facts.Event
		if i%50 == 0 {
			l.Attention, l.Parked = "parked", 1
			ev = &facts.Event{EventID: "bench/parked", Kind: "change", Source: "bench", OccurredAt: at, Outcome: facts.OutcomeParked,
				Message: "highlevel PUT /saas/update-saas-subscription/{locationId}: 422: the plan is not available (bench)"}
		}
		if err := known.Record(ctx, l, ev); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d locations recorded in %v", n, time.Since(start).Round(time.Millisecond))
}

// auditBenchEntries is how many entries the audit export benchmark exports.
const auditBenchEntries = 100_000

// BenchmarkAuditExport measures `starter audit` exporting 100,000 entries from the
// stack's store (calls, credential, subscription and Actionstep entries of 2,000
// locations, appended in batches as the programs do): the export's wall time and rate,
// as JSON lines and as CSV, of one location's trail, and the chain's verification.
// `make bench` prints the table and writes build/bench-audit.md.
func BenchmarkAuditExport(b *testing.B) {
	s := need(b)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	db := s.openStore(b).DB()
	var before int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&before); err != nil {
		b.Fatal(err)
	}
	seedAudit(ctx, b, db, auditBenchEntries-before)
	var rows []string
	for b.Loop() {
		rows = rows[:0]
		for _, run := range []struct {
			name string
			args []string
		}{
			{"all, JSON lines", []string{"audit"}},
			{"all, CSV", []string{"audit", "--format", "csv"}},
			{"one location, JSON lines", []string{"audit", "--location", "bench-audit-loc-0042"}},
			{"calls of one hour, JSON lines", []string{"audit", "--kind", "call", "--since", time.Now().Add(-30 * time.Minute).UTC().Format(time.RFC3339)}},
			{"verify the chain", []string{"audit", "verify"}},
		} {
			lines, wall := s.timeProgram(ctx, b, run.args...)
			read := lines // entries listed; verify reads the whole chain
			if run.args[len(run.args)-1] == "verify" {
				read = auditBenchEntries
			}
			rows = append(rows, fmt.Sprintf("| %s | %d | %.2f s | %.0f entries/s |", run.name, lines, wall.Seconds(), float64(read)/wall.Seconds()))
		}
	}
	report := fmt.Sprintf("| `starter audit`, %d entries in the store | lines out | wall (process start to exit) | rate |\n|---|---|---|---|\n%s\n",
		auditBenchEntries, strings.Join(rows, "\n"))
	fmt.Print(report)
	_ = os.MkdirAll(filepath.Join(repoRoot(), "build"), 0o755)
	_ = os.WriteFile(filepath.Join(repoRoot(), "build", "bench-audit.md"), []byte(report), 0o644)
}

// timeProgram runs the starter with args, its output counted and dropped, and returns
// how many lines it printed and how long it took.
func (s *stack) timeProgram(ctx context.Context, b *testing.B, args ...string) (int, time.Duration) {
	b.Helper()
	cmd := exec.CommandContext(ctx, s.bins["starter"], args...)
	cmd.Env = append(s.env(), "LOG_LEVEL=warn")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	lines := 0
	buf := make([]byte, 1<<20)
	for {
		n, err := out.Read(buf)
		lines += strings.Count(string(buf[:n]), "\n")
		if err != nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("starter %v: %v", args, err)
	}
	return lines, time.Since(start)
}

// seedAudit appends n entries in batches of 500, as the programs' audit logs do: for
// each of 2,000 locations, a credential entry, calls, Actionstep records and a
// subscription change.
func seedAudit(ctx context.Context, b *testing.B, db *sql.DB, n int) {
	b.Helper()
	start := time.Now()
	at := time.Now().Add(-time.Hour)
	batch := make([]auditlog.Entry, 0, 500)
	for i := range n {
		loc := fmt.Sprintf("bench-audit-loc-%04d", i%2000)
		e := auditlog.Entry{At: at.Add(time.Duration(i) * 30 * time.Millisecond), Kind: auditlog.KindCall, Action: "GET", LocationID: loc,
			WorkflowID: "location/" + loc, RunID: "0193f3c2-7c1e-7b53-9d41-" + fmt.Sprintf("%012d", i%2000), Attempt: 1,
			Detail: auditlog.Detail{API: "highlevel", Endpoint: "/saas/get-saas-subscription/{locationId}", Status: 200, DurationMs: 41.2}}
		switch i % 10 {
		case 0:
			e.Kind, e.Action, e.Detail = auditlog.KindCredential, auditlog.ActionRotated, auditlog.Detail{Credential: "highlevel/location/" + loc, Version: int64(i)}
		case 1:
			e.Kind, e.Action, e.Detail = auditlog.KindSubscription, "applied", auditlog.Detail{EventID: fmt.Sprintf("bench/%d", i), EventKind: "change",
				Source: "billing", OccurredAt: e.At, From: &auditlog.Subscription{PlanID: "basic", Status: "active"}, To: &auditlog.Subscription{PlanID: "gold", Status: "active"}}
		case 2:
			e.Kind, e.Action, e.Detail = auditlog.KindActionstep, auditlog.ActionWritten, auditlog.Detail{API: "actionstep", Record: auditlog.RecordDataValues, RecordID: "6003"}
		}
		batch = append(batch, e)
		if len(batch) == cap(batch) || i == n-1 {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if err := auditlog.Append(ctx, tx, batch...); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("%d audit entries appended in %v", n, time.Since(start).Round(time.Millisecond))
}
