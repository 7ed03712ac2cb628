package highlevelsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

func TestErrorRateFailsBeforeStateChange(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int
		status   int
		want     string
	}{
		{"default 500", nil, 500, `{"statusCode":500,"message":"Internal Server Error"}`},
		{"503", []int{503}, 503, `{"statusCode":503,"message":"Service Unavailable"}`},
		{"502", []int{502}, 502, `{"statusCode":502,"message":"Bad Gateway"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			tok := h.companyToken()
			_, err := h.s.SetFaults(Faults{ErrorRate: 1, ErrorStatuses: tc.statuses})
			require.NoError(t, err)
			r := h.call(http.MethodPost, "/saas/enable-saas/"+h.locs[0].ID, tok.AccessToken, map[string]any{"companyId": h.agency.ID, "isSaaSV2": true})
			r.requireError(t, tc.status, tc.want)
			assert.Equal(t, SaaSModeNotActivated, h.location(h.locs[0].ID).SaaS.SaaSMode)
			assert.NotEmpty(t, r.Header.Get("X-RateLimit-Remaining"), "an admitted request reports its budget")
			assert.Equal(t, http.StatusOK, h.refresh(tok.RefreshToken).Status, "/oauth/token is spared unless listed")
		})
	}
}

func TestFaultEndpointFilter(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken()
	_, err := h.s.SetFaults(Faults{ErrorRate: 1, Endpoints: []string{"GET /saas/agency-plans/{companyId}", "POST /oauth/token"}})
	require.NoError(t, err)
	assert.Equal(t, 500, h.call(http.MethodGet, "/saas/agency-plans/"+h.agency.ID, tok.AccessToken, nil).Status)
	assert.Equal(t, 200, h.call(http.MethodGet, "/saas-api/public-api/agency-plans/"+h.agency.ID, tok.AccessToken, nil).Status)
	assert.Equal(t, 500, h.refresh(tok.RefreshToken).Status, "listed explicitly, /oauth/token fails too")
	assert.Equal(t, 400, h.call(http.MethodGet, "/saas/agency-plans/"+h.agency.ID, tok.AccessToken, nil, withVersion("")).Status,
		"the gate runs before faults")
}

func TestLatencyAndSpikes(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken()
	_, err := h.s.SetFaults(Faults{Latency: Duration(150 * time.Millisecond), SpikeRate: 1, Spike: Duration(100 * time.Millisecond)})
	require.NoError(t, err)
	start := time.Now()
	require.Equal(t, http.StatusOK, h.call(http.MethodGet, "/saas/agency-plans/"+h.agency.ID, tok.AccessToken, nil).Status)
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "latency plus spike")

	start = time.Now()
	h.refresh(tok.RefreshToken)
	assert.Less(t, time.Since(start), 150*time.Millisecond, "/oauth/token is spared")
}

func TestBurstsOf429(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken()
	lt := h.locationToken(tok.AccessToken, h.locs[0].ID)
	plans := "/saas/agency-plans/" + h.agency.ID
	_, err := h.s.SetFaults(Faults{BurstRate: 1, BurstLength: 3, BurstRetryAfter: Duration(2 * time.Second)})
	require.NoError(t, err)
	r := h.call(http.MethodGet, plans, tok.AccessToken, nil)
	r.requireError(t, 429, `{"statusCode":429,"message":"Too Many Requests"}`)
	assert.Equal(t, "2", r.Header.Get("Retry-After"))
	assert.Equal(t, "0", r.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, "199999", r.Header.Get("X-RateLimit-Daily-Remaining"), "a burst 429 consumes no budget (1 used by locationToken)")

	// Stop new bursts without resetting the running one.
	h.s.faults.Update(func(f *simkit.Faults[Rule]) { f.BurstRate = 0 })
	for range 2 {
		assert.Equal(t, 429, h.call(http.MethodGet, plans, tok.AccessToken, nil).Status)
	}
	other := h.call(http.MethodDelete, "/marketplace/app/"+testAppID+"/installations", lt.AccessToken, map[string]string{})
	assert.Equal(t, http.StatusUnprocessableEntity, other.Status, "bursts are per resource")
	assert.Equal(t, 200, h.call(http.MethodGet, plans, tok.AccessToken, nil).Status, "the burst lasted BurstLength requests")
	r = h.call(http.MethodGet, plans, tok.AccessToken, nil)
	assert.Equal(t, "97", r.Header.Get("X-RateLimit-Remaining"), "locationToken and two admitted requests")
}

func TestScriptedRules(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken()
	l0, l1 := h.locs[0].ID, h.locs[1].ID
	enable := func(loc string) *reply {
		return h.call(http.MethodPost, "/saas/enable-saas/"+loc, tok.AccessToken, map[string]any{"companyId": h.agency.ID, "isSaaSV2": true})
	}
	require.NoError(t, h.s.AddFaultRule(Rule{
		Endpoint: "POST /saas/enable-saas/{locationId}", LocationID: l0, Status: 400, Message: "Stripe account not connected", Times: 2,
	}))
	for range 2 {
		enable(l0).requireError(t, 400, `{"statusCode":400,"message":"Stripe account not connected"}`)
		assert.Equal(t, SaaSModeNotActivated, h.location(l0).SaaS.SaaSMode)
	}
	assert.Empty(t, h.s.Faults().Rules, "a rule is gone once used up")
	assert.Equal(t, 201, enable(l0).Status)

	// Times 0 lasts until cleared; another location is not affected.
	require.NoError(t, h.s.AddFaultRule(Rule{Endpoint: "GET /saas/agency-plans/{companyId}", Status: 429}))
	for range 3 {
		r := h.call(http.MethodGet, "/saas/agency-plans/"+h.agency.ID, tok.AccessToken, nil)
		r.requireError(t, 429, `{"statusCode":429,"message":"Too Many Requests"}`)
		assert.Equal(t, "1", r.Header.Get("Retry-After"))
	}
	assert.Equal(t, 201, enable(l1).Status)
	_, err := h.s.SetFaults(Faults{})
	require.NoError(t, err)
	assert.Equal(t, 200, h.call(http.MethodGet, "/saas/agency-plans/"+h.agency.ID, tok.AccessToken, nil).Status)

	// An empty endpoint matches every authenticated route but not /oauth/token.
	require.NoError(t, h.s.AddFaultRule(Rule{Status: 503, Times: 1}))
	assert.Equal(t, 200, h.refresh(tok.RefreshToken).Status)
	assert.Equal(t, 503, h.call(http.MethodGet, "/saas/agency-plans/"+h.agency.ID, tok.AccessToken, nil).Status)

	assert.Error(t, h.s.AddFaultRule(Rule{Status: 200}))
}

func TestDropAfterCommit(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken()
	_, err := h.s.SetFaults(Faults{DropAfterCommitRate: 1, Endpoints: []string{"POST /saas/enable-saas/{locationId}", "POST /oauth/token"}})
	require.NoError(t, err)

	body, _ := json.Marshal(map[string]any{"companyId": h.agency.ID, "isSaaSV2": true})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, h.url+"/saas/enable-saas/"+h.locs[0].ID, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Version", "2021-04-15")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the client sees a transport error")
	assert.Equal(t, SaaSModeV2, h.location(h.locs[0].ID).SaaS.SaaSMode, "the change was committed")

	// A lost refresh reply burns the refresh token: the classic way to lose a credential.
	form := url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret}, "grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
	resp, err = http.PostForm(h.url+"/oauth/token", form)
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	_, err = h.s.SetFaults(Faults{})
	require.NoError(t, err)
	h.refresh(tok.RefreshToken).requireError(t, 400, `{"statusCode":400,"message":"Invalid grant: refresh token is invalid"}`)

	calls := h.s.Calls()
	assert.Equal(t, 2, calls.Dropped)
	assert.Equal(t, 1, calls.CountFor("POST /saas/enable-saas/{locationId}", h.locs[0].ID, http.StatusCreated))
}

func TestFaultsAreReproducible(t *testing.T) {
	run := func() []int {
		h := newHarness(t, Options{Faults: Faults{Seed: 42, ErrorRate: 0.5}})
		tok := h.companyToken()
		var out []int
		for range 30 {
			out = append(out, h.call(http.MethodGet, "/saas/agency-plans/"+h.agency.ID, tok.AccessToken, nil).Status)
		}
		return out
	}
	a, b := run(), run()
	assert.Equal(t, a, b)
	assert.Contains(t, a, 500)
	assert.Contains(t, a, 200)
}

// TestFaultsValidation checks the wiring: simkit validates (see its
// tests), the simulator answers 400 and applies HighLevel's defaults.
func TestFaultsValidation(t *testing.T) {
	s := New(Options{ClientID: testClientID, ClientSecret: testClientSecret})
	var se *simkit.StatusError
	_, err := s.SetFaults(Faults{ErrorRate: 1.5})
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusBadRequest, se.Status)
	require.ErrorAs(t, s.AddFaultRule(Rule{Status: 302}), &se)
	assert.Equal(t, http.StatusBadRequest, se.Status)
	f, err := s.SetFaults(Faults{BurstRate: 0.5})
	require.NoError(t, err)
	assert.Equal(t, Faults{Seed: 1, ErrorStatuses: []int{500}, BurstRate: 0.5, BurstLength: 1, BurstRetryAfter: Duration(time.Second)}, f)
	assert.Panics(t, func() {
		New(Options{ClientID: testClientID, ClientSecret: testClientSecret, Faults: Faults{ErrorRate: 2}})
	})
}
