package highlevelsim

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rateHeaders(r *reply) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"X-RateLimit-Limit-Daily", "X-RateLimit-Daily-Remaining", "X-RateLimit-Interval-Milliseconds", "X-RateLimit-Max", "X-RateLimit-Remaining"} {
		out[k] = r.Header.Get(k)
	}
	return out
}

func TestRateLimitPerResourceWithSlidingWindow(t *testing.T) {
	h := newHarness(t, Options{RateLimit: RateLimit{Max: 3, Window: Duration(10 * time.Second), Daily: 1000}})
	company := h.companyToken()
	loc := h.locationToken(company.AccessToken, h.locs[0].ID) // 1 request on the company budget
	plans := "/saas/agency-plans/" + h.agency.ID
	uninstallProbe := "/marketplace/app/" + testAppID + "/installations" // a route a Location token may call

	// Two more company requests, a second apart, exhaust the window.
	for i, remaining := range []string{"1", "0"} {
		h.clock.Advance(time.Second)
		r := h.call(http.MethodGet, plans, company.AccessToken, nil)
		require.Equal(t, http.StatusOK, r.Status, "request %d", i)
		assert.Equal(t, map[string]string{
			"X-RateLimit-Limit-Daily": "1000", "X-RateLimit-Daily-Remaining": strconv.Itoa(1000 - 2 - i),
			"X-RateLimit-Interval-Milliseconds": "10000", "X-RateLimit-Max": "3", "X-RateLimit-Remaining": remaining,
		}, rateHeaders(r))
	}
	// t=2s: the first request (t=0) frees its slot at t=10s.
	r := h.call(http.MethodGet, plans, company.AccessToken, nil)
	r.requireError(t, http.StatusTooManyRequests, `{"statusCode":429,"message":"Too Many Requests"}`)
	assert.Equal(t, "8", r.Header.Get("Retry-After"))
	assert.Equal(t, "0", r.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, "997", r.Header.Get("X-RateLimit-Daily-Remaining"), "a 429 consumes nothing")

	// Another resource (the location) has its own budget.
	r = h.call(http.MethodDelete, uninstallProbe, loc.AccessToken, map[string]string{}) // 422, but admitted
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
	assert.Equal(t, "2", r.Header.Get("X-RateLimit-Remaining"))

	// Rounded up: 7.5 s to wait is Retry-After 8.
	h.clock.Advance(500 * time.Millisecond)
	assert.Equal(t, "8", h.call(http.MethodGet, plans, company.AccessToken, nil).Header.Get("Retry-After"))

	// At t=10s the oldest request leaves the window: exactly one slot frees.
	h.clock.Advance(7500 * time.Millisecond)
	r = h.call(http.MethodGet, plans, company.AccessToken, nil)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
	assert.Equal(t, "0", r.Header.Get("X-RateLimit-Remaining"))
	r = h.call(http.MethodGet, plans, company.AccessToken, nil)
	assert.Equal(t, http.StatusTooManyRequests, r.Status)
	assert.Equal(t, "1", r.Header.Get("Retry-After"), "the t=1s request frees its slot at t=11s")

	// /oauth/token is never limited.
	for range 5 {
		assert.Equal(t, http.StatusBadRequest, h.refresh("hlsim_rt_unknown").Status)
	}
	assert.Equal(t, 3, h.s.Calls().TooManyRequests)
}

func TestRateLimitDailyBudget(t *testing.T) {
	h := newHarness(t, Options{RateLimit: RateLimit{Max: 100, Window: Duration(time.Second), Daily: 2}})
	tok := h.companyToken()
	plans := "/saas/agency-plans/" + h.agency.ID
	require.Equal(t, http.StatusOK, h.call(http.MethodGet, plans, tok.AccessToken, nil).Status)
	r := h.call(http.MethodGet, plans, tok.AccessToken, nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "0", r.Header.Get("X-RateLimit-Daily-Remaining"))

	h.clock.Advance(time.Hour) // 10:30 UTC: the budget returns at midnight UTC
	r = h.call(http.MethodGet, plans, tok.AccessToken, nil)
	assert.Equal(t, http.StatusTooManyRequests, r.Status)
	assert.Equal(t, strconv.Itoa(int((13*time.Hour + 30*time.Minute).Seconds())), r.Header.Get("Retry-After"))

	h.clock.Advance(13*time.Hour + 30*time.Minute)
	r = h.call(http.MethodGet, plans, tok.AccessToken, nil)
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "1", r.Header.Get("X-RateLimit-Daily-Remaining"))
}

func TestSetRateLimitAtRunTime(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken()
	plans := "/saas/agency-plans/" + h.agency.ID
	assert.Equal(t, "100", h.call(http.MethodGet, plans, tok.AccessToken, nil).Header.Get("X-RateLimit-Max"), "HighLevel's default")

	rl, err := h.admin.SetRateLimit(t.Context(), RateLimit{Max: 1, Window: Duration(time.Minute)})
	require.NoError(t, err)
	assert.Equal(t, RateLimit{Max: 1, Window: Duration(time.Minute), Daily: 200000}, rl, "zero fields take defaults")
	require.Equal(t, http.StatusOK, h.call(http.MethodGet, plans, tok.AccessToken, nil).Status, "usage was cleared")
	r := h.call(http.MethodGet, plans, tok.AccessToken, nil)
	assert.Equal(t, http.StatusTooManyRequests, r.Status)
	assert.Equal(t, "60", r.Header.Get("Retry-After"))
	assert.Equal(t, "60000", r.Header.Get("X-RateLimit-Interval-Milliseconds"))

	_, err = h.admin.SetRateLimit(t.Context(), RateLimit{Max: -1})
	var ae *AdminError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
}
