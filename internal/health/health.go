// Package health serves liveness and readiness probes.
//
// GET /healthz answers 200 "ok" whenever the process can serve HTTP: it checks nothing, so
// an orchestrator restarts the process only when it is really stuck. GET /readyz runs every
// Check concurrently under one timeout and answers 200 or 503 with a JSON body naming each
// check's result, so traffic (webhooks) is withheld while a dependency is down.
//
// The readiness body is visible to whoever can reach the probe port, so a Check's error
// must be safe to show: IDs, hosts and gRPC codes, never tokens, secrets or raw bodies.
// As a second line of defence, URL credentials and password=… pairs are redacted and each
// message is cut to one short line.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"

	"go.temporal.io/sdk/client"
)

// DefaultTimeout bounds a readiness run when Handler is given no positive timeout.
const DefaultTimeout = 5 * time.Second

// Check reports whether one dependency is usable. It must honour ctx.
type Check func(ctx context.Context) error

// Readiness body values.
const (
	StatusReady   = "ready"
	StatusUnready = "unready"
	CheckOK       = "ok"
)

// Report is the JSON body of /readyz.
type Report struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// Handler serves GET (and HEAD) /healthz and /readyz. checks maps a name (e.g. "temporal",
// "token_store") to its Check; the map is copied. timeout bounds every /readyz run.
func Handler(checks map[string]Check, timeout time.Duration) http.Handler {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := make(map[string]Check, len(checks))
	for name, check := range checks {
		if check != nil {
			c[name] = check
		}
	}
	h := &handler{checks: c, timeout: timeout}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", live)
	mux.HandleFunc("GET /readyz", h.ready)
	return mux
}

type handler struct {
	checks  map[string]Check
	timeout time.Duration
}

func live(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok"))
}

func (h *handler) ready(w http.ResponseWriter, r *http.Request) {
	rep := h.run(r.Context())
	code := http.StatusOK
	if rep.Status != StatusReady {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(rep)
}

type result struct {
	name string
	err  error
}

// run runs every check concurrently and waits at most the timeout: a check that has not
// answered by then is reported as timed out even if it ignores its context.
func (h *handler) run(ctx context.Context) Report {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()

	results := make(chan result, len(h.checks)) // buffered: late checks never block
	for name, check := range h.checks {
		go func() { results <- result{name: name, err: safeRun(ctx, check)} }()
	}

	rep := Report{Status: StatusReady, Checks: make(map[string]string, len(h.checks))}
	for range h.checks {
		select {
		case res := <-results:
			rep.Checks[res.name] = CheckOK
			if res.err != nil {
				rep.Checks[res.name] = h.message(ctx, res.err)
			}
		case <-ctx.Done():
		}
	}
	for name := range h.checks {
		if _, ok := rep.Checks[name]; !ok {
			rep.Checks[name] = h.message(ctx, ctx.Err())
		}
	}
	for _, msg := range rep.Checks {
		if msg != CheckOK {
			rep.Status = StatusUnready
		}
	}
	return rep
}

// safeRun turns a panicking check into a failure instead of a crashed process.
func safeRun(ctx context.Context, check Check) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("check panicked")
		}
	}()
	return check(ctx)
}

// message renders a check failure for the readiness body.
func (h *handler) message(ctx context.Context, err error) string {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Sprintf("timed out after %s", h.timeout)
		}
		return "canceled: the probe request went away"
	}
	return Sanitize(err.Error())
}

const maxMessageLen = 200

var (
	urlUserinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@`)
	secretPair  = regexp.MustCompile(`(?i)\b(password|passwd|pwd|secret|token|access_token|refresh_token|api_key|apikey|authorization)(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)`)
)

// Sanitize makes an error message fit for the readiness body: one line of printable
// characters, URL credentials and password/secret/token pairs redacted, at most 200 bytes.
func Sanitize(msg string) string {
	msg = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, msg)
	msg = urlUserinfo.ReplaceAllString(msg, "${1}REDACTED@")
	msg = secretPair.ReplaceAllString(msg, "${1}${2}REDACTED")
	if len(msg) > maxMessageLen {
		cut := maxMessageLen
		for cut > 0 && !utf8RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	if msg == "" {
		msg = "failed"
	}
	return msg
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// TemporalCheck asks the Temporal frontend, through c's connection, whether its workflow
// service is serving (the gRPC health protocol).
func TemporalCheck(c client.Client) Check {
	return func(ctx context.Context) error {
		if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			return fmt.Errorf("temporal: %w", err)
		}
		return nil
	}
}

// Pinger is anything that can tell whether it reaches its backend, such as the token store.
type Pinger interface {
	Ping(ctx context.Context) error
}

// PingCheck checks a Pinger (e.g. the token store's database).
func PingCheck(p Pinger) Check {
	return p.Ping
}
