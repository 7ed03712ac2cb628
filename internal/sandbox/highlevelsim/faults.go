package highlevelsim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Faults configures fault injection. Random faults apply to authenticated
// endpoints, or only to Endpoints when that list is non-empty; POST
// /oauth/token is affected only when Endpoints names it explicitly. The
// zero value injects nothing.
type Faults struct {
	// Seed seeds the random source so a run is reproducible; 0 means 1.
	Seed uint64 `json:"seed,omitempty"`
	// Endpoints restricts random faults to these endpoint templates,
	// e.g. "POST /saas/enable-saas/{locationId}".
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
	// and the next BurstLength-1 requests for the same resource get 429
	// with Retry-After BurstRetryAfter (default 1s). BurstLength defaults to 1.
	BurstRate       float64  `json:"burstRate,omitempty"`
	BurstLength     int      `json:"burstLength,omitempty"`
	BurstRetryAfter Duration `json:"burstRetryAfter,omitempty"`
	// DropAfterCommitRate is the fraction of successful requests whose
	// change is committed but whose connection is then closed without a
	// reply, so the client sees a transport error.
	DropAfterCommitRate float64 `json:"dropAfterCommitRate,omitempty"`
	// Rules are scripted failures, checked before random ones.
	Rules []Rule `json:"rules,omitempty"`
}

// Rule answers requests to Endpoint (any authenticated endpoint when
// empty), optionally only those about LocationID, with Status and Message
// before any state change. Times is how many more requests it fails;
// 0 means until cleared. A matched rule with Times 1 is removed. A 429 rule
// sends Retry-After from Faults.BurstRetryAfter.
type Rule struct {
	Endpoint   string `json:"endpoint,omitempty"`
	LocationID string `json:"locationId,omitempty"`
	Status     int    `json:"status"`
	Message    string `json:"message,omitempty"`
	Times      int    `json:"times,omitempty"`
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

// normalized validates f and fills in defaults, so that what GET
// /_sandbox/faults shows is what is applied.
func (f Faults) normalized() (Faults, error) {
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
		f.BurstRetryAfter = Duration(time.Second)
	}
	f.Endpoints = slices.Clone(f.Endpoints)
	f.Rules = slices.Clone(f.Rules)
	for i, r := range f.Rules {
		var err error
		if f.Rules[i], err = r.normalized(); err != nil {
			return f, err
		}
	}
	return f, nil
}

// faultInjector applies Faults. Its random source is seeded, so a given
// configuration and request sequence always injects the same faults.
type faultInjector struct {
	mu     sync.Mutex
	cfg    Faults
	rng    *rand.Rand
	bursts map[string]int // resource → 429s still owed in a running burst
}

func newFaultInjector(f Faults) *faultInjector {
	fi := &faultInjector{}
	fi.reset(f)
	return fi
}

func (fi *faultInjector) reset(f Faults) {
	fi.cfg = f
	fi.rng = rand.New(rand.NewPCG(f.Seed, f.Seed))
	fi.bursts = map[string]int{}
}

// applies reports whether random faults cover endpoint.
func (fi *faultInjector) applies(endpoint string, public bool) bool {
	if len(fi.cfg.Endpoints) == 0 {
		return !public
	}
	return slices.Contains(fi.cfg.Endpoints, endpoint)
}

// preflight is what happens before the rate limiter: added latency and
// whether the request falls into a 429 burst.
type preflight struct {
	delay      time.Duration
	burst      bool
	retryAfter time.Duration
}

func (fi *faultInjector) preflight(endpoint, resource string, public bool) preflight {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	var p preflight
	if !fi.applies(endpoint, public) {
		return p
	}
	p.delay = time.Duration(fi.cfg.Latency)
	if fi.hit(fi.cfg.SpikeRate) {
		p.delay += time.Duration(fi.cfg.Spike)
	}
	if public {
		return p // not rate limited, so no 429s either
	}
	switch {
	case fi.bursts[resource] > 0:
		fi.bursts[resource]--
		p.burst = true
	case fi.hit(fi.cfg.BurstRate):
		fi.bursts[resource] = fi.cfg.BurstLength - 1
		p.burst = true
	}
	p.retryAfter = time.Duration(fi.cfg.BurstRetryAfter)
	return p
}

// failure returns a scripted or random failure for the request, or nil.
// A scripted 429 carries a Retry-After header.
func (fi *faultInjector) failure(endpoint, locationID string, public bool, h http.Header) error {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	for i, r := range fi.cfg.Rules {
		if r.Endpoint != endpoint && (r.Endpoint != "" || public) {
			continue
		}
		if r.LocationID != "" && r.LocationID != locationID {
			continue
		}
		switch r.Times {
		case 0: // until cleared
		case 1:
			fi.cfg.Rules = slices.Delete(fi.cfg.Rules, i, i+1)
		default:
			fi.cfg.Rules[i].Times--
		}
		if r.Status == http.StatusTooManyRequests {
			h.Set("Retry-After", retryAfterSeconds(time.Duration(fi.cfg.BurstRetryAfter)))
		}
		return plainError(r.Status, r.Message)
	}
	if !fi.applies(endpoint, public) || !fi.hit(fi.cfg.ErrorRate) {
		return nil
	}
	status := fi.cfg.ErrorStatuses[fi.rng.IntN(len(fi.cfg.ErrorStatuses))]
	return plainError(status, http.StatusText(status))
}

// drop reports whether to close the connection instead of replying.
func (fi *faultInjector) drop(endpoint string, public bool) bool {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.applies(endpoint, public) && fi.hit(fi.cfg.DropAfterCommitRate)
}

// hit draws from the random source only for a non-zero rate, so settings
// that are off do not shift the sequence the others see.
func (fi *faultInjector) hit(rate float64) bool {
	return rate > 0 && fi.rng.Float64() < rate
}

// Faults returns the current fault configuration, with each rule's
// remaining Times.
func (s *Server) Faults() Faults {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	f := s.faults.cfg
	f.Endpoints, f.Rules = slices.Clone(f.Endpoints), slices.Clone(f.Rules)
	return f
}

// SetFaults replaces the fault configuration and reseeds the random source.
func (s *Server) SetFaults(f Faults) (Faults, error) {
	f, err := f.normalized()
	if err != nil {
		return Faults{}, &stateError{status: http.StatusBadRequest, msg: err.Error()}
	}
	s.faults.mu.Lock()
	s.faults.reset(f)
	s.faults.mu.Unlock()
	s.log.Info("faults set", zap.Float64("errorRate", f.ErrorRate), zap.Float64("burstRate", f.BurstRate),
		zap.Float64("dropAfterCommitRate", f.DropAfterCommitRate), zap.Int("rules", len(f.Rules)))
	return s.Faults(), nil
}

// AddFaultRule appends a scripted rule, leaving the rest of the
// configuration and the random sequence alone.
func (s *Server) AddFaultRule(r Rule) error {
	r, err := r.normalized()
	if err != nil {
		return &stateError{status: http.StatusBadRequest, msg: err.Error()}
	}
	s.faults.mu.Lock()
	s.faults.cfg.Rules = append(s.faults.cfg.Rules, r)
	s.faults.mu.Unlock()
	s.log.Info("fault rule added", zap.String("endpoint", r.Endpoint), zap.Int("status", r.Status), zap.Int("times", r.Times))
	return nil
}
