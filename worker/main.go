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
	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/mapping"
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

	fields, err := mapping.FromEnv(cfg.Actionstep.Mapping, cfg.Actionstep.MappingFile)
	if err != nil {
		return fmt.Errorf("invalid Actionstep field mapping (ACTIONSTEP_MAPPING / ACTIONSTEP_MAPPING_FILE): %w", err)
	}
	asc, err := actionstep.New(cfg.Actionstep.TokenURL, cfg.Actionstep.ClientID, cfg.Actionstep.ClientSecret,
		actionstep.WithHTTPClient(&http.Client{Timeout: cfg.Actionstep.CallTimeout}))
	if err != nil {
		return err
	}

	c, err := temporalclient.Dial(ctx, cfg.Temporal, logger)
	if err != nil {
		return err
	}
	defer c.Close()

	workers := build(c, cfg, activitySet{
		highLevel: &activities.HighLevel{Client: hl, Tokens: store},
		creds:     &activities.Credentials{Tokens: store},
		actionstep: &activities.Actionstep{
			Client: asc, Tokens: store, OrgKey: cfg.Actionstep.OrgKey, Mapping: fields,
			MatterType: cfg.Actionstep.MatterType, ClientType: cfg.Actionstep.ClientType, DataCollection: cfg.Actionstep.DataCollection,
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
		zap.Float64("highLevelRatePerSecond", cfg.HighLevelRatePerSecond),
		zap.Float64("actionstepRatePerSecond", cfg.ActionstepRatePerSecond),
		zap.String("actionstepOrg", cfg.Actionstep.OrgKey))

	<-ctx.Done()
	logger.Info("shutting down; waiting for in-flight activities", zap.Duration("timeout", cfg.ShutdownTimeout))
	stopAll(workers)
	logger.Info("worker stopped")
	return nil
}

// activitySet is every activity struct a worker process registers.
type activitySet struct {
	highLevel  *activities.HighLevel
	creds      *activities.Credentials
	actionstep *activities.Actionstep
}

// build creates the workers, one per task queue. Start/Stop rather than Run: one
// signal must stop them all, and Stop waits up to WorkerStopTimeout for activities.
func build(c client.Client, cfg config.Worker, acts activitySet) []worker.Worker {
	wf := worker.New(c, workflows.TaskQueue, worker.Options{WorkerStopTimeout: cfg.ShutdownTimeout})
	workflows.Register(wf)
	wf.RegisterActivity(acts.creds)
	// HighLevel calls that spend no agency budget (a location token's own refresh)
	// run here; the workflow picks the queue per call.
	wf.RegisterActivity(acts.highLevel)

	// TaskQueueActivitiesPerSecond is enforced by the server for the whole queue, so
	// every worker process must be given the same value.
	agency := worker.New(c, workflows.HighLevelAgencyTaskQueue, worker.Options{
		TaskQueueActivitiesPerSecond: cfg.HighLevelRatePerSecond,
		WorkerStopTimeout:            cfg.ShutdownTimeout,
	})
	agency.RegisterActivity(acts.highLevel)

	as := worker.New(c, workflows.ActionstepTaskQueue, worker.Options{
		TaskQueueActivitiesPerSecond: cfg.ActionstepRatePerSecond,
		WorkerStopTimeout:            cfg.ShutdownTimeout,
	})
	as.RegisterActivity(acts.actionstep)
	return []worker.Worker{wf, agency, as}
}

func stopAll(ws []worker.Worker) {
	for _, w := range ws {
		w.Stop()
	}
}
