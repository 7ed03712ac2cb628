package deps

import (
	"encoding/base64"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/saasbridge/saasbridge/internal/config"
)

func settings(t *testing.T) config.Common {
	t.Helper()
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	var storeKey config.StoreKey
	if err := storeKey.UnmarshalText([]byte(key)); err != nil {
		t.Fatal(err)
	}
	return config.Common{
		Temporal: config.Temporal{Address: "127.0.0.1:1", Namespace: "default"},
		Log:      config.Log{Level: "error", Format: "json"},
		Store:    config.Store{DSN: filepath.Join(t.TempDir(), "tokens.db"), EncryptionKey: storeKey},
		Payloads: config.Payloads{Keys: "k1:" + key},
		HighLevel: config.HighLevel{BaseURL: "http://127.0.0.1:1", ClientID: "app-suffix", ClientSecret: "secret",
			RequestTimeout: time.Second},
		Actionstep: config.Actionstep{TokenURL: "http://127.0.0.1:1/api/oauth/token", ClientID: "as", ClientSecret: "secret",
			CallTimeout: time.Second},
	}
}

// Open opens everything but Temporal; LazyTemporal adds a client without connecting, and
// the readiness checks name both.
func TestOpenThenLazyTemporal(t *testing.T) {
	d, err := Open(t.Context(), settings(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Logger == nil || d.Metrics == nil || d.Store == nil || d.Trail == nil || d.HighLevel == nil || d.Actionstep == nil {
		t.Fatalf("not everything opened: %+v", d)
	}
	if d.Temporal != nil {
		t.Fatal("Open connected to Temporal: each program opens it its own way")
	}
	if err := d.LazyTemporal(); err != nil {
		t.Fatal(err)
	}
	checks := d.Checks()
	names := make([]string, 0, len(checks))
	for name := range checks {
		names = append(names, name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"temporal", "token_store"}) {
		t.Errorf("checks = %v", names)
	}
	if err := checks["token_store"](t.Context()); err != nil {
		t.Errorf("token store check: %v", err)
	}
}

// A failing step closes what the earlier ones opened and names the variable.
func TestOpenFailsWholeAndClean(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(*config.Common)
		want  string
	}{
		{"bad payload keys", func(s *config.Common) { s.Payloads.Keys = "not a key" }, "PAYLOAD_ENCRYPTION_KEYS"},
		{"unopenable store", func(s *config.Common) { s.Store.DSN = filepath.Join(t.TempDir(), "missing", "dir", "tokens.db") }, "open token store"},
		{"bad log level", func(s *config.Common) { s.Log.Level = "loud" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := settings(t)
			tt.spoil(&s)
			d, err := Open(t.Context(), s)
			if err == nil {
				d.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to name %q", err, tt.want)
			}
		})
	}
}
