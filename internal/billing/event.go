package billing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxBodyBytes is the largest body Parse accepts; the handler should read at most this
// much (http.MaxBytesReader). An event is a few hundred bytes.
const MaxBodyBytes = 64 << 10

// MaxIDLen is the longest id accepted (ids become workflow ids, search attributes and
// log fields).
const MaxIDLen = 128

// Subscription statuses (Stripe's vocabulary).
const (
	StatusActive     = "active"
	StatusTrialing   = "trialing"
	StatusPastDue    = "past_due"
	StatusPaused     = "paused"
	StatusCanceled   = "canceled"
	StatusUnpaid     = "unpaid"
	StatusIncomplete = "incomplete"
)

var statuses = []string{StatusActive, StatusTrialing, StatusPastDue, StatusPaused, StatusCanceled, StatusUnpaid, StatusIncomplete}

// Statuses lists the accepted statuses.
func Statuses() []string { return append([]string(nil), statuses...) }

// ErrMalformed is a body that is not one JSON object (or is too large). A body that is
// an object but holds bad fields is a *ValidationError instead.
var ErrMalformed = errors.New("billing: malformed event")

// Event is a subscription change from the billing system. EventID is the sender's
// idempotency key; Status is "" when the sender did not say; OccurredAt is in UTC.
type Event struct {
	EventID        string    `json:"eventId"`
	LocationID     string    `json:"locationId"`
	SubscriptionID string    `json:"subscriptionId"`
	CustomerID     string    `json:"customerId"`
	PlanID         string    `json:"planId"`
	Status         string    `json:"status,omitempty"`
	OccurredAt     time.Time `json:"occurredAt"`
}

// FieldError is one rejected field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (f FieldError) String() string { return f.Field + ": " + f.Message }

// ValidationError lists every bad field of an event; it marshals as
// {"fields":[{"field":…,"message":…}]}, ready for a 400 body. Messages never repeat
// the submitted values.
type ValidationError struct {
	Fields []FieldError `json:"fields"`
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	return "billing: invalid event: " + strings.Join(parts, "; ")
}

// field describes one known member of the body.
type field struct {
	name     string
	required bool
	check    func(string) string // "" when good
	set      func(*Event, string)
}

var fields = []field{
	{"eventId", true, CheckID, func(e *Event, s string) { e.EventID = s }},
	{"locationId", true, CheckID, func(e *Event, s string) { e.LocationID = s }},
	{"subscriptionId", true, CheckID, func(e *Event, s string) { e.SubscriptionID = s }},
	{"customerId", true, CheckID, func(e *Event, s string) { e.CustomerID = s }},
	{"planId", true, CheckID, func(e *Event, s string) { e.PlanID = s }},
	{"status", false, checkStatus, func(e *Event, s string) { e.Status = s }},
	{"occurredAt", true, checkTime, func(e *Event, s string) { e.OccurredAt, _ = parseTime(s) }},
}

// Parse decodes and validates a (verified) event body. A body that is not a single JSON
// object is ErrMalformed. Otherwise every problem is collected into one
// *ValidationError: missing required fields, values that are not strings, an unknown
// status, a time that is not RFC 3339, ids that are empty, longer than MaxIDLen or hold
// whitespace or control characters, repeated fields and unknown fields. A null status
// counts as absent.
func Parse(body []byte) (Event, error) {
	if len(body) > MaxBodyBytes {
		return Event{}, fmt.Errorf("%w: body is %d bytes, limit %d", ErrMalformed, len(body), MaxBodyBytes)
	}
	members, err := objectMembers(body)
	if err != nil {
		return Event{}, err
	}

	known := make(map[string]int, len(fields))
	for i, f := range fields {
		known[f.name] = i
	}
	values := make([]json.RawMessage, len(fields))
	var extra []FieldError // unknown and repeated members, in order of appearance
	seen := make(map[string]bool, len(members))
	for _, m := range members {
		if seen[m.name] {
			extra = append(extra, FieldError{fieldName(m.name), "appears more than once"})
			continue
		}
		seen[m.name] = true
		i, ok := known[m.name]
		if !ok {
			extra = append(extra, FieldError{fieldName(m.name), "unknown field"})
			continue
		}
		values[i] = m.value
	}

	var ev Event
	var bad []FieldError
	for i, f := range fields {
		raw := values[i]
		if raw == nil || string(raw) == "null" {
			if f.required {
				bad = append(bad, FieldError{f.name, "required"})
			}
			continue
		}
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			bad = append(bad, FieldError{f.name, "must be a string"})
			continue
		}
		if msg := f.check(s); msg != "" {
			bad = append(bad, FieldError{f.name, msg})
			continue
		}
		f.set(&ev, s)
	}
	bad = append(bad, extra...)
	if len(bad) > 0 {
		return Event{}, &ValidationError{Fields: bad}
	}
	return ev, nil
}

type member struct {
	name  string
	value json.RawMessage
}

// objectMembers reads body as exactly one JSON object and returns its members in order,
// duplicates included (encoding/json would silently keep the last one).
func objectMembers(body []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%w: body is not a JSON object", ErrMalformed)
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed(err)
		}
		name, _ := tok.(string) // inside an object the decoder only yields string keys
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, malformed(err)
		}
		out = append(out, member{name, v})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, malformed(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	return out, nil
}

// malformed describes a JSON error without quoting the input.
func malformed(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: invalid JSON at byte %d", ErrMalformed, se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated JSON", ErrMalformed)
	}
	return fmt.Errorf("%w: invalid JSON", ErrMalformed)
}

// fieldName makes an unknown member's name safe to echo: bounded and, when it holds
// anything but letters, digits and _.-, quoted.
func fieldName(s string) string {
	const maxName = 64
	if len(s) > maxName {
		cut := maxName
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	for _, r := range s {
		if !plainNameRune(r) {
			return strconv.QuoteToASCII(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

func plainNameRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	default:
		return r == '_' || r == '.' || r == '-' || r == '…'
	}
}

// CheckID says why s cannot be an id ("" when it can): ids from outside become workflow
// ids, search attributes and log fields, so they are bounded and printable.
func CheckID(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case len(s) > MaxIDLen:
		return fmt.Sprintf("longer than %d bytes", MaxIDLen)
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return "must not contain whitespace, control or invisible characters"
		}
	}
	return ""
}

func checkStatus(s string) string {
	for _, st := range statuses {
		if s == st {
			return ""
		}
	}
	return "must be one of " + strings.Join(statuses, ", ")
}

func checkTime(s string) string {
	if _, err := parseTime(s); err != nil {
		return "must be an RFC 3339 time"
	}
	return ""
}

func parseTime(s string) (time.Time, error) {
	if len(s) > 64 {
		return time.Time{}, errors.New("too long")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err
}
