package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/highlevel"
)

// Budget paces a worker process's agency calls to HighLevel's per-company window.
// Every process sees the same company-wide window through the X-RateLimit-* headers
// of its own answers, so each can hold back when the window is nearly spent instead
// of spending a request on a 429. The agency task queue's server-side rate only caps
// the fleet; the budget is what keeps it at, and not past, HighLevel's limit.
//
// Between answers the budget estimates the window from this process's own requests:
// the ones sent since the answer have spent slots, and the ones that have slid out of
// the window since the answer have freed them. Other processes' requests cancel out
// in steady state (each frees about what it spends) and every answer corrects the
// estimate, so the fleet keeps the window full without overfilling it. A held-back
// request retries exactly when its slot should be free; nothing sleeps.
type Budget struct {
	// Reserve is how many requests to leave in the window for requests already in
	// flight elsewhere in the fleet.
	Reserve int
	// Now is the clock (tests fake it).
	Now func() time.Time

	mu        sync.Mutex
	companies map[string]*companyWindow
}

// minHoldBack is the shortest wait of a held-back call: a shorter one only costs a
// retry that would be held back again.
const minHoldBack = 50 * time.Millisecond

// companyWindow is what this process knows of one company's window.
type companyWindow struct {
	observed  bool
	remaining int           // on the last answer
	interval  time.Duration // the window, from the last answer
	at        time.Time     // when the last answer came
	sent      []time.Time   // this process's admitted requests, oldest first
	holds     []time.Time   // when requests held back are due again
}

func (b *Budget) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Budget) company(companyID string) *companyWindow {
	if b.companies == nil {
		b.companies = map[string]*companyWindow{}
	}
	w, ok := b.companies[companyID]
	if !ok {
		w = &companyWindow{}
		b.companies[companyID] = w
	}
	return w
}

// observe returns the observer recording a company's answers.
func (b *Budget) observe(companyID string) func(highlevel.Call) {
	return func(c highlevel.Call) {
		rl := c.RateLimit
		if !rl.Present || rl.Interval <= 0 {
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		w := b.company(companyID)
		w.observed, w.remaining, w.interval, w.at = true, rl.Remaining, rl.Interval, b.now()
	}
}

// admit lets a request for the company go, or returns a RateLimited error that
// retries it once the window should have a slot for it: no request is sent into a
// spent window.
func (b *Budget) admit(companyID string) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.company(companyID)
	if !w.observed {
		return nil // nothing known yet (or HighLevel sends no rate-limit headers)
	}
	now := b.now()
	wait, ok := w.estimate(now, b.Reserve)
	if ok {
		w.sent = append(w.sent, now)
		return nil
	}
	wait = max(wait, minHoldBack)
	w.holds = append(w.holds, now.Add(wait))
	// Benign: holding back is the budget working, not a failure; the SDK neither logs it
	// as an error nor counts it as a failed activity.
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("HighLevel's burst window for company %s is nearly spent; holding back", companyID),
		ErrTypeRateLimited, temporal.ApplicationErrorOptions{NextRetryDelay: wait, Category: temporal.ApplicationErrorCategoryBenign})
}

// maxWaitInActivity is the longest hold-back an activity waits out itself: a short one
// costs less as a wait than as a retry through the server (a history-free attempt, a
// task-queue slot), a long one must not hold a worker slot.
const maxWaitInActivity = 2 * time.Second

// wait admits a request for the company, waiting inside the activity while the
// hold-back is short, and returns the hold-back error when it is long (the activity is
// retried when the slot frees). It gives up when ctx is done.
func (b *Budget) wait(ctx context.Context, companyID string) error {
	for {
		err := b.admit(companyID)
		var app *temporal.ApplicationError
		if err == nil || !errors.As(err, &app) || app.NextRetryDelay() > maxWaitInActivity {
			return err
		}
		t := time.NewTimer(app.NextRetryDelay())
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// estimate says whether more than reserve slots of an observed window are free now,
// and if not, how long until one more is.
func (w *companyWindow) estimate(now time.Time, reserve int) (time.Duration, bool) {
	fresh := now.Sub(w.at) < w.interval
	// A request a window older than the answer (or than now, for the next answer)
	// can never matter again.
	horizon := now
	if fresh {
		horizon = w.at
	}
	drop := 0
	for drop < len(w.sent) && !w.sent[drop].After(horizon.Add(-w.interval)) {
		drop++
	}
	w.sent = w.sent[drop:]
	if !fresh {
		return 0, true // the whole window has slid by since the answer
	}
	free := w.remaining
	var freeing []time.Time // when this process's requests still in the window slide out
	for _, t := range w.sent {
		if !t.Before(w.at) {
			free-- // sent since the answer
		}
		if out := t.Add(w.interval); out.After(now) {
			freeing = append(freeing, out)
		} else {
			free++ // slid out since the answer
		}
	}
	if free > reserve {
		return 0, true
	}
	// Each request already held back is due at a slot of its own; this one takes the
	// next, so held-back requests come back one per freed slot, not all at once.
	due := 0
	for _, h := range w.holds {
		if h.After(now) {
			w.holds[due] = h
			due++
		}
	}
	w.holds = w.holds[:due]
	if next := reserve - free + due; next < len(freeing) {
		return freeing[next].Sub(now), false
	}
	// Our own requests cannot free enough: other processes spent the window, and
	// when its slots free is theirs to know; try again once the answer is a window old.
	return w.at.Add(w.interval).Sub(now), false
}
