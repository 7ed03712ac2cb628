package actionstep

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var timeZero = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0}, {"3", 3 * time.Second}, {"1.5", 1500 * time.Millisecond}, {"-4", 0}, {"86400", maxRetryAfter},
		{timeZero.Add(20 * time.Second).Format(http.TimeFormat), 20 * time.Second},
		{timeZero.Add(-time.Minute).Format(http.TimeFormat), 0}, {"soon", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Retry-After", tt.header)
		}
		if got := retryAfter(h, timeZero); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestParseErrorBodyBoundsMessages(t *testing.T) {
	long := strings.Repeat("é", 5000)
	code, msg := parseErrorBody([]byte(`{"errors":{"code":"AS-1","title":"T","detail":"` + long + `"}}`))
	if code != "AS-1" || utf8.RuneCountInString(msg) > maxMessage+1 || !strings.HasPrefix(msg, "T: é") {
		t.Errorf("got %q, %d runes", code, utf8.RuneCountInString(msg))
	}
}

func TestRestBase(t *testing.T) {
	ok := map[string]string{
		"https://ap-southeast-2.actionstep.com/api/":      "https://ap-southeast-2.actionstep.com/api/rest",
		"https://ap-southeast-2.actionstep.com/api":       "https://ap-southeast-2.actionstep.com/api/rest",
		"https://ap-southeast-2.actionstep.com/api/rest/": "https://ap-southeast-2.actionstep.com/api/rest",
		"http://127.0.0.1:8081/api/":                      "http://127.0.0.1:8081/api/rest",
		"https://host.example":                            "https://host.example/rest",
	}
	for in, want := range ok {
		u, err := restBase(in)
		if err != nil || u.String() != want {
			t.Errorf("restBase(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, in := range []string{"", "/api/", "ap-southeast-2.actionstep.com/api/", "ftp://h/api/", "https://u:p@h/api/", "https://h/api/?a=1", "https://h/api/#x", "mailto:a@b"} {
		if _, err := restBase(in); err != ErrNoAPIEndpoint {
			t.Errorf("restBase(%q) err = %v, want ErrNoAPIEndpoint", in, err)
		}
	}
}
