package highlevelsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// apiError is a HighLevel error reply. HighLevel's services are NestJS, so
// bodies are {"statusCode":N,"message":string|string[],"error":reason}; the
// "error" member appears only where HighLevel's own examples show it.
type apiError struct {
	status  int
	message any // string, or []string for validation failures
	reason  string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %v", e.status, e.message) }

// errorBody is the wire shape of an apiError.
type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Message    any    `json:"message"`
	Error      string `json:"error,omitempty"`
}

func (e *apiError) body() errorBody {
	return errorBody{StatusCode: e.status, Message: e.message, Error: e.reason}
}

// plainError is the common {"statusCode","message"} form (BadRequestDTO,
// ResourceNotFoundDTO, InternalServerErrorDTO).
func plainError(status int, msg string) *apiError {
	return &apiError{status: status, message: msg}
}

// reasonedError adds the reason phrase, as in UnauthorizedDTO and NestJS's
// default exceptions.
func reasonedError(status int, msg string) *apiError {
	return &apiError{status: status, message: msg, reason: http.StatusText(status)}
}

// unprocessable is a class-validator failure (UnprocessableDTO).
func unprocessable(msgs ...string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, message: msgs, reason: http.StatusText(http.StatusUnprocessableEntity)}
}

// Messages HighLevel documents (reference §1.2, §6.2).
const (
	msgInvalidJWT         = "Invalid JWT"
	msgInvalidAccessToken = "Invalid token: access token is invalid"
	msgInvalidRefresh     = "Invalid grant: refresh token is invalid"
	msgLocationNotActive  = "Location is not active"
	msgNoLocationAccess   = "The token does not have access to this location."
	msgScopeNotAuthorized = "The token is not authorized for this scope."
	msgTooManyRequests    = "Too Many Requests"
	msgInternal           = "Internal Server Error"
)

// Messages the reference does not document; simulator choices.
const (
	// Wording as API users report it for a token of the wrong class.
	msgWrongAuthClass  = "This authClass type is not allowed to access this scope. Please reach out to the Platform team to get it added."
	msgNoCompanyAccess = "The token does not have access to this company."
	msgNoAppAccess     = "The token does not have access to this app."
	msgInvalidCode     = "Invalid grant: authorization code is invalid"
	msgLocationMissing = "Location not found"
	msgPlanMissing     = "SaaS plan not found"
)

func errInvalidJWT() error           { return plainError(http.StatusUnauthorized, msgInvalidJWT) }
func errExpiredToken() error         { return reasonedError(http.StatusUnauthorized, msgInvalidAccessToken) }
func errForbidden(msg string) error  { return plainError(http.StatusForbidden, msg) }
func errBadRequest(msg string) error { return plainError(http.StatusBadRequest, msg) }
func errNotFound(msg string) error   { return plainError(http.StatusNotFound, msg) }

// writeJSON writes v as the JSON reply with the given status and headers.
func writeJSON(w http.ResponseWriter, status int, header http.Header, v any) {
	for k, vs := range header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may have gone; nothing to do about it
}

// What parseParams refuses: a body that is not the JSON object or form its
// Content-Type names.
var (
	errMalformedJSON = errors.New("malformed JSON body")
	errMalformedForm = errors.New("malformed form body")
)

// AdminError is a non-2xx admin reply.
type AdminError = simkit.AdminError
