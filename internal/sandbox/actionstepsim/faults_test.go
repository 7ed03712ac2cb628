package actionstepsim

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

func TestDropAfterCommit(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	_, err := h.s.SetFaults(Faults{DropAfterCommitRate: 1, Endpoints: []string{"POST /rest/participants", tokenEndpoint}})
	require.NoError(t, err)

	body := `{"participants":{"isCompany":"T","companyName":"Acme","importExternalReference":"loc_1"}}`
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, tok.APIEndpoint+"rest/participants", strings.NewReader(body))
	require.NoError(t, err)
	req.Header = jsonAPI(tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the client sees a transport error")
	st := h.orgState()
	require.Len(t, st.Participants, 2, "the change was committed")
	assert.Equal(t, "loc_1", st.Participants[1].ImportExternalReference)

	// A lost refresh reply burns the refresh token: the classic way to lose a credential.
	resp, err = http.PostForm(h.url+tokenPath, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken},
		"client_id": {testClientID}, "client_secret": {testClientSecret}})
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	_, err = h.s.SetFaults(Faults{})
	require.NoError(t, err)
	h.refresh(tok.RefreshToken).requireStatus(t, http.StatusBadRequest)

	// Re-query before retrying finds the record the lost reply was about.
	found := h.api(tok, http.MethodGet, "rest/participants?importExternalReference_eq=loc_1", nil).requireStatus(t, 200)
	assert.Equal(t, float64(st.Participants[1].ID), obj(t, found.doc(t)["participants"])["id"])

	calls := h.s.Calls()
	assert.Equal(t, 2, calls.Dropped)
	assert.Equal(t, 1, calls.CountFor("POST /rest/participants", testOrg, http.StatusOK), "a dropped call is recorded with the status it would have had")
}

func TestBurstsOf429(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter Duration
		header     string
	}{{"no Retry-After, as documented", 0, ""}, {"with Retry-After", Duration(2 * time.Second), "2"}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			_, err := h.s.CreateOrg(OrgSpec{OrgKey: "beta"})
			require.NoError(t, err)
			acme, beta := h.login(), h.loginAs("beta", "all")
			_, err = h.s.SetFaults(Faults{BurstRate: 1, BurstLength: 3, BurstRetryAfter: tc.retryAfter})
			require.NoError(t, err)
			r := h.api(acme, http.MethodGet, "rest/participants", nil)
			e := r.requireError(t, http.StatusTooManyRequests, codeRateLimited)
			assert.Equal(t, msgRateLimited, e["detail"])
			assert.Equal(t, tc.header, r.Header.Get("Retry-After"))

			// Stop new bursts without resetting the running one.
			h.s.faults.Update(func(f *simkit.Faults[Rule]) { f.BurstRate = 0 })
			h.api(beta, http.MethodGet, "rest/participants", nil).requireStatus(t, http.StatusOK) // bursts are per organisation
			for range 2 {
				h.api(acme, http.MethodGet, "rest/participants", nil).requireStatus(t, http.StatusTooManyRequests)
			}
			h.api(acme, http.MethodGet, "rest/participants", nil).requireStatus(t, http.StatusOK)
			assert.Equal(t, 3, h.s.Calls().TooManyRequests)
		})
	}
}

func TestInjectedErrorsFailBeforeStateChange(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int
		status   int
	}{{"default 500", nil, 500}, {"503", []int{503}, 503}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			tok := h.login()
			_, err := h.s.SetFaults(Faults{ErrorRate: 1, ErrorStatuses: tc.statuses})
			require.NoError(t, err)
			e := h.api(tok, http.MethodPost, "rest/participants", map[string]any{"participants": map[string]any{"isCompany": "T", "companyName": "X"}}).
				requireError(t, tc.status, codeServer)
			assert.Equal(t, http.StatusText(tc.status), e["title"])
			assert.Len(t, h.orgState().Participants, 1)
			h.refreshOK(tok.RefreshToken) // the token endpoint is spared unless listed
		})
	}
}

func TestScriptedRules(t *testing.T) {
	h := newHarness(t, Options{})
	_, err := h.s.CreateOrg(OrgSpec{OrgKey: "beta"})
	require.NoError(t, err)
	acme, beta := h.login(), h.loginAs("beta", "all")
	require.NoError(t, h.s.AddFaultRule(Rule{Endpoint: "POST /rest/participants", OrgKey: testOrg, Status: 400, Message: "Duplicate contact", Times: 2}))
	require.NoError(t, h.s.AddFaultRule(Rule{Endpoint: "GET /rest/actions/{id}", Status: 429}))
	require.NoError(t, h.s.AddFaultRule(Rule{Endpoint: tokenEndpoint, Status: 503, Times: 1}))
	create := func(tok tokenReply) *httpReply {
		return h.api(tok, http.MethodPost, "rest/participants", map[string]any{"participants": map[string]any{"isCompany": "T", "companyName": "X"}})
	}
	for range 2 {
		e := create(acme).requireError(t, 400, codeInvalidRequest)
		assert.Equal(t, "Duplicate contact", e["detail"])
	}
	create(beta).requireStatus(t, 200)
	create(acme).requireStatus(t, 200)
	rules := h.s.Faults().Rules
	require.Len(t, rules, 2, "the used-up rule is gone, the others remain")
	assert.Equal(t, "GET /rest/actions/{id}", rules[0].Endpoint)

	h.api(acme, http.MethodGet, "rest/actions/1000", nil).requireStatus(t, http.StatusTooManyRequests)
	r := h.refresh(acme.RefreshToken).requireStatus(t, http.StatusServiceUnavailable)
	assert.JSONEq(t, `{"error":"temporarily_unavailable","error_description":"Service Unavailable","error_uri":"http://tools.ietf.org/html/rfc6749#section-5.2"}`, string(r.Body))
	h.refreshOK(acme.RefreshToken) // a refused refresh does not use the token up
}

func TestLatency(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	_, err := h.s.SetFaults(Faults{Latency: Duration(60 * time.Millisecond), SpikeRate: 1, Spike: Duration(40 * time.Millisecond)})
	require.NoError(t, err)
	start := time.Now()
	h.api(tok, http.MethodGet, "rest/users/current", nil).requireStatus(t, 200)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond, "latency plus spike")
}

func TestRateLimit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter bool
		header     string
	}{{"default: no Retry-After", false, ""}, {"with Retry-After", true, "60"}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{RateLimit: RateLimit{Max: 3, Window: Duration(time.Minute), RetryAfter: tc.retryAfter}})
			_, err := h.s.CreateOrg(OrgSpec{OrgKey: "beta"})
			require.NoError(t, err)
			acme, beta := h.login(), h.loginAs("beta", "all")
			for range 3 {
				h.api(acme, http.MethodGet, "rest/users/current", nil).requireStatus(t, 200)
			}
			r := h.api(acme, http.MethodGet, "rest/users/current", nil)
			r.requireError(t, http.StatusTooManyRequests, codeRateLimited)
			assert.Equal(t, tc.header, r.Header.Get("Retry-After"))
			h.api(beta, http.MethodGet, "rest/users/current", nil).requireStatus(t, 200) // per organisation and user
			h.clock.Advance(time.Minute)
			h.api(acme, http.MethodGet, "rest/users/current", nil).requireStatus(t, 200)
		})
	}
}

// TestRateLimitSchedule: a scheduled limit changes phase by phase as time passes,
// starting over after the last, with nothing in the answers to say so; its window keeps
// the requests admitted before a change.
func TestRateLimitSchedule(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	_, err := h.s.SetRateLimit(RateLimit{Schedule: []RatePhase{
		{Max: 2, Window: Duration(time.Second), For: Duration(10 * time.Second)},
		{Max: 5, Window: Duration(time.Second), For: Duration(10 * time.Second)},
	}})
	require.NoError(t, err)
	burst := func() (ok int) {
		for range 6 {
			r := h.api(tok, http.MethodGet, "rest/users/current", nil)
			if r.Status == 200 {
				ok++
			} else {
				r.requireError(t, http.StatusTooManyRequests, codeRateLimited)
				assert.Empty(t, r.Header.Get("Retry-After"))
			}
		}
		return ok
	}
	assert.Equal(t, 2, burst(), "first phase: 2 a second")
	h.clock.Advance(10 * time.Second)
	assert.Equal(t, 5, burst(), "second phase: 5 a second")
	h.clock.Advance(500 * time.Millisecond)
	assert.Zero(t, burst(), "the window still holds the second's 5")
	h.clock.Advance(9500 * time.Millisecond)
	assert.Equal(t, 2, burst(), "the schedule starts over")

	_, err = h.s.SetRateLimit(RateLimit{Schedule: []RatePhase{{Max: 1, Window: 0, For: Duration(time.Second)}}})
	var se *simkit.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusBadRequest, se.Status)
}

func TestFaultsAreReproducible(t *testing.T) {
	run := func() []int {
		h := newHarness(t, Options{Faults: Faults{Seed: 42, ErrorRate: 0.5}})
		tok := h.login()
		var out []int
		for range 30 {
			out = append(out, h.api(tok, http.MethodGet, "rest/users/current", nil).Status)
		}
		return out
	}
	a, b := run(), run()
	assert.Equal(t, a, b)
	assert.Contains(t, a, 500)
	assert.Contains(t, a, 200)
}

// TestFaultsValidation checks the wiring: simkit validates (see its
// tests), the simulator answers 400 and adds no Retry-After default.
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
	assert.Equal(t, Faults{Seed: 1, ErrorStatuses: []int{500}, BurstRate: 0.5, BurstLength: 1}, f)
	assert.Panics(t, func() { New(Options{ClientID: "x"}) })
	assert.Panics(t, func() { New(Options{ClientID: "x", ClientSecret: "y", Faults: Faults{ErrorRate: 2}}) })
}
