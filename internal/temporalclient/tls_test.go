package temporalclient

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/config"
)

func TestOptionsRejectsUnreadableCertificate(t *testing.T) {
	_, err := Options(config.Temporal{Address: "a:1", Namespace: "n", TLSCertPath: "/nonexistent/c.pem", TLSKeyPath: "/nonexistent/k.pem"}, zap.NewNop(), Deps{})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v", err)
	}
}

func TestTLSConfig(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     config.Temporal
		wantTLS bool
		wantErr string
	}{
		{name: "plaintext for a local dev server", cfg: config.Temporal{}},
		{name: "an API key implies TLS", cfg: config.Temporal{APIKey: "k", TLSServerName: "ns.tmprl.cloud"}, wantTLS: true},
		{name: "an unreadable server CA", cfg: config.Temporal{TLSServerCAPath: "/nonexistent/ca.pem"}, wantErr: "read Temporal server CA"},
		{name: "a server CA without PEM", cfg: config.Temporal{TLSServerCAPath: notPEM}, wantErr: "TEMPORAL_TLS_SERVER_CA_CERT_PATH holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tlsConfig(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got != nil) != tt.wantTLS {
				t.Fatalf("TLS = %v, want %t", got, tt.wantTLS)
			}
			if got != nil && (got.MinVersion != tls.VersionTLS12 || got.ServerName != tt.cfg.TLSServerName) {
				t.Errorf("MinVersion %x, ServerName %q", got.MinVersion, got.ServerName)
			}
		})
	}
}
