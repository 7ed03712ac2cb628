package actionstepsim

import (
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// limiter enforces RateLimit per (organisation, user) key — Actionstep
// limits "on a user-centric (session) basis with higher order orgkey …
// constraints" (reference §5.1) — with a sliding window log.
type limiter struct {
	mu   sync.Mutex
	cfg  RateLimit
	hits map[string][]time.Time // admitted requests inside the window, oldest first
}

func newLimiter(cfg RateLimit) *limiter {
	return &limiter{cfg: cfg, hits: map[string][]time.Time{}}
}

// take admits one request for key at now if the window has room, and
// otherwise reports how long until a slot frees.
func (l *limiter) take(key string, now time.Time) (ok bool, wait time.Duration, cfg RateLimit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cutoff := now.Add(-time.Duration(l.cfg.Window))
	h := l.hits[key]
	i := 0
	for i < len(h) && !h[i].After(cutoff) {
		i++
	}
	h = h[i:]
	if len(h) >= l.cfg.Max {
		l.hits[key] = h
		// The oldest hit leaves the window Window after it was admitted.
		return false, h[len(h)-l.cfg.Max].Add(time.Duration(l.cfg.Window)).Sub(now), l.cfg
	}
	l.hits[key] = append(h, now)
	return true, 0, l.cfg
}

// RateLimit returns the current limit.
func (s *Server) RateLimit() RateLimit {
	s.limiter.mu.Lock()
	defer s.limiter.mu.Unlock()
	return s.limiter.cfg
}

// SetRateLimit replaces the limit (zero fields take the defaults) and
// clears all usage, so the new limit starts from a clean slate.
func (s *Server) SetRateLimit(rl RateLimit) (RateLimit, error) {
	rl = rl.withDefaults()
	if err := rl.validate(); err != nil {
		return RateLimit{}, &stateError{status: http.StatusBadRequest, msg: err.Error()}
	}
	s.limiter.mu.Lock()
	defer s.limiter.mu.Unlock()
	s.limiter.cfg = rl
	s.limiter.hits = map[string][]time.Time{}
	s.log.Info("rate limit set", zap.Int("max", rl.Max), zap.Duration("window", time.Duration(rl.Window)), zap.Bool("retryAfter", rl.RetryAfter))
	return rl, nil
}
