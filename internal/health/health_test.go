package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
)

func ok(context.Context) error { return nil }

func get(t *testing.T, h http.Handler, path string) (*httptest.ResponseRecorder, Report) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var rep Report
	if path == "/readyz" {
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatalf("body %q: %v", rec.Body.String(), err)
		}
	}
	return rec, rep
}

func TestHealthz(t *testing.T) {
	h := Handler(map[string]Check{"never": func(context.Context) error { return errors.New("down") }}, time.Second)
	rec, _ := get(t, h, "/healthz")
	if rec.Code != http.StatusOK || rec.Body.String() != "ok" {
		t.Errorf("healthz = %d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("HEAD /readyz = %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/other", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET /other = %d", rec.Code)
	}
}

func TestReady(t *testing.T) {
	h := Handler(map[string]Check{"temporal": ok, "token_store": ok}, time.Second)
	rec, rep := get(t, h, "/readyz")
	if rec.Code != http.StatusOK {
		t.Errorf("status %d", rec.Code)
	}
	want := `{"status":"ready","checks":{"temporal":"ok","token_store":"ok"}}`
	if got := strings.TrimSpace(rec.Body.String()); got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if rep.Status != StatusReady {
		t.Errorf("report %+v", rep)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("cache control %q", cc)
	}
}

func TestNoChecksIsReady(t *testing.T) {
	rec, _ := get(t, Handler(nil, 0), "/readyz")
	if got := strings.TrimSpace(rec.Body.String()); rec.Code != http.StatusOK || got != `{"status":"ready","checks":{}}` {
		t.Errorf("= %d %s", rec.Code, got)
	}
}

func TestUnready(t *testing.T) {
	h := Handler(map[string]Check{
		"temporal":    ok,
		"token_store": func(context.Context) error { return errors.New("database is locked") },
		"panics":      func(context.Context) error { panic("boom") },
	}, time.Second)
	rec, rep := get(t, h, "/readyz")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d", rec.Code)
	}
	want := Report{Status: StatusUnready, Checks: map[string]string{
		"temporal": "ok", "token_store": "database is locked", "panics": "check panicked",
	}}
	if rep.Status != want.Status || len(rep.Checks) != 3 {
		t.Fatalf("report %+v", rep)
	}
	for k, v := range want.Checks {
		if rep.Checks[k] != v {
			t.Errorf("%s = %q, want %q", k, rep.Checks[k], v)
		}
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h := Handler(map[string]Check{
		"temporal": ok,
		// Honours ctx.
		"slow": func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		},
		// Ignores ctx: the handler must not wait for it.
		"stuck": func(context.Context) error {
			<-release
			return nil
		},
	}, 50*time.Millisecond)
	start := time.Now()
	rec, rep := get(t, h, "/readyz")
	if d := time.Since(start); d > time.Second {
		t.Errorf("readyz took %s", d)
	}
	if rec.Code != http.StatusServiceUnavailable || rep.Status != StatusUnready {
		t.Errorf("= %d %+v", rec.Code, rep)
	}
	for _, name := range []string{"slow", "stuck"} {
		if rep.Checks[name] != "timed out after 50ms" {
			t.Errorf("%s = %q", name, rep.Checks[name])
		}
	}
	if rep.Checks["temporal"] != "ok" {
		t.Errorf("temporal = %q", rep.Checks["temporal"])
	}
}

func TestChecksRunConcurrently(t *testing.T) {
	const n = 5
	var started atomic.Int32
	all := make(chan struct{})
	checks := map[string]Check{}
	for i := range n {
		checks[string(rune('a'+i))] = func(ctx context.Context) error {
			if started.Add(1) == n {
				close(all)
			}
			// Each check waits for all others to start: only concurrency gets past this.
			select {
			case <-all:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	rec, rep := get(t, Handler(checks, 2*time.Second), "/readyz")
	if rec.Code != http.StatusOK {
		t.Errorf("= %d %+v", rec.Code, rep)
	}
}

func TestRequestCanceled(t *testing.T) {
	h := Handler(map[string]Check{"slow": func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}}, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil).WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "canceled") {
		t.Errorf("= %d %s", rec.Code, rec.Body.String())
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"dial tcp 10.0.0.1:5432: connection refused":          "dial tcp 10.0.0.1:5432: connection refused",
		"connect postgres://saas:hunter2@db:5432/x failed":    "connect postgres://REDACTED@db:5432/x failed",
		"bad dsn host=db user=saas password=hunter2 dbname=x": "bad dsn host=db user=saas password=REDACTED dbname=x",
		`token: "abc def" rejected`:                           "token: REDACTED rejected",
		"line one\nline two":                                  "line one line two",
		"":                                                    "failed",
		"refresh_token=eyJhbGciOiJIUzI1NiJ9.payload.sig and more text": "refresh_token=REDACTED and more text",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
	long := Sanitize(strings.Repeat("é", 300))
	if len(long) > maxMessageLen+len("…") || !strings.HasSuffix(long, "…") || !strings.HasPrefix(long, "éé") {
		t.Errorf("long message not cut cleanly: %d bytes", len(long))
	}
}

func TestSecretsNeverInBody(t *testing.T) {
	h := Handler(map[string]Check{"token_store": func(context.Context) error {
		return errors.New("open postgres://app:s3cr3t@db/tokens: password=s3cr3t refused")
	}}, time.Second)
	rec, _ := get(t, h, "/readyz")
	if strings.Contains(rec.Body.String(), "s3cr3t") {
		t.Errorf("secret leaked: %s", rec.Body.String())
	}
}

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func TestPingCheck(t *testing.T) {
	if err := PingCheck(pinger{})(context.Background()); err != nil {
		t.Error(err)
	}
	want := errors.New("sql: database is closed")
	if err := PingCheck(pinger{want})(context.Background()); !errors.Is(err, want) {
		t.Errorf("err = %v", err)
	}
}

func TestTemporalCheck(t *testing.T) {
	c := &mocks.Client{}
	c.On("CheckHealth", mock.Anything, &client.CheckHealthRequest{}).Return(&client.CheckHealthResponse{}, nil).Once()
	down := errors.New("health check error: connection refused")
	c.On("CheckHealth", mock.Anything, &client.CheckHealthRequest{}).Return(nil, down).Once()

	check := TemporalCheck(c)
	if err := check(context.Background()); err != nil {
		t.Errorf("healthy: %v", err)
	}
	if err := check(context.Background()); !errors.Is(err, down) || !strings.HasPrefix(err.Error(), "temporal: ") {
		t.Errorf("unhealthy: %v", err)
	}
	c.AssertExpectations(t)
}
