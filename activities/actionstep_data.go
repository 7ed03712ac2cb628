package activities

// *Actionstep: the matter's data record and its values, and file notes. Actionstep (actionstep.go) holds the Actionstep client, the token store, the field
// mapping, the configured setup names, the organisation's pacing and the audit log.

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/audit"
)

// RecordRef names the matter's record of the data collection.
type RecordRef struct {
	MatterID         string `json:"matterId"`
	DataCollectionID string `json:"dataCollectionId"`
}

// FindRecord finds the matter's record: GET /datacollectionrecords?action_eq=…&dataCollection_eq=…,
// every record checked.
func (a *Actionstep) FindRecord(ctx context.Context, in RecordRef) (Found, error) {
	records, err := actionstep.Collect(ctx, a.api().ListDataCollectionRecords, actionstep.Query{Filters: []actionstep.Filter{
		actionstep.Eq("action", in.MatterID), actionstep.Eq("dataCollection", in.DataCollectionID),
	}}, func(r actionstep.DataCollectionRecord) bool {
		return string(r.Links.Action) == in.MatterID && string(r.Links.DataCollection) == in.DataCollectionID
	})
	if err != nil || len(records) == 0 {
		return Found{}, classify(err)
	}
	return Found{ID: string(oldest(records, func(r actionstep.DataCollectionRecord) actionstep.ID { return r.ID }))}, nil
}

// CreateRecord creates the matter's record: POST /datacollectionrecords.
func (a *Actionstep) CreateRecord(ctx context.Context, in RecordRef) (string, error) {
	r, err := a.api().CreateDataCollectionRecord(ctx, actionstep.ID(in.MatterID), actionstep.ID(in.DataCollectionID))
	if err != nil {
		return "", a.refusedSetup(createFailure(err))
	}
	a.audited(ctx, audit.ActionCreated, audit.RecordDataRecord, string(r.ID), "")
	return string(r.ID), nil
}

// SubscriptionData is the subscription as the Actionstep side records it.
type SubscriptionData struct {
	SubscriptionID string    `json:"subscriptionId,omitempty"`
	CustomerID     string    `json:"customerId,omitempty"`
	PlanID         string    `json:"planId,omitempty"`
	PlanTitle      string    `json:"planTitle,omitempty"`
	Status         string    `json:"status,omitempty"`
	Paused         bool      `json:"paused,omitempty"`
	EventID        string    `json:"eventId,omitempty"`
	EventSource    string    `json:"eventSource,omitempty"`
	ChangedAt      time.Time `json:"changedAt,omitzero"`
}

// DataWrite writes the subscription into the matter's record.
type DataWrite struct {
	RecordRef
	RecordID     string           `json:"recordId"`
	Location     Location         `json:"location"`
	Subscription SubscriptionData `json:"subscription"`
}

// WriteSubscriptionData sets every mapped field: one bulk
// PUT /datacollectionrecordvalues/{id},{id}… when the values exist. Whether a new record's
// values exist before they are first set is not documented; when the PUT finds some
// missing (404) it updates the ones that exist and creates the others (POST). It sets
// state, so a retry is harmless.
func (a *Actionstep) WriteSubscriptionData(ctx context.Context, in DataWrite) error {
	data := a.Mapping.Data(in.Subscription.values(in.Location))
	if len(data) == 0 {
		return nil
	}
	api := a.api()
	_, err := api.UpdateDataCollectionRecordValues(ctx, in.valueIDs(data))
	if isStatus(err, http.StatusNotFound) {
		err = a.createMissingValues(ctx, api, in, data)
	}
	if err != nil {
		return classify(err)
	}
	a.audited(ctx, audit.ActionWritten, audit.RecordDataValues, in.RecordID, "")
	return nil
}

// valueIDs keys the values by value id.
func (in DataWrite) valueIDs(data map[string]string) map[actionstep.ID]string {
	values := make(map[actionstep.ID]string, len(data))
	for field, v := range data {
		values[in.valueID(field)] = v
	}
	return values
}

func (in DataWrite) valueID(field string) actionstep.ID {
	return actionstep.DataCollectionRecordValueID(actionstep.ID(in.DataCollectionID), field, actionstep.ID(in.RecordID))
}

// createMissingValues updates the values of the record that exist, in one request, and
// creates the others one by one. A create refused because the value appeared meanwhile
// (another writer) becomes an update.
func (a *Actionstep) createMissingValues(ctx context.Context, api *actionstep.Client, in DataWrite, data map[string]string) error {
	existing, err := actionstep.Collect(ctx, api.ListDataCollectionRecordValues, actionstep.Query{Filters: []actionstep.Filter{
		actionstep.Eq("dataCollectionRecord", in.RecordID),
	}}, func(v actionstep.DataCollectionRecordValue) bool {
		return string(v.Links.DataCollectionRecord) == in.RecordID
	})
	if err != nil {
		return err
	}
	update := map[actionstep.ID]string{}
	for _, v := range existing {
		for field, value := range data {
			if v.ID == in.valueID(field) {
				update[v.ID] = value
			}
		}
	}
	if _, err := api.UpdateDataCollectionRecordValues(ctx, update); err != nil {
		return err
	}
	for _, field := range slices.Sorted(maps.Keys(data)) {
		if _, ok := update[in.valueID(field)]; ok {
			continue
		}
		_, err := api.CreateDataCollectionRecordValue(ctx, actionstep.NewDataCollectionRecordValue{
			StringValue: data[field], Action: actionstep.ID(in.MatterID), DataCollection: actionstep.ID(in.DataCollectionID),
			DataCollectionRecord: actionstep.ID(in.RecordID), FieldName: field,
		})
		if isStatus(err, http.StatusBadRequest) || isStatus(err, http.StatusConflict) {
			_, err = api.UpdateDataCollectionRecordValue(ctx, in.valueID(field), data[field])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// isStatus reports an Actionstep answer with that status.
func isStatus(err error, status int) bool {
	var api *actionstep.APIError
	return errors.As(err, &api) && api.StatusCode == status
}

// Note is a file note on a matter. Marker is a unique token in the text (the event
// id) by which a note whose creation lost its answer is found again.
type Note struct {
	MatterID string `json:"matterId"`
	Text     string `json:"text"`
	Marker   string `json:"marker"`
}

// AddFileNote adds the note: POST /filenotes, one attempt. After any failure that is
// not a refusal, call FindFileNote before adding it again.
func (a *Actionstep) AddFileNote(ctx context.Context, in Note) (string, error) {
	n, err := a.api().CreateFileNote(ctx, actionstep.ID(in.MatterID), actionstep.NewNote{
		Text: in.Text, Source: actionstep.NoteSourceSystem,
	})
	if err != nil {
		return "", createFailure(err)
	}
	a.audited(ctx, audit.ActionCreated, audit.RecordFileNote, string(n.ID), "")
	return string(n.ID), nil
}

// FindFileNote reports whether a note with the marker exists on the matter:
// GET /filenotes?action_eq=…&text_ilike=*marker* ('*' is the documented wildcard), each
// note checked for the marker as a whole token, so the note of event evt_12 is not taken
// for evt_1's.
func (a *Actionstep) FindFileNote(ctx context.Context, in Note) (bool, error) {
	api := a.api()
	list := func(ctx context.Context, q actionstep.Query) (*actionstep.Page[actionstep.FileNote], error) {
		return api.ListFileNotes(ctx, actionstep.ID(in.MatterID), q)
	}
	notes, err := actionstep.Collect(ctx, list, actionstep.Query{Filters: []actionstep.Filter{actionstep.Containing("text", in.Marker)}},
		func(n actionstep.FileNote) bool {
			return string(n.Links.Action) == in.MatterID && HasMarker(n.Text, in.Marker)
		})
	if err != nil {
		return false, classify(err)
	}
	return len(notes) > 0, nil
}

// HasMarker reports whether text holds marker as a whole token: not as part of a longer
// id ("evt_1" is not in "[saasbridge evt_12]").
func HasMarker(text, marker string) bool {
	if marker == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(text[i:], marker)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(marker)
		if (start == 0 || !idChar(text[start-1])) && (end == len(text) || !idChar(text[end])) {
			return true
		}
		i = start + 1
	}
}

// idChar reports a byte that can continue an event id (letters, digits and the
// separators ids use).
func idChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
		strings.IndexByte("_-./:", b) >= 0 || b >= 0x80
}
