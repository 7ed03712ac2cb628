package simkit

import "net/http"

// The paths of the admin endpoints every simulator has.
const (
	pathHealthz      = AdminPrefix + "healthz"
	pathFaults       = AdminPrefix + "faults"
	pathFaultRules   = AdminPrefix + "faults/rules"
	pathRateLimit    = AdminPrefix + "ratelimit"
	pathExpireTokens = AdminPrefix + "tokens/expire"
	pathTokens       = AdminPrefix + "tokens"
	pathCalls        = AdminPrefix + "calls"
)

// Route is one row of a simulator's admin API: the pattern, the status of
// a successful reply with a body, and the handler (see Admin.Handle).
type Route struct {
	Pattern string
	Status  int
	Handle  func(*http.Request) (any, error)
}

// HandleAll serves every route of the groups.
func (a Admin) HandleAll(groups ...[]Route) {
	for _, group := range groups {
		for _, r := range group {
			a.Handle(r.Pattern, r.Status, r.Handle)
		}
	}
}

// Reply adapts an operation that cannot fail and takes no input to an
// admin handler.
func Reply[V any](fn func() V) func(*http.Request) (any, error) {
	return func(*http.Request) (any, error) { return fn(), nil }
}

// NoContent adapts an operation without a reply to an admin handler that
// answers 204.
func NoContent(fn func()) func(*http.Request) (any, error) {
	return func(*http.Request) (any, error) {
		fn()
		return nil, nil
	}
}

// HealthRoute answers GET /_sandbox/healthz once the simulator serves.
func HealthRoute() []Route {
	return []Route{{"GET " + pathHealthz, http.StatusOK, Reply(func() map[string]bool { return map[string]bool{"ok": true} })}}
}

// FaultRoutes are the admin routes of fault injection, alike in every
// simulator: F is its fault configuration, R its rule. DELETE sets the
// zero configuration; a new rule is answered with the whole configuration.
func FaultRoutes[F, R any](get func() F, set func(F) (F, error), addRule func(R) error) []Route {
	return []Route{
		{"GET " + pathFaults, http.StatusOK, Reply(get)},
		{"PUT " + pathFaults, http.StatusOK, WithBody(set)},
		{"DELETE " + pathFaults, http.StatusOK, func(*http.Request) (any, error) {
			var none F
			return set(none)
		}},
		{"POST " + pathFaultRules, http.StatusCreated, WithBody(func(r R) (F, error) {
			if err := addRule(r); err != nil {
				var none F
				return none, err
			}
			return get(), nil
		})},
	}
}

// RateLimitRoutes are the admin routes of the rate limit L.
func RateLimitRoutes[L any](get func() L, set func(L) (L, error)) []Route {
	return []Route{
		{"GET " + pathRateLimit, http.StatusOK, Reply(get)},
		{"PUT " + pathRateLimit, http.StatusOK, WithBody(set)},
	}
}

// TokenRoutes are the admin routes of issued tokens: expiring those that
// match a filter F (answered with E) and listing every one issued.
func TokenRoutes[F, E any](expire func(F) E, issued func() IssuedTokens) []Route {
	return []Route{
		{"POST " + pathExpireTokens, http.StatusOK, WithBody(func(f F) (E, error) { return expire(f), nil })},
		{"GET " + pathTokens, http.StatusOK, Reply(issued)},
	}
}

// CallRoutes are the admin routes of the call report.
func CallRoutes(report func() CallReport, reset func()) []Route {
	return []Route{
		{"GET " + pathCalls, http.StatusOK, Reply(report)},
		{"DELETE " + pathCalls, http.StatusNoContent, NoContent(reset)},
	}
}
