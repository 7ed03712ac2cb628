package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// hiddenLimit is the Actionstep simulator's limit for BenchmarkActionstepPacing: it
// changes every phase, and nothing in an answer says so (as Actionstep's "adjusts
// dynamically"). The windows are short so that a phase's figure is about that phase.
var hiddenLimit = []actionstepsim.RatePhase{
	{Max: 25, Window: actionstepsim.Duration(10 * time.Second), For: actionstepsim.Duration(60 * time.Second)},
	{Max: 60, Window: actionstepsim.Duration(10 * time.Second), For: actionstepsim.Duration(60 * time.Second)},
	{Max: 15, Window: actionstepsim.Duration(10 * time.Second), For: actionstepsim.Duration(60 * time.Second)},
}

// BenchmarkActionstepPacing measures how closely the workers' adaptive Actionstep rate
// follows a hidden limit that changes on a schedule (hiddenLimit, one cycle): two
// workers with default settings (ACTIONSTEP_RATE_CEILING 20/s) onboard
// SAASBRIDGE_BENCH_PACING_N locations of one agency (default 110: enough Actionstep work
// to keep the limit busy for the whole cycle), HighLevel at its documented limit. For
// each phase: the Actionstep calls answered (not 429) per second against the limit, and
// the share of 429s. The first seconds of the first phase go to the HighLevel steps that
// come before any Actionstep call. `make bench` writes build/bench-pacing.md.
func BenchmarkActionstepPacing(b *testing.B) {
	s := need(b)
	n := envInt("SAASBRIDGE_BENCH_PACING_N", 110)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	s.restartWorkers(b, 2)
	var rows []string
	for b.Loop() {
		rows = s.pacingRows(ctx, b, n)
	}
	writeReport(b, "bench-pacing.md", fmt.Sprintf(`| hidden Actionstep limit, phase (2 workers, default settings, %d onboardings) | limit | answered calls/s | vs limit | 429s (share of calls) |
|---|---|---|---|---|
%s
`, n, strings.Join(rows, "\n")))
}

// pacingRows sets the hidden limit, installs n locations, reads the Actionstep calls of
// one cycle, then restores the stack's limit and waits until every location is active.
func (s *stack) pacingRows(ctx context.Context, b *testing.B, n int) []string {
	b.Helper()
	if err := s.asAdmin.ResetCalls(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := s.asAdmin.SetRateLimit(ctx, actionstepsim.RateLimit{Schedule: hiddenLimit}); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	locs := s.bulkInstall(ctx, b, n)
	var cycle time.Duration
	for _, p := range hiddenLimit {
		cycle += time.Duration(p.For)
	}
	time.Sleep(time.Until(t0.Add(cycle)))
	report, err := s.asAdmin.Calls(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.asAdmin.SetRateLimit(ctx, stackActionstepLimit); err != nil {
		b.Fatal(err)
	}
	rows := phaseRows(report, t0)
	waitAllActive(ctx, b, s.facts(b), locs, 10*time.Minute)
	s.requireOneOfEach(ctx, b, locs)
	return rows
}

// phaseRows formats one row per phase of hiddenLimit and one for the whole cycle.
func phaseRows(r simkit.CallReport, t0 time.Time) []string {
	var rows []string
	var okAll, tooManyAll int
	var limitSum float64
	start := t0
	for i, p := range hiddenLimit {
		end := start.Add(time.Duration(p.For))
		ok, tooMany := callsBetween(r, start, end)
		limit := float64(p.Max) / time.Duration(p.Window).Seconds()
		rate := float64(ok) / time.Duration(p.For).Seconds()
		rows = append(rows, fmt.Sprintf("| %d: %d per %s for %s | %.1f/s | %.1f/s | %.0f%% | %d (%.1f%%) |",
			i+1, p.Max, time.Duration(p.Window), time.Duration(p.For), limit, rate, 100*rate/limit,
			tooMany, 100*float64(tooMany)/float64(max(ok+tooMany, 1))))
		okAll, tooManyAll, limitSum = okAll+ok, tooManyAll+tooMany, limitSum+limit*time.Duration(p.For).Seconds()
		start = end
	}
	secs := start.Sub(t0).Seconds()
	rows = append(rows, fmt.Sprintf("| whole cycle | %.1f/s | %.1f/s | %.0f%% | %d (%.1f%%) |",
		limitSum/secs, float64(okAll)/secs, 100*float64(okAll)/limitSum,
		tooManyAll, 100*float64(tooManyAll)/float64(max(okAll+tooManyAll, 1))))
	return rows
}

// callsBetween counts the Actionstep API calls (not the token endpoint's) in [from, to):
// those answered other than 429, and the 429s.
func callsBetween(r simkit.CallReport, from, to time.Time) (ok, tooMany int) {
	for _, c := range r.Calls {
		if c.Endpoint == asTokenEndpoint || c.Time.Before(from) || !c.Time.Before(to) {
			continue
		}
		if c.Status == 429 {
			tooMany++
		} else {
			ok++
		}
	}
	return ok, tooMany
}
