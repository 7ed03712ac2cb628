package actionstep

import (
	"net/url"
	"testing"
)

func TestQueryValues(t *testing.T) {
	q := Query{
		Filters: []Filter{
			Eq(FieldImportExternalReference, "loc_1"), In("id", "1", "2"), {Field: "dataCollection", Value: "148"},
			{Field: "action[actionType]", Op: OpEq, Value: "28"}, {Field: "text", Op: OpILike, Value: "*plan*"},
		},
		Include: []string{"actionType", "division.participant"}, Sort: []string{"-modifiedTimestamp"},
		Page: 3, PageSize: 1000,
	}
	got, err := q.values()
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"importExternalReference_eq": {"loc_1"}, "id_in": {"1,2"}, "dataCollection": {"148"},
		"action[actionType]_eq": {"28"}, "text_ilike": {"*plan*"},
		"include": {"actionType,division.participant"}, "sort": {"-modifiedTimestamp"}, "page": {"3"}, "pageSize": {"200"},
	}
	if got.Encode() != want.Encode() {
		t.Errorf("values = %s\nwant     %s", got.Encode(), want.Encode())
	}
	if v, _ := (Query{}).values(); len(v) != 0 {
		t.Errorf("zero Query sends %s", v.Encode())
	}
}

func TestQueryWithLeavesTheCallerAlone(t *testing.T) {
	filters := make([]Filter, 1, 4)
	filters[0] = Eq("a", "1")
	q := Query{Filters: filters}
	_ = q.with(Eq("b", "2"))
	if got := filters[:2][1]; got.Field != "" {
		t.Errorf("with wrote into the caller's backing array: %+v", got)
	}
}
