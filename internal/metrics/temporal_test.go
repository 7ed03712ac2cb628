package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// fastFlush returns Metrics whose SDK pipeline flushes every few milliseconds.
func fastFlush(t *testing.T, opts ...Option) *Metrics {
	t.Helper()
	m := New(opts...)
	m.temporal.flushInterval = 5 * time.Millisecond
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// eventually scrapes until every want line is present.
func eventually(t *testing.T, m *Metrics, want ...string) string {
	t.Helper()
	var body string
	deadline := time.Now().Add(5 * time.Second)
	for {
		body = scrape(t, m)
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("scrape never showed %q:\n%s", missing, body)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTemporalHandlerExportsThroughRegistry(t *testing.T) {
	m := fastFlush(t)
	h := m.TemporalHandler()
	if h != m.TemporalHandler() {
		t.Error("TemporalHandler is not stable across calls")
	}
	tagged := h.WithTags(map[string]string{"namespace": "default", "operation": "StartWorkflowExecution"})
	tagged.Counter("temporal_request").Inc(3)
	tagged.Timer("temporal_request_latency").Record(30 * time.Millisecond)
	h.WithTags(map[string]string{"task_queue": "saas-bridge.q"}).Gauge("temporal_num_pollers").Update(2)
	h.Counter("temporal.odd-name").Inc(1)
	m.WebhookReceived("highlevel")

	body := eventually(t, m,
		`temporal_request_total{namespace="default",operation="StartWorkflowExecution"} 3`,
		`temporal_request_latency_seconds_bucket{namespace="default",operation="StartWorkflowExecution",le="0.05"} 1`,
		`temporal_num_pollers{task_queue="saas_bridge_q"} 2`,
		`temporal_odd_name_total 1`,
		`saasbridge_webhooks_received_total{source="highlevel"} 1`,
	)
	if strings.Contains(body, "tally_internal") {
		t.Error("tally cardinality metrics are exported")
	}
}

func TestTemporalHandlerCloseFlushes(t *testing.T) {
	m := New()
	m.temporal.flushInterval = time.Hour // only Close can flush
	m.TemporalHandler().Counter("temporal_workflow_completed").Inc(2)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if body := scrape(t, m); !strings.Contains(body, "temporal_workflow_completed_total 2") {
		t.Errorf("final flush missing:\n%s", body)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if m.TemporalHandler() != client.MetricsNopHandler {
		t.Error("TemporalHandler after Close is not a no-op")
	}
}

func TestCloseWithoutTemporalHandler(t *testing.T) {
	m := New()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTemporalRegistrationConflictDoesNotPanic(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	m := fastFlush(t, WithLogger(zap.New(core)))
	h := m.TemporalHandler()
	// The same metric with two different tag sets: Prometheus refuses the second.
	h.WithTags(map[string]string{"a": "1"}).Counter("temporal_conflict").Inc(1)
	h.WithTags(map[string]string{"b": "1"}).Counter("temporal_conflict").Inc(1)
	eventually(t, m, `temporal_conflict_total{a="1"} 1`)
	if got := testutil.ToFloat64(m.sdkMetricErrors); got != 1 {
		t.Errorf("sdk metric errors = %v, want 1", got)
	}
	if logs.FilterMessage("temporal SDK metric dropped").Len() != 1 {
		t.Errorf("logs = %v", logs.All())
	}
}
