package highlevelsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// object validates a JSON object (a DTO body, or a query string seen as one)
// and collects failures in class-validator's wording, which HighLevel's
// NestJS services return as a 422 message array.
type object struct {
	fields map[string]json.RawMessage
	prefix string    // "actionPayload." inside nested DTOs
	errs   *[]string // shared with nested objects
}

// bodyObject decodes a JSON body. A non-JSON Content-Type reads as an empty
// object (NestJS only parses JSON here), so required members fail validation.
func bodyObject(contentType string, body []byte) (object, error) {
	o := object{fields: map[string]json.RawMessage{}, errs: new([]string)}
	if !isJSON(contentType) || len(bytes.TrimSpace(body)) == 0 {
		return o, nil
	}
	if err := json.Unmarshal(body, &o.fields); err != nil || o.fields == nil {
		return o, plainError(http.StatusBadRequest, "Unexpected token in JSON body") // body-parser's failure; simulator wording
	}
	return o, nil
}

// bodyObject decodes the call's body as its Content-Type says.
func (c *apiCall) bodyObject() (object, error) {
	return bodyObject(c.r.Header.Get("Content-Type"), c.body)
}

// queryObject views the first value of each query parameter as a JSON string.
func queryObject(q url.Values) object {
	o := object{fields: map[string]json.RawMessage{}, errs: new([]string)}
	for k, vs := range q {
		raw, _ := json.Marshal(vs[0])
		o.fields[k] = raw
	}
	return o
}

func (o object) fail(format, name string) {
	*o.errs = append(*o.errs, strings.Replace(format, "%s", o.prefix+name, 1))
}

// raw returns a member, treating JSON null as absent.
func (o object) raw(name string) (json.RawMessage, bool) {
	raw, ok := o.fields[name]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, false
	}
	return raw, true
}

// str reads a string member; required members must also be non-empty.
func (o object) str(name string, required bool) string {
	raw, ok := o.raw(name)
	if !ok {
		if required {
			o.fail("%s should not be empty", name)
		}
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		o.fail("%s must be a string", name)
		return ""
	}
	if required && s == "" {
		o.fail("%s should not be empty", name)
	}
	return s
}

// boolean reads a boolean member. In a query object "true"/"false" count.
func (o object) boolean(name string, required bool) (value, present bool) {
	raw, ok := o.raw(name)
	if !ok {
		if required {
			o.fail("%s must be a boolean value", name)
		}
		return false, false
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil && (s == "true" || s == "false") {
		return s == "true", true
	}
	o.fail("%s must be a boolean value", name)
	return false, false
}

// number reads a number member. In a query object numeric strings count.
func (o object) number(name string, required bool) (value float64, present bool) {
	raw, ok := o.raw(name)
	if !ok {
		if required {
			o.fail("%s must be a number conforming to the specified constraints", name)
		}
		return 0, false
	}
	if err := json.Unmarshal(raw, &value); err == nil {
		return value, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			return v, true
		}
	}
	o.fail("%s must be a number conforming to the specified constraints", name)
	return 0, false
}

// numberString reads a member declared as a string of digits, such as
// installedLocations' skip and limit.
func (o object) numberString(name string) (value int, present bool) {
	s := o.str(name, false)
	if s == "" {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		o.fail("%s must be a number string", name)
		return 0, false
	}
	return v, true
}

// strs reads an array of strings; required arrays must be non-empty.
func (o object) strs(name string, required bool) []string {
	raw, ok := o.raw(name)
	if !ok {
		if required {
			o.fail("%s should not be empty", name)
		}
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		o.fail("%s must be an array", name)
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err != nil {
			o.fail("each value in %s must be a string", name)
			return nil
		}
		out = append(out, s)
	}
	if required && len(out) == 0 {
		o.fail("%s should not be empty", name)
	}
	return out
}

// oneOf reads a required string member restricted to allowed values.
func (o object) oneOf(name string, allowed []string) string {
	raw, ok := o.raw(name)
	var s string
	if ok && json.Unmarshal(raw, &s) == nil {
		for _, a := range allowed {
			if s == a {
				return s
			}
		}
	}
	o.fail("%s must be one of the following values: "+strings.Join(allowed, ", "), name)
	return ""
}

// nested reads a nested DTO. Members of a missing or malformed nested
// object are not validated, as with class-validator's @ValidateNested.
func (o object) nested(name string, required bool) object {
	inner := object{fields: map[string]json.RawMessage{}, prefix: o.prefix + name + ".", errs: o.errs}
	raw, ok := o.raw(name)
	if !ok {
		if required {
			o.fail("%s should not be empty", name)
		}
		inner.errs = new([]string)
		return inner
	}
	if err := json.Unmarshal(raw, &inner.fields); err != nil || inner.fields == nil {
		o.fail("nested property %s must be either object or array", name)
		inner.fields, inner.errs = map[string]json.RawMessage{}, new([]string)
	}
	return inner
}

// err returns the collected failures as a 422, or nil.
func (o object) err() error {
	if len(*o.errs) == 0 {
		return nil
	}
	return unprocessable(*o.errs...)
}
