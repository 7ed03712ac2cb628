package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Template is literal text with {{source}} placeholders; there is no other syntax and no
// logic. Space inside the braces is ignored ({{ location.name }}). A lone { or } is literal
// text; {{ and }} always delimit a placeholder, so a template cannot contain them literally.
type Template struct {
	src   string
	parts []part
}

// part is literal text, or a placeholder when source is set.
type part struct {
	lit    string
	source string
}

// ParseTemplate parses one template. Its error is an *Error listing every problem.
func ParseTemplate(s string) (Template, error) {
	t, msgs := parseTemplate(s)
	if len(msgs) > 0 {
		e := &Error{}
		for _, m := range msgs {
			e.Problems = append(e.Problems, Problem{Message: m})
		}
		return Template{}, e
	}
	return t, nil
}

// parseTemplate returns the template and, when it is unusable, why. It reports every
// unknown source, but stops at the first brace it cannot pair.
func parseTemplate(s string) (Template, []string) {
	if strings.TrimSpace(s) == "" {
		return Template{}, []string{"template is empty (remove the entry to leave the field alone)"}
	}
	t := Template{src: s}
	var msgs []string
	for i := 0; i < len(s); {
		rest := s[i:]
		open, shut := strings.Index(rest, "{{"), strings.Index(rest, "}}")
		if shut >= 0 && (open < 0 || shut < open) {
			msgs = append(msgs, fmt.Sprintf("unbalanced braces: }} at byte %d has no opening {{", i+shut))
			break
		}
		if open < 0 {
			t.parts = append(t.parts, part{lit: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, part{lit: rest[:open]})
		}
		at := i + open
		body := rest[open+2:]
		end := strings.Index(body, "}}")
		if end < 0 {
			msgs = append(msgs, fmt.Sprintf("unbalanced braces: {{ at byte %d has no closing }}", at))
			break
		}
		name := strings.TrimSpace(body[:end])
		switch {
		case strings.ContainsAny(name, "{}"):
			msgs = append(msgs, fmt.Sprintf("unbalanced braces: { or } inside the placeholder at byte %d", at))
			return Template{}, msgs
		case name == "":
			msgs = append(msgs, fmt.Sprintf("empty placeholder {{}} at byte %d", at))
		case !sourceSet[name]:
			msg := "unknown source " + showPlaceholder(name)
			if alt := suggest(name, sources); alt != "" {
				msg += " (did you mean {{" + alt + "}}?)"
			}
			msgs = append(msgs, msg)
		}
		t.parts = append(t.parts, part{source: name})
		i = at + 2 + end + 2
	}
	if len(msgs) > 0 {
		return Template{}, msgs
	}
	return t, nil
}

// Only returns the source a template consists of when it is one placeholder and nothing
// else but white space, as "{{event.occurredAt}}" is: its value is then of that source's
// kind (a time, say) rather than free text.
func (t Template) Only() (source string, ok bool) {
	for _, p := range t.parts {
		switch {
		case p.source == "" && strings.TrimSpace(p.lit) == "":
		case p.source != "" && source == "":
			source = p.source
		default:
			return "", false
		}
	}
	return source, source != ""
}

// String returns the template as written.
func (t Template) String() string { return t.src }

// Render substitutes v into the template; a missing value renders as "".
func (t Template) Render(v Values) string {
	s, _ := t.render(v)
	return s
}

// render also reports whether the template had anything to say: false when it has
// placeholders and every one of them rendered empty.
func (t Template) render(v Values) (string, bool) {
	var b strings.Builder
	placeholders, filled := 0, 0
	for _, p := range t.parts {
		if p.source == "" {
			b.WriteString(p.lit)
			continue
		}
		placeholders++
		if val := v[p.source]; val != "" {
			filled++
			b.WriteString(val)
		}
	}
	return b.String(), placeholders == 0 || filled > 0
}

// showPlaceholder shows a placeholder's name for an error message: as written when it is
// short and printable, quoted and cut otherwise.
func showPlaceholder(name string) string {
	if plain(name, `{}"`) {
		return "{{" + name + "}}"
	}
	return "{{" + quoteCut(name) + "}}"
}

// plain reports whether s can be shown bare in a message: short, printable, without spaces
// or any of the reserved characters.
func plain(s, reserved string) bool {
	if s == "" || len(s) > 64 || !utf8.ValidString(s) || strings.ContainsAny(s, reserved) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// quoteCut quotes s, cut to 40 bytes (on a rune boundary).
func quoteCut(s string) string {
	const limit = 40
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// suggest returns the candidate closest to s when it is close enough to be a typo.
func suggest(s string, candidates []string) string {
	if len(s) > 100 {
		return ""
	}
	best, bestD := "", 3
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
