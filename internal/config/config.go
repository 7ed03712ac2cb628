// Package config reads every setting of the saasbridge programs from the environment.
//
// Temporal settings use Temporal's own variable names so that the CLI, the Web UI and
// these programs can share one .env file. A missing or malformed setting is reported
// together with every other bad one, each by its variable name, so an operator fixes
// the environment in one pass instead of one restart per mistake.
package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/saasbridge/saasbridge/internal/pacing"
)

// Temporal says how to reach the Temporal service (a local dev server, a self-hosted
// cluster or Temporal Cloud).
type Temporal struct {
	Address   string `env:"TEMPORAL_ADDRESS" envDefault:"127.0.0.1:7233"`
	Namespace string `env:"TEMPORAL_NAMESPACE" envDefault:"default"`
	// APIKey authenticates against Temporal Cloud; it implies TLS.
	APIKey string `env:"TEMPORAL_API_KEY"`
	// mTLS client certificate and key, and an optional private CA for the server.
	TLSCertPath     string `env:"TEMPORAL_TLS_CLIENT_CERT_PATH"`
	TLSKeyPath      string `env:"TEMPORAL_TLS_CLIENT_KEY_PATH"`
	TLSServerCAPath string `env:"TEMPORAL_TLS_SERVER_CA_CERT_PATH"`
	TLSServerName   string `env:"TEMPORAL_TLS_SERVER_NAME"`
}

// HighLevel holds the marketplace app's credentials and the API's addresses.
type HighLevel struct {
	BaseURL string `env:"HIGHLEVEL_BASE_URL" envDefault:"https://services.leadconnectorhq.com"`
	// AuthURL is the consent page the agency admin is sent to when connecting.
	AuthURL      string `env:"HIGHLEVEL_AUTH_URL" envDefault:"https://marketplace.gohighlevel.com/v2/oauth/chooselocation"`
	ClientID     string `env:"HIGHLEVEL_CLIENT_ID,required,notEmpty"`
	ClientSecret string `env:"HIGHLEVEL_CLIENT_SECRET,required,notEmpty"`
	// Scopes requested at consent: only what the flows use (least privilege).
	Scopes         []string      `env:"HIGHLEVEL_SCOPES" envSeparator:" " envDefault:"oauth.readonly oauth.write saas/company.read saas/company.write saas/location.read saas/location.write locations.readonly"`
	RequestTimeout time.Duration `env:"HIGHLEVEL_REQUEST_TIMEOUT" envDefault:"20s"`
	// DefaultPlanID (and DefaultPriceID) is the SaaS plan a new location's onboarding
	// sets up when its install carries no plan or subscription and no initialPlan rule
	// of the mapping applies; empty sets up none.
	DefaultPlanID  string `env:"HIGHLEVEL_DEFAULT_PLAN_ID"`
	DefaultPriceID string `env:"HIGHLEVEL_DEFAULT_PRICE_ID"`
}

// AppID is the marketplace app id: HighLevel client ids are "<appId>-<suffix>".
func (h HighLevel) AppID() string {
	id, _, _ := strings.Cut(h.ClientID, "-")
	return id
}

// Actionstep holds the Actionstep app's credentials, the organisation saasbridge writes
// to, and the names of what it writes (resolved through the API at run time).
type Actionstep struct {
	AuthURL      string `env:"ACTIONSTEP_AUTH_URL" envDefault:"https://go.actionstep.com/api/oauth/authorize"`
	TokenURL     string `env:"ACTIONSTEP_TOKEN_URL" envDefault:"https://api.actionstep.com/api/oauth/token"`
	ClientID     string `env:"ACTIONSTEP_CLIENT_ID,required,notEmpty"`
	ClientSecret string `env:"ACTIONSTEP_CLIENT_SECRET,required,notEmpty"`
	// Scopes: one per resource the flows touch (least privilege), space-separated.
	Scopes []string `env:"ACTIONSTEP_SCOPES" envSeparator:" " envDefault:"participants participanttypes participantdefaulttypes actiontypes actions actioncreate actionparticipants datacollections datacollectionfields datacollectionrecords datacollectionrecordvalues filenotes contactnotes tasks users"`
	// OrgKey is the organisation connected through /oauth/actionstep/start; its token
	// is the one the worker uses.
	OrgKey string `env:"ACTIONSTEP_ORG_KEY,required,notEmpty"`
	// MatterType, ClientType and DataCollection name the matter type of subscription
	// matters, the participant type of the client on them, and the matter type's data
	// collection that holds the subscription's fields.
	MatterType     string `env:"ACTIONSTEP_MATTER_TYPE" envDefault:"SaaS Subscription"`
	ClientType     string `env:"ACTIONSTEP_CLIENT_TYPE" envDefault:"Client"`
	DataCollection string `env:"ACTIONSTEP_DATA_COLLECTION" envDefault:"saas_subscription"`
	// Template is the shipped mapping template (name or name@version, `starter
	// templates` lists them); Mapping (inline JSON) or MappingFile (a path) is laid
	// over it, or replaces the default template when there is none.
	Template    string        `env:"ACTIONSTEP_TEMPLATE"`
	Mapping     string        `env:"ACTIONSTEP_MAPPING"`
	MappingFile string        `env:"ACTIONSTEP_MAPPING_FILE"`
	CallTimeout time.Duration `env:"ACTIONSTEP_REQUEST_TIMEOUT" envDefault:"20s"`
}

// Store locates the token store and the keys that encrypt tokens at rest.
type Store struct {
	// DSN is a SQLite file path (the default) or a sqlite:// / file: URL.
	DSN string `env:"STORE_DSN" envDefault:"saasbridge.db"`
	// EncryptionKey seals every token written: 32 random bytes, base64-encoded
	// (openssl rand -base64 32), optionally preceded by its key id, "2:<base64>". A bare
	// key has id 1, the id of every row written before keys had ids.
	EncryptionKey StoreKey `env:"STORE_ENCRYPTION_KEY,required,notEmpty"`
	// OldEncryptionKeys are retired keys, "id:base64,…": rows sealed with them stay
	// readable (and are re-sealed with EncryptionKey when next written) until
	// `starter store reencrypt` has rewritten them all.
	OldEncryptionKeys StoreKeys `env:"STORE_ENCRYPTION_OLD_KEYS"`
}

// OldKeys maps the retired keys by id, as tokens.WithOldKeys takes them.
func (s Store) OldKeys() map[byte][]byte {
	out := make(map[byte][]byte, len(s.OldEncryptionKeys))
	for _, k := range s.OldEncryptionKeys {
		out[k.ID] = k.Key
	}
	return out
}

// Payloads holds the keys that encrypt workflow inputs and results (names, emails and
// addresses) before they reach Temporal. Every worker and starter needs the same keys.
type Payloads struct {
	// Keys is "id:base64key,…" (32-byte keys); old keys stay listed while histories
	// encrypted with them are still around.
	Keys string `env:"PAYLOAD_ENCRYPTION_KEYS,required,notEmpty"`
	// KeyID is the id of the key that encrypts new payloads (default: the first).
	KeyID string `env:"PAYLOAD_ENCRYPTION_KEY_ID"`
}

// Log configures the process logger.
type Log struct {
	Level  string `env:"LOG_LEVEL" envDefault:"info"`
	Format string `env:"LOG_FORMAT" envDefault:"json"`
}

// Key is a 32-byte AES-256 key given in base64.
type Key []byte

// UnmarshalText decodes the base64 form and insists on 32 bytes, so a truncated key is
// caught at start rather than on the first token write.
func (k *Key) UnmarshalText(b []byte) error {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return errors.New("must be base64")
	}
	if len(raw) != 32 {
		return fmt.Errorf("must decode to 32 bytes, got %d", len(raw))
	}
	*k = raw
	return nil
}

// String never shows the key: configs get logged.
func (k Key) String() string { return "[redacted]" }

// StoreKey is a token-store key with its id (1–255), written "[id:]base64".
type StoreKey struct {
	ID  byte
	Key Key
}

// UnmarshalText reads "id:base64" or a bare base64 key (id 1).
func (k *StoreKey) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	id := 1
	if prefix, rest, ok := strings.Cut(s, ":"); ok {
		n, err := strconv.Atoi(prefix)
		if err != nil || n < 1 || n > 255 {
			return errors.New("key id (before the colon) must be a number from 1 to 255")
		}
		id, s = n, rest
	}
	var key Key
	if err := key.UnmarshalText([]byte(s)); err != nil {
		return err
	}
	*k = StoreKey{ID: byte(id), Key: key}
	return nil
}

// String never shows the key.
func (k StoreKey) String() string { return fmt.Sprintf("key %d [redacted]", k.ID) }

// StoreKeys is a comma-separated list of "id:base64" keys, ids given explicitly.
type StoreKeys []StoreKey

// UnmarshalText splits on commas; every entry must name its id.
func (ks *StoreKeys) UnmarshalText(b []byte) error {
	var out StoreKeys
	for i, part := range strings.Split(string(b), ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		if !strings.Contains(part, ":") {
			return fmt.Errorf("entry %d: must be id:base64key", i+1)
		}
		var k StoreKey
		if err := k.UnmarshalText([]byte(part)); err != nil {
			return fmt.Errorf("entry %d: %w", i+1, err)
		}
		out = append(out, k)
	}
	*ks = out
	return nil
}

// Switch is an on/off setting: on, off, true, false, yes, no, 1 or 0.
type Switch bool

// UnmarshalText reads the switch's words.
func (s *Switch) UnmarshalText(b []byte) error {
	switch strings.ToLower(strings.TrimSpace(string(b))) {
	case "on", "true", "yes", "1":
		*s = true
	case "off", "false", "no", "0", "":
		*s = false
	default:
		return errors.New("must be on or off")
	}
	return nil
}

// Worker is the worker process's configuration.
type Worker struct {
	Temporal   Temporal
	HighLevel  HighLevel
	Actionstep Actionstep
	Store      Store
	Payloads   Payloads
	Log        Log
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
	Temporal   Temporal
	HighLevel  HighLevel
	Actionstep Actionstep
	Store      Store
	Payloads   Payloads
	Log        Log
	// CompanyIDs are the agencies (HighLevel companies) saasbridge serves: only they may
	// connect, and webhooks naming any other company start nothing. CompanyID, the
	// agency CLI commands act for by default, belongs to the list too.
	CompanyIDs []string `env:"HIGHLEVEL_COMPANY_IDS" envSeparator:","`
	CompanyID  string   `env:"HIGHLEVEL_COMPANY_ID"`
	// ListenAddr is the public listener: webhooks, billing events, OAuth callbacks.
	ListenAddr string `env:"STARTER_LISTEN_ADDR" envDefault:"127.0.0.1:8080"`
	// OperatorAddr is the operator listener: codec, metrics, readiness, connect start
	// pages. Bound beyond loopback it requires OPERATOR_AUTH_TOKEN or OIDC.
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
	// WebhookMaxBodyBytes bounds webhook and billing-event bodies (413 beyond).
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

// OIDC names the identity provider whose JWTs the operator listener accepts.
type OIDC struct {
	// Issuer is the iss every token must carry; its discovery document names the
	// JWKS unless JWKSURL does.
	Issuer   string `env:"OPERATOR_OIDC_ISSUER"`
	Audience string `env:"OPERATOR_OIDC_AUDIENCE"`
	JWKSURL  string `env:"OPERATOR_OIDC_JWKS_URL"`
}

// Enabled reports whether JWTs are accepted.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

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

// DefaultCompany is the agency CLI commands act for: HIGHLEVEL_COMPANY_ID, else the
// first of HIGHLEVEL_COMPANY_IDS.
// OperatorURL is the operator listener's base URL, as the programs on its host reach it.
func (s Starter) OperatorURL() string { return "http://" + s.OperatorAddr }

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

// PEMBlocks holds one or more PEM blocks from one variable. Literal "\n" sequences
// (how many .env tools store newlines) are accepted.
type PEMBlocks []string

// UnmarshalText splits the value into PEM blocks.
func (p *PEMBlocks) UnmarshalText(b []byte) error {
	rest := []byte(strings.ReplaceAll(string(b), `\n`, "\n"))
	var out PEMBlocks
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		out = append(out, string(pem.EncodeToMemory(block)))
	}
	if len(out) == 0 && strings.TrimSpace(string(b)) != "" {
		return errors.New("holds no PEM block")
	}
	*p = out
	return nil
}

// Secrets is a comma-separated list of shared secrets.
type Secrets [][]byte

// UnmarshalText splits on commas and drops empty entries.
func (s *Secrets) UnmarshalText(b []byte) error {
	var out Secrets
	for _, part := range strings.Split(string(b), ",") {
		if part = strings.TrimSpace(part); part != "" {
			if len(part) < 16 {
				return errors.New("each secret must be at least 16 characters")
			}
			out = append(out, []byte(part))
		}
	}
	*s = out
	return nil
}

// String never shows the secrets.
func (s Secrets) String() string { return fmt.Sprintf("[%d secrets redacted]", len(s)) }

// HighLevelRedirectURL is the OAuth callback registered with the HighLevel app.
func (s Starter) HighLevelRedirectURL() string {
	return strings.TrimRight(s.PublicURL, "/") + "/oauth/highlevel/callback"
}

// ActionstepRedirectURL is the OAuth callback registered with the Actionstep app.
func (s Starter) ActionstepRedirectURL() string {
	return strings.TrimRight(s.PublicURL, "/") + "/oauth/actionstep/callback"
}

// LoadWorker reads the worker's configuration from the environment.
func LoadWorker() (Worker, error) { return load[Worker](os.Environ()) }

// retired are settings earlier releases read, each with what replaced it.
var retired = map[string]string{
	"HIGHLEVEL_RATE_PER_SECOND":  "HIGHLEVEL_RATE_LIMIT (each agency's own share of HighLevel's window)",
	"ACTIONSTEP_RATE_PER_SECOND": "ACTIONSTEP_RATE_CEILING (an adaptive rate up to it)",
}

// Retired lists the settings in the environment that no longer have an effect, with
// what replaced them, so the programs can warn about a stale .env instead of
// silently ignoring it.
func Retired() []string { return retiredIn(os.Environ()) }

func retiredIn(environ []string) []string {
	var out []string
	for name, now := range env.ToMap(environ) {
		if by, ok := retired[name]; ok && now != "" {
			out = append(out, fmt.Sprintf("%s no longer has an effect: replaced by %s", name, by))
		}
	}
	slices.Sort(out)
	return out
}

// LoadStarter reads the starter's configuration from the environment.
func LoadStarter() (Starter, error) { return load[Starter](os.Environ()) }

// validator is implemented by config sections that check more than types.
type validator interface{ problems() []problem }

type problem struct{ key, msg string }

// Error lists every bad variable. Its message never contains a value, only names and
// reasons, because values may be secrets.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration: " + strings.Join(e.Problems, "; ")
}

func load[T any](environ []string) (T, error) {
	var cfg T
	opts := env.Options{Environment: env.ToMap(environ)}
	var probs []problem
	if err := env.ParseWithOptions(&cfg, opts); err != nil {
		probs = append(probs, explain(err, fieldKeys(reflect.TypeOf(cfg)))...)
	}
	probs = append(probs, collect(reflect.ValueOf(cfg))...)
	if len(probs) == 0 {
		return cfg, nil
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(probs))
	for _, p := range probs {
		s := p.key + ": " + p.msg
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return cfg, &Error{Problems: out}
}

// explain turns caarlos0/env's aggregate error into one problem per variable.
func explain(err error, keys map[string]string) []problem {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return []problem{{"environment", err.Error()}}
	}
	var out []problem
	for _, e := range agg.Errors {
		var (
			notSet env.VarIsNotSetError
			empty  env.EmptyVarError
			parse  env.ParseError
		)
		switch {
		case errors.As(e, &notSet):
			out = append(out, problem{notSet.Key, "required but not set"})
		case errors.As(e, &empty):
			out = append(out, problem{empty.Key, "required but empty"})
		case errors.As(e, &parse):
			key := keys[parse.Name]
			if key == "" {
				key = parse.Name
			}
			out = append(out, problem{key, parseReason(parse)})
		default:
			out = append(out, problem{"environment", e.Error()})
		}
	}
	return out
}

// parseReason explains a malformed value by its expected type. It never quotes the
// value (strconv and time errors do): the value may be a secret.
func parseReason(e env.ParseError) string {
	switch e.Type {
	case reflect.TypeFor[time.Duration]():
		return "must be a duration such as 30s or 5m"
	case reflect.TypeFor[Key](), reflect.TypeFor[PEMBlocks](), reflect.TypeFor[Secrets](),
		reflect.TypeFor[StoreKey](), reflect.TypeFor[StoreKeys](), reflect.TypeFor[Switch](), reflect.TypeFor[pacing.Window]():
		return e.Err.Error() // our own messages, which hold no value
	}
	switch e.Type.Kind() {
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "must be an integer"
	case reflect.Bool:
		return "must be true or false"
	}
	return "malformed value"
}

// fieldKeys maps struct field names to their variable names; caarlos0/env reports parse
// errors by field name only. Names of fields that can fail to parse (anything but
// strings) are unique across sections (see the test).
func fieldKeys(t reflect.Type) map[string]string {
	out := map[string]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
			for k, v := range fieldKeys(f.Type) {
				out[k] = v
			}
			continue
		}
		if tag := f.Tag.Get("env"); tag != "" {
			key, _, _ := strings.Cut(tag, ",")
			out[f.Name] = key
		}
	}
	return out
}

// collect runs every section's own checks.
func collect(v reflect.Value) []problem {
	var out []problem
	if val, ok := v.Interface().(validator); ok {
		out = append(out, val.problems()...)
	}
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Struct && v.Type().Field(i).Tag.Get("env") == "" {
			out = append(out, collect(f)...)
		}
	}
	return out
}

func (t Temporal) problems() []problem {
	var out []problem
	if (t.TLSCertPath == "") != (t.TLSKeyPath == "") {
		out = append(out, problem{"TEMPORAL_TLS_CLIENT_CERT_PATH", "must be set together with TEMPORAL_TLS_CLIENT_KEY_PATH"})
	}
	for key, path := range map[string]string{
		"TEMPORAL_TLS_CLIENT_CERT_PATH":    t.TLSCertPath,
		"TEMPORAL_TLS_CLIENT_KEY_PATH":     t.TLSKeyPath,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": t.TLSServerCAPath,
	} {
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			out = append(out, problem{key, "file not readable"})
		}
	}
	if t.Address == "" {
		out = append(out, problem{"TEMPORAL_ADDRESS", "must not be empty"})
	}
	if t.Namespace == "" {
		out = append(out, problem{"TEMPORAL_NAMESPACE", "must not be empty"})
	}
	return out
}

// TLS returns the TLS settings implied by the configuration, or nil for plaintext
// (a local dev server).
func (t Temporal) TLS() (*tls.Config, error) {
	if t.APIKey == "" && t.TLSCertPath == "" && t.TLSServerCAPath == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.TLSServerName}
	if t.TLSCertPath != "" {
		cert, err := tls.LoadX509KeyPair(t.TLSCertPath, t.TLSKeyPath)
		if err != nil {
			return nil, fmt.Errorf("load Temporal client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if t.TLSServerCAPath != "" {
		pem, err := os.ReadFile(t.TLSServerCAPath)
		if err != nil {
			return nil, fmt.Errorf("read Temporal server CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("TEMPORAL_TLS_SERVER_CA_CERT_PATH holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func (h HighLevel) problems() []problem {
	var out []problem
	for key, raw := range map[string]string{"HIGHLEVEL_BASE_URL": h.BaseURL, "HIGHLEVEL_AUTH_URL": h.AuthURL} {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			out = append(out, problem{key, "must be an absolute http(s) URL"})
		}
	}
	if h.ClientID != "" && !strings.Contains(h.ClientID, "-") {
		out = append(out, problem{"HIGHLEVEL_CLIENT_ID", "must look like <appId>-<suffix>"})
	}
	if h.RequestTimeout <= 0 {
		out = append(out, problem{"HIGHLEVEL_REQUEST_TIMEOUT", "must be positive"})
	}
	if len(h.Scopes) == 0 {
		out = append(out, problem{"HIGHLEVEL_SCOPES", "must list at least one scope"})
	}
	for key, id := range map[string]string{"HIGHLEVEL_DEFAULT_PLAN_ID": h.DefaultPlanID, "HIGHLEVEL_DEFAULT_PRICE_ID": h.DefaultPriceID} {
		if len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			out = append(out, problem{key, "must be an id: at most 128 characters without spaces or control characters"})
		}
	}
	if h.DefaultPriceID != "" && h.DefaultPlanID == "" {
		out = append(out, problem{"HIGHLEVEL_DEFAULT_PRICE_ID", "needs HIGHLEVEL_DEFAULT_PLAN_ID (a price of that plan)"})
	}
	return out
}

func (a Actionstep) problems() []problem {
	var out []problem
	for key, raw := range map[string]string{"ACTIONSTEP_AUTH_URL": a.AuthURL, "ACTIONSTEP_TOKEN_URL": a.TokenURL} {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			out = append(out, problem{key, "must be an absolute http(s) URL"})
		}
	}
	for key, v := range map[string]string{"ACTIONSTEP_MATTER_TYPE": a.MatterType, "ACTIONSTEP_CLIENT_TYPE": a.ClientType, "ACTIONSTEP_DATA_COLLECTION": a.DataCollection} {
		if strings.TrimSpace(v) == "" {
			out = append(out, problem{key, "must not be empty"})
		}
	}
	if a.Mapping != "" && a.MappingFile != "" {
		out = append(out, problem{"ACTIONSTEP_MAPPING", "set ACTIONSTEP_MAPPING or ACTIONSTEP_MAPPING_FILE, not both"})
	}
	if a.CallTimeout <= 0 {
		out = append(out, problem{"ACTIONSTEP_REQUEST_TIMEOUT", "must be positive"})
	}
	if len(a.Scopes) == 0 {
		out = append(out, problem{"ACTIONSTEP_SCOPES", "must list at least one scope"})
	}
	return out
}

func (s Store) problems() []problem {
	var out []problem
	if strings.TrimSpace(s.DSN) == "" {
		out = append(out, problem{"STORE_DSN", "must not be empty"})
	}
	seen := map[byte]bool{s.EncryptionKey.ID: true}
	for _, k := range s.OldEncryptionKeys {
		if seen[k.ID] {
			out = append(out, problem{"STORE_ENCRYPTION_OLD_KEYS", fmt.Sprintf("key id %d is used twice (or is the current key's)", k.ID)})
		}
		seen[k.ID] = true
	}
	return out
}

func (o OIDC) problems() []problem {
	var out []problem
	if (o.Issuer == "") != (o.Audience == "") {
		out = append(out, problem{"OPERATOR_OIDC_ISSUER", "must be set together with OPERATOR_OIDC_AUDIENCE"})
	}
	if o.JWKSURL != "" && o.Issuer == "" {
		out = append(out, problem{"OPERATOR_OIDC_JWKS_URL", "needs OPERATOR_OIDC_ISSUER"})
	}
	for key, raw := range map[string]string{"OPERATOR_OIDC_ISSUER": o.Issuer, "OPERATOR_OIDC_JWKS_URL": o.JWKSURL} {
		if raw == "" {
			continue
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			out = append(out, problem{key, "must be an absolute http(s) URL"})
		}
	}
	return out
}

func (l Log) problems() []problem {
	var out []problem
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		out = append(out, problem{"LOG_LEVEL", "must be one of debug, info, warn, error"})
	}
	switch l.Format {
	case "json", "console":
	default:
		out = append(out, problem{"LOG_FORMAT", "must be json or console"})
	}
	return out
}

func (w Worker) problems() []problem {
	var out []problem
	if w.ActionstepRateCeiling <= 0 {
		out = append(out, problem{"ACTIONSTEP_RATE_CEILING", "must be positive"})
	}
	if w.ShutdownTimeout < 0 {
		out = append(out, problem{"WORKER_SHUTDOWN_TIMEOUT", "must not be negative"})
	}
	if w.StepBudget < time.Second {
		out = append(out, problem{"STEP_BUDGET", "must be at least 1s"})
	}
	if w.ReinstallGrace < 0 {
		out = append(out, problem{"RECONCILE_REINSTALL_GRACE", "must not be negative"})
	}
	if w.AuditCallRetentionDays < 0 {
		out = append(out, problem{"AUDIT_CALL_RETENTION_DAYS", "must be 0 (keep every call entry) or more"})
	}
	return append(out, transportProblems(w.InsecureHTTPHosts, apiURLs(w.HighLevel, w.Actionstep))...)
}

// apiURLs are the URLs tokens, codes and client secrets travel to.
func apiURLs(h HighLevel, a Actionstep) map[string]string {
	return map[string]string{
		"HIGHLEVEL_BASE_URL": h.BaseURL, "HIGHLEVEL_AUTH_URL": h.AuthURL,
		"ACTIONSTEP_AUTH_URL": a.AuthURL, "ACTIONSTEP_TOKEN_URL": a.TokenURL,
	}
}

// transportProblems insists on https for every URL that leaves the host: plain http
// is accepted for loopback only, and for the hosts INSECURE_HTTP_HOSTS names (the
// simulators of the compose demo). Malformed URLs are reported by their sections.
func transportProblems(insecure []string, urls map[string]string) []problem {
	var out []problem
	for key, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			continue
		}
		if !IsLoopbackHost(u.Hostname()) && !slices.Contains(insecure, u.Hostname()) {
			out = append(out, problem{key, "must be https (plain http only for loopback or INSECURE_HTTP_HOSTS)"})
		}
	}
	return out
}

// IsLoopbackHost reports whether host (a name or an IP, no port) is this machine's
// loopback: "localhost" or an address in 127.0.0.0/8 or ::1.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s Starter) problems() []problem {
	var out []problem
	if u, err := url.Parse(s.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		out = append(out, problem{"STARTER_PUBLIC_URL", "must be an absolute http(s) URL"})
	}
	for key, d := range map[string]time.Duration{
		"STARTER_TEMPORAL_TIMEOUT": s.TemporalCallTimeout, "WEBHOOK_MAX_AGE": s.WebhookMaxAge, "BILLING_MAX_AGE": s.BillingMaxAge,
		"STRIPE_MAX_AGE":     s.StripeMaxAge,
		"RECONCILE_INTERVAL": s.ReconcileInterval, "UPKEEP_INTERVAL": s.UpkeepInterval,
	} {
		if d <= 0 {
			out = append(out, problem{key, "must be positive"})
		}
	}
	if s.WebhookMaxBodyBytes <= 0 {
		out = append(out, problem{"WEBHOOK_MAX_BODY_BYTES", "must be positive"})
	}
	out = append(out, s.listenerProblems()...)
	out = append(out, s.tokenProblems()...)
	urls := apiURLs(s.HighLevel, s.Actionstep)
	urls["STARTER_PUBLIC_URL"] = s.PublicURL
	urls["OPERATOR_OIDC_ISSUER"], urls["OPERATOR_OIDC_JWKS_URL"] = s.OIDC.Issuer, s.OIDC.JWKSURL
	return append(out, transportProblems(s.InsecureHTTPHosts, urls)...)
}

func (s Starter) listenerProblems() []problem {
	var out []problem
	for key, addr := range map[string]string{"STARTER_LISTEN_ADDR": s.ListenAddr, "STARTER_OPERATOR_ADDR": s.OperatorAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			out = append(out, problem{key, "must be host:port"})
		}
	}
	if s.ListenAddr == s.OperatorAddr {
		out = append(out, problem{"STARTER_OPERATOR_ADDR", "must differ from STARTER_LISTEN_ADDR: the operator listener is never public"})
	}
	return out
}

// pathSafe is what a codec token may hold: it may travel as a path segment.
var pathSafe = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

func (s Starter) tokenProblems() []problem {
	var out []problem
	for _, t := range s.CodecTokens {
		if !pathSafe.Match(t) {
			out = append(out, problem{"CODEC_AUTH_TOKEN", "each token must be letters, digits and -._~ (it may travel in the codec endpoint's path)"})
			break
		}
	}
	for _, id := range s.Companies() {
		if len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			out = append(out, problem{"HIGHLEVEL_COMPANY_IDS", "company ids must be at most 128 characters without spaces or control characters"})
			break
		}
	}
	return out
}
