package actionstepsim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOneRecordIsAnObjectSeveralAnArray(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	c := h.company(tok, "Acme Dental", "loc_1")
	me := strconv.Itoa(h.org.UserParticipantID)
	for _, tc := range []struct {
		name, path string
		many       bool
		count      float64
	}{
		{"single GET", "rest/participants/" + id(c["id"]), false, 1},
		{"collection matching one", "rest/participants?isCompany=T", false, 1},
		{"collection matching two", "rest/participants", true, 2},
		{"several ids", "rest/participants/" + me + "," + id(c["id"]), true, 2},
		{"page of one", "rest/participants?pageSize=1&page=2", false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.api(tok, http.MethodGet, tc.path, nil).requireStatus(t, http.StatusOK)
			assert.Equal(t, mediaJSONAPI, r.Header.Get("Content-Type"))
			d := r.doc(t)
			if tc.many {
				assert.Len(t, arr(t, d["participants"]), 2)
			} else {
				obj(t, d["participants"])
			}
			paging := obj(t, obj(t, obj(t, d["meta"])["paging"])["participants"])
			assert.Equal(t, tc.count, paging["recordCount"])
		})
	}
}

func TestEmptyResultsAre204(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	for _, path := range []string{
		"rest/participants?lastName=Nobody", "rest/actions", "rest/filenotes", "rest/participants?page=2",
		"rest/datacollectionrecords?action=1000",
	} {
		r := h.api(tok, http.MethodGet, path, nil)
		assert.Equal(t, http.StatusNoContent, r.Status, path)
		assert.Empty(t, r.Body, path)
		assert.Empty(t, r.Header.Get("Content-Type"), path)
	}
}

func TestWireFormat(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	c := h.create(tok, kParticipants, map[string]any{
		"isCompany": "T", "companyName": "Acme", "phone1Area": "2", "links": map[string]any{"physicalCountry": "AU", "division": 1},
	})
	assert.IsType(t, float64(0), c["id"], "participant ids are numbers")
	assert.Equal(t, "T", c["isCompany"], "booleans are T/F strings")
	assert.Equal(t, float64(2), c["phone1Area"], "numeric strings are accepted and stored as numbers")
	links := obj(t, c["links"])
	assert.Equal(t, "1", links["division"], "link ids are strings, whatever the request sent")
	assert.Equal(t, "AU", links["physicalCountry"])
	assert.Nil(t, links["mailingCountry"])
	assert.Regexp(t, `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+10:00$`, c["createdTimestamp"])

	m := h.matter(tok, "Acme: SaaS subscription", c["id"])
	a := obj(t, h.api(tok, http.MethodGet, "rest/actions/"+id(m["id"]), nil).requireStatus(t, 200).doc(t)["actions"])
	assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, a["createdTimestamp"], "actions carry a date only")
	assert.Equal(t, []any{id(c["id"])}, obj(t, a["links"])["primaryParticipants"], "to-many links are arrays of strings")
	assert.Nil(t, obj(t, a["links"])["relatedActions"])
	ap := obj(t, h.api(tok, http.MethodGet, "rest/actionparticipants?action="+id(m["id"]), nil).requireStatus(t, 200).doc(t)["actionparticipants"])
	assert.Equal(t, fmt.Sprintf("%s--%d--%s", id(m["id"]), h.org.ClientParticipantTypeID, id(c["id"])), ap["id"], "composite ids are strings")
}

func TestPaging(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	var batch []map[string]any
	for i := range 60 {
		batch = append(batch, map[string]any{"isCompany": "F", "firstName": "P", "lastName": fmt.Sprintf("N%02d", i)})
	}
	created := h.api(tok, http.MethodPost, "rest/participants", map[string]any{"participants": batch}).requireStatus(t, 200)
	assert.Len(t, arr(t, created.doc(t)["participants"]), 60, "an array body creates every record")

	paging := func(r *httpReply) map[string]any {
		return obj(t, obj(t, obj(t, r.doc(t)["meta"])["paging"])["participants"])
	}
	first := h.api(tok, http.MethodGet, "rest/participants?isCompany=F", nil).requireStatus(t, 200)
	p := paging(first)
	assert.Equal(t, map[string]any{"recordCount": float64(61), "pageCount": float64(2), "page": float64(1), "pageSize": float64(50),
		"prevPage": nil, "nextPage": p["nextPage"]}, p)
	assert.Len(t, arr(t, first.doc(t)["participants"]), 50, "default page size")
	next, err := url.Parse(p["nextPage"].(string))
	require.NoError(t, err)
	assert.Equal(t, "2", next.Query().Get("page"))
	assert.Equal(t, "F", next.Query().Get("isCompany"), "the query is kept")

	second := h.send(http.MethodGet, p["nextPage"].(string), jsonAPI(tok.AccessToken), nil).requireStatus(t, 200)
	assert.Len(t, arr(t, second.doc(t)["participants"]), 11)
	assert.Nil(t, paging(second)["nextPage"])
	assert.Contains(t, paging(second)["prevPage"], "page=1")

	all := h.api(tok, http.MethodGet, "rest/participants?pageSize=500", nil).requireStatus(t, 200)
	assert.Equal(t, float64(maxPageSize), paging(all)["pageSize"], "page size is clamped to 200")
	assert.Len(t, arr(t, all.doc(t)["participants"]), 61)

	for _, bad := range []string{"pageSize=0", "page=-1", "page=x"} {
		e := h.api(tok, http.MethodGet, "rest/participants?"+bad, nil).requireError(t, 400, codeInvalidRequest)
		assert.Equal(t, strings.Split(bad, "=")[0], obj(t, e["source"])["parameter"], bad)
	}
	h.api(tok, http.MethodGet, "rest/participants?page=3", nil).requireStatus(t, http.StatusNoContent)
}

func TestIncludeLinked(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	c := h.company(tok, "Acme", "loc_1")
	m := h.matter(tok, "Acme: subscription", c["id"])
	d := h.api(tok, http.MethodGet, "rest/actionparticipants?action="+id(m["id"])+"&include=participant,participantType,action.actionType", nil).
		requireStatus(t, 200).doc(t)
	linked := obj(t, d["linked"])
	assert.ElementsMatch(t, []string{"participants", "participanttypes", "actions", "actiontypes"}, keys(linked))
	ps := arr(t, linked["participants"])
	require.Len(t, ps, 1, "linked is an array even for one record")
	assert.Equal(t, c["id"], obj(t, ps[0])["id"])
	assert.Equal(t, "Client", obj(t, arr(t, linked["participanttypes"])[0])["name"])
	assert.Equal(t, float64(h.org.MatterTypeID), obj(t, arr(t, linked["actiontypes"])[0])["id"], "chained includes follow links")

	links := obj(t, d["links"])
	tpl := obj(t, links["participants.physicalCountry"])
	assert.Equal(t, "countries", tpl["type"])
	host := strings.TrimPrefix(h.url, "http://")
	assert.Equal(t, "http://"+host+".actionstep.com/api/acmelaw/rest/countries/{participants.physicalCountry}", tpl["href"],
		"link templates carry Actionstep's doubled host")
	assert.Contains(t, links, "actionparticipants.participant")

	h.api(tok, http.MethodGet, "rest/actions?include=division,division.participant", nil).requireStatus(t, 200) // not simulated: nothing linked
	e := h.api(tok, http.MethodGet, "rest/actions?include=client", nil).requireError(t, 400, codeInvalidRequest)
	assert.Equal(t, "include", obj(t, e["source"])["parameter"])
}

func TestFiltersAndSort(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	a := h.company(tok, "Alpha Dental", "loc_a")
	b := h.company(tok, "beta dental", "loc_b")
	c := h.create(tok, kParticipants, map[string]any{"isCompany": "F", "firstName": "Carl", "lastName": "Cole", "email": "carl@example.com"})
	me := float64(h.org.UserParticipantID)
	m := h.matter(tok, "Alpha matter", a["id"])
	for _, tc := range []struct {
		name, query string
		want        []any
	}{
		{"eq", "importExternalReference_eq=loc_b", []any{b["id"]}},
		{"unsuffixed list", "importExternalReference=loc_a,loc_b", []any{a["id"], b["id"]}},
		{"in", "id_in=" + id(a["id"]) + "," + id(c["id"]), []any{a["id"], c["id"]}},
		{"ntin", "isCompany=F&id_ntin=" + id(c["id"]), []any{me}},
		{"nteq", "isCompany_nteq=T", []any{me, c["id"]}},
		{"like is case sensitive", "companyName_like=*dental", []any{b["id"]}},
		{"ilike", "companyName_ilike=" + url.QueryEscape("%DENTAL"), []any{a["id"], b["id"]}},
		{"ntilike", "isCompany=T&companyName_ntilike=alpha*", []any{b["id"]}},
		{"gt", "id_gt=" + id(a["id"]), []any{b["id"], c["id"]}},
		{"lteq", "id_lteq=" + id(a["id"]), []any{me, a["id"]}},
		{"null", "importExternalReference=:NULL", []any{me, c["id"]}},
		{"not null", "importExternalReference_nteq=:NULL", []any{a["id"], b["id"]}},
		{"sort descending", "isCompany=T&sort=-companyName", []any{b["id"], a["id"]}},
		{"sort by two keys", "sort=isCompany,-id", []any{c["id"], me, b["id"], a["id"]}},
		{"links", "division=1&email_eq=carl@example.com", []any{c["id"]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := h.api(tok, http.MethodGet, "rest/participants?"+tc.query, nil).requireStatus(t, 200).doc(t)
			assert.Equal(t, tc.want, ids(t, d["participants"]))
		})
	}
	t.Run("nested", func(t *testing.T) {
		d := h.api(tok, http.MethodGet, "rest/actionparticipants?participant[companyName_ilike]=alpha*&action[actionType]="+
			strconv.Itoa(h.org.MatterTypeID), nil).requireStatus(t, 200).doc(t)
		assert.Equal(t, []any{fmt.Sprintf("%s--%d--%s", id(m["id"]), h.org.ClientParticipantTypeID, id(a["id"]))}, ids(t, d["actionparticipants"]))
		h.api(tok, http.MethodGet, "rest/actionparticipants?participant[companyName]=beta%20dental", nil).requireStatus(t, 204)
	})
	for _, bad := range []string{"lastname=Cole", "sort=nope", "participant[x]=1", "division[name]=x", "email[x=1"} {
		e := h.api(tok, http.MethodGet, "rest/participants?"+bad, nil).requireError(t, 400, codeInvalidRequest)
		assert.NotEmpty(t, obj(t, e["source"])["parameter"], bad)
	}
}

// ids lists the ids of a resource member, object or array.
func ids(t *testing.T, v any) []any {
	t.Helper()
	if m, ok := v.(map[string]any); ok {
		return []any{m["id"]}
	}
	var out []any
	for _, r := range arr(t, v) {
		out = append(out, obj(t, r)["id"])
	}
	return out
}

func TestFieldsets(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	c := h.company(tok, "Acme", "loc_1")
	h.matter(tok, "Acme matter", c["id"])
	p := obj(t, h.api(tok, http.MethodGet, "rest/participants/"+id(c["id"])+"?fields=displayName,division", nil).requireStatus(t, 200).doc(t)["participants"])
	assert.Equal(t, map[string]any{"id": c["id"], "displayName": "Acme", "links": map[string]any{"division": "1"}}, p)

	d := h.api(tok, http.MethodGet, "rest/actions?include=assignedTo&fields[actions]=name,assignedTo&fields[participants]=firstName,datatype", nil).
		requireStatus(t, 200).doc(t)
	assert.ElementsMatch(t, []string{"id", "name", "links"}, keys(obj(t, d["actions"])))
	assert.ElementsMatch(t, []string{"id", "firstName"}, keys(obj(t, arr(t, obj(t, d["linked"])["participants"])[0])), "unknown names are ignored")
	full := obj(t, h.api(tok, http.MethodGet, "rest/participants/"+id(c["id"])+"?fields=:default", nil).requireStatus(t, 200).doc(t)["participants"])
	assert.Contains(t, full, "phone4Notes")
}

func TestErrorDocuments(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	me := strconv.Itoa(h.org.UserParticipantID)
	for _, tc := range []struct {
		name         string
		method, path string
		header       http.Header // replaces the JSON:API headers when set
		body         any
		status       int
		code         string
		detail       string
		pointer      any
	}{
		{"bad JSON", "POST", "rest/participants", nil, `{"participants":`, 400, codeInvalidJSON, "Unable to decode the JSON message", nil},
		{"unknown resource", "GET", "rest/datacollectionrecordvaluesa", nil, nil, 404, codeUnknownResource,
			"The specified Resource 'Datacollectionrecordvaluesa' does not exist", nil},
		{"unknown record", "GET", "rest/participants/99999", nil, nil, 404, codeRecordNotFound, "The requested participants record '99999' does not exist", nil},
		{"one of several unknown", "GET", "rest/participants/" + me + ",7", nil, nil, 404, codeRecordNotFound, "The requested participants record '7' does not exist", nil},
		{"no DELETE on participants", "DELETE", "rest/participants/" + me, nil, nil, 405, codeMethodNotAllowed, "", nil},
		{"no POST to a record", "POST", "rest/participants/" + me, nil, `{}`, 405, codeMethodNotAllowed, "", nil},
		{"no PUT on a collection", "PUT", "rest/participants", nil, `{}`, 405, codeMethodNotAllowed, "", nil},
		{"plain JSON body", "POST", "rest/participants", http.Header{"Content-Type": {"application/json"}},
			`{"participants":{"isCompany":"T","companyName":"X"}}`, 415, codeUnsupportedMedia, "Request bodies must be application/vnd.api+json", nil},
		{"no content type", "PUT", "rest/participants/" + me, http.Header{}, `{"participants":{}}`, 415, codeUnsupportedMedia, "", nil},
		{"unacceptable", "GET", "rest/participants", http.Header{"Accept": {"application/json"}}, nil, 406, codeNotAcceptable, "", nil},
		{"no wrapper", "POST", "rest/participants", nil, `{"isCompany":"T","companyName":"X"}`, 400, codeInvalidRequest,
			`The body must be one object with a single member "participants" wrapping the record(s)`, nil},
		{"not an object", "POST", "rest/participants", nil, `{"participants":"x"}`, 400, codeInvalidRequest, "A record must be a JSON object", "/participants"},
		{"unknown attribute", "POST", "rest/participants", nil, `{"participants":{"isCompany":"T","companyName":"X","CompanyName":"Y"}}`,
			400, codeInvalidRequest, "Unknown attribute 'CompanyName' for participants", "/participants/CompanyName"},
		{"read-only attribute", "PUT", "rest/participants/" + me, nil, `{"participants":{"createdTimestamp":"2020-01-01T00:00:00+10:00"}}`,
			400, codeInvalidRequest, "Attribute 'createdTimestamp' of participants cannot be written", "/participants/createdTimestamp"},
		{"unknown link target", "POST", "rest/participantdefaulttypes", nil, `{"participantdefaulttypes":{"links":{"participant":"1","participantType":"27"}}}`,
			400, codeInvalidRequest, "participants '1' does not exist", "/participantdefaulttypes/links/participant"},
		{"array item error", "POST", "rest/participants", nil, `{"participants":[{"isCompany":"T","companyName":"A"},{"isCompany":"X"}]}`,
			400, codeInvalidRequest, `'isCompany' must be "T" or "F"`, "/participants/1/isCompany"},
		{"ids and bodies differ", "PUT", "rest/participants/" + me, nil, `{"participants":[{},{}]}`, 400, codeInvalidRequest,
			"The body holds 2 record(s) for 1 id(s)", "/participants"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := jsonAPI(tok.AccessToken)
			if tc.header != nil {
				header = tc.header.Clone()
				header.Set("Authorization", "Bearer "+tok.AccessToken)
			}
			r := h.send(tc.method, tok.APIEndpoint+tc.path, header, tc.body)
			e := r.requireError(t, tc.status, tc.code)
			assert.ElementsMatch(t, []string{"id", "links", "status", "code", "title", "detail", "source", "meta", "rls"}, keys(e))
			if tc.detail != "" {
				assert.Equal(t, tc.detail, e["detail"])
			}
			assert.Equal(t, tc.pointer, obj(t, e["source"])["pointer"])
			if tc.status == 405 {
				assert.NotEmpty(t, r.Header.Get("Allow"))
			}
		})
	}
	t.Run("bad JSON meta", func(t *testing.T) {
		e := h.api(tok, http.MethodPost, "rest/filenotes", "{nope").requireError(t, 400, codeInvalidJSON)
		assert.Equal(t, map[string]any{"json": "{nope", "json_last_error": float64(4), "json_last_error_msg": "Syntax error"}, e["meta"])
		assert.Equal(t, "Invalid JSON Message", e["title"])
	})
	t.Run("the array item before the bad one stays created", func(t *testing.T) {
		h.api(tok, http.MethodGet, "rest/participants?companyName=A", nil).requireStatus(t, 200)
	})
	t.Run("unrouted path", func(t *testing.T) {
		h.send(http.MethodGet, h.url+"/api/rest/participants", jsonAPI(tok.AccessToken), nil).requireError(t, 404, codeRoute)
	})
}
