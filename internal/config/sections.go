package config

import (
	"strings"
	"time"
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
	// DSN is a SQLite file path (the default), a sqlite:// or file: URL for a store on
	// one host, or a postgres:// or postgresql:// URL for one shared by several hosts
	// (see tokens.Open).
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
