package actionstepsim

// dataTypes are the data collection field types (reference §3.5).
var dataTypes = []string{
	"Appointment", "AutoNumber", "AutoNumberDC", "Boolean", "Date", "DateNM", "DateTime", "DateTimeNM", "DropDown",
	"DropDownMulti", "HtmlReadOnly", "Money", "Number", "Participant", "Str255", "Str255Protected", "TextArea",
}

// dataCollectionsKind is custom data collections, one set per matter type
// (reference §3.5): GET, POST, PUT, DELETE at the plural paths the real
// API uses (the spec's singular paths are a known defect).
func dataCollectionsKind() *kind {
	k := &kind{name: kDataCollections, fields: []field{
		{name: "name", access: writable},
		{name: "description", access: writable},
		{name: "multipleRecords", typ: tFlag, access: writable},
		{name: "order", typ: tInt, access: writable},
		{name: "label", access: writable},
		{name: "alwaysShowDescriptions", typ: tFlag, access: writable},
	}, links: []linkDef{
		{name: "actionType", target: kActionTypes, access: writable},
	}}
	k.rows = stored(k.name)
	k.create = func(c *restCall, in *item) (*record, error) {
		r := newRecord(k, 0)
		r.attrs["multipleRecords"], r.attrs["order"], r.attrs["alwaysShowDescriptions"] = "F", 0, "F"
		if err := c.apply(r, in, onCreate); err != nil {
			return nil, err
		}
		if r.attrs["label"] == nil {
			r.attrs["label"] = r.attrs["name"]
		}
		if err := c.checkCollection(r, in); err != nil {
			return nil, err
		}
		r.id = c.org.nextID(k.name)
		c.org.insert(r)
		return r, nil
	}
	k.update = func(c *restCall, r *record, in *item) error {
		old := r.links["actionType"]
		if err := c.apply(r, in, onUpdate); err != nil {
			return err
		}
		if r.links["actionType"] != old && len(c.collectionRecords(r.idString())) > 0 {
			return errInvalid(in.pointer+"/links/actionType", "The matter type of a data collection with records cannot change")
		}
		return c.checkCollection(r, in)
	}
	k.remove = func(c *restCall, r *record) error {
		// Simulator choice: deleting a collection deletes its fields,
		// records and values, as deleting it in the UI does.
		for _, rec := range c.collectionRecords(r.idString()) {
			c.deleteDataRecord(rec)
		}
		for _, f := range c.collectionFields(r.idString()) {
			c.org.delete(f)
		}
		c.org.delete(r)
		return nil
	}
	return k
}

// checkCollection enforces name, description and matter type, and a name
// unique per matter type (simulator choice).
func (c *restCall) checkCollection(r *record, in *item) error {
	switch {
	case !fieldNamePattern.MatchString(r.str("name")):
		return errInvalid(in.pointer+"/name", "name is required: letters, digits and '_', starting with a letter")
	case r.str("description") == "":
		return errInvalid(in.pointer+"/description", "description is required")
	case r.links["actionType"] == nil:
		return errInvalid(in.pointer+"/links/actionType", "links.actionType is required")
	}
	for _, o := range c.org.tables[kDataCollections] {
		if o.idString() != r.idString() && o.links["actionType"] == r.links["actionType"] && o.str("name") == r.str("name") {
			return errInvalid(in.pointer+"/name", "Matter type %v already has a data collection named '%s'", r.links["actionType"], r.str("name"))
		}
	}
	return nil
}

func (c *restCall) collectionFields(dc string) []*record {
	var out []*record
	for _, f := range c.org.tables[kDataFields] {
		if f.links["dataCollection"] == dc {
			out = append(out, f)
		}
	}
	return out
}

func (c *restCall) collectionRecords(dc string) []*record {
	var out []*record
	for _, r := range c.org.tables[kDataRecords] {
		if r.links["dataCollection"] == dc {
			out = append(out, r)
		}
	}
	return out
}

// dataFieldsKind is the fields of a collection (reference §3.5); id
// "<dataCollection>--<name>", and the name cannot change.
func dataFieldsKind() *kind {
	k := &kind{name: kDataFields, fields: []field{
		{name: "name", access: onCreate},
		{name: "dataType", typ: tEnum, enum: dataTypes, access: writable},
		{name: "label", access: writable},
		{name: "formOrder", typ: tInt, access: writable},
		{name: "listOrder", typ: tInt, access: writable},
		{name: "required", typ: tFlag, access: writable},
		{name: "description", access: writable},
		{name: "customHtmlBelow", access: writable},
		{name: "customHtmlAbove", access: writable},
	}, links: []linkDef{
		{name: "dataCollection", target: kDataCollections, access: onCreate},
		{name: "tag", target: "tags", access: writable},
	}}
	k.rows = stored(k.name)
	k.create = func(c *restCall, in *item) (*record, error) { return c.createDataField(k, in) }
	k.update = updateDataField
	k.remove = removeDataField
	return k
}

// createDataField adds a field to a collection: its name is checked and
// unique in the collection; its orders follow the collection's last
// field, and its label is its name, unless given.
func (c *restCall) createDataField(k *kind, in *item) (*record, error) {
	r := newRecord(k, "")
	r.attrs["required"] = "F"
	if err := c.apply(r, in, onCreate); err != nil {
		return nil, err
	}
	dc, name := r.links["dataCollection"], r.str("name")
	switch {
	case !fieldNamePattern.MatchString(name):
		return nil, errInvalid(in.pointer+"/name", "name is required: letters, digits and '_', starting with a letter")
	case r.attrs["dataType"] == nil:
		return nil, errInvalid(in.pointer+"/dataType", "dataType is required")
	case dc == nil:
		return nil, errInvalid(in.pointer+"/links/dataCollection", "links.dataCollection is required")
	}
	r.id = dc.(string) + "--" + name
	if c.org.lookup(k.name, r.idString()) != nil {
		return nil, errInvalid(in.pointer+"/name", "Data collection %s already has a field named '%s'", dc, name)
	}
	order := 10 * (len(c.collectionFields(dc.(string))) + 1)
	for _, f := range []string{"formOrder", "listOrder"} {
		if r.attrs[f] == nil {
			r.attrs[f] = order
		}
	}
	if r.attrs["label"] == nil {
		r.attrs["label"] = name
	}
	c.org.insert(r)
	return r, nil
}

// updateDataField changes a field; its dataType cannot be cleared.
func updateDataField(c *restCall, r *record, in *item) error {
	if err := c.apply(r, in, onUpdate); err != nil {
		return err
	}
	if r.attrs["dataType"] == nil {
		return errInvalid(in.pointer+"/dataType", "dataType must not be null")
	}
	return nil
}

// removeDataField deletes a field and its values in every record of the
// collection.
func removeDataField(c *restCall, r *record) error {
	for _, rec := range c.collectionRecords(r.links["dataCollection"].(string)) {
		delete(c.org.values, valueKey{rec.id.(int), r.str("name")})
	}
	c.org.delete(r)
	return nil
}

// dataRecordsKind is a matter's record of a collection (reference §3.5):
// GET, POST, DELETE. A single-record collection takes one per matter.
func dataRecordsKind() *kind {
	k := &kind{name: kDataRecords, fields: []field{
		{name: "canWrite", typ: tFlag},
		{name: "canDelete", typ: tFlag},
	}, links: []linkDef{
		{name: "action", target: kActions, access: onCreate},
		{name: "dataCollection", target: kDataCollections, access: onCreate},
	}}
	k.rows = stored(k.name)
	k.create = func(c *restCall, in *item) (*record, error) {
		r := newRecord(k, 0)
		r.attrs["canWrite"], r.attrs["canDelete"] = "T", "T"
		if err := c.apply(r, in, onCreate); err != nil {
			return nil, err
		}
		a, dc := r.links["action"], r.links["dataCollection"]
		if a == nil || dc == nil {
			return nil, errInvalid(in.pointer+"/links", "links.action and links.dataCollection are required")
		}
		action, coll := c.org.lookup(kActions, a.(string)), c.org.lookup(kDataCollections, dc.(string))
		if action.links["actionType"] != coll.links["actionType"] {
			return nil, errInvalid(in.pointer+"/links/dataCollection",
				"Data collection %s belongs to matter type %v, action %s is of type %v", dc, coll.links["actionType"], a, action.links["actionType"])
		}
		if coll.str("multipleRecords") != "T" {
			for _, o := range c.collectionRecords(dc.(string)) {
				if o.links["action"] == a {
					return nil, errInvalid(in.pointer, "Action %s already has a record %s of single-record data collection %s", a, o.idString(), dc)
				}
			}
		}
		r.id = c.org.nextID(k.name)
		c.org.insert(r)
		return r, nil
	}
	k.remove = func(c *restCall, r *record) error {
		c.deleteDataRecord(r)
		c.emit("DataCollectionRecordDeleted", r)
		return nil
	}
	return k
}

// deleteDataRecord removes a record and its values.
func (c *restCall) deleteDataRecord(r *record) {
	id := r.id.(int)
	for key := range c.org.values {
		if key.record == id {
			delete(c.org.values, key)
		}
	}
	c.org.delete(r)
}
