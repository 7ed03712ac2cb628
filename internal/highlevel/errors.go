package highlevel

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/saasbridge/saasbridge/internal/httpapi"
)

// Webhook errors. Verify, CheckFresh and ParseWebhook wrap them with a reason that never
// contains the body or the signature; test with errors.Is. Missing and invalid signatures
// deserve a 401, malformed bodies a 400, stale ones a 401 or 400 (never a 429: that would
// ask HighLevel to redeliver).
var (
	ErrSignatureMissing = errors.New("highlevel webhook: signature missing")
	ErrSignatureInvalid = errors.New("highlevel webhook: signature invalid")
	ErrStale            = errors.New("highlevel webhook: timestamp outside the replay window")
	// ErrTimestampMissing is a signed event without a timestamp: its freshness cannot be
	// checked, which is not the same as stale.
	ErrTimestampMissing = errors.New("highlevel webhook: timestamp missing")
	ErrMalformed        = errors.New("highlevel webhook: malformed")
)

// APIError is a non-2xx answer from HighLevel.
type APIError struct {
	Endpoint   string // template, e.g. "POST /saas/enable-saas/{locationId}"
	StatusCode int
	// Message is HighLevel's own message (several messages joined with "; ").
	Message string
	// Reason is the "error" field of NestJS bodies, e.g. "Unauthorized".
	Reason string
	// RetryAfter is how long HighLevel asked us to wait (Retry-After, or the rate-limit
	// window on a 429 without one); zero when it said nothing.
	RetryAfter time.Duration
	RateLimit  RateLimit
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("highlevel %s: %d: %s", e.Endpoint, e.StatusCode, msg)
}

// Temporary reports whether repeating the same request later may succeed.
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// errorBody covers both error shapes HighLevel uses: NestJS
// {"statusCode","message": string|string[],"error"} and the v3
// {"error":{"code","message"}}.
type errorBody struct {
	Message json.RawMessage `json:"message"`
	Error   json.RawMessage `json:"error"`
}

func newAPIError(endpoint string, status int, header http.Header, body []byte) *APIError {
	e := &APIError{
		Endpoint:   endpoint,
		StatusCode: status,
		RateLimit:  parseRateLimit(header),
	}
	e.Message, e.Reason = parseErrorBody(body)
	e.RetryAfter = httpapi.RetryAfter(header, time.Now(), maxRetryAfter)
	if e.RetryAfter == 0 && status == http.StatusTooManyRequests && e.RateLimit.Interval > 0 {
		// No Retry-After is documented; the burst window is the longest we might wait.
		e.RetryAfter = e.RateLimit.Interval
	}
	return e
}

// parseErrorBody extracts the message and reason; a body that is not JSON is returned
// as the message (trimmed and bounded), because a proxy's HTML error page still says
// more than "502".
func parseErrorBody(body []byte) (message, reason string) {
	var b errorBody
	if err := json.Unmarshal(body, &b); err != nil {
		s := strings.TrimSpace(string(body))
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		return s, ""
	}
	message = flatten(b.Message)
	var nested struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b.Error, &nested) == nil && (nested.Message != "" || nested.Code != "") {
		if message == "" {
			message = nested.Message
		}
		return message, nested.Code
	}
	return message, flatten(b.Error)
}

func flatten(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, "; ")
	}
	return strings.TrimSpace(string(raw))
}

// RateLimit is what the X-RateLimit-* headers said (zero fields when absent).
type RateLimit struct {
	Max            int           // burst budget per window
	Remaining      int           // left in the current window
	Interval       time.Duration // the burst window
	DailyLimit     int
	DailyRemaining int
	Present        bool // true when any rate-limit header was sent
}

func parseRateLimit(h http.Header) RateLimit {
	var rl RateLimit
	num := func(name string) int {
		v := h.Get(name)
		if v == "" {
			return 0
		}
		rl.Present = true
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return 0
		}
		return n
	}
	rl.Max = num("X-RateLimit-Max")
	rl.Remaining = num("X-RateLimit-Remaining")
	rl.Interval = time.Duration(num("X-RateLimit-Interval-Milliseconds")) * time.Millisecond
	rl.DailyLimit = num("X-RateLimit-Limit-Daily")
	rl.DailyRemaining = num("X-RateLimit-Daily-Remaining")
	return rl
}

// maxRetryAfter caps what a server can make us wait, so a bogus header cannot park a
// workflow for a day.
const maxRetryAfter = 10 * time.Minute

// MessageLocationNotActive is HighLevel's 400 for a location whose SaaS subscription is
// incomplete, paused or cancelled, or that the agency paused (reference §1.2).
const MessageLocationNotActive = "Location is not active"

// LocationNotActive reports whether err is HighLevel's "Location is not active": a
// state of the location that passes, not a refusal of the request.
func LocationNotActive(err error) bool {
	var api *APIError
	return errors.As(err, &api) && api.StatusCode == http.StatusBadRequest && strings.Contains(api.Message, MessageLocationNotActive)
}
