package actionstep

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Page is one answer of a collection query: the matching records of this page, the paging
// block, side-loaded records requested with Query.Include, and the link templates.
type Page[T any] struct {
	Items  []T
	Paging Paging
	Linked Linked
	// Links are the response's URL templates ("participants.division" → href, type). Their
	// hosts are garbled on the real API (reference §2.5 rule 4): never dereference them.
	Links map[string]LinkTemplate
}

// HasNext reports whether a later page exists (the API sends nextPage = null on the last).
func (p *Page[T]) HasNext() bool { return p.Paging.NextPage != "" }

// Paging is meta.paging.<resource>. Zero when the answer was 204 No Content.
type Paging struct {
	RecordCount Int
	PageCount   Int
	Page        Int
	PageSize    Int
	PrevPage    string // absolute URL, "" on the first page
	NextPage    string // absolute URL, "" on the last page
}

// UnmarshalJSON decodes the paging numbers tolerantly and the page URLs as string-or-null.
func (p *Paging) UnmarshalJSON(b []byte) error {
	var w struct {
		RecordCount Int `json:"recordCount"`
		PageCount   Int `json:"pageCount"`
		Page        Int `json:"page"`
		PageSize    Int `json:"pageSize"`
		PrevPage    ID  `json:"prevPage"`
		NextPage    ID  `json:"nextPage"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = Paging{w.RecordCount, w.PageCount, w.Page, w.PageSize, string(w.PrevPage), string(w.NextPage)}
	return nil
}

// LinkTemplate is one entry of a response's top-level links.
type LinkTemplate struct {
	Href string `json:"href"`
	Type string `json:"type"`
}

// Linked holds the side-loaded records of an include, by resource. Resources this client has
// no type for are ignored.
type Linked struct {
	Actions               OneOrMany[Action]               `json:"actions"`
	ActionTypes           OneOrMany[ActionType]           `json:"actiontypes"`
	Participants          OneOrMany[Participant]          `json:"participants"`
	ParticipantTypes      OneOrMany[ParticipantType]      `json:"participanttypes"`
	DataCollections       OneOrMany[DataCollection]       `json:"datacollections"`
	DataCollectionFields  OneOrMany[DataCollectionField]  `json:"datacollectionfields"`
	DataCollectionRecords OneOrMany[DataCollectionRecord] `json:"datacollectionrecords"`
}

// decodePage reads a response document whose records sit under the key resource. An empty
// body (204 No Content, the API's answer to "nothing matched") is an empty page.
func decodePage[T any](body []byte, resource string) (*Page[T], error) {
	page := &Page[T]{}
	if len(bytes.TrimSpace(body)) == 0 {
		return page, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, err
	}
	records, ok := top[resource]
	if !ok {
		return nil, fmt.Errorf("response has no %q key", resource)
	}
	var items OneOrMany[T]
	if err := json.Unmarshal(records, &items); err != nil {
		return nil, fmt.Errorf("%s: %w", resource, err)
	}
	page.Items = items
	if linked := top["linked"]; isObject(linked) {
		if err := json.Unmarshal(linked, &page.Linked); err != nil {
			return nil, fmt.Errorf("linked: %w", err)
		}
	}
	page.Links = decodeLinks(top["links"])
	paging, err := decodePaging(top["meta"], resource)
	if err != nil {
		return nil, err
	}
	page.Paging = paging
	return page, nil
}

// decodeOne reads a document that must hold exactly one record (a get, create or update).
func decodeOne[T any](body []byte, resource string) (*T, error) {
	page, err := decodePage[T](body, resource)
	if err != nil {
		return nil, err
	}
	return page.only(resource)
}

// only returns the page's single record.
func (p *Page[T]) only(resource string) (*T, error) {
	if len(p.Items) != 1 {
		return nil, fmt.Errorf("%w: want one %s record, got %d", errNoRecord, resource, len(p.Items))
	}
	return &p.Items[0], nil
}

// decodeLinks keeps the templates that have the documented shape and drops the rest: they
// are informational, and an odd entry must not fail the records they came with.
func decodeLinks(raw json.RawMessage) map[string]LinkTemplate {
	if !isObject(raw) {
		return nil
	}
	var entries map[string]json.RawMessage
	if json.Unmarshal(raw, &entries) != nil {
		return nil
	}
	links := make(map[string]LinkTemplate, len(entries))
	for k, v := range entries {
		var t LinkTemplate
		if isObject(v) && json.Unmarshal(v, &t) == nil {
			links[k] = t
		}
	}
	return links
}

// decodePaging reads meta.paging.<resource>; meta and paging may be absent or [].
func decodePaging(meta json.RawMessage, resource string) (Paging, error) {
	var p Paging
	if !isObject(meta) {
		return p, nil
	}
	var m struct {
		Paging json.RawMessage `json:"paging"`
	}
	if err := json.Unmarshal(meta, &m); err != nil || !isObject(m.Paging) {
		return p, err
	}
	var byResource map[string]json.RawMessage
	if err := json.Unmarshal(m.Paging, &byResource); err != nil {
		return p, err
	}
	if raw := byResource[resource]; isObject(raw) {
		if err := json.Unmarshal(raw, &p); err != nil {
			return p, fmt.Errorf("meta.paging.%s: %w", resource, err)
		}
	}
	return p, nil
}

// envelope wraps a request body in the resource-named key the API requires (reference §2.4).
func envelope(resource string, body any) map[string]any {
	return map[string]any{resource: body}
}
