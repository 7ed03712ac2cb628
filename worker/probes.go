package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/health"
	"github.com/saasbridge/saasbridge/internal/metrics"
)

// probe GETs url and succeeds on 200. In the starter's container OPERATOR_AUTH_TOKEN is
// set, and its first token authenticates the probe to the operator listener.
func probe(url string) int {
	c := &http.Client{Timeout: 5 * time.Second}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 1
	}
	if tok, _, _ := strings.Cut(os.Getenv("OPERATOR_AUTH_TOKEN"), ","); strings.TrimSpace(tok) != "" {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tok))
	}
	resp, err := c.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "probe:", resp.Status)
		return 1
	}
	return 0
}

// serveProbes serves /metrics, /healthz and /readyz; the returned func stops it.
func serveProbes(addr string, m *metrics.Metrics, checks map[string]health.Check, logger *zap.Logger) (func(), error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	probes := health.Handler(checks, 3*time.Second)
	mux.Handle("/healthz", probes)
	mux.Handle("/readyz", probes)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (WORKER_HTTP_ADDR): %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	logger.Info("worker probes listening", zap.String("addr", ln.Addr().String()))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
