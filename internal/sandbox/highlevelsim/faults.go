package highlevelsim

import (
	"time"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// Faults configures fault injection; simkit.Faults documents the fields.
// Random faults apply to authenticated endpoints, or only to Endpoints
// when that list is non-empty (templates such as "POST
// /saas/enable-saas/{locationId}"); POST /oauth/token is affected only
// when Endpoints names it explicitly. A 429 burst covers the requests for
// the same resource (the token's location, else its company); its 429s,
// and those of 429 rules, carry Retry-After BurstRetryAfter, default 1s.
// The zero value injects nothing.
type Faults simkit.Faults[Rule]

// Rule answers requests to Endpoint (any authenticated endpoint when
// empty), optionally only those about LocationID, with Status and Message
// before any state change. Times is how many more requests it fails;
// 0 means until cleared. A matched rule with Times 1 is removed. A 429 rule
// sends Retry-After from Faults.BurstRetryAfter.
type Rule struct {
	Endpoint   string `json:"endpoint,omitempty"`
	LocationID string `json:"locationId,omitempty"`
	Status     int    `json:"status"`
	Message    string `json:"message,omitempty"`
	Times      int    `json:"times,omitempty"`
}

// KitRule returns r for simkit's fault injector, LocationID as the scope.
func (r Rule) KitRule() simkit.Rule {
	return simkit.Rule{Endpoint: r.Endpoint, Scope: r.LocationID, Status: r.Status, Message: r.Message, Times: r.Times}
}

// FromKitRule is the inverse of KitRule.
func (Rule) FromKitRule(k simkit.Rule) Rule {
	return Rule{Endpoint: k.Endpoint, LocationID: k.Scope, Status: k.Status, Message: k.Message, Times: k.Times}
}

// faultDefaults: HighLevel announces Retry-After on every 429.
var faultDefaults = simkit.FaultDefaults{BurstRetryAfter: Duration(time.Second)}

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
