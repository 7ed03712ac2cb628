// Package temporalclient dials Temporal from configuration, the same way for the
// worker, the starter and tests: plaintext for a local dev server, API key for Temporal
// Cloud, mTLS for self-hosted clusters.
package temporalclient

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/payloadcodec"
)

// Deps are what a client shares with the rest of the process: the data converter
// that encrypts payloads (the same for worker, starter and tests) and the metrics
// handler the SDK reports to (nil: none).
type Deps struct {
	DataConverter converter.DataConverter
	Metrics       client.MetricsHandler
}

// Options builds client options from configuration.
func Options(cfg config.Temporal, logger *zap.Logger, deps Deps) (client.Options, error) {
	tlsCfg, err := cfg.TLS()
	if err != nil {
		return client.Options{}, err
	}
	opts := client.Options{
		HostPort:       cfg.Address,
		Namespace:      cfg.Namespace,
		Logger:         logging.NewTemporal(logger.Named("temporal")),
		DataConverter:  deps.DataConverter,
		MetricsHandler: deps.Metrics,
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
func Dial(ctx context.Context, cfg config.Temporal, logger *zap.Logger, deps Deps) (client.Client, error) {
	opts, err := Options(cfg, logger, deps)
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
func Lazy(cfg config.Temporal, logger *zap.Logger, deps Deps) (client.Client, error) {
	opts, err := Options(cfg, logger, deps)
	if err != nil {
		return nil, err
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("create a Temporal client for %s (namespace %s): %w", cfg.Address, cfg.Namespace, err)
	}
	return c, nil
}

// PayloadConverter is the data converter that encrypts payloads with the configured
// keys; every program's client uses it, so what one writes the others can read.
func PayloadConverter(p config.Payloads) (converter.DataConverter, error) {
	keys, err := payloadcodec.ParseKeys(p.Keys, p.KeyID)
	if err != nil {
		return nil, fmt.Errorf("PAYLOAD_ENCRYPTION_KEYS / PAYLOAD_ENCRYPTION_KEY_ID: %w", err)
	}
	return payloadcodec.DataConverter(keys), nil
}
