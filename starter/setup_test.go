package main

import (
	"bytes"
	"encoding/base64"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// setupEnv is an Actionstep simulator organisation connected in a real token store, and
// the environment the starter reads for it.
type setupEnv struct {
	sim *actionstepsim.Server
	org string
}

func newSetupEnv(t *testing.T, spec actionstepsim.OrgSpec) *setupEnv {
	t.Helper()
	ctx := t.Context()
	sim := actionstepsim.New(actionstepsim.Options{ClientID: "as-client", ClientSecret: "as-secret"})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	spec.OrgKey = "setuplaw"
	_, err := sim.CreateOrg(spec)
	require.NoError(t, err)

	key := bytes.Repeat([]byte{7}, 32)
	dsn := filepath.Join(t.TempDir(), "tokens.db")
	store, err := tokens.Open(ctx, dsn, key)
	require.NoError(t, err)
	asc, err := actionstep.New(srv.URL+"/api/oauth/token", "as-client", "as-secret")
	require.NoError(t, err)
	admin := &actionstepsim.AdminClient{BaseURL: srv.URL}
	code, _, err := admin.Authorize(ctx, actionstepsim.AuthorizeRequest{ClientID: "as-client", RedirectURI: "http://127.0.0.1/cb", Scope: "all", OrgKey: spec.OrgKey})
	require.NoError(t, err)
	tr, err := asc.ExchangeCode(ctx, code, "http://127.0.0.1/cb")
	require.NoError(t, err)
	require.NoError(t, store.Put(ctx, tokens.KeyActionstep(spec.OrgKey), credentials.FromActionstep(tr, time.Now())))
	require.NoError(t, store.Close())

	for k, v := range map[string]string{
		"HIGHLEVEL_CLIENT_ID": "6578278e879ad2646715ba9c-megyp358", "HIGHLEVEL_CLIENT_SECRET": "hl-secret",
		"ACTIONSTEP_CLIENT_ID": "as-client", "ACTIONSTEP_CLIENT_SECRET": "as-secret", "ACTIONSTEP_ORG_KEY": spec.OrgKey,
		"ACTIONSTEP_TOKEN_URL": srv.URL + "/api/oauth/token", "ACTIONSTEP_AUTH_URL": srv.URL + "/api/oauth/authorize",
		"STORE_DSN": dsn, "STORE_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(key),
		"PAYLOAD_ENCRYPTION_KEYS": "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)),
		"LOG_LEVEL":               "error",
	} {
		t.Setenv(k, v)
	}
	return &setupEnv{sim: sim, org: spec.OrgKey}
}

func (e *setupEnv) fields(t *testing.T) []string {
	t.Helper()
	st, err := e.sim.OrgState(e.org)
	require.NoError(t, err)
	require.Len(t, st.DataCollections, 1)
	return st.DataCollections[0].Fields
}

func runSetup(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(t.Context(), append([]string{"setup", "actionstep"}, args...), &out, &errOut)
	return out.String() + errOut.String(), err
}

// setup against an organisation whose collection lacks two of the mapping's fields:
// --dry-run names them and creates nothing, the first run creates them, the second
// creates nothing.
func TestSetupActionstepCreatesMissingFieldsOnce(t *testing.T) {
	e := newSetupEnv(t, actionstepsim.OrgSpec{DataCollection: &actionstepsim.DataCollectionSpec{
		Name: "saas_subscription", Fields: []actionstepsim.DataFieldSpec{{Name: "plan"}, {Name: "status"}},
	}})

	out, err := runSetup(t, "--dry-run")
	require.NoError(t, err, out)
	assert.Contains(t, out, `would create field "last_change" (DateTime) in data collection "saas_subscription"`)
	assert.Contains(t, out, `would create field "subscription_id" (Str255)`)
	assert.Contains(t, out, "dry run: 2 to create")
	assert.Len(t, e.fields(t), 2, "a dry run creates nothing")

	t.Log("dry run:\n" + out)
	out, err = runSetup(t)
	require.NoError(t, err, out)
	t.Log("first run:\n" + out)
	assert.Contains(t, out, "Actionstep organisation setuplaw (http://")
	assert.Contains(t, out, ", as Sandbox Integration")
	assert.Contains(t, out, `found        matter type "SaaS Subscription" (id 40)`)
	assert.Contains(t, out, `found        field "plan" (Str255)`)
	assert.Contains(t, out, `created      field "last_change" (DateTime) in data collection "saas_subscription"`)
	assert.Contains(t, out, "setup done: 2 created")
	assert.ElementsMatch(t, []string{"plan", "status", "last_change", "subscription_id"}, e.fields(t))

	out, err = runSetup(t)
	require.NoError(t, err, out)
	assert.NotContains(t, out, "created ")
	assert.Contains(t, out, "nothing to create")
	assert.Len(t, e.fields(t), 4)
	t.Log("second run:\n" + out)
}

// What setup cannot create fails the command, each with its fix.
func TestSetupActionstepReportsWhatItCannotCreate(t *testing.T) {
	newSetupEnv(t, actionstepsim.OrgSpec{StartStep: &actionstepsim.StartStepSpec{ParticipantTypes: []string{"Client", "Client_Primary_Contact"}}})
	t.Setenv("ACTIONSTEP_CLIENT_TYPE", "Purchaser")
	out, err := runSetup(t)
	require.ErrorContains(t, err, "setup incomplete: 2 problem(s)")
	t.Log("\n" + out)
	assert.Contains(t, out, `missing      no participant type named "Purchaser"`)
	assert.Contains(t, out, "fix: create it in Actionstep, or set ACTIONSTEP_CLIENT_TYPE")
	assert.Contains(t, out, `asks for a participant of type "Client" and a participant of type "Client_Primary_Contact"`)

	t.Setenv("ACTIONSTEP_ORG_KEY", "otherlaw")
	_, err = runSetup(t)
	require.ErrorContains(t, err, "the Actionstep organisation otherlaw is not connected: connect it at http://127.0.0.1:8090/oauth/actionstep/start")

	err = run(t.Context(), []string{"setup", "highlevel"}, &strings.Builder{}, &strings.Builder{})
	require.ErrorIs(t, err, errUsage)
}
