package simkit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSim is the state behind the shared admin routes, in the test's own types.
type fakeSim struct {
	faults   spec
	rules    []spec
	limit    spec
	expired  []spec
	resets   int
	reported CallReport
}

func (f *fakeSim) setFaults(s spec) (spec, error) {
	if s.Name == "invalid" {
		return spec{}, BadRequest("invalid faults")
	}
	f.faults = s
	return s, nil
}

func (f *fakeSim) addRule(s spec) error {
	if s.Name == "" {
		return BadRequest("a rule needs a name")
	}
	f.rules = append(f.rules, s)
	return nil
}

// TestSharedAdminRoutes drives the routes every simulator has with the
// client calls that every simulator's admin client makes.
func TestSharedAdminRoutes(t *testing.T) {
	sim := &fakeSim{reported: CallReport{Total: 3}}
	a := Admin{Mux: http.NewServeMux(), ContentType: "application/json"}
	a.HandleAll(
		HealthRoute(),
		FaultRoutes(func() spec { return sim.faults }, sim.setFaults, sim.addRule),
		RateLimitRoutes(func() spec { return sim.limit }, func(l spec) (spec, error) { sim.limit = l; return l, nil }),
		TokenRoutes(func(f spec) spec { sim.expired = append(sim.expired, f); return spec{Name: "expired"} },
			func() IssuedTokens { return IssuedTokens{AccessTokens: []string{"at"}} }),
		CallRoutes(func() CallReport { return sim.reported }, func() { sim.resets++ }),
	)
	srv := httptest.NewServer(a.Mux)
	t.Cleanup(srv.Close)
	c := AdminClient{BaseURL: srv.URL, HTTP: srv.Client(), Name: "test sandbox"}
	ctx := t.Context()

	require.NoError(t, c.Healthz(ctx))

	f, err := PutFaults(ctx, c, spec{Name: "burst"})
	require.NoError(t, err)
	assert.Equal(t, spec{Name: "burst"}, f)
	f, err = FetchFaults[spec](ctx, c)
	require.NoError(t, err)
	assert.Equal(t, spec{Name: "burst"}, f)
	_, err = PutFaults(ctx, c, spec{Name: "invalid"})
	var ae *AdminError
	require.True(t, errors.As(err, &ae), "got %v", err)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.Equal(t, "invalid faults", ae.Message)

	require.NoError(t, c.AddFaultRule(ctx, spec{Name: "503 once"}))
	assert.Equal(t, []spec{{Name: "503 once"}}, sim.rules)
	require.Error(t, c.AddFaultRule(ctx, spec{}))
	require.NoError(t, c.ClearFaults(ctx))
	assert.Zero(t, sim.faults, "DELETE sets the zero configuration")

	l, err := PutRateLimit(ctx, c, spec{Name: "2 per 10s"})
	require.NoError(t, err)
	assert.Equal(t, spec{Name: "2 per 10s"}, l)
	l, err = FetchRateLimit[spec](ctx, c)
	require.NoError(t, err)
	assert.Equal(t, spec{Name: "2 per 10s"}, l)

	e, err := ExpireTokens[spec](ctx, c, spec{Name: "org"})
	require.NoError(t, err)
	assert.Equal(t, spec{Name: "expired"}, e)
	assert.Equal(t, []spec{{Name: "org"}}, sim.expired)
	tokens, err := c.Tokens(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"at"}, tokens.AccessTokens)

	report, err := c.Calls(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, report.Total)
	require.NoError(t, c.ResetCalls(ctx))
	assert.Equal(t, 1, sim.resets)
}

// TestFaultRuleRepliesWithTheConfiguration pins the status and body of POST
// /_sandbox/faults/rules, which the clients ignore but scripts read.
func TestFaultRuleRepliesWithTheConfiguration(t *testing.T) {
	sim := &fakeSim{faults: spec{Name: "current"}}
	a := Admin{Mux: http.NewServeMux(), ContentType: "application/json"}
	a.HandleAll(FaultRoutes(func() spec { return sim.faults }, sim.setFaults, sim.addRule))
	tests := []struct {
		body       string
		wantStatus int
		wantBody   string
	}{
		{`{"name":"rule"}`, http.StatusCreated, `{"name":"current"}` + "\n"},
		{`{}`, http.StatusBadRequest, `{"statusCode":400,"message":"a rule needs a name"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			rec := httptest.NewRecorder()
			a.Mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, pathFaultRules, strings.NewReader(tt.body)))
			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, tt.wantBody, rec.Body.String())
		})
	}
}
