package config

import (
	"slices"
	"strings"
	"time"

	"github.com/saasbridge/saasbridge/internal/pacing"
)

// Common is what every program reads: how to reach Temporal and both APIs, the token
// store, the payload keys and the log. internal/deps opens what it describes.
type Common struct {
	Temporal   Temporal
	HighLevel  HighLevel
	Actionstep Actionstep
	Store      Store
	Payloads   Payloads
	Log        Log
}

// Worker is the worker process's configuration.
type Worker struct {
	Common
	// HTTPAddr serves /metrics, /healthz and /readyz.
	HTTPAddr string `env:"WORKER_HTTP_ADDR" envDefault:"127.0.0.1:9090"`
	// HighLevelRateLimit is HighLevel's burst window per app and company: each agency's
	// calls, from every worker process together, are paced to it (a row per company in
	// the store's database, see internal/pacing), so agencies do not share a budget and
	// N agencies together make N times the calls of one. "off" paces nothing.
	HighLevelRateLimit pacing.Window `env:"HIGHLEVEL_RATE_LIMIT" envDefault:"100/10s"`
	// ActionstepRateCeiling is the most Actionstep calls per second the fleet makes for
	// an organisation. Actionstep publishes no limit; below this ceiling the pacing finds
	// it (additive increase, multiplicative decrease on 429, Retry-After honoured).
	ActionstepRateCeiling float64 `env:"ACTIONSTEP_RATE_CEILING" envDefault:"20"`
	// ShutdownTimeout lets in-flight activities finish on SIGTERM.
	ShutdownTimeout time.Duration `env:"WORKER_SHUTDOWN_TIMEOUT" envDefault:"30s"`
	// StepBudget is how long one step of a location's owner (one API call) retries
	// before the owner takes the event back and retries it whole after a backoff,
	// holding the location's queue: an outage longer than this loses nothing.
	StepBudget time.Duration `env:"STEP_BUDGET" envDefault:"30m"`
	// ReinstallGrace: reconciliation takes a location HighLevel lists as installed
	// within this long after its uninstall for HighLevel's listing lagging behind, and
	// only later for a re-install whose webhook was lost.
	ReinstallGrace time.Duration `env:"RECONCILE_REINSTALL_GRACE" envDefault:"1h"`
	// InsecureHTTPHosts may be reached over plain http although not on loopback (the
	// simulators of the compose demo); every other API URL must be https.
	InsecureHTTPHosts []string `env:"INSECURE_HTTP_HOSTS" envSeparator:","`
	// AuditCallRetentionDays: the workers prune the audit trail's call entries older
	// than this many days, every hour, leaving a signed checkpoint (0 keeps them all).
	// Every other entry is kept.
	AuditCallRetentionDays int `env:"AUDIT_CALL_RETENTION_DAYS" envDefault:"90"`
}

// Starter is the starter process's configuration (HTTP server and CLI commands).
type Starter struct {
	Common
	// CompanyIDs are the agencies (HighLevel companies) saasbridge serves: only they may
	// connect, and webhooks naming any other company start nothing. CompanyID, the
	// agency CLI commands act for by default, belongs to the list too.
	CompanyIDs []string `env:"HIGHLEVEL_COMPANY_IDS" envSeparator:","`
	CompanyID  string   `env:"HIGHLEVEL_COMPANY_ID"`
	// ListenAddr is the public listener: webhooks, Stripe and billing events, the OAuth
	// begin and callback pages.
	ListenAddr string `env:"STARTER_LISTEN_ADDR" envDefault:"127.0.0.1:8080"`
	// OperatorAddr is the operator listener: codec, metrics, readiness, connect start
	// pages, the location console. Bound beyond loopback it requires
	// OPERATOR_AUTH_TOKEN or OIDC.
	OperatorAddr string `env:"STARTER_OPERATOR_ADDR" envDefault:"127.0.0.1:8090"`
	// OperatorTokens authenticate operators on the operator listener (bearer, or the
	// password of HTTP Basic for browsers); several during a rotation.
	OperatorTokens Secrets `env:"OPERATOR_AUTH_TOKEN"`
	// OIDC validates bearer JWTs on the operator listener (the Web UI's forwarded
	// access token on the codec server, API clients).
	OIDC OIDC
	// PublicURL is where browsers and webhooks reach the starter; OAuth redirect URIs
	// are built from it and must match what is registered with the vendor.
	PublicURL string `env:"STARTER_PUBLIC_URL" envDefault:"http://127.0.0.1:8080"`
	// HighLevelPKCE and ActionstepPKCE send a PKCE challenge (S256) with the connect
	// flow. Neither provider documents PKCE; turn it on where it is accepted.
	HighLevelPKCE  Switch `env:"HIGHLEVEL_OAUTH_PKCE" envDefault:"off"`
	ActionstepPKCE Switch `env:"ACTIONSTEP_OAUTH_PKCE" envDefault:"off"`
	// InsecureHTTPHosts: see Worker.
	InsecureHTTPHosts []string `env:"INSECURE_HTTP_HOSTS" envSeparator:","`
	// TemporalCallTimeout bounds a webhook's start or signal: past it the webhook is
	// answered 429 (HighLevel redelivers only on 429) instead of hanging.
	TemporalCallTimeout time.Duration `env:"STARTER_TEMPORAL_TIMEOUT" envDefault:"3s"`

	// Webhook signature keys (PEM, several blocks allowed for rotation). Empty means
	// HighLevel's published keys.
	WebhookEd25519Keys PEMBlocks `env:"HIGHLEVEL_WEBHOOK_ED25519_PUBLIC_KEYS"`
	WebhookRSAKeys     PEMBlocks `env:"HIGHLEVEL_WEBHOOK_RSA_PUBLIC_KEYS"`
	// WebhookLegacyRSA accepts the legacy x-wh-signature (RSA), which HighLevel
	// retired in 2026; off, only Ed25519 x-ghl-signature verifies.
	WebhookLegacyRSA Switch `env:"HIGHLEVEL_WEBHOOK_LEGACY_RSA" envDefault:"off"`
	// WebhookMaxAge is the replay window for a webhook's timestamp.
	WebhookMaxAge time.Duration `env:"WEBHOOK_MAX_AGE" envDefault:"5m"`
	// WebhookMaxBodyBytes bounds webhook, Stripe and billing-event bodies (413 beyond).
	WebhookMaxBodyBytes int64 `env:"WEBHOOK_MAX_BODY_BYTES" envDefault:"1048576"`

	// BillingSecrets authenticate the billing system's subscription events
	// (comma-separated; several during a rotation). Empty disables the endpoint.
	BillingSecrets Secrets `env:"BILLING_WEBHOOK_SECRETS"`
	// BillingMaxAge is the replay window for a billing event's signature timestamp.
	BillingMaxAge time.Duration `env:"BILLING_MAX_AGE" envDefault:"5m"`

	// StripeSecrets are the signing secrets (whsec_…) of the agencies' Stripe webhook
	// endpoints (comma-separated: several agencies' accounts, and an old and a new one
	// while a secret is rolled). Empty disables POST /webhooks/stripe.
	StripeSecrets Secrets `env:"STRIPE_WEBHOOK_SECRETS"`
	// StripeMaxAge is the replay window for a Stripe event's signature timestamp
	// (Stripe's libraries default to 5 minutes).
	StripeMaxAge time.Duration `env:"STRIPE_MAX_AGE" envDefault:"5m"`

	// CodecOrigins are the Web UI origins allowed to call the codec server (/codec);
	// CodecTokens are the bearer tokens it accepts (besides OIDC JWTs), also as the
	// endpoint's last path segment for a Web UI without OIDC (<operator>/codec/<token>).
	// Without either the codec server refuses everyone.
	CodecOrigins []string `env:"CODEC_ALLOWED_ORIGINS" envSeparator:"," envDefault:"http://127.0.0.1:8233,http://localhost:8233"`
	CodecTokens  Secrets  `env:"CODEC_AUTH_TOKEN"`

	// ConsoleTemporalUI is the Temporal Web UI the location console links each owner
	// to; ConsoleActionstepMatter a matter's page in Actionstep, {matterId} standing for
	// its id. Empty: no link.
	ConsoleTemporalUI       string `env:"CONSOLE_TEMPORAL_UI_URL" envDefault:"http://localhost:8233"`
	ConsoleActionstepMatter string `env:"CONSOLE_ACTIONSTEP_MATTER_URL" envDefault:"https://go.actionstep.com/mym/asfw/workflow/action/overview/action_id/{matterId}"`

	// ReconcileInterval and UpkeepInterval are the schedules' periods
	// (`starter schedules apply`).
	ReconcileInterval time.Duration `env:"RECONCILE_INTERVAL" envDefault:"15m"`
	UpkeepInterval    time.Duration `env:"UPKEEP_INTERVAL" envDefault:"6h"`
}

// Companies is the allowlist of agencies: HIGHLEVEL_COMPANY_IDS and HIGHLEVEL_COMPANY_ID.
func (s Starter) Companies() []string {
	var out []string
	for _, id := range append(slices.Clone(s.CompanyIDs), s.CompanyID) {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// OperatorURL is the operator listener's base URL, as the programs on its host reach it.
func (s Starter) OperatorURL() string { return "http://" + s.OperatorAddr }

// DefaultCompany is the agency CLI commands act for: HIGHLEVEL_COMPANY_ID, else the
// first of HIGHLEVEL_COMPANY_IDS.
func (s Starter) DefaultCompany() string {
	if s.CompanyID != "" {
		return s.CompanyID
	}
	if ids := s.Companies(); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// OperatorAuthConfigured reports whether the operator listener can authenticate anyone.
func (s Starter) OperatorAuthConfigured() bool {
	return len(s.OperatorTokens) > 0 || s.OIDC.Enabled()
}

// HighLevelRedirectURL is the OAuth callback registered with the HighLevel app.
func (s Starter) HighLevelRedirectURL() string {
	return strings.TrimRight(s.PublicURL, "/") + "/oauth/highlevel/callback"
}

// ActionstepRedirectURL is the OAuth callback registered with the Actionstep app.
func (s Starter) ActionstepRedirectURL() string {
	return strings.TrimRight(s.PublicURL, "/") + "/oauth/actionstep/callback"
}
