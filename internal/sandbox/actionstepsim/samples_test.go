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

// samplesEnv overrides where the recorded Actionstep samples are looked for.
const samplesEnv = "ACTIONSTEP_SAMPLES_DIR"

// samplesDir finds shared/contracts/actionstep/samples: from
// $ACTIONSTEP_SAMPLES_DIR, or in the nearest ancestor of the package
// directory that has it (a checkout beside shared/). A clean clone has no
// shared/ next to it, so the sample tests are skipped there, loudly.
func samplesDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv(samplesEnv); dir != "" {
		_, err := os.Stat(dir)
		require.NoError(t, err, samplesEnv)
		return dir
	}
	wd, err := os.Getwd()
	require.NoError(t, err)
	for dir := wd; ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "shared", "contracts", "actionstep", "samples")
		if st, err := os.Stat(candidate); err == nil && st.IsDir() {
			return candidate
		}
		if filepath.Dir(dir) == dir {
			t.Skipf("no shared/contracts/actionstep/samples above %s; set %s to run the sample tests", wd, samplesEnv)
		}
	}
}

func readSample(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir(t), name))
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(b, &v), name)
	return v
}

// compareShape checks that the simulator's reply has the sample's shape:
// the same member names in every object (plus the extras listed for a
// path), objects where the sample has objects, arrays where it has arrays
// (each simulator element against the sample's first), and the same JSON
// type for every value both sides have non-null.
func compareShape(t *testing.T, path string, sample, sim any, extra map[string][]string) {
	t.Helper()
	switch s := sample.(type) {
	case map[string]any:
		m, ok := sim.(map[string]any)
		if !assert.True(t, ok, "%s: the sample has an object, the simulator %T", path, sim) {
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
		if !assert.True(t, ok, "%s: the sample has an array, the simulator %T", path, sim) || len(s) == 0 {
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
// counterpart of the recorded samples.
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

func TestSampleShapes(t *testing.T) {
	samplesDir(t)
	w := newSampleWorld(t)
	for _, tc := range []struct {
		sample string
		method string
		path   string
		body   any
		status int
		extra  map[string][]string
	}{
		{
			sample: "konekta-get-single-action.json", method: http.MethodGet,
			path: "rest/actions?id_eq=" + w.matter + "&include=actionType,division,division.participant", status: 200,
			extra: map[string][]string{
				// The 2019 recording predates both (the 2024 one has them).
				"actions": {"importExternalReference", "amlReviewStatus"},
				// Templates of linked resources, as the other samples show them.
				"links": {"actiontypes.primaryParticipantType"},
			},
		},
		{sample: "dbc-tech-get-action.json", method: http.MethodGet, path: "rest/actions/" + w.matter, status: 200},
		{
			sample: "konekta-list-actionparticipants.json", method: http.MethodGet,
			path: "rest/actionparticipants?action=" + w.matter + "&include=participant,participantType", status: 200,
			extra: map[string][]string{"linked.participants[]": {"importExternalReference"}},
		},
		{
			sample: "konekta-get-data-collection-record-values.json", method: http.MethodGet,
			path: "rest/datacollectionrecordvalues?action=" + w.matter + "&include=dataCollectionField,dataCollection", status: 200,
		},
		{sample: "konekta-bad-request.json", method: http.MethodPost, path: "rest/participants", body: "not json", status: 400},
		{sample: "konekta-resource-not-found.json", method: http.MethodGet, path: "rest/datacollectionrecordvaluesa", status: 404},
	} {
		t.Run(tc.sample, func(t *testing.T) {
			r := w.h.api(w.tok, tc.method, tc.path, tc.body).requireStatus(t, tc.status)
			var sim any
			require.NoError(t, json.Unmarshal(r.Body, &sim))
			compareShape(t, "", readSample(t, tc.sample), sim, tc.extra)
		})
	}
	t.Run("resource not found wording", func(t *testing.T) {
		r := w.h.api(w.tok, http.MethodGet, "rest/datacollectionrecordvaluesa", nil)
		want := obj(t, obj(t, readSample(t, "konekta-resource-not-found.json"))["errors"])
		got := obj(t, r.doc(t)["errors"])
		for _, k := range []string{"status", "code", "title", "detail", "meta", "rls", "links", "source"} {
			assert.Equal(t, want[k], got[k], k)
		}
	})
}

func TestSampleOAuthBodies(t *testing.T) {
	samplesDir(t)
	h := newHarness(t, Options{})
	tok := h.login()
	r := h.refresh(tok.RefreshToken).requireStatus(t, http.StatusOK)
	var got any
	require.NoError(t, json.Unmarshal(r.Body, &got))
	sample := readSample(t, "konekta-refresh-token.json")
	compareShape(t, "", sample, got, nil)
	assert.Equal(t, obj(t, sample)["token_type"], obj(t, got)["token_type"])
	assert.Equal(t, obj(t, sample)["expires_in"], obj(t, got)["expires_in"])

	invalid := h.send(http.MethodGet, tok.APIEndpoint+"rest/participants", http.Header{"Authorization": {"Bearer nope"}}, nil).
		requireStatus(t, http.StatusUnauthorized)
	assert.Equal(t, readSample(t, "konekta-invalid-token.json"), any(invalid.doc(t)))
	h.clock.Advance(defaultAccessTTL)
	expired := h.api(tok, http.MethodGet, "rest/participants", nil).requireStatus(t, http.StatusUnauthorized)
	assert.Equal(t, readSample(t, "konekta-expired-token.json"), any(expired.doc(t)))
}

func TestSamplesAreAllCovered(t *testing.T) {
	entries, err := os.ReadDir(samplesDir(t))
	require.NoError(t, err)
	covered := []string{
		"konekta-get-single-action.json", "dbc-tech-get-action.json", "konekta-list-actionparticipants.json",
		"konekta-get-data-collection-record-values.json", "konekta-bad-request.json", "konekta-resource-not-found.json",
		"konekta-refresh-token.json", "konekta-invalid-token.json", "konekta-expired-token.json",
	}
	for _, e := range entries {
		assert.Contains(t, covered, e.Name(), "a new sample needs a shape test")
	}
}
