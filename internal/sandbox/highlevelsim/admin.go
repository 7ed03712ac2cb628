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
	a.HandleAll(
		simkit.HealthRoute(),
		s.stateRoutes(),
		simkit.FaultRoutes(s.Faults, s.SetFaults, s.AddFaultRule),
		simkit.RateLimitRoutes(s.RateLimit, s.SetRateLimit),
		simkit.TokenRoutes(s.expireTokens, s.IssuedTokens),
		simkit.CallRoutes(s.Calls, s.ResetCalls),
		s.webhookRoutes(),
		s.stripeRoutes(),
	)
	a.Mux.HandleFunc("/", notFound)
	return a.Mux
}

// stateRoutes read the agencies and locations, and add and change them.
func (s *Server) stateRoutes() []simkit.Route {
	return []simkit.Route{
		{Pattern: "GET /_sandbox/state", Status: http.StatusOK, Handle: simkit.Reply(s.State)},
		{Pattern: "POST /_sandbox/agencies", Status: http.StatusCreated, Handle: simkit.WithBody(s.CreateAgency)},
		{Pattern: "PATCH /_sandbox/agencies/{id}", Status: http.StatusOK, Handle: withID(s.UpdateAgency)},
		{Pattern: "POST /_sandbox/locations", Status: http.StatusCreated, Handle: simkit.WithBody(func(req AddLocationsRequest) (map[string][]Location, error) {
			locs, err := s.AddLocations(req)
			return map[string][]Location{"locations": locs}, err
		})},
		{Pattern: "PATCH /_sandbox/locations/{id}", Status: http.StatusOK, Handle: withID(s.UpdateLocation)},
	}
}

// withID is simkit.WithBody for an operation on the record named by the
// pattern's {id}.
func withID[T, V any](fn func(id string, body T) (V, error)) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		return simkit.WithBody(func(body T) (V, error) { return fn(r.PathValue("id"), body) })(r)
	}
}

// expireTokens is ExpireAccessTokens as the admin API answers it.
func (s *Server) expireTokens(f TokenFilter) ExpireResult {
	return ExpireResult{Expired: s.ExpireAccessTokens(f)}
}

// webhookRoutes configure, send and log the webhooks to the app.
func (s *Server) webhookRoutes() []simkit.Route {
	return []simkit.Route{
		{Pattern: "GET /_sandbox/webhooks/keys", Status: http.StatusOK, Handle: simkit.Reply(s.WebhookKeys)},
		{Pattern: "GET /_sandbox/webhooks/config", Status: http.StatusOK, Handle: simkit.Reply(s.WebhookConfig)},
		{Pattern: "PUT /_sandbox/webhooks/config", Status: http.StatusOK, Handle: simkit.WithBody(s.SetWebhookConfig)},
		{Pattern: "POST /_sandbox/webhooks/send", Status: http.StatusAccepted, Handle: simkit.WithBody(s.SendWebhook)},
		{Pattern: "POST /_sandbox/webhooks/bulk-install", Status: http.StatusCreated, Handle: simkit.WithBody(s.BulkInstall)},
		{Pattern: "GET /_sandbox/webhooks/deliveries", Status: http.StatusOK, Handle: simkit.Reply(s.WebhookDeliveries)},
		{Pattern: "DELETE /_sandbox/webhooks/deliveries", Status: http.StatusNoContent, Handle: simkit.NoContent(s.ResetWebhookDeliveries)},
	}
}

// stripeRoutes configure the Stripe webhook endpoint and change the agencies' subscriptions.
func (s *Server) stripeRoutes() []simkit.Route {
	return []simkit.Route{
		{Pattern: "GET /_sandbox/stripe/config", Status: http.StatusOK, Handle: simkit.Reply(s.StripeConfig)},
		{Pattern: "PUT /_sandbox/stripe/config", Status: http.StatusOK, Handle: simkit.WithBody(s.SetStripeConfig)},
		{Pattern: "POST /_sandbox/stripe/send", Status: http.StatusAccepted, Handle: simkit.WithBody(s.SendStripeEvent)},
		{Pattern: "GET /_sandbox/stripe/subscriptions", Status: http.StatusOK, Handle: simkit.Reply(func() map[string][]StripeSubscription {
			return map[string][]StripeSubscription{"subscriptions": s.StripeSubscriptions()}
		})},
	}
}
