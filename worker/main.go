// Command worker runs saasbridge's Temporal workers: one for workflows and unthrottled
// activities, and one for HighLevel agency calls with a server-side rate limit shared by
// every worker process.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/temporalclient"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

func main() {
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

	store, err := tokens.Open(ctx, cfg.Store.DSN, cfg.Store.EncryptionKey)
	if err != nil {
		return fmt.Errorf("open token store: %w", err)
	}
	defer store.Close()

	hl, err := highlevel.New(cfg.HighLevel.BaseURL, cfg.HighLevel.ClientID, cfg.HighLevel.ClientSecret,
		highlevel.WithHTTPClient(&http.Client{Timeout: cfg.HighLevel.RequestTimeout}))
	if err != nil {
		return err
	}

	c, err := temporalclient.Dial(ctx, cfg.Temporal, logger)
	if err != nil {
		return err
	}
	defer c.Close()

	workers := build(c, cfg, &activities.HighLevel{Client: hl, Tokens: store}, &activities.Credentials{Tokens: store})
	for _, w := range workers {
		if err := w.Start(); err != nil {
			stopAll(workers)
			return fmt.Errorf("start worker: %w", err)
		}
	}
	logger.Info("worker started",
		zap.String("temporalAddress", cfg.Temporal.Address),
		zap.String("namespace", cfg.Temporal.Namespace),
		zap.Strings("taskQueues", []string{workflows.TaskQueue, workflows.HighLevelAgencyTaskQueue}),
		zap.Float64("highLevelRatePerSecond", cfg.HighLevelRatePerSecond))

	<-ctx.Done()
	logger.Info("shutting down; waiting for in-flight activities", zap.Duration("timeout", cfg.ShutdownTimeout))
	stopAll(workers)
	logger.Info("worker stopped")
	return nil
}

// build creates the workers. Start/Stop rather than Run: with two workers per process,
// one signal must stop both, and Stop waits up to WorkerStopTimeout for activities.
func build(c client.Client, cfg config.Worker, hl *activities.HighLevel, creds *activities.Credentials) []worker.Worker {
	wf := worker.New(c, workflows.TaskQueue, worker.Options{WorkerStopTimeout: cfg.ShutdownTimeout})
	workflows.Register(wf)
	wf.RegisterActivity(creds)
	// HighLevel calls that spend no agency budget (a location token's own refresh)
	// run here; the workflow picks the queue per call.
	wf.RegisterActivity(hl)

	// TaskQueueActivitiesPerSecond is enforced by the server for the whole queue, so
	// every worker process must be given the same value.
	agency := worker.New(c, workflows.HighLevelAgencyTaskQueue, worker.Options{
		TaskQueueActivitiesPerSecond: cfg.HighLevelRatePerSecond,
		WorkerStopTimeout:            cfg.ShutdownTimeout,
	})
	agency.RegisterActivity(hl)
	return []worker.Worker{wf, agency}
}

func stopAll(ws []worker.Worker) {
	for _, w := range ws {
		w.Stop()
	}
}
