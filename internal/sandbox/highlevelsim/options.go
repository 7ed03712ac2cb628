package highlevelsim

import (
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// Options configures a Server. Only ClientID and ClientSecret are required.
type Options struct {
	// ClientID and ClientSecret identify the one registered marketplace app.
	// The app id is ClientID up to its first '-', as in HighLevel
	// ("<appId>-<suffix>").
	ClientID     string
	ClientSecret string
	// AccessTokenTTL is the lifetime of every access token; default 86399s.
	AccessTokenTTL time.Duration
	// RateLimit is the initial limit; zero fields take HighLevel's defaults.
	RateLimit RateLimit
	// AutoConsent makes the consent page approve the first agency (or the
	// company_id query parameter) and redirect at once, for unattended runs.
	AutoConsent bool
	// RequirePKCE makes the consent page refuse requests without a PKCE
	// challenge. With or without it, a challenge that was sent is checked at
	// the code exchange. HighLevel does not document PKCE.
	RequirePKCE bool
	// Faults is the initial fault injection; the zero value injects nothing.
	Faults Faults
	// Webhooks is the initial webhook delivery configuration; the zero
	// value delivers nothing. See WebhookConfig for the defaults.
	Webhooks WebhookConfig
	// WebhookRSABits is the size of the RSA key behind x-wh-signature;
	// default 4096 as at HighLevel, at least 2048. The key is generated
	// lazily (when a URL with RSA signing is configured, or at the first
	// WebhookKeys call) because 4096-bit generation takes seconds.
	WebhookRSABits int
	// WebhookEd25519Key and WebhookRSAKey replace the generated signing
	// keys, e.g. so that tests share one key or a dev setup keeps its
	// keys across restarts.
	WebhookEd25519Key ed25519.PrivateKey
	WebhookRSAKey     *rsa.PrivateKey
	// Stripe is where the agencies' Stripe accounts send their events, and the
	// secrets they sign them with; the zero value sends none (see StripeConfig).
	Stripe StripeConfig
	// Now is the clock for token expiry, rate limiting and webhook
	// timestamps; default time.Now. Injected latency and webhook retry
	// intervals always use the real clock.
	Now func() time.Time
	// Logger receives one debug line per request and info lines for admin
	// changes. It never receives token strings. Default: a no-op logger.
	Logger *zap.Logger
}

// RateLimit is HighLevel's per-app, per-resource limit: at most Max requests
// in any sliding Window, and Daily requests per UTC day.
type RateLimit struct {
	Max    int      `json:"max"`
	Window Duration `json:"window"`
	Daily  int      `json:"daily"`
}

// HighLevel's documented limits (reference §6.1).
const (
	defaultRateMax    = 100
	defaultRateWindow = 10 * time.Second
	defaultRateDaily  = 200000
	defaultTokenTTL   = 86399 * time.Second
)

// withDefaults fills zero fields with HighLevel's documented values.
func (rl RateLimit) withDefaults() RateLimit {
	if rl.Max == 0 {
		rl.Max = defaultRateMax
	}
	if rl.Window == 0 {
		rl.Window = Duration(defaultRateWindow)
	}
	if rl.Daily == 0 {
		rl.Daily = defaultRateDaily
	}
	return rl
}

func (rl RateLimit) validate() error {
	if rl.Max < 0 || rl.Window < 0 || rl.Daily < 0 {
		return fmt.Errorf("rate limit values must not be negative: %+v", rl)
	}
	return nil
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("10s", "250ms"), so admin payloads and SANDBOX_FAULTS stay
// readable. Both simulators share it.
type Duration = simkit.Duration
