package actionstepsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// Media types: Actionstep answers REST calls with the JSON:API type
// (reference §2.2); OAuth replies and errors are plain JSON.
const (
	mediaJSONAPI = "application/vnd.api+json"
	mediaJSON    = "application/json"
)

// reply is what a handler sends: a status and a body (nil means none, as
// for 204) in a media type.
type reply struct {
	status      int
	body        any
	contentType string
}

func writeReply(w http.ResponseWriter, header http.Header, rep reply) {
	for k, vs := range header {
		w.Header()[k] = vs
	}
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	w.Header().Set("Content-Type", rep.contentType)
	w.WriteHeader(rep.status)
	_ = json.NewEncoder(w).Encode(rep.body) // the client may have gone; nothing to do about it
}

// apiError is a REST failure, sent as Actionstep's "errors" document
// (reference §2.10): a single object, status as a number.
type apiError struct {
	status    int
	code      string
	title     string
	detail    string
	pointer   string // source.pointer, e.g. "/participants/firstName"
	parameter string // source.parameter, e.g. "pageSize"
	meta      any    // nil renders as [], as in the samples
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.detail) }

func (e *apiError) reply() reply {
	meta := e.meta
	if meta == nil {
		meta = []any{}
	}
	doc := ordered{{"errors", ordered{
		{"id", newHex40()},
		{"links", ordered{{"about", nil}}},
		{"status", e.status},
		{"code", e.code},
		{"title", e.title},
		{"detail", e.detail},
		{"source", ordered{{"pointer", nullable(e.pointer)}, {"parameter", nullable(e.parameter)}}},
		{"meta", meta},
		{"rls", nil},
	}}}
	return reply{status: e.status, body: doc, contentType: mediaJSONAPI}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Error codes. AS-1302 and AS-TBC (with their titles) are the ones the
// recorded samples show; the rest follow the documented families (11xx
// routing, 13xx handling the request, 14xx undefined, 15xx requested
// resources) and are simulator choices.
const (
	codeRoute            = "AS-1100"
	codeMethodNotAllowed = "AS-1101"
	codeUnsupportedMedia = "AS-1102"
	codeNotAcceptable    = "AS-1103"
	codeScope            = "AS-1104"
	codeRateLimited      = "AS-1105"
	codeInvalidRequest   = "AS-1300"
	codeInvalidJSON      = "AS-1302"
	codeServer           = "AS-1400"
	codeRecordNotFound   = "AS-1501"
	codeUnknownResource  = "AS-TBC"
)

// errInvalid is a validation failure of a request body or query.
func errInvalid(pointer, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalidRequest, title: "Invalid Request",
		detail: fmt.Sprintf(format, args...), pointer: pointer}
}

// errParam is a bad query parameter.
func errParam(param, format string, args ...any) *apiError {
	e := errInvalid("", format, args...)
	e.parameter = param
	return e
}

// errBadJSON is the recorded "Invalid JSON Message" document, including
// its PHP json_last_error meta.
func errBadJSON(body []byte) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalidJSON, title: "Invalid JSON Message",
		detail: "Unable to decode the JSON message",
		meta:   ordered{{"json", string(body)}, {"json_last_error", 4}, {"json_last_error_msg", "Syntax error"}}}
}

// errUnknownResource is the recorded reply for a resource name the API
// does not have, with its capitalised name.
func errUnknownResource(name string) *apiError {
	display := name
	if display != "" {
		display = strings.ToUpper(display[:1]) + display[1:]
	}
	return &apiError{status: http.StatusNotFound, code: codeUnknownResource, title: "API Resource Not Found",
		detail: fmt.Sprintf("The specified Resource '%s' does not exist", display)}
}

func errRecordNotFound(kind, id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: codeRecordNotFound, title: "Resource Not Found",
		detail: fmt.Sprintf("The requested %s record '%s' does not exist", kind, id)}
}

func errRouteNotFound(path string) *apiError {
	return &apiError{status: http.StatusNotFound, code: codeRoute, title: "Route Not Found",
		detail: fmt.Sprintf("No API route matches %s", path)}
}

// errStatus is a failure chosen by fault injection or a limit: the status
// with its reason phrase, and detail as given.
func errStatus(status int, detail string) *apiError {
	code := codeServer
	switch status {
	case http.StatusTooManyRequests:
		code = codeRateLimited
	case http.StatusForbidden:
		code = codeScope
	default:
		if status < 500 {
			code = codeInvalidRequest
		}
	}
	return &apiError{status: status, code: code, title: http.StatusText(status), detail: detail}
}

// oauthError is an OAuth 2.0 failure: the token endpoint's errors and the
// REST API's 401s (reference §1.11) share the {error, error_description,
// error_uri} shape.
type oauthError struct {
	status      int
	code        string
	description string
	uri         string
}

func (e *oauthError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.description) }

// oauthBody is the wire form of an oauthError, members in recorded order.
type oauthBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorURI         string `json:"error_uri"`
}

func (e *oauthError) reply() reply {
	return reply{status: e.status, body: oauthBody{e.code, e.description, e.uri}, contentType: mediaJSON}
}

const (
	uriSection7     = "http://tools.ietf.org/html/rfc6749#section-7"
	uriSection413   = "http://tools.ietf.org/html/rfc6749#section-4.1.3"
	uriSection52    = "http://tools.ietf.org/html/rfc6749#section-5.2"
	msgExpiredToken = "The access token provided has expired. Please refresh your token. (4a)"
	msgInvalidToken = "The access token provided in invalid (2)" // sic, as recorded
)

// The two recorded REST 401 bodies.
func errExpiredToken() *oauthError {
	return &oauthError{http.StatusUnauthorized, "expired_token", msgExpiredToken, uriSection7}
}

func errInvalidToken() *oauthError {
	return &oauthError{http.StatusUnauthorized, "invalid_token", msgInvalidToken, uriSection7}
}

// Token endpoint errors. invalid_grant with "Invalid refresh_token" is
// recorded (reference §1.11); the other descriptions are simulator
// choices worded like the PHP OAuth server Actionstep's messages suggest.
func errInvalidGrant(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", desc, uriSection413}
}

func errTokenRequest(status int, code, desc string) *oauthError {
	return &oauthError{status, code, desc, uriSection52}
}

// replyOf renders any handler error. Errors that are neither API nor OAuth
// errors are bugs and become a 500 errors document.
func replyOf(err error) reply {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.reply()
	}
	var oe *oauthError
	if errors.As(err, &oe) {
		return oe.reply()
	}
	return errStatus(http.StatusInternalServerError, "Internal Server Error").reply()
}

// AdminError is a non-2xx admin reply.
type AdminError = simkit.AdminError
