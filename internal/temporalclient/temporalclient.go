// Package temporalclient dials Temporal from configuration, the same way for the
// worker, the starter and tests: plaintext for a local dev server, API key for Temporal
// Cloud, mTLS for self-hosted clusters.
package temporalclient

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/logging"
)

// Options builds client options from configuration.
func Options(cfg config.Temporal, logger *zap.Logger) (client.Options, error) {
	tlsCfg, err := cfg.TLS()
	if err != nil {
		return client.Options{}, err
	}
	opts := client.Options{
		HostPort:  cfg.Address,
		Namespace: cfg.Namespace,
		Logger:    logging.NewTemporal(logger.Named("temporal")),
	}
	opts.ConnectionOptions.TLS = tlsCfg
	if cfg.APIKey != "" {
		// Temporal Cloud requires TLS with API keys; cfg.TLS returned a config for it.
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.APIKey)
	}
	return opts, nil
}

// Dial connects and checks the connection once, so a wrong address fails at start
// with a clear message instead of on the first workflow start.
func Dial(ctx context.Context, cfg config.Temporal, logger *zap.Logger) (client.Client, error) {
	opts, err := Options(cfg, logger)
	if err != nil {
		return nil, err
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", cfg.Address, cfg.Namespace, err)
	}
	return c, nil
}

// Lazy returns a client that connects on first use. The starter's HTTP server uses it
// so that it comes up, and answers webhooks with 429 (redeliver later), even while
// Temporal is down.
func Lazy(cfg config.Temporal, logger *zap.Logger) (client.Client, error) {
	opts, err := Options(cfg, logger)
	if err != nil {
		return nil, err
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("create a Temporal client for %s (namespace %s): %w", cfg.Address, cfg.Namespace, err)
	}
	return c, nil
}
