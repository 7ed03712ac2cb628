package pacing

import (
	"container/heap"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// hiddenPhase is a stretch of time during which the simulated API admits limit
// requests per second (a sliding one-second window), as Actionstep's limit that
// "adjusts dynamically" does.
type hiddenPhase struct {
	limit  int
	d      time.Duration
	window time.Duration // one second when zero
}

func (ph hiddenPhase) per() time.Duration {
	if ph.window == 0 {
		return time.Second
	}
	return ph.window
}

type phaseResult struct {
	limit        int
	per          time.Duration
	accepted     int
	sent         int
	tooMany      int
	seconds      float64
	ratePerLimit float64
}

func (r phaseResult) String() string {
	return fmt.Sprintf("limit %d/%s: %.2f/s (%.0f%%), 429s %.1f%%", r.limit, r.per, float64(r.accepted)/r.seconds,
		100*r.ratePerLimit, 100*float64(r.tooMany)/float64(max(r.sent, 1)))
}

// event is a simulated worker's next step.
type event struct {
	at     int64
	worker int
	kind   int // try, send, answer
	sent   int64
	ok     bool
	ra     time.Duration
}

const (
	evTry = iota
	evSend
	evAnswer
)

type events []event

func (e events) Len() int           { return len(e) }
func (e events) Less(i, j int) bool { return e[i].at < e[j].at }
func (e events) Swap(i, j int)      { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)        { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// simulate runs workers that always have a request to send through one budget under
// policy p, against an API whose hidden limit follows phases, with answers taking
// latency; it reports each phase after its first warmup.
func simulate(p Adaptive, phases []hiddenPhase, workers int, latency, warmup time.Duration, retryAfter bool, trace func(at int64, rate float64, ok bool)) []phaseResult {
	var s state
	var hits []int64
	q := &events{}
	for w := range workers {
		heap.Push(q, event{at: 0, worker: w, kind: evTry})
	}
	var end int64
	starts := make([]int64, len(phases))
	for i, ph := range phases {
		starts[i] = end
		end += ph.d.Microseconds()
	}
	phaseAt := func(t int64) int {
		for i := len(starts) - 1; i >= 0; i-- {
			if t >= starts[i] {
				return i
			}
		}
		return 0
	}
	res := make([]phaseResult, len(phases))
	for q.Len() > 0 {
		ev := heap.Pop(q).(event)
		if ev.at >= end {
			continue
		}
		switch ev.kind {
		case evTry:
			at, due := admit(p, &s, ev.at, 2*time.Second)
			if due > 0 {
				heap.Push(q, event{at: due, worker: ev.worker, kind: evTry})
			} else {
				heap.Push(q, event{at: at, worker: ev.worker, kind: evSend, sent: ev.at})
			}
		case evSend:
			if stale(&s, ev.sent, ev.at) {
				heap.Push(q, event{at: ev.at, worker: ev.worker, kind: evTry})
				continue
			}
			i := phaseAt(ev.at)
			cut := ev.at - phases[phaseAt(ev.at)].per().Microseconds()
			for len(hits) > 0 && hits[0] <= cut {
				hits = hits[1:]
			}
			ok := len(hits) < phases[i].limit
			var ra time.Duration
			if ok {
				hits = append(hits, ev.at)
			} else if retryAfter {
				ra = time.Duration(hits[len(hits)-phases[i].limit]+phases[i].per().Microseconds()-ev.at) * time.Microsecond
			}
			if trace != nil {
				trace(ev.at, s.Rate, ok)
			}
			if ev.at >= starts[i]+warmup.Microseconds() {
				r := &res[i]
				r.sent++
				if ok {
					r.accepted++
				} else {
					r.tooMany++
				}
			}
			heap.Push(q, event{at: ev.at + latency.Microseconds(), worker: ev.worker, kind: evAnswer, sent: ev.sent, ok: ok, ra: ra})
		case evAnswer:
			if !ev.ok {
				p.throttled(&s, ev.sent, ev.at, ev.ra)
			}
			heap.Push(q, event{at: ev.at, worker: ev.worker, kind: evTry})
		}
	}
	for i, ph := range phases {
		r := &res[i]
		r.limit, r.per = ph.limit, ph.per()
		r.seconds = (ph.d - warmup).Seconds()
		r.ratePerLimit = float64(r.accepted) / r.seconds / (float64(ph.limit) / ph.per().Seconds())
	}
	return res
}

// TestAdaptiveFollowsAHiddenLimit: against an API whose undisclosed limit drops, rises
// and drops again, the adaptive pacing finds each level within seconds and then sends
// close to it, with few 429s, with and without Retry-After.
func TestAdaptiveFollowsAHiddenLimit(t *testing.T) {
	phases := []hiddenPhase{{8, time.Minute, 0}, {3, time.Minute, 0}, {15, time.Minute, 0}, {5, time.Minute, 0}, {300, 5 * time.Minute, time.Minute}}
	for _, retryAfter := range []bool{false, true} {
		t.Run(fmt.Sprintf("retryAfter=%v", retryAfter), func(t *testing.T) {
			var sec int64 = -1
			var n, bad int
			trace := func(at int64, rate float64, ok bool) {
				if at/1e6 != sec {
					if testing.Verbose() && sec >= 0 {
						t.Logf("t=%ds rate %.2f sent %d 429 %d", sec, rate, n, bad)
					}
					sec, n, bad = at/1e6, 0, 0
				}
				n++
				if !ok {
					bad++
				}
			}
			res := simulate(AdaptiveUpTo(50), phases, 16, 40*time.Millisecond, 10*time.Second, retryAfter, trace)
			for _, r := range res {
				t.Log(r)
				assert.GreaterOrEqual(t, r.ratePerLimit, 0.75, "throughput vs the hidden limit: %s", r)
				assert.LessOrEqual(t, float64(r.tooMany)/float64(r.sent), 0.10, "429 share: %s", r)
			}
		})
	}
}
