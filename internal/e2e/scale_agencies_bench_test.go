package e2e

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// BenchmarkAgenciesAtOnce measures SAASBRIDGE_BENCH_AGENCIES agencies (default 10) each
// bulk-installing SAASBRIDGE_BENCH_PER_AGENCY locations (default 100) at the same moment,
// through the gateway, the dev server and two workers with default settings, HighLevel
// at its documented limit (100 requests per 10 s per company); Actionstep publishes no
// limit, so its sandbox's is the e2e stack's (out of the way) and the workers' adaptive
// pacing spaces the calls up to its default ceiling (20/s). Each agency's floor is its
// HighLevel agency calls ÷ 10 per second; its throughput is the same calls over the time
// from the installs to its last HighLevel call, and (second figure) from its own first
// HighLevel call to its last, which leaves out the time its owners waited for the
// engine before their first step. Every location must end active.
// `make bench` prints the table and writes build/bench-agencies.md.
func BenchmarkAgenciesAtOnce(b *testing.B) {
	s := need(b)
	agencies, per := envInt("SAASBRIDGE_BENCH_AGENCIES", 10), envInt("SAASBRIDGE_BENCH_PER_AGENCY", 100)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	s.restartWorkers(b, 2)
	companies := s.connectedAgencies(ctx, b, agencies)
	var row string
	for b.Loop() {
		row = s.agenciesRow(ctx, b, companies, per)
	}
	writeReport(b, "bench-agencies.md", fmt.Sprintf(`| agencies × locations installing at once (2 workers, default settings, HighLevel at its documented limit, Actionstep paced up to 20/s) | HighLevel calls per agency | per-agency throughput vs its floor from the installs: min (max) over agencies | the same from each agency's first call | HighLevel 429s (share) | Actionstep calls per onboarding | Actionstep 429s (share) | wall until all active |
|---|---|---|---|---|---|---|---|
%s
`, row))
}

// connectedAgencies creates k agencies, each connected (agency OAuth) with no location.
func (s *stack) connectedAgencies(ctx context.Context, b *testing.B, k int) []string {
	b.Helper()
	var out []string
	for i := range k {
		a := s.newAgency(ctx, b, highlevelsim.AgencySpec{Name: fmt.Sprintf("Bench Agency %d", i)})
		s.connectAgency(ctx, b, a.Agency.ID)
		out = append(out, a.Agency.ID)
	}
	return out
}

// agenciesRow bulk-installs per locations in every company at once, waits until all are
// active and formats the row from the sandboxes' call reports.
func (s *stack) agenciesRow(ctx context.Context, b *testing.B, companies []string, per int) string {
	b.Helper()
	for _, reset := range []func(context.Context) error{s.admin.ResetCalls, s.asAdmin.ResetCalls} {
		if err := reset(ctx); err != nil {
			b.Fatal(err)
		}
	}
	t0 := time.Now()
	byScope, all := s.installEverywhere(ctx, b, companies, per)
	waitAllActive(ctx, b, s.facts(b), all, 50*time.Minute)
	wall := time.Since(t0)
	s.requireOneOfEach(ctx, b, all)
	hl, err := s.admin.Calls(ctx)
	if err != nil {
		b.Fatal(err)
	}
	as, err := s.asAdmin.Calls(ctx)
	if err != nil {
		b.Fatal(err)
	}
	pcts, own, calls, tooMany := perAgencyVsFloor(hl, byScope, t0)
	slices.Sort(pcts)
	slices.Sort(own)
	asCalls, as429 := apiCalls(as, asTokenEndpoint)
	truncated := ""
	if len(hl.Calls) >= simkit.RecentLimit {
		truncated = " (call log truncated: figures cover the last calls only)"
	}
	return fmt.Sprintf("| %d × %d | %d | %.0f%% (%.0f%%)%s | %.0f%% (%.0f%%) | %d (%.2f%%) | %.1f | %d (%.2f%%) | %.0f s |",
		len(companies), per, calls/len(companies), pcts[0], pcts[len(pcts)-1], truncated, own[0], own[len(own)-1],
		tooMany, 100*float64(tooMany)/float64(max(calls, 1)), float64(asCalls)/float64(len(all)),
		as429, 100*float64(as429)/float64(max(asCalls, 1)), wall.Seconds())
}

// installEverywhere bulk-installs per new locations in each company concurrently; it
// returns each call scope (location or company) → its company, and every location.
func (s *stack) installEverywhere(ctx context.Context, b *testing.B, companies []string, per int) (map[string]string, []string) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	byScope := map[string]string{}
	var all []string
	for _, company := range companies {
		byScope[company] = company
		wg.Go(func() {
			res, err := s.admin.BulkInstall(ctx, highlevelsim.BulkInstallRequest{CompanyID: company, Count: per})
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, l := range res.Locations {
				byScope[l.ID] = company
				all = append(all, l.ID)
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return byScope, all
}

// perAgencyVsFloor is, per company, its floor (HighLevel calls ÷ 10/s) as a percentage
// of the time from t0 to its last call, and of the time from its first call to its last
// (own), with the calls and 429s of all companies.
func perAgencyVsFloor(r simkit.CallReport, byScope map[string]string, t0 time.Time) (pcts, own []float64, calls, tooMany int) {
	count := map[string]int{}
	first, last := map[string]time.Time{}, map[string]time.Time{}
	for _, c := range r.Calls {
		company, ok := byScope[c.Scope]
		if !ok || c.Endpoint == highlevel.EndpointToken || c.Time.Before(t0) {
			continue
		}
		if count[company] == 0 || c.Time.Before(first[company]) {
			first[company] = c.Time
		}
		count[company]++
		last[company] = later(last[company], c.Time)
		calls++
		if c.Status == 429 {
			tooMany++
		}
	}
	for company, n := range count {
		floor := float64(n) / 10
		pcts = append(pcts, 100*floor/last[company].Sub(t0).Seconds())
		own = append(own, 100*floor/last[company].Sub(first[company]).Seconds())
	}
	return pcts, own, calls, tooMany
}

// apiCalls counts a call report's calls but the token endpoint's, and their 429s.
func apiCalls(r simkit.CallReport, token string) (calls, tooMany int) {
	for ep := range r.ByEndpoint {
		if ep != token {
			calls += r.Count(ep, 0)
			tooMany += r.Count(ep, 429)
		}
	}
	return calls, tooMany
}

// requireOneOfEach fails the bench unless each location has exactly one Actionstep
// client and one matter: a figure bought with duplicates is no figure.
func (s *stack) requireOneOfEach(ctx context.Context, b testing.TB, locs []string) {
	b.Helper()
	v := s.actionstep(ctx, b)
	for _, loc := range locs {
		if len(v.participants[loc]) != 1 || len(v.matters[loc]) != 1 {
			b.Fatalf("location %s has %d clients and %d matters in Actionstep, not one of each", loc, len(v.participants[loc]), len(v.matters[loc]))
		}
	}
}

// waitAllActive polls the facts until every location is active.
func waitAllActive(ctx context.Context, b testing.TB, known *facts.Store, locs []string, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	left := slices.Clone(locs)
	for len(left) > 0 {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d locations not active after %s", len(left), len(locs), timeout)
		}
		left = slices.DeleteFunc(left, func(loc string) bool {
			l, ok, err := known.Location(ctx, loc)
			if err != nil {
				b.Fatal(err)
			}
			return ok && l.Phase == facts.PhaseActive
		})
		time.Sleep(time.Second)
	}
}
