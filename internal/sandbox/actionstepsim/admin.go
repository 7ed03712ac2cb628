package actionstepsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// adminPrefix is where the admin API lives; see doc.go for its endpoints.
const adminPrefix = "/_sandbox/"

// adminError is the admin API's error body.
type adminError struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
}

// adminRoutes maps the admin API onto the in-process methods.
func (s *Server) adminRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(pattern string, status int, fn func(r *http.Request) (any, error)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			v, err := fn(r)
			switch {
			case err != nil:
				writeAdminError(w, err)
			case v == nil:
				w.WriteHeader(http.StatusNoContent)
			default:
				writeReply(w, nil, reply{status: status, body: v, contentType: mediaJSON})
			}
		})
	}
	handle("GET /_sandbox/healthz", http.StatusOK, func(*http.Request) (any, error) {
		return map[string]bool{"ok": true}, nil
	})
	handle("GET /_sandbox/state", http.StatusOK, func(*http.Request) (any, error) { return s.State(), nil })
	handle("POST /_sandbox/orgs", http.StatusCreated, func(r *http.Request) (any, error) {
		var spec OrgSpec
		if err := decodeAdmin(r, &spec); err != nil {
			return nil, err
		}
		return s.CreateOrg(spec)
	})
	handle("GET /_sandbox/orgs/{orgkey}", http.StatusOK, func(r *http.Request) (any, error) {
		return s.OrgState(r.PathValue("orgkey"))
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
		return s.ExpireTokens(f), nil
	})
	handle("GET /_sandbox/tokens", http.StatusOK, func(*http.Request) (any, error) { return s.IssuedTokens(), nil })
	handle("GET /_sandbox/endpoint-rotation", http.StatusOK, func(*http.Request) (any, error) { return s.EndpointRotation(), nil })
	handle("PUT /_sandbox/endpoint-rotation", http.StatusOK, func(r *http.Request) (any, error) {
		var er EndpointRotation
		if err := decodeAdmin(r, &er); err != nil {
			return nil, err
		}
		return s.SetEndpointRotation(er), nil
	})
	handle("GET /_sandbox/calls", http.StatusOK, func(*http.Request) (any, error) { return s.Calls(), nil })
	handle("DELETE /_sandbox/calls", http.StatusNoContent, func(*http.Request) (any, error) {
		s.ResetCalls()
		return nil, nil
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAdminError(w, &stateError{status: http.StatusNotFound, msg: "no admin endpoint " + r.Method + " " + r.URL.Path})
	})
	return mux
}

// decodeAdmin reads an optional JSON body strictly: unknown members are an
// error, so a typo in a test's payload does not pass silently.
func decodeAdmin(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return badSpec("cannot read body")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badSpec("invalid JSON body: " + err.Error())
	}
	return nil
}

func writeAdminError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var se *stateError
	if errors.As(err, &se) {
		status = se.status
	}
	writeReply(w, nil, reply{status: status, body: adminError{StatusCode: status, Message: err.Error()}, contentType: mediaJSON})
}
