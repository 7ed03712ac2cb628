package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/workflows"
)

// postStatus POSTs body with headers and returns the status.
func postStatus(ctx context.Context, t *testing.T, u string, body []byte, headers map[string]string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestCodecIsClosed: on the stack as it runs by default, an anonymous /codec/decode or
// /codec/encode finds nothing on the public listener (404) and is refused on the
// operator listener (401); the codec's own token opens it.
func TestCodecIsClosed(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	body := []byte(`{"payloads":[{"metadata":{"encoding":"YmluYXJ5L2VuY3J5cHRlZA==","encryption-key-id":"` +
		`ZTJl"},"data":"AAAA"}]}`)
	jsonCT := map[string]string{"Content-Type": "application/json"}
	for _, op := range []string{"decode", "encode"} {
		assert.Equal(t, http.StatusNotFound, postStatus(ctx, t, s.starterURL+"/codec/"+op, body, jsonCT), "public /codec/%s", op)
		assert.Equal(t, http.StatusNotFound, postStatus(ctx, t, s.starterURL+"/codec/"+s.codecToken+"/"+op, body, jsonCT), "public, even with the token")
		assert.Equal(t, http.StatusUnauthorized, postStatus(ctx, t, s.operatorURL+"/codec/"+op, body, jsonCT), "operator /codec/%s, anonymous", op)
		assert.Equal(t, http.StatusUnauthorized, postStatus(ctx, t, s.operatorURL+"/codec/"+op, body,
			map[string]string{"Content-Type": "application/json", "Authorization": "Bearer not-the-token"}), "operator, wrong token")
	}
	ok := postStatus(ctx, t, s.operatorURL+"/codec/encode", []byte(`{"payloads":[]}`),
		map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + s.codecToken})
	assert.Equal(t, http.StatusOK, ok, "the codec token opens it")
	assert.Equal(t, http.StatusOK, postStatus(ctx, t, s.codecEndpoint()+"/encode", []byte(`{"payloads":[]}`), jsonCT), "as does the Web UI's endpoint")
}

// TestForeignCompanyEventStartsNothing: a LocationCreate signed by HighLevel (the
// sandbox's key) for an agency saasbridge does not serve is acknowledged with 200, so
// HighLevel stops redelivering, counted, and starts no workflow.
func TestForeignCompanyEventStartsNothing(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stranger, err := s.admin.CreateAgency(ctx, highlevelsim.AgencySpec{Name: "Somebody Else's Agency", LocationCount: 1})
	require.NoError(t, err)
	loc := stranger.Locations[0].ID
	sent, err := s.admin.SendWebhook(ctx, highlevelsim.WebhookSendRequest{Type: highlevelsim.EventLocationCreate, LocationID: loc, CompanyID: stranger.Agency.ID})
	require.NoError(t, err)
	require.Contains(t, string(sent.Body), stranger.Agency.ID)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		report, err := s.admin.WebhookDeliveries(ctx)
		if !assert.NoError(c, err) {
			return
		}
		d := report.Find(sent.WebhookID)
		if assert.Len(c, d, 1) && assert.Equal(c, highlevelsim.OutcomeDelivered, d[0].Outcome) {
			assert.Equal(c, http.StatusOK, d[0].Attempts[len(d[0].Attempts)-1].Status)
		}
	}, time.Minute, 200*time.Millisecond)
	// The gateway answers only once Temporal has what it starts: after the 200 there is
	// nothing still on its way.
	resp, err := s.temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: fmt.Sprintf("LocationId = '%s'", loc)})
	require.NoError(t, err)
	assert.Zero(t, resp.GetCount(), "no workflow for the foreign location")
	_, err = s.temporal.DescribeWorkflow(ctx, workflows.LocationWorkflowID(loc), "")
	assert.Error(t, err, "no owner for the foreign location")
	_, metrics := get(ctx, t, s.operatorURL+"/metrics")
	assert.Contains(t, metrics, `saasbridge_webhooks_accepted_total{outcome="foreign",source="highlevel"}`)
	assert.Contains(t, metrics, `saasbridge_webhooks_verified_total{scheme="ed25519",source="highlevel"}`)
}

// TestForgedCallbackCallsNobody: a callback the starter did not begin (made-up state,
// with or without a cookie, for either provider) is refused before any call to the
// provider: the simulators' token endpoints count no call.
func TestForgedCallbackCallsNobody(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hlBefore, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	asBefore, err := s.asAdmin.Calls(ctx)
	require.NoError(t, err)

	for _, provider := range []string{"highlevel", "actionstep"} {
		q := url.Values{"code": {"0123456789abcdef0123456789abcdef01234567"}, "state": {"forged-state"}}
		for _, cookie := range []string{"", "forged-state"} {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.starterURL+"/oauth/"+provider+"/callback?"+q.Encode(), nil)
			require.NoError(t, err)
			if cookie != "" {
				req.AddCookie(&http.Cookie{Name: "saasbridge_" + provider + "_oauth", Value: cookie})
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s callback, cookie %q", provider, cookie)
		}
		status, _ := get(ctx, t, s.starterURL+"/oauth/"+provider+"/begin?ticket=forged.c2ln")
		assert.Equal(t, http.StatusBadRequest, status, "%s begin with a forged ticket", provider)
	}
	hlAfter, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	asAfter, err := s.asAdmin.Calls(ctx)
	require.NoError(t, err)
	assert.Equal(t, hlBefore.Count("POST /oauth/token", 0), hlAfter.Count("POST /oauth/token", 0), "no HighLevel token call")
	assert.Equal(t, asBefore.Count("POST /api/oauth/token", 0), asAfter.Count("POST /api/oauth/token", 0), "no Actionstep token call")
}

// TestOperatorPagesAreNotPublic: the connect start pages, metrics and the probes answer on
// the operator listener only.
func TestOperatorPagesAreNotPublic(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/oauth/highlevel/start", "/oauth/actionstep/start", "/metrics", "/readyz", "/healthz"} {
		status, _ := get(ctx, t, s.starterURL+path)
		assert.Equal(t, http.StatusNotFound, status, "public %s", path)
		resp, err := noRedirect.Get(s.operatorURL + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Contains(t, []int{http.StatusOK, http.StatusSeeOther}, resp.StatusCode, "operator %s", path)
	}
}

// TestFailureMessagesAreEncrypted: an activity's failure (HighLevel's message, which can
// name a person or a business) is stored as "Encoded failure" with its message in an
// encrypted payload; a client with the project's converters reads the real message.
func TestFailureMessagesAreEncrypted(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	const msg = "Cannot enable SaaS for Jane Citizen of Wharf Street Dental (jane@wharf.example)"
	require.NoError(t, s.admin.AddFaultRule(ctx, highlevelsim.Rule{Endpoint: enableSaaS, LocationID: loc, Status: 400, Message: msg}))
	defer func() { require.NoError(t, s.admin.ClearFaults(context.Background())) }()
	r, err := s.onboard(ctx, loc, nil)
	require.NoError(t, err)
	assert.Equal(t, "parked", r.Outcome.Outcome)
	assert.Contains(t, r.Outcome.Message, msg, "the project's client decodes the failure")

	iter := s.temporal.GetWorkflowHistory(ctx, workflows.LocationWorkflowID(loc), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var stored bytes.Buffer
	failures := 0
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		b, err := proto.Marshal(ev)
		require.NoError(t, err)
		stored.Write(b)
		if f := ev.GetActivityTaskFailedEventAttributes().GetFailure(); f != nil {
			failures++
			assert.Equal(t, "Encoded failure", f.GetMessage())
			assert.NotNil(t, f.GetEncodedAttributes())
		}
	}
	require.Positive(t, failures, "the history holds the activity's failure")
	for _, plain := range []string{"Jane Citizen", "Wharf Street", "jane@wharf"} {
		assert.False(t, strings.Contains(stored.String(), plain), "the history as stored holds %q", plain)
	}
}
