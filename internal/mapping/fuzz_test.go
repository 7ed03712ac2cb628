package mapping_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/saasbridge/saasbridge/internal/mapping"
)

// FuzzParseTemplate: the template parser never panics; text without {{ or }} is a template
// that renders as itself (unless blank); a template that parses renders its literal text
// and round-trips through String.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{
		"", " ", "plain", "{{location.name}}", "{{ location.name }} – {{subscription.planId}}", "{x}", "}{",
		"{{", "}}", "{{}}", "{{{location.name}}}", "{{a{{b}}c}}", "x}}", "{{location.name", "{{nope}}",
		"\xff{{location.id}}\x00", "{{location.name}}}", "{{{{",
	} {
		f.Add(s)
	}
	full := mapping.NewValues(
		mapping.Location{ID: "L", CompanyID: "C", Name: "N", Address: "A", Email: "E"},
		mapping.Subscription{ID: "S", CustomerID: "U", PlanID: "P", PlanTitle: "T", Status: "X", Paused: true},
		mapping.Event{ID: "V", Source: "O"},
	)
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := mapping.ParseTemplate(s)
		if !strings.Contains(s, "{{") && !strings.Contains(s, "}}") && strings.TrimSpace(s) != "" {
			if err != nil {
				t.Fatalf("text without placeholders rejected: %v", err)
			}
			if got := tmpl.Render(full); got != s {
				t.Fatalf("render(parse(%q)) = %q", s, got)
			}
		}
		if err != nil {
			return
		}
		if tmpl.String() != s {
			t.Fatalf("String() = %q, want %q", tmpl.String(), s)
		}
		// With every value empty, what remains is the literal text: s with its
		// placeholders cut out, so it is no longer than s and contains no {{ (a { next to
		// a placeholder is rejected, so cutting one out cannot make a new {{).
		lit := tmpl.Render(nil)
		if len(lit) > len(s) || strings.Contains(lit, "{{") {
			t.Fatalf("literal text of %q is %q", s, lit)
		}
	})
}

// FuzzParse: Parse never panics, and a mapping it accepts round-trips through JSON and
// renders without panicking.
func FuzzParse(f *testing.F) {
	f.Add([]byte(mapping.DefaultJSON))
	f.Add([]byte(`{"participant":{"companyName":"{{location.name}}","email":5},"data":{"Plan!":"{{x"}}`))
	f.Add([]byte(`{"participant":{"companyName":"a","companyName":"b"},"x":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := mapping.Parse(b)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		_ = m.Participant(mapping.Values{mapping.SourceLocationName: "n"})
		_ = m.Data(nil)
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := mapping.Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if strings.Join(again.DataFields(), ",") != strings.Join(m.DataFields(), ",") {
			t.Fatalf("round trip changed the data fields")
		}
	})
}
