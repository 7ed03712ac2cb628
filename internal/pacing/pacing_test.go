package pacing_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/pacing"
	"github.com/saasbridge/saasbridge/internal/storetest"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// fakeClock is the limiters' clock in a test: waiting for a slot moves it on, and may
// let something happen meanwhile.
type fakeClock struct {
	mu       sync.Mutex
	t        time.Time
	waited   []time.Duration
	meantime func()
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waited = append(c.waited, d)
	f := c.meantime
	c.mu.Unlock()
	if f != nil {
		f()
	}
	c.advance(d)
	return nil
}

// processes opens the store at dsn n times, as n worker processes do, each with a
// limiter on it.
func processes(t *testing.T, dsn string, n int, opts ...pacing.Option) []*pacing.Limiter {
	t.Helper()
	var out []*pacing.Limiter
	for range n {
		store, err := tokens.Open(t.Context(), dsn, bytes.Repeat([]byte{1}, tokens.KeySize))
		require.NoError(t, err)
		t.Cleanup(func() { _ = store.Close() })
		out = append(out, pacing.New(store.DB(), store.Postgres(), opts...))
	}
	return out
}

func holdBack(t *testing.T, err error) time.Duration {
	t.Helper()
	var hb *pacing.HoldBack
	require.True(t, errors.As(err, &hb), "want a hold-back, got %v", err)
	return hb.Delay
}

// TestWindowIsSharedByEveryProcess: two processes spending one company's window send
// at most Max requests in it between them; the requests held back are spread one per
// freed slot, and another company's window is untouched.
func TestWindowIsSharedByEveryProcess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		clock := newClock()
		ls := processes(t, dsn, 2, pacing.WithClock(clock.now, clock.sleep), pacing.WithMaxWait(0))
		w := pacing.Window{Max: 4, Per: 10 * time.Second}
		a, b := ls[0].Pacer("highlevel:A", w), ls[1].Pacer("highlevel:A", w)
		for i := range 4 {
			_, err := []*pacing.Pacer{a, b}[i%2].Wait(t.Context())
			require.NoError(t, err, "request %d", i)
		}
		// The window is spent: the next four are due when the first four slide out, the
		// four after them a window later, whichever process asks.
		for i, want := range []time.Duration{10, 10, 10, 10, 20} {
			_, err := []*pacing.Pacer{a, b}[i%2].Wait(t.Context())
			assert.Equal(t, want*time.Second, holdBack(t, err), "held-back request %d", i)
		}
		_, err := ls[1].Pacer("highlevel:B", w).Wait(t.Context())
		require.NoError(t, err, "another company has its own window")

		clock.advance(10 * time.Second)
		for i := range 4 {
			_, err := a.Wait(t.Context())
			require.NoError(t, err, "a slot freed for request %d", i)
		}
		_, err = b.Wait(t.Context())
		holdBack(t, err)
	})
}

// TestWindowHoldsNoMoreThanMaxInAnyWindow: processes racing for one window with real
// time send no more than Max requests in any stretch of Per.
func TestWindowHoldsNoMoreThanMaxInAnyWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ls := processes(t, dsn, 2, pacing.WithMaxWait(10*time.Second))
		w := pacing.Window{Max: 5, Per: 300 * time.Millisecond}
		var mu sync.Mutex
		var sent []time.Time
		var wg sync.WaitGroup
		for g := range 6 {
			p := ls[g%2].Pacer("highlevel:race", w)
			wg.Go(func() {
				for range 5 {
					if _, err := p.Wait(t.Context()); assert.NoError(t, err) {
						mu.Lock()
						sent = append(sent, time.Now())
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		slices.SortFunc(sent, time.Time.Compare)
		require.Len(t, sent, 30)
		for i := w.Max; i < len(sent); i++ {
			// Timers fire late, never early; the one that started a window late narrows it.
			assert.GreaterOrEqual(t, sent[i].Sub(sent[i-w.Max]), w.Per-50*time.Millisecond, "requests %d and %d", i-w.Max, i)
		}
	})
}

// TestA429BlocksTheBudget: a 429 holds the budget's requests back for its Retry-After,
// in every process, and voids the slot of a request already waiting for one.
func TestA429BlocksTheBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		clock := newClock()
		ls := processes(t, dsn, 2, pacing.WithClock(clock.now, clock.sleep))
		w := pacing.Window{Max: 100, Per: 10 * time.Second}
		a, b := ls[0].Pacer("highlevel:A", w), ls[1].Pacer("highlevel:A", w)
		sent, err := a.Wait(t.Context())
		require.NoError(t, err)
		a.Done(t.Context(), sent, 429, 5*time.Second)
		_, err = b.Wait(t.Context())
		assert.Equal(t, 4*time.Second, holdBack(t, err), "due again a second (half the max wait) before the block ends")

		clock.advance(4 * time.Second)
		// While this request waits out the last second, another 429 blocks the budget
		// again: its slot is void, and it is held back.
		clock.meantime = func() { a.Done(t.Context(), clock.now(), 429, 30*time.Second) }
		_, err = b.Wait(t.Context())
		holdBack(t, err)
		clock.meantime = nil
	})
}

// TestAdaptiveLearnsTheRate: an adaptive budget grows while it is busy, up to its
// ceiling, drops on a 429 once for the requests sent at the rate that drew it, and
// every process (and the next start) paces at what it learned.
func TestAdaptiveLearnsTheRate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		clock := newClock()
		ls := processes(t, dsn, 2, pacing.WithClock(clock.now, clock.sleep), pacing.WithMaxWait(time.Minute))
		policy := pacing.AdaptiveUpTo(6)
		a, b := ls[0].Pacer("actionstep:org", policy), ls[1].Pacer("actionstep:org", policy)

		// An idle budget lets a burst of Burst × Start requests go at once.
		for i := range 8 {
			_, err := []*pacing.Pacer{a, b}[i%2].Wait(t.Context())
			require.NoError(t, err)
		}
		assert.Empty(t, nonZero(clock.waited), "the burst waits for nothing")
		// Busy for a minute: the rate grows to the ceiling (6/s) and stays there.
		start := clock.now()
		for i := range 600 {
			_, err := []*pacing.Pacer{a, b}[i%2].Wait(t.Context())
			require.NoError(t, err)
		}
		assert.InDelta(t, 1.0/6, gap(clock), 0.01, "spaced at the ceiling")
		assert.Less(t, clock.now().Sub(start), 130*time.Second)

		// A 429: the rate drops by a fifth, once, however many requests sent before the
		// drop are answered 429 too.
		sent, err := a.Wait(t.Context())
		require.NoError(t, err)
		a.Done(t.Context(), sent, 429, 0)
		b.Done(t.Context(), sent, 429, 0)
		for i := range 3 {
			_, err := []*pacing.Pacer{a, b}[i%2].Wait(t.Context())
			require.NoError(t, err)
		}
		assert.InDelta(t, 1/(6*0.8), gap(clock), 0.01, "spaced at 4.8/s")

		// A new process (a restart) paces at what the fleet learned.
		c := processes(t, dsn, 1, pacing.WithClock(clock.now, clock.sleep), pacing.WithMaxWait(time.Minute))[0].Pacer("actionstep:org", policy)
		_, err = c.Wait(t.Context())
		require.NoError(t, err)
		assert.InDelta(t, 1/(6*0.8), gap(clock), 0.01)
	})
}

func nonZero(ds []time.Duration) []time.Duration {
	return slices.DeleteFunc(slices.Clone(ds), func(d time.Duration) bool { return d == 0 })
}

// gap is the last wait for a slot, in seconds.
func gap(c *fakeClock) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waited[len(c.waited)-1].Seconds()
}

func TestParseWindow(t *testing.T) {
	for in, want := range map[string]string{"100/10s": "100/10s", " 5 / 1m ": "5/1m0s", "off": "off", "OFF": "off"} {
		w, err := pacing.ParseWindow(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, w.String(), in)
	}
	for _, bad := range []string{"", "100", "100/", "/10s", "0/10s", "-1/10s", "100/0s", "100/fast", "x/10s"} {
		_, err := pacing.ParseWindow(bad)
		assert.Error(t, err, bad)
	}
}
