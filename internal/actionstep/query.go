package actionstep

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Op is a filter operator, appended to the field name as "field_op=value" (reference §2.8).
type Op string

// The operators the API knows. OpNone sends the bare "field=value", which the API treats as
// equality and which also takes a comma-separated list of ids.
const (
	OpNone     Op = ""
	OpEq       Op = "eq"
	OpNotEq    Op = "nteq"
	OpIn       Op = "in"
	OpNotIn    Op = "ntin"
	OpLt       Op = "lt"
	OpLtEq     Op = "lteq"
	OpGt       Op = "gt"
	OpGtEq     Op = "gteq"
	OpLike     Op = "like"
	OpNotLike  Op = "ntlike"
	OpILike    Op = "ilike" // case-insensitive; * is the wildcard
	OpNotILike Op = "ntilike"
)

func (o Op) known() bool {
	switch o {
	case OpNone, OpEq, OpNotEq, OpIn, OpNotIn, OpLt, OpLtEq, OpGt, OpGtEq, OpLike, OpNotLike, OpILike, OpNotILike:
		return true
	}
	return false
}

// FieldImportExternalReference is the attribute participants and actions carry our own key
// in; find-before-create filters on it with Eq.
const FieldImportExternalReference = "importExternalReference"

// Filter is one query condition. Field is an attribute or link name, or a nested relation
// such as "action[actionType]".
type Filter struct {
	Field string
	Op    Op
	Value string
}

// Eq is the filter field_eq=value.
func Eq(field, value string) Filter { return Filter{Field: field, Op: OpEq, Value: value} }

// Containing is the filter field_ilike=*text*: the field contains text, in any case. '*' is
// the documented wildcard ('%' may be a literal); characters the server treats as single-
// character wildcards (SQL's '_') can make it match more, so check the records it returns.
func Containing(field, text string) Filter {
	return Filter{Field: field, Op: OpILike, Value: "*" + text + "*"}
}

// In is the filter field_in=v1,v2,…; values must not contain commas.
func In(field string, values ...string) Filter {
	return Filter{Field: field, Op: OpIn, Value: strings.Join(values, ",")}
}

func (f Filter) param() (string, error) {
	if f.Field == "" {
		return "", fmt.Errorf("actionstep: filter without a field")
	}
	if !f.Op.known() {
		return "", fmt.Errorf("actionstep: unknown filter operator %q", f.Op)
	}
	if f.Op == OpNone {
		return f.Field, nil
	}
	return f.Field + "_" + string(f.Op), nil
}

// MaxPageSize is the API's page-size ceiling (reference §2.7); larger requests are clamped.
const MaxPageSize = 200

// Query selects records of a collection: filters, side-loads and one page. The zero Query
// asks for the API's first page of 50.
type Query struct {
	Filters []Filter
	// Include names links to side-load into Page.Linked, e.g. "actionType", "participant".
	Include []string
	// Sort lists attributes, "-" prefixed for descending, e.g. "-modifiedTimestamp".
	Sort     []string
	Page     int // 1-based; 0 leaves it to the API
	PageSize int // 0 leaves it to the API (50)
}

func (q Query) values() (url.Values, error) {
	v := url.Values{}
	for _, f := range q.Filters {
		name, err := f.param()
		if err != nil {
			return nil, err
		}
		v.Add(name, f.Value)
	}
	if len(q.Include) > 0 {
		v.Set("include", strings.Join(q.Include, ","))
	}
	if len(q.Sort) > 0 {
		v.Set("sort", strings.Join(q.Sort, ","))
	}
	if q.Page > 0 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(min(q.PageSize, MaxPageSize)))
	}
	return v, nil
}

// with returns a copy of q with extra filters appended, leaving the caller's slice alone.
func (q Query) with(filters ...Filter) Query {
	q.Filters = append(append([]Filter(nil), q.Filters...), filters...)
	return q
}
