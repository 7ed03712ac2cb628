package highlevelsim

import "github.com/saasbridge/saasbridge/internal/sandbox/simkit"

// Call is one recorded API request; its Scope is the location the call was about, else its company.
type Call = simkit.Call

// CallReport summarises recorded calls; ByScope and CountFor are keyed like Call.Scope.
type CallReport = simkit.CallReport

// Calls returns a copy of the call report.
func (s *Server) Calls() CallReport { return s.calls.Report() }

// ResetCalls forgets all recorded calls.
func (s *Server) ResetCalls() { s.calls.Reset() }
