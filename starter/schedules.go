package main

import (
	"context"
	"fmt"
	"io"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/workflows"
)

// schedules applies the Temporal Schedules idempotently: run it on every deploy.
func schedules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || args[0] != "apply" {
		fmt.Fprintln(stderr, "usage: starter schedules apply")
		return errUsage
	}
	cfg, err := config.LoadStarter()
	if err != nil {
		return err
	}
	c, err := dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	applied, err := workflows.ApplySchedules(ctx, c, workflows.ScheduleIntervals{Reconcile: cfg.ReconcileInterval, Upkeep: cfg.UpkeepInterval})
	for _, a := range applied {
		fmt.Fprintln(stdout, "schedule", a)
	}
	return err
}
