package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// TransportError is a request that got no HTTP answer (connection refused or reset,
// timeout). The request may or may not have been executed.
type TransportError struct {
	API      string // the client, e.g. "highlevel"
	Endpoint string // template, e.g. "GET /participants/{id}"
	Err      error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.API, e.Endpoint, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// DecodeError is a 2xx answer whose body did not match the API's documented shape.
type DecodeError struct {
	API        string // the client, e.g. "highlevel"
	Endpoint   string // template, e.g. "GET /participants/{id}"
	StatusCode int
	Err        error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%s %s: decode %d response: %v", e.API, e.Endpoint, e.StatusCode, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// RetryAfter reads Retry-After as delta-seconds or an HTTP date, relative to now; zero
// when absent or unreadable. The result is capped at limit, so that a bogus header cannot
// park a workflow for a day.
func RetryAfter(h http.Header, now time.Time, limit time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(n) {
		d = time.Duration(min(max(n, 0), limit.Seconds()) * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), limit)
}
