package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/saasbridge/saasbridge/internal/highlevel"
)

// BenchmarkConcurrentOnboardings measures the wall time of 20 onboardings started at
// once against the sandbox at its documented rate limit (100 per 10 s), through the
// real dev server and the stack's worker (make bench). Each onboarding makes 5 agency
// calls (plus its Actionstep calls, on their own queue); the floor is calls ÷ 10/s.
func BenchmarkConcurrentOnboardings(b *testing.B) {
	s := need(b)
	const n = 20
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		locs := s.addLocations(ctx, b, n)
		before, err := s.admin.Calls(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		results := s.onboardAll(ctx, b, locs, nil)
		wall := time.Since(start)
		b.StopTimer()
		total += wall
		for _, r := range results {
			if r.err != nil {
				b.Fatalf("onboarding %s: %v", r.loc, r.err)
			}
		}
		after, err := s.admin.Calls(ctx)
		if err != nil {
			b.Fatal(err)
		}
		agencyCalls := after.Total - before.Total
		floor := time.Duration(float64(agencyCalls) / 10 * float64(time.Second))
		report := fmt.Sprintf("| %d concurrent onboardings | %d agency calls | wall %.2f s | floor at 10/s %.2f s | %d × 429 | %d successful enable-saas |\n",
			n, agencyCalls, wall.Seconds(), floor.Seconds(), after.TooManyRequests-before.TooManyRequests,
			after.Count(highlevel.EndpointEnableSaaS, 201)-before.Count(highlevel.EndpointEnableSaaS, 201))
		fmt.Print(report)
		_ = os.MkdirAll(filepath.Join(repoRoot(), "build"), 0o755)
		_ = os.WriteFile(filepath.Join(repoRoot(), "build", "bench-onboarding.md"), []byte(report), 0o644)
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/20-onboardings")
}
