package actionstepsim

import (
	"time"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
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
	// Calls are the most recent calls, oldest first (at most 10000).
	Calls []Call `json:"calls"`
}

// Count returns the calls to endpoint with status, or with any status when
// status is 0.
func (r CallReport) Count(endpoint string, status int) int {
	return simkit.CountStatus(r.ByEndpoint[endpoint], status)
}

// CountFor is Count narrowed to one organisation.
func (r CallReport) CountFor(endpoint, orgKey string, status int) int {
	return simkit.CountStatus(r.ByOrg[endpoint][orgKey], status)
}

// Calls returns a copy of the call report.
func (s *Server) Calls() CallReport {
	r := s.calls.Report()
	out := CallReport{
		Total: r.Total, TooManyRequests: r.TooManyRequests, Dropped: r.Dropped,
		ByEndpoint: r.ByEndpoint, ByOrg: r.ByScope, Calls: make([]Call, len(r.Calls)),
	}
	for i, c := range r.Calls {
		out.Calls[i] = Call{Time: c.Time, Endpoint: c.Endpoint, OrgKey: c.Scope, Status: c.Status, Dropped: c.Dropped}
	}
	return out
}

// ResetCalls forgets all recorded calls.
func (s *Server) ResetCalls() { s.calls.Reset() }
