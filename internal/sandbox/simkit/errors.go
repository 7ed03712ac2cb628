package simkit

import (
	"fmt"
	"net/http"
)

// StatusError is an admin-side failure with the HTTP status it maps to.
type StatusError struct {
	Status  int
	Message string
}

func (e *StatusError) Error() string { return e.Message }

// Errorf returns a StatusError.
func Errorf(status int, format string, args ...any) error {
	return &StatusError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400 StatusError: an invalid admin payload or setting.
func BadRequest(msg string) error { return &StatusError{Status: http.StatusBadRequest, Message: msg} }

// AdminError is a reply of a simulator's admin API (or consent page) with an
// unexpected status.
type AdminError struct {
	Name       string // the simulator, e.g. "highlevel sandbox"
	StatusCode int
	Message    string
}

func (e *AdminError) Error() string {
	return fmt.Sprintf("%s admin: %d %s", e.Name, e.StatusCode, e.Message)
}
