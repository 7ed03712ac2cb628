package simkit

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testRule is a simulator's rule type in miniature.
type testRule struct {
	Endpoint, Org string
	Status        int
	Message       string
	Times         int
}

func (r testRule) KitRule() Rule {
	return Rule{Endpoint: r.Endpoint, Scope: r.Org, Status: r.Status, Message: r.Message, Times: r.Times}
}

func (testRule) FromKitRule(k Rule) testRule {
	return testRule{Endpoint: k.Endpoint, Org: k.Scope, Status: k.Status, Message: k.Message, Times: k.Times}
}

type testFaults = Faults[testRule]

func newInjector(t *testing.T, f testFaults) *FaultInjector[testRule] {
	t.Helper()
	fi, err := NewFaultInjector(f, FaultDefaults{}, nil)
	require.NoError(t, err)
	return fi
}

func TestNormalizeFaults(t *testing.T) {
	for _, f := range []testFaults{
		{ErrorRate: 1.5},
		{BurstRate: -0.1},
		{ErrorStatuses: []int{404}},
		{Latency: Duration(-time.Second)},
		{Rules: []testRule{{Status: 302}}},
		{Rules: []testRule{{Status: 500, Times: -1}}},
	} {
		_, err := NormalizeFaults(f, FaultDefaults{})
		assert.Error(t, err, "%+v", f)
		_, err = NewFaultInjector(f, FaultDefaults{}, nil)
		assert.Error(t, err, "%+v", f)
	}
	f, err := NormalizeFaults(testFaults{BurstRate: 0.5, Rules: []testRule{{Status: 503}}}, FaultDefaults{})
	require.NoError(t, err)
	assert.Equal(t, testFaults{Seed: 1, ErrorStatuses: []int{500}, BurstRate: 0.5, BurstLength: 1,
		Rules: []testRule{{Status: 503, Message: "Service Unavailable"}}}, f)

	d := FaultDefaults{BurstRetryAfter: Duration(time.Second)}
	f, err = NormalizeFaults(testFaults{}, d)
	require.NoError(t, err)
	assert.Equal(t, Duration(time.Second), f.BurstRetryAfter, "the simulator's default")
	f, err = NormalizeFaults(testFaults{BurstRetryAfter: Duration(3 * time.Second)}, d)
	require.NoError(t, err)
	assert.Equal(t, Duration(3*time.Second), f.BurstRetryAfter, "a set value wins")
}

func TestRulesMatchCountAndExpire(t *testing.T) {
	fi := newInjector(t, testFaults{})
	require.NoError(t, fi.AddRule(testRule{Endpoint: "POST /x", Org: "a", Status: 400, Message: "nope", Times: 2}))
	require.NoError(t, fi.AddRule(testRule{Status: 503}))
	assert.Error(t, fi.AddRule(testRule{Status: 200}))

	h := http.Header{}
	assert.Equal(t, &Injected{Status: 503, Message: "Service Unavailable"}, fi.Failure("POST /x", "b", false, h), "another scope falls through to the catch-all")
	assert.Equal(t, &Injected{Status: 400, Message: "nope"}, fi.Failure("POST /x", "a", false, h))
	assert.Equal(t, []testRule{{Endpoint: "POST /x", Org: "a", Status: 400, Message: "nope", Times: 1}, {Status: 503, Message: "Service Unavailable"}},
		fi.Config().Rules, "Times counts down")
	assert.Equal(t, 400, fi.Failure("POST /x", "a", false, h).Status)
	assert.Len(t, fi.Config().Rules, 1, "a used-up rule is gone")
	assert.Nil(t, fi.Failure("POST /token", "", true, h), "an empty endpoint spares exempt endpoints")
	assert.Equal(t, 503, fi.Failure("GET /y", "", false, h).Status, "Times 0 lasts until cleared")
	assert.Empty(t, h.Get("Retry-After"))

	_, err := fi.Set(testFaults{Rules: []testRule{{Endpoint: "POST /token", Status: 429}}})
	require.NoError(t, err)
	assert.Equal(t, 429, fi.Failure("POST /token", "", true, h).Status, "named explicitly, an exempt endpoint matches")
	assert.Empty(t, h.Get("Retry-After"), "no BurstRetryAfter, no Retry-After")
	_, err = fi.Set(testFaults{BurstRetryAfter: Duration(1500 * time.Millisecond), Rules: []testRule{{Status: 429}}})
	require.NoError(t, err)
	fi.Failure("GET /y", "", false, h)
	assert.Equal(t, "2", h.Get("Retry-After"))
}

func TestRandomFaultsCoverage(t *testing.T) {
	fi := newInjector(t, testFaults{ErrorRate: 1, DropAfterCommitRate: 1, Latency: Duration(time.Millisecond)})
	assert.Equal(t, &Injected{Status: 500, Message: "Internal Server Error"}, fi.Failure("GET /y", "", false, http.Header{}))
	assert.True(t, fi.Drop("GET /y", false))
	assert.Equal(t, time.Millisecond, fi.Preflight("GET /y", "k", false).Delay)
	assert.Nil(t, fi.Failure("POST /token", "", true, http.Header{}), "exempt endpoints are spared unless listed")
	assert.False(t, fi.Drop("POST /token", true))
	assert.Zero(t, fi.Preflight("POST /token", "", true))

	_, err := fi.Set(testFaults{ErrorRate: 1, ErrorStatuses: []int{502}, Endpoints: []string{"POST /token"}})
	require.NoError(t, err)
	assert.Equal(t, 502, fi.Failure("POST /token", "", true, http.Header{}).Status)
	assert.Nil(t, fi.Failure("GET /y", "", false, http.Header{}), "only listed endpoints")
}

func TestBurstsRunPerKey(t *testing.T) {
	fi := newInjector(t, testFaults{BurstRate: 1, BurstLength: 3, BurstRetryAfter: Duration(2 * time.Second), SpikeRate: 1, Spike: Duration(time.Second)})
	p := fi.Preflight("GET /y", "a", false)
	assert.Equal(t, Preflight{Delay: time.Second, Burst: true, RetryAfter: 2 * time.Second}, p)
	fi.Update(func(f *testFaults) { f.BurstRate = 0 }) // stop new bursts, keep the running one
	assert.False(t, fi.Preflight("GET /y", "b", false).Burst, "bursts are per key")
	for range 2 {
		assert.True(t, fi.Preflight("GET /y", "a", false).Burst)
	}
	assert.Equal(t, Preflight{Delay: time.Second}, fi.Preflight("GET /y", "a", false), "the burst lasted BurstLength requests")
	assert.False(t, newInjector(t, testFaults{BurstRate: 1}).Preflight("POST /token", "", true).Burst, "exempt endpoints are not rate limited")
}

func TestFaultsAreReproducible(t *testing.T) {
	run := func() (out []bool) {
		fi := newInjector(t, testFaults{Seed: 42, ErrorRate: 0.5, BurstRate: 0.2})
		for range 50 {
			out = append(out, fi.Preflight("GET /y", "k", false).Burst, fi.Failure("GET /y", "k", false, http.Header{}) != nil)
		}
		return out
	}
	a, b := run(), run()
	assert.Equal(t, a, b)
	assert.Contains(t, a, true)
	assert.Contains(t, a, false)
}

func TestConfigIsACopy(t *testing.T) {
	fi := newInjector(t, testFaults{Endpoints: []string{"GET /y"}, Rules: []testRule{{Status: 500}}})
	f := fi.Config()
	f.Endpoints[0], f.Rules[0].Status = "changed", 400
	assert.Equal(t, "GET /y", fi.Config().Endpoints[0])
	assert.Equal(t, 500, fi.Config().Rules[0].Status)
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "1", time.Millisecond: "1", time.Second: "1", 7500 * time.Millisecond: "8", time.Minute: "60"} {
		assert.Equal(t, want, RetryAfterSeconds(d), "%v", d)
	}
}
