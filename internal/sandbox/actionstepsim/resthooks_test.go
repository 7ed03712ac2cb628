package actionstepsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hookReceiver records deliveries and answers with the next status.
type hookReceiver struct {
	mu       sync.Mutex
	statuses []int
	bodies   []map[string]any
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bodies = append(h.bodies, m)
	status := http.StatusOK
	if len(h.statuses) > 0 {
		status, h.statuses = h.statuses[0], h.statuses[1:]
	}
	w.WriteHeader(status)
}

func (h *hookReceiver) received() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any{}, h.bodies...)
}

func TestResthooks(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	recv := &hookReceiver{statuses: []int{http.StatusOK, http.StatusInternalServerError}}
	target := httptest.NewServer(recv)
	t.Cleanup(target.Close)

	hook := h.create(tok, kResthooks, map[string]any{"eventName": "ParticipantCreated", "targetUrl": target.URL + "/hooks/actionstep?token=s3cret"})
	assert.Equal(t, "Active", hook["status"])
	assert.Equal(t, float64(0), hook["triggeredCount"])
	h.create(tok, kResthooks, map[string]any{"eventName": "FileNoteCreated", "targetUrl": target.URL + "/notes", "status": "Disabled"})
	h.api(tok, http.MethodPost, "rest/resthooks", map[string]any{"resthooks": map[string]any{"eventName": "Nope", "targetUrl": target.URL}}).
		requireError(t, 400, codeInvalidRequest)
	h.api(tok, http.MethodPost, "rest/resthooks", map[string]any{"resthooks": map[string]any{"eventName": "ParticipantCreated", "targetUrl": "ftp://x"}}).
		requireError(t, 400, codeInvalidRequest)

	c := h.company(tok, "Acme", "loc_1")
	require.Eventually(t, func() bool { return len(recv.received()) == 1 }, 5*time.Second, 5*time.Millisecond)
	got := recv.received()[0]
	data := obj(t, got["data"])
	assert.Equal(t, "participants", data["type"])
	assert.Equal(t, id(c["id"]), data["id"])
	assert.Equal(t, "Acme", obj(t, data["attributes"])["companyName"])
	assert.NotContains(t, obj(t, data["attributes"]), "id")
	rh := obj(t, obj(t, obj(t, got["meta"])["debug"])["resthook"])
	assert.Equal(t, map[string]any{"id": id(hook["id"]), "target": target.URL + "/hooks/actionstep?token=s3cret", "trigger_count": float64(1),
		"event_name": "ParticipantCreated", "resource_type": "participants", "resource_id": id(c["id"])}, rh)

	h.company(tok, "Beta", "loc_2") // answered with 500: the hook is disabled
	require.Eventually(t, func() bool {
		hooks := h.orgState().Resthooks
		return hooks[0].Status == "Disabled"
	}, 5*time.Second, 5*time.Millisecond)
	h.company(tok, "Gamma", "loc_3")
	m := h.matter(tok, "M", c["id"])
	h.create(tok, kFileNotes, map[string]any{"text": "x", "links": map[string]any{"action": m["id"]}})
	st := h.orgState()
	assert.Equal(t, Resthook{ID: int(hook["id"].(float64)), EventName: "ParticipantCreated", TargetURL: target.URL + "/hooks/actionstep?token=s3cret",
		Status: "Disabled", TriggeredCount: 2}, st.Resthooks[0])
	require.Len(t, st.HookDeliveries, 2)
	assert.Equal(t, http.StatusInternalServerError, st.HookDeliveries[1].Status)
	assert.Equal(t, "participants", st.HookDeliveries[1].ResourceType)
	assert.Len(t, recv.received(), 2, "disabled hooks get nothing")

	reactivated := h.api(tok, http.MethodPut, "rest/resthooks/"+id(hook["id"]), map[string]any{"resthooks": map[string]any{"status": "Active"}})
	assert.Equal(t, "Active", obj(t, reactivated.requireStatus(t, 200).doc(t)["resthooks"])["status"])
	h.api(tok, http.MethodDelete, "rest/resthooks/"+id(hook["id"]), nil).requireStatus(t, http.StatusNoContent)
}

func TestHookEvents(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	recv := &hookReceiver{}
	target := httptest.NewServer(recv)
	t.Cleanup(target.Close)
	for _, ev := range HookEvents {
		h.create(tok, kResthooks, map[string]any{"eventName": ev, "targetUrl": target.URL})
	}
	c := h.company(tok, "Acme", "loc_1")
	h.api(tok, http.MethodPut, "rest/participants/"+id(c["id"]), map[string]any{"participants": map[string]any{"email": "a@b.example"}}).requireStatus(t, 200)
	m := h.matter(tok, "M", c["id"])
	h.api(tok, http.MethodPut, "rest/actions/"+id(m["id"]), map[string]any{"actions": map[string]any{"status": "Closed"}}).requireStatus(t, 200)
	n := h.create(tok, kFileNotes, map[string]any{"text": "x", "links": map[string]any{"action": m["id"]}})
	h.api(tok, http.MethodPut, "rest/filenotes/"+id(n["id"]), map[string]any{"filenotes": map[string]any{"text": "y"}}).requireStatus(t, 200)
	rec := h.create(tok, kDataRecords, map[string]any{"links": map[string]any{"action": m["id"], "dataCollection": h.org.DataCollectionID}})
	vid := id(float64(h.org.DataCollectionID)) + "--plan--" + id(rec["id"])
	h.api(tok, http.MethodPut, "rest/datacollectionrecordvalues/"+vid, map[string]any{"datacollectionrecordvalues": map[string]any{"stringValue": "Pro"}}).
		requireStatus(t, 200)
	h.api(tok, http.MethodDelete, "rest/datacollectionrecords/"+id(rec["id"]), nil).requireStatus(t, http.StatusNoContent)
	ap := id(m["id"]) + "--" + id(float64(h.org.ClientParticipantTypeID)) + "--" + id(c["id"])
	h.api(tok, http.MethodDelete, "rest/actionparticipants/"+ap, nil).requireStatus(t, http.StatusNoContent)

	want := []string{"ParticipantCreated", "ParticipantUpdated", "ActionCreated", "ActionParticipantAdded", "ActionUpdated",
		"FileNoteCreated", "FileNoteUpdated", "DataCollectionRecordValueUpdated", "DataCollectionRecordDeleted", "ActionParticipantDeleted"}
	var got []string
	require.Eventually(t, func() bool {
		got = got[:0]
		for _, b := range recv.received() {
			got = append(got, obj(t, obj(t, obj(t, b["meta"])["debug"])["resthook"])["event_name"].(string))
		}
		return len(got) == len(want)
	}, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, want, got, "every simulated event fires once, in order")
}
