package highlevelsim

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// limiter enforces RateLimit per (client, resource) key with a sliding
// window log for the burst limit and a per-UTC-day counter for the daily
// budget. HighLevel does not say how its day is cut; simulator choice: UTC
// calendar days.
type limiter struct {
	mu      sync.Mutex
	cfg     RateLimit
	buckets map[string]*bucket
}

type bucket struct {
	win  simkit.Window // admitted requests inside the current window
	day  string        // UTC date the daily count belongs to
	used int           // requests admitted on day
}

// limitStatus is a limiter verdict and what the rate limit headers report.
type limitStatus struct {
	allowed        bool
	cfg            RateLimit
	remaining      int
	dailyRemaining int
	retryAfter     time.Duration // until a slot frees, when !allowed
}

func newLimiter(cfg RateLimit) *limiter {
	return &limiter{cfg: cfg, buckets: map[string]*bucket{}}
}

// take admits one request for key at now if both limits allow it and
// consumes budget only then.
func (l *limiter) take(key string, now time.Time) limitStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key, now)
	st := l.status(b, now)
	if st.allowed {
		b.win.Add(now)
		b.used++
		st.remaining--
		st.dailyRemaining--
	}
	return st
}

// peek reports key's status without consuming anything.
func (l *limiter) peek(key string, now time.Time) limitStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status(l.bucket(key, now), now)
}

// bucket returns key's bucket with expired hits and stale days dropped.
func (l *limiter) bucket(key string, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{}
		l.buckets[key] = b
	}
	b.win.Slide(now, time.Duration(l.cfg.Window))
	if day := now.UTC().Format(time.DateOnly); b.day != day {
		b.day, b.used = day, 0
	}
	return b
}

func (l *limiter) status(b *bucket, now time.Time) limitStatus {
	st := limitStatus{
		cfg:            l.cfg,
		remaining:      max(0, l.cfg.Max-b.win.Used()),
		dailyRemaining: max(0, l.cfg.Daily-b.used),
	}
	st.allowed = st.remaining > 0 && st.dailyRemaining > 0
	switch {
	case st.dailyRemaining == 0:
		st.retryAfter = now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour).Sub(now)
	case st.remaining == 0:
		st.retryAfter = b.win.Wait(now, time.Duration(l.cfg.Window), l.cfg.Max)
	}
	return st
}

// setHeaders writes HighLevel's five rate limit headers.
func (st limitStatus) setHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit-Daily", strconv.Itoa(st.cfg.Daily))
	h.Set("X-RateLimit-Daily-Remaining", strconv.Itoa(st.dailyRemaining))
	h.Set("X-RateLimit-Interval-Milliseconds", strconv.FormatInt(time.Duration(st.cfg.Window).Milliseconds(), 10))
	h.Set("X-RateLimit-Max", strconv.Itoa(st.cfg.Max))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(st.remaining))
}

// RateLimit returns the current limit.
func (s *Server) RateLimit() RateLimit {
	s.limiter.mu.Lock()
	defer s.limiter.mu.Unlock()
	return s.limiter.cfg
}

// SetRateLimit replaces the limit (zero fields take HighLevel's defaults)
// and clears all usage, so the new limit starts from a clean slate.
func (s *Server) SetRateLimit(rl RateLimit) (RateLimit, error) {
	rl = rl.withDefaults()
	if err := rl.validate(); err != nil {
		return RateLimit{}, simkit.BadRequest(err.Error())
	}
	s.limiter.mu.Lock()
	defer s.limiter.mu.Unlock()
	s.limiter.cfg = rl
	s.limiter.buckets = map[string]*bucket{}
	s.log.Info("rate limit set", zap.Int("max", rl.Max), zap.Duration("window", time.Duration(rl.Window)), zap.Int("daily", rl.Daily))
	return rl, nil
}
