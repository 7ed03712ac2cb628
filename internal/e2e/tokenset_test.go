package e2e

import (
	"strings"
	"testing"
)

// tokenSet finds any of many tokens in a text in one pass. A full-size chaos run
// issues tens of thousands of tokens and writes hundreds of megabytes of logs, so
// searching for each token in turn would take hours; every issued token ends in
// random characters, so its last tokenTail bytes index it.
type tokenSet struct {
	byTail map[string]string
	short  []string // tokens too short to index, searched one by one
}

const tokenTail = 16

func newTokenSet(tokens []string) *tokenSet {
	ts := &tokenSet{byTail: make(map[string]string, len(tokens))}
	for _, tok := range tokens {
		if len(tok) < tokenTail {
			ts.short = append(ts.short, tok)
			continue
		}
		ts.byTail[tok[len(tok)-tokenTail:]] = tok
	}
	return ts
}

func (ts *tokenSet) len() int { return len(ts.byTail) + len(ts.short) }

// foundIn reports whether any of the tokens occurs in text.
func (ts *tokenSet) foundIn(text string) bool {
	for end := tokenTail; end <= len(text); end++ {
		if tok, ok := ts.byTail[text[end-tokenTail:end]]; ok && end >= len(tok) && text[end-len(tok):end] == tok {
			return true
		}
	}
	for _, tok := range ts.short {
		if strings.Contains(text, tok) {
			return true
		}
	}
	return false
}

func TestTokenSetFindsEveryIssuedTokenInOnePass(t *testing.T) {
	long := "hl_at_" + strings.Repeat("a1B2", 11) // like the sandboxes' secrets
	other := "as_rt_" + strings.Repeat("Z9y8", 11)
	issued := newTokenSet([]string{long, other, "short"})
	tests := []struct {
		name string
		text string
		want bool
	}{
		{"whole text", long, true},
		{"in a JSON log line", `{"level":"debug","msg":"call","authorization":"Bearer ` + other + `"}`, true},
		{"at the very start", long + " trailing", true},
		{"at the very end", "leading " + other, true},
		{"a short token", "x short y", true},
		{"only its random tail", long[6:], false},
		{"its prefix and most of it", long[:len(long)-1], false},
		{"nothing", `{"level":"info","msg":"onboarded","locationId":"loc1"}`, false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := issued.foundIn(tt.text); got != tt.want {
				t.Fatalf("foundIn = %v, want %v", got, tt.want)
			}
		})
	}
	if issued.len() != 3 {
		t.Fatalf("len = %d, want 3", issued.len())
	}
}
