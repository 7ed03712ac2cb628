package highlevelsim

import (
	"net/http"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// adminPrefix is where the admin API lives; see doc.go for its endpoints.
const adminPrefix = simkit.AdminPrefix

// ExpireResult is the reply of POST /_sandbox/tokens/expire.
type ExpireResult struct {
	Expired int `json:"expired"`
}

// adminRoutes maps the admin API onto the in-process methods. Replies are
// not HTML-escaped, so that webhook bodies in them are the exact bytes
// delivered ("&" stays "&").
func (s *Server) adminRoutes() *http.ServeMux {
	a := simkit.Admin{Mux: http.NewServeMux(), ContentType: "application/json; charset=utf-8"}
	a.Handle("GET /_sandbox/healthz", http.StatusOK, func(*http.Request) (any, error) {
		return map[string]bool{"ok": true}, nil
	})
	a.Handle("GET /_sandbox/state", http.StatusOK, func(*http.Request) (any, error) { return s.State(), nil })
	a.Handle("POST /_sandbox/agencies", http.StatusCreated, simkit.WithBody(s.CreateAgency))
	a.Handle("PATCH /_sandbox/agencies/{id}", http.StatusOK, func(r *http.Request) (any, error) {
		var p AgencyPatch
		if err := simkit.DecodeBody(r, &p); err != nil {
			return nil, err
		}
		return s.UpdateAgency(r.PathValue("id"), p)
	})
	a.Handle("POST /_sandbox/locations", http.StatusCreated, func(r *http.Request) (any, error) {
		var req AddLocationsRequest
		if err := simkit.DecodeBody(r, &req); err != nil {
			return nil, err
		}
		locs, err := s.AddLocations(req)
		return map[string][]Location{"locations": locs}, err
	})
	a.Handle("PATCH /_sandbox/locations/{id}", http.StatusOK, func(r *http.Request) (any, error) {
		var p LocationPatch
		if err := simkit.DecodeBody(r, &p); err != nil {
			return nil, err
		}
		return s.UpdateLocation(r.PathValue("id"), p)
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
		return ExpireResult{Expired: s.ExpireAccessTokens(f)}, nil
	}))
	a.Handle("GET /_sandbox/tokens", http.StatusOK, func(*http.Request) (any, error) { return s.IssuedTokens(), nil })
	a.Handle("GET /_sandbox/calls", http.StatusOK, func(*http.Request) (any, error) { return s.Calls(), nil })
	a.Handle("DELETE /_sandbox/calls", http.StatusNoContent, func(*http.Request) (any, error) {
		s.ResetCalls()
		return nil, nil
	})
	a.Handle("GET /_sandbox/webhooks/keys", http.StatusOK, func(*http.Request) (any, error) { return s.WebhookKeys(), nil })
	a.Handle("GET /_sandbox/webhooks/config", http.StatusOK, func(*http.Request) (any, error) { return s.WebhookConfig(), nil })
	a.Handle("PUT /_sandbox/webhooks/config", http.StatusOK, simkit.WithBody(s.SetWebhookConfig))
	a.Handle("POST /_sandbox/webhooks/send", http.StatusAccepted, simkit.WithBody(s.SendWebhook))
	a.Handle("POST /_sandbox/webhooks/bulk-install", http.StatusCreated, simkit.WithBody(s.BulkInstall))
	a.Handle("GET /_sandbox/webhooks/deliveries", http.StatusOK, func(*http.Request) (any, error) { return s.WebhookDeliveries(), nil })
	a.Handle("DELETE /_sandbox/webhooks/deliveries", http.StatusNoContent, func(*http.Request) (any, error) {
		s.ResetWebhookDeliveries()
		return nil, nil
	})
	a.Handle("GET /_sandbox/stripe/config", http.StatusOK, func(*http.Request) (any, error) { return s.StripeConfig(), nil })
	a.Handle("PUT /_sandbox/stripe/config", http.StatusOK, simkit.WithBody(s.SetStripeConfig))
	a.Handle("POST /_sandbox/stripe/send", http.StatusAccepted, simkit.WithBody(s.SendStripeEvent))
	a.Handle("GET /_sandbox/stripe/subscriptions", http.StatusOK, func(*http.Request) (any, error) {
		return map[string][]StripeSubscription{"subscriptions": s.StripeSubscriptions()}, nil
	})
	a.Mux.HandleFunc("/", notFound)
	return a.Mux
}
