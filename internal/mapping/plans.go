package mapping

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/saasbridge/saasbridge/internal/billing"
)

// PlanRule chooses the initial subscription of a new location: the SaaS plan (and
// price) its onboarding sets up when the install carries none. A rule applies to the
// locations whose fields equal every value of When (location.* sources; an empty When
// matches every location); the first rule that applies wins.
//
//	"initialPlan": [
//	  {"when": {"location.companyId": "5DP4iH6HLkQsiKESj6rh"}, "planId": "66c4d36534f21f900dc2a265", "priceId": "price_1QD…"},
//	  {"planId": "66c4d36534f21f900dc2a266"}
//	]
type PlanRule struct {
	When    map[string]string `json:"when,omitempty"`
	PlanID  string            `json:"planId"`
	PriceID string            `json:"priceId,omitempty"`
	// Source names the rule in messages: "initialPlan[0] of the mapping", or the
	// setting it came from.
	Source string `json:"-"`
}

// Matches reports whether the rule applies to a location with values v.
func (r PlanRule) Matches(v Values) bool {
	for k, want := range r.When {
		if v[k] != want {
			return false
		}
	}
	return true
}

// Describe says which rule it is, for an operator.
func (r PlanRule) Describe() string {
	if len(r.When) == 0 {
		return r.Source
	}
	var conds []string
	for _, k := range slices.Sorted(maps.Keys(r.When)) {
		conds = append(conds, k+" = "+r.When[k])
	}
	return r.Source + " (" + strings.Join(conds, ", ") + ")"
}

// PlanRules are the mapping's initial-plan rules, in order.
func (m Mapping) PlanRules() []PlanRule { return slices.Clone(m.plans) }

// locationSources are the sources a rule may test: a new location has no
// subscription or event yet.
var locationSources = []string{SourceLocationID, SourceLocationCompanyID, SourceLocationName, SourceLocationAddress,
	SourceLocationEmail, SourceLocationPhone, SourceLocationWebsite}

// parsePlanRules reads the "initialPlan" section, reporting every problem.
func parsePlanRules(raw []byte) ([]PlanRule, []Problem) {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, []Problem{{"initialPlan", `must be a JSON array of rules {"when": {…}, "planId": "…", "priceId": "…"}`}}
	}
	var (
		out   []PlanRule
		probs []Problem
	)
	for i, item := range items {
		path := fmt.Sprintf("initialPlan[%d]", i)
		r, p := parsePlanRule(path, item)
		probs = append(probs, p...)
		r.Source = path + " of the mapping"
		out = append(out, r)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return out, nil
}

func parsePlanRule(path string, raw []byte) (PlanRule, []Problem) {
	mems, ok := members(raw)
	if !ok {
		return PlanRule{}, []Problem{{path, "must be a JSON object"}}
	}
	var (
		r     PlanRule
		probs []Problem
	)
	for _, mem := range mems {
		at := path + "." + mem.key
		switch mem.key {
		case "when":
			r.When, probs = parseWhen(at, mem.raw, probs)
		case "planId", "priceId":
			s, ok := jsonString(mem.raw)
			if msg := billing.CheckID(s); !ok || msg != "" {
				probs = append(probs, Problem{at, "must be a plan or price id: " + strings.TrimPrefix(msg+" ", " ")})
				continue
			}
			if mem.key == "planId" {
				r.PlanID = s
			} else {
				r.PriceID = s
			}
		default:
			probs = append(probs, Problem{at, `unknown key (a rule has "when", "planId" and "priceId")`})
		}
	}
	if r.PlanID == "" && !slices.ContainsFunc(probs, func(p Problem) bool { return p.Path == path+".planId" }) {
		probs = append(probs, Problem{path + ".planId", "required"})
	}
	return r, probs
}

func parseWhen(path string, raw []byte, probs []Problem) (map[string]string, []Problem) {
	mems, ok := members(raw)
	if !ok {
		return nil, append(probs, Problem{path, "must be a JSON object of location field → value"})
	}
	when := map[string]string{}
	for _, mem := range mems {
		s, ok := jsonString(mem.raw)
		switch {
		case !slices.Contains(locationSources, mem.key):
			probs = append(probs, Problem{keyPath(path, mem.key), "a rule tests location fields: " + strings.Join(locationSources, ", ")})
		case !ok || strings.TrimSpace(s) == "":
			probs = append(probs, Problem{keyPath(path, mem.key), "must be a non-empty JSON string"})
		default:
			when[mem.key] = s
		}
	}
	return when, probs
}
