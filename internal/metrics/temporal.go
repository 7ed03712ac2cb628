package metrics

import (
	"io"
	"time"

	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.uber.org/zap"
)

// DefaultTemporalFlushInterval is how often buffered SDK counters and gauges are pushed into
// the Prometheus registry. Timers are recorded directly.
const DefaultTemporalFlushInterval = time.Second

// sdkTimerBuckets are the histogram buckets (seconds) of the SDK's timers: from gRPC request
// latencies up to long activities and workflow end-to-end times.
var sdkTimerBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600}

type temporalPipeline struct {
	handler client.MetricsHandler
	closer  io.Closer
}

// TemporalHandler returns the handler for client.Options.MetricsHandler. The SDK's metrics
// go through tally into the same registry Handler serves, with Prometheus-safe names and
// suffixes (temporal_request_total, temporal_activity_execution_latency_seconds…; the SDK
// already prefixes its names with "temporal_"). Timers become histograms.
//
// The first call starts tally's flush loop; Close stops it. Every call returns the same
// handler; after Close it returns a no-op handler.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	t := &m.temporal
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return client.MetricsNopHandler
	}
	if t.pipeline == nil {
		t.pipeline = m.newTemporalPipeline(t.flushInterval)
	}
	return t.pipeline.handler
}

func (m *Metrics) newTemporalPipeline(interval time.Duration) *temporalPipeline {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:              m.reg,
		Gatherer:                m.reg,
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: sdkTimerBuckets,
		// The default panics. A metric the SDK emits with two different tag sets (it has
		// happened: sdk-go#1450) must not take the worker down; it is dropped and counted.
		OnRegisterError: func(err error) {
			m.sdkMetricErrors.Inc()
			m.logger.Warn("temporal SDK metric dropped", zap.Error(err))
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		// tally's own cardinality gauges are noise here.
		OmitCardinalityMetrics: true,
	}, interval)
	return &temporalPipeline{
		handler: sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)),
		closer:  closer,
	}
}

// Close stops the SDK metrics flush loop after a last flush. Close the Temporal client and
// worker first so their final metrics are included. It is safe to call more than once and
// on a nil *Metrics.
func (m *Metrics) Close() error {
	if m == nil {
		return nil
	}
	t := &m.temporal
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	if t.pipeline == nil {
		return nil
	}
	return t.pipeline.closer.Close()
}
