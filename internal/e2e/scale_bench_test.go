package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// asTokenEndpoint is the Actionstep sandbox's token endpoint, which is not one of the
// calls an onboarding makes to the API.
const asTokenEndpoint = "POST /api/oauth/token"

// BenchmarkIdleProvisioning measures one onboarding on an idle system, from the INSTALL
// webhook (sent by the HighLevel sandbox, signed, to the gateway) to the last Actionstep
// write (the onboarding's file note), one location after another, on the in-memory dev
// server with one worker: first with the sandboxes answering at once, then with a fixed
// latency added to every call of both APIs, which is what a real API adds. The first
// onboarding of each row warms the worker's per-process caches and is not counted; the
// others start idleGap after the one before ended. SAASBRIDGE_BENCH_IDLE_N sets how many
// are measured (default 40; half as many with latency).
func BenchmarkIdleProvisioning(b *testing.B) {
	s := need(b)
	n := envInt("SAASBRIDGE_BENCH_IDLE_N", 40)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	s.restartWorkers(b, 1)
	known := facts.New(s.openStore(b).DB())
	var rows []string
	for b.Loop() {
		rows = append(rows, s.idleRow(ctx, b, known, n, 0))
		rows = append(rows, s.idleRow(ctx, b, known, n/2, 100*time.Millisecond))
	}
	report := fmt.Sprintf(`| idle onboarding, webhook → last Actionstep write (1 worker, default settings) | onboardings | p50 | p99 | max | HighLevel calls | Actionstep calls |
|---|---|---|---|---|---|---|
%s
`, strings.Join(rows, "\n"))
	writeReport(b, "bench-idle.md", report)
}

// idleGap is the pause between two idle onboardings: long enough for the Actionstep
// budget to be at rest again (an onboarding's 7 calls at the starting rate, 4 a second).
const idleGap = 2 * time.Second

// idleRow onboards n+1 locations one at a time, each once the last is done, with the
// sandboxes' latency set to latency, and formats the table row.
func (s *stack) idleRow(ctx context.Context, b *testing.B, known *facts.Store, n int, latency time.Duration) string {
	b.Helper()
	s.setLatency(ctx, b, latency)
	defer s.setLatency(ctx, b, 0)
	var lat []time.Duration
	var hlCalls, asCalls int
	for i := range n + 1 {
		loc := s.addLocations(ctx, b, 1)[0]
		t0 := time.Now()
		if _, err := s.admin.SendWebhook(ctx, highlevelsim.WebhookSendRequest{Type: "INSTALL", LocationID: loc, CompanyID: s.companyID}); err != nil {
			b.Fatal(err)
		}
		waitPhase(ctx, b, known, loc, facts.PhaseActive)
		last, calls := callsSince(ctx, b, s.asAdmin.Calls, t0, asTokenEndpoint)
		_, hl := callsSince(ctx, b, s.admin.Calls, t0, highlevel.EndpointToken)
		if i == 0 {
			// It warmed the worker's caches (and spent more of the Actionstep budget):
			// the next one starts once the budget is at rest.
			time.Sleep(2 * idleGap)
			continue
		}
		lat = append(lat, last.Sub(t0))
		asCalls, hlCalls = asCalls+calls, hlCalls+hl
		time.Sleep(idleGap)
	}
	slices.Sort(lat)
	label := "sandboxes answering at once"
	if latency > 0 {
		label = fmt.Sprintf("%s added to every HighLevel and Actionstep call", latency)
	}
	return fmt.Sprintf("| %s | %d | %s | %s | %s | %.1f | %.1f |", label, n, ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99)),
		ms(lat[len(lat)-1]), float64(hlCalls)/float64(n), float64(asCalls)/float64(n))
}

// setLatency makes both sandboxes answer every call latency late (0: at once).
func (s *stack) setLatency(ctx context.Context, b testing.TB, latency time.Duration) {
	if _, err := s.admin.SetFaults(ctx, highlevelsim.Faults{Latency: highlevelsim.Duration(latency)}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.asAdmin.SetFaults(ctx, actionstepsim.Faults{Latency: actionstepsim.Duration(latency)}); err != nil {
		b.Fatal(err)
	}
}

// waitPhase polls the facts until the location reaches phase.
func waitPhase(ctx context.Context, b testing.TB, known *facts.Store, loc, phase string) {
	b.Helper()
	start := time.Now()
	deadline := start.Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		l, ok, err := known.Location(ctx, loc)
		if err != nil {
			b.Fatal(err)
		}
		if ok && l.Phase == phase {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.Fatalf("location %s did not reach %s in %s", loc, phase, time.Since(start))
}

// callsSince is when the last API call after t0 ended and how many there were, from a
// sandbox's call report, leaving out the token endpoint.
func callsSince(ctx context.Context, b testing.TB, report func(context.Context) (simkit.CallReport, error), t0 time.Time, token string) (time.Time, int) {
	b.Helper()
	r, err := report(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var last time.Time
	n := 0
	for _, c := range r.Calls {
		if c.Time.After(t0) && c.Endpoint != token {
			n++
			last = later(last, c.Time)
		}
	}
	return last, n
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// writeReport prints a bench's table and writes it to build/<name>.
func writeReport(b testing.TB, name, report string) {
	fmt.Print(report)
	_ = os.MkdirAll(filepath.Join(repoRoot(), "build"), 0o755)
	if err := os.WriteFile(filepath.Join(repoRoot(), "build", name), []byte(report), 0o644); err != nil {
		b.Error(err)
	}
}
