// Package mapping is a small declarative mapping from HighLevel location and subscription
// data to Actionstep fields: which participant attributes and which matter data-collection
// fields the worker writes, and from what.
//
// A mapping is JSON with optional sections: participant and data, each an object of
// templates, the first task of a new matter, and the rules choosing a new location's
// initial plan:
//
//	{"participant": {"companyName": "{{location.name}}", "email": "{{location.email}}"},
//	 "data": {"plan": "{{subscription.planTitle}} ({{subscription.planId}})"},
//	 "task": {"name": "Welcome call with {{location.name}}", "dueInDays": 2},
//	 "initialPlan": [{"when": {"location.companyId": "…"}, "planId": "…", "priceId": "…"}]}
//
// participant keys are Actionstep participant attributes (ParticipantAttributes lists them;
// the worker itself sets isCompany and importExternalReference, and companyName must be
// mapped because the worker creates companies). data keys are data-collection field names,
// lower_snake_case; whether a field exists is organisation configuration, so Actionstep
// checks that when the value is written. A template is literal text with {{source}}
// placeholders naming one of Sources (see Template).
//
// Shipped templates (Presets) are such mappings; FromEnv lays a custom one over the
// template chosen. Parse, Load and FromEnv report every bad entry at once, each by its
// JSON path, in an *Error. A Mapping is immutable and safe for concurrent use.
package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/saasbridge/saasbridge/internal/actionstep"
)

// MaxBytes is the largest mapping Parse and Load accept.
const MaxBytes = 64 << 10

// MaxDataFieldName is the longest data-collection field name accepted.
const MaxDataFieldName = 50

// DefaultJSON is the mapping Default returns: the template standard@1
// (templates/standard@1.json). Its data fields are those of the collection
// "saas_subscription" that the Actionstep simulator seeds (plan, status,
// subscription_id, last_change).
var DefaultJSON = func() string {
	b, err := json.Marshal(defaultMapping)
	if err != nil {
		panic("mapping: " + err.Error())
	}
	return string(b)
}()

// ErrInlineAndFile is returned by FromEnv when both an inline mapping and a mapping file
// are configured.
var ErrInlineAndFile = errors.New("mapping: set either an inline mapping or a mapping file, not both")

// Mapping says which Actionstep fields to write and how to render them. The zero Mapping
// maps nothing; use Default, Parse, Load or FromEnv.
type Mapping struct {
	participant []entry // sorted by key
	data        []entry // sorted by key
	// task is the first task of a new subscription matter (nil: none).
	task *TaskSpec
	// plans choose a new location's initial subscription, first match wins.
	plans []PlanRule
}

type entry struct {
	key   string
	tmpl  Template
	field int // struct field index in actionstep.ParticipantFields (participant entries)
}

// value renders the entry. ok is false when it has nothing to say: it renders blank, or all
// of its placeholders rendered empty. Surrounding white space is trimmed.
func (e entry) value(v Values) (string, bool) {
	s, filled := e.tmpl.render(v)
	s = strings.TrimSpace(s)
	return s, filled && s != ""
}

var defaultMapping = func() Mapping {
	p, err := LookupPreset(DefaultPreset)
	if err != nil {
		panic(err.Error())
	}
	return p.Mapping
}()

// Default is the built-in mapping: the template DefaultPreset.
func Default() Mapping { return defaultMapping }

// Participant renders the participant attributes. An attribute whose template has nothing
// to say (see Data) stays nil, so an update never blanks a field. IsCompany,
// ImportExternalReference and Links are never set: they are the worker's.
func (m Mapping) Participant(v Values) actionstep.ParticipantFields {
	var f actionstep.ParticipantFields
	for _, e := range m.participant {
		if s, ok := e.value(v); ok {
			setParticipantField(&f, e.field, s)
		}
	}
	return f
}

// Data renders the data-collection fields: field name → value. Rendered values are trimmed
// of surrounding white space. A field whose template has nothing to say is left out, so it
// is not blanked: one that renders blank, or whose placeholders all rendered empty (with
// the default mapping, "plan" when neither the plan title nor id is known). The map is
// never nil.
func (m Mapping) Data(v Values) map[string]string {
	out := make(map[string]string, len(m.data))
	for _, e := range m.data {
		if s, ok := e.value(v); ok {
			out[e.key] = s
		}
	}
	return out
}

// DataFields lists the data-collection fields the mapping writes, sorted: iterate over it
// to write Data's values in a stable order, or check at start that the fields exist.
func (m Mapping) DataFields() []string {
	out := make([]string, len(m.data))
	for i, e := range m.data {
		out[i] = e.key
	}
	return out
}

// ParticipantFields lists the participant attributes the mapping writes, sorted.
func (m Mapping) ParticipantFields() []string {
	out := make([]string, len(m.participant))
	for i, e := range m.participant {
		out[i] = e.key
	}
	return out
}

// DataTemplate is the template of data field name; ok is false when the mapping does not
// write that field.
func (m Mapping) DataTemplate(name string) (t Template, ok bool) {
	for _, e := range m.data {
		if e.key == name {
			return e.tmpl, true
		}
	}
	return Template{}, false
}

// MarshalJSON encodes the mapping in the form Parse reads, so a Mapping can travel in a
// workflow or activity payload.
func (m Mapping) MarshalJSON() ([]byte, error) {
	doc := struct {
		Participant map[string]string `json:"participant,omitempty"`
		Data        map[string]string `json:"data,omitempty"`
		Task        *TaskSpec         `json:"task,omitempty"`
		InitialPlan []PlanRule        `json:"initialPlan,omitempty"`
	}{templates(m.participant), templates(m.data), m.task, m.plans}
	return json.Marshal(doc)
}

func templates(es []entry) map[string]string {
	if len(es) == 0 {
		return nil
	}
	out := make(map[string]string, len(es))
	for _, e := range es {
		out[e.key] = e.tmpl.String()
	}
	return out
}

// UnmarshalJSON parses and validates a mapping like Parse.
func (m *Mapping) UnmarshalJSON(b []byte) error {
	parsed, err := Parse(b)
	if err != nil {
		return err
	}
	*m = parsed
	return nil
}

// Problem is one bad entry of a mapping.
type Problem struct {
	// Path is the entry's JSON path: "participant.email", "data.plan", a top-level key, or
	// data["a b"] when the key is not plain. It is "" for the document as a whole.
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Error lists every problem of a mapping, in document order. Messages name entries and
// placeholders but never repeat a template's text.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid mapping: " + strings.Join(parts, "; ")
}

// Parse reads and validates a mapping. Every failure is an *Error.
func Parse(b []byte) (Mapping, error) {
	return parse(b, true)
}

// parse reads a mapping; a mapping laid over a template (Extend) need not map
// companyName, the template does.
func parse(b []byte, needCompanyName bool) (Mapping, error) {
	if len(b) > MaxBytes {
		return Mapping{}, &Error{[]Problem{{Message: fmt.Sprintf("larger than %d bytes", MaxBytes)}}}
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		msg := "not valid JSON"
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			msg = fmt.Sprintf("not valid JSON at byte %d: %v", se.Offset, se)
		}
		return Mapping{}, &Error{[]Problem{{Message: msg}}}
	}
	top, ok := members(b)
	if !ok {
		return Mapping{}, &Error{[]Problem{{Message: `must be a JSON object with "participant" and/or "data"`}}}
	}
	var (
		m     Mapping
		probs []Problem
		seen  = map[string]bool{}
	)
	for _, mem := range top {
		if seen[mem.key] {
			probs = append(probs, Problem{keyPath("", mem.key), "duplicate key"})
			continue
		}
		seen[mem.key] = true
		p := m.parseMember(mem)
		if mem.key == "participant" && needCompanyName && !slices.ContainsFunc(m.participant, func(e entry) bool { return e.key == "companyName" }) &&
			!slices.ContainsFunc(p, func(p Problem) bool { return p.Path == "participant" || p.Path == "participant.companyName" }) {
			p = append(p, missingCompanyName)
		}
		probs = append(probs, p...)
	}
	if needCompanyName && !seen["participant"] {
		probs = append(probs, missingCompanyName)
	}
	if len(probs) > 0 {
		return Mapping{}, &Error{probs}
	}
	m.indexParticipant()
	return m, nil
}

// parseMember reads one top-level member into m.
func (m *Mapping) parseMember(mem member) []Problem {
	var p []Problem
	switch mem.key {
	case "participant":
		m.participant, p = parseSection("participant", mem.raw, checkParticipantKey)
	case "data":
		m.data, p = parseSection("data", mem.raw, checkDataKey)
	case "task":
		m.task, p = parseTask(mem.raw)
	case "initialPlan":
		m.plans, p = parsePlanRules(mem.raw)
	default:
		p = []Problem{{keyPath("", mem.key), `unknown key (a mapping has "participant", "data", "task" and "initialPlan")`}}
	}
	return p
}

// indexParticipant resolves each participant entry to its struct field.
func (m *Mapping) indexParticipant() {
	for i, e := range m.participant {
		m.participant[i].field = participantAttrs.index[e.key]
	}
}

var missingCompanyName = Problem{"participant.companyName", "required: the worker creates company participants, and Actionstep needs their companyName"}

// parseSection reads one section's templates; check vets a key, returning why it is bad.
func parseSection(section string, raw []byte, check func(string) string) ([]entry, []Problem) {
	mems, ok := members(raw)
	if !ok {
		return nil, []Problem{{section, "must be a JSON object of templates"}}
	}
	var (
		out   []entry
		probs []Problem
		seen  = map[string]bool{}
	)
	for _, mem := range mems {
		path := keyPath(section, mem.key)
		if seen[mem.key] {
			probs = append(probs, Problem{path, "duplicate key"})
			continue
		}
		seen[mem.key] = true
		bad := false
		if msg := check(mem.key); msg != "" {
			probs = append(probs, Problem{path, msg})
			bad = true
		}
		var s string
		if raw := bytes.TrimSpace(mem.raw); len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			probs = append(probs, Problem{path, "must be a JSON string (a template)"})
			continue
		}
		t, msgs := parseTemplate(s)
		for _, msg := range msgs {
			probs = append(probs, Problem{path, msg})
		}
		if !bad && len(msgs) == 0 {
			out = append(out, entry{key: mem.key, tmpl: t})
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return out, probs
}

func checkParticipantKey(key string) string {
	if _, ok := participantAttrs.index[key]; ok {
		return ""
	}
	if why, ok := participantAttrs.refused[key]; ok {
		return why
	}
	hint := ""
	if alt := suggest(key, participantAttrs.known); alt != "" {
		hint = "did you mean " + alt + "? "
	}
	return "not an Actionstep participant field (" + hint + "known: " + strings.Join(participantAttrs.known, ", ") + ")"
}

var dataFieldName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func checkDataKey(key string) string {
	switch {
	case key == "":
		return "field name is empty"
	case !dataFieldName.MatchString(key):
		msg := "field names are lower_snake_case (a-z, 0-9 and _, starting with a letter)"
		if lower := strings.ToLower(key); dataFieldName.MatchString(lower) && len(lower) <= MaxDataFieldName {
			msg += "; did you mean " + lower + "?"
		}
		return msg
	case len(key) > MaxDataFieldName:
		return fmt.Sprintf("field names are at most %d characters", MaxDataFieldName)
	}
	return ""
}

// keyPath is the JSON path of key within section ("" for the top level).
func keyPath(section, key string) string {
	if !plain(key, `.[]"`) {
		return section + "[" + quoteCut(key) + "]"
	}
	if section == "" {
		return key
	}
	return section + "." + key
}

type member struct {
	key string
	raw json.RawMessage
}

// members returns the members of a JSON object in document order, duplicates included; ok
// is false when raw is not an object. raw must be valid JSON.
func members(raw []byte) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, member{key, v})
	}
	return out, true
}

// Load reads and validates a mapping file.
func Load(path string) (Mapping, error) {
	return load(path, true)
}

func load(path string, needCompanyName bool) (Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping: %w", err)
	}
	m, err := parse(b, needCompanyName)
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping file %s: %w", path, err)
	}
	return m, nil
}

// FromEnv chooses the mapping from configuration: a template (name or name@version,
// see Presets), and a custom mapping as inline JSON or a file, laid over the template
// when there is one (Extend); Default when none is set (blank counts as unset). An
// inline mapping and a file together are ErrInlineAndFile, not a silent precedence:
// one of them would be ignored. Errors name no environment variable; the caller knows
// which it read.
func FromEnv(template, inlineJSON, filePath string) (Mapping, error) {
	inline, file := strings.TrimSpace(inlineJSON) != "", strings.TrimSpace(filePath) != ""
	if inline && file {
		return Mapping{}, ErrInlineAndFile
	}
	base, extending := Default(), strings.TrimSpace(template) != ""
	if extending {
		p, err := LookupPreset(template)
		if err != nil {
			return Mapping{}, err
		}
		base = p.Mapping
	}
	var (
		custom Mapping
		err    error
	)
	switch {
	case inline:
		custom, err = parse([]byte(inlineJSON), !extending)
	case file:
		custom, err = load(strings.TrimSpace(filePath), !extending)
	default:
		return base, nil
	}
	if err != nil || !extending {
		return custom, err
	}
	return Extend(base, custom), nil
}
