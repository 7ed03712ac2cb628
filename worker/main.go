// Command worker runs saasbridge's Temporal workers: one for workflows and store and
// Temporal activities, one for HighLevel agency calls and one for Actionstep calls, the
// last two paced to each agency's and organisation's budget, which every worker process
// shares through the token store's database (internal/pacing).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/deps"
	"github.com/saasbridge/saasbridge/internal/mapping"
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

// run is the worker's life: configuration, what it runs on, probes, the workers, then
// waiting for a signal to stop them.
func run() error {
	cfg, err := config.LoadWorker()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The trail files a call made by an owner's activities under the owner's location.
	d, err := deps.Open(ctx, cfg.Common, audit.WithLocationOf(workflows.LocationIDOf))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := keepAuditCalls(ctx, cfg, d.Store, d.Logger); err != nil {
		return err
	}
	fields, err := loadMapping(cfg.Actionstep)
	if err != nil {
		return err
	}
	if err := connectTemporal(ctx, cfg.Temporal, d); err != nil {
		return err
	}
	stopHTTP, err := serveProbes(cfg.HTTPAddr, d.Metrics, d.Checks(), d.Logger)
	if err != nil {
		return err
	}
	defer stopHTTP()

	warnRetired(d.Logger)
	workflows.SetStepBudget(cfg.StepBudget)
	workers := build(d.Temporal, cfg, d.Metrics.WorkerInterceptor(), newActivities(cfg, d, fields))
	if err := startAll(workers); err != nil {
		return err
	}
	logStarted(d.Logger, cfg)

	<-ctx.Done()
	d.Logger.Info("shutting down; waiting for in-flight activities", zap.Duration("timeout", cfg.ShutdownTimeout))
	stopAll(workers)
	d.Logger.Info("worker stopped")
	return nil
}

// connectTemporal dials Temporal and refuses a namespace that lacks the workflows'
// search attributes.
func connectTemporal(ctx context.Context, t config.Temporal, d *deps.Deps) error {
	if err := d.DialTemporal(ctx); err != nil {
		return err
	}
	return temporalclient.RequireSearchAttributes(ctx, d.Temporal, t, workflows.SearchAttributes())
}

// loadMapping reads the Actionstep field mapping (ACTIONSTEP_TEMPLATE, ACTIONSTEP_MAPPING,
// ACTIONSTEP_MAPPING_FILE).
func loadMapping(a config.Actionstep) (mapping.Mapping, error) {
	fields, err := mapping.FromEnv(a.Template, a.Mapping, a.MappingFile)
	if err != nil {
		return mapping.Mapping{}, fmt.Errorf("invalid Actionstep field mapping (ACTIONSTEP_TEMPLATE / ACTIONSTEP_MAPPING / ACTIONSTEP_MAPPING_FILE): %w", err)
	}
	return fields, nil
}

// warnRetired names the settings of the environment that no longer have an effect.
func warnRetired(logger *zap.Logger) {
	for _, r := range config.Retired() {
		logger.Warn("retired setting", zap.String("setting", r))
	}
}

// logStarted says what the worker serves and at which pace.
func logStarted(logger *zap.Logger, cfg config.Worker) {
	logger.Info("worker started",
		zap.String("temporalAddress", cfg.Temporal.Address),
		zap.String("namespace", cfg.Temporal.Namespace),
		zap.Strings("taskQueues", []string{workflows.TaskQueue, workflows.HighLevelAgencyTaskQueue, workflows.ActionstepTaskQueue}),
		zap.Stringer("highLevelRateLimit", cfg.HighLevelRateLimit),
		zap.Float64("actionstepRateCeiling", cfg.ActionstepRateCeiling),
		zap.String("actionstepOrg", cfg.Actionstep.OrgKey))
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
