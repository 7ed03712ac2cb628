package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// validator is implemented by config sections that check more than types; load
// collects every section's problems together with the parse errors.
type validator interface{ problems() []problem }

// problem is one bad variable: its name and why, never its value (it may be a secret).
type problem struct{ key, msg string }

// problems checks that the mTLS files come in pairs and can be read, so a typo in a path
// fails at start rather than on the first connection, and that an address is named.
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

// problems checks the API addresses, the client id's shape and the default plan.
func (h HighLevel) problems() []problem {
	out := urlProblems(map[string]string{"HIGHLEVEL_BASE_URL": h.BaseURL, "HIGHLEVEL_AUTH_URL": h.AuthURL})
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
		if !isID(id) {
			out = append(out, problem{key, "must be an id: at most 128 characters without spaces or control characters"})
		}
	}
	if h.DefaultPriceID != "" && h.DefaultPlanID == "" {
		out = append(out, problem{"HIGHLEVEL_DEFAULT_PRICE_ID", "needs HIGHLEVEL_DEFAULT_PLAN_ID (a price of that plan)"})
	}
	return out
}

// problems checks the API addresses, the names of what saasbridge writes and the mapping.
func (a Actionstep) problems() []problem {
	out := urlProblems(map[string]string{"ACTIONSTEP_AUTH_URL": a.AuthURL, "ACTIONSTEP_TOKEN_URL": a.TokenURL})
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

// problems checks that no key id is used twice: a row names the key that sealed it by id.
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

// problems checks that the issuer and the audience come together.
func (o OIDC) problems() []problem {
	var out []problem
	if (o.Issuer == "") != (o.Audience == "") {
		out = append(out, problem{"OPERATOR_OIDC_ISSUER", "must be set together with OPERATOR_OIDC_AUDIENCE"})
	}
	if o.JWKSURL != "" && o.Issuer == "" {
		out = append(out, problem{"OPERATOR_OIDC_JWKS_URL", "needs OPERATOR_OIDC_ISSUER"})
	}
	// Both are optional: only a value given must be a URL.
	urls := map[string]string{}
	if o.Issuer != "" {
		urls["OPERATOR_OIDC_ISSUER"] = o.Issuer
	}
	if o.JWKSURL != "" {
		urls["OPERATOR_OIDC_JWKS_URL"] = o.JWKSURL
	}
	return append(out, urlProblems(urls)...)
}

// problems checks the level and format names the logger knows.
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

// problems checks the worker's own settings and the transport of the URLs it calls.
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
		u, ok := httpURL(raw)
		if !ok || u.Scheme != "http" {
			continue
		}
		if !IsLoopbackHost(u.Hostname()) && !slices.Contains(insecure, u.Hostname()) {
			out = append(out, problem{key, "must be https (plain http only for loopback or INSECURE_HTTP_HOSTS)"})
		}
	}
	return out
}

// urlProblems names each variable of urls whose value is not an absolute http(s) URL.
func urlProblems(urls map[string]string) []problem {
	var out []problem
	for key, raw := range urls {
		if _, ok := httpURL(raw); !ok {
			out = append(out, problem{key, "must be an absolute http(s) URL"})
		}
	}
	return out
}

// httpURL parses raw as an absolute http(s) URL: the one test of a URL every check
// (its form, then its transport) shares. ok is false for anything else.
func httpURL(raw string) (u *url.URL, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}

// isID reports whether s can be an id sent to an API as it is: at most 128 characters,
// no spaces or control characters.
func isID(s string) bool {
	return len(s) <= 128 && !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f })
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

// problems checks the starter's own settings and the transport of every URL it names.
func (s Starter) problems() []problem {
	out := urlProblems(map[string]string{"STARTER_PUBLIC_URL": s.PublicURL})
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

// listenerProblems keeps the operator listener apart from the public one.
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

// tokenProblems checks what may travel in a URL: codec tokens and company ids.
func (s Starter) tokenProblems() []problem {
	var out []problem
	for _, t := range s.CodecTokens {
		if !pathSafe.Match(t) {
			out = append(out, problem{"CODEC_AUTH_TOKEN", "each token must be letters, digits and -._~ (it may travel in the codec endpoint's path)"})
			break
		}
	}
	for _, id := range s.Companies() {
		if !isID(id) {
			out = append(out, problem{"HIGHLEVEL_COMPANY_IDS", "company ids must be at most 128 characters without spaces or control characters"})
			break
		}
	}
	return out
}
