package pacing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Window admits at most Max requests in any Per, exactly: it keeps when each of the
// last Max requests went, and the next one goes no earlier than Per after the oldest of
// them (HighLevel's burst window: 100 requests per 10 s per app and company, a sliding
// window on HighLevel's side).
type Window struct {
	Max int
	Per time.Duration
	// Guard lengthens the window for the time between a request's slot and its arrival,
	// which varies from request to request.
	Guard time.Duration
}

// defaultGuard covers the spread of a request's time between its slot and HighLevel
// (a token read, the connection, scheduling on a busy host): 1% of a 10 s window.
const defaultGuard = 100 * time.Millisecond

// ParseWindow reads "100/10s" (Max requests per duration), or "off" (the zero Window:
// no pacing).
func ParseWindow(s string) (Window, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return Window{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	limit, err := strconv.Atoi(strings.TrimSpace(n))
	d, derr := time.ParseDuration(strings.TrimSpace(per))
	if !ok || err != nil || derr != nil || limit <= 0 || d <= 0 {
		return Window{}, errWindowSyntax
	}
	return Window{Max: limit, Per: d, Guard: defaultGuard}, nil
}

// errWindowSyntax quotes no value: configuration errors never do.
var errWindowSyntax = errors.New("must be requests/duration, e.g. 100/10s, or off")

// UnmarshalText reads a Window as ParseWindow does (for configuration).
func (w *Window) UnmarshalText(b []byte) error {
	v, err := ParseWindow(string(b))
	if err == nil {
		*w = v
	}
	return err
}

// Off reports the zero Window, which paces nothing.
func (w Window) Off() bool { return w.Max <= 0 }

func (w Window) String() string {
	if w.Off() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", w.Max, w.Per)
}

// ring returns the state's ring of the last Max requests' times, oldest first from Head,
// resized (keeping the newest) if Max changed.
func (w Window) ring(s *state) []int64 {
	if len(s.Sent) != w.Max {
		ordered := append(append([]int64{}, s.Sent[min(s.Head, len(s.Sent)):]...), s.Sent[:min(s.Head, len(s.Sent))]...)
		ring := make([]int64, w.Max)
		for i, j := len(ordered)-1, w.Max-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
			ring[j] = ordered[i]
		}
		s.Sent, s.Head = ring, 0
	}
	return s.Sent
}

func (w Window) next(s *state, now int64, k int) int64 {
	ring := w.ring(s)
	per := (w.Per + w.Guard).Microseconds()
	floor := max(now, s.Blocked)
	// The k-th request takes the ring's slot (Head+k) mod Max once its current request
	// is a window old; past Max, the slot a request k-Max before took.
	slots := make([]int64, k+1)
	for i := range slots {
		base := ring[(s.Head+i)%w.Max]
		if i >= w.Max {
			base = slots[i-w.Max]
		}
		slots[i] = max(floor, base+per)
	}
	return slots[k]
}

func (w Window) take(s *state, at, _ int64) {
	ring := w.ring(s)
	ring[s.Head] = at
	s.Head = (s.Head + 1) % w.Max
}

// throttled blocks the budget for the 429's Retry-After (a second when it sent none):
// something spent the window that this budget did not see.
func (w Window) throttled(s *state, _, now int64, retryAfter time.Duration) {
	s.Blocked = max(s.Blocked, now+max(retryAfter, time.Second).Microseconds())
}
