package actionstepsim

import (
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// limiter enforces RateLimit per (organisation, user) key — Actionstep
// limits "on a user-centric (session) basis with higher order orgkey …
// constraints" (reference §5.1) — with a sliding window log.
type limiter struct {
	mu      sync.Mutex
	cfg     RateLimit
	since   time.Time // when cfg was set: its schedule runs from here
	windows map[string]*simkit.Window
}

func newLimiter(cfg RateLimit, now time.Time) *limiter {
	return &limiter{cfg: cfg, since: now, windows: map[string]*simkit.Window{}}
}

// take admits one request for key at now if the window has room, and
// otherwise reports how long until a slot frees. The window keeps its
// requests when a schedule moves to another phase.
func (l *limiter) take(key string, now time.Time) (ok bool, wait time.Duration, cfg RateLimit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[key]
	if w == nil {
		w = &simkit.Window{}
		l.windows[key] = w
	}
	limit, window := l.cfg.at(now.Sub(l.since))
	w.Slide(now, window)
	if w.Used() >= limit {
		return false, w.Wait(now, window, limit), l.cfg
	}
	w.Add(now)
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
		return RateLimit{}, simkit.BadRequest(err.Error())
	}
	s.limiter.mu.Lock()
	defer s.limiter.mu.Unlock()
	s.limiter.cfg, s.limiter.since = rl, s.now()
	s.limiter.windows = map[string]*simkit.Window{}
	s.log.Info("rate limit set", zap.Int("max", rl.Max), zap.Duration("window", time.Duration(rl.Window)), zap.Bool("retryAfter", rl.RetryAfter),
		zap.Int("schedulePhases", len(rl.Schedule)))
	return rl, nil
}
