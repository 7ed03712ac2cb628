package actionstep

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
)

// The types in this file decode Actionstep's wire format as it is, not as its OpenAPI files
// declare it (reference §2.5 rules 1, 5–9): one record arrives as an object and several as an
// array under the same key, booleans are the strings "T"/"F", ids and numbers come as JSON
// strings or numbers, and empty values as "", null or a PHP-style []. Their errors never quote
// the input, so a DecodeError cannot carry a fragment of a response into a log.

// OneOrMany is a list that also accepts a single value where the API sends one record as a
// bare object (or a to-many link with one id as a bare string). null decodes to an empty list.
type OneOrMany[T any] []T

// UnmarshalJSON accepts an array, null, or one value of T.
func (o *OneOrMany[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case isNull(b):
		*o = nil
		return nil
	case len(b) > 0 && b[0] == '[':
		var many []T
		if err := json.Unmarshal(b, &many); err != nil {
			return err
		}
		*o = many
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = OneOrMany[T]{one}
	return nil
}

// Bool is an Actionstep flag. It decodes "T"/"F" (any case), "true"/"false", "1"/"0" and
// the same as JSON literals; "", null and [] mean unset and decode to false. It encodes as
// "T"/"F", the form the API documents for requests.
type Bool bool

// UnmarshalJSON implements the tolerant decoding described on Bool.
func (v *Bool) UnmarshalJSON(b []byte) error {
	s, ok, err := scalar(b)
	if err != nil || !ok {
		*v = false
		return err
	}
	switch strings.ToLower(s) {
	case "t", "true", "1":
		*v = true
	case "f", "false", "0", "":
		*v = false
	default:
		return errBool
	}
	return nil
}

// MarshalJSON writes "T" or "F".
func (v Bool) MarshalJSON() ([]byte, error) {
	if v {
		return []byte(`"T"`), nil
	}
	return []byte(`"F"`), nil
}

// ID identifies a record. Most resources use integers, join and value resources use composite
// strings ("1--27--10"), and links carry ids as strings ("division": "1") or codes ("AU"), so
// an ID is kept as the string the API printed. It decodes a JSON string or an integral number;
// null and [] decode to the empty ID. It encodes as a JSON string, which the API accepts
// wherever it accepts an integer (reference §2.4).
type ID string

// UnmarshalJSON implements the tolerant decoding described on ID.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return errID
		}
		*id = ID(s)
		return nil
	}
	s, ok, err := scalar(b)
	if err != nil || !ok {
		*id = ""
		return err
	}
	n, err := parseInt(s)
	if err != nil {
		return errID
	}
	*id = ID(strconv.FormatInt(n, 10))
	return nil
}

// String returns the id as the API printed it.
func (id ID) String() string { return string(id) }

// Compare orders ids as creation order: numeric ids by value (a shorter one is smaller),
// others by text. It returns -1, 0 or +1.
func (id ID) Compare(other ID) int {
	if len(id) != len(other) {
		return cmp.Compare(len(id), len(other))
	}
	return strings.Compare(string(id), string(other))
}

// compositeSep joins the parts of a composite id.
const compositeSep = "--"

// Parts splits a composite id ("148--plan--6234") into its parts; a simple id is one part.
func (id ID) Parts() []string { return strings.Split(string(id), compositeSep) }

// DataCollectionFieldID is the id of a data collection field: "<dataCollection>--<name>".
func DataCollectionFieldID(dataCollection ID, name string) ID {
	return ID(string(dataCollection) + compositeSep + name)
}

// DataCollectionRecordValueID is the id of one value of a record:
// "<dataCollection>--<fieldName>--<record>" (reference §3.5).
func DataCollectionRecordValueID(dataCollection ID, fieldName string, record ID) ID {
	return ID(string(dataCollection) + compositeSep + fieldName + compositeSep + string(record))
}

// Int is a whole number that the API sends as a JSON number or as a numeric string; "", null
// and [] decode to 0. A number with a fraction is rejected rather than silently truncated.
type Int int64

// UnmarshalJSON implements the tolerant decoding described on Int.
func (v *Int) UnmarshalJSON(b []byte) error {
	s, ok, err := scalar(b)
	if err != nil || !ok || strings.TrimSpace(s) == "" {
		*v = 0
		return err
	}
	n, err := parseInt(strings.TrimSpace(s))
	if err != nil {
		return errInt
	}
	*v = Int(n)
	return nil
}

// scalar returns the text of a JSON string, number or boolean. ok is false for null and for
// an empty array or object (PHP encodes an empty map as []); any other array or object is an
// error.
func scalar(b []byte) (s string, ok bool, err error) {
	b = bytes.TrimSpace(b)
	switch {
	case isNull(b) || isEmptyContainer(b):
		return "", false, nil
	case len(b) == 0:
		return "", false, errors.New("actionstep: empty value")
	case b[0] == '"':
		if err := json.Unmarshal(b, &s); err != nil {
			return "", false, errors.New("actionstep: malformed string")
		}
		return s, true, nil
	case b[0] == '[' || b[0] == '{':
		return "", false, errors.New("actionstep: expected a scalar, got an array or object")
	}
	// A number or a literal: let the JSON decoder validate it.
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", false, errors.New("actionstep: malformed value")
	}
	switch v := v.(type) {
	case json.Number:
		return v.String(), true, nil
	case bool:
		return strconv.FormatBool(v), true, nil
	}
	return "", false, errors.New("actionstep: malformed value")
}

// parseInt reads an integer written as "42", "-7", "42.0" or "4.2e1".
func parseInt(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return 0, errInt
	}
	return int64(f), nil
}

func isNull(b []byte) bool { return string(b) == "null" }

// isEmptyContainer reports "[]" or "{}" (with any inner whitespace).
func isEmptyContainer(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	open, end := b[0], b[len(b)-1]
	matched := open == '[' && end == ']' || open == '{' && end == '}'
	return matched && len(bytes.TrimSpace(b[1:len(b)-1])) == 0
}

// isObject reports whether raw is a JSON object; the API sends [] or null in place of an
// empty links, linked or meta object, which must not fail a whole response.
func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}
