// Package httpapitest holds the test doubles of httpapi's hooks that the API clients'
// tests share: a pacer that admits everything and records the answers, and a recorder
// of what a client's observer reports.
package httpapitest

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Pacer admits every request at once and records each answer; OnDone, if set, lets the
// test act on one (wait out a Retry-After on a simulator's clock).
type Pacer struct {
	Waits   int
	Answers []int
	OnDone  func(status int, retryAfter time.Duration)
}

// Wait admits the request now.
func (p *Pacer) Wait(context.Context) (time.Time, error) {
	p.Waits++
	return time.Now(), nil
}

// Done records the answer.
func (p *Pacer) Done(_ context.Context, _ time.Time, status int, retryAfter time.Duration) {
	p.Answers = append(p.Answers, status)
	if p.OnDone != nil {
		p.OnDone(status, retryAfter)
	}
}

// Recorder collects what a client's observer reports; it is safe for concurrent use.
type Recorder[C any] struct {
	mu    sync.Mutex
	calls []C
}

// Observe records one call; pass it as the client's observer.
func (r *Recorder[C]) Observe(c C) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

// Snapshot returns the calls recorded so far.
func (r *Recorder[C]) Snapshot() []C {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Reset forgets the calls recorded so far.
func (r *Recorder[C]) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}
