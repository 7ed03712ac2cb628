package actionstep

import (
	"strings"
	"testing"
	"unicode/utf8"
)

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
