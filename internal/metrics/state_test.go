package metrics

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/saasbridge/saasbridge/internal/highlevel"
)

func TestEventsAndRateLimits(t *testing.T) {
	m := New()
	m.LocationEvent("install", "applied")
	m.LocationEvent("change", "parked")
	m.LocationEvent("change", "parked")
	m.HighLevelRateLimit("Spare0123abcDEF", highlevel.RateLimit{Present: true, Max: 100, Remaining: 37})
	m.HighLevelRateLimit("co/../etc", highlevel.RateLimit{Present: true, Max: 100, Remaining: 1})
	m.HighLevelRateLimit("co2", highlevel.RateLimit{}) // no headers: nothing
	for _, tt := range []struct{ got, want float64 }{
		{testutil.ToFloat64(m.locationEvents.WithLabelValues("install", "applied")), 1},
		{testutil.ToFloat64(m.locationEvents.WithLabelValues("change", "parked")), 2},
		{testutil.ToFloat64(m.rateLimitRemaining.WithLabelValues("Spare0123abcDEF")), 37},
		{testutil.ToFloat64(m.rateLimitMax.WithLabelValues("Spare0123abcDEF")), 100},
		{testutil.ToFloat64(m.rateLimitRemaining.WithLabelValues(Other)), 1},
	} {
		if tt.got != tt.want {
			t.Errorf("got %v, want %v", tt.got, tt.want)
		}
	}
	if strings.Contains(scrape(t, m), `company="co2"`) {
		t.Error("an answer without rate-limit headers made a series")
	}
	out := scrape(t, m)
	for _, want := range []string{
		`saasbridge_token_refreshes_total{kind="highlevel/location",outcome="error"} 0`,
		`saasbridge_api_rate_limited_total{api="actionstep"} 0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("not exported from the start: %s", want)
		}
	}
}

// TestWatchers: the store's and the schedules' state are read when scraped, at most
// every 5 s; a read that fails exports nothing; dropped audit entries are counted.
func TestWatchers(t *testing.T) {
	m := New()
	var reads atomic.Int32
	m.WatchStore(func(context.Context) (StoreState, error) {
		reads.Add(1)
		return StoreState{Locations: map[string]int{"active": 3, "paused": 1}, Attention: map[string]int{"parked": 2}, ParkedEvents: 4,
			Credentials: map[string]map[string]int{"highlevel/agency": {"reconnect_needed": 1}}}, nil
	})
	m.WatchSchedules(func(context.Context) ([]ScheduleState, error) {
		return []ScheduleState{{ID: "saasbridge-reconcile", Skipped: map[string]int{"overlap": 2}}}, nil
	})
	m.WatchAuditDrops(func() int64 { return 7 })
	out := scrape(t, m)
	for _, want := range []string{
		`saasbridge_locations{phase="active"} 3`, `saasbridge_locations{phase="paused"} 1`,
		`saasbridge_locations_needing_attention{reason="parked"} 2`, `saasbridge_parked_events 4`,
		`saasbridge_credentials{kind="highlevel/agency",status="reconnect_needed"} 1`,
		`saasbridge_schedule_actions_skipped_total{reason="overlap",schedule="saasbridge-reconcile"} 2`,
		`saasbridge_audit_entries_dropped_total 7`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	scrape(t, m)
	if n := reads.Load(); n != 1 {
		t.Errorf("%d reads for two scrapes within 5 s", n)
	}
	// Past the cache, a failed read exports nothing rather than stale values.
	c := &readCollector[int]{read: func(context.Context) (int, error) { return 0, errors.New("down") }, logger: m.logger}
	c.ok, c.last = true, 5
	c.Collect(make(chan prometheus.Metric, 1))
	if c.ok {
		t.Error("a failed read left the last values exported")
	}
}
