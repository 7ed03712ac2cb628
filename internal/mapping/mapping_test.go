package mapping_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/mapping"
)

// company is a valid participant section, for cases about something else.
const company = `"participant":{"companyName":"{{location.name}}"}`

func withData(data string) string { return `{` + company + `,"data":{` + data + `}}` }

func withParticipant(p string) string {
	return `{"participant":{"companyName":"{{location.name}}",` + p + `}}`
}

// problem is an expected problem: the exact path and a fragment of the message.
type problem struct{ path, msg string }

func requireProblems(t *testing.T, err error, want ...problem) {
	t.Helper()
	var e *mapping.Error
	require.ErrorAs(t, err, &e)
	got := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		got[i] = p.String()
	}
	require.Len(t, e.Problems, len(want), "problems: %q", got)
	for i, w := range want {
		assert.Equal(t, w.path, e.Problems[i].Path, "problem %d: %q", i, got[i])
		assert.Contains(t, e.Problems[i].Message, w.msg, "problem %d", i)
		if w.path != "" {
			assert.Contains(t, err.Error(), w.path+": "+e.Problems[i].Message, "the message names the entry")
		}
	}
}

func TestParseRejects(t *testing.T) {
	long := strings.Repeat("a", mapping.MaxDataFieldName+1)
	for _, tc := range []struct {
		name string
		json string
		want []problem
	}{
		// participant keys
		{"misspelt participant field", withParticipant(`"companyNme":"{{location.name}}"`),
			[]problem{{"participant.companyNme", "not an Actionstep participant field (did you mean companyName? known: companyName, displayName, email, firstName"}}},
		{"unknown participant field without a close match", withParticipant(`"favouriteColour":"x"`),
			[]problem{{"participant.favouriteColour", "not an Actionstep participant field (known: companyName, "}}},
		{"wrong case", withParticipant(`"Email":"{{location.email}}"`),
			[]problem{{"participant.Email", "did you mean email?"}}},
		{"id is not a field", withParticipant(`"id":"{{location.id}}"`),
			[]problem{{"participant.id", "not an Actionstep participant field"}}},
		{"isCompany is the worker's", withParticipant(`"isCompany":"T"`),
			[]problem{{"participant.isCompany", "set by the worker"}}},
		{"importExternalReference is the worker's", withParticipant(`"importExternalReference":"{{location.id}}"`),
			[]problem{{"participant.importExternalReference", "set by the worker"}}},
		{"links are not mappable", withParticipant(`"links":"x"`),
			[]problem{{"participant.links", "links are not mappable"}}},
		{"numeric attribute", withParticipant(`"phone1Country":"61"`),
			[]problem{{"participant.phone1Country", "not a text attribute"}}},
		{"companyName missing", `{"participant":{"email":"{{location.email}}"}}`,
			[]problem{{"participant.companyName", "required"}}},
		{"participant section missing", `{"data":{"plan":"{{subscription.planId}}"}}`,
			[]problem{{"participant.companyName", "required"}}},
		{"participant section not an object", `{"participant":["companyName"]}`,
			[]problem{{"participant", "must be a JSON object"}}},
		{"participant section null", `{"participant":null}`,
			[]problem{{"participant", "must be a JSON object"}}},
		{"duplicate participant key", withParticipant(`"email":"{{location.email}}","email":"x"`),
			[]problem{{"participant.email", "duplicate key"}}},

		// data keys
		{"data field not snake case", withData(`"Plan!":"{{subscription.planId}}"`),
			[]problem{{"data.Plan!", "field names are lower_snake_case"}}},
		{"data field upper case", withData(`"Plan":"{{subscription.planId}}"`),
			[]problem{{"data.Plan", "lower_snake_case (a-z, 0-9 and _, starting with a letter); did you mean plan?"}}},
		{"data field with a digit first", withData(`"1plan":"x"`),
			[]problem{{"data.1plan", "lower_snake_case"}}},
		{"data field with a dash", withData(`"last-change":"x"`),
			[]problem{{"data.last-change", "lower_snake_case"}}},
		{"data field with a dot is quoted", withData(`"a.b":"x"`),
			[]problem{{`data["a.b"]`, "lower_snake_case"}}},
		{"data field with a space is quoted", withData(`"a b":"x"`),
			[]problem{{`data["a b"]`, "lower_snake_case"}}},
		{"empty data field", withData(`"":"x"`),
			[]problem{{`data[""]`, "field name is empty"}}},
		{"data field too long", withData(`"` + long + `":"x"`),
			[]problem{{"data." + long, "at most 50 characters"}}},
		{"data section not an object", `{` + company + `,"data":"plan"}`,
			[]problem{{"data", "must be a JSON object"}}},
		{"duplicate data key", withData(`"plan":"a","plan":"b"`),
			[]problem{{"data.plan", "duplicate key"}}},

		// templates
		{"unknown source", withData(`"plan":"{{subscription.plann}}"`),
			[]problem{{"data.plan", "unknown source {{subscription.plann}} (did you mean {{subscription.planId}}?)"}}},
		{"every unknown source of a template", withData(`"plan":"{{plan}} {{subscription.planId}} {{tier}}"`),
			[]problem{{"data.plan", "unknown source {{plan}}"}, {"data.plan", "unknown source {{tier}}"}}},
		{"unknown source without a close match", withData(`"plan":"{{stripe.price}}"`),
			[]problem{{"data.plan", "unknown source {{stripe.price}}"}}},
		{"source with odd characters is quoted", withData(`"plan":"{{a\"b}}"`),
			[]problem{{"data.plan", `unknown source {{"a\"b"}}`}}},
		{"unclosed placeholder", withData(`"plan":"Plan {{subscription.planId"`),
			[]problem{{"data.plan", "unbalanced braces: {{ at byte 5 has no closing }}"}}},
		{"unopened placeholder", withData(`"plan":"subscription.planId}}"`),
			[]problem{{"data.plan", "unbalanced braces: }} at byte 19 has no opening {{"}}},
		{"stray closing after a placeholder", withData(`"plan":"{{subscription.planId}}}}"`),
			[]problem{{"data.plan", "unbalanced braces: }} at byte 23 has no opening {{"}}},
		{"brace inside a placeholder", withData(`"plan":"{{{subscription.planId}}}"`),
			[]problem{{"data.plan", "unbalanced braces: { or } inside the placeholder at byte 0"}}},
		{"nested placeholder", withData(`"plan":"{{a{{b}}c}}"`),
			[]problem{{"data.plan", "unbalanced braces"}}},
		{"empty placeholder", withData(`"plan":"x {{ }}"`),
			[]problem{{"data.plan", "empty placeholder {{}} at byte 2"}}},
		{"empty template", withData(`"plan":""`),
			[]problem{{"data.plan", "template is empty"}}},
		{"blank template", withParticipant(`"email":"  "`),
			[]problem{{"participant.email", "template is empty"}}},
		{"number value", withData(`"plan":5`),
			[]problem{{"data.plan", "must be a JSON string"}}},
		{"null value", withParticipant(`"email":null`),
			[]problem{{"participant.email", "must be a JSON string"}}},
		{"object value", withData(`"plan":{"from":"subscription.planId"}`),
			[]problem{{"data.plan", "must be a JSON string"}}},

		// the document
		{"unknown top-level key", `{` + company + `,"participants":{}}`,
			[]problem{{"participants", `unknown key (a mapping has "participant", "data", "task" and "initialPlan")`}}},
		{"odd top-level key is quoted", `{` + company + `,"":{}}`,
			[]problem{{`[""]`, "unknown key"}}},
		{"duplicate section", `{` + company + `,` + company + `}`,
			[]problem{{"participant", "duplicate key"}}},
		{"not JSON", `{"participant":`, []problem{{"", "not valid JSON"}}},
		{"trailing data", `{` + company + `} {}`, []problem{{"", "not valid JSON at byte"}}},
		{"empty", ``, []problem{{"", "not valid JSON"}}},
		{"not an object", `[]`, []problem{{"", "must be a JSON object"}}},
		{"a string", `"{{location.name}}"`, []problem{{"", "must be a JSON object"}}},
		{"too large", `{"data":{"x":"` + strings.Repeat("a", mapping.MaxBytes) + `"}}`, []problem{{"", "larger than"}}},

		// every problem at once, in document order
		{"all problems listed", `{"participant":{"companyNme":"{{location.name}}","email":"{{location.mail}}","isCompany":"T"},
		  "data":{"Plan!":"{{subscription.planId}}","status":"{{subscription.status","ok":"{{event.id}}"},"extra":1}`,
			[]problem{
				{"participant.companyNme", "not an Actionstep participant field"},
				{"participant.email", "unknown source {{location.mail}}"},
				{"participant.isCompany", "set by the worker"},
				{"participant.companyName", "required"},
				{"data.Plan!", "lower_snake_case"},
				{"data.status", "unbalanced braces"},
				{"extra", "unknown key"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := mapping.Parse([]byte(tc.json))
			requireProblems(t, err, tc.want...)
			assert.Empty(t, m.DataFields(), "a failed parse returns the zero Mapping")
		})
	}
}

func TestParseErrorDoesNotEchoTemplates(t *testing.T) {
	_, err := mapping.Parse([]byte(withData(`"plan":"sk_live_SECRET {{nope}}","Bad":"sk_live_SECRET"`)))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "SECRET")
	assert.Contains(t, err.Error(), "data.plan: unknown source {{nope}}")
}

func TestParseAccepts(t *testing.T) {
	m, err := mapping.Parse([]byte(`{
	  "participant": {"companyName": "{{ location.name }}", "website": "https://example.com/l/{{location.id}}",
	                  "preferredName": "{x} }"},
	  "data": {"source": "HighLevel", "paused": "{{subscription.paused}}", "x9_": "{{event.source}}"}}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"paused", "source", "x9_"}, m.DataFields())

	t.Run("sections are optional but companyName is not", func(t *testing.T) {
		m, err := mapping.Parse([]byte(`{` + company + `}`))
		require.NoError(t, err)
		assert.Empty(t, m.DataFields())
		assert.Empty(t, m.Data(values()))
	})
	t.Run("every mappable attribute", func(t *testing.T) {
		p := map[string]string{}
		for _, a := range mapping.ParticipantAttributes() {
			p[a] = "{{location.name}}"
		}
		b, _ := json.Marshal(map[string]any{"participant": p})
		m, err := mapping.Parse(b)
		require.NoError(t, err)
		f := m.Participant(mapping.Values{mapping.SourceLocationName: "Acme"})
		rv := reflect.ValueOf(f)
		for i := range rv.NumField() {
			name := strings.Split(rv.Type().Field(i).Tag.Get("json"), ",")[0]
			if rv.Type().Field(i).Type == reflect.TypeFor[*string]() && name != "importExternalReference" {
				require.False(t, rv.Field(i).IsNil(), name)
				assert.Equal(t, "Acme", rv.Field(i).Elem().String(), name)
			}
		}
	})
	t.Run("longest data field name", func(t *testing.T) {
		_, err := mapping.Parse([]byte(withData(`"` + strings.Repeat("a", mapping.MaxDataFieldName) + `":"x"`)))
		require.NoError(t, err)
	})
}

// The mappable attributes come from actionstep.ParticipantFields: every text attribute but
// the worker's own.
func TestParticipantAttributesFollowTheClient(t *testing.T) {
	attrs := mapping.ParticipantAttributes()
	assert.Subset(t, attrs, []string{"companyName", "email", "physicalAddressLine1", "website", "taxNumber", "displayName"})
	for _, owned := range []string{"isCompany", "importExternalReference", "links", "phone1Country", "id"} {
		assert.NotContains(t, attrs, owned)
	}
	assert.IsNonDecreasing(t, attrs)

	// The worker-owned names must exist in the client's struct, or a rename there would
	// silently make the renamed field mappable.
	tags := map[string]reflect.Type{}
	typ := reflect.TypeFor[actionstep.ParticipantFields]()
	for i := range typ.NumField() {
		tags[strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]] = typ.Field(i).Type
	}
	for _, owned := range []string{"isCompany", "importExternalReference", "links"} {
		assert.Contains(t, tags, owned)
	}
	n := 0
	for name, ft := range tags {
		if ft == reflect.TypeFor[*string]() && name != "importExternalReference" {
			n++
			assert.Contains(t, attrs, name)
		}
	}
	assert.Len(t, attrs, n)

	attrs[0] = "mutated"
	assert.NotEqual(t, "mutated", mapping.ParticipantAttributes()[0], "a copy")
}

var occurred = time.Date(2026, 5, 28, 22, 26, 40, 500_000_000, time.FixedZone("CEST", 2*60*60))

func values() mapping.Values {
	return mapping.NewValues(
		mapping.Location{ID: "loc_1", CompanyID: "co_1", Name: "Acme Dental", Address: "1 Campbell Pde", Email: "ops@acme.example",
			Phone: "+61 2 9000 0000", Website: "https://acme.example"},
		mapping.Subscription{ID: "sub_1", CustomerID: "cus_1", PlanID: "plan_pro", PlanTitle: "Pro", Status: "active", Paused: true},
		mapping.Event{ID: "evt_1", Source: "billing", OccurredAt: occurred},
	)
}

func TestNewValues(t *testing.T) {
	assert.Equal(t, mapping.Values{
		"location.id": "loc_1", "location.companyId": "co_1", "location.name": "Acme Dental",
		"location.address": "1 Campbell Pde", "location.email": "ops@acme.example",
		"location.phone": "+61 2 9000 0000", "location.website": "https://acme.example", "subscription.id": "sub_1", "subscription.customerId": "cus_1", "subscription.planId": "plan_pro",
		"subscription.planTitle": "Pro", "subscription.status": "active", "subscription.paused": "true",
		"event.id": "evt_1", "event.source": "billing", "event.occurredAt": "2026-05-28T20:26:40Z",
	}, values())

	empty := mapping.NewValues(mapping.Location{}, mapping.Subscription{}, mapping.Event{})
	assert.Equal(t, "false", empty[mapping.SourcePaused])
	assert.Empty(t, empty[mapping.SourceEventOccurredAt], "a zero time is no value")

	// NewValues provides exactly the documented sources.
	keys := make([]string, 0, len(empty))
	for k := range empty {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, mapping.Sources(), keys)
}

func TestDefault(t *testing.T) {
	m := mapping.Default()
	reparsed, err := mapping.Parse([]byte(mapping.DefaultJSON))
	require.NoError(t, err)
	assert.Equal(t, reparsed, m)
	// The simulator seeds saas_subscription with exactly these fields
	// (actionstepsim.DefaultDataCollection; TestDefaultAgainstSimulator writes them).
	assert.Equal(t, []string{"last_change", "plan", "status", "subscription_id"}, m.DataFields())

	assert.Equal(t, actionstep.ParticipantFields{
		CompanyName:          new("Acme Dental"),
		PhysicalAddressLine1: new("1 Campbell Pde"),
		Email:                new("ops@acme.example"),
	}, m.Participant(values()))
	assert.Equal(t, map[string]string{
		"plan": "Pro (plan_pro)", "status": "active", "subscription_id": "sub_1", "last_change": "2026-05-28T20:26:40Z",
	}, m.Data(values()))
}

func TestRenderLeavesOutWhatHasNothingToSay(t *testing.T) {
	m := mapping.Default()
	sparse := mapping.NewValues(mapping.Location{Name: "Acme"}, mapping.Subscription{PlanID: "plan_pro"}, mapping.Event{})

	f := m.Participant(sparse)
	assert.Equal(t, actionstep.ParticipantFields{CompanyName: new("Acme")}, f, "missing values leave fields nil")
	body, err := json.Marshal(f)
	require.NoError(t, err)
	assert.JSONEq(t, `{"companyName":"Acme"}`, string(body), "so an update sends only companyName")

	assert.Equal(t, map[string]string{"plan": "(plan_pro)"}, m.Data(sparse),
		"a partly filled template is kept (trimmed); one with every placeholder empty is left out")

	none := m.Data(mapping.NewValues(mapping.Location{}, mapping.Subscription{}, mapping.Event{}))
	assert.NotNil(t, none)
	assert.Empty(t, none, `not "()" for plan, not "" for last_change`)
	assert.Equal(t, actionstep.ParticipantFields{}, m.Participant(nil), "nil Values render nothing")
}

func TestRender(t *testing.T) {
	m, err := mapping.Parse([]byte(`{"participant":{"companyName":"{{location.name}} – SaaS","website":"  {{location.id}}  "},
	  "data":{"summary":"{{subscription.planTitle}} / {{subscription.status}} / paused={{subscription.paused}}",
	          "paused":"{{subscription.paused}}","source":"HighLevel","blank_after_trim":"{{event.id}} "}}`))
	require.NoError(t, err)

	v := values()
	assert.Equal(t, map[string]string{
		"summary": "Pro / active / paused=true", "paused": "true", "source": "HighLevel", "blank_after_trim": "evt_1",
	}, m.Data(v))
	p := m.Participant(v)
	assert.Equal(t, "Acme Dental – SaaS", *p.CompanyName, "literal text is kept")
	assert.Equal(t, "loc_1", *p.Website, "rendered values are trimmed")

	v[mapping.SourcePlanTitle], v[mapping.SourceEventID] = "", ""
	v[mapping.SourcePaused] = "false"
	assert.Equal(t, map[string]string{
		"summary": "/ active / paused=false", "paused": "false", "source": "HighLevel",
	}, m.Data(v), "a missing value renders empty inside literal text")

	delete(v, mapping.SourceLocationName)
	assert.Nil(t, m.Participant(v).CompanyName, "every placeholder empty: nothing to say, whatever the literal text")
}

func TestTemplate(t *testing.T) {
	tmpl, err := mapping.ParseTemplate("Plan: {{subscription.planTitle}} ({{ subscription.planId }}) {x}")
	require.NoError(t, err)
	assert.Equal(t, "Plan: {{subscription.planTitle}} ({{ subscription.planId }}) {x}", tmpl.String())
	assert.Equal(t, "Plan: Pro (plan_pro) {x}", tmpl.Render(values()))
	assert.Equal(t, "Plan:  () {x}", tmpl.Render(nil), "missing values render empty")

	_, err = mapping.ParseTemplate("{{nope}} {{")
	requireProblems(t, err, problem{"", "unknown source {{nope}}"}, problem{"", "unbalanced braces"})
	assert.Equal(t, "invalid mapping: unknown source {{nope}}; unbalanced braces: {{ at byte 9 has no closing }}", err.Error())
}

func TestConcurrentRendering(t *testing.T) {
	m := mapping.Default()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			v := values()
			v[mapping.SourceLocationName] = fmt.Sprint("Acme ", i)
			for range 100 {
				assert.Equal(t, fmt.Sprint("Acme ", i), *m.Participant(v).CompanyName)
				assert.Len(t, m.Data(v), 4)
			}
		})
	}
	wg.Wait()
}

func TestJSONRoundTrip(t *testing.T) {
	b, err := json.Marshal(mapping.Default())
	require.NoError(t, err)
	assert.JSONEq(t, mapping.DefaultJSON, string(b))

	var got struct{ Mapping mapping.Mapping }
	require.NoError(t, json.Unmarshal([]byte(`{"Mapping":`+string(b)+`}`), &got))
	assert.Equal(t, mapping.Default(), got.Mapping)

	var e *mapping.Error
	require.ErrorAs(t, json.Unmarshal([]byte(`{"Mapping":{"participant":{}}}`), &got), &e, "unmarshalling validates")
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mapping.json")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestLoad(t *testing.T) {
	custom := withData(`"tier":"{{subscription.planTitle}}"`)
	m, err := mapping.Load(writeFile(t, custom))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"tier": "Pro"}, m.Data(values()))

	t.Run("invalid file names the file and every entry", func(t *testing.T) {
		path := writeFile(t, withData(`"Tier":"{{plan}}"`))
		_, err := mapping.Load(path)
		requireProblems(t, err, problem{"data.Tier", "lower_snake_case"}, problem{"data.Tier", "unknown source {{plan}}"})
		assert.Contains(t, err.Error(), "mapping file "+path+": invalid mapping: data.Tier: ")
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := mapping.Load(filepath.Join(t.TempDir(), "nope.json"))
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("too large", func(t *testing.T) {
		_, err := mapping.Load(writeFile(t, custom+strings.Repeat(" ", mapping.MaxBytes)))
		requireProblems(t, err, problem{"", "larger than"})
	})
}

func TestFromEnv(t *testing.T) {
	inline := withData(`"inline":"{{event.id}}"`)
	path := writeFile(t, withData(`"from_file":"{{event.id}}"`))

	for _, tc := range []struct {
		name, inline, file string
		want               []string // data fields
		err                error
	}{
		{"neither is the default", "", "", mapping.Default().DataFields(), nil},
		{"blank is unset", "  \n", " ", mapping.Default().DataFields(), nil},
		{"inline", inline, "", []string{"inline"}, nil},
		{"file", "", path, []string{"from_file"}, nil},
		{"file path is trimmed", " ", " " + path + "\n", []string{"from_file"}, nil},
		{"both is an error, not a silent choice", inline, path, nil, mapping.ErrInlineAndFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := mapping.FromEnv("", tc.inline, tc.file)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, m.DataFields())
		})
	}

	t.Run("invalid inline", func(t *testing.T) {
		_, err := mapping.FromEnv("", `{"data":{}}`, "")
		requireProblems(t, err, problem{"participant.companyName", "required"})
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := mapping.FromEnv("", "", filepath.Join(t.TempDir(), "nope.json"))
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("error type", func(t *testing.T) {
		_, err := mapping.FromEnv("", "{", "")
		var e *mapping.Error
		assert.True(t, errors.As(err, &e))
	})
}

func TestDataTemplateAndOnly(t *testing.T) {
	m, err := mapping.Parse([]byte(`{"participant":{"companyName":"{{location.name}}"},
		"data":{"when":" {{event.occurredAt}} ","plan":"{{subscription.planTitle}} ({{subscription.planId}})","two":"{{event.id}}{{event.source}}"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{"when": mapping.SourceEventOccurredAt, "plan": "", "two": ""} {
		tmpl, ok := m.DataTemplate(field)
		if !ok {
			t.Fatalf("no template for %s", field)
		}
		got, only := tmpl.Only()
		if got != want || only != (want != "") {
			t.Errorf("%s: Only() = %q, %t; want %q", field, got, only, want)
		}
	}
	if _, ok := m.DataTemplate("missing"); ok {
		t.Error("a field the mapping does not write has no template")
	}
}
