package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/pacing"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

func TestClassify(t *testing.T) {
	api := func(status int, msg string, retryAfter time.Duration) error {
		return &highlevel.APIError{Endpoint: highlevel.EndpointEnableSaaS, StatusCode: status, Message: msg, RetryAfter: retryAfter}
	}
	tests := []struct {
		name         string
		err          error
		wantType     string
		nonRetryable bool
		wantDelay    time.Duration
		wantInMsg    string
	}{
		{"429 with Retry-After", api(http.StatusTooManyRequests, "Too Many Requests", 7*time.Second), ErrTypeRateLimited, false, 7 * time.Second, "429"},
		{"429 with a sub-second Retry-After is floored", api(http.StatusTooManyRequests, "", 100*time.Millisecond), ErrTypeRateLimited, false, time.Second, "429"},
		{"429 without Retry-After backs off by policy", api(http.StatusTooManyRequests, "", 0), ErrTypeRateLimited, false, 0, "429"},
		{"Actionstep 429", &actionstep.APIError{Endpoint: "POST /participants", StatusCode: 429, RetryAfter: 5 * time.Second}, ErrTypeRateLimited, false, 5 * time.Second, ""},
		{"Actionstep 422 keeps its message", &actionstep.APIError{Endpoint: "POST /participants", StatusCode: 422, Message: "companyName: required"}, ErrTypeRejected, true, 0, "companyName: required"},
		{"Actionstep 503", &actionstep.APIError{Endpoint: "GET /actions", StatusCode: 503}, ErrTypeUnavailable, false, 0, ""},
		{"Actionstep OAuth 500", &actionstep.OAuthError{Endpoint: "POST /oauth/token", StatusCode: 500}, ErrTypeUnavailable, false, 0, ""},
		{"Actionstep without api_endpoint", fmt.Errorf("x: %w", actionstep.ErrNoAPIEndpoint), ErrTypeUnexpectedResponse, true, 0, ""},
		{"500", api(500, "Internal Server Error", 0), ErrTypeUnavailable, false, 0, "Internal Server Error"},
		{"503", api(503, "", 0), ErrTypeUnavailable, false, 0, "503"},
		{"400 carries the API's message", api(400, "This feature is only available on Agency Pro plan", 0), ErrTypeRejected, true, 0, "only available on Agency Pro plan"},
		{"401", api(401, "Invalid JWT", 0), ErrTypeRejected, true, 0, "Invalid JWT"},
		{"403", api(403, "The token does not have access to this location.", 0), ErrTypeRejected, true, 0, "does not have access"},
		{"404", api(404, "Location not found", 0), ErrTypeRejected, true, 0, "not found"},
		{"422", api(422, "companyId should not be empty", 0), ErrTypeRejected, true, 0, "companyId"},
		{"transport", &httpapi.TransportError{API: "highlevel", Endpoint: "GET /x", Err: errors.New("connection reset by peer")}, ErrTypeUnavailable, false, 0, "highlevel GET /x: connection reset"},
		{"wrapped transport", fmt.Errorf("store: %w", &httpapi.TransportError{API: "actionstep", Endpoint: "GET /x", Err: context.DeadlineExceeded}), ErrTypeUnavailable, false, 0, "deadline"},
		{"decode", &httpapi.DecodeError{API: "highlevel", Endpoint: "GET /x", StatusCode: 200, Err: errors.New("bad json")}, ErrTypeUnexpectedResponse, true, 0, "bad json"},
		{"Actionstep decode", fmt.Errorf("x: %w", &httpapi.DecodeError{API: "actionstep", Endpoint: "GET /actions/{id}", StatusCode: 200, Err: errors.New("bad json")}), ErrTypeUnexpectedResponse, true, 0, "actionstep GET /actions/{id}: decode 200 response: bad json"},
		{"not connected", fmt.Errorf("agency: %w", tokens.ErrNotFound), ErrTypeNotConnected, false, notConnectedRetryDelay, ""},
		{"reconnect needed", fmt.Errorf("x: %w", tokens.ErrReconnectNeeded), ErrTypeReconnectNeeded, true, 0, ""},
		{"suspended", fmt.Errorf("x: %w", tokens.ErrSuspended), ErrTypeLocationSuspended, true, 0, ""},
		{"held back by the pacing", fmt.Errorf("actionstep: %w", &pacing.HoldBack{Key: "actionstep:org", Delay: 3 * time.Second}), ErrTypeRateLimited, false, 3 * time.Second, "holding the request back for 3s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.err)
			// Must be the ApplicationError itself, never wrapped: a wrapped one is
			// recorded as a retryable "wrapError".
			app, ok := got.(*temporal.ApplicationError) //nolint:errorlint // unwrapped is the point
			if !ok {
				t.Fatalf("classify returned %T, want *temporal.ApplicationError", got)
			}
			if app.Type() != tt.wantType {
				t.Errorf("type = %q, want %q", app.Type(), tt.wantType)
			}
			if app.NonRetryable() != tt.nonRetryable {
				t.Errorf("non-retryable = %t, want %t", app.NonRetryable(), tt.nonRetryable)
			}
			if app.NextRetryDelay() != tt.wantDelay {
				t.Errorf("next retry delay = %v, want %v", app.NextRetryDelay(), tt.wantDelay)
			}
			if tt.wantInMsg != "" && !strings.Contains(app.Error(), tt.wantInMsg) {
				t.Errorf("message %q lacks %q", app.Error(), tt.wantInMsg)
			}
		})
	}
}

// TestHoldBackIsBenignAndNotAnUnknownOutcome: a request the pacing held back was not
// sent: it is a benign failure (not logged as an error nor counted as a failed
// activity), and a create held back is known not to have been applied.
func TestHoldBackIsBenignAndNotAnUnknownOutcome(t *testing.T) {
	hold := &pacing.HoldBack{Key: "highlevel:co", Delay: time.Second}
	var app *temporal.ApplicationError
	if !errors.As(classify(hold), &app) || app.Category() != temporal.ApplicationErrorCategoryBenign {
		t.Errorf("a hold-back must be benign, got %v", classify(hold))
	}
	if !errors.As(createFailure(hold), &app) || app.Type() != ErrTypeRateLimited || app.NonRetryable() {
		t.Errorf("a create held back must be retried as not applied, got %v", createFailure(hold))
	}
}

func TestClassifyPassesThrough(t *testing.T) {
	if classify(nil) != nil {
		t.Error("nil must stay nil")
	}
	app := temporal.NewNonRetryableApplicationError("x", "Custom", nil)
	if got := classify(fmt.Errorf("wrapped: %w", app)); got != app { //nolint:errorlint // must be the same value, unwrapped
		t.Errorf("an ApplicationError must be returned unwrapped, got %v", got)
	}
	if got := classify(context.Canceled); !errors.Is(got, context.Canceled) {
		t.Errorf("cancellation must pass through, got %v", got)
	}
}
