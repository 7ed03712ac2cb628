package simkit

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Call is one recorded API request, as the simulators' admin APIs report it.
type Call struct {
	Time time.Time `json:"time"`
	// Endpoint is the template, e.g. "POST /rest/participants" or
	// "POST /saas/enable-saas/{locationId}"; unmatched requests keep their raw
	// method and path.
	Endpoint string `json:"endpoint"`
	// Scope is what the call was about, if known: a HighLevel location (else
	// its company), an Actionstep organisation.
	Scope string `json:"scope,omitempty"`
	// Status is the status sent, or that would have been sent when Dropped.
	Status  int  `json:"status"`
	Dropped bool `json:"dropped,omitempty"`
}

// CallReport summarises recorded calls. Status keys are HTTP codes.
type CallReport struct {
	Total           int `json:"total"`
	TooManyRequests int `json:"tooManyRequests"`
	Dropped         int `json:"dropped"`
	// ByEndpoint counts endpoint → status → calls.
	ByEndpoint map[string]map[int]int `json:"byEndpoint"`
	// ByScope counts endpoint → scope → status → calls.
	ByScope map[string]map[string]map[int]int `json:"byScope"`
	// Calls are the most recent calls, oldest first (at most RecentLimit).
	Calls []Call `json:"calls"`
}

// Count returns the calls to endpoint with status, or with any status when
// status is 0.
func (r CallReport) Count(endpoint string, status int) int {
	return countStatus(r.ByEndpoint[endpoint], status)
}

// CountFor is Count narrowed to one scope.
func (r CallReport) CountFor(endpoint, scope string, status int) int {
	return countStatus(r.ByScope[endpoint][scope], status)
}

func countStatus(byStatus map[int]int, status int) int {
	if status != 0 {
		return byStatus[status]
	}
	n := 0
	for _, c := range byStatus {
		n += c
	}
	return n
}

// RecentLimit bounds the per-entry lists (calls, webhook deliveries) of a
// long-running sandbox; the counters next to them are exact regardless.
const RecentLimit = 10000

// Recent is a log that keeps its most recent RecentLimit entries. The
// zero value is empty; it needs the caller's lock.
type Recent[T any] struct{ items []T }

// Add appends v.
func (r *Recent[T]) Add(v T) {
	if len(r.items) == 2*RecentLimit { // trim in bulk to keep adding O(1) amortised
		r.items = slices.Clone(r.items[RecentLimit:])
	}
	r.items = append(r.items, v)
}

// Items returns a copy of the most recent entries, oldest first; never nil.
func (r *Recent[T]) Items() []T {
	return append([]T{}, r.items[max(0, len(r.items)-RecentLimit):]...)
}

// CallLog accumulates the call report.
type CallLog struct {
	mu                      sync.Mutex
	total, tooMany, dropped int
	byEndpoint              map[string]map[int]int
	byScope                 map[string]map[string]map[int]int
	calls                   Recent[Call]
}

// NewCallLog returns an empty log.
func NewCallLog() *CallLog {
	l := &CallLog{}
	l.Reset()
	return l
}

// Reset forgets all recorded calls.
func (l *CallLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total, l.tooMany, l.dropped = 0, 0, 0
	l.byEndpoint, l.byScope = map[string]map[int]int{}, map[string]map[string]map[int]int{}
	l.calls = Recent[Call]{}
}

// Record adds c to the report.
func (l *CallLog) Record(c Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	if c.Status == http.StatusTooManyRequests {
		l.tooMany++
	}
	if c.Dropped {
		l.dropped++
	}
	if l.byEndpoint[c.Endpoint] == nil {
		l.byEndpoint[c.Endpoint] = map[int]int{}
	}
	l.byEndpoint[c.Endpoint][c.Status]++
	if c.Scope != "" {
		if l.byScope[c.Endpoint] == nil {
			l.byScope[c.Endpoint] = map[string]map[int]int{}
		}
		if l.byScope[c.Endpoint][c.Scope] == nil {
			l.byScope[c.Endpoint][c.Scope] = map[int]int{}
		}
		l.byScope[c.Endpoint][c.Scope][c.Status]++
	}
	l.calls.Add(c)
}

// Report returns a copy of the call report.
func (l *CallLog) Report() CallReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := CallReport{
		Total: l.total, TooManyRequests: l.tooMany, Dropped: l.dropped,
		ByEndpoint: make(map[string]map[int]int, len(l.byEndpoint)),
		ByScope:    make(map[string]map[string]map[int]int, len(l.byScope)),
		Calls:      l.calls.Items(),
	}
	for ep, m := range l.byEndpoint {
		r.ByEndpoint[ep] = maps.Clone(m)
	}
	for ep, byScope := range l.byScope {
		r.ByScope[ep] = make(map[string]map[int]int, len(byScope))
		for scope, m := range byScope {
			r.ByScope[ep][scope] = maps.Clone(m)
		}
	}
	return r
}

// CallInfo is filled in by whichever handler serves an API request so that
// CallLog.Serve can account for it afterwards.
type CallInfo struct {
	// Endpoint is the template; empty keeps the raw method and path.
	Endpoint string
	// Scope is what the call is accounted to.
	Scope string
	// Status is the status sent or, when Dropped, the one that would have
	// been; 0 means the one written.
	Status int
	// Dropped asks Serve to close the connection instead of replying, once
	// the call is recorded.
	Dropped bool
}

type callInfoKey struct{}

// CallInfoFrom returns the record CallLog.Serve, the only way into the
// API handlers, put in the request context.
func CallInfoFrom(ctx context.Context) *CallInfo {
	return ctx.Value(callInfoKey{}).(*CallInfo)
}

// Serve passes an API request to next with a CallInfo in its context,
// records the call at now() and, when the handler set Dropped, closes the
// connection only then: a client that saw the connection die may look at
// the calls at once. It returns the call recorded.
func (l *CallLog) Serve(w http.ResponseWriter, r *http.Request, now func() time.Time, next func(http.ResponseWriter, *http.Request)) Call {
	info := &CallInfo{}
	sw := &statusWriter{ResponseWriter: w}
	next(sw, r.WithContext(context.WithValue(r.Context(), callInfoKey{}, info)))
	if info.Endpoint == "" {
		info.Endpoint = r.Method + " " + r.URL.Path // unmatched: keep the raw path to spot client typos
	}
	if info.Status == 0 {
		info.Status = sw.status
	}
	c := Call{Time: now(), Endpoint: info.Endpoint, Scope: info.Scope, Status: info.Status, Dropped: info.Dropped}
	l.Record(c)
	if c.Dropped {
		dropConnection(sw)
	}
	return c
}

// statusWriter remembers the status code written through it. Unwrap lets
// http.ResponseController reach the connection for hijacking.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// dropConnection closes the client's connection without a reply, so the
// client sees a transport error after the state change was committed.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the stream instead
	}
	_ = conn.Close()
}

// Sleep waits d of real time, or until the client goes away: injected
// latency.
func Sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
