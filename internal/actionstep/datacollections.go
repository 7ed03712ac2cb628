package actionstep

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Custom-data endpoint templates (reference §3.5). Collections and fields are defined once
// per matter type in Actionstep's UI; records and values hold one matter's data.
const (
	EndpointListDataCollections             = "GET /datacollections"
	EndpointCreateDataCollection            = "POST /datacollections"
	EndpointCreateDataCollectionField       = "POST /datacollectionfields"
	EndpointGetDataCollection               = "GET /datacollections/{id}"
	EndpointListDataCollectionFields        = "GET /datacollectionfields"
	EndpointGetDataCollectionField          = "GET /datacollectionfields/{id}"
	EndpointListDataCollectionRecords       = "GET /datacollectionrecords"
	EndpointGetDataCollectionRecord         = "GET /datacollectionrecords/{id}"
	EndpointCreateDataCollectionRecord      = "POST /datacollectionrecords"
	EndpointListDataCollectionRecordValues  = "GET /datacollectionrecordvalues"
	EndpointGetDataCollectionRecordValue    = "GET /datacollectionrecordvalues/{id}"
	EndpointCreateDataCollectionRecordValue = "POST /datacollectionrecordvalues"
	EndpointUpdateDataCollectionRecordValue = "PUT /datacollectionrecordvalues/{id}"
	// EndpointUpdateDataCollectionRecordValues is the bulk update, several ids joined by commas.
	EndpointUpdateDataCollectionRecordValues = "PUT /datacollectionrecordvalues/{ids}"
)

// DataCollection is a set of custom fields attached to a matter type.
type DataCollection struct {
	ID                     ID     `json:"id"`
	Name                   string `json:"name"`
	Label                  string `json:"label"`
	Description            string `json:"description"`
	MultipleRecords        Bool   `json:"multipleRecords"`
	Order                  Int    `json:"order"`
	AlwaysShowDescriptions Bool   `json:"alwaysShowDescriptions"`
	Links                  struct {
		ActionType ID `json:"actionType"`
	} `json:"links"`
}

// ListDataCollections queries collections, e.g. Eq("actionType", id) and Eq("name", "…").
func (c *Client) ListDataCollections(ctx context.Context, q Query) (*Page[DataCollection], error) {
	return getPage[DataCollection](ctx, c, EndpointListDataCollections, resDataCollections, q)
}

// GetDataCollection reads one collection.
func (c *Client) GetDataCollection(ctx context.Context, id ID) (*DataCollection, error) {
	return getOne[DataCollection](ctx, c, EndpointGetDataCollection, resDataCollections, id)
}

// NewDataCollection is the body of a collection create: a set of custom fields on the
// matters of one matter type.
type NewDataCollection struct {
	Name            string `json:"name"` // letters, digits and _
	Label           string `json:"label,omitempty"`
	Description     string `json:"description"` // required
	MultipleRecords Bool   `json:"multipleRecords"`
	Links           struct {
		ActionType ID `json:"actionType"`
	} `json:"links"`
}

// CreateDataCollection creates a data collection. POST is not idempotent: list first.
func (c *Client) CreateDataCollection(ctx context.Context, d NewDataCollection) (*DataCollection, error) {
	return create[DataCollection](ctx, c, EndpointCreateDataCollection, resDataCollections, d)
}

// DataCollectionField is one custom field; its id is "<dataCollection>--<name>".
type DataCollectionField struct {
	ID          ID     `json:"id"`
	Name        string `json:"name"`
	Label       string `json:"label"`
	DataType    string `json:"dataType"` // Str255, Number, Money, Date, DropDown, Boolean, …
	Description string `json:"description"`
	Required    Bool   `json:"required"`
	FormOrder   Int    `json:"formOrder"`
	ListOrder   Int    `json:"listOrder"`
	Links       struct {
		DataCollection ID `json:"dataCollection"`
		Tag            ID `json:"tag"`
	} `json:"links"`
}

// ListDataCollectionFields queries fields, e.g. Eq("dataCollection", id).
func (c *Client) ListDataCollectionFields(ctx context.Context, q Query) (*Page[DataCollectionField], error) {
	return getPage[DataCollectionField](ctx, c, EndpointListDataCollectionFields, resDataCollectionFields, q)
}

// NewDataCollectionField is the body of a field create. The name cannot change later.
type NewDataCollectionField struct {
	Name        string `json:"name"`
	Label       string `json:"label,omitempty"`
	DataType    string `json:"dataType"` // Str255, DateTime, Number, …
	Description string `json:"description,omitempty"`
	Links       struct {
		DataCollection ID `json:"dataCollection"`
	} `json:"links"`
}

// CreateDataCollectionField adds a field to a collection. POST is not idempotent: list first.
func (c *Client) CreateDataCollectionField(ctx context.Context, f NewDataCollectionField) (*DataCollectionField, error) {
	return create[DataCollectionField](ctx, c, EndpointCreateDataCollectionField, resDataCollectionFields, f)
}

// GetDataCollectionField reads one field (see DataCollectionFieldID).
func (c *Client) GetDataCollectionField(ctx context.Context, id ID) (*DataCollectionField, error) {
	return getOne[DataCollectionField](ctx, c, EndpointGetDataCollectionField, resDataCollectionFields, id)
}

// DataCollectionRecord is one matter's row of a collection.
type DataCollectionRecord struct {
	ID        ID   `json:"id"`
	CanWrite  Bool `json:"canWrite"`
	CanDelete Bool `json:"canDelete"`
	Links     struct {
		Action         ID `json:"action"`
		DataCollection ID `json:"dataCollection"`
	} `json:"links"`
}

// ListDataCollectionRecords queries records; a matter's record of a single-record collection
// is Eq("action", matter) with Eq("dataCollection", collection), and an empty page means
// there is none yet.
func (c *Client) ListDataCollectionRecords(ctx context.Context, q Query) (*Page[DataCollectionRecord], error) {
	return getPage[DataCollectionRecord](ctx, c, EndpointListDataCollectionRecords, resDataCollectionRecords, q)
}

// GetDataCollectionRecord reads one record.
func (c *Client) GetDataCollectionRecord(ctx context.Context, id ID) (*DataCollectionRecord, error) {
	return getOne[DataCollectionRecord](ctx, c, EndpointGetDataCollectionRecord, resDataCollectionRecords, id)
}

// CreateDataCollectionRecord creates the record of a collection for a matter. POST is not
// idempotent: list first, and again before retrying a create whose outcome is unknown.
func (c *Client) CreateDataCollectionRecord(ctx context.Context, action, dataCollection ID) (*DataCollectionRecord, error) {
	body := linksOnly{Links: map[string]ID{"action": action, "dataCollection": dataCollection}}
	return create[DataCollectionRecord](ctx, c, EndpointCreateDataCollectionRecord, resDataCollectionRecords, body)
}

// DataCollectionRecordValue is one field's value in one record; its id is
// "<dataCollection>--<fieldName>--<record>" (DataCollectionRecordValueID). Every data type
// travels as a string; StringValue is nil when the field is empty.
type DataCollectionRecordValue struct {
	ID                    ID      `json:"id"`
	StringValue           *string `json:"stringValue"`
	LastModifiedTimestamp string  `json:"last_modified_time_stamp"`
	LastModifiedByUserID  ID      `json:"last_modified_by_user_id"`
	Links                 struct {
		Action               ID `json:"action"`
		DataCollection       ID `json:"dataCollection"`
		DataCollectionField  ID `json:"dataCollectionField"`
		DataCollectionRecord ID `json:"dataCollectionRecord"`
	} `json:"links"`
}

// Value returns the value, "" when empty.
func (v DataCollectionRecordValue) Value() string {
	if v.StringValue == nil {
		return ""
	}
	return *v.StringValue
}

// ListDataCollectionRecordValues queries values, e.g. Eq("action", matter) with Include:
// "dataCollectionField" to side-load the field definitions.
func (c *Client) ListDataCollectionRecordValues(ctx context.Context, q Query) (*Page[DataCollectionRecordValue], error) {
	return getPage[DataCollectionRecordValue](ctx, c, EndpointListDataCollectionRecordValues, resDataCollectionRecordValues, q)
}

// GetDataCollectionRecordValue reads one value.
func (c *Client) GetDataCollectionRecordValue(ctx context.Context, id ID) (*DataCollectionRecordValue, error) {
	return getOne[DataCollectionRecordValue](ctx, c, EndpointGetDataCollectionRecordValue, resDataCollectionRecordValues, id)
}

// NewDataCollectionRecordValue is the body of a value create; every link is required.
type NewDataCollectionRecordValue struct {
	StringValue          string
	Action               ID
	DataCollection       ID
	DataCollectionRecord ID
	FieldName            string // the field's name; its id is derived from DataCollection
}

// CreateDataCollectionRecordValue sets a value that does not exist yet. Values may be
// materialised as soon as their record exists, so prefer UpdateDataCollectionRecordValue and
// fall back to this on a 404 (reference §3.5).
func (c *Client) CreateDataCollectionRecordValue(ctx context.Context, v NewDataCollectionRecordValue) (*DataCollectionRecordValue, error) {
	body := struct {
		StringValue string        `json:"stringValue"`
		Links       map[string]ID `json:"links"`
	}{v.StringValue, map[string]ID{
		"action":               v.Action,
		"dataCollection":       v.DataCollection,
		"dataCollectionField":  DataCollectionFieldID(v.DataCollection, v.FieldName),
		"dataCollectionRecord": v.DataCollectionRecord,
	}}
	return create[DataCollectionRecordValue](ctx, c, EndpointCreateDataCollectionRecordValue, resDataCollectionRecordValues, body)
}

// UpdateDataCollectionRecordValue sets one value; "" clears it. It sets state, so repeating it
// is harmless.
func (c *Client) UpdateDataCollectionRecordValue(ctx context.Context, id ID, value string) (*DataCollectionRecordValue, error) {
	body := struct {
		StringValue string `json:"stringValue"`
	}{value}
	return update[DataCollectionRecordValue](ctx, c, EndpointUpdateDataCollectionRecordValue, http.MethodPut, resDataCollectionRecordValues, id, body)
}

// UpdateDataCollectionRecordValues sets several values, by value id, in one request:
// PUT /datacollectionrecordvalues/{id1},{id2},… with an array body in the same order. The ids
// are sent sorted, so the same map always makes the same request. It returns the records the
// reply holds, which need not be one per id: the bulk reply's shape is not documented, and a
// 2xx means the write landed. An empty map sends nothing.
//
// Values may not exist until created (a 404 then; see CreateDataCollectionRecordValue). The
// API documents no atomicity: after an error some of the values may have been set. Like the
// single update it sets state, so repeating it is harmless.
func (c *Client) UpdateDataCollectionRecordValues(ctx context.Context, values map[ID]string) ([]DataCollectionRecordValue, error) {
	if len(values) == 0 {
		return nil, nil
	}
	type valueBody struct {
		StringValue string `json:"stringValue"`
	}
	ids := slices.Sorted(maps.Keys(values))
	segments := make([]string, len(ids))
	bodies := make([]valueBody, len(ids))
	for i, id := range ids {
		seg, err := idSegment(id)
		if err != nil {
			return nil, endpointError(EndpointUpdateDataCollectionRecordValues, err)
		}
		segments[i], bodies[i] = seg, valueBody{values[id]}
	}
	r := request{
		endpoint: EndpointUpdateDataCollectionRecordValues, method: http.MethodPut,
		path: resDataCollectionRecordValues + "/" + strings.Join(segments, ","),
		body: envelope(resDataCollectionRecordValues, bodies),
	}
	res, err := c.rest(ctx, r)
	if err != nil {
		return nil, err
	}
	page, err := decodePage[DataCollectionRecordValue](res.Body, resDataCollectionRecordValues)
	if err != nil {
		return nil, decodeError(r.endpoint, res.Status, err)
	}
	return page.Items, nil
}
