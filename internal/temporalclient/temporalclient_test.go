package temporalclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

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

// A wrong address fails at start with the address and namespace in the message.
func TestDialNamesTheAddress(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := Dial(ctx, config.Temporal{Address: "127.0.0.1:1", Namespace: "default"}, zap.NewNop(), Deps{})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "default") {
		t.Fatalf("err = %v", err)
	}
}

func testPayloads(t *testing.T) config.Payloads {
	t.Helper()
	return config.Payloads{Keys: "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))}
}

// TestFailuresAreEncrypted: a failure's message and stack trace leave the process only
// inside an encrypted payload, and come back intact through the same converter; a
// failure recorded before encryption still reads.
func TestFailuresAreEncrypted(t *testing.T) {
	dc, err := PayloadConverter(testPayloads(t))
	if err != nil {
		t.Fatal(err)
	}
	fc := FailureConverter(dc)
	const secret = "location Wharf Street Dental (jane@wharf.example) not found"
	f := fc.ErrorToFailure(temporal.NewApplicationError(secret, "NotFound", "detail about Jane"))
	raw, err := proto.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"Wharf Street", "jane@wharf", "detail about Jane"} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Errorf("the failure as stored holds %q", plain)
		}
	}
	if f.GetMessage() != "Encoded failure" || f.GetEncodedAttributes() == nil {
		t.Fatalf("failure message %q, encoded attributes %v", f.GetMessage(), f.GetEncodedAttributes())
	}
	var app *temporal.ApplicationError
	if err := fc.FailureToError(f); !errors.As(err, &app) || app.Message() != secret || app.Type() != "NotFound" {
		t.Fatalf("decoded %v, want the original application error", err)
	}

	legacy := temporal.GetDefaultFailureConverter().ErrorToFailure(temporal.NewApplicationError("plain old message", "Old"))
	if err := fc.FailureToError(legacy); !errors.As(err, &app) || app.Message() != "plain old message" {
		t.Fatalf("legacy failure decoded to %v", err)
	}
}

// Every client and the replayer get the failure converter along with the data converter.
func TestConvertersGoTogether(t *testing.T) {
	dc, err := PayloadConverter(testPayloads(t))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := Options(config.Temporal{Address: "a:1", Namespace: "n"}, zap.NewNop(), Deps{DataConverter: dc})
	if err != nil {
		t.Fatal(err)
	}
	if opts.FailureConverter == nil {
		t.Error("client options carry no failure converter")
	}
	ro, err := ReplayerOptions(testPayloads(t))
	if err != nil {
		t.Fatal(err)
	}
	if ro.DataConverter == nil || ro.FailureConverter == nil {
		t.Error("replayer options lack a converter")
	}
	if f := ro.FailureConverter.ErrorToFailure(errors.New("Jane Doe")); f.GetMessage() != "Encoded failure" {
		t.Errorf("replayer failure message %q", f.GetMessage())
	}
}
