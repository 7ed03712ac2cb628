package actionstepsim

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

// Faults configures fault injection. Random faults apply to REST
// endpoints, or only to Endpoints when that list is non-empty; the OAuth
// token endpoint is affected only when Endpoints names it explicitly
// ("POST /api/oauth/token"). The zero value injects nothing.
type Faults struct {
	// Seed seeds the random source so a run is reproducible; 0 means 1.
	Seed uint64 `json:"seed,omitempty"`
	// Endpoints restricts random faults to these endpoint templates,
	// e.g. "POST /rest/participants" or "PUT /rest/datacollectionrecordvalues/{id}".
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
	// and the next BurstLength-1 requests of the same organisation get 429.
	// BurstLength defaults to 1. Actionstep documents no Retry-After, so
	// it is sent only when BurstRetryAfter is set (also for 429 rules).
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

// Rule answers requests to Endpoint (any REST endpoint when empty),
// optionally only those of OrgKey, with Status and Message (the error
// detail) before any state change. Times is how many more requests it
// fails; 0 means until cleared. A matched rule with Times 1 is removed.
type Rule struct {
	Endpoint string `json:"endpoint,omitempty"`
	OrgKey   string `json:"orgKey,omitempty"`
	Status   int    `json:"status"`
	Message  string `json:"message,omitempty"`
	Times    int    `json:"times,omitempty"`
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
	bursts map[string]int // orgkey → 429s still owed in a running burst
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

// applies reports whether random faults cover endpoint; OAuth endpoints
// (oauth) only when listed.
func (fi *faultInjector) applies(endpoint string, oauth bool) bool {
	if len(fi.cfg.Endpoints) == 0 {
		return !oauth
	}
	return slices.Contains(fi.cfg.Endpoints, endpoint)
}

// preflight is what happens before the rate limiter: added latency and
// whether the request falls into a 429 burst.
type preflight struct {
	delay time.Duration
	burst bool
}

func (fi *faultInjector) preflight(endpoint, orgKey string, oauth bool) preflight {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	var p preflight
	if !fi.applies(endpoint, oauth) {
		return p
	}
	p.delay = time.Duration(fi.cfg.Latency)
	if fi.hit(fi.cfg.SpikeRate) {
		p.delay += time.Duration(fi.cfg.Spike)
	}
	if oauth {
		return p // not rate limited, so no 429s either
	}
	switch {
	case fi.bursts[orgKey] > 0:
		fi.bursts[orgKey]--
		p.burst = true
	case fi.hit(fi.cfg.BurstRate):
		fi.bursts[orgKey] = fi.cfg.BurstLength - 1
		p.burst = true
	}
	return p
}

// setRetryAfter adds the configured Retry-After to a 429, if any.
func (fi *faultInjector) setRetryAfter(h http.Header) {
	fi.mu.Lock()
	d := time.Duration(fi.cfg.BurstRetryAfter)
	fi.mu.Unlock()
	if d > 0 {
		h.Set("Retry-After", retryAfterSeconds(d))
	}
}

// injected is a scripted or random failure.
type injected struct {
	status  int
	message string
}

// failure returns a scripted or random failure for the request, or nil.
// A 429 carries Retry-After when BurstRetryAfter is set.
func (fi *faultInjector) failure(endpoint, orgKey string, oauth bool, h http.Header) *injected {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	for i, r := range fi.cfg.Rules {
		if r.Endpoint != endpoint && (r.Endpoint != "" || oauth) {
			continue
		}
		if r.OrgKey != "" && r.OrgKey != orgKey {
			continue
		}
		switch r.Times {
		case 0: // until cleared
		case 1:
			fi.cfg.Rules = slices.Delete(fi.cfg.Rules, i, i+1)
		default:
			fi.cfg.Rules[i].Times--
		}
		if r.Status == http.StatusTooManyRequests && fi.cfg.BurstRetryAfter > 0 {
			h.Set("Retry-After", retryAfterSeconds(time.Duration(fi.cfg.BurstRetryAfter)))
		}
		return &injected{r.Status, r.Message}
	}
	if !fi.applies(endpoint, oauth) || !fi.hit(fi.cfg.ErrorRate) {
		return nil
	}
	status := fi.cfg.ErrorStatuses[fi.rng.IntN(len(fi.cfg.ErrorStatuses))]
	return &injected{status, http.StatusText(status)}
}

// drop reports whether to close the connection instead of replying.
func (fi *faultInjector) drop(endpoint string, oauth bool) bool {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.applies(endpoint, oauth) && fi.hit(fi.cfg.DropAfterCommitRate)
}

// hit draws from the random source only for a non-zero rate, so settings
// that are off do not shift the sequence the others see.
func (fi *faultInjector) hit(rate float64) bool {
	return rate > 0 && fi.rng.Float64() < rate
}

// retryAfterSeconds renders a wait as whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
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
		return Faults{}, badSpec(err.Error())
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
		return badSpec(err.Error())
	}
	s.faults.mu.Lock()
	s.faults.cfg.Rules = append(s.faults.cfg.Rules, r)
	s.faults.mu.Unlock()
	s.log.Info("fault rule added", zap.String("endpoint", r.Endpoint), zap.Int("status", r.Status), zap.Int("times", r.Times))
	return nil
}
