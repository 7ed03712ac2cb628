package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
)

// Error types the workflows of this package fail with themselves (the activities' own
// are in activities/errors.go). Their values are in recorded histories: never change
// one.
const (
	// ErrTypeInvalidInput: a workflow's input or an event lacks what it needs.
	ErrTypeInvalidInput = "InvalidInput"
	// ErrTypeNotInstalled: the app is not installed at the location.
	ErrTypeNotInstalled = "AppNotInstalled"
	// ErrTypeVerificationFailed: the reads after an onboarding do not show what it did.
	ErrTypeVerificationFailed = "VerificationFailed"
	// ErrTypeActionstepCreateUnconfirmed: a create kept losing its answer and the
	// record never showed up; stop rather than risk a duplicate.
	ErrTypeActionstepCreateUnconfirmed = "ActionstepCreateUnconfirmed"
	// ErrTypeLegacyRunning: a first-release workflow of the location still runs; the
	// owner waits for it before it acts on the location.
	ErrTypeLegacyRunning = "LegacyWorkflowRunning"
)

// errorMessage is the most useful line of an activity failure: the API's message.
func errorMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Error()
	}
	return err.Error()
}

// errorType is an activity failure's error type ("" for any other error).
func errorType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}
