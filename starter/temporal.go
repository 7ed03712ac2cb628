package main

import (
	"context"

	"go.temporal.io/sdk/client"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/temporalclient"
	"github.com/saasbridge/saasbridge/workflows"
)

// dial connects an operator command to Temporal with the shared payload encryption, and
// refuses a namespace that lacks the workflows' search attributes.
func dial(ctx context.Context, cfg config.Starter) (client.Client, error) {
	logger, err := logging.New(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return nil, err
	}
	dc, err := temporalclient.PayloadConverter(cfg.Payloads)
	if err != nil {
		return nil, err
	}
	c, err := temporalclient.Dial(ctx, cfg.Temporal, logger, temporalclient.Deps{DataConverter: dc})
	if err != nil {
		return nil, err
	}
	if err := temporalclient.RequireSearchAttributes(ctx, c, cfg.Temporal, workflows.SearchAttributes()); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
