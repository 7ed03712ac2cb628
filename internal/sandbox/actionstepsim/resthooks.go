package actionstepsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// HookEvents are the REST hook events the simulator raises (reference
// §4.2); others documented there are accepted on registration but never
// fire.
var HookEvents = []string{
	"ParticipantCreated", "ParticipantUpdated", "ActionCreated", "ActionUpdated",
	"ActionParticipantAdded", "ActionParticipantDeleted", "FileNoteCreated", "FileNoteUpdated",
	"DataCollectionRecordValueUpdated", "DataCollectionRecordDeleted",
}

// hookEventNames is every event name a hook may register for.
var hookEventNames = append([]string{
	"ActionDocumentCreated", "ActionDocumentUpdated", "ActionDocumentDeleted", "DataCollectionRecordUpdated",
	"DisbursementCreated", "DisbursementUpdated", "StepChanged", "TaskCreated", "TaskUpdated",
	"TimeEntryCreated", "TimeEntryUpdated",
}, HookEvents...)

// resthooksKind registers webhooks (reference §4.1): GET, POST, PUT, DELETE.
func resthooksKind() *kind {
	k := &kind{name: kResthooks, fields: []field{
		{name: "eventName", typ: tEnum, enum: hookEventNames, access: writable},
		{name: "targetUrl", access: writable},
		{name: "status", typ: tEnum, enum: []string{"Active", "Disabled", "Deleted"}, access: writable},
		{name: "triggeredCount", typ: tInt},
		{name: "triggeredLastTimestamp", typ: tTimestamp},
	}}
	k.rows = stored(k.name)
	k.create = func(c *restCall, in *item) (*record, error) {
		r := newRecord(k, 0)
		r.attrs["status"], r.attrs["triggeredCount"] = "Active", 0
		if err := c.apply(r, in, onCreate); err != nil {
			return nil, err
		}
		if err := checkHook(r, in); err != nil {
			return nil, err
		}
		r.id = c.org.nextID(k.name)
		c.org.insert(r)
		return r, nil
	}
	k.update = func(c *restCall, r *record, in *item) error {
		if err := c.apply(r, in, onUpdate); err != nil {
			return err
		}
		return checkHook(r, in)
	}
	k.remove = removeStored
	return k
}

func checkHook(r *record, in *item) error {
	if r.attrs["eventName"] == nil {
		return errInvalid(in.pointer+"/eventName", "eventName is required")
	}
	if r.attrs["status"] == nil {
		return errInvalid(in.pointer+"/status", "status must not be null")
	}
	u, err := url.Parse(r.str("targetUrl"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errInvalid(in.pointer+"/targetUrl", "targetUrl must be an absolute http(s) URL")
	}
	return nil
}

// HookDelivery is one POST of a REST hook event to its target.
type HookDelivery struct {
	HookID       int       `json:"hookId"`
	EventName    string    `json:"eventName"`
	ResourceType string    `json:"resourceType"`
	ResourceID   string    `json:"resourceId"`
	TargetURL    string    `json:"targetUrl"`
	Status       int       `json:"status"` // HTTP status; 0 when the request failed
	Error        string    `json:"error,omitempty"`
	Time         time.Time `json:"time"`
}

// hookJob is a delivery to make.
type hookJob struct {
	hook    *record
	target  string
	payload []byte
	ev      event
}

// deliverHooks queues the events for the organisation's active hooks for
// them. Deliveries run in the background, one at a time and in order, so
// a receiver sees events as they happened. Any reply but 200 disables the
// hook, as Actionstep does (reference §4.3). The payload carries both
// observed shapes (reference §4.4): data.{type,id,attributes} and
// meta.debug.resthook.
func (s *Server) deliverHooks(orgKey string, events []event) {
	if len(events) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.w.orgs[orgKey]
	now := s.now()
	for _, ev := range events {
		for _, h := range o.tables[kResthooks] {
			if h.str("status") != "Active" || h.str("eventName") != ev.name {
				continue
			}
			h.attrs["triggeredCount"] = h.num("triggeredCount") + 1
			h.attrs["triggeredLastTimestamp"] = s.timestamp(now)
			o.hookQueue = append(o.hookQueue, hookJob{hook: h, target: h.str("targetUrl"), payload: hookPayload(h, ev), ev: ev})
		}
	}
	if len(o.hookQueue) > 0 && !o.delivering {
		o.delivering = true
		go s.drainHooks(o)
	}
}

// drainHooks delivers an organisation's queued hook events until none
// are left.
func (s *Server) drainHooks(o *org) {
	for {
		s.mu.Lock()
		if len(o.hookQueue) == 0 {
			o.delivering = false
			s.mu.Unlock()
			return
		}
		j := o.hookQueue[0]
		o.hookQueue = o.hookQueue[1:]
		active := j.hook.str("status") == "Active" // a failure may have disabled it since
		s.mu.Unlock()
		if !active {
			continue
		}

		d := HookDelivery{
			HookID: j.hook.id.(int), EventName: j.ev.name, ResourceType: j.ev.resource, ResourceID: j.ev.id, TargetURL: j.target,
		}
		resp, err := s.hookClient.Post(j.target, mediaJSON, bytes.NewReader(j.payload))
		if err != nil {
			d.Error = err.Error()
		} else {
			d.Status = resp.StatusCode
			resp.Body.Close()
		}
		s.mu.Lock()
		d.Time = s.now()
		o.deliveries = append(o.deliveries, d)
		if d.Status != http.StatusOK {
			j.hook.attrs["status"] = "Disabled"
		}
		s.mu.Unlock()
		s.log.Info("rest hook delivered", zap.String("orgkey", o.key), zap.String("event", d.EventName), zap.Int("status", d.Status))
	}
}

func hookPayload(h *record, ev event) []byte {
	attrs := ordered{}
	var links any
	for _, m := range ev.data {
		switch m.key {
		case "id":
		case "links":
			links = m.val
		default:
			attrs = append(attrs, m)
		}
	}
	data := ordered{{"type", ev.resource}, {"id", ev.id}, {"attributes", attrs}}
	if links != nil {
		data = append(data, kv{"links", links})
	}
	b, _ := json.Marshal(ordered{
		{"data", data},
		{"meta", ordered{{"debug", ordered{{"resthook", ordered{
			{"id", strconv.Itoa(h.id.(int))}, {"target", h.str("targetUrl")}, {"trigger_count", h.num("triggeredCount")},
			{"event_name", ev.name}, {"resource_type", ev.resource}, {"resource_id", ev.id},
		}}}}}},
	})
	return b
}
