package tokens

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTokenFormattingRedactsSecrets(t *testing.T) {
	tok := Token{
		AccessToken: "at-SECRET-1", RefreshToken: "rt-SECRET-2", TokenType: "Bearer",
		Expiry: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Attrs: map[string]string{"locationId": "loc1"},
		Secrets: map[string]string{"id_token": "id-SECRET-3"},
	}
	type holder struct{ Tok Token }
	for _, tc := range []struct {
		name string
		text string
	}{
		{"%v", fmt.Sprintf("%v", tok)},
		{"%+v", fmt.Sprintf("%+v", tok)},
		{"%#v", fmt.Sprintf("%#v", tok)},
		{"%s", fmt.Sprintf("%s", tok)},
		{"%q", fmt.Sprintf("%q", tok)},
		{"%x", fmt.Sprintf("%x", tok)},
		{"pointer %v", fmt.Sprintf("%v", &tok)},
		{"Sprint", fmt.Sprint(tok)},
		{"nested %+v", fmt.Sprintf("%+v", holder{tok})},
		{"nested %#v", fmt.Sprintf("%#v", holder{tok})},
		{"slice %v", fmt.Sprintf("%v", []Token{tok})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantNoSecret(t, tc.name, tc.text, tok.AccessToken, tok.RefreshToken, "id-SECRET-3")
			if !strings.Contains(tc.text, "<redacted>") || !strings.Contains(tc.text, "loc1") {
				t.Fatalf("%s = %s, want redacted secrets and the plain attributes", tc.name, tc.text)
			}
		})
	}
	if got := fmt.Sprintf("%#v", tok); !strings.HasPrefix(got, "tokens.Token{") {
		t.Errorf("%%#v = %s", got)
	}
	if got := fmt.Sprint(Token{}); !strings.Contains(got, "access=<none>") {
		t.Errorf("an empty token prints %s; it should show that the access token is absent", got)
	}
	for _, v := range []any{tok, &tok, holder{tok}} {
		if b, err := json.Marshal(v); err == nil {
			t.Errorf("json.Marshal(%T) = %s, want an error", v, b)
		}
	}
}

func TestKeys(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want Kind
	}{
		{KeyHighLevelAgency("GNb7aIv4rQFVb9iwNl5K"), KindHighLevelAgency},
		{KeyHighLevelLocation("l1C08ntBrFjLS0elLIYU"), KindHighLevelLocation},
		{KeyActionstep("acmelaw"), KindActionstep},
	} {
		if kind, err := parseKey(tc.key); err != nil || kind != tc.want {
			t.Errorf("parseKey(%q) = %q, %v; want %q", tc.key, kind, err, tc.want)
		}
	}
	if KeyHighLevelLocation("x") != "highlevel/location/x" || KeyHighLevelAgency("x") != "highlevel/agency/x" ||
		KeyActionstep("x") != "actionstep/x" {
		t.Error("key layout changed; stored credentials would no longer be found")
	}
	for _, bad := range []string{"", "x", "/x", "x/", KeyHighLevelLocation(""), "a/b\x00"} {
		if _, err := parseKey(bad); err == nil {
			t.Errorf("parseKey(%q) accepted", bad)
		}
	}
}
