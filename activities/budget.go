package activities

import (
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/highlevel"
)

// Budget keeps, per company, the burst budget HighLevel reported on its last answer
// (X-RateLimit-Remaining): every worker process sees the same company-wide window
// through those headers, so each can hold back when the window is nearly spent
// instead of spending a request on a 429. The agency task queue's server-side rate
// does the steady pacing; the budget only trims the bursts that pacing lets through.
type Budget struct {
	// Reserve is how many requests to leave in the window for requests already in
	// flight elsewhere in the fleet.
	Reserve int
	// Fresh is how long an observation is trusted; a sliding window frees slots
	// continuously, so an old "nearly spent" says nothing.
	Fresh time.Duration
	// Now is the clock (tests fake it).
	Now func() time.Time

	mu   sync.Mutex
	seen map[string]seenBudget
}

// minHoldBack is the shortest wait of a held-back call: slots of a sliding window free
// continuously, so waiting a whole second would leave them unused.
const minHoldBack = 200 * time.Millisecond

type seenBudget struct {
	remaining int
	at        time.Time
}

func (b *Budget) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// observe returns the observer recording a company's answers.
func (b *Budget) observe(companyID string) func(highlevel.Call) {
	return func(c highlevel.Call) {
		if !c.RateLimit.Present {
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.seen == nil {
			b.seen = map[string]seenBudget{}
		}
		b.seen[companyID] = seenBudget{remaining: c.RateLimit.Remaining, at: b.now()}
	}
}

// admit lets a request for the company go, or returns a RateLimited error that
// retries it once the observation has aged: no request is sent into a spent window.
func (b *Budget) admit(companyID string) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	s, ok := b.seen[companyID]
	b.mu.Unlock()
	age := b.now().Sub(s.at)
	if !ok || age >= b.Fresh || s.remaining > b.Reserve {
		return nil
	}
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("HighLevel's burst window for company %s is nearly spent (%d left); holding back", companyID, s.remaining),
		ErrTypeRateLimited, temporal.ApplicationErrorOptions{NextRetryDelay: max(b.Fresh-age, minHoldBack)})
}
