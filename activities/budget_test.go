package activities

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/highlevel"
)

func TestBudgetHoldsBackOnlyWhileTheWindowIsNearlySpent(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	b := &Budget{Reserve: 5, Fresh: time.Second, Now: func() time.Time { return now }}
	seen := func(company string, remaining int) {
		b.observe(company)(highlevel.Call{RateLimit: highlevel.RateLimit{Present: true, Remaining: remaining, Max: 100}})
	}
	if err := b.admit("c1"); err != nil {
		t.Fatalf("nothing observed yet: %v", err)
	}
	seen("c1", 40)
	if err := b.admit("c1"); err != nil {
		t.Fatalf("plenty left: %v", err)
	}
	seen("c1", 5)
	err := b.admit("c1")
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrTypeRateLimited || app.NonRetryable() || app.NextRetryDelay() != time.Second {
		t.Fatalf("want a retryable RateLimited held back until the observation ages, got %v", err)
	}
	if err := b.admit("c2"); err != nil {
		t.Fatalf("another company's window is its own: %v", err)
	}
	now = now.Add(1100 * time.Millisecond)
	if err := b.admit("c1"); err != nil {
		t.Fatalf("an old observation says nothing about a sliding window: %v", err)
	}
	b.observe("c1")(highlevel.Call{}) // no headers (an error without them)
	if err := b.admit("c1"); err != nil {
		t.Fatalf("a call without rate-limit headers changes nothing: %v", err)
	}
	var none *Budget
	if err := none.admit("c1"); err != nil {
		t.Fatalf("no budget, no holding back: %v", err)
	}
}
