package actionstepsim

import (
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Call is one recorded API request.
type Call struct {
	Time time.Time `json:"time"`
	// Endpoint is the template, e.g. "POST /rest/participants",
	// "PUT /rest/actions/{id}", "GET /rest/users/current" or
	// "POST /api/oauth/token"; unmatched requests keep their raw method
	// and path.
	Endpoint string `json:"endpoint"`
	// OrgKey is the organisation the call was about, if known.
	OrgKey string `json:"orgKey,omitempty"`
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
	// ByOrg counts endpoint → orgkey → status → calls.
	ByOrg map[string]map[string]map[int]int `json:"byOrg"`
	// Calls are the most recent calls, oldest first (at most maxCallLog).
	Calls []Call `json:"calls"`
}

// Count returns the calls to endpoint with status, or with any status when
// status is 0.
func (r CallReport) Count(endpoint string, status int) int {
	return countStatus(r.ByEndpoint[endpoint], status)
}

// CountFor is Count narrowed to one organisation.
func (r CallReport) CountFor(endpoint, orgKey string, status int) int {
	return countStatus(r.ByOrg[endpoint][orgKey], status)
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

// maxCallLog bounds the per-call list of a long-running sandbox; the
// counters are exact regardless.
const maxCallLog = 10000

// callLog accumulates the call report.
type callLog struct {
	mu     sync.Mutex
	report CallReport
}

func newCallLog() *callLog {
	l := &callLog{}
	l.reset()
	return l
}

func (l *callLog) reset() {
	l.report = CallReport{ByEndpoint: map[string]map[int]int{}, ByOrg: map[string]map[string]map[int]int{}, Calls: []Call{}}
}

func (l *callLog) record(c Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := &l.report
	r.Total++
	if c.Status == http.StatusTooManyRequests {
		r.TooManyRequests++
	}
	if c.Dropped {
		r.Dropped++
	}
	if r.ByEndpoint[c.Endpoint] == nil {
		r.ByEndpoint[c.Endpoint] = map[int]int{}
	}
	r.ByEndpoint[c.Endpoint][c.Status]++
	if c.OrgKey != "" {
		if r.ByOrg[c.Endpoint] == nil {
			r.ByOrg[c.Endpoint] = map[string]map[int]int{}
		}
		if r.ByOrg[c.Endpoint][c.OrgKey] == nil {
			r.ByOrg[c.Endpoint][c.OrgKey] = map[int]int{}
		}
		r.ByOrg[c.Endpoint][c.OrgKey][c.Status]++
	}
	if len(r.Calls) == 2*maxCallLog { // trim in bulk to keep recording O(1) amortised
		r.Calls = slices.Clone(r.Calls[maxCallLog:])
	}
	r.Calls = append(r.Calls, c)
}

// Calls returns a copy of the call report.
func (s *Server) Calls() CallReport {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	r := s.calls.report
	r.ByEndpoint = make(map[string]map[int]int, len(r.ByEndpoint))
	for ep, m := range s.calls.report.ByEndpoint {
		r.ByEndpoint[ep] = maps.Clone(m)
	}
	r.ByOrg = make(map[string]map[string]map[int]int, len(r.ByOrg))
	for ep, byOrg := range s.calls.report.ByOrg {
		r.ByOrg[ep] = make(map[string]map[int]int, len(byOrg))
		for o, m := range byOrg {
			r.ByOrg[ep][o] = maps.Clone(m)
		}
	}
	r.Calls = slices.Clone(r.Calls[max(0, len(r.Calls)-maxCallLog):])
	return r
}

// ResetCalls forgets all recorded calls.
func (s *Server) ResetCalls() {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	s.calls.reset()
}
