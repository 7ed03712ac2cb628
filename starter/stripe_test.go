package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/stripeevent"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

const (
	stripeSecret     = "whsec_gatewaytest0123456789abcdefghijk"
	stripeCustomer   = "cus_QFixtureCustomer01"
	stripeSub        = "sub_1QFixtureSubscription01"
	foreignLocation  = "ForeignLocation00001"
	otherCompanyName = "OtherCompany00000001"
)

// stripeFixture is a gateway with the Stripe endpoint on a real facts store, whose
// HighLevel lookups answer from byCustomer and bySubscription.
type stripeFixture struct {
	*gwFixture
	known *facts.Store
	mu    sync.Mutex
	// HighLevel's answers, by company then Stripe id; lookups counts the calls.
	byCustomer     map[string]map[string][]string
	bySubscription map[string]map[string][]string
	lookupErr      error
	lookups        int
}

func newStripeGateway(t *testing.T) *stripeFixture {
	t.Helper()
	f := &stripeFixture{gwFixture: newGateway(t), byCustomer: map[string]map[string][]string{}, bySubscription: map[string]map[string][]string{}}
	ts, err := tokens.Open(t.Context(), filepath.Join(t.TempDir(), "store.db"), bytes.Repeat([]byte{7}, tokens.KeySize))
	require.NoError(t, err)
	t.Cleanup(func() { _ = ts.Close() })
	f.known = facts.New(ts.DB())
	f.gw.maxBody = 64 << 10 // Stripe events run to several KB
	f.gw.stripeVerifier, err = stripeevent.NewVerifier([]string{stripeSecret}, 5*time.Minute, time.Now)
	require.NoError(t, err)
	f.gw.companyOf = func(_ context.Context, loc string) (string, error) {
		if loc == foreignLocation {
			return otherCompanyName, nil
		}
		return gwCompany, nil
	}
	f.gw.stripeLocations = newStripeLocator(f.known, f.gw.companyOf, []string{"NotConnected00000001", gwCompany}, f.lookup)
	mux := http.NewServeMux()
	f.gw.routes(mux)
	f.handler = mux
	return f
}

func (f *stripeFixture) lookup(_ context.Context, company, customer, subscription string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	switch {
	case f.lookupErr != nil:
		return nil, f.lookupErr
	case company == "NotConnected00000001":
		return nil, tokens.ErrNotFound
	case customer != "":
		return f.byCustomer[company][customer], nil
	}
	return f.bySubscription[company][subscription], nil
}

// stripeBody is a fixture shaped like Stripe's event, with the subscription's
// metadata naming loc (none when loc is "").
func stripeBody(t *testing.T, name, loc string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "internal", "stripeevent", "testdata", name+".json"))
	require.NoError(t, err)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(b, &ev))
	obj := ev["data"].(map[string]any)["object"].(map[string]any)
	meta := map[string]any{}
	if loc != "" {
		meta["locationId"] = loc
	}
	switch {
	case obj["object"] == "subscription":
		obj["metadata"] = meta
	case obj["parent"] != nil:
		obj["parent"].(map[string]any)["subscription_details"].(map[string]any)["metadata"] = meta
	case obj["subscription_details"] != nil:
		obj["subscription_details"] = map[string]any{"metadata": meta}
	}
	out, err := json.Marshal(ev)
	require.NoError(t, err)
	return out
}

func (f *stripeFixture) postStripe(body []byte, at time.Time, secrets ...string) *replyRecorder {
	if len(secrets) == 0 {
		secrets = []string{stripeSecret}
	}
	rec := f.post("/webhooks/stripe", body, map[string]string{stripeevent.SignatureHeader: stripeevent.Sign(body, at, secrets...)})
	var r reply
	_ = json.Unmarshal(rec.Body.Bytes(), &r)
	return &replyRecorder{code: rec.Code, reply: r, body: rec.Body.String()}
}

type replyRecorder struct {
	code  int
	reply reply
	body  string
}

// Every signature case: 401 (400 for a signed body that is not an event) and nothing
// started; the mock Temporal client fails the test on any call.
func TestStripeSignatureCasesStartNothing(t *testing.T) {
	f := newStripeGateway(t)
	body := stripeBody(t, "customer.subscription.updated", gwLocation)
	oneByte := bytes.Clone(body)
	oneByte[bytes.Index(oneByte, []byte(`"status":"active"`))+10] = 'A'
	now := time.Now()
	for _, tc := range []struct {
		name    string
		body    []byte
		headers map[string]string
		status  int
		want    string
	}{
		{"no signature", body, nil, 401, "header missing"},
		{"wrong secret", body, map[string]string{"Stripe-Signature": stripeevent.Sign(body, now, "whsec_notours0123456789abcdefghijklmn")}, 401, "signature invalid"},
		{"stale", body, map[string]string{"Stripe-Signature": stripeevent.Sign(body, now.Add(-10*time.Minute), stripeSecret)}, 401, "replay window"},
		{"future", body, map[string]string{"Stripe-Signature": stripeevent.Sign(body, now.Add(10*time.Minute), stripeSecret)}, 401, "replay window"},
		{"body changed by one byte", oneByte, map[string]string{"Stripe-Signature": stripeevent.Sign(body, now, stripeSecret)}, 401, "signature invalid"},
		{"not a Stripe header", body, map[string]string{"Stripe-Signature": "sha256=abc"}, 401, "signature invalid"},
		{"signed, not JSON", []byte("{"), map[string]string{"Stripe-Signature": stripeevent.Sign([]byte("{"), now, stripeSecret)}, 400, "malformed"},
		{"wrong content type", body, map[string]string{"Content-Type": "text/plain", "Stripe-Signature": stripeevent.Sign(body, now, stripeSecret)}, 415, "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.post("/webhooks/stripe", tc.body, tc.headers)
			assert.Equal(t, tc.status, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), tc.want)
			assert.NotContains(t, rec.Body.String(), stripeSecret)
		})
	}
	f.tc.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(fakeRun(t, "location/x"), nil).Once()
	rec := f.post("/webhooks/stripe", body, map[string]string{"Stripe-Signature": stripeevent.Sign(body, now, stripeSecret)})
	require.Equal(t, http.StatusOK, rec.Code, "control: the same body, rightly signed, is accepted")
}

// expectStripe expects one change for loc's owner from a Stripe event.
func (f *stripeFixture) expectStripe(t *testing.T, loc string, want workflows.LocationEvent) {
	f.tc.On("SignalWithStartWorkflow", mock.Anything, workflows.LocationWorkflowID(loc), workflows.LocationSignal, want,
		mock.Anything, workflows.LocationWorkflowType, workflows.LocationInput{LocationID: loc, CompanyID: gwCompany}).
		Return(fakeRun(t, workflows.LocationWorkflowID(loc)), nil).Once()
}

// Each handled type becomes a change for the location's owner, keyed by Stripe's event
// id and ordered by its created; a second secret is accepted during a rotation.
func TestStripeEventsReachTheirLocation(t *testing.T) {
	at := func(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
	for _, tc := range []struct {
		fixture string
		want    workflows.LocationEvent
	}{
		{"customer.subscription.created", workflows.LocationEvent{EventID: "stripe/evt_1QFixtureSubCreated0001", OccurredAt: at(1764590400),
			Status: "trialing", PriceID: "price_1QFixturePrice0001"}},
		{"customer.subscription.deleted", workflows.LocationEvent{EventID: "stripe/evt_1QFixtureSubDeleted0001", OccurredAt: at(1767000000),
			Status: "canceled", PriceID: "price_1QFixturePrice0001"}},
		{"invoice.paid", workflows.LocationEvent{EventID: "stripe/evt_1QFixtureInvoicePaid001", OccurredAt: at(1765800020), Status: "active"}},
		{"invoice.payment_failed", workflows.LocationEvent{EventID: "stripe/evt_1QFixturePaymentFail01", OccurredAt: at(1768478500), Status: "past_due"}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			f := newStripeGateway(t)
			want := tc.want
			want.Kind, want.SubscriptionID, want.CustomerID = workflows.EventChange, stripeSub, stripeCustomer
			want.Source = "Stripe " + tc.fixture + " " + strings.TrimPrefix(want.EventID, "stripe/")
			f.expectStripe(t, gwLocation, want)
			r := f.postStripe(stripeBody(t, tc.fixture, gwLocation), time.Now(), "whsec_theoldone0123456789abcdefghijklm", stripeSecret)
			require.Equal(t, http.StatusOK, r.code, r.body)
			assert.Equal(t, "accepted", r.reply.Status)
			assert.Zero(t, f.lookups, "the metadata names the location")
		})
	}
}

// Without metadata the customer's location is asked of HighLevel (each served agency;
// one not connected is skipped), then cached in the store.
func TestStripeEventsFindTheCustomersLocation(t *testing.T) {
	f := newStripeGateway(t)
	f.byCustomer[gwCompany] = map[string][]string{stripeCustomer: {gwLocation}}
	f.tc.On("SignalWithStartWorkflow", mock.Anything, workflows.LocationWorkflowID(gwLocation), workflows.LocationSignal, mock.Anything,
		mock.Anything, workflows.LocationWorkflowType, mock.Anything).Return(fakeRun(t, workflows.LocationWorkflowID(gwLocation)), nil).Twice()
	for _, name := range []string{"customer.subscription.updated", "customer.subscription.paused"} {
		r := f.postStripe(stripeBody(t, name, ""), time.Now())
		require.Equal(t, http.StatusOK, r.code, r.body)
		assert.Equal(t, "accepted", r.reply.Status)
	}
	assert.Equal(t, 2, f.lookups, "the first event asks both agencies, the second is served from the cache")
	cached, ok, err := f.known.StripeCustomer(t.Context(), stripeCustomer)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, facts.StripeCustomer{CustomerID: stripeCustomer, CompanyID: gwCompany, LocationID: gwLocation, UpdatedAt: cached.UpdatedAt}, cached)
}

// A customer of several locations is placed by its subscription; one no location has
// is kept, visibly, and acknowledged; HighLevel down is a 503 (Stripe retries).
func TestStripeEventsThatMatchNoLocationAreKept(t *testing.T) {
	f := newStripeGateway(t)
	f.byCustomer[gwCompany] = map[string][]string{stripeCustomer: {gwLocation, "SecondLocation000001"}}
	f.bySubscription[gwCompany] = map[string][]string{stripeSub: {gwLocation}}
	f.tc.On("SignalWithStartWorkflow", mock.Anything, workflows.LocationWorkflowID(gwLocation), workflows.LocationSignal, mock.Anything,
		mock.Anything, workflows.LocationWorkflowType, mock.Anything).Return(fakeRun(t, workflows.LocationWorkflowID(gwLocation)), nil).Once()
	r := f.postStripe(stripeBody(t, "customer.subscription.updated", ""), time.Now())
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Equal(t, "accepted", r.reply.Status, "placed by its subscription")

	f.bySubscription[gwCompany] = nil
	r = f.postStripe(stripeBody(t, "customer.subscription.resumed", ""), time.Now())
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Equal(t, "unmatched", r.reply.Status)

	f.byCustomer[gwCompany] = nil
	r = f.postStripe(stripeBody(t, "customer.subscription.deleted", ""), time.Now())
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Equal(t, "unmatched", r.reply.Status)
	open, err := f.known.UnmatchedEvents(t.Context(), false, 10)
	require.NoError(t, err)
	require.Len(t, open, 2)
	byID := map[string]facts.UnmatchedEvent{}
	for _, u := range open {
		byID[u.EventID] = u
	}
	resumed, deleted := byID["evt_1QFixtureSubResumed0001"], byID["evt_1QFixtureSubDeleted0001"]
	assert.Contains(t, resumed.Reason, "pays for 2 locations")
	assert.Contains(t, deleted.Reason, "no location of the agencies saasbridge serves has Stripe customer "+stripeCustomer)
	assert.Contains(t, deleted.Reason, "not connected, so not asked: NotConnected00000001")
	var detail stripeevent.Change
	require.NoError(t, json.Unmarshal(deleted.Detail, &detail))
	assert.Equal(t, "canceled", detail.Status, "enough is kept to re-drive it")

	f.lookupErr = errors.New("highlevel GET /saas/locations: 503 Service Unavailable")
	r = f.postStripe(stripeBody(t, "customer.subscription.created", ""), time.Now())
	assert.Equal(t, http.StatusServiceUnavailable, r.code, r.body)
}

// Unknown types are acknowledged and counted; a location of an agency not served
// starts nothing; a redelivery is a duplicate; Temporal down is a 503 and nothing is
// remembered.
func TestStripeEventsAcknowledgedWithoutAction(t *testing.T) {
	f := newStripeGateway(t)
	r := f.postStripe(stripeBody(t, "customer.created", gwLocation), time.Now())
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Equal(t, "ignored", r.reply.Status)

	r = f.postStripe(stripeBody(t, "invoice.paid", foreignLocation), time.Now())
	require.Equal(t, http.StatusOK, r.code, r.body)
	assert.Equal(t, "foreign", r.reply.Status)

	body := stripeBody(t, "customer.subscription.updated", gwLocation)
	f.tc.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(nil, serviceerror.NewUnavailable("connection refused")).Once()
	r = f.postStripe(body, time.Now())
	assert.Equal(t, http.StatusServiceUnavailable, r.code, r.body)
	f.tc.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(fakeRun(t, "location/x"), nil).Once()
	r = f.postStripe(body, time.Now())
	assert.Equal(t, "accepted", r.reply.Status, "Stripe's retry goes through")
	r = f.postStripe(body, time.Now().Add(time.Second))
	assert.Equal(t, "duplicate", r.reply.Status, "a redelivery, signed anew, is a duplicate")
	f.tc.AssertNumberOfCalls(t, "SignalWithStartWorkflow", 2)
}

func TestStripeEndpointDisabledWithoutSecrets(t *testing.T) {
	f := newGateway(t)
	rec := f.post("/webhooks/stripe", []byte(`{}`), nil)
	assert.Equal(t, http.StatusNotFound, rec.Code)
}
