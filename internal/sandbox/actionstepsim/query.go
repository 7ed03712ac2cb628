package actionstepsim

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Paging limits (reference §2.7).
const (
	defaultPageSize = 50
	maxPageSize     = 200
)

// query is a parsed GET query string (reference §2.7–2.9).
type query struct {
	filters  []filter
	sort     []sortKey
	page     int
	pageSize int
	include  [][]string // dotted include paths, split
	fields   map[string]map[string]bool
}

// filter is one "field[_op]=value" or nested "link[field_op]=value".
type filter struct {
	param  string   // as given, for error sources
	path   []string // links to follow, then the field
	op     string   // "" (eq, with a comma list), eq, nteq, in, ntin, lt, …
	values []string
	null   bool // the value was :NULL
	// starOnly makes '*' the only like wildcard (the "star" reading).
	starOnly bool
}

type sortKey struct {
	name string
	desc bool
}

// filterOps are the operator suffixes (reference §2.8), longest first so
// "_ntin" is not read as "_in".
var filterOps = []string{"ntilike", "ntlike", "ilike", "like", "nteq", "ntin", "lteq", "gteq", "eq", "in", "lt", "gt"}

// parseQuery reads and validates the query against kind k. Unknown sort
// fields are refused, and so are unknown filter fields unless
// ignoreUndocumented (the "ignore" filters reading), which drops every
// filter the documentation does not show in use instead; unknown fieldset
// names are ignored, as the official demo app sends some ("datatype").
func parseQuery(kinds map[string]*kind, k *kind, v url.Values, ignoreUndocumented bool) (query, error) {
	q := query{page: 1, pageSize: defaultPageSize, fields: map[string]map[string]bool{}}
	for _, key := range slices.Sorted(maps.Keys(v)) {
		val := v.Get(key)
		var err error
		switch {
		case key == "page":
			q.page, err = positive(key, val)
		case key == "pageSize":
			// Above the maximum is not documented; simulator choice: clamp.
			q.pageSize, err = positive(key, val)
			q.pageSize = min(q.pageSize, maxPageSize)
		case key == "sort":
			q.sort, err = parseSort(k, val)
		case key == "include":
			q.include, err = parseInclude(kinds, k, val)
		case key == "fields":
			q.fields[k.name] = fieldSet(val)
		case strings.HasPrefix(key, "fields[") && strings.HasSuffix(key, "]"):
			q.fields[key[len("fields["):len(key)-1]] = fieldSet(val)
		default:
			var f filter
			f, err = parseFilter(kinds, k, key, val)
			switch {
			case err != nil && ignoreUndocumented:
				err = nil
			case err == nil && (!ignoreUndocumented || documentedFilter(kinds, k, f.path)):
				q.filters = append(q.filters, f)
			}
		}
		if err != nil {
			return q, err
		}
	}
	return q, nil
}

func positive(param, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errParam(param, "'%s' must be a positive integer", param)
	}
	return n, nil
}

// fieldSet reads a fieldset; ":default" anywhere means every attribute.
func fieldSet(v string) map[string]bool {
	set := map[string]bool{}
	for f := range strings.SplitSeq(v, ",") {
		if f = strings.TrimSpace(f); f == ":default" {
			return nil
		}
		set[f] = true
	}
	return set
}

// hasName reports whether name is the id, an attribute or a link of k.
func (k *kind) hasName(name string) bool {
	return name == "id" || k.field(name) != nil || k.link(name) != nil
}

func parseSort(k *kind, v string) ([]sortKey, error) {
	var keys []sortKey
	for s := range strings.SplitSeq(v, ",") {
		key := sortKey{name: strings.TrimSpace(s)}
		if n, ok := strings.CutPrefix(key.name, "-"); ok {
			key = sortKey{name: n, desc: true}
		}
		if !k.hasName(key.name) {
			return nil, errParam("sort", "Cannot sort %s by '%s'", k.name, key.name)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// parseInclude reads "include=actionType,division.participant". Links to
// resources the simulator does not serve are accepted and side-load
// nothing.
func parseInclude(kinds map[string]*kind, k *kind, v string) ([][]string, error) {
	var paths [][]string
	for p := range strings.SplitSeq(v, ",") {
		path := strings.Split(strings.TrimSpace(p), ".")
		cur := k
		for _, seg := range path {
			if cur == nil {
				break
			}
			l := cur.link(seg)
			if l == nil {
				return nil, errParam("include", "'%s' is not a link of %s", seg, cur.name)
			}
			cur = kinds[l.target]
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// documentedAttributeFilters are the attributes the documentation shows
// being filtered on (status_nteq, source_nteq, text_ilike, name_in,
// multipleRecords); the id and links are filtered on throughout. Nothing
// says importExternalReference or reference can be.
var documentedAttributeFilters = []string{"name", "status", "source", "text", "multipleRecords"}

// documentedFilter reports whether a filter path ends on the id, a link
// or a documented attribute of the kind it reaches.
func documentedFilter(kinds map[string]*kind, k *kind, path []string) bool {
	cur := k
	for _, seg := range path[:len(path)-1] {
		cur = kinds[cur.link(seg).target]
	}
	name := path[len(path)-1]
	return name == "id" || cur.link(name) != nil || slices.Contains(documentedAttributeFilters, name)
}

// parseFilter reads "name", "name_op" and nested "link[name_op]" keys.
func parseFilter(kinds map[string]*kind, k *kind, key, val string) (filter, error) {
	f := filter{param: key}
	base, rest, _ := strings.Cut(key, "[")
	f.path = []string{base}
	for rest != "" {
		seg, after, ok := strings.Cut(rest, "]")
		if !ok || (after != "" && after[0] != '[') {
			return f, errParam(key, "Malformed filter '%s'", key)
		}
		f.path = append(f.path, seg)
		rest = strings.TrimPrefix(after, "[")
	}
	last := f.path[len(f.path)-1]
	for _, op := range filterOps {
		if name, ok := strings.CutSuffix(last, "_"+op); ok && name != "" {
			f.path[len(f.path)-1], f.op = name, op
			break
		}
	}
	cur := k
	for _, seg := range f.path[:len(f.path)-1] {
		l := cur.link(seg)
		if l == nil || kinds[l.target] == nil {
			return f, errParam(key, "Cannot filter %s through '%s'", cur.name, seg)
		}
		cur = kinds[l.target]
	}
	if name := f.path[len(f.path)-1]; !cur.hasName(name) {
		return f, errParam(key, "Cannot filter %s by '%s'", cur.name, name)
	}
	switch {
	case val == ":NULL":
		f.null = true
	case f.op == "" || f.op == "in" || f.op == "ntin":
		f.values = strings.Split(val, ",")
	default:
		f.values = []string{val}
	}
	return f, nil
}

// values are what a record holds under name: the id, an attribute, or a
// link's id(s); nil stands for null.
func values(r *record, name string) []any {
	if name == "id" {
		return []any{r.idString()}
	}
	if v, ok := r.attrs[name]; ok {
		return []any{v}
	}
	switch v := r.links[name].(type) {
	case []string:
		out := make([]any, 0, len(v))
		for _, id := range v {
			out = append(out, id)
		}
		if len(out) > 0 {
			return out
		}
	case string:
		return []any{v}
	}
	return []any{nil}
}

// resolve follows a filter path from r to the values it compares.
func (c *restCall) resolve(r *record, path []string) []any {
	if len(path) == 1 {
		return values(r, path[0])
	}
	target := c.s.kinds[r.kind.link(path[0]).target]
	var out []any
	for _, id := range values(r, path[0]) {
		if id == nil {
			continue
		}
		if tr := c.find(target, id.(string)); tr != nil {
			out = append(out, c.resolve(tr, path[1:])...)
		}
	}
	return out
}

func (c *restCall) filter(rows []*record, filters []filter) []*record {
	star := c.starOnly()
	return slices.DeleteFunc(rows, func(r *record) bool {
		for _, f := range filters {
			f.starOnly = star
			if !f.match(c.resolve(r, f.path)) {
				return true
			}
		}
		return false
	})
}

// match applies the operator to a record's values: a to-many link matches
// when any of its ids does, and the negated operators when none does.
func (f filter) match(vals []any) bool {
	switch f.op {
	case "nteq", "ntin", "ntlike", "ntilike":
		pos := f
		pos.op = strings.TrimPrefix(f.op, "nt")
		return !pos.match(vals)
	}
	for _, v := range vals {
		if f.matchOne(v) {
			return true
		}
	}
	return false
}

func (f filter) matchOne(v any) bool {
	if v == nil || f.null {
		return v == nil && f.null && (f.op == "" || f.op == "eq" || f.op == "in")
	}
	s := scalarString(v)
	switch f.op {
	case "", "eq", "in":
		return slices.Contains(f.values, s)
	case "like", "ilike":
		return likePattern(f.values[0], f.op == "ilike", f.starOnly).MatchString(s)
	}
	c := compareScalar(s, f.values[0])
	switch f.op {
	case "lt":
		return c < 0
	case "lteq":
		return c <= 0
	case "gt":
		return c > 0
	default: // gteq
		return c >= 0
	}
}

func scalarString(v any) string {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	}
	return ""
}

// likePattern turns a like value into an anchored expression. '*' is the
// documented wildcard; '%' is one too unless starOnly.
func likePattern(p string, fold, starOnly bool) *regexp.Regexp {
	var b strings.Builder
	if fold {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	for _, r := range p {
		if r == '*' || (r == '%' && !starOnly) {
			b.WriteString(".*")
		} else {
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// sortRows orders rows by the sort keys (nulls first), keeping the default
// id order among equals.
func sortRows(rows []*record, keys []sortKey) {
	if len(keys) == 0 {
		return
	}
	slices.SortStableFunc(rows, func(a, b *record) int {
		for _, k := range keys {
			va, vb := values(a, k.name)[0], values(b, k.name)[0]
			c := 0
			switch {
			case va == nil && vb == nil:
			case va == nil:
				c = -1
			case vb == nil:
				c = 1
			default:
				c = compareScalar(scalarString(va), scalarString(vb))
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}
