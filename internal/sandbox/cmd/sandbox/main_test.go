package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var minimalEnv = map[string]string{
	"SANDBOX_HIGHLEVEL_CLIENT_ID":     "6578278e879ad2646715ba9c-megyp358",
	"SANDBOX_HIGHLEVEL_CLIENT_SECRET": "secret",
}

func with(extra map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range minimalEnv {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestParseConfig(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		cfg, err := parseConfig(nil, envOf(minimalEnv))
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1:8081", cfg.addr)
		assert.False(t, cfg.autoConsent)
		assert.Equal(t, highlevelsim.RateLimit{Max: 100, Window: highlevelsim.Duration(10 * time.Second), Daily: 200000}, cfg.rate)
		assert.Equal(t, "json", cfg.logFormat)
	})
	t.Run("environment", func(t *testing.T) {
		cfg, err := parseConfig(nil, envOf(with(map[string]string{
			"SANDBOX_ADDR": "127.0.0.1:9999", "SANDBOX_AUTO_CONSENT": "true", "SANDBOX_SEED_AGENCY_ID": "GNb7aIv4rQFVb9iwNl5K",
			"SANDBOX_SEED_LOCATIONS": "5", "SANDBOX_FAULTS": `{"errorRate":0.1,"latency":"20ms"}`,
			"SANDBOX_RATE_MAX": "7", "SANDBOX_RATE_WINDOW": "2s", "SANDBOX_LOG_FORMAT": "console",
		})))
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1:9999", cfg.addr)
		assert.True(t, cfg.autoConsent)
		assert.Equal(t, "GNb7aIv4rQFVb9iwNl5K", cfg.seedAgencyID)
		assert.Equal(t, 5, cfg.seedLocations)
		assert.Equal(t, highlevelsim.Faults{ErrorRate: 0.1, Latency: highlevelsim.Duration(20 * time.Millisecond)}, cfg.faults)
		assert.Equal(t, 7, cfg.rate.Max)
		assert.Equal(t, highlevelsim.Duration(2*time.Second), cfg.rate.Window)
		assert.Equal(t, "console", cfg.logFormat)
	})
	t.Run("flags win over the environment", func(t *testing.T) {
		cfg, err := parseConfig([]string{"-addr", "127.0.0.1:7000", "-rate-max", "9", "-auto-consent"}, envOf(with(map[string]string{"SANDBOX_ADDR": "x:1"})))
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1:7000", cfg.addr)
		assert.Equal(t, 9, cfg.rate.Max)
		assert.True(t, cfg.autoConsent)
	})
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no client id", map[string]string{"SANDBOX_HIGHLEVEL_CLIENT_SECRET": "s"}, "SANDBOX_HIGHLEVEL_CLIENT_ID"},
		{"no client secret", map[string]string{"SANDBOX_HIGHLEVEL_CLIENT_ID": "a-b"}, "SANDBOX_HIGHLEVEL_CLIENT_SECRET"},
		{"bad integer", with(map[string]string{"SANDBOX_SEED_LOCATIONS": "many"}), "SANDBOX_SEED_LOCATIONS"},
		{"bad boolean", with(map[string]string{"SANDBOX_AUTO_CONSENT": "sure"}), "SANDBOX_AUTO_CONSENT"},
		{"bad duration", with(map[string]string{"SANDBOX_RATE_WINDOW": "10"}), "SANDBOX_RATE_WINDOW"},
		{"bad faults", with(map[string]string{"SANDBOX_FAULTS": `{"errorRate":`}), "SANDBOX_FAULTS"},
		{"zero rate", with(map[string]string{"SANDBOX_RATE_MAX": "0"}), "SANDBOX_RATE_MAX"},
		{"bad log format", with(map[string]string{"SANDBOX_LOG_FORMAT": "xml"}), "SANDBOX_LOG_FORMAT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig(nil, envOf(tc.env))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, stdout := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-seed-locations", "4", "-log-level", "error"}, envOf(minimalEnv), stdout)
	}()

	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "sandbox highlevel listening on http://"), line)
	base := strings.TrimSpace(strings.TrimPrefix(line, "sandbox highlevel listening on "))

	admin := &highlevelsim.AdminClient{BaseURL: base}
	require.NoError(t, admin.Healthz(ctx))
	st, err := admin.State(ctx)
	require.NoError(t, err)
	require.Len(t, st.Agencies, 1)
	assert.Equal(t, "Demo Agency", st.Agencies[0].Name)
	assert.Len(t, st.Locations, 4)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancellation")
	}
	resp, err := http.Get(base + "/_sandbox/healthz")
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "the listener is closed")
}

func TestRunReportsConfigErrors(t *testing.T) {
	err := run(t.Context(), nil, envOf(map[string]string{}), io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SANDBOX_HIGHLEVEL_CLIENT_ID")

	err = run(t.Context(), []string{"-addr", "127.0.0.1:0", "-faults", `{"errorRate":3}`, "-log-level", "error"}, envOf(minimalEnv), io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SANDBOX_FAULTS")
}

func TestParseActionstepReadings(t *testing.T) {
	tests := []struct {
		name, env, flag string
		want            actionstepsim.Readings
		wantErr         string
	}{
		{name: "default", want: actionstepsim.Readings{Values: "withRecord", Filters: "reject", FileReference: "copy", StartStep: "lenient", Wildcard: "any"}},
		{name: "hostile from the environment", env: "hostile", want: actionstepsim.Hostile()},
		{name: "flag wins", env: "hostile", flag: "values=lazy,fileReference=ignore",
			want: actionstepsim.Readings{Values: "lazy", Filters: "reject", FileReference: "ignore", StartStep: "lenient", Wildcard: "any"}},
		{name: "bare name is its hostile value", env: "wildcard",
			want: actionstepsim.Readings{Values: "withRecord", Filters: "reject", FileReference: "copy", StartStep: "lenient", Wildcard: "star"}},
		{name: "unknown reading", env: "valuez=lazy", wantErr: `SANDBOX_ACTIONSTEP_READINGS: unknown reading "valuez"`},
		{name: "unknown value", env: "values=eager", wantErr: "SANDBOX_ACTIONSTEP_READINGS: reading values must be one of withRecord, lazy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			if tt.flag != "" {
				args = []string{"-actionstep-readings", tt.flag}
			}
			cfg, _, err := parseActionstepConfig(args, envOf(map[string]string{"SANDBOX_ACTIONSTEP_READINGS": tt.env}))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.readings)
		})
	}
}
