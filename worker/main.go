// Command worker runs saasbridge's Temporal workers: one for workflows and store and
// Temporal activities, one for HighLevel agency calls and one for Actionstep calls, the
// last two paced to each agency's and organisation's budget, which every worker process
// shares through the token store's database (internal/pacing).
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/health"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/metrics"
	"github.com/saasbridge/saasbridge/internal/pacing"
	"github.com/saasbridge/saasbridge/internal/temporalclient"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

func main() {
	// `worker -probe URL` is the containers' health check: distroless images have no
	// curl, and both binaries serve /readyz (the starter's on its operator listener,
	// which wants the operator token when one is configured: see probe).
	if len(os.Args) == 3 && os.Args[1] == "-probe" {
		os.Exit(probe(os.Args[2]))
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.LoadWorker()
	if err != nil {
		return err
	}
	logger, err := logging.New(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := metrics.New(metrics.WithLogger(logger))
	defer func() { _ = m.Close() }()
	store, err := tokens.Open(ctx, cfg.Store.DSN, cfg.Store.EncryptionKey.Key,
		tokens.WithKeyID(cfg.Store.EncryptionKey.ID), tokens.WithOldKeys(cfg.Store.OldKeys()), tokens.WithLogger(logger),
		tokens.WithRefreshObserver(func(kind tokens.Kind, outcome string) { m.TokenRefresh(string(kind), outcome) }))
	if err != nil {
		return fmt.Errorf("open token store: %w", err)
	}
	defer store.Close()
	trail := audit.NewLog(store.DB(), audit.WithLogger(logger), audit.WithLocationOf(workflows.LocationIDOf))
	defer func() { _ = trail.Close() }()
	m.WatchAuditDrops(trail.Dropped)
	if err := keepAuditCalls(ctx, cfg, store, logger); err != nil {
		return err
	}

	hl, err := highlevel.New(cfg.HighLevel.BaseURL, cfg.HighLevel.ClientID, cfg.HighLevel.ClientSecret,
		highlevel.WithHTTPClient(&http.Client{Timeout: cfg.HighLevel.RequestTimeout}),
		highlevel.WithObserver(httpapi.Tee(m.HighLevelObserver(), trail.HighLevelObserver())))
	if err != nil {
		return err
	}

	fields, err := mapping.FromEnv(cfg.Actionstep.Template, cfg.Actionstep.Mapping, cfg.Actionstep.MappingFile)
	if err != nil {
		return fmt.Errorf("invalid Actionstep field mapping (ACTIONSTEP_TEMPLATE / ACTIONSTEP_MAPPING / ACTIONSTEP_MAPPING_FILE): %w", err)
	}
	asc, err := actionstep.New(cfg.Actionstep.TokenURL, cfg.Actionstep.ClientID, cfg.Actionstep.ClientSecret,
		actionstep.WithHTTPClient(&http.Client{Timeout: cfg.Actionstep.CallTimeout}),
		actionstep.WithObserver(httpapi.Tee(m.ActionstepObserver(), trail.ActionstepObserver())))
	if err != nil {
		return err
	}

	dc, err := temporalclient.PayloadConverter(cfg.Payloads)
	if err != nil {
		return err
	}
	c, err := temporalclient.Dial(ctx, cfg.Temporal, logger, temporalclient.Deps{DataConverter: dc, Metrics: m.TemporalHandler()})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := temporalclient.RequireSearchAttributes(ctx, c, cfg.Temporal, workflows.SearchAttributes()); err != nil {
		return err
	}

	stopHTTP, err := serveProbes(cfg.HTTPAddr, m, map[string]health.Check{
		"temporal": health.TemporalCheck(c), "token_store": health.PingCheck(store),
	}, logger)
	if err != nil {
		return err
	}
	defer stopHTTP()

	for _, r := range config.Retired() {
		logger.Warn("retired setting", zap.String("setting", r))
	}
	workflows.SetStepBudget(cfg.StepBudget)
	limiter := pacing.New(store.DB(), store.Postgres(), pacing.WithErrorLog(func(key string, err error) {
		logger.Warn("could not record an answer in the request budget", zap.String("budget", key), zap.Error(err))
	}))
	known := facts.New(store.DB())
	orchestrator := workflows.Orchestrator{Client: c}
	workers := build(c, cfg, m.WorkerInterceptor(), activitySet{
		highLevel: &activities.HighLevel{Client: hl, Tokens: store, Pacing: limiter, RateLimit: cfg.HighLevelRateLimit,
			RateLimits: m.HighLevelRateLimit, InitialPlans: initialPlans(fields, cfg.HighLevel)},
		creds:     &activities.Credentials{Tokens: store, HighLevel: hl, Actionstep: asc},
		reconcile: &activities.Reconciler{Orchestrator: orchestrator, Facts: known, ReinstallGrace: cfg.ReinstallGrace},
		facts:     &activities.Facts{Store: known, Tokens: store, Concluded: m.LocationEvent},
		owners:    &activities.Owners{Orchestrator: orchestrator},
		actionstep: &activities.Actionstep{
			Client: asc, Tokens: store, OrgKey: cfg.Actionstep.OrgKey, Mapping: fields, Audit: trail,
			MatterType: cfg.Actionstep.MatterType, ClientType: cfg.Actionstep.ClientType, DataCollection: cfg.Actionstep.DataCollection,
			Pacing: limiter, Pace: pacing.AdaptiveUpTo(cfg.ActionstepRateCeiling),
		},
	})
	for _, w := range workers {
		if err := w.Start(); err != nil {
			stopAll(workers)
			return fmt.Errorf("start worker: %w", err)
		}
	}
	logger.Info("worker started",
		zap.String("temporalAddress", cfg.Temporal.Address),
		zap.String("namespace", cfg.Temporal.Namespace),
		zap.Strings("taskQueues", []string{workflows.TaskQueue, workflows.HighLevelAgencyTaskQueue, workflows.ActionstepTaskQueue}),
		zap.Stringer("highLevelRateLimit", cfg.HighLevelRateLimit),
		zap.Float64("actionstepRateCeiling", cfg.ActionstepRateCeiling),
		zap.String("actionstepOrg", cfg.Actionstep.OrgKey))

	<-ctx.Done()
	logger.Info("shutting down; waiting for in-flight activities", zap.Duration("timeout", cfg.ShutdownTimeout))
	stopAll(workers)
	logger.Info("worker stopped")
	return nil
}

// keepAuditCalls prunes the audit trail's call entries older than
// AUDIT_CALL_RETENTION_DAYS, now and every hour, in the background.
func keepAuditCalls(ctx context.Context, cfg config.Worker, store *tokens.Store, logger *zap.Logger) error {
	if cfg.AuditCallRetentionDays == 0 {
		return nil
	}
	keys, err := audit.DeriveKeys(cfg.Store.EncryptionKey.ID, cfg.Store.EncryptionKey.Key, cfg.Store.OldKeys())
	if err != nil {
		return err
	}
	keep := time.Duration(cfg.AuditCallRetentionDays) * 24 * time.Hour
	go audit.Retain(ctx, store.DB(), keys, keep, time.Hour, logger.Named("audit"))
	return nil
}

// activitySet is every activity struct a worker process registers.
type activitySet struct {
	highLevel  *activities.HighLevel
	creds      *activities.Credentials
	reconcile  *activities.Reconciler
	facts      *activities.Facts
	owners     *activities.Owners
	actionstep *activities.Actionstep
}

// build creates the workers, one per task queue. Start/Stop rather than Run: one
// signal must stop them all, and Stop waits up to WorkerStopTimeout for activities.
func build(c client.Client, cfg config.Worker, outcomes interceptor.WorkerInterceptor, acts activitySet) []worker.Worker {
	wf := worker.New(c, workflows.TaskQueue, worker.Options{
		WorkerStopTimeout: cfg.ShutdownTimeout,
		Interceptors:      []interceptor.WorkerInterceptor{outcomes},
	})
	workflows.Register(wf)
	wf.RegisterActivity(acts.creds)
	wf.RegisterActivity(acts.reconcile)
	wf.RegisterActivity(acts.facts)
	wf.RegisterActivity(acts.owners)
	// HighLevel calls that spend no agency budget (a location token's own refresh)
	// run here; the workflow picks the queue per call.
	wf.RegisterActivity(acts.highLevel)

	// The API queues carry no server-side rate: a queue-wide rate would be one budget
	// for every agency (and a held-back call coming back would spend it). The activities
	// pace each agency and organisation to its own budget (internal/pacing).
	agency := worker.New(c, workflows.HighLevelAgencyTaskQueue, worker.Options{WorkerStopTimeout: cfg.ShutdownTimeout})
	agency.RegisterActivity(acts.highLevel)

	as := worker.New(c, workflows.ActionstepTaskQueue, worker.Options{WorkerStopTimeout: cfg.ShutdownTimeout})
	as.RegisterActivity(acts.actionstep)
	return []worker.Worker{wf, agency, as}
}

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

// stopAll stops the workers together: each waits up to WorkerStopTimeout for its
// activities, so one after another would take up to three times as long.
func stopAll(ws []worker.Worker) {
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(w.Stop)
	}
	wg.Wait()
}

// initialPlans are the rules choosing a new location's initial plan: the mapping's,
// then HIGHLEVEL_DEFAULT_PLAN_ID for every other location.
func initialPlans(m mapping.Mapping, h config.HighLevel) []mapping.PlanRule {
	rules := m.PlanRules()
	if h.DefaultPlanID != "" {
		rules = append(rules, mapping.PlanRule{PlanID: h.DefaultPlanID, PriceID: h.DefaultPriceID, Source: "HIGHLEVEL_DEFAULT_PLAN_ID"})
	}
	return rules
}
