package actionstepsim

import (
	"net/http"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// adminPrefix is where the admin API lives; see doc.go for its endpoints.
const adminPrefix = simkit.AdminPrefix

// adminRoutes maps the admin API onto the in-process methods.
func (s *Server) adminRoutes() *http.ServeMux {
	a := simkit.Admin{Mux: http.NewServeMux(), ContentType: mediaJSON, EscapeHTML: true}
	a.HandleAll(
		simkit.HealthRoute(),
		s.orgRoutes(),
		simkit.FaultRoutes(s.Faults, s.SetFaults, s.AddFaultRule),
		simkit.RateLimitRoutes(s.RateLimit, s.SetRateLimit),
		simkit.TokenRoutes(s.ExpireTokens, s.IssuedTokens),
		s.readingRoutes(),
		simkit.CallRoutes(s.Calls, s.ResetCalls),
	)
	a.Mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.WriteError(w, simkit.Errorf(http.StatusNotFound, "no admin endpoint %s %s", r.Method, r.URL.Path))
	})
	return a.Mux
}

// orgRoutes read the organisations and add them.
func (s *Server) orgRoutes() []simkit.Route {
	return []simkit.Route{
		{Pattern: "GET /_sandbox/state", Status: http.StatusOK, Handle: simkit.Reply(s.State)},
		{Pattern: "POST /_sandbox/orgs", Status: http.StatusCreated, Handle: simkit.WithBody(s.CreateOrg)},
		{Pattern: "GET /_sandbox/orgs/{orgkey}", Status: http.StatusOK, Handle: func(r *http.Request) (any, error) {
			return s.OrgState(r.PathValue("orgkey"))
		}},
	}
}

// readingRoutes set the simulator's answers where Actionstep's
// documentation leaves a doubt: api_endpoint rotation on refresh, and the
// other Readings.
func (s *Server) readingRoutes() []simkit.Route {
	return []simkit.Route{
		{Pattern: "GET /_sandbox/endpoint-rotation", Status: http.StatusOK, Handle: simkit.Reply(s.EndpointRotation)},
		{Pattern: "PUT /_sandbox/endpoint-rotation", Status: http.StatusOK, Handle: simkit.WithBody(func(er EndpointRotation) (EndpointRotation, error) {
			return s.SetEndpointRotation(er), nil
		})},
		{Pattern: "GET /_sandbox/readings", Status: http.StatusOK, Handle: simkit.Reply(s.Readings)},
		{Pattern: "PUT /_sandbox/readings", Status: http.StatusOK, Handle: simkit.WithBody(s.SetReadings)},
	}
}
