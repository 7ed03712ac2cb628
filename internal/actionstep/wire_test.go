package actionstep

import (
	"encoding/json"
	"testing"
)

func TestBool(t *testing.T) {
	tests := []struct {
		in      string
		want    Bool
		wantErr bool
	}{
		{`"T"`, true, false}, {`"F"`, false, false}, {`"t"`, true, false}, {`"f"`, false, false},
		{`true`, true, false}, {`false`, false, false}, {`"true"`, true, false}, {`"FALSE"`, false, false},
		{`"1"`, true, false}, {`0`, false, false}, {`1`, true, false},
		{`""`, false, false}, {`null`, false, false}, {`[]`, false, false},
		{`"Y"`, false, true}, {`2`, false, true}, {`["T"]`, false, true}, {`{"a":1}`, false, true},
	}
	for _, tt := range tests {
		got := !tt.want // a stale value must be overwritten
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("Bool(%s): err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("Bool(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
	for v, want := range map[Bool]string{true: `"T"`, false: `"F"`} {
		if b, _ := json.Marshal(v); string(b) != want {
			t.Errorf("Marshal(%v) = %s, want %s", v, b, want)
		}
	}
}

func TestID(t *testing.T) {
	tests := []struct {
		in      string
		want    ID
		wantErr bool
	}{
		{`7939`, "7939", false}, {`"7939"`, "7939", false}, {`-1`, "-1", false}, {`7.0`, "7", false}, {`7e2`, "700", false},
		{`"1--27--10"`, "1--27--10", false}, {`"AU"`, "AU", false}, {`null`, "", false}, {`""`, "", false}, {`[]`, "", false},
		{`7.5`, "", true}, {`true`, "", true}, {`{"id":1}`, "", true}, {`[1]`, "", true}, {`1e400`, "", true},
	}
	for _, tt := range tests {
		got := ID("stale")
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("ID(%s): err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("ID(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if b, _ := json.Marshal(ID("42")); string(b) != `"42"` {
		t.Errorf("Marshal(ID) = %s", b)
	}
	if got := DataCollectionRecordValueID("148", "plan", "6234"); got != "148--plan--6234" || len(got.Parts()) != 3 {
		t.Errorf("DataCollectionRecordValueID = %q", got)
	}
	if got := DataCollectionFieldID("148", "plan"); got != "148--plan" {
		t.Errorf("DataCollectionFieldID = %q", got)
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		in      string
		want    Int
		wantErr bool
	}{
		{`61`, 61, false}, {`"61"`, 61, false}, {`" 61 "`, 61, false}, {`""`, 0, false}, {`null`, 0, false},
		{`[]`, 0, false}, {`-3`, -3, false}, {`2.0`, 2, false},
		{`"1,496"`, 0, true}, {`2.5`, 0, true}, {`"x"`, 0, true}, {`true`, 0, true}, {`[1]`, 0, true},
	}
	for _, tt := range tests {
		got := Int(99)
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("Int(%s): err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("Int(%s) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestOneOrMany(t *testing.T) {
	type rec struct {
		ID ID `json:"id"`
	}
	tests := []struct {
		in   string
		want int
	}{
		{`{"id":1}`, 1}, {`[{"id":1},{"id":"2"}]`, 2}, {`[]`, 0}, {`null`, 0}, {` [ {"id":1} ] `, 1},
	}
	for _, tt := range tests {
		var got OneOrMany[rec]
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil || len(got) != tt.want {
			t.Errorf("OneOrMany(%s) = %v, %v; want %d records", tt.in, got, err, tt.want)
		}
	}
	var ids OneOrMany[ID]
	if err := json.Unmarshal([]byte(`"75165"`), &ids); err != nil || len(ids) != 1 || ids[0] != "75165" {
		t.Errorf("a bare id = %v, %v", ids, err)
	}
	if err := json.Unmarshal([]byte(`"x"`), new(OneOrMany[rec])); err == nil {
		t.Error("a string is not a record")
	}
}

func TestDecodePageTolerance(t *testing.T) {
	type rec struct {
		ID ID `json:"id"`
	}
	tests := map[string]struct {
		body  string
		items int
		err   bool
	}{
		"empty body (204)":       {``, 0, false},
		"object":                 {`{"x":{"id":1}}`, 1, false},
		"array":                  {`{"x":[{"id":1},{"id":2}]}`, 2, false},
		"null records":           {`{"x":null}`, 0, false},
		"PHP empty meta, linked": {`{"x":[],"meta":[],"linked":[],"links":[]}`, 0, false},
		"paging as []":           {`{"x":{"id":1},"meta":{"paging":[]}}`, 1, false},
		"missing key":            {`{"y":[]}`, 0, true},
		"not an object":          {`[{"id":1}]`, 0, true},
		"bad paging numbers":     {`{"x":[],"meta":{"paging":{"x":{"recordCount":"many"}}}}`, 0, true},
	}
	for name, tt := range tests {
		page, err := decodePage[rec]([]byte(tt.body), "x")
		if (err != nil) != tt.err {
			t.Errorf("%s: err = %v, want error %v", name, err, tt.err)
			continue
		}
		if err == nil && len(page.Items) != tt.items {
			t.Errorf("%s: %d items, want %d", name, len(page.Items), tt.items)
		}
	}
}
