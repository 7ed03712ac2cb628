package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/highlevel"
)

func TestBudgetHoldsBackUntilTheSlidingWindowFreesASlot(t *testing.T) {
	const sec = time.Second
	answer := func(remaining int) highlevel.Call { // HighLevel's window: 100 per 10 s
		return highlevel.Call{RateLimit: highlevel.RateLimit{Present: true, Remaining: remaining, Max: 100, Interval: 10 * sec}}
	}
	type event struct {
		at     time.Duration   // since the test's t0
		answer *highlevel.Call // an answer observed; nil: a request admitted
	}
	seen := func(at time.Duration, c highlevel.Call) event { return event{at: at, answer: &c} }
	sent := func(at time.Duration) event { return event{at: at} }
	// Three of our requests early in the window, then an answer saying 2 are left:
	// they slide out at 0.2 s, 0.5 s and 0.8 s.
	ownEarly := []event{seen(-9900*time.Millisecond, answer(50)), sent(-9800 * time.Millisecond), sent(-9500 * time.Millisecond), sent(-9200 * time.Millisecond), seen(0, answer(2))}
	tests := []struct {
		name     string
		events   []event
		held     int // requests held back before the ask, at heldAt
		heldAt   time.Duration
		ask      time.Duration // when the request asks
		wantWait time.Duration // 0: admitted
	}{
		{name: "nothing observed yet"},
		{name: "plenty left", events: []event{seen(0, answer(40))}},
		{name: "one above the reserve", events: []event{seen(0, answer(4))}},
		{name: "at the reserve, others spent the window: wait until the answer is a window old", events: []event{seen(0, answer(3))}, ask: 2 * sec, wantWait: 8 * sec},
		{name: "our requests sliding out free slots: wait for enough of them", events: ownEarly, wantWait: 500 * time.Millisecond},
		{name: "one has slid out, one more to go", events: ownEarly, ask: 300 * time.Millisecond, wantWait: 200 * time.Millisecond},
		{name: "both have slid out", events: ownEarly, ask: 500 * time.Millisecond},
		{name: "a request held back before takes the next slot", events: ownEarly, held: 1, wantWait: 800 * time.Millisecond},
		{name: "requests held back before take all our slots", events: ownEarly, held: 2, wantWait: 10 * sec},
		{name: "a held-back request is admitted when it comes back", events: ownEarly, held: 1, ask: 500 * time.Millisecond},
		{name: "the shortest wait is a floor", events: ownEarly, ask: 480 * time.Millisecond, wantWait: minHoldBack},
		{name: "our requests since the answer spend slots", events: []event{seen(0, answer(6)), sent(0), sent(0), sent(0)}, wantWait: 10 * sec},
		{name: "the newest answer wins", events: []event{seen(0, answer(0)), seen(0, answer(50))}},
		{name: "an answer without headers changes nothing", events: []event{seen(0, answer(0)), seen(0, highlevel.Call{})}, wantWait: 10 * sec},
		{name: "the window has slid by since the answer", events: []event{seen(0, answer(0))}, ask: 10 * sec},
	}
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			b := &Budget{Reserve: 3, Now: func() time.Time { return now }}
			for _, e := range tt.events {
				now = t0.Add(e.at)
				if e.answer != nil {
					b.observe("c1")(*e.answer)
				} else if err := b.admit("c1"); err != nil {
					t.Fatalf("setting up, a request at %v: %v", e.at, err)
				}
			}
			now = t0.Add(tt.heldAt)
			for range tt.held {
				if b.admit("c1") == nil {
					t.Fatal("setting up: a request meant to be held back was admitted")
				}
			}
			now = t0.Add(tt.ask)
			err := b.admit("c1")
			if tt.wantWait == 0 {
				if err != nil {
					t.Fatalf("want admitted, got %v", err)
				}
				return
			}
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != ErrTypeRateLimited || app.NonRetryable() || app.NextRetryDelay() != tt.wantWait {
				t.Fatalf("want a retryable %s held back %v, got %v", ErrTypeRateLimited, tt.wantWait, err)
			}
			if err := b.admit("c2"); err != nil {
				t.Fatalf("another company's window is its own: %v", err)
			}
		})
	}
	var none *Budget
	if err := none.admit("c1"); err != nil {
		t.Fatalf("no budget, no holding back: %v", err)
	}
}

// A short hold-back is waited out inside the activity; a long one comes back as a
// benign, retryable error carrying its delay, so the SDK neither logs it as an error
// nor counts a failed activity.
func TestBudgetWaitsOutShortHoldsAndReturnsLongOnes(t *testing.T) {
	spent := func(window time.Duration) *Budget {
		b := &Budget{}
		b.observe("c1")(highlevel.Call{RateLimit: highlevel.RateLimit{Present: true, Remaining: 0, Interval: window}})
		return b
	}
	t.Run("short", func(t *testing.T) {
		start := time.Now()
		if err := spent(300*time.Millisecond).wait(t.Context(), "c1"); err != nil {
			t.Fatalf("want admitted after the window slid, got %v", err)
		}
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Fatalf("admitted after %v: it did not wait for the window", d)
		}
	})
	t.Run("long", func(t *testing.T) {
		err := spent(10*time.Second).wait(t.Context(), "c1")
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Category() != temporal.ApplicationErrorCategoryBenign || app.NonRetryable() ||
			app.NextRetryDelay() <= maxWaitInActivity {
			t.Fatalf("want a benign retryable hold-back longer than %v, got %v", maxWaitInActivity, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		if err := spent(time.Second).wait(ctx, "c1"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want the context's error, got %v", err)
		}
	})
}
