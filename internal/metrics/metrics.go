// Package metrics holds saasbridge's Prometheus metrics: the project's own counters and
// histograms (webhooks, API calls, token refreshes, workflow outcomes) and the Temporal SDK's
// metrics, all in one private registry served by one HTTP handler.
//
// Labels are low-cardinality by construction: callers pass constants (sources, reasons,
// kinds, endpoint templates), never IDs, tokens or URLs. Values that do not look like such a
// constant, and outcomes outside the known sets, are recorded as "other", so a mistake shows
// up as an odd label value instead of an unbounded number of series.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// Namespace prefixes every project metric.
const Namespace = "saasbridge"

// Values of the api label.
const (
	APIHighLevel  = "highlevel"
	APIActionstep = "actionstep"
)

// Webhook rejection reasons (the reason label of saasbridge_webhooks_rejected_total). Other
// snake_case reasons are accepted as they are.
const (
	ReasonSignature   = "signature"
	ReasonStale       = "stale"
	ReasonMalformed   = "malformed"
	ReasonContentType = "content_type"
	ReasonTooLarge    = "too_large"
	ReasonInvalid     = "invalid"
	ReasonUnavailable = "unavailable"
	// ReasonTimestampMissing: a signed event without the timestamp replay protection
	// needs. (A webhook without webhookId is accepted, keyed by a hash of its bytes.)
	ReasonTimestampMissing = "timestamp_missing"
)

// Outcomes of an accepted webhook (the outcome label of saasbridge_webhooks_accepted_total).
const (
	WebhookOutcomeAccepted  = "accepted"
	WebhookOutcomeDuplicate = "duplicate"
	WebhookOutcomeIgnored   = "ignored"
	// WebhookOutcomeForeign is a verified event for a company outside the allowlist:
	// acknowledged so that HighLevel stops redelivering, and otherwise ignored.
	WebhookOutcomeForeign = "foreign"
	// WebhookOutcomeUnmatched is a verified event no location matched (a Stripe
	// customer no served location has): kept for an operator (`starter stripe
	// unmatched`), not handed to any owner.
	WebhookOutcomeUnmatched = "unmatched"
)

// Outcomes of a token refresh (the outcome label of saasbridge_token_refreshes_total).
const (
	RefreshOK              = "ok"
	RefreshSuspended       = "suspended"
	RefreshReconnectNeeded = "reconnect_needed"
	RefreshError           = "error"
)

// Outcomes of a workflow run (the outcome label of saasbridge_workflow_outcomes_total).
const (
	WorkflowCompleted      = "completed"
	WorkflowFailed         = "failed"
	WorkflowContinuedAsNew = "continued_as_new"
	WorkflowCanceled       = "canceled"
)

// Other replaces a label value that is not one of the expected ones.
const Other = "other"

// Metrics owns a Prometheus registry and every collector in it. Its recording methods are safe
// for concurrent use and are no-ops on a nil *Metrics, so optional wiring needs no guards.
type Metrics struct {
	reg    *prometheus.Registry
	logger *zap.Logger

	webhooksReceived *prometheus.CounterVec
	webhooksRejected *prometheus.CounterVec
	webhooksAccepted *prometheus.CounterVec
	webhooksVerified *prometheus.CounterVec
	apiRequests      *prometheus.CounterVec
	apiDuration      *prometheus.HistogramVec
	apiRateLimited   *prometheus.CounterVec
	tokenRefreshes   *prometheus.CounterVec
	workflowOutcomes *prometheus.CounterVec
	sdkMetricErrors  prometheus.Counter

	locationEvents     *prometheus.CounterVec
	rateLimitRemaining *prometheus.GaugeVec
	rateLimitMax       *prometheus.GaugeVec

	temporal temporalState
}

// Option configures New.
type Option func(*Metrics)

// WithLogger logs problems the metrics pipeline cannot report otherwise (an SDK metric that
// Prometheus refuses to register). Without it they are only counted.
func WithLogger(l *zap.Logger) Option { return func(m *Metrics) { m.logger = l } }

// New builds a registry with the Go runtime and process collectors and the project's
// metrics. Call Close when done if TemporalHandler was used.
func New(opts ...Option) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), logger: zap.NewNop()}
	for _, o := range opts {
		o(m)
	}
	if m.logger == nil {
		m.logger = zap.NewNop()
	}
	m.temporal.flushInterval = DefaultTemporalFlushInterval
	m.newEventMetrics()
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.webhooksReceived, m.webhooksRejected, m.webhooksAccepted, m.webhooksVerified,
		m.apiRequests, m.apiDuration, m.apiRateLimited,
		m.tokenRefreshes, m.workflowOutcomes, m.sdkMetricErrors,
	)
	m.newStateMetrics()
	m.startKnownSeries()
	return m
}

// newEventMetrics creates the counters and the histogram of what happens: webhooks, API
// calls, token refreshes, workflow outcomes and the SDK metrics dropped.
func (m *Metrics) newEventMetrics() {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	}
	m.webhooksReceived = counter("webhooks_received_total", "Webhook requests received, before any check.", "source")
	m.webhooksRejected = counter("webhooks_rejected_total", "Webhook requests rejected, by reason.", "source", "reason")
	m.webhooksAccepted = counter("webhooks_accepted_total", "Webhook requests answered 2xx, by outcome (accepted, duplicate, ignored, foreign).", "source", "outcome")
	m.webhooksVerified = counter("webhooks_verified_total", "Webhook requests whose signature verified, by the scheme that verified it (ed25519, rsa-sha256, hmac-sha256).", "source", "scheme")
	m.apiRequests = counter("api_requests_total", "Outbound API requests, by endpoint template and status class (2xx, 4xx, 429, 5xx; error = transport failure).", "api", "endpoint", "status")
	m.apiDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace,
		Name:      "api_request_duration_seconds",
		Help:      "Outbound API request duration, including transport failures.",
		Buckets:   []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"api", "endpoint"})
	m.apiRateLimited = counter("api_rate_limited_total", "Outbound API requests answered 429 Too Many Requests.", "api")
	m.tokenRefreshes = counter("token_refreshes_total", "OAuth token refreshes, by credential kind and outcome (ok, suspended, reconnect_needed, error).", "kind", "outcome")
	m.workflowOutcomes = counter("workflow_outcomes_total", "Workflow runs that ended on this worker, by workflow type and outcome (not counted during replay).", "workflow", "outcome")
	m.sdkMetricErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace,
		Name:      "temporal_metric_errors_total",
		Help:      "Temporal SDK metrics that could not be registered with Prometheus and are dropped.",
	})
}

// startKnownSeries creates the series of known label values at 0, so that rate() and
// increase() see a series before the first event (the alerts compare against them).
func (m *Metrics) startKnownSeries() {
	for _, kind := range []tokens.Kind{tokens.KindHighLevelAgency, tokens.KindHighLevelLocation, tokens.KindActionstep} {
		for _, outcome := range refreshOutcomes {
			m.tokenRefreshes.WithLabelValues(string(kind), outcome)
		}
	}
	for _, api := range []string{APIHighLevel, APIActionstep} {
		m.apiRateLimited.WithLabelValues(api)
	}
	for _, source := range []string{"highlevel", "billing"} {
		m.webhooksReceived.WithLabelValues(source)
		for _, outcome := range webhookOutcomes {
			m.webhooksAccepted.WithLabelValues(source, outcome)
		}
		for _, reason := range []string{ReasonSignature, ReasonStale, ReasonMalformed, ReasonInvalid} {
			m.webhooksRejected.WithLabelValues(source, reason)
		}
	}
}

// Registry is the registry behind Handler, for registering collectors of other packages.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves every metric (the project's and the Temporal SDK's) in the Prometheus
// exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// WebhookReceived counts a webhook request as it arrives, before any check.
func (m *Metrics) WebhookReceived(source string) {
	if m == nil {
		return
	}
	m.webhooksReceived.WithLabelValues(label(source)).Inc()
}

// WebhookRejected counts a webhook request refused for reason (one of the Reason constants
// or another snake_case word; never an error message).
func (m *Metrics) WebhookRejected(source, reason string) {
	if m == nil {
		return
	}
	m.webhooksRejected.WithLabelValues(label(source), label(reason)).Inc()
}

// WebhookVerified counts a webhook request whose signature verified, by scheme (a
// highlevel.Scheme, or "hmac-sha256" for billing events), so that traffic still relying on
// a legacy scheme shows before the scheme is switched off.
func (m *Metrics) WebhookVerified(source, scheme string) {
	if m == nil {
		return
	}
	m.webhooksVerified.WithLabelValues(label(source), label(scheme)).Inc()
}

// WebhookAccepted counts a webhook request answered 2xx: accepted, duplicate, ignored,
// foreign or unmatched.
func (m *Metrics) WebhookAccepted(source, outcome string) {
	if m == nil {
		return
	}
	m.webhooksAccepted.WithLabelValues(label(source), oneOf(outcome, webhookOutcomes)).Inc()
}

// APICall records one finished outbound request. endpoint is the client's endpoint template
// (e.g. "GET /participants/{id}") and is used as is; status is the HTTP status code, 0 for a
// transport failure.
func (m *Metrics) APICall(api, endpoint string, status int, d time.Duration) {
	if m == nil {
		return
	}
	api = label(api)
	if endpoint == "" {
		endpoint = "unknown"
	}
	m.apiRequests.WithLabelValues(api, endpoint, StatusClass(status)).Inc()
	m.apiDuration.WithLabelValues(api, endpoint).Observe(d.Seconds())
	if status == http.StatusTooManyRequests {
		m.apiRateLimited.WithLabelValues(api).Inc()
	}
}

// HighLevelObserver adapts APICall to highlevel.WithObserver.
func (m *Metrics) HighLevelObserver() func(highlevel.Call) {
	return func(c highlevel.Call) { m.APICall(APIHighLevel, c.Endpoint, c.StatusCode, c.Duration) }
}

// ActionstepObserver adapts APICall to actionstep.WithObserver.
func (m *Metrics) ActionstepObserver() func(httpapi.Call) {
	return func(c httpapi.Call) { m.APICall(APIActionstep, c.Endpoint, c.StatusCode, c.Duration) }
}

// TokenRefresh counts one token refresh of a credential kind (e.g. "highlevel/location") with
// outcome ok, suspended, reconnect_needed or error.
func (m *Metrics) TokenRefresh(kind, outcome string) {
	if m == nil {
		return
	}
	m.tokenRefreshes.WithLabelValues(label(kind), oneOf(outcome, refreshOutcomes)).Inc()
}

// StatusClass maps an HTTP status to the status label: "error" for 0 (transport failure),
// "429" kept apart, otherwise the class ("2xx", "4xx", "5xx"…), and "other" for anything
// that is not an HTTP status.
func StatusClass(status int) string {
	switch {
	case status == 0:
		return "error"
	case status == http.StatusTooManyRequests:
		return "429"
	case status >= 100 && status <= 599:
		return strconv.Itoa(status/100) + "xx"
	default:
		return Other
	}
}

var (
	webhookOutcomes = []string{WebhookOutcomeAccepted, WebhookOutcomeDuplicate, WebhookOutcomeIgnored, WebhookOutcomeForeign, WebhookOutcomeUnmatched}
	refreshOutcomes = []string{RefreshOK, RefreshSuspended, RefreshReconnectNeeded, RefreshError}
)

func oneOf(v string, allowed []string) string {
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	return Other
}

// maxLabelLen bounds a free-form label value; constants are far shorter.
const maxLabelLen = 40

// label passes v through when it looks like a constant (lower-case letters, digits and
// "_./-", at most maxLabelLen bytes) and returns Other otherwise, so an error message, URL
// or token passed by mistake does not become a label value.
func label(v string) string {
	if v == "" || len(v) > maxLabelLen {
		return Other
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '.', c == '/', c == '-':
		default:
			return Other
		}
	}
	return v
}

// temporalState is the lazily built tally pipeline behind TemporalHandler.
type temporalState struct {
	mu            sync.Mutex
	flushInterval time.Duration
	closed        bool
	pipeline      *temporalPipeline
}
