package actionstepsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// item is one resource object of a request body: its attributes and its
// links, still raw.
type item struct {
	pointer string // JSON pointer of the object, for error sources
	attrs   map[string]json.RawMessage
	links   map[string]json.RawMessage
}

// decodeBody reads the request envelope of reference §2.4: one member
// named after the resource, holding an object or an array of objects.
// Unparsable JSON gets the recorded AS-1302 document; a body without the
// wrapper is refused (simulator choice: the spec's unwrapped bodies are a
// known defect, reference §0.2).
func decodeBody(name string, body []byte) ([]*item, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, errBadJSON(body)
	}
	raw, ok := top[name]
	if !ok || len(top) != 1 {
		return nil, errInvalid("", "The body must be one object with a single member %q wrapping the record(s)", name)
	}
	raw = bytes.TrimSpace(raw)
	objs := []json.RawMessage{raw}
	many := len(raw) > 0 && raw[0] == '['
	if many {
		if err := json.Unmarshal(raw, &objs); err != nil || len(objs) == 0 {
			return nil, errInvalid("/"+name, "%q must hold an object or a non-empty array of objects", name)
		}
	}
	items := make([]*item, 0, len(objs))
	for i, o := range objs {
		ptr := "/" + name
		if many {
			ptr += "/" + strconv.Itoa(i)
		}
		var attrs map[string]json.RawMessage
		if err := json.Unmarshal(o, &attrs); err != nil || attrs == nil {
			return nil, errInvalid(ptr, "A record must be a JSON object")
		}
		it := &item{pointer: ptr, attrs: attrs}
		if l, ok := attrs["links"]; ok {
			delete(attrs, "links")
			if err := json.Unmarshal(l, &it.links); err != nil {
				return nil, errInvalid(ptr+"/links", "links must be an object of ids")
			}
		}
		items = append(items, it)
	}
	return items, nil
}

// has reports whether the item sets an attribute.
func (in *item) has(name string) bool {
	_, ok := in.attrs[name]
	return ok
}

// apply writes the item's attributes and links into r according to its
// kind's schema (mode onCreate or onUpdate). Unknown or read-only members
// are refused rather than ignored: the API is case-sensitive (reference
// §2.2) and a silently dropped, misspelt member is the worse failure
// (simulator choice). Links to resources the simulator serves must exist.
func (c *restCall) apply(r *record, in *item, mode access) error {
	k := r.kind
	for _, name := range slices.Sorted(maps.Keys(in.attrs)) {
		ptr := in.pointer + "/" + name
		f := k.field(name)
		switch {
		case f == nil:
			return errInvalid(ptr, "Unknown attribute '%s' for %s", name, k.name)
		case f.access&mode == 0:
			return errInvalid(ptr, "Attribute '%s' of %s cannot be written", name, k.name)
		}
		v, err := c.decodeValue(*f, in.attrs[name])
		if err != nil {
			return errInvalid(ptr, "%v", err)
		}
		r.attrs[name] = v
	}
	for _, name := range slices.Sorted(maps.Keys(in.links)) {
		ptr := in.pointer + "/links/" + name
		l := k.link(name)
		switch {
		case l == nil:
			return errInvalid(ptr, "Unknown link '%s' for %s", name, k.name)
		case l.access&mode == 0:
			return errInvalid(ptr, "Link '%s' of %s cannot be written", name, k.name)
		}
		v, err := decodeLink(*l, in.links[name])
		if err != nil {
			return errInvalid(ptr, "%v", err)
		}
		if err := c.checkLink(*l, v, ptr); err != nil {
			return err
		}
		r.links[name] = v
	}
	return nil
}

// checkLink verifies that linked records exist, where the simulator
// serves the target resource.
func (c *restCall) checkLink(l linkDef, v any, ptr string) error {
	target := c.s.kinds[l.target]
	if target == nil || v == nil {
		return nil
	}
	ids, ok := v.([]string)
	if !ok {
		ids = []string{v.(string)}
	}
	for _, id := range ids {
		if c.find(target, id) == nil {
			return errInvalid(ptr, "%s '%s' does not exist", l.target, id)
		}
	}
	return nil
}

func decodeJSON(raw json.RawMessage) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	err := dec.Decode(&v)
	return v, err
}

// decodeValue converts a request value to its wire form. Numbers are
// accepted as numeric strings too, as clients send them both ways
// (reference §2.5 rule 9); null clears.
func (c *restCall) decodeValue(f field, raw json.RawMessage) (any, error) {
	v, err := decodeJSON(raw)
	if err != nil || v == nil {
		return nil, err
	}
	if f.typ == tInt {
		return decodeInt(f.name, v)
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("'%s' must be a string", f.name)
	}
	switch f.typ {
	case tFlag:
		if s != "T" && s != "F" {
			return nil, fmt.Errorf("'%s' must be \"T\" or \"F\"", f.name)
		}
	case tEnum:
		if !slices.Contains(f.enum, s) {
			return nil, fmt.Errorf("'%s' must be one of %s", f.name, strings.Join(f.enum, ", "))
		}
	case tDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return nil, fmt.Errorf("'%s' must be a date such as 2026-03-01", f.name)
		}
	case tTimestamp:
		t, err := c.parseTime(s)
		if err != nil {
			return nil, fmt.Errorf("'%s' must be a timestamp such as 2026-03-01T10:00:00+11:00", f.name)
		}
		return c.s.timestamp(t), nil
	}
	return s, nil
}

func decodeInt(name string, v any) (any, error) {
	s := ""
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
		if s == "" {
			return nil, nil // numeric fields arrive as "" on the wire too
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, fmt.Errorf("'%s' must be an integer", name)
	}
	return n, nil
}

// parseTime reads ISO 8601 with an offset, or a local "2006-01-02 15:04:05"
// in the organisation's zone.
func (c *restCall) parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation(time.DateTime, s, c.s.loc)
}

// decodeLink converts link ids, strings or numbers (both appear in
// official examples, reference §2.4), to the wire's strings.
func decodeLink(l linkDef, raw json.RawMessage) (any, error) {
	v, err := decodeJSON(raw)
	if err != nil || v == nil {
		return nil, err
	}
	if !l.many {
		return linkScalar(l.name, v)
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("link '%s' must be an array of ids", l.name)
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		id, err := linkScalar(l.name, e)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

func linkScalar(name string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		if x != "" {
			return x, nil
		}
	case json.Number:
		if _, err := strconv.Atoi(x.String()); err == nil {
			return x.String(), nil
		}
	}
	return "", errors.New("link '" + name + "' must be an id (a string or an integer)")
}
