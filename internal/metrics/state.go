package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/highlevel"
)

// What the alerts and the dashboard (deploy/) read beyond the counters of metrics.go:
// the outcome of every event the location owners conclude, HighLevel's rate-limit
// headroom per agency, and gauges read from the store and from Temporal when scraped.

// newStateMetrics registers the event counter and the rate-limit gauges.
func (m *Metrics) newStateMetrics() {
	m.locationEvents = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "location_events_total",
		Help: "Events the location owners concluded, by kind (install, change, check, uninstall) and outcome (applied, parked, superseded, …)."},
		[]string{"kind", "outcome"})
	m.rateLimitRemaining = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "highlevel_rate_limit_remaining",
		Help: "Requests left in HighLevel's burst window for an agency, as its last answer said (X-RateLimit-Remaining)."}, []string{"company"})
	m.rateLimitMax = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "highlevel_rate_limit_max",
		Help: "HighLevel's burst window for an agency, in requests (X-RateLimit-Max)."}, []string{"company"})
	m.reg.MustRegister(m.locationEvents, m.rateLimitRemaining, m.rateLimitMax)
}

// LocationEvent counts one event a location's owner concluded.
func (m *Metrics) LocationEvent(kind, outcome string) {
	if m == nil {
		return
	}
	m.locationEvents.WithLabelValues(label(kind), label(outcome)).Inc()
}

// HighLevelRateLimit records an agency's rate-limit headroom from an answer's headers.
// Agencies are an allowlist (HIGHLEVEL_COMPANY_IDS), so the company label is bounded.
func (m *Metrics) HighLevelRateLimit(companyID string, rl highlevel.RateLimit) {
	if m == nil || !rl.Present || rl.Max <= 0 {
		return
	}
	c := idLabel(companyID)
	m.rateLimitRemaining.WithLabelValues(c).Set(float64(rl.Remaining))
	m.rateLimitMax.WithLabelValues(c).Set(float64(rl.Max))
}

// idLabel passes an id (letters, digits, "-_", at most 64 bytes) through, and returns
// Other for anything else.
func idLabel(v string) string {
	if v == "" || len(v) > 64 {
		return Other
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return Other
		}
	}
	return v
}

// StoreState is what the store says now: locations by phase and by what needs an
// operator, the events parked, and credentials by kind and status.
type StoreState struct {
	Locations    map[string]int
	Attention    map[string]int
	ParkedEvents int
	// Credentials counts by kind, then by status.
	Credentials map[string]map[string]int
}

// ScheduleState is what Temporal says of a schedule: how many of its actions it skipped
// since it was created, by reason (overlap, missed_catchup_window).
type ScheduleState struct {
	ID      string
	Skipped map[string]int
}

// WatchStore exports the store's state, read when scraped (at most every 5 s; the read
// gets 3 s). A read that fails exports nothing and is logged.
func (m *Metrics) WatchStore(read func(context.Context) (StoreState, error)) {
	c := &readCollector[StoreState]{read: read, logger: m.logger, what: "store", descs: []*prometheus.Desc{storeLocations, storeAttention, storeParked, storeCredentials},
		emit: func(s StoreState, ch chan<- prometheus.Metric) {
			for phase, n := range s.Locations {
				ch <- prometheus.MustNewConstMetric(storeLocations, prometheus.GaugeValue, float64(n), label(phase))
			}
			for reason, n := range s.Attention {
				ch <- prometheus.MustNewConstMetric(storeAttention, prometheus.GaugeValue, float64(n), label(reason))
			}
			ch <- prometheus.MustNewConstMetric(storeParked, prometheus.GaugeValue, float64(s.ParkedEvents))
			for kind, byStatus := range s.Credentials {
				for status, n := range byStatus {
					ch <- prometheus.MustNewConstMetric(storeCredentials, prometheus.GaugeValue, float64(n), label(kind), label(status))
				}
			}
		}}
	m.reg.MustRegister(c)
}

// WatchSchedules exports how many actions each schedule skipped, read when scraped.
func (m *Metrics) WatchSchedules(read func(context.Context) ([]ScheduleState, error)) {
	c := &readCollector[[]ScheduleState]{read: read, logger: m.logger, what: "schedules", descs: []*prometheus.Desc{scheduleSkipped},
		emit: func(ss []ScheduleState, ch chan<- prometheus.Metric) {
			for _, s := range ss {
				for reason, n := range s.Skipped {
					ch <- prometheus.MustNewConstMetric(scheduleSkipped, prometheus.CounterValue, float64(n), label(s.ID), label(reason))
				}
			}
		}}
	m.reg.MustRegister(c)
}

// WatchAuditDrops exports how many audit entries a process dropped (the store was
// unreachable for long).
func (m *Metrics) WatchAuditDrops(dropped func() int64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: "audit_entries_dropped_total",
		Help: "Audit entries of API calls and Actionstep records this process dropped because too many waited for the store."},
		func() float64 { return float64(dropped()) }))
}

var (
	storeLocations = prometheus.NewDesc(Namespace+"_locations", "Locations by lifecycle phase (new, onboarding, active, paused, offboarding, uninstalled), from the owners' facts.",
		[]string{"phase"}, nil)
	storeAttention = prometheus.NewDesc(Namespace+"_locations_needing_attention", "Locations that need an operator, by why (parked, retrying, waiting-for-install).",
		[]string{"reason"}, nil)
	storeParked = prometheus.NewDesc(Namespace+"_parked_events", "Events parked for an operator (starter events parked, the console), across every location.",
		nil, nil)
	storeCredentials = prometheus.NewDesc(Namespace+"_credentials", "Stored credentials by kind and status (active, suspended, reconnect_needed).",
		[]string{"kind", "status"}, nil)
	scheduleSkipped = prometheus.NewDesc(Namespace+"_schedule_actions_skipped_total", "Runs a Temporal schedule skipped since it was created, by reason (overlap, missed_catchup_window).",
		[]string{"schedule", "reason"}, nil)
)

// readCollector exports what read returns, reading at most every 5 s however often it
// is scraped.
type readCollector[T any] struct {
	read   func(context.Context) (T, error)
	emit   func(T, chan<- prometheus.Metric)
	descs  []*prometheus.Desc
	logger *zap.Logger
	what   string

	mu   sync.Mutex
	at   time.Time
	last T
	ok   bool
}

func (c *readCollector[T]) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *readCollector[T]) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) >= 5*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		v, err := c.read(ctx)
		cancel()
		c.at, c.ok = time.Now(), err == nil
		if err != nil {
			c.logger.Warn("metrics: could not read the "+c.what, zap.Error(err))
		} else {
			c.last = v
		}
	}
	if c.ok {
		c.emit(c.last, ch)
	}
}
