package temporalclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/saasbridge/saasbridge/internal/config"
)

// tlsConfig returns the TLS settings implied by the configuration, or nil for plaintext
// (a local dev server). An API key (Temporal Cloud), a client certificate (mTLS) or a
// private server CA each imply TLS; the CA, when given, is the only one trusted.
func tlsConfig(t config.Temporal) (*tls.Config, error) {
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
