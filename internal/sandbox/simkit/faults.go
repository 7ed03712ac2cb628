package simkit

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Faults configures fault injection; R is the simulator's rule type (see
// RuleOf). Random faults apply to the endpoints that are not exempt (the
// OAuth token endpoint), or only to Endpoints when that list is non-empty;
// an exempt endpoint is affected only when Endpoints names it explicitly.
// The zero value injects nothing. Each simulator declares its own Faults
// type on this one and documents what its endpoints and bursts are.
type Faults[R RuleOf[R]] struct {
	// Seed seeds the random source so a run is reproducible; 0 means 1.
	Seed uint64 `json:"seed,omitempty"`
	// Endpoints restricts random faults to these endpoint templates, as the
	// call report names them.
	Endpoints []string `json:"endpoints,omitempty"`
	// ErrorRate is the fraction of requests answered with one of
	// ErrorStatuses (default [500]) before any state change.
	ErrorRate     float64 `json:"errorRate,omitempty"`
	ErrorStatuses []int   `json:"errorStatuses,omitempty"`
	// Latency is added to every request; SpikeRate of them wait Spike more.
	Latency   Duration `json:"latency,omitempty"`
	SpikeRate float64  `json:"spikeRate,omitempty"`
	Spike     Duration `json:"spike,omitempty"`
	// BurstRate is the probability that a request starts a 429 burst: it
	// and the next BurstLength-1 requests with the same burst key get 429.
	// BurstLength defaults to 1. The 429s, and those of 429 rules, carry
	// Retry-After BurstRetryAfter when it is set (see FaultDefaults).
	BurstRate       float64  `json:"burstRate,omitempty"`
	BurstLength     int      `json:"burstLength,omitempty"`
	BurstRetryAfter Duration `json:"burstRetryAfter,omitempty"`
	// DropAfterCommitRate is the fraction of successful requests whose
	// change is committed but whose connection is then closed without a
	// reply, so the client sees a transport error.
	DropAfterCommitRate float64 `json:"dropAfterCommitRate,omitempty"`
	// Rules are scripted failures, checked before random ones.
	Rules []R `json:"rules,omitempty"`
}

// Rule is a scripted failure in simkit's terms: it answers requests to
// Endpoint (any endpoint that is not exempt when empty), optionally only
// those about Scope, with Status and Message before any state change.
// Times is how many more requests it fails; 0 means until cleared. A
// matched rule with Times 1 is removed.
type Rule struct {
	Endpoint string
	// Scope is what the rule is limited to (a location, an organisation);
	// empty matches every request.
	Scope   string
	Status  int
	Message string
	Times   int
}

// RuleOf is the constraint on a simulator's own rule type R: the fields of
// Rule, with the scope named and tagged for the simulator's admin API. The
// injector reads and writes rules through these two methods.
type RuleOf[R any] interface {
	// KitRule returns the rule in simkit's terms.
	KitRule() Rule
	// FromKitRule returns k as an R; the receiver is not used.
	FromKitRule(k Rule) R
}

func (r Rule) normalized() (Rule, error) {
	if r.Status < 400 || r.Status > 599 {
		return r, fmt.Errorf("rule status must be 4xx or 5xx, got %d", r.Status)
	}
	if r.Times < 0 {
		return r, fmt.Errorf("rule times must not be negative")
	}
	if r.Message == "" {
		r.Message = http.StatusText(r.Status)
	}
	return r, nil
}

// FaultDefaults are a simulator's defaults for zero Faults fields beyond
// the ones every simulator shares.
type FaultDefaults struct {
	// BurstRetryAfter replaces a zero Faults.BurstRetryAfter. When both
	// are zero, 429s carry no Retry-After.
	BurstRetryAfter Duration
}

// NormalizeFaults validates f and fills in defaults, so that what the
// admin API shows is what is applied.
func NormalizeFaults[R RuleOf[R]](f Faults[R], d FaultDefaults) (Faults[R], error) {
	for _, rate := range []float64{f.ErrorRate, f.SpikeRate, f.BurstRate, f.DropAfterCommitRate} {
		if rate < 0 || rate > 1 {
			return f, fmt.Errorf("fault rates must be between 0 and 1, got %v", rate)
		}
	}
	if f.Latency < 0 || f.Spike < 0 || f.BurstRetryAfter < 0 || f.BurstLength < 0 {
		return f, fmt.Errorf("fault durations and burstLength must not be negative")
	}
	for _, st := range f.ErrorStatuses {
		if st < 500 || st > 599 {
			return f, fmt.Errorf("errorStatuses must be 5xx, got %d", st)
		}
	}
	if f.Seed == 0 {
		f.Seed = 1
	}
	if len(f.ErrorStatuses) == 0 {
		f.ErrorStatuses = []int{http.StatusInternalServerError}
	}
	if f.BurstLength == 0 {
		f.BurstLength = 1
	}
	if f.BurstRetryAfter == 0 {
		f.BurstRetryAfter = d.BurstRetryAfter
	}
	f.Endpoints = slices.Clone(f.Endpoints)
	f.Rules = slices.Clone(f.Rules)
	for i, r := range f.Rules {
		k, err := r.KitRule().normalized()
		if err != nil {
			return f, err
		}
		f.Rules[i] = r.FromKitRule(k)
	}
	return f, nil
}

// FaultInjector applies Faults. Its random source is seeded, so a given
// configuration and request sequence always injects the same faults.
type FaultInjector[R RuleOf[R]] struct {
	defaults FaultDefaults
	log      *zap.Logger

	mu     sync.Mutex
	cfg    Faults[R]
	rng    *rand.Rand
	bursts map[string]int // burst key → 429s still owed in a running burst
}

// NewFaultInjector normalises f with d (which Set uses too) and starts
// injecting it. log (nil: none) receives a line for every change made
// through Set and AddRule.
func NewFaultInjector[R RuleOf[R]](f Faults[R], d FaultDefaults, log *zap.Logger) (*FaultInjector[R], error) {
	f, err := NormalizeFaults(f, d)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	fi := &FaultInjector[R]{defaults: d, log: log}
	fi.reset(f)
	return fi, nil
}

func (fi *FaultInjector[R]) reset(f Faults[R]) {
	fi.cfg = f
	fi.rng = rand.New(rand.NewPCG(f.Seed, f.Seed))
	fi.bursts = map[string]int{}
}

// Config returns the current configuration, with each rule's remaining
// Times.
func (fi *FaultInjector[R]) Config() Faults[R] {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f := fi.cfg
	f.Endpoints, f.Rules = slices.Clone(f.Endpoints), slices.Clone(f.Rules)
	return f
}

// Set replaces the configuration, reseeds the random source and forgets
// running bursts. It returns the configuration as applied; an invalid one
// is a 400 StatusError, as the admin API answers it.
func (fi *FaultInjector[R]) Set(f Faults[R]) (Faults[R], error) {
	f, err := NormalizeFaults(f, fi.defaults)
	if err != nil {
		return Faults[R]{}, BadRequest(err.Error())
	}
	fi.mu.Lock()
	fi.reset(f)
	fi.mu.Unlock()
	fi.log.Info("faults set", zap.Float64("errorRate", f.ErrorRate), zap.Float64("burstRate", f.BurstRate),
		zap.Float64("dropAfterCommitRate", f.DropAfterCommitRate), zap.Int("rules", len(f.Rules)))
	return fi.Config(), nil
}

// AddRule appends a scripted rule, leaving the rest of the configuration
// and the random sequence alone. An invalid rule is a 400 StatusError.
func (fi *FaultInjector[R]) AddRule(r R) error {
	k, err := r.KitRule().normalized()
	if err != nil {
		return BadRequest(err.Error())
	}
	fi.Update(func(f *Faults[R]) { f.Rules = append(f.Rules, r.FromKitRule(k)) })
	fi.log.Info("fault rule added", zap.String("endpoint", k.Endpoint), zap.Int("status", k.Status), zap.Int("times", k.Times))
	return nil
}

// Update changes the configuration in place, keeping the random sequence
// and running bursts; fn must leave it valid (normalised).
func (fi *FaultInjector[R]) Update(fn func(*Faults[R])) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fn(&fi.cfg)
}

// applies reports whether random faults cover endpoint; exempt endpoints
// only when listed.
func (fi *FaultInjector[R]) applies(endpoint string, exempt bool) bool {
	if len(fi.cfg.Endpoints) == 0 {
		return !exempt
	}
	return slices.Contains(fi.cfg.Endpoints, endpoint)
}

// Preflight is what happens before the rate limiter: added latency and
// whether the request falls into a 429 burst.
type Preflight struct {
	Delay time.Duration
	Burst bool
	// RetryAfter is what a burst's 429 announces; 0 means no Retry-After.
	RetryAfter time.Duration
}

// Preflight draws latency for a request to endpoint and, unless the
// endpoint is exempt (exempt endpoints are not rate limited, so they get
// no 429s either), whether it is in a 429 burst; bursts run per key.
func (fi *FaultInjector[R]) Preflight(endpoint, key string, exempt bool) Preflight {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	var p Preflight
	if !fi.applies(endpoint, exempt) {
		return p
	}
	p.Delay = time.Duration(fi.cfg.Latency)
	if fi.hit(fi.cfg.SpikeRate) {
		p.Delay += time.Duration(fi.cfg.Spike)
	}
	if exempt {
		return p
	}
	switch {
	case fi.bursts[key] > 0:
		fi.bursts[key]--
		p.Burst = true
	case fi.hit(fi.cfg.BurstRate):
		fi.bursts[key] = fi.cfg.BurstLength - 1
		p.Burst = true
	}
	if p.Burst {
		p.RetryAfter = time.Duration(fi.cfg.BurstRetryAfter)
	}
	return p
}

// Injected is a scripted or random failure: the status to answer with and
// the message for the simulator's error body.
type Injected struct {
	Status  int
	Message string
}

// Failure returns a scripted or random failure for a request to endpoint
// about scope, or nil. A 429 rule sets Retry-After on h when
// BurstRetryAfter is set.
func (fi *FaultInjector[R]) Failure(endpoint, scope string, exempt bool, h http.Header) *Injected {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	for i, r := range fi.cfg.Rules {
		k := r.KitRule()
		if k.Endpoint != endpoint && (k.Endpoint != "" || exempt) {
			continue
		}
		if k.Scope != "" && k.Scope != scope {
			continue
		}
		switch k.Times {
		case 0: // until cleared
		case 1:
			fi.cfg.Rules = slices.Delete(fi.cfg.Rules, i, i+1)
		default:
			left := k
			left.Times--
			fi.cfg.Rules[i] = r.FromKitRule(left)
		}
		if k.Status == http.StatusTooManyRequests && fi.cfg.BurstRetryAfter > 0 {
			h.Set("Retry-After", RetryAfterSeconds(time.Duration(fi.cfg.BurstRetryAfter)))
		}
		return &Injected{Status: k.Status, Message: k.Message}
	}
	if !fi.applies(endpoint, exempt) || !fi.hit(fi.cfg.ErrorRate) {
		return nil
	}
	status := fi.cfg.ErrorStatuses[fi.rng.IntN(len(fi.cfg.ErrorStatuses))]
	return &Injected{Status: status, Message: http.StatusText(status)}
}

// Drop reports whether to close the connection instead of replying to a
// request to endpoint that succeeded.
func (fi *FaultInjector[R]) Drop(endpoint string, exempt bool) bool {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.applies(endpoint, exempt) && fi.hit(fi.cfg.DropAfterCommitRate)
}

// hit draws from the random source only for a non-zero rate, so settings
// that are off do not shift the sequence the others see.
func (fi *FaultInjector[R]) hit(rate float64) bool {
	return rate > 0 && fi.rng.Float64() < rate
}

// RetryAfterSeconds renders a wait as a Retry-After value: whole seconds,
// rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}
