package main

import (
	"fmt"
	"sync"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/deps"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/pacing"
	"github.com/saasbridge/saasbridge/workflows"
)

// activitySet is every activity struct a worker process registers.
type activitySet struct {
	highLevel  *activities.HighLevel
	creds      *activities.Credentials
	reconcile  *activities.Reconciler
	facts      *activities.Facts
	owners     *activities.Owners
	actionstep *activities.Actionstep
}

// newActivities builds every activity struct the workers register. The two API
// activities share one pacing table in the store's database with every other worker
// process (internal/pacing).
func newActivities(cfg config.Worker, d *deps.Deps, fields mapping.Mapping) activitySet {
	logger := d.Logger
	limiter := pacing.New(d.Store.DB(), d.Store.Postgres(), pacing.WithErrorLog(func(key string, err error) {
		logger.Warn("could not record an answer in the request budget", zap.String("budget", key), zap.Error(err))
	}))
	known := facts.New(d.Store.DB())
	orchestrator := workflows.Orchestrator{Client: d.Temporal}
	return activitySet{
		highLevel: &activities.HighLevel{Client: d.HighLevel, Tokens: d.Store, Pacing: limiter, RateLimit: cfg.HighLevelRateLimit,
			RateLimits: d.Metrics.HighLevelRateLimit, InitialPlans: initialPlans(fields, cfg.HighLevel)},
		creds:     &activities.Credentials{Tokens: d.Store, HighLevel: d.HighLevel, Actionstep: d.Actionstep},
		reconcile: &activities.Reconciler{Orchestrator: orchestrator, Facts: known, ReinstallGrace: cfg.ReinstallGrace},
		facts:     &activities.Facts{Store: known, Tokens: d.Store, Concluded: d.Metrics.LocationEvent},
		owners:    &activities.Owners{Orchestrator: orchestrator},
		actionstep: &activities.Actionstep{
			Client: d.Actionstep, Tokens: d.Store, OrgKey: cfg.Actionstep.OrgKey, Mapping: fields, Audit: d.Trail,
			MatterType: cfg.Actionstep.MatterType, ClientType: cfg.Actionstep.ClientType, DataCollection: cfg.Actionstep.DataCollection,
			Pacing: limiter, Pace: pacing.AdaptiveUpTo(cfg.ActionstepRateCeiling),
		},
	}
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

// startAll starts the workers; if one cannot start, they all stop again.
func startAll(workers []worker.Worker) error {
	for _, w := range workers {
		if err := w.Start(); err != nil {
			stopAll(workers)
			return fmt.Errorf("start worker: %w", err)
		}
	}
	return nil
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
