package actionstepsim

import (
	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// Faults configures fault injection; simkit.Faults documents the fields.
// Random faults apply to REST endpoints, or only to Endpoints when that
// list is non-empty (templates such as "POST /rest/participants" or "PUT
// /rest/datacollectionrecordvalues/{id}"); the OAuth token endpoint is
// affected only when Endpoints names it explicitly ("POST
// /api/oauth/token"). A 429 burst covers the requests of the same
// organisation. Actionstep documents no Retry-After, so it is sent only
// when BurstRetryAfter is set (also for 429 rules). The zero value injects
// nothing.
type Faults simkit.Faults[Rule]

// Rule answers requests to Endpoint (any REST endpoint when empty),
// optionally only those of OrgKey, with Status and Message (the error
// detail) before any state change. Times is how many more requests it
// fails; 0 means until cleared. A matched rule with Times 1 is removed.
type Rule struct {
	Endpoint string `json:"endpoint,omitempty"`
	OrgKey   string `json:"orgKey,omitempty"`
	Status   int    `json:"status"`
	Message  string `json:"message,omitempty"`
	Times    int    `json:"times,omitempty"`
}

// KitRule returns r for simkit's fault injector, OrgKey as the scope.
func (r Rule) KitRule() simkit.Rule {
	return simkit.Rule{Endpoint: r.Endpoint, Scope: r.OrgKey, Status: r.Status, Message: r.Message, Times: r.Times}
}

// FromKitRule is the inverse of KitRule.
func (Rule) FromKitRule(k simkit.Rule) Rule {
	return Rule{Endpoint: k.Endpoint, OrgKey: k.Scope, Status: k.Status, Message: k.Message, Times: k.Times}
}

// Faults returns the current fault configuration, with each rule's
// remaining Times.
func (s *Server) Faults() Faults { return Faults(s.faults.Config()) }

// SetFaults replaces the fault configuration and reseeds the random source.
func (s *Server) SetFaults(f Faults) (Faults, error) {
	applied, err := s.faults.Set(simkit.Faults[Rule](f))
	return Faults(applied), err
}

// AddFaultRule appends a scripted rule, leaving the rest of the
// configuration and the random sequence alone.
func (s *Server) AddFaultRule(r Rule) error { return s.faults.AddRule(r) }
