package config

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var goodKey = base64.StdEncoding.EncodeToString(make([]byte, 32))

func baseEnv() []string {
	return []string{
		"HIGHLEVEL_CLIENT_ID=6578278e879ad2646715ba9c-megyp358",
		"HIGHLEVEL_CLIENT_SECRET=5f0c1e8e-secret",
		"STORE_ENCRYPTION_KEY=" + goodKey,
		"ACTIONSTEP_CLIENT_ID=as-client",
		"ACTIONSTEP_CLIENT_SECRET=as-secret",
		"ACTIONSTEP_ORG_KEY=demoorg",
		"PAYLOAD_ENCRYPTION_KEYS=k1:" + goodKey,
	}
}

func TestLoadWorkerDefaults(t *testing.T) {
	cfg, err := load[Worker](baseEnv())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if cfg.Temporal.Address != "127.0.0.1:7233" || cfg.Temporal.Namespace != "default" {
		t.Errorf("temporal defaults: %+v", cfg.Temporal)
	}
	if got := cfg.HighLevel.AppID(); got != "6578278e879ad2646715ba9c" {
		t.Errorf("AppID = %q", got)
	}
	if cfg.HighLevel.RequestTimeout != 20*time.Second {
		t.Errorf("timeout = %v", cfg.HighLevel.RequestTimeout)
	}
	if !reflect.DeepEqual(cfg.HighLevel.Scopes[:2], []string{"oauth.readonly", "oauth.write"}) {
		t.Errorf("scopes = %v", cfg.HighLevel.Scopes)
	}
	if len(cfg.Store.EncryptionKey.Key) != 32 || cfg.Store.EncryptionKey.ID != 1 {
		t.Errorf("key %s, length %d", cfg.Store.EncryptionKey, len(cfg.Store.EncryptionKey.Key))
	}
	if w := cfg.HighLevelRateLimit; w.Max != 100 || w.Per != 10*time.Second || cfg.ActionstepRateCeiling != 20 {
		t.Errorf("pacing defaults: HighLevel %s, Actionstep ceiling %v", w, cfg.ActionstepRateCeiling)
	}
	off, err := load[Worker](append(baseEnv(), "HIGHLEVEL_RATE_LIMIT=off"))
	if err != nil || !off.HighLevelRateLimit.Off() {
		t.Errorf("HIGHLEVEL_RATE_LIMIT=off: %v, %s", err, off.HighLevelRateLimit)
	}
}

// TestRetiredSettingsAreNamed: settings of earlier releases that no longer have an
// effect are named with what replaced them (the worker warns), not silently ignored.
func TestRetiredSettingsAreNamed(t *testing.T) {
	got := retiredIn(append(baseEnv(), "HIGHLEVEL_RATE_PER_SECOND=20", "ACTIONSTEP_RATE_PER_SECOND=4"))
	want := []string{
		"ACTIONSTEP_RATE_PER_SECOND no longer has an effect: replaced by ACTIONSTEP_RATE_CEILING (an adaptive rate up to it)",
		"HIGHLEVEL_RATE_PER_SECOND no longer has an effect: replaced by HIGHLEVEL_RATE_LIMIT (each agency's own share of HighLevel's window)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("retired = %q", got)
	}
	if got := retiredIn(append(baseEnv(), "HIGHLEVEL_RATE_PER_SECOND=")); len(got) != 0 {
		t.Errorf("an empty retired setting is not worth a warning: %q", got)
	}
}

func TestLoadNamesEveryBadVariable(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		want    []string // variable names that must be named
		notWant []string // substrings that must not leak
	}{
		{
			name: "all required missing",
			env:  nil,
			want: []string{"HIGHLEVEL_CLIENT_ID: required but not set", "HIGHLEVEL_CLIENT_SECRET: required but not set", "STORE_ENCRYPTION_KEY: required but not set",
				"ACTIONSTEP_CLIENT_ID: required but not set", "ACTIONSTEP_ORG_KEY: required but not set"},
		},
		{
			name: "malformed values",
			env: append(baseEnv()[:2],
				"STORE_ENCRYPTION_KEY=c2hvcnQ=",
				"HIGHLEVEL_REQUEST_TIMEOUT=soon-ish",
				"ACTIONSTEP_RATE_CEILING=fast",
				"HIGHLEVEL_RATE_LIMIT=lots",
				"HIGHLEVEL_BASE_URL=not a url",
				"LOG_LEVEL=loud",
				"LOG_FORMAT=xml",
			),
			want: []string{
				"STORE_ENCRYPTION_KEY: must decode to 32 bytes",
				"HIGHLEVEL_REQUEST_TIMEOUT: must be a duration",
				"ACTIONSTEP_RATE_CEILING: must be a number",
				"HIGHLEVEL_RATE_LIMIT: must be requests/duration, e.g. 100/10s, or off",
				"HIGHLEVEL_BASE_URL: must be an absolute http(s) URL",
				"LOG_LEVEL:", "LOG_FORMAT:",
			},
			notWant: []string{"soon-ish", "fast", "lots", "c2hvcnQ="},
		},
		{
			name:    "empty secret and bad client id",
			env:     []string{"HIGHLEVEL_CLIENT_ID=nodash", "HIGHLEVEL_CLIENT_SECRET=", "STORE_ENCRYPTION_KEY=%%%"},
			want:    []string{"HIGHLEVEL_CLIENT_ID: must look like", "HIGHLEVEL_CLIENT_SECRET: required but empty", "STORE_ENCRYPTION_KEY: must be base64"},
			notWant: []string{"nodash", "%%%"},
		},
		{
			name: "half an mTLS pair",
			env:  append(baseEnv(), "TEMPORAL_TLS_CLIENT_CERT_PATH=/nonexistent/cert.pem"),
			want: []string{"TEMPORAL_TLS_CLIENT_CERT_PATH: must be set together", "TEMPORAL_TLS_CLIENT_CERT_PATH: file not readable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load[Worker](tt.env)
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("want *Error, got %v", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			for _, nw := range tt.notWant {
				if strings.Contains(msg, nw) {
					t.Errorf("message leaks value %q:\n%s", nw, msg)
				}
			}
		})
	}
}

func TestStarterRedirectURL(t *testing.T) {
	cfg, err := load[Starter](append(baseEnv(), "STARTER_PUBLIC_URL=https://bridge.example.com/"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.HighLevelRedirectURL(); got != "https://bridge.example.com/oauth/highlevel/callback" {
		t.Errorf("redirect = %q", got)
	}
}

func TestKeyNeverPrinted(t *testing.T) {
	k := Key("0123456789abcdef0123456789abcdef")
	if s := k.String(); strings.Contains(s, "0123") {
		t.Errorf("String() = %q", s)
	}
}

// Parse errors are reported by field name; the mapping to variable names relies on
// the names of fields that can fail to parse (not strings) being unique across sections.
func TestFieldNamesUnique(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[Worker](), reflect.TypeFor[Starter]()} {
		seen := map[string]string{}
		var walk func(reflect.Type)
		walk = func(t2 reflect.Type) {
			for i := range t2.NumField() {
				f := t2.Field(i)
				if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
					walk(f.Type)
					continue
				}
				key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
				if f.Type.Kind() == reflect.String || (f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String) {
					continue
				}
				if prev, ok := seen[f.Name]; ok && prev != key {
					t.Errorf("%s: field %s maps to both %s and %s", typ, f.Name, prev, key)
				}
				seen[f.Name] = key
			}
		}
		walk(typ)
	}
}

// .env.example is the contract for operators: it must document every variable the
// programs read, and nothing they don't.
func TestEnvExampleDocumentsEveryVariable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, _, _ := strings.Cut(line, "=")
		documented[key] = true
	}
	read := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
				walk(f.Type)
				continue
			}
			if key, _, _ := strings.Cut(f.Tag.Get("env"), ","); key != "" {
				read[key] = true
			}
		}
	}
	walk(reflect.TypeFor[Worker]())
	walk(reflect.TypeFor[Starter]())
	for key := range read {
		if !documented[key] {
			t.Errorf("%s is read but not in .env.example", key)
		}
	}
	for key := range documented {
		if !read[key] {
			t.Errorf("%s is in .env.example but no program reads it", key)
		}
	}
}

func starterProblems(t *testing.T, env ...string) string {
	t.Helper()
	_, err := load[Starter](append(baseEnv(), env...))
	if err == nil {
		return ""
	}
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("want *Error, got %v", err)
	}
	return err.Error()
}

func TestStoreKeysCarryIDs(t *testing.T) {
	other := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	cfg, err := load[Worker](append(baseEnv(), "STORE_ENCRYPTION_KEY=3:"+other, "STORE_ENCRYPTION_OLD_KEYS=1:"+goodKey+", 2:"+goodKey))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.EncryptionKey.ID != 3 || string(cfg.Store.EncryptionKey.Key) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("current key = %s", cfg.Store.EncryptionKey)
	}
	old := cfg.Store.OldKeys()
	if len(old) != 2 || len(old[1]) != 32 || len(old[2]) != 32 {
		t.Errorf("old keys = %d", len(old))
	}
	for _, tt := range []struct{ env, want string }{
		{"STORE_ENCRYPTION_KEY=0:" + goodKey, "STORE_ENCRYPTION_KEY: key id (before the colon) must be a number from 1 to 255"},
		{"STORE_ENCRYPTION_KEY=256:" + goodKey, "STORE_ENCRYPTION_KEY: key id"},
		{"STORE_ENCRYPTION_OLD_KEYS=" + goodKey, "STORE_ENCRYPTION_OLD_KEYS: entry 1: must be id:base64key"},
		{"STORE_ENCRYPTION_OLD_KEYS=1:" + goodKey, "STORE_ENCRYPTION_OLD_KEYS: key id 1 is used twice"},
		{"STORE_ENCRYPTION_OLD_KEYS=2:c2hvcnQ=", "STORE_ENCRYPTION_OLD_KEYS: entry 1: must decode to 32 bytes"},
	} {
		msg := starterProblems(t, tt.env)
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%s: message lacks %q:\n%s", tt.env, tt.want, msg)
		}
		if strings.Contains(msg, goodKey) || strings.Contains(msg, "c2hvcnQ=") {
			t.Errorf("%s: message leaks the key", tt.env)
		}
	}
}

func TestSwitches(t *testing.T) {
	cfg, err := load[Starter](baseEnv())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WebhookLegacyRSA || cfg.HighLevelPKCE || cfg.ActionstepPKCE {
		t.Error("legacy RSA and PKCE default to off")
	}
	cfg, err = load[Starter](append(baseEnv(), "HIGHLEVEL_WEBHOOK_LEGACY_RSA=on", "HIGHLEVEL_OAUTH_PKCE=true", "ACTIONSTEP_OAUTH_PKCE=1"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.WebhookLegacyRSA || !cfg.HighLevelPKCE || !cfg.ActionstepPKCE {
		t.Error("switches not turned on")
	}
	if msg := starterProblems(t, "HIGHLEVEL_WEBHOOK_LEGACY_RSA=maybe"); !strings.Contains(msg, "HIGHLEVEL_WEBHOOK_LEGACY_RSA: must be on or off") {
		t.Errorf("message: %s", msg)
	}
}

func TestHTTPSRequiredBeyondLoopback(t *testing.T) {
	tests := []struct {
		env  []string
		want string // "" when accepted
	}{
		{[]string{"HIGHLEVEL_BASE_URL=http://services.example.com"}, "HIGHLEVEL_BASE_URL: must be https"},
		{[]string{"HIGHLEVEL_AUTH_URL=http://10.0.0.5/v2/oauth/chooselocation"}, "HIGHLEVEL_AUTH_URL: must be https"},
		{[]string{"ACTIONSTEP_AUTH_URL=http://go.actionstep.com/api/oauth/authorize"}, "ACTIONSTEP_AUTH_URL: must be https"},
		{[]string{"ACTIONSTEP_TOKEN_URL=http://api.actionstep.com/api/oauth/token"}, "ACTIONSTEP_TOKEN_URL: must be https"},
		{[]string{"STARTER_PUBLIC_URL=http://bridge.example.com"}, "STARTER_PUBLIC_URL: must be https"},
		{[]string{"OPERATOR_OIDC_ISSUER=http://idp.example.com", "OPERATOR_OIDC_AUDIENCE=temporal-ui"}, "OPERATOR_OIDC_ISSUER: must be https"},
		{[]string{"HIGHLEVEL_BASE_URL=http://127.0.0.1:8081", "STARTER_PUBLIC_URL=http://localhost:8080", "ACTIONSTEP_TOKEN_URL=http://[::1]:8082/api/oauth/token"}, ""},
		{[]string{"HIGHLEVEL_BASE_URL=http://sandbox:8081", "INSECURE_HTTP_HOSTS=sandbox,other"}, ""},
		{[]string{"HIGHLEVEL_BASE_URL=https://services.example.com"}, ""},
	}
	for _, tt := range tests {
		msg := starterProblems(t, tt.env...)
		switch {
		case tt.want == "" && msg != "":
			t.Errorf("%v refused: %s", tt.env, msg)
		case !strings.Contains(msg, tt.want):
			t.Errorf("%v: message lacks %q: %s", tt.env, tt.want, msg)
		}
	}
	// The worker checks the API URLs too.
	if _, err := load[Worker](append(baseEnv(), "HIGHLEVEL_BASE_URL=http://services.example.com")); err == nil || !strings.Contains(err.Error(), "HIGHLEVEL_BASE_URL: must be https") {
		t.Errorf("worker accepted plain http: %v", err)
	}
}

func TestCompanyAllowlist(t *testing.T) {
	for _, tt := range []struct {
		env          []string
		want         []string
		defaultCompa string
	}{
		{nil, nil, ""},
		{[]string{"HIGHLEVEL_COMPANY_ID=c1"}, []string{"c1"}, "c1"},
		{[]string{"HIGHLEVEL_COMPANY_IDS=c2, c3,"}, []string{"c2", "c3"}, "c2"},
		{[]string{"HIGHLEVEL_COMPANY_IDS=c2,c1", "HIGHLEVEL_COMPANY_ID=c1"}, []string{"c2", "c1"}, "c1"},
		{[]string{"HIGHLEVEL_COMPANY_IDS=c2", "HIGHLEVEL_COMPANY_ID=c1"}, []string{"c2", "c1"}, "c1"},
	} {
		cfg, err := load[Starter](append(baseEnv(), tt.env...))
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Companies(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%v: Companies() = %v, want %v", tt.env, got, tt.want)
		}
		if got := cfg.DefaultCompany(); got != tt.defaultCompa {
			t.Errorf("%v: DefaultCompany() = %q, want %q", tt.env, got, tt.defaultCompa)
		}
	}
	if msg := starterProblems(t, "HIGHLEVEL_COMPANY_IDS=ok,with space"); !strings.Contains(msg, "HIGHLEVEL_COMPANY_IDS: company ids must be") {
		t.Errorf("message: %s", msg)
	}
}

func TestOperatorListenerSettings(t *testing.T) {
	cfg, err := load[Starter](baseEnv())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OperatorAddr != "127.0.0.1:8090" || cfg.ListenAddr != "127.0.0.1:8080" {
		t.Errorf("listeners: public %s, operator %s", cfg.ListenAddr, cfg.OperatorAddr)
	}
	if cfg.OperatorAuthConfigured() {
		t.Error("no operator authentication is configured by default")
	}
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"STARTER_OPERATOR_ADDR=127.0.0.1:8080"}, "STARTER_OPERATOR_ADDR: must differ from STARTER_LISTEN_ADDR"},
		{[]string{"STARTER_OPERATOR_ADDR=8090"}, "STARTER_OPERATOR_ADDR: must be host:port"},
		{[]string{"OPERATOR_OIDC_ISSUER=https://idp.example.com"}, "OPERATOR_OIDC_ISSUER: must be set together with OPERATOR_OIDC_AUDIENCE"},
		{[]string{"OPERATOR_OIDC_JWKS_URL=https://idp.example.com/jwks"}, "OPERATOR_OIDC_JWKS_URL: needs OPERATOR_OIDC_ISSUER"},
		{[]string{"CODEC_AUTH_TOKEN=a token with spaces in it"}, "CODEC_AUTH_TOKEN: each token must be letters, digits"},
		{[]string{"OPERATOR_AUTH_TOKEN=short"}, "OPERATOR_AUTH_TOKEN: each secret must be at least 16 characters"},
	}
	for _, tt := range tests {
		msg := starterProblems(t, tt.env...)
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%v: message lacks %q: %s", tt.env, tt.want, msg)
		}
		if strings.Contains(msg, "with spaces") || strings.Contains(msg, "short") && !strings.Contains(msg, "shortest") {
			t.Errorf("%v: message leaks a token: %s", tt.env, msg)
		}
	}
	cfg, err = load[Starter](append(baseEnv(), "OPERATOR_OIDC_ISSUER=https://idp.example.com", "OPERATOR_OIDC_AUDIENCE=temporal-ui"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.OperatorAuthConfigured() {
		t.Error("OIDC counts as operator authentication")
	}
}
