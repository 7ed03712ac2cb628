package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

// BenchmarkBulkOnboarding measures a bulk install of N locations (default 200,
// SAASBRIDGE_BENCH_N) through the real gateway, dev server and two worker processes:
// first at HighLevel's documented limit (100 per 10 s per company), against the floor
// that limit sets (agency calls ÷ 10 per second); then with the sandbox's limit and
// the workers' rate raised out of the way, to show the engine's own ceiling on this
// machine. It also reports the workers' peak RSS and CPU seconds per 100 onboardings.
// `make bench` prints the table and writes build/bench-bulk.md.
func BenchmarkBulkOnboarding(b *testing.B) {
	s := need(b)
	n := 200
	if v, err := strconv.Atoi(os.Getenv("SAASBRIDGE_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var rows []string
	for b.Loop() {
		s.restartWorkers(b, 2)
		rows = append(rows, s.bulkRow(ctx, b, n, "documented limit (100/10 s per company), Actionstep paced up to its default ceiling (20/s)"))

		_, err := s.admin.SetRateLimit(ctx, highlevelsim.RateLimit{Max: 1_000_000, Window: highlevelsim.Duration(10 * time.Second), Daily: 1_000_000_000})
		if err != nil {
			b.Fatal(err)
		}
		s.restartWorkers(b, 2, "HIGHLEVEL_RATE_LIMIT=off", "ACTIONSTEP_RATE_CEILING=100000")
		rows = append(rows, s.bulkRow(ctx, b, n, "limits raised out of the way: sandbox's and pacing's (engine ceiling)"))
		if _, err := s.admin.SetRateLimit(ctx, highlevelsim.RateLimit{Max: 100, Window: highlevelsim.Duration(10 * time.Second), Daily: 200000}); err != nil {
			b.Fatal(err)
		}
	}
	report := fmt.Sprintf(`| bulk install of %d locations, 2 workers | agency calls | wall | floor (calls ÷ 10/s) | throughput vs floor | 429s (share of calls) | worker peak RSS | worker CPU s / 100 onboardings |
|---|---|---|---|---|---|---|---|
%s
`, n, strings.Join(rows, "\n"))
	writeReport(b, "bench-bulk.md", report)
}

// restartWorkers replaces the stack's workers with k fresh ones.
func (s *stack) restartWorkers(b testing.TB, k int, env ...string) {
	for _, w := range s.workers {
		w.stop(30 * time.Second)
	}
	s.workers = nil
	for range k {
		if err := s.startWorker(context.Background(), env...); err != nil {
			b.Fatal(err)
		}
	}
}

// bulkRow runs one bulk install and formats its table row.
func (s *stack) bulkRow(ctx context.Context, b *testing.B, n int, label string) string {
	b.Helper()
	before, err := s.admin.Calls(ctx)
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := s.workersCPU(b)
	start := time.Now()
	locs := s.bulkInstall(ctx, b, n)
	s.waitSomeOnboarded(ctx, b, locs, n)
	wall := time.Since(start)
	cpu := s.workersCPU(b) - cpu0
	after, err := s.admin.Calls(ctx)
	if err != nil {
		b.Fatal(err)
	}
	agency := 0
	for ep := range after.ByEndpoint {
		if ep == highlevel.EndpointToken {
			continue // the token endpoint is not rate limited
		}
		agency += after.Count(ep, 0) - before.Count(ep, 0)
	}
	tooMany := after.TooManyRequests - before.TooManyRequests
	floor := time.Duration(float64(agency) / 10 * float64(time.Second))
	return fmt.Sprintf("| %s | %d | %.1f s | %.1f s | %.0f%% | %d (%.2f%%) | %s | %.1f |",
		label, agency, wall.Seconds(), floor.Seconds(), 100*floor.Seconds()/wall.Seconds(),
		tooMany, 100*float64(tooMany)/float64(max(agency, 1)), s.workersPeakRSS(b), cpu.Seconds()/float64(n)*100)
}

// workersCPU is the user+system CPU time the worker processes have used so far.
func (s *stack) workersCPU(b testing.TB) time.Duration {
	var total time.Duration
	for _, w := range s.workers {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", w.cmd.Process.Pid))
		if err != nil {
			b.Fatal(err)
		}
		// Fields after the command name (which may contain spaces) start at ") ".
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		total += time.Duration(utime+stime) * time.Second / 100 // USER_HZ
	}
	return total
}

// workersPeakRSS lists the worker processes' peak resident set sizes.
func (s *stack) workersPeakRSS(b testing.TB) string {
	var out []string
	for _, w := range s.workers {
		out = append(out, fmt.Sprintf("%d MiB", vmKB(b, w, "VmHWM:")/1024))
	}
	return strings.Join(out, ", ")
}
