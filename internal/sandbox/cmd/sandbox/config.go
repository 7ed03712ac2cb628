package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

// config is the sandbox's configuration: the HighLevel simulator's and what
// both simulators share (the Actionstep simulator's own is actionstepConfig),
// from flags, each falling back to an environment variable.
type config struct {
	addr          string
	clientID      string
	clientSecret  string
	autoConsent   bool
	requirePKCE   bool
	seedAgencyID  string
	seedLocations int
	faults        highlevelsim.Faults
	rate          highlevelsim.RateLimit
	logFormat     string // "json" or "console"
	logLevel      string

	// webhooks is the HighLevel simulator's webhook delivery; webhookRSABits
	// sizes its x-wh-signature key.
	webhooks       highlevelsim.WebhookConfig
	webhookRSABits int
	// stripe is where the agencies' Stripe accounts send their signed events.
	stripe highlevelsim.StripeConfig
}

// envReader reads typed environment fallbacks and remembers the first
// malformed one, naming its variable.
type envReader struct {
	getenv func(string) string
	err    error
}

func (e *envReader) str(name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

func (e *envReader) int(name string, def int) int {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil && e.err == nil {
		e.err = fmt.Errorf("%s: %q is not an integer", name, v)
	}
	return n
}

func (e *envReader) bool(name string, def bool) bool {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil && e.err == nil {
		e.err = fmt.Errorf("%s: %q is not a boolean", name, v)
	}
	return b
}

func (e *envReader) duration(name string, def time.Duration) time.Duration {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil && e.err == nil {
		e.err = fmt.Errorf("%s: %q is not a duration such as 10s", name, v)
	}
	return d
}

// flagValues are the flags config holds in another form, kept until the flags are parsed.
type flagValues struct {
	faultsJSON           string
	window               time.Duration
	webhookRetryInterval time.Duration
	webhookMaxRetries    int
	stripeSecrets        string
}

// parseConfig reads flags from args with environment fallbacks.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	env := &envReader{getenv: getenv}
	var cfg config
	var raw flagValues
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	// The groups read the environment in the flags' order, so that the first malformed
	// variable is the one reported.
	cfg.appFlags(fs, env)
	cfg.limitFlags(fs, env, &raw)
	cfg.webhookFlags(fs, env, &raw)
	cfg.logFlags(fs, env)
	if env.err != nil {
		return cfg, env.err
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.apply(raw)
	if err := cfg.check(raw); err != nil {
		return cfg, err
	}
	if raw.faultsJSON != "" {
		if err := json.Unmarshal([]byte(raw.faultsJSON), &cfg.faults); err != nil {
			return cfg, fmt.Errorf("SANDBOX_FAULTS: %w", err)
		}
	}
	return cfg, nil
}

// appFlags are the marketplace app the simulator serves and its demo agency.
func (cfg *config) appFlags(fs *flag.FlagSet, env *envReader) {
	fs.StringVar(&cfg.addr, "addr", env.str("SANDBOX_ADDR", "127.0.0.1:8081"), "HighLevel simulator listen address (SANDBOX_ADDR)")
	fs.StringVar(&cfg.clientID, "highlevel-client-id", env.str("SANDBOX_HIGHLEVEL_CLIENT_ID", ""), "marketplace app client id, <appId>-<suffix> (SANDBOX_HIGHLEVEL_CLIENT_ID)")
	fs.StringVar(&cfg.clientSecret, "highlevel-client-secret", env.str("SANDBOX_HIGHLEVEL_CLIENT_SECRET", ""), "marketplace app client secret (SANDBOX_HIGHLEVEL_CLIENT_SECRET)")
	fs.BoolVar(&cfg.autoConsent, "auto-consent", env.bool("SANDBOX_AUTO_CONSENT", false), "approve the consent page without a click (SANDBOX_AUTO_CONSENT)")
	fs.BoolVar(&cfg.requirePKCE, "require-pkce", env.bool("SANDBOX_REQUIRE_PKCE", false), "both simulators refuse an authorization request without a PKCE challenge (SANDBOX_REQUIRE_PKCE)")
	fs.StringVar(&cfg.seedAgencyID, "seed-agency-id", env.str("SANDBOX_SEED_AGENCY_ID", ""), "id of the demo agency to create at start (SANDBOX_SEED_AGENCY_ID)")
	fs.IntVar(&cfg.seedLocations, "seed-locations", env.int("SANDBOX_SEED_LOCATIONS", 0), "number of demo locations under the demo agency (SANDBOX_SEED_LOCATIONS)")
}

// limitFlags are the faults injected and the rate limits enforced.
func (cfg *config) limitFlags(fs *flag.FlagSet, env *envReader, raw *flagValues) {
	fs.StringVar(&raw.faultsJSON, "faults", env.str("SANDBOX_FAULTS", ""), "initial fault injection as JSON, e.g. {\"errorRate\":0.1} (SANDBOX_FAULTS)")
	fs.IntVar(&cfg.rate.Max, "rate-max", env.int("SANDBOX_RATE_MAX", 100), "requests allowed per window and resource (SANDBOX_RATE_MAX)")
	fs.DurationVar(&raw.window, "rate-window", env.duration("SANDBOX_RATE_WINDOW", 10*time.Second), "rate limit window (SANDBOX_RATE_WINDOW)")
	fs.IntVar(&cfg.rate.Daily, "rate-daily", env.int("SANDBOX_RATE_DAILY", 200000), "requests allowed per UTC day and resource (SANDBOX_RATE_DAILY)")
}

// webhookFlags are where HighLevel's webhooks and the agencies' Stripe events go.
func (cfg *config) webhookFlags(fs *flag.FlagSet, env *envReader, raw *flagValues) {
	fs.StringVar(&cfg.webhooks.URL, "webhook-url", env.str("SANDBOX_WEBHOOK_URL", ""), "where the HighLevel simulator POSTs signed webhooks; empty sends none (SANDBOX_WEBHOOK_URL)")
	fs.DurationVar(&raw.webhookRetryInterval, "webhook-retry-interval", env.duration("SANDBOX_WEBHOOK_RETRY_INTERVAL", 10*time.Minute), "wait before redelivering a webhook answered 429, ±10% (SANDBOX_WEBHOOK_RETRY_INTERVAL)")
	fs.IntVar(&raw.webhookMaxRetries, "webhook-max-retries", env.int("SANDBOX_WEBHOOK_MAX_RETRIES", 6), "redeliveries of a webhook answered 429 (SANDBOX_WEBHOOK_MAX_RETRIES)")
	fs.IntVar(&cfg.webhookRSABits, "webhook-rsa-bits", env.int("SANDBOX_WEBHOOK_RSA_BITS", 4096), "RSA key size for x-wh-signature; 2048 generates faster (SANDBOX_WEBHOOK_RSA_BITS)")
	fs.StringVar(&cfg.stripe.URL, "stripe-webhook-url", env.str("SANDBOX_STRIPE_WEBHOOK_URL", ""), "where the agencies' Stripe accounts POST their events; empty sends none (SANDBOX_STRIPE_WEBHOOK_URL)")
	fs.StringVar(&raw.stripeSecrets, "stripe-webhook-secrets", env.str("SANDBOX_STRIPE_WEBHOOK_SECRETS", ""), "comma-separated endpoint secrets (whsec_…) Stripe events are signed with (SANDBOX_STRIPE_WEBHOOK_SECRETS)")
}

// logFlags are the simulators' logging.
func (cfg *config) logFlags(fs *flag.FlagSet, env *envReader) {
	fs.StringVar(&cfg.logFormat, "log-format", env.str("SANDBOX_LOG_FORMAT", "json"), "json or console (SANDBOX_LOG_FORMAT)")
	fs.StringVar(&cfg.logLevel, "log-level", env.str("SANDBOX_LOG_LEVEL", "info"), "debug logs every request (SANDBOX_LOG_LEVEL)")
}

// apply moves the parsed flag values into the simulator's own types.
func (cfg *config) apply(raw flagValues) {
	cfg.rate.Window = highlevelsim.Duration(raw.window)
	cfg.webhooks.RetryInterval = highlevelsim.Duration(raw.webhookRetryInterval)
	cfg.webhooks.MaxRetries = &raw.webhookMaxRetries
	for _, secret := range strings.Split(raw.stripeSecrets, ",") {
		if secret = strings.TrimSpace(secret); secret != "" {
			cfg.stripe.Secrets = append(cfg.stripe.Secrets, secret)
		}
	}
}

// check refuses what the simulator cannot run with, naming the variable.
func (cfg *config) check(raw flagValues) error {
	switch {
	case cfg.clientID == "":
		return errors.New("SANDBOX_HIGHLEVEL_CLIENT_ID (or -highlevel-client-id) is required")
	case cfg.clientSecret == "":
		return errors.New("SANDBOX_HIGHLEVEL_CLIENT_SECRET (or -highlevel-client-secret) is required")
	case cfg.rate.Max <= 0 || raw.window <= 0 || cfg.rate.Daily <= 0:
		return errors.New("SANDBOX_RATE_MAX, SANDBOX_RATE_WINDOW and SANDBOX_RATE_DAILY must be positive")
	case cfg.seedLocations < 0:
		return errors.New("SANDBOX_SEED_LOCATIONS must not be negative")
	case raw.webhookRetryInterval <= 0:
		return errors.New("SANDBOX_WEBHOOK_RETRY_INTERVAL must be positive")
	case cfg.webhookRSABits < 2048:
		return errors.New("SANDBOX_WEBHOOK_RSA_BITS must be at least 2048")
	case cfg.logFormat != "json" && cfg.logFormat != "console":
		return fmt.Errorf("SANDBOX_LOG_FORMAT must be json or console, not %q", cfg.logFormat)
	}
	return nil
}
