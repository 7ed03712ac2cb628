package main

import (
	"context"

	"go.temporal.io/sdk/client"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/temporalclient"
)

// dial connects an operator command to Temporal with the shared payload encryption.
func dial(ctx context.Context, cfg config.Starter) (client.Client, error) {
	logger, err := logging.New(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return nil, err
	}
	dc, err := temporalclient.PayloadConverter(cfg.Payloads)
	if err != nil {
		return nil, err
	}
	return temporalclient.Dial(ctx, cfg.Temporal, logger, temporalclient.Deps{DataConverter: dc})
}
