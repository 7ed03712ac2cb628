package actionstep

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinels a caller tests for with errors.Is; they are returned wrapped.
var (
	// ErrNoAPIEndpoint is returned when the bound token carries no usable api_endpoint.
	// It is a wiring or storage fault, not something a retry fixes.
	ErrNoAPIEndpoint = errors.New("actionstep: token has no valid api_endpoint")
	// ErrScanLimit is returned when a query still has pages after MaxScanPages: the
	// server applied none of its filters (or the organisation really holds that much), and
	// a lookup that scans further would outlast any reasonable timeout.
	ErrScanLimit = errors.New("actionstep: too many records to check client-side")
)

// What the wire types, the envelope, record paths and response reading refuse.
var (
	errBool = errors.New("actionstep: a flag must be T, F, true, false, 1 or 0")
	errID   = errors.New("actionstep: an id must be a string or an integer")
	errInt  = errors.New("actionstep: expected a whole number")
	// errNoRecord is a 2xx answer without the record a get, create or update must return.
	errNoRecord = errors.New("response holds no record")
	// errInvalidID is a record id that cannot be a path segment: empty, a dot
	// segment, or a list (the server reads "1,2" as two ids).
	errInvalidID = errors.New("empty or invalid id")
	// errBodyTooLarge is a 2xx answer cut off at maxBody; decoding a prefix would lose
	// records.
	errBodyTooLarge = fmt.Errorf("response body larger than %d bytes", maxBody)
)

// APIError is a non-2xx answer from the REST API.
type APIError struct {
	Endpoint   string // template, e.g. "GET /participants/{id}"
	StatusCode int
	// Code is Actionstep's error code ("AS-1302"), or the OAuth error of a rejected token
	// ("expired_token", "invalid_token").
	Code string
	// Message is Actionstep's own text: each error's title and detail, several errors joined
	// with "; ". Empty when the body was not an Actionstep error document (a proxy's page,
	// say), which is never quoted.
	Message string
	// RetryAfter is how long the API asked us to wait (Retry-After); zero when it said
	// nothing, which is the documented case even for 429 (reference §5.1).
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if e.Code != "" {
		msg = e.Code + " " + msg
	}
	return fmt.Sprintf("actionstep %s: %d: %s", e.Endpoint, e.StatusCode, msg)
}

// Temporary reports whether repeating the same request later may succeed.
func (e *APIError) Temporary() bool { return temporaryStatus(e.StatusCode) }

// OAuthError is a token-endpoint failure: the RFC 6749 error document
// {"error","error_description"}, or a non-2xx answer without one.
type OAuthError struct {
	Endpoint    string
	StatusCode  int
	Code        string // "invalid_grant", "invalid_client", …; "" when the body had none
	Description string
	RetryAfter  time.Duration
}

func (e *OAuthError) Error() string {
	msg := joinNonEmpty(": ", e.Code, e.Description)
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("actionstep %s: %d: %s", e.Endpoint, e.StatusCode, msg)
}

// Temporary reports whether repeating the same request later may succeed. A refused grant
// never does: the refresh token is spent or revoked, and only a new authorization helps.
func (e *OAuthError) Temporary() bool { return temporaryStatus(e.StatusCode) }

// CodeInvalidGrant is the OAuth error for a dead refresh token or authorization code.
const CodeInvalidGrant = "invalid_grant"

// IsInvalidGrant reports whether err is the token endpoint refusing the refresh token or
// code: the credential needs a new authorization.
func IsInvalidGrant(err error) bool {
	var oe *OAuthError
	return errors.As(err, &oe) && oe.Code == CodeInvalidGrant
}

func temporaryStatus(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// errorObject is one entry of an Actionstep error document (reference §2.10). The status it
// repeats is taken from the response line instead.
type errorObject struct {
	Code   ID     `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// maxMessage bounds the error text taken from a body, so an API echoing a large input cannot
// flood logs and Temporal histories.
const maxMessage = 300

// parseErrorBody reads the REST error document {"errors": object|array} and the OAuth shape
// {"error","error_description"} that the token endpoint and the REST API's token checks use
// (reference §1.11). A body in neither shape yields nothing: raw bodies are never quoted.
func parseErrorBody(body []byte) (code, message string) {
	var doc struct {
		Errors           OneOrMany[errorObject] `json:"errors"`
		Error            json.RawMessage        `json:"error"`
		ErrorDescription json.RawMessage        `json:"error_description"`
	}
	if json.Unmarshal(body, &doc) == nil && len(doc.Errors) > 0 {
		msgs := make([]string, 0, len(doc.Errors))
		for _, e := range doc.Errors {
			if m := joinNonEmpty(": ", e.Title, e.Detail); m != "" {
				msgs = append(msgs, m)
			}
		}
		return bounded(string(doc.Errors[0].Code)), bounded(strings.Join(msgs, "; "))
	}
	return bounded(jsonString(doc.Error)), bounded(jsonString(doc.ErrorDescription))
}

// jsonString returns raw's value if it is a JSON string, else "".
func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" && (len(out) == 0 || out[len(out)-1] != p) {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// bounded cuts s to maxMessage runes and drops invalid UTF-8.
func bounded(s string) string {
	s = strings.ToValidUTF8(s, "")
	if utf8.RuneCountInString(s) <= maxMessage {
		return s
	}
	return string([]rune(s)[:maxMessage]) + "…"
}

// maxRetryAfter caps what a server can make us wait, so a bogus header cannot park a
// workflow for a day.
const maxRetryAfter = 10 * time.Minute
