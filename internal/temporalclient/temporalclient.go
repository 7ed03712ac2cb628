// Package temporalclient dials Temporal from configuration, the same way for the
// worker, the starter and tests: plaintext for a local dev server, API key for Temporal
// Cloud, mTLS for self-hosted clusters. Every client it builds encrypts payloads and
// failure messages with the same keys, and so does the replayer of the replay tests.
package temporalclient

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/payloadcodec"
)

// Deps are what a client shares with the rest of the process: the data converter
// that encrypts payloads (the same for worker, starter and tests; failures are
// encrypted with it too, see FailureConverter) and the metrics handler the SDK reports
// to (nil: none).
type Deps struct {
	DataConverter converter.DataConverter
	Metrics       client.MetricsHandler
}

// Options builds client options from configuration.
func Options(cfg config.Temporal, logger *zap.Logger, deps Deps) (client.Options, error) {
	tlsCfg, err := tlsConfig(cfg)
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
	if deps.DataConverter != nil {
		opts.FailureConverter = FailureConverter(deps.DataConverter)
	}
	opts.ConnectionOptions.TLS = tlsCfg
	if cfg.APIKey != "" {
		// Temporal Cloud requires TLS with API keys; tlsConfig returned a config for it.
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
	keys, err := PayloadKeys(p)
	if err != nil {
		return nil, err
	}
	return payloadcodec.DataConverter(keys), nil
}

// PayloadKeys are the configured payload keys, for a program that needs them besides
// the converter (the starter's codec server).
func PayloadKeys(p config.Payloads) (payloadcodec.Keys, error) {
	keys, err := payloadcodec.ParseKeys(p.Keys, p.KeyID)
	if err != nil {
		return payloadcodec.Keys{}, fmt.Errorf("PAYLOAD_ENCRYPTION_KEYS / PAYLOAD_ENCRYPTION_KEY_ID: %w", err)
	}
	return keys, nil
}

// FailureConverter moves every failure's message and stack trace into a payload
// encrypted by dc (EncodeCommonAttributes): an API's error message can name a location
// or a person, and failures are stored in history like payloads. History then shows
// "Encoded failure"; clients built here, the Web UI and the CLI (through the codec
// server) show the real message. Failures recorded before this was turned on decode
// as they are.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: dc, EncodeCommonAttributes: true,
	})
}

// ReplayerOptions are the replay tests' options: the converters of every client.
func ReplayerOptions(p config.Payloads) (worker.WorkflowReplayerOptions, error) {
	dc, err := PayloadConverter(p)
	if err != nil {
		return worker.WorkflowReplayerOptions{}, err
	}
	return worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: FailureConverter(dc)}, nil
}
