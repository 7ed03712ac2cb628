package actionstepsim

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixturesDir holds the API's documented response shapes, written out
// with the client package's own values; the client decodes the same files.
const fixturesDir = "../../actionstep/testdata"

func readFixture(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir, name))
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(b, &v), name)
	return v
}

// compareShape checks that the simulator's reply has the fixture's shape:
// the same member names in every object (plus the extras listed for a
// path), objects where the fixture has objects, arrays where it has arrays
// (each simulator element against the fixture's first), and the same JSON
// type for every value both sides have non-null.
func compareShape(t *testing.T, path string, sample, sim any, extra map[string][]string) {
	t.Helper()
	switch s := sample.(type) {
	case map[string]any:
		m, ok := sim.(map[string]any)
		if !assert.True(t, ok, "%s: the fixture has an object, the simulator %T", path, sim) {
			return
		}
		assert.ElementsMatch(t, append(keys(s), extra[path]...), keys(m), "%s: member names", path)
		for k, v := range s {
			if mv, ok := m[k]; ok {
				compareShape(t, join(path, k), v, mv, extra)
			}
		}
	case []any:
		if sim == nil {
			return // a to-many link the simulator has empty
		}
		a, ok := sim.([]any)
		if !assert.True(t, ok, "%s: the fixture has an array, the simulator %T", path, sim) || len(s) == 0 {
			return
		}
		for _, e := range a {
			compareShape(t, path+"[]", s[0], e, extra)
		}
	case nil:
	default:
		if sim != nil {
			assert.IsType(t, sample, sim, "%s: %v vs %v", path, sample, sim)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// sampleWorld is a matter with two clients and its data record, the
// counterpart of the fixtures.
type sampleWorld struct {
	h      *harness
	tok    tokenReply
	matter string
	record string
}

func newSampleWorld(t *testing.T) sampleWorld {
	h := newHarness(t, Options{})
	tok := h.login()
	a := h.create(tok, kParticipants, map[string]any{"isCompany": "F", "firstName": "Daniel", "lastName": "Smon", "phone1Area": 123})
	b := h.company(tok, "Test Agent Office", "loc_1")
	m := h.create(tok, kActionCreate, map[string]any{"actionName": "Test-Matter-01", "links": map[string]any{
		"actionType": h.org.MatterTypeID, "participantType" + strconv.Itoa(h.org.ClientParticipantTypeID): []any{a["id"], b["id"]},
	}})
	rec := h.create(tok, kDataRecords, map[string]any{"links": map[string]any{"action": m["id"], "dataCollection": h.org.DataCollectionID}})
	return sampleWorld{h: h, tok: tok, matter: id(m["id"]), record: id(rec["id"])}
}

func TestFixtureShapes(t *testing.T) {
	w := newSampleWorld(t)
	for _, tc := range []struct {
		fixture string
		method  string
		path    string
		body    any
		status  int
		extra   map[string][]string
	}{
		{
			fixture: "list-actions-one-row.json", method: http.MethodGet,
			path: "rest/actions?id_eq=" + w.matter + "&include=actionType", status: 200,
		},
		{fixture: "get-action.json", method: http.MethodGet, path: "rest/actions/" + w.matter, status: 200},
		{
			fixture: "list-actionparticipants.json", method: http.MethodGet,
			path: "rest/actionparticipants?action=" + w.matter + "&include=participant,participantType", status: 200,
		},
		{
			fixture: "list-datacollectionrecordvalues.json", method: http.MethodGet,
			path: "rest/datacollectionrecordvalues?action=" + w.matter + "&include=dataCollectionField,dataCollection", status: 200,
		},
		{fixture: "error-bad-json.json", method: http.MethodPost, path: "rest/participants", body: "not json", status: 400},
		{fixture: "error-resource-not-found.json", method: http.MethodGet, path: "rest/filenotez", status: 404},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			r := w.h.api(w.tok, tc.method, tc.path, tc.body).requireStatus(t, tc.status)
			var sim any
			require.NoError(t, json.Unmarshal(r.Body, &sim))
			compareShape(t, "", readFixture(t, tc.fixture), sim, tc.extra)
		})
	}
	t.Run("resource not found wording", func(t *testing.T) {
		r := w.h.api(w.tok, http.MethodGet, "rest/filenotez", nil)
		want := obj(t, obj(t, readFixture(t, "error-resource-not-found.json"))["errors"])
		got := obj(t, r.doc(t)["errors"])
		for _, k := range []string{"status", "code", "title", "detail", "meta", "rls", "links", "source"} {
			assert.Equal(t, want[k], got[k], k)
		}
	})
}

func TestFixtureOAuthBodies(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.login()
	r := h.refresh(tok.RefreshToken).requireStatus(t, http.StatusOK)
	var got any
	require.NoError(t, json.Unmarshal(r.Body, &got))
	fixture := readFixture(t, "token-response.json")
	compareShape(t, "", fixture, got, nil)
	assert.Equal(t, obj(t, fixture)["token_type"], obj(t, got)["token_type"])
	assert.Equal(t, obj(t, fixture)["expires_in"], obj(t, got)["expires_in"])

	invalid := h.send(http.MethodGet, tok.APIEndpoint+"rest/participants", http.Header{"Authorization": {"Bearer nope"}}, nil).
		requireStatus(t, http.StatusUnauthorized)
	assert.Equal(t, readFixture(t, "oauth-invalid-token.json"), any(invalid.doc(t)))
	h.clock.Advance(defaultAccessTTL)
	expired := h.api(tok, http.MethodGet, "rest/participants", nil).requireStatus(t, http.StatusUnauthorized)
	assert.Equal(t, readFixture(t, "oauth-expired-token.json"), any(expired.doc(t)))
}

// TestFixturesAreAllCovered: every fixture the client decodes is also
// compared with what the simulator sends.
func TestFixturesAreAllCovered(t *testing.T) {
	entries, err := os.ReadDir(fixturesDir)
	require.NoError(t, err)
	covered := []string{
		"list-actions-one-row.json", "get-action.json", "list-actionparticipants.json",
		"list-datacollectionrecordvalues.json", "error-bad-json.json", "error-resource-not-found.json",
		"token-response.json", "oauth-invalid-token.json", "oauth-expired-token.json",
	}
	for _, e := range entries {
		assert.Contains(t, covered, e.Name(), "a new fixture needs a shape test")
	}
}
