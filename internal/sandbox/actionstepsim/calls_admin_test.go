package actionstepsim

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallAccounting(t *testing.T) {
	h := newHarness(t, Options{RateLimit: RateLimit{Max: 3, Window: Duration(time.Minute)}})
	_, err := h.s.CreateOrg(OrgSpec{OrgKey: "beta"})
	require.NoError(t, err)
	acme, beta := h.login(), h.loginAs("beta", "all")
	create := "POST /rest/participants"
	body := map[string]any{"participants": map[string]any{"isCompany": "T", "companyName": "Acme"}}
	h.api(acme, http.MethodPost, "rest/participants", body)                                  // 200
	h.api(acme, http.MethodPost, "rest/participants", map[string]any{"participants": "bad"}) // 400
	h.api(acme, http.MethodGet, "rest/participants/1,2", nil)                                // 404
	h.api(acme, http.MethodPost, "rest/participants", body)                                  // over the limit: 429
	h.api(beta, http.MethodGet, "rest/users/current", nil)
	h.send(http.MethodGet, h.url+"/api/acmelaw/Rest/participants", jsonAPI(acme.AccessToken), nil)

	c := h.s.Calls()
	assert.Equal(t, 1, c.Count(create, 200))
	assert.Equal(t, 1, c.Count(create, 400))
	assert.Equal(t, 1, c.Count(create, 429))
	assert.Equal(t, 3, c.Count(create, 0))
	assert.Equal(t, 3, c.CountFor(create, testOrg, 0))
	assert.Equal(t, 0, c.CountFor(create, "beta", 0))
	assert.Equal(t, 1, c.CountFor("GET /rest/participants/{id}", testOrg, 404))
	assert.Equal(t, 1, c.CountFor("GET /rest/users/current", "beta", 200))
	assert.Equal(t, 2, c.Count(tokenEndpoint, 200))
	assert.Equal(t, 1, c.CountFor(tokenEndpoint, "beta", 200), "token calls are accounted to the organisation they grant")
	assert.Equal(t, 2, c.Count("POST "+authorizePath, http.StatusSeeOther))
	assert.Equal(t, 1, c.Count("GET /api/acmelaw/Rest/participants", 404), "a mistyped path is kept verbatim")
	assert.Equal(t, 1, c.TooManyRequests)
	assert.Equal(t, 10, c.Total)
	require.Len(t, c.Calls, 10)
	assert.Equal(t, Call{Time: h.clock.Now(), Endpoint: create, Scope: testOrg, Status: 429}, c.Calls[7])

	_, err = h.admin.State(t.Context()) // admin calls are not accounted
	require.NoError(t, err)
	require.NoError(t, h.admin.ResetCalls(t.Context()))
	c, err = h.admin.Calls(t.Context())
	require.NoError(t, err)
	assert.Zero(t, c.Total)
	assert.Empty(t, c.Calls)
}

func TestAdminClientRoundTrips(t *testing.T) {
	h := newHarness(t, Options{})
	ctx := t.Context()
	a := h.admin
	require.NoError(t, a.Healthz(ctx))

	org, err := a.CreateOrg(ctx, OrgSpec{
		OrgKey: "smithlegal", Name: "Smith Legal", User: &UserSpec{FirstName: "Api", LastName: "Robot", Email: "robot@smith.example"},
		MatterTypeName: "Software Subscription", ClientTypeName: "Customer",
		DataCollection: &DataCollectionSpec{Name: "sub", Fields: []DataFieldSpec{{Name: "seats", DataType: "Number"}, {Name: "plan"}}},
	})
	require.NoError(t, err)
	assert.Equal(t, Org{OrgKey: "smithlegal", Name: "Smith Legal", APIPath: "/api/smithlegal/", UserID: 2, UserParticipantID: 10,
		ClientParticipantTypeID: 27, MatterTypeID: 40, DataCollectionID: 148, CreatedAt: h.clock.Now()}, org)
	st, err := a.OrgState(ctx, "smithlegal")
	require.NoError(t, err)
	assert.Equal(t, []DataCollection{{ID: 148, Name: "sub", ActionTypeID: 40, Fields: []string{"plan", "seats"}}}, st.DataCollections)
	assert.Equal(t, "Robot, Api", st.Participants[0].DisplayName)
	tok := h.loginAs("smithlegal", "all")
	types := h.api(tok, http.MethodGet, "rest/participanttypes", nil).requireStatus(t, 200).doc(t)
	assert.Equal(t, "Customer_Primary_Contact", obj(t, arr(t, types["participanttypes"])[1])["name"])

	generated, err := a.CreateOrg(ctx, OrgSpec{})
	require.NoError(t, err)
	assert.Equal(t, "simorg3", generated.OrgKey)
	for _, spec := range []OrgSpec{
		{OrgKey: "smithlegal"}, {OrgKey: "oauth"}, {OrgKey: "bad key"},
		{DataCollection: &DataCollectionSpec{Name: "x", Fields: []DataFieldSpec{{Name: "a", DataType: "Float"}}}},
		{DataCollection: &DataCollectionSpec{Name: "x", Fields: []DataFieldSpec{{Name: "a"}, {Name: "a"}}}},
	} {
		_, err := a.CreateOrg(ctx, spec)
		var ae *AdminError
		require.True(t, errors.As(err, &ae), "%+v: %v", spec, err)
		assert.Contains(t, []int{400, 409}, ae.StatusCode)
	}
	state, err := a.State(ctx)
	require.NoError(t, err)
	assert.Len(t, state.Orgs, 3)
	_, err = a.OrgState(ctx, "ghost")
	assert.ErrorContains(t, err, "404")

	f, err := a.SetFaults(ctx, Faults{ErrorRate: 0.25, Latency: Duration(time.Millisecond), BurstRetryAfter: Duration(3 * time.Second)})
	require.NoError(t, err)
	assert.Equal(t, uint64(1), f.Seed)
	require.NoError(t, a.AddFaultRule(ctx, Rule{Endpoint: "POST /rest/participants", OrgKey: "smithlegal", Status: 422, Times: 1}))
	f, err = a.Faults(ctx)
	require.NoError(t, err)
	assert.Equal(t, []Rule{{Endpoint: "POST /rest/participants", OrgKey: "smithlegal", Status: 422, Message: "Unprocessable Entity", Times: 1}}, f.Rules)
	assert.Equal(t, Duration(3*time.Second), f.BurstRetryAfter)
	require.NoError(t, a.ClearFaults(ctx))
	f, err = a.Faults(ctx)
	require.NoError(t, err)
	assert.Zero(t, f.ErrorRate)
	_, err = a.SetFaults(ctx, Faults{ErrorRate: 3})
	assert.ErrorContains(t, err, "400")

	rl, err := a.SetRateLimit(ctx, RateLimit{Max: 10, RetryAfter: true})
	require.NoError(t, err)
	assert.Equal(t, RateLimit{Max: 10, Window: Duration(time.Minute), RetryAfter: true}, rl)
	rl, err = a.RateLimit(ctx)
	require.NoError(t, err)
	assert.Equal(t, 10, rl.Max)

	acme := h.login()
	tokens, err := a.Tokens(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{tok.AccessToken, acme.AccessToken}, tokens.AccessTokens)
	assert.True(t, slices.Contains(tokens.All(), acme.RefreshToken))

	res, err := a.ExpireTokens(ctx, TokenFilter{OrgKey: testOrg})
	require.NoError(t, err)
	assert.Equal(t, ExpireResult{Expired: 1}, res)
	h.api(acme, http.MethodGet, "rest/users/current", nil).requireStatus(t, http.StatusUnauthorized)
	h.api(tok, http.MethodGet, "rest/users/current", nil).requireStatus(t, http.StatusOK)
	renewed := h.refreshOK(acme.RefreshToken)
	res, err = a.ExpireTokens(ctx, TokenFilter{RefreshTokens: true})
	require.NoError(t, err)
	assert.Equal(t, ExpireResult{Expired: 2, RefreshExpired: 2}, res)
	h.refresh(renewed.RefreshToken).requireStatus(t, http.StatusBadRequest)

	rot, err := a.EndpointRotation(ctx)
	require.NoError(t, err)
	assert.False(t, rot.Enabled)
	require.NoError(t, a.SetEndpointRotation(ctx, true))
	rot, err = a.EndpointRotation(ctx)
	require.NoError(t, err)
	assert.True(t, rot.Enabled)

	c, err := a.Calls(ctx)
	require.NoError(t, err)
	assert.Positive(t, c.Count(tokenEndpoint, 200))

	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, "/_sandbox/nope", ""},
		{http.MethodPut, "/_sandbox/faults", `{"errorRat":1}`},
		{http.MethodPost, "/_sandbox/orgs", `{"orgKey":`},
	} {
		r := h.send(tc.method, h.url+tc.path, http.Header{"Content-Type": {"application/json"}}, tc.body)
		assert.GreaterOrEqual(t, r.Status, 400, tc.path)
		assert.Contains(t, string(r.Body), `"statusCode"`, tc.path)
	}
	_, _, err = a.Authorize(ctx, AuthorizeRequest{ClientID: "nope", RedirectURI: testRedirect, Scope: "all"})
	assert.ErrorContains(t, err, "unknown client_id")
	assert.True(t, strings.HasPrefix(err.Error(), "actionstep sandbox admin: 400"), err.Error())
}
