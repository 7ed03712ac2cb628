package simkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// AdminPrefix is where a simulator's admin API lives.
const AdminPrefix = "/_sandbox/"

// maxAdminBody bounds admin request bodies.
const maxAdminBody = 1 << 20

// DecodeBody reads an optional JSON body into v strictly: unknown members
// are an error, so a typo in a test's payload does not pass silently. An
// empty body leaves v alone. Failures are 400 StatusErrors.
func DecodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody))
	if err != nil {
		return BadRequest("cannot read body")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest("invalid JSON body: " + err.Error())
	}
	return nil
}

// WithBody adapts an operation that takes a request body to an admin
// handler: the body is decoded into a T with DecodeBody first.
func WithBody[T, V any](fn func(T) (V, error)) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		var in T
		if err := DecodeBody(r, &in); err != nil {
			return nil, err
		}
		v, err := fn(in)
		return v, err
	}
}

// Admin serves a simulator's admin endpoints on Mux: JSON replies, and
// errors as {"statusCode":N,"message":"…"} with the StatusError's status
// (500 for any other error).
type Admin struct {
	Mux *http.ServeMux
	// ContentType is the media type of every reply with a body.
	ContentType string
	// EscapeHTML escapes <, > and & in successful replies as
	// encoding/json does by default; without it, strings in them (such as
	// webhook bodies) keep their exact bytes. Error replies always escape.
	EscapeHTML bool
}

// Handle serves pattern with fn: fn's error becomes an error reply, a nil
// value 204 No Content, anything else a JSON reply with status.
func (a Admin) Handle(pattern string, status int, fn func(*http.Request) (any, error)) {
	a.Mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		v, err := fn(r)
		switch {
		case err != nil:
			a.WriteError(w, err)
		case v == nil:
			w.WriteHeader(http.StatusNoContent)
		default:
			a.write(w, status, v)
		}
	})
}

func (a Admin) write(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(a.EscapeHTML)
	if err := enc.Encode(v); err != nil {
		a.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", a.ContentType)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the client may have gone; nothing to do about it
}

// adminErrorBody is the admin API's error body.
type adminErrorBody struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
}

// WriteError writes err as an admin error reply.
func (a Admin) WriteError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var se *StatusError
	if errors.As(err, &se) {
		status = se.Status
	}
	w.Header().Set("Content-Type", a.ContentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(adminErrorBody{StatusCode: status, Message: err.Error()}) // the client may have gone
}
