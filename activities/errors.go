package activities

// The error types of the activities, and how every failure is classified for Temporal.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/pacing"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// Error types recorded in Temporal for the failures of this package's activities.
// Workflows and operators match on them; their values are part of the history format.
const (
	// ErrTypeRateLimited: the API answered 429, retried after its Retry-After; or the
	// request was held back by the fleet's pacing (internal/pacing), retried when its
	// budget has a slot.
	ErrTypeRateLimited = "RateLimited"
	// ErrTypeUnavailable: 5xx or no answer at all; retried with backoff.
	ErrTypeUnavailable = "APIUnavailable"
	// ErrTypeRejected: any other 4xx; not retried, the API's message is the error.
	ErrTypeRejected = "APIRejected"
	// ErrTypeNotConnected: no stored credential yet (e.g. an INSTALL webhook that beat
	// the OAuth code exchange); retried, slowly, until the agency connects.
	ErrTypeNotConnected = "NotConnected"
	// ErrTypeReconnectNeeded: the refresh token is dead; a human must reconnect.
	ErrTypeReconnectNeeded = "ReconnectNeeded"
	// ErrTypeLocationSuspended: HighLevel says the location is not active.
	ErrTypeLocationSuspended = "LocationSuspended"
	// ErrTypeUnexpectedResponse: a 2xx whose body did not match the contract.
	ErrTypeUnexpectedResponse = "UnexpectedResponse"

	// ErrTypePlanUnknown: an event names a plan (or a price) the agency does not have.
	// Only a change in HighLevel or in the event's sender fixes it: the event is parked.
	ErrTypePlanUnknown = "PlanNotOfAgency"
	// ErrTypeOutcomeUnknown: a create whose answer was lost (transport error, 5xx) may
	// or may not have been applied. It is not retried blindly, because Actionstep's POSTs
	// are not idempotent: the workflow looks the record up again and creates only if
	// absent.
	ErrTypeOutcomeUnknown = "OutcomeUnknown"
	// ErrTypeActionstepSetup: the organisation lacks something saasbridge is configured
	// to use (a matter type, participant type or data collection by that name).
	ErrTypeActionstepSetup = "ActionstepSetup"
)

// minRetryDelay keeps a "Retry-After: 0" from turning into a hot loop.
const minRetryDelay = time.Second

// notConnectedRetryDelay spaces retries while waiting for an agency to connect.
const notConnectedRetryDelay = 15 * time.Second

// Every *temporal.ApplicationError this package returns is built in this file: an
// error from a client or the token store by classify (a pacing hold-back included), a
// failure an activity decides itself (an answer for the wrong location, a plan the
// agency does not have, a create whose outcome is unknown, a missing Actionstep setup)
// by the constructor of its type below classify.

// classify maps any error from a client or the token store to the Temporal error that
// decides whether and when the activity is retried. The result is an
// *temporal.ApplicationError returned unwrapped: wrapping it again with %w would make
// Temporal record a generic, retryable error.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app
	}
	if errors.Is(err, context.Canceled) {
		// The worker is stopping or the activity was cancelled; Temporal handles it.
		return err
	}

	var (
		hold    *pacing.HoldBack
		api     *highlevel.APIError
		asAPI   *actionstep.APIError
		asOAuth *actionstep.OAuthError
		decode  *httpapi.DecodeError
	)
	switch {
	case errors.As(err, &hold):
		// Nothing was sent. Benign: holding back is the pacing working, not a failure;
		// the SDK neither logs it as an error nor counts it as a failed activity.
		return temporal.NewApplicationErrorWithOptions(hold.Error(), ErrTypeRateLimited, temporal.ApplicationErrorOptions{
			NextRetryDelay: hold.Delay, Category: temporal.ApplicationErrorCategoryBenign})
	// The credential's verdict comes first: a refresh the API refused wraps that 400
	// *APIError as well, and must not be classified as a rejected request.
	case errors.Is(err, tokens.ErrReconnectNeeded):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeReconnectNeeded, err)
	case errors.Is(err, tokens.ErrSuspended), highlevel.LocationNotActive(err):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeLocationSuspended, err)
	case errors.As(err, &api):
		return classifyStatus(api.Error(), api.StatusCode, api.RetryAfter, err)
	case errors.As(err, &asAPI):
		return classifyStatus(asAPI.Error(), asAPI.StatusCode, asAPI.RetryAfter, err)
	case errors.As(err, &asOAuth):
		return classifyStatus(asOAuth.Error(), asOAuth.StatusCode, asOAuth.RetryAfter, err)
	case errors.As(err, &decode), errors.Is(err, actionstep.ErrNoAPIEndpoint):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeUnexpectedResponse, err)
	case errors.Is(err, actionstep.ErrScanLimit):
		// A lookup whose filter the server ignored in an organisation too large to scan.
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeActionstepSetup, err)
	case errors.Is(err, tokens.ErrNotFound):
		return temporal.NewApplicationErrorWithOptions(err.Error(), ErrTypeNotConnected,
			temporal.ApplicationErrorOptions{Cause: err, NextRetryDelay: notConnectedRetryDelay})
	default:
		// Transport errors, timeouts, store I/O: worth another attempt.
		return temporal.NewApplicationErrorWithOptions(err.Error(), ErrTypeUnavailable,
			temporal.ApplicationErrorOptions{Cause: err})
	}
}

// classifyStatus applies the status-code rules shared by every API.
func classifyStatus(msg string, status int, retryAfter time.Duration, cause error) error {
	switch {
	case status == http.StatusTooManyRequests:
		opts := temporal.ApplicationErrorOptions{Cause: cause}
		if retryAfter > 0 {
			opts.NextRetryDelay = max(retryAfter, minRetryDelay)
		}
		// Without a Retry-After the retry policy's backoff applies.
		return temporal.NewApplicationErrorWithOptions(msg, ErrTypeRateLimited, opts)
	case status >= 500:
		return temporal.NewApplicationErrorWithOptions(msg, ErrTypeUnavailable,
			temporal.ApplicationErrorOptions{Cause: cause})
	case status >= 400:
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeRejected, cause, status)
	default:
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s (unexpected status %d)", msg, status), ErrTypeUnexpectedResponse, cause)
	}
}

// unexpectedResponse is a non-retryable failure for an answer that decodes but breaks
// the contract (no token, or a token for another location).
func unexpectedResponse(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeUnexpectedResponse, nil)
}

// planUnknown is the failure for a plan or price the agency does not have.
func planUnknown(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypePlanUnknown, nil)
}

// outcomeUnknown is the failure of a create that may have been applied: the workflow
// looks the record up before it creates again. cause is the error as the client gave it.
func outcomeUnknown(msg string, cause error) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeOutcomeUnknown, cause)
}

// setupError is a non-retryable failure that only a change in Actionstep or in the
// configuration fixes (cause may be nil).
func setupError(msg string, cause error) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeActionstepSetup, cause)
}
