package actionstepsim

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// valueType is how an attribute is written on the wire.
type valueType uint8

const (
	tString    valueType = iota
	tInt                 // JSON number; accepted as a numeric string too
	tFlag                // "T" or "F" (reference §2.5 rule 7)
	tEnum                // one of field.enum
	tDate                // "2006-01-02"
	tTimestamp           // ISO 8601 with offset, "2006-01-02T15:04:05+10:00"
)

// access says when a client may write an attribute or link.
type access uint8

const (
	readOnly access = 0
	onCreate access = 1 << iota
	onUpdate
	writable = onCreate | onUpdate
)

// field is one attribute of a resource, in wire order.
type field struct {
	name   string
	typ    valueType
	enum   []string
	access access
}

// linkDef is one relation in a record's "links": target is the resource
// type it points at (also for types the simulator does not serve, such as
// countries or divisions), many for to-many links.
type linkDef struct {
	name   string
	target string
	many   bool
	access access
}

// kind is one REST resource type and the operations it supports; a nil
// operation answers 405.
type kind struct {
	name   string
	fields []field
	links  []linkDef
	// rows lists every record of an organisation in the default order.
	rows func(o *org) []*record
	// find resolves special ids (users/current, actioncreate/{type});
	// default: scan rows.
	find func(c *restCall, id string) *record
	// create makes and stores one record from a request item.
	create func(c *restCall, in *item) (*record, error)
	// update changes r, a private copy the caller commits on success.
	update func(c *restCall, r *record, in *item) error
	remove func(c *restCall, r *record) error
	// noList kinds have no collection GET; single kinds take one id and
	// no filters (actioncreate, reference §3.4).
	noList bool
	single bool
	// patch accepts PATCH as well as PUT (actions, reference §2.3).
	patch bool
	// template is the kind GET /<name>/{id} answers with, when it differs
	// (actioncreate: what a new matter of a type needs).
	template *kind
	// defaultInclude is side-loaded when a GET names no include.
	defaultInclude [][]string
}

func (k *kind) field(name string) *field {
	for i := range k.fields {
		if k.fields[i].name == name {
			return &k.fields[i]
		}
	}
	return nil
}

func (k *kind) link(name string) *linkDef {
	for i := range k.links {
		if k.links[i].name == name {
			return &k.links[i]
		}
	}
	return nil
}

// stored is the rows function of kinds kept in an organisation's tables.
func stored(name string) func(o *org) []*record {
	return func(o *org) []*record { return o.tables[name] }
}

// record is one resource instance in wire form: attribute values are
// strings, ints, "T"/"F" or nil; links are id strings, []string or nil.
type record struct {
	kind  *kind
	id    any // int, or a string for composite ids such as "1--27--10"
	attrs map[string]any
	links map[string]any
}

func newRecord(k *kind, id any) *record {
	r := &record{kind: k, id: id, attrs: make(map[string]any, len(k.fields)), links: make(map[string]any, len(k.links))}
	for _, f := range k.fields {
		r.attrs[f.name] = nil
	}
	for _, l := range k.links {
		r.links[l.name] = nil
	}
	return r
}

func (r *record) clone() *record {
	c := *r
	c.attrs = make(map[string]any, len(r.attrs))
	for k, v := range r.attrs {
		c.attrs[k] = v
	}
	c.links = make(map[string]any, len(r.links))
	for k, v := range r.links {
		if l, ok := v.([]string); ok {
			v = slices.Clone(l)
		}
		c.links[k] = v
	}
	return &c
}

func (r *record) idString() string { return idString(r.id) }

func idString(id any) string {
	switch v := id.(type) {
	case int:
		return strconv.Itoa(v)
	case string:
		return v
	}
	return ""
}

// str is a string attribute, "" when null.
func (r *record) str(name string) string {
	s, _ := r.attrs[name].(string)
	return s
}

func (r *record) num(name string) int {
	n, _ := r.attrs[name].(int)
	return n
}

// linkID is a to-one link as an int, 0 when null or not numeric.
func (r *record) linkID(name string) int {
	s, _ := r.links[name].(string)
	n, _ := strconv.Atoi(s)
	return n
}

// linkIDs are a to-many link's ids.
func (r *record) linkIDs(name string) []string {
	l, _ := r.links[name].([]string)
	return l
}

// render is the record's wire object. fields, when non-nil, is a fieldset:
// only those attributes and links (the id always) are kept.
func (r *record) render(fields map[string]bool) ordered {
	out := ordered{{"id", r.id}}
	for _, f := range r.kind.fields {
		if fields == nil || fields[f.name] {
			out = append(out, kv{f.name, r.attrs[f.name]})
		}
	}
	var links ordered
	for _, l := range r.kind.links {
		if fields == nil || fields[l.name] {
			links = append(links, kv{l.name, r.links[l.name]})
		}
	}
	if links != nil {
		out = append(out, kv{"links", links})
	}
	return out
}

// compareIDs orders ids numerically, composite ids part by part, as
// Actionstep lists them ("1--27--10" before "1--28--10").
func compareIDs(a, b string) int {
	pa, pb := strings.Split(a, "--"), strings.Split(b, "--")
	for i := range min(len(pa), len(pb)) {
		if c := compareScalar(pa[i], pb[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(pa), len(pb))
}

// compareScalar compares numerically when both sides are numbers.
func compareScalar(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(a, b)
}

func byID(a, b *record) int { return compareIDs(a.idString(), b.idString()) }
