package actionstepsim

import (
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// Options configures a Server. Only ClientID and ClientSecret are required.
type Options struct {
	// ClientID and ClientSecret identify the one registered API client.
	ClientID     string
	ClientSecret string
	// AccessTokenTTL is the lifetime of access tokens; default 60 minutes
	// (reference §1.7), reported as expires_in.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is how long an unused refresh token lives; default 21
	// days (reference §1.7). Refresh tokens are single use, so "unused" and
	// "since issued" are the same thing.
	RefreshTokenTTL time.Duration
	// AutoConsent makes the authorize page approve at once for the first
	// organisation (or the orgkey query parameter), for unattended runs.
	AutoConsent bool
	// RequirePKCE makes the authorize page refuse requests without a PKCE
	// challenge; a challenge that was sent is always checked at the code
	// exchange. Actionstep does not document PKCE.
	RequirePKCE bool
	// RotateAPIEndpoint makes every successful refresh move the
	// organisation to a new api_endpoint; the old one stops answering.
	// SetEndpointRotation changes it at run time.
	RotateAPIEndpoint bool
	// UniqueExternalReferences rejects a participant or action whose
	// importExternalReference another one of its kind already has.
	// Actionstep does not promise to (reference §2.3), so it is off by
	// default and duplicates are only reported in the state dump.
	UniqueExternalReferences bool
	// RateLimit is the initial limit; zero fields take the defaults.
	RateLimit RateLimit
	// Faults is the initial fault injection; the zero value injects nothing.
	Faults Faults
	// Readings are the initial answers to what the documentation leaves
	// open; the zero value is the lenient reading of each.
	Readings Readings
	// Now is the clock for token expiry, timestamps and rate limiting;
	// default time.Now. Injected latency always uses the real clock.
	Now func() time.Time
	// Location is the organisations' time zone for rendered timestamps;
	// default a fixed UTC+10:00 ("AEST"), Actionstep's home.
	Location *time.Location
	// HookClient delivers REST hooks; default a client with a 10 s timeout.
	HookClient *http.Client
	// Logger receives one debug line per request and info lines for admin
	// changes. It never receives token strings. Default: a no-op logger.
	Logger *zap.Logger
}

// RateLimit is the per-user, per-organisation request limit. Actionstep
// publishes no numbers or headers (reference §5.1); simulator choice: a
// sliding window of Max requests per Window (default 300 per minute), and a
// 429 without Retry-After unless RetryAfter is set.
type RateLimit struct {
	Max        int      `json:"max"`
	Window     Duration `json:"window"`
	RetryAfter bool     `json:"retryAfter,omitempty"`
	// Schedule, when set, replaces Max and Window with a limit that changes over
	// time, as Actionstep's "will adjust dynamically" does: each phase holds for
	// its For in turn, from when the limit is set, starting over after the last.
	// Nothing in an answer tells a client which phase it is in.
	Schedule []RatePhase `json:"schedule,omitempty"`
}

// RatePhase is one stretch of a changing limit: Max requests per Window.
type RatePhase struct {
	Max    int      `json:"max"`
	Window Duration `json:"window"`
	For    Duration `json:"for"`
}

// at is the limit in force elapsed after the limit was set.
func (rl RateLimit) at(elapsed time.Duration) (int, time.Duration) {
	var cycle time.Duration
	for _, p := range rl.Schedule {
		cycle += time.Duration(p.For)
	}
	if cycle <= 0 {
		return rl.Max, time.Duration(rl.Window)
	}
	elapsed %= cycle
	for _, p := range rl.Schedule {
		if elapsed < time.Duration(p.For) {
			return p.Max, time.Duration(p.Window)
		}
		elapsed -= time.Duration(p.For)
	}
	return rl.Max, time.Duration(rl.Window) // not reached
}

const (
	defaultAccessTTL  = 60 * time.Minute
	defaultRefreshTTL = 21 * 24 * time.Hour
	defaultRateMax    = 300
	defaultRateWindow = time.Minute
	// authCodeTTL is not documented; simulator choice, short as OAuth advises.
	authCodeTTL = 10 * time.Minute
)

// withDefaults fills zero fields with the simulator's defaults.
func (rl RateLimit) withDefaults() RateLimit {
	if rl.Max == 0 {
		rl.Max = defaultRateMax
	}
	if rl.Window == 0 {
		rl.Window = Duration(defaultRateWindow)
	}
	return rl
}

func (rl RateLimit) validate() error {
	if rl.Max < 0 || rl.Window < 0 {
		return fmt.Errorf("rate limit values must not be negative: %+v", rl)
	}
	for i, p := range rl.Schedule {
		if p.Max <= 0 || p.Window <= 0 || p.For <= 0 {
			return fmt.Errorf("rate limit schedule phase %d: max, window and for must be positive: %+v", i, p)
		}
	}
	return nil
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("10s", "250ms"), so admin payloads stay readable. Both
// simulators share it.
type Duration = simkit.Duration
