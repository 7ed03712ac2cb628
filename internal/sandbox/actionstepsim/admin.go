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
	a.Handle("GET /_sandbox/healthz", http.StatusOK, func(*http.Request) (any, error) {
		return map[string]bool{"ok": true}, nil
	})
	a.Handle("GET /_sandbox/state", http.StatusOK, func(*http.Request) (any, error) { return s.State(), nil })
	a.Handle("POST /_sandbox/orgs", http.StatusCreated, simkit.WithBody(s.CreateOrg))
	a.Handle("GET /_sandbox/orgs/{orgkey}", http.StatusOK, func(r *http.Request) (any, error) {
		return s.OrgState(r.PathValue("orgkey"))
	})
	a.Handle("GET /_sandbox/faults", http.StatusOK, func(*http.Request) (any, error) { return s.Faults(), nil })
	a.Handle("PUT /_sandbox/faults", http.StatusOK, simkit.WithBody(s.SetFaults))
	a.Handle("DELETE /_sandbox/faults", http.StatusOK, func(*http.Request) (any, error) { return s.SetFaults(Faults{}) })
	a.Handle("POST /_sandbox/faults/rules", http.StatusCreated, simkit.WithBody(func(rule Rule) (Faults, error) {
		if err := s.AddFaultRule(rule); err != nil {
			return Faults{}, err
		}
		return s.Faults(), nil
	}))
	a.Handle("GET /_sandbox/ratelimit", http.StatusOK, func(*http.Request) (any, error) { return s.RateLimit(), nil })
	a.Handle("PUT /_sandbox/ratelimit", http.StatusOK, simkit.WithBody(s.SetRateLimit))
	a.Handle("POST /_sandbox/tokens/expire", http.StatusOK, simkit.WithBody(func(f TokenFilter) (ExpireResult, error) {
		return s.ExpireTokens(f), nil
	}))
	a.Handle("GET /_sandbox/tokens", http.StatusOK, func(*http.Request) (any, error) { return s.IssuedTokens(), nil })
	a.Handle("GET /_sandbox/endpoint-rotation", http.StatusOK, func(*http.Request) (any, error) { return s.EndpointRotation(), nil })
	a.Handle("PUT /_sandbox/endpoint-rotation", http.StatusOK, simkit.WithBody(func(er EndpointRotation) (EndpointRotation, error) {
		return s.SetEndpointRotation(er), nil
	}))
	a.Handle("GET /_sandbox/readings", http.StatusOK, func(*http.Request) (any, error) { return s.Readings(), nil })
	a.Handle("PUT /_sandbox/readings", http.StatusOK, simkit.WithBody(s.SetReadings))
	a.Handle("GET /_sandbox/calls", http.StatusOK, func(*http.Request) (any, error) { return s.Calls(), nil })
	a.Handle("DELETE /_sandbox/calls", http.StatusNoContent, func(*http.Request) (any, error) {
		s.ResetCalls()
		return nil, nil
	})
	a.Mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.WriteError(w, simkit.Errorf(http.StatusNotFound, "no admin endpoint %s %s", r.Method, r.URL.Path))
	})
	return a.Mux
}
