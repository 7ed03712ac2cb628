package temporalclient

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/config"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		name      string
		cfg       config.Temporal
		wantTLS   bool
		wantCreds bool
	}{
		{"local dev server", config.Temporal{Address: "127.0.0.1:7233", Namespace: "default"}, false, false},
		{"Temporal Cloud API key", config.Temporal{Address: "ns.acct.tmprl.cloud:7233", Namespace: "ns.acct", APIKey: "k"}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := Options(tt.cfg, zap.NewNop(), Deps{})
			if err != nil {
				t.Fatal(err)
			}
			if opts.HostPort != tt.cfg.Address || opts.Namespace != tt.cfg.Namespace {
				t.Errorf("address/namespace = %s/%s", opts.HostPort, opts.Namespace)
			}
			if (opts.ConnectionOptions.TLS != nil) != tt.wantTLS {
				t.Errorf("TLS = %v, want %t", opts.ConnectionOptions.TLS, tt.wantTLS)
			}
			if (opts.Credentials != nil) != tt.wantCreds {
				t.Errorf("credentials set = %t, want %t", opts.Credentials != nil, tt.wantCreds)
			}
			if opts.Logger == nil {
				t.Error("no logger")
			}
		})
	}
}

func TestOptionsRejectsUnreadableCertificate(t *testing.T) {
	_, err := Options(config.Temporal{Address: "a:1", Namespace: "n", TLSCertPath: "/nonexistent/c.pem", TLSKeyPath: "/nonexistent/k.pem"}, zap.NewNop(), Deps{})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v", err)
	}
}

// A wrong address fails at start with the address and namespace in the message.
func TestDialNamesTheAddress(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := Dial(ctx, config.Temporal{Address: "127.0.0.1:1", Namespace: "default"}, zap.NewNop(), Deps{})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "default") {
		t.Fatalf("err = %v", err)
	}
}
