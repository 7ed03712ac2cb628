package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/health"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/metrics"
	"github.com/saasbridge/saasbridge/internal/payloadcodec"
	"github.com/saasbridge/saasbridge/internal/temporalclient"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	cfg, err := config.LoadStarter()
	if err != nil {
		return err
	}
	logger, err := logging.New(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()

	m := metrics.New(metrics.WithLogger(logger))
	defer func() { _ = m.Close() }()
	store, err := tokens.Open(ctx, cfg.Store.DSN, cfg.Store.EncryptionKey, tokens.WithLogger(logger),
		tokens.WithRefreshObserver(func(kind tokens.Kind, outcome string) { m.TokenRefresh(string(kind), outcome) }))
	if err != nil {
		return fmt.Errorf("open token store: %w", err)
	}
	defer store.Close()
	hl, err := highlevel.New(cfg.HighLevel.BaseURL, cfg.HighLevel.ClientID, cfg.HighLevel.ClientSecret,
		highlevel.WithHTTPClient(&http.Client{Timeout: cfg.HighLevel.RequestTimeout}), highlevel.WithObserver(m.HighLevelObserver()))
	if err != nil {
		return err
	}

	keys, err := payloadcodec.ParseKeys(cfg.Payloads.Keys, cfg.Payloads.KeyID)
	if err != nil {
		return fmt.Errorf("PAYLOAD_ENCRYPTION_KEYS / PAYLOAD_ENCRYPTION_KEY_ID: %w", err)
	}
	// Lazy: the server comes up, and answers webhooks with 429, even while Temporal is down.
	tc, err := temporalclient.Lazy(cfg.Temporal, logger, temporalclient.Deps{
		DataConverter: payloadcodec.DataConverter(keys), Metrics: m.TemporalHandler(),
	})
	if err != nil {
		return err
	}
	defer tc.Close()
	if err := temporalclient.CheckSearchAttributesAtStart(ctx, tc, cfg.Temporal, workflows.SearchAttributes(), logger); err != nil {
		return err
	}
	verifier, err := highlevel.NewWebhookVerifier(cfg.WebhookEd25519Keys, cfg.WebhookRSAKeys, cfg.WebhookMaxAge, time.Now)
	if err != nil {
		return fmt.Errorf("webhook keys (HIGHLEVEL_WEBHOOK_*_PUBLIC_KEYS): %w", err)
	}

	mux := http.NewServeMux()
	asc, err := actionstep.New(cfg.Actionstep.TokenURL, cfg.Actionstep.ClientID, cfg.Actionstep.ClientSecret,
		actionstep.WithHTTPClient(&http.Client{Timeout: cfg.Actionstep.CallTimeout}), actionstep.WithObserver(m.ActionstepObserver()))
	if err != nil {
		return err
	}
	newHighLevelConnect(cfg, hl, store, logger).routes(mux)
	newActionstepConnect(cfg, asc, store, logger).routes(mux)
	gw := &gateway{
		temporal: tc, verifier: verifier, appID: cfg.HighLevel.AppID(),
		billingSecrets: cfg.BillingSecrets, billingMaxAge: cfg.BillingMaxAge,
		maxBody: cfg.WebhookMaxBodyBytes, temporalTimeout: cfg.TemporalCallTimeout,
		companyOf: companyFromStore(store, cfg.CompanyID),
		seen:      newSeenCache(2*time.Hour, 1_000_000),
		logger:    logger.Named("gateway"), now: time.Now, metrics: m,
	}
	gw.routes(mux)
	// The codec server lets the Web UI (and the CLI) show decrypted payloads.
	mux.Handle("/codec/", http.StripPrefix("/codec", payloadcodec.Handler(keys, payloadcodec.HandlerOptions{
		AllowedOrigins: cfg.CodecOrigins, BearerToken: cfg.CodecAuthToken,
	})))
	mux.Handle("GET /metrics", m.Handler())
	probes := health.Handler(map[string]health.Check{
		"temporal": health.TemporalCheck(tc), "token_store": health.PingCheck(store),
	}, 3*time.Second)
	mux.Handle("/healthz", probes)
	mux.Handle("/readyz", probes)
	if len(cfg.BillingSecrets) == 0 {
		logger.Info("billing events disabled: BILLING_WEBHOOK_SECRETS is empty")
	}

	srv := &http.Server{
		Handler:           accessLog(logger, mux),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (STARTER_LISTEN_ADDR): %w", cfg.ListenAddr, err)
	}
	logger.Info("starter listening", zap.String("addr", ln.Addr().String()), zap.String("publicURL", cfg.PublicURL))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("starter stopped")
	return nil
}

// accessLog logs method, path (never the query: OAuth callbacks carry codes in it) and
// status.
func accessLog(logger *zap.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.Debug("http request", zap.String("method", r.Method), zap.String("path", r.URL.Path),
			zap.Int("status", rec.status), zap.Duration("duration", time.Since(start)))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
