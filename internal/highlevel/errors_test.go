package highlevel

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseErrorBody(t *testing.T) {
	tests := []struct {
		body, msg, reason string
	}{
		{`{"statusCode":400,"message":"Invalid grant: refresh token is invalid"}`, "Invalid grant: refresh token is invalid", ""},
		{`{"statusCode":401,"message":"Invalid token: access token is invalid","error":"Unauthorized"}`, "Invalid token: access token is invalid", "Unauthorized"},
		{`{"statusCode":422,"message":["companyId should not be empty","isSaaSV2 must be a boolean value"],"error":"Unprocessable Entity"}`, "companyId should not be empty; isSaaSV2 must be a boolean value", "Unprocessable Entity"},
		{`{"error":{"code":"RESOURCE_NOT_FOUND","message":"Location not found"}}`, "Location not found", "RESOURCE_NOT_FOUND"},
		{`<html>bad gateway</html>`, "<html>bad gateway</html>", ""},
		{``, "", ""},
	}
	for _, tt := range tests {
		msg, reason := parseErrorBody([]byte(tt.body))
		if msg != tt.msg || reason != tt.reason {
			t.Errorf("parseErrorBody(%s) = %q, %q; want %q, %q", tt.body, msg, reason, tt.msg, tt.reason)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	h := http.Header{}
	h.Set("X-RateLimit-Max", "100")
	h.Set("X-RateLimit-Remaining", "37")
	h.Set("X-RateLimit-Interval-Milliseconds", "10000")
	h.Set("X-RateLimit-Limit-Daily", "200000")
	h.Set("X-RateLimit-Daily-Remaining", "199000")
	got := parseRateLimit(h)
	want := RateLimit{Max: 100, Remaining: 37, Interval: 10 * time.Second, DailyLimit: 200000, DailyRemaining: 199000, Present: true}
	if got != want {
		t.Errorf("parseRateLimit = %+v, want %+v", got, want)
	}
	if parseRateLimit(http.Header{}).Present {
		t.Error("no headers must not be Present")
	}
}

func TestTooManyRequestsWithoutRetryAfterWaitsForTheWindow(t *testing.T) {
	h := http.Header{}
	h.Set("X-RateLimit-Interval-Milliseconds", "10000")
	e := newAPIError(EndpointEnableSaaS, http.StatusTooManyRequests, h, []byte(`{"statusCode":429,"message":"Too Many Requests"}`))
	if e.RetryAfter != 10*time.Second || !e.Temporary() {
		t.Errorf("got %+v", e)
	}
	if !strings.Contains(e.Error(), "429: Too Many Requests") {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestTokenResponseRedacts(t *testing.T) {
	tr := TokenResponse{AccessToken: "at-SECRET", RefreshToken: "rt-SECRET", UserType: UserTypeCompany}
	for _, s := range []string{tr.String(), tr.GoString()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("leaked: %s", s)
		}
	}
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"statusCode":400,"message":"x"}`, `{"message":["a","b"],"error":"E"}`,
		`{"error":{"code":"C","message":"m"}}`, `{"message":{"nested":1}}`, `[1,2]`, `null`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, _ := parseErrorBody(body)
		// Non-JSON bodies are truncated so an HTML page cannot flood an error message.
		if !isJSON(body) && utf8.RuneCountInString(msg) > 201 {
			t.Errorf("message not bounded: %d runes", utf8.RuneCountInString(msg))
		}
	})
}

func isJSON(b []byte) bool {
	var v any
	return json.Unmarshal(b, &v) == nil
}
