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
	if len(cfg.Store.EncryptionKey) != 32 {
		t.Errorf("key length %d", len(cfg.Store.EncryptionKey))
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
				"HIGHLEVEL_RATE_PER_SECOND=fast",
				"HIGHLEVEL_BASE_URL=not a url",
				"LOG_LEVEL=loud",
				"LOG_FORMAT=xml",
			),
			want: []string{
				"STORE_ENCRYPTION_KEY: must decode to 32 bytes",
				"HIGHLEVEL_REQUEST_TIMEOUT: must be a duration",
				"HIGHLEVEL_RATE_PER_SECOND: must be a number",
				"HIGHLEVEL_BASE_URL: must be an absolute http(s) URL",
				"LOG_LEVEL:", "LOG_FORMAT:",
			},
			notWant: []string{"soon-ish", "fast", "c2hvcnQ="},
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
