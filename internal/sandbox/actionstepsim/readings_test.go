package actionstepsim

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withReadings is a harness whose simulator answers under r.
func withReadings(t *testing.T, r Readings) (*harness, tokenReply) {
	t.Helper()
	h := newHarness(t, Options{Readings: r})
	return h, h.login()
}

// records returns the records of a GET reply, one or many, none on 204.
func records(t *testing.T, r *httpReply, resource string) []map[string]any {
	t.Helper()
	if r.Status == http.StatusNoContent {
		return nil
	}
	r.requireStatus(t, http.StatusOK)
	switch v := r.doc(t)[resource].(type) {
	case []any:
		out := make([]map[string]any, 0, len(v))
		for _, e := range v {
			out = append(out, obj(t, e))
		}
		return out
	default:
		return []map[string]any{obj(t, v)}
	}
}

func TestReadingsParseAndAdmin(t *testing.T) {
	h := newHarness(t, Options{})
	ctx := t.Context()
	got, err := h.admin.Readings(ctx)
	require.NoError(t, err)
	assert.Equal(t, Readings{Values: "withRecord", Filters: "reject", FileReference: "copy", StartStep: "lenient", Wildcard: "any"}, got)

	got, err = h.admin.SetReadings(ctx, Readings{Values: "lazy"})
	require.NoError(t, err)
	assert.Equal(t, "lazy", got.Values)
	assert.Equal(t, "reject", got.Filters, "unset readings take the default")

	_, err = h.admin.SetReadings(ctx, Readings{Wildcard: "percent"})
	var ae *AdminError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.Contains(t, ae.Message, "wildcard must be one of any, star")

	got, err = h.admin.SetReadings(ctx, Hostile())
	require.NoError(t, err)
	assert.Equal(t, Readings{Values: "lazy", Filters: "ignore", FileReference: "autonumber", StartStep: "enforced", Wildcard: "star"}, got)

	hostile := Hostile()
	for _, name := range ReadingNames() {
		one, err := HostileOnly(name)
		require.NoError(t, err)
		assert.Equal(t, *hostile.fields()[name], *one.fields()[name], name)
	}
	_, err = HostileOnly("nope")
	assert.Error(t, err)
}

// Under "withRecord" a new record's values exist (null) and PUT sets them;
// under "lazy" they are 404 until POSTed, and a second POST is refused.
func TestReadingValues(t *testing.T) {
	for _, tc := range []struct {
		reading             string
		listed, putStatus   int
		secondPostRefused   bool
		valueAfterFirstPost string
	}{
		{reading: "withRecord", listed: 4, putStatus: http.StatusOK},
		{reading: "lazy", listed: 0, putStatus: http.StatusNotFound, secondPostRefused: true},
	} {
		t.Run(tc.reading, func(t *testing.T) {
			h, tok := withReadings(t, Readings{Values: tc.reading})
			p := h.company(tok, "Acme", "loc_1")
			m := h.matter(tok, "Acme matter", p["id"])
			rec := h.create(tok, kDataRecords, map[string]any{"links": map[string]any{"action": m["id"], "dataCollection": h.org.DataCollectionID}})
			dc, recID := strconv.Itoa(h.org.DataCollectionID), id(rec["id"])

			list := h.api(tok, http.MethodGet, "rest/datacollectionrecordvalues?dataCollectionRecord="+recID, nil)
			assert.Len(t, records(t, list, kDataValues), tc.listed)
			put := h.api(tok, http.MethodPut, "rest/datacollectionrecordvalues/"+dc+"--plan--"+recID,
				map[string]any{kDataValues: map[string]any{"stringValue": "Pro"}})
			require.Equal(t, tc.putStatus, put.Status, "body: %s", put.Body)

			post := func() *httpReply {
				return h.api(tok, http.MethodPost, "rest/datacollectionrecordvalues", map[string]any{kDataValues: map[string]any{
					"stringValue": "Team", "links": map[string]any{
						"action": m["id"], "dataCollection": dc, "dataCollectionField": dc + "--plan", "dataCollectionRecord": recID,
					},
				}})
			}
			post().requireStatus(t, http.StatusOK)
			second := post()
			if tc.secondPostRefused {
				second.requireError(t, http.StatusBadRequest, codeInvalidRequest)
			} else {
				second.requireStatus(t, http.StatusOK)
			}
			h.api(tok, http.MethodPut, "rest/datacollectionrecordvalues/"+dc+"--plan--"+recID,
				map[string]any{kDataValues: map[string]any{"stringValue": "Enterprise"}}).requireStatus(t, http.StatusOK)
			vals := h.orgState().DataValues
			require.Len(t, vals, 1)
			assert.Equal(t, "Enterprise", *vals[0].Value)
		})
	}
}

// Under "reject" an unknown filter is a 400 and importExternalReference
// filters; under "ignore" both are dropped and every record comes back,
// while documented filters (links, name, status, text) still apply.
func TestReadingFilters(t *testing.T) {
	for _, reading := range []string{"reject", "ignore"} {
		t.Run(reading, func(t *testing.T) {
			h, tok := withReadings(t, Readings{Filters: reading})
			a := h.company(tok, "Acme", "loc_a")
			h.company(tok, "Bolt", "loc_b")
			byRef := records(t, h.api(tok, http.MethodGet, "rest/participants?importExternalReference_eq=loc_a", nil), kParticipants)
			unknown := h.api(tok, http.MethodGet, "rest/participants?colour_eq=red", nil)
			m := h.matter(tok, "Acme matter", a["id"])
			byLink := records(t, h.api(tok, http.MethodGet, "rest/actionparticipants?participant_eq="+id(a["id"]), nil), kActionParticipants)
			byStatus := h.api(tok, http.MethodGet, "rest/actions?status_eq=Closed", nil)
			byRefOnMatter := records(t, h.api(tok, http.MethodGet, "rest/actions?reference_eq=nothing", nil), kActions)

			require.Len(t, byLink, 1, "link filters always apply")
			assert.Equal(t, id(m["id"]), id(obj(t, byLink[0]["links"])["action"]))
			assert.Equal(t, http.StatusNoContent, byStatus.Status, "documented attribute filters always apply")
			if reading == "reject" {
				require.Len(t, byRef, 1)
				assert.Equal(t, "loc_a", byRef[0]["importExternalReference"])
				unknown.requireError(t, http.StatusBadRequest, codeInvalidRequest)
				assert.Empty(t, byRefOnMatter)
				return
			}
			assert.Len(t, byRef, 3, "the filter is ignored: the API user's contact and both companies")
			assert.Len(t, records(t, unknown, kParticipants), 3)
			assert.Len(t, byRefOnMatter, 1, "reference is not a documented filter")
		})
	}
}

// actioncreate's fileReference becomes the reference, is dropped, or is
// replaced by a number of the matter's own.
func TestReadingFileReference(t *testing.T) {
	for reading, want := range map[string]any{"copy": "saasbridge:loc_1", "ignore": nil, "autonumber": "M01000"} {
		t.Run(reading, func(t *testing.T) {
			h, tok := withReadings(t, Readings{FileReference: reading})
			p := h.company(tok, "Acme", "loc_1")
			m := h.create(tok, kActionCreate, map[string]any{"actionName": "Acme", "fileReference": "saasbridge:loc_1", "links": map[string]any{
				"actionType": h.org.MatterTypeID, "participantType" + strconv.Itoa(h.org.ClientParticipantTypeID): []any{p["id"]},
			}})
			assert.Equal(t, want, m["reference"])
			got := records(t, h.api(tok, http.MethodGet, "rest/actions/"+id(m["id"]), nil), kActions)
			assert.Equal(t, want, got[0]["reference"])
		})
	}
}

// GET /actioncreate/{type} lists what the start step requires under both
// readings; "enforced" refuses a create that lacks any of it.
func TestReadingStartStep(t *testing.T) {
	h := newHarness(t, Options{Readings: Readings{StartStep: "enforced"}})
	strict, err := h.s.CreateOrg(OrgSpec{OrgKey: "strictlaw", StartStep: &StartStepSpec{
		ParticipantTypes: []string{"Client", "Client_Primary_Contact"}, DataFields: []string{"plan"},
	}})
	require.NoError(t, err)
	tok := h.login()
	client := strconv.Itoa(h.org.ClientParticipantTypeID)

	needs := h.api(tok, http.MethodGet, "rest/actioncreate/"+strconv.Itoa(h.org.MatterTypeID), nil).requireStatus(t, http.StatusOK).doc(t)
	links := obj(t, obj(t, needs[kActionCreate])["links"])
	assert.Equal(t, []any{client}, links["stepParticipantTypes"])
	assert.Nil(t, links["stepDataFields"])
	assert.Len(t, arr(t, obj(t, needs["linked"])[kParticipantTypes]), 2, "both participant types side-loaded by default")

	p := h.company(tok, "Acme", "loc_1")
	body := func(links map[string]any, assign bool) map[string]any {
		b := map[string]any{"actionName": "Acme", "links": links}
		if assign {
			b["assignedToParticipant"] = h.org.UserParticipantID
		}
		return map[string]any{kActionCreate: b}
	}
	typeOnly := map[string]any{"actionType": h.org.MatterTypeID}
	withClient := map[string]any{"actionType": h.org.MatterTypeID, "participantType" + client: []any{p["id"]}}
	e := h.api(tok, http.MethodPost, "rest/actioncreate", body(withClient, false)).requireError(t, http.StatusBadRequest, codeInvalidRequest)
	assert.Contains(t, e["detail"], "assignedToParticipant")
	e = h.api(tok, http.MethodPost, "rest/actioncreate", body(typeOnly, true)).requireError(t, http.StatusBadRequest, codeInvalidRequest)
	assert.Contains(t, e["detail"], "participantType"+client)
	h.api(tok, http.MethodPost, "rest/actioncreate", body(withClient, true)).requireStatus(t, http.StatusOK)

	strictTok := h.loginAs("strictlaw", "all")
	needs = h.api(strictTok, http.MethodGet, "rest/actioncreate/"+strconv.Itoa(strict.MatterTypeID), nil).requireStatus(t, http.StatusOK).doc(t)
	links = obj(t, obj(t, needs[kActionCreate])["links"])
	assert.Len(t, links["stepParticipantTypes"], 2)
	assert.Equal(t, []any{strconv.Itoa(strict.DataCollectionID) + "--plan"}, links["stepDataFields"])
	assert.Len(t, arr(t, obj(t, needs["linked"])[kDataFields]), 1)

	_, err = h.s.SetReadings(Readings{StartStep: "lenient"})
	require.NoError(t, err)
	h.api(tok, http.MethodPost, "rest/actioncreate", body(typeOnly, false)).requireStatus(t, http.StatusOK)

	_, err = h.s.CreateOrg(OrgSpec{OrgKey: "badlaw", StartStep: &StartStepSpec{ParticipantTypes: []string{"Nobody"}}})
	assert.ErrorContains(t, err, `no participant type "Nobody"`)
}

// Under "any" both '*' and '%' are like wildcards; under "star" only '*'.
func TestReadingWildcard(t *testing.T) {
	for _, tc := range []struct {
		reading        string
		star, percent  int
		literalPercent int
	}{
		{reading: "any", star: 1, percent: 1, literalPercent: 1},
		{reading: "star", star: 1, percent: 0, literalPercent: 1},
	} {
		t.Run(tc.reading, func(t *testing.T) {
			h, tok := withReadings(t, Readings{Wildcard: tc.reading})
			p := h.company(tok, "Acme", "loc_1")
			m := h.matter(tok, "Acme", p["id"])
			for _, text := range []string{"Onboarded [saasbridge evt_1]", "Growth is 100% [saasbridge evt_2]"} {
				h.create(tok, kFileNotes, map[string]any{"text": text, "links": map[string]any{"action": m["id"]}})
			}
			count := func(pattern string) int {
				return len(records(t, h.api(tok, http.MethodGet, "rest/filenotes?action="+id(m["id"])+"&text_ilike="+pattern, nil), kFileNotes))
			}
			assert.Equal(t, tc.star, count("*evt_1*"))
			assert.Equal(t, tc.percent, count("%25evt_1%25"))
			assert.Equal(t, tc.literalPercent, count("*100%25*"))
		})
	}
}
