package actionstepsim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// dataValuesKind is the values of data collection records (reference
// §3.5): GET, POST, PUT; id "<dataCollection>--<fieldName>--<record>"
// ("24--lotno--28"). Under the "withRecord" values reading every field of
// an existing record has a value, null until set: values are derived from
// records and fields, and POST and PUT both set them. Under "lazy" a value
// exists once POSTed: before that it is 404 and missing from lists, and a
// second POST of it is refused.
func dataValuesKind() *kind {
	k := &kind{name: kDataValues, fields: []field{
		{name: "stringValue", access: writable},
	}, links: []linkDef{
		{name: "action", target: kActions, access: writable},
		{name: "dataCollectionField", target: kDataFields, access: writable},
		{name: "dataCollectionRecord", target: kDataRecords, access: writable},
		{name: "dataCollection", target: kDataCollections, access: writable},
	}}
	k.rows = func(o *org) []*record {
		var out []*record
		for _, rec := range o.tables[kDataRecords] {
			for _, f := range o.tables[kDataFields] {
				if f.links["dataCollection"] == rec.links["dataCollection"] && o.valueExists(rec, f) {
					out = append(out, valueRecord(k, o, rec, f))
				}
			}
		}
		slices.SortFunc(out, byID)
		return out
	}
	k.find = func(c *restCall, id string) *record {
		parts := strings.Split(id, "--")
		if len(parts) != 3 {
			return nil
		}
		rec, f := c.org.lookup(kDataRecords, parts[2]), c.org.lookup(kDataFields, parts[0]+"--"+parts[1])
		if rec == nil || f == nil || rec.links["dataCollection"] != parts[0] || !c.org.valueExists(rec, f) {
			return nil
		}
		return valueRecord(k, c.org, rec, f)
	}
	k.create = func(c *restCall, in *item) (*record, error) { return c.createValue(k, in) }
	k.update = func(c *restCall, r *record, in *item) error {
		links := r.links
		r.links = map[string]any{}
		if err := c.apply(r, in, onUpdate); err != nil {
			return err
		}
		for name, v := range r.links {
			if v != links[name] {
				return errInvalid(in.pointer+"/links/"+name, "links.%s does not match value %s", name, r.idString())
			}
		}
		r.links = links
		return c.setValue(r, r.attrs["stringValue"], in)
	}
	return k
}

// createValue sets a value through POST: every link is required, the record must be
// the collection's for that matter, and under "lazy" the value must not exist yet.
func (c *restCall) createValue(k *kind, in *item) (*record, error) {
	req := newRecord(k, "")
	if err := c.apply(req, in, onCreate); err != nil {
		return nil, err
	}
	for _, l := range k.links {
		if req.links[l.name] == nil {
			return nil, errInvalid(in.pointer+"/links/"+l.name, "links.%s is required", l.name)
		}
	}
	dc, fieldID := req.links["dataCollection"].(string), req.links["dataCollectionField"].(string)
	if !strings.HasPrefix(fieldID, dc+"--") {
		return nil, errInvalid(in.pointer+"/links/dataCollectionField", "Field %s is not in data collection %s", fieldID, dc)
	}
	rec, f := c.org.lookup(kDataRecords, req.links["dataCollectionRecord"].(string)), c.org.lookup(kDataFields, fieldID)
	if rec == nil || f == nil || rec.links["dataCollection"] != dc || rec.links["action"] != req.links["action"] {
		return nil, errInvalid(in.pointer+"/links", "Record %v is not a record of data collection %s for action %v",
			req.links["dataCollectionRecord"], dc, req.links["action"])
	}
	if c.lazyValues() && c.org.valueExists(rec, f) {
		return nil, errInvalid(in.pointer, "Value %s--%s already exists; update it with PUT", fieldID, rec.idString())
	}
	r := valueRecord(k, c.org, rec, f)
	return r, c.setValue(r, req.attrs["stringValue"], in)
}

// valueExists reports whether field f of record rec has a value: always
// under the "withRecord" reading, once set under "lazy".
func (o *org) valueExists(rec, f *record) bool {
	if o.readings == nil || o.readings.Values != "lazy" {
		return true
	}
	_, ok := o.values[valueKey{rec.id.(int), f.str("name")}]
	return ok
}

// valueRecord derives the value of field f on data collection record rec.
func valueRecord(k *kind, o *org, rec, f *record) *record {
	name := f.str("name")
	r := newRecord(k, f.idString()+"--"+rec.idString())
	if v := o.values[valueKey{rec.id.(int), name}]; v != nil && v.value != nil {
		r.attrs["stringValue"] = *v.value
	}
	r.links["action"] = rec.links["action"]
	r.links["dataCollectionField"] = f.idString()
	r.links["dataCollectionRecord"] = rec.idString()
	r.links["dataCollection"] = rec.links["dataCollection"]
	return r
}

// setValue validates and stores a value. stringValue is required, null
// clearing it (reference §3.5: the spec marks it required).
func (c *restCall) setValue(r *record, v any, in *item) error {
	ptr := in.pointer + "/stringValue"
	if !in.has("stringValue") {
		return errInvalid(ptr, "stringValue is required")
	}
	f := c.org.lookup(kDataFields, r.links["dataCollectionField"].(string))
	s, _ := v.(string)
	if v != nil {
		if err := checkDataValue(f.str("dataType"), s); err != nil {
			return errInvalid(ptr, "'%s' is not a valid %s value: %v", s, f.str("dataType"), err)
		}
	}
	recID, _ := strconv.Atoi(r.links["dataCollectionRecord"].(string))
	sv := &storedValue{modifiedAt: c.now}
	if v != nil {
		sv.value = &s
	}
	c.org.values[valueKey{recID, f.str("name")}] = sv
	r.attrs["stringValue"] = v
	c.emit("DataCollectionRecordValueUpdated", r)
	return nil
}

// checkDataValue checks a value against its field's type. Every type is
// sent as a string (reference §3.5); simulator choice: the formats below
// are enforced, other types take any text.
func checkDataValue(dataType, s string) error {
	var err error
	switch dataType {
	case "Number", "Money":
		_, err = strconv.ParseFloat(s, 64)
	case "Boolean":
		if s != "T" && s != "F" {
			err = fmt.Errorf("use T or F")
		}
	case "Date", "DateNM":
		_, err = time.Parse(time.DateOnly, s)
	case "DateTime", "DateTimeNM":
		if _, err = time.Parse(time.RFC3339, s); err != nil {
			_, err = time.Parse(time.DateTime, s)
		}
	case "Str255", "Str255Protected":
		if utf8.RuneCountInString(s) > 255 {
			err = fmt.Errorf("longer than 255 characters")
		}
	}
	return err
}
