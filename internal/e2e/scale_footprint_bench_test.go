package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saasbridge/saasbridge/workflows"
)

// BenchmarkFootprint measures memory: one fresh worker (default settings) after
// SAASBRIDGE_BENCH_OWNERS location owners (default 1,000) have each handled one event
// and wait, idle, for the next (an Update-with-Start check each, concurrency 32: the
// owner stays open and cached on the worker); then the starter while it takes the same
// number of signed webhooks through the gateway (concurrency 32). Resident sizes are
// read from /proc: now (after a settle of 5 s) and the peak (VmHWM) since the process
// started. `make bench` writes build/bench-footprint.md.
func BenchmarkFootprint(b *testing.B) {
	s := need(b)
	n := envInt("SAASBRIDGE_BENCH_OWNERS", 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var rows []string
	for b.Loop() {
		s.restartWorkers(b, 1)
		idle := s.openIdleOwners(ctx, b, n)
		time.Sleep(5 * time.Second)
		rows = append(rows, memRow(b, fmt.Sprintf("worker, %d idle location owners (%d errors)", n, idle.errors), s.workers[0]))
		hwm0 := vmKB(b, s.starter, "VmHWM:")
		load := s.loadGateway(ctx, b, n, 32, "footprint")
		rows = append(rows, memRow(b, fmt.Sprintf("starter, after %d webhooks at %.0f/s (%d errors); peak before the load %d MiB",
			n, float64(load.n)/load.wall.Seconds(), load.errors, hwm0/1024), s.starter))
	}
	writeReport(b, "bench-footprint.md", fmt.Sprintf(`| process (dev server, default settings) | RSS now | peak RSS |
|---|---|---|
%s
`, strings.Join(rows, "\n")))
}

// openIdleOwners starts n owners, each with one handled check, and waits for each.
func (s *stack) openIdleOwners(ctx context.Context, b *testing.B, n int) sample {
	prefix := "idle" + randHex(3)
	return drive(n, 32, func(i int) error {
		loc := benchLocation(prefix, i)
		_, err := workflows.ApplyLocationEvent(ctx, s.temporal, loc, s.companyID, workflows.LocationEvent{
			EventID: "bench/" + loc, Kind: workflows.EventCheck, Source: "bench", OccurredAt: time.Now().UTC(),
		})
		return err
	})
}

func memRow(b *testing.B, label string, p *proc) string {
	return fmt.Sprintf("| %s | %d MiB | %d MiB |", label, vmKB(b, p, "VmRSS:")/1024, vmKB(b, p, "VmHWM:")/1024)
}

// vmKB reads one kB field of a process's /proc status.
func vmKB(b testing.TB, p *proc, field string) int {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, p.cmd.Process.Pid)
	return 0
}
