package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape status %d", rec.Code)
	}
	b, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWebhooks(t *testing.T) {
	m := New()
	m.WebhookReceived("highlevel")
	m.WebhookReceived("highlevel")
	m.WebhookReceived("billing")
	m.WebhookRejected("highlevel", ReasonSignature)
	m.WebhookRejected("highlevel", "hmac mismatch for location abc") // an error message by mistake
	m.WebhookAccepted("highlevel", WebhookOutcomeAccepted)
	m.WebhookAccepted("billing", WebhookOutcomeDuplicate)
	m.WebhookAccepted("billing", "weird")
	m.WebhookAccepted("highlevel", WebhookOutcomeForeign)
	m.WebhookVerified("highlevel", "ed25519")
	m.WebhookVerified("highlevel", "rsa-sha256")
	m.WebhookVerified("highlevel", "rsa-sha256")

	for _, tt := range []struct {
		got  float64
		want float64
	}{
		{testutil.ToFloat64(m.webhooksReceived.WithLabelValues("highlevel")), 2},
		{testutil.ToFloat64(m.webhooksReceived.WithLabelValues("billing")), 1},
		{testutil.ToFloat64(m.webhooksRejected.WithLabelValues("highlevel", "signature")), 1},
		{testutil.ToFloat64(m.webhooksRejected.WithLabelValues("highlevel", Other)), 1},
		{testutil.ToFloat64(m.webhooksAccepted.WithLabelValues("highlevel", "accepted")), 1},
		{testutil.ToFloat64(m.webhooksAccepted.WithLabelValues("billing", "duplicate")), 1},
		{testutil.ToFloat64(m.webhooksAccepted.WithLabelValues("billing", Other)), 1},
		{testutil.ToFloat64(m.webhooksAccepted.WithLabelValues("highlevel", "foreign")), 1},
		{testutil.ToFloat64(m.webhooksVerified.WithLabelValues("highlevel", "ed25519")), 1},
		{testutil.ToFloat64(m.webhooksVerified.WithLabelValues("highlevel", "rsa-sha256")), 2},
	} {
		if tt.got != tt.want {
			t.Errorf("got %v want %v", tt.got, tt.want)
		}
	}
	// The known reasons of both sources start at 0; the message became "other".
	if n := testutil.CollectAndCount(m.webhooksRejected); n != 2*4+1 {
		t.Errorf("rejected series = %d, want the 8 known ones and other", n)
	}

	body := scrape(t, m)
	for _, want := range []string{
		`saasbridge_webhooks_received_total{source="highlevel"} 2`,
		`saasbridge_webhooks_rejected_total{reason="signature",source="highlevel"} 1`,
		`saasbridge_webhooks_accepted_total{outcome="duplicate",source="billing"} 1`,
		`saasbridge_webhooks_verified_total{scheme="rsa-sha256",source="highlevel"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestAPICall(t *testing.T) {
	m := New()
	const ep = "GET /participants/{id}"
	m.APICall(APIActionstep, ep, 200, 100*time.Millisecond)
	m.APICall(APIActionstep, ep, 204, 50*time.Millisecond)
	m.APICall(APIActionstep, ep, 404, time.Millisecond)
	m.APICall(APIActionstep, ep, 429, time.Millisecond)
	m.APICall(APIActionstep, ep, 503, time.Millisecond)
	m.APICall(APIActionstep, ep, 0, 2*time.Second)
	m.APICall(APIActionstep, ep, 999, time.Millisecond)
	m.APICall(APIActionstep, "", 200, time.Millisecond)

	for status, want := range map[string]float64{"2xx": 2, "4xx": 1, "429": 1, "5xx": 1, "error": 1, Other: 1} {
		if got := testutil.ToFloat64(m.apiRequests.WithLabelValues("actionstep", ep, status)); got != want {
			t.Errorf("status %s: got %v want %v", status, got, want)
		}
	}
	if got := testutil.ToFloat64(m.apiRequests.WithLabelValues("actionstep", "unknown", "2xx")); got != 1 {
		t.Errorf("empty endpoint: got %v", got)
	}
	if got := testutil.ToFloat64(m.apiRateLimited.WithLabelValues("actionstep")); got != 1 {
		t.Errorf("rate limited = %v", got)
	}
	// 6 statuses on ep + 1 on "unknown": nothing else was created.
	if n := testutil.CollectAndCount(m.apiRequests); n != 7 {
		t.Errorf("api request series = %d, want 7", n)
	}
	body := scrape(t, m)
	for _, want := range []string{
		`saasbridge_api_request_duration_seconds_count{api="actionstep",endpoint="GET /participants/{id}"} 7`,
		`saasbridge_api_request_duration_seconds_bucket{api="actionstep",endpoint="GET /participants/{id}",le="0.05"} 5`,
		`saasbridge_api_rate_limited_total{api="actionstep"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestStatusClass(t *testing.T) {
	for in, want := range map[int]string{
		0: "error", 100: "1xx", 200: "2xx", 201: "2xx", 301: "3xx", 400: "4xx", 401: "4xx",
		429: "429", 500: "5xx", 599: "5xx", 600: Other, 42: Other, -1: Other,
	} {
		if got := StatusClass(in); got != want {
			t.Errorf("StatusClass(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestObservers(t *testing.T) {
	m := New()
	m.HighLevelObserver()(highlevel.Call{Endpoint: "POST /saas/enable-saas/{locationId}", StatusCode: 201, Duration: time.Second})
	m.HighLevelObserver()(highlevel.Call{Endpoint: "POST /saas/enable-saas/{locationId}", StatusCode: 429})
	m.ActionstepObserver()(httpapi.Call{Endpoint: "PUT /participants/{id}", StatusCode: 0})

	if got := testutil.ToFloat64(m.apiRequests.WithLabelValues("highlevel", "POST /saas/enable-saas/{locationId}", "2xx")); got != 1 {
		t.Errorf("highlevel 2xx = %v", got)
	}
	if got := testutil.ToFloat64(m.apiRateLimited.WithLabelValues("highlevel")); got != 1 {
		t.Errorf("highlevel 429 = %v", got)
	}
	if got := testutil.ToFloat64(m.apiRequests.WithLabelValues("actionstep", "PUT /participants/{id}", "error")); got != 1 {
		t.Errorf("actionstep error = %v", got)
	}
}

func TestTokenRefresh(t *testing.T) {
	m := New()
	m.TokenRefresh("highlevel/location", RefreshOK)
	m.TokenRefresh("highlevel/location", RefreshOK)
	m.TokenRefresh("actionstep", RefreshReconnectNeeded)
	m.TokenRefresh("actionstep", "invalid_grant: refresh token abc revoked")
	m.TokenRefresh("actionstep/Org-42", RefreshSuspended) // a key, not a kind

	for _, tt := range []struct {
		kind, outcome string
		want          float64
	}{
		{"highlevel/location", "ok", 2},
		{"actionstep", "reconnect_needed", 1},
		{"actionstep", Other, 1},
		{Other, "suspended", 1},
	} {
		if got := testutil.ToFloat64(m.tokenRefreshes.WithLabelValues(tt.kind, tt.outcome)); got != tt.want {
			t.Errorf("%s/%s = %v, want %v", tt.kind, tt.outcome, got, tt.want)
		}
	}
}

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{
		"highlevel":                     "highlevel",
		"highlevel/agency":              "highlevel/agency",
		"content_type":                  "content_type",
		"":                              Other,
		"Bearer eyJhbGciOi":             Other,
		"https://api.example.com/x?y=1": Other,
		strings.Repeat("a", 41):         Other,
	} {
		if got := label(in); got != want {
			t.Errorf("label(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.WebhookReceived("x")
	m.WebhookRejected("x", "y")
	m.WebhookAccepted("x", "accepted")
	m.APICall("x", "y", 200, time.Second)
	m.HighLevelObserver()(highlevel.Call{})
	m.ActionstepObserver()(httpapi.Call{})
	m.TokenRefresh("x", "ok")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRuntimeCollectorsAndIsolation(t *testing.T) {
	a, b := New(), New() // no global state: two instances coexist
	a.WebhookReceived("highlevel")
	body := scrape(t, a)
	for _, want := range []string{"go_goroutines", "process_", "saasbridge_webhooks_received_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(scrape(t, b), `saasbridge_webhooks_received_total{source="highlevel"} 1`) {
		t.Error("second instance sees the first one's samples")
	}
}

func TestConcurrentUse(t *testing.T) {
	m := New()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				m.WebhookReceived("highlevel")
				m.APICall(APIHighLevel, "GET /x", 200, time.Millisecond)
				m.TemporalHandler().Counter("c").Inc(1)
			}
		})
	}
	wg.Wait()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(m.webhooksReceived.WithLabelValues("highlevel")); got != 800 {
		t.Errorf("received = %v", got)
	}
}
