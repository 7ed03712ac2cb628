package main

import (
	"context"
	"net/http"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/console"
	"github.com/saasbridge/saasbridge/internal/deps"
	"github.com/saasbridge/saasbridge/workflows"
)

// consoleHandler builds the location console (/console on the operator listener). Its
// re-drive button runs what `starter events redrive` runs; its live streams end with ctx.
func consoleHandler(ctx context.Context, cfg config.Starter, d *deps.Deps, logger *zap.Logger) (http.Handler, error) {
	return console.Handler(console.Config{
		DB: d.Store.DB(),
		Redrive: func(ctx context.Context, locationID, eventID string) (console.Outcome, error) {
			res, err := workflows.ResolveParked(ctx, d.Temporal, locationID, eventID, false)
			return console.Outcome{Outcome: res.Outcome.Outcome, Message: res.Outcome.Message}, err
		},
		Links: console.Links{TemporalUI: cfg.ConsoleTemporalUI, Namespace: cfg.Temporal.Namespace,
			ActionstepMatter: cfg.ConsoleActionstepMatter, WorkflowID: workflows.LocationWorkflowID},
		Done:   ctx.Done(),
		Logger: logger.Named("console"),
	})
}
