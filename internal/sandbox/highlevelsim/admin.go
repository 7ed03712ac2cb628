package highlevelsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// adminPrefix is where the admin API lives; see doc.go for its endpoints.
const adminPrefix = "/_sandbox/"

// ExpireResult is the reply of POST /_sandbox/tokens/expire.
type ExpireResult struct {
	Expired int `json:"expired"`
}

// adminRoutes maps the admin API onto the in-process methods.
func (s *Server) adminRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(pattern string, status int, fn func(r *http.Request) (any, error)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			v, err := fn(r)
			if err != nil {
				writeAdminError(w, err)
				return
			}
			if v == nil {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			writeAdminJSON(w, status, v)
		})
	}
	handle("GET /_sandbox/healthz", http.StatusOK, func(*http.Request) (any, error) {
		return map[string]bool{"ok": true}, nil
	})
	handle("GET /_sandbox/state", http.StatusOK, func(*http.Request) (any, error) { return s.State(), nil })
	handle("POST /_sandbox/agencies", http.StatusCreated, func(r *http.Request) (any, error) {
		var spec AgencySpec
		if err := decodeAdmin(r, &spec); err != nil {
			return nil, err
		}
		return s.CreateAgency(spec)
	})
	handle("PATCH /_sandbox/agencies/{id}", http.StatusOK, func(r *http.Request) (any, error) {
		var p AgencyPatch
		if err := decodeAdmin(r, &p); err != nil {
			return nil, err
		}
		return s.UpdateAgency(r.PathValue("id"), p)
	})
	handle("POST /_sandbox/locations", http.StatusCreated, func(r *http.Request) (any, error) {
		var req AddLocationsRequest
		if err := decodeAdmin(r, &req); err != nil {
			return nil, err
		}
		locs, err := s.AddLocations(req)
		return map[string][]Location{"locations": locs}, err
	})
	handle("PATCH /_sandbox/locations/{id}", http.StatusOK, func(r *http.Request) (any, error) {
		var p LocationPatch
		if err := decodeAdmin(r, &p); err != nil {
			return nil, err
		}
		return s.UpdateLocation(r.PathValue("id"), p)
	})
	handle("GET /_sandbox/faults", http.StatusOK, func(*http.Request) (any, error) { return s.Faults(), nil })
	handle("PUT /_sandbox/faults", http.StatusOK, func(r *http.Request) (any, error) {
		var f Faults
		if err := decodeAdmin(r, &f); err != nil {
			return nil, err
		}
		return s.SetFaults(f)
	})
	handle("DELETE /_sandbox/faults", http.StatusOK, func(*http.Request) (any, error) { return s.SetFaults(Faults{}) })
	handle("POST /_sandbox/faults/rules", http.StatusCreated, func(r *http.Request) (any, error) {
		var rule Rule
		if err := decodeAdmin(r, &rule); err != nil {
			return nil, err
		}
		if err := s.AddFaultRule(rule); err != nil {
			return nil, err
		}
		return s.Faults(), nil
	})
	handle("GET /_sandbox/ratelimit", http.StatusOK, func(*http.Request) (any, error) { return s.RateLimit(), nil })
	handle("PUT /_sandbox/ratelimit", http.StatusOK, func(r *http.Request) (any, error) {
		var rl RateLimit
		if err := decodeAdmin(r, &rl); err != nil {
			return nil, err
		}
		return s.SetRateLimit(rl)
	})
	handle("POST /_sandbox/tokens/expire", http.StatusOK, func(r *http.Request) (any, error) {
		var f TokenFilter
		if err := decodeAdmin(r, &f); err != nil {
			return nil, err
		}
		return ExpireResult{Expired: s.ExpireAccessTokens(f)}, nil
	})
	handle("GET /_sandbox/tokens", http.StatusOK, func(*http.Request) (any, error) { return s.IssuedTokens(), nil })
	handle("GET /_sandbox/calls", http.StatusOK, func(*http.Request) (any, error) { return s.Calls(), nil })
	handle("DELETE /_sandbox/calls", http.StatusNoContent, func(*http.Request) (any, error) {
		s.ResetCalls()
		return nil, nil
	})
	handle("GET /_sandbox/webhooks/keys", http.StatusOK, func(*http.Request) (any, error) { return s.WebhookKeys(), nil })
	handle("GET /_sandbox/webhooks/config", http.StatusOK, func(*http.Request) (any, error) { return s.WebhookConfig(), nil })
	handle("PUT /_sandbox/webhooks/config", http.StatusOK, func(r *http.Request) (any, error) {
		var c WebhookConfig
		if err := decodeAdmin(r, &c); err != nil {
			return nil, err
		}
		return s.SetWebhookConfig(c)
	})
	handle("POST /_sandbox/webhooks/send", http.StatusAccepted, func(r *http.Request) (any, error) {
		var req WebhookSendRequest
		if err := decodeAdmin(r, &req); err != nil {
			return nil, err
		}
		return s.SendWebhook(req)
	})
	handle("POST /_sandbox/webhooks/bulk-install", http.StatusCreated, func(r *http.Request) (any, error) {
		var req BulkInstallRequest
		if err := decodeAdmin(r, &req); err != nil {
			return nil, err
		}
		return s.BulkInstall(req)
	})
	handle("GET /_sandbox/webhooks/deliveries", http.StatusOK, func(*http.Request) (any, error) { return s.WebhookDeliveries(), nil })
	handle("DELETE /_sandbox/webhooks/deliveries", http.StatusNoContent, func(*http.Request) (any, error) {
		s.ResetWebhookDeliveries()
		return nil, nil
	})
	mux.HandleFunc("/", notFound)
	return mux
}

// decodeAdmin reads an optional JSON body strictly: unknown members are an
// error, so a typo in a test's payload does not pass silently.
func decodeAdmin(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return &stateError{status: http.StatusBadRequest, msg: "cannot read body"}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &stateError{status: http.StatusBadRequest, msg: "invalid JSON body: " + err.Error()}
	}
	return nil
}

// writeAdminJSON is writeJSON without HTML escaping, so that webhook bodies
// in admin replies are the exact bytes delivered ("&" stays "&").
func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	b, err := compactJSON(v)
	if err != nil {
		writeAdminError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // the client may have gone; nothing to do about it
}

func writeAdminError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var se *stateError
	if errors.As(err, &se) {
		status = se.status
	}
	writeJSON(w, status, nil, errorBody{StatusCode: status, Message: err.Error()})
}
