package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/billing"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/workflows"
)

const (
	gwApp      = "6578278e879ad2646715ba9c"
	gwCompany  = "GNb7aIv4rQFVb9iwNl5K"
	gwLocation = "l1C08ntBrFjLS0elLIYU"
)

var (
	gwNow         = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	billingSecret = []byte("billing-secret-0123456789")
)

type gwFixture struct {
	gw      *gateway
	tc      *mocks.Client
	edKey   ed25519.PrivateKey
	rsaKey  *rsa.PrivateKey
	handler http.Handler
}

func newGateway(t *testing.T) *gwFixture {
	t.Helper()
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	edPEM, err := highlevel.WebhookPublicKeyPEM(edPub)
	require.NoError(t, err)
	rsaPEM, err := highlevel.WebhookPublicKeyPEM(&rsaKey.PublicKey)
	require.NoError(t, err)
	v, err := highlevel.NewWebhookVerifier([]string{edPEM}, []string{rsaPEM}, 5*time.Minute, func() time.Time { return gwNow })
	require.NoError(t, err)
	tc := mocks.NewClient(t)
	f := &gwFixture{tc: tc, edKey: edPriv, rsaKey: rsaKey}
	f.gw = &gateway{
		temporal: tc, verifier: v, appID: gwApp, companies: newAllowlist([]string{gwCompany}),
		billingSecrets: [][]byte{billingSecret}, billingMaxAge: 5 * time.Minute,
		maxBody: 4096, temporalTimeout: time.Second, seen: newSeenCache(time.Hour, 100), logger: zap.NewNop(),
		now: func() time.Time { return gwNow },
		companyOf: func(_ context.Context, loc string) (string, error) {
			if loc == gwLocation {
				return gwCompany, nil
			}
			return "", nil
		},
	}
	mux := http.NewServeMux()
	f.gw.routes(mux)
	f.handler = mux
	return f
}

func webhookBody(typ, webhookID string, ts time.Time, extra string) []byte {
	return []byte(fmt.Sprintf(`{"type":%q,"appId":%q,"companyId":%q,%s"timestamp":%q,"webhookId":%q}`,
		typ, gwApp, gwCompany, extra, ts.Format(time.RFC3339Nano), webhookID))
}

func (f *gwFixture) post(path string, body []byte, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

func (f *gwFixture) signed(body []byte) map[string]string {
	return map[string]string{highlevel.HeaderWebhookSignature: highlevel.SignWebhookEd25519(f.edKey, body)}
}

func fakeRun(t *testing.T, id string) *mocks.WorkflowRun {
	r := mocks.NewWorkflowRun(t)
	r.On("GetID").Return(id).Maybe()
	r.On("GetRunID").Return("run-1").Maybe()
	return r
}

func TestHighLevelWebhookRejectsBadInputAndStartsNothing(t *testing.T) {
	f := newGateway(t) // the mock client fails the test on any call
	good := webhookBody(highlevel.EventInstall, "w1", gwNow, fmt.Sprintf(`"locationId":%q,`, gwLocation))
	rsaSig, err := highlevel.SignWebhookRSA(f.rsaKey, good)
	require.NoError(t, err)
	stale := webhookBody(highlevel.EventInstall, "w2", gwNow.Add(-10*time.Minute), fmt.Sprintf(`"locationId":%q,`, gwLocation))
	future := webhookBody(highlevel.EventInstall, "w3", gwNow.Add(10*time.Minute), fmt.Sprintf(`"locationId":%q,`, gwLocation))
	malformed := []byte(`{"type":"INSTALL",`)
	big := append(bytes.Repeat([]byte(" "), 5000), good...)

	tests := []struct {
		name    string
		body    []byte
		headers map[string]string
		status  int
		want    string
	}{
		{"no signature", good, nil, 401, "signature missing"},
		{"N/A signature", good, map[string]string{highlevel.HeaderWebhookSignature: "N/A"}, 401, "signature missing"},
		{"signature of other bytes", good, f.signed(append([]byte(" "), good...)), 401, "signature invalid"},
		{"tampered body", append(bytes.Clone(good[:len(good)-2]), []byte(`x"}`)...), f.signed(good), 401, "signature invalid"},
		{"invalid Ed25519 does not fall back to RSA", good, map[string]string{highlevel.HeaderWebhookSignature: highlevel.SignWebhookEd25519(f.edKey, []byte("x")), highlevel.HeaderWebhookLegacySignature: rsaSig}, 401, "signature invalid"},
		{"stale timestamp", stale, f.signed(stale), 401, "replay window"},
		{"future timestamp", future, f.signed(future), 401, "replay window"},
		{"malformed JSON", malformed, f.signed(malformed), 400, "malformed"},
		{"wrong content type", good, map[string]string{"Content-Type": "text/plain", highlevel.HeaderWebhookSignature: highlevel.SignWebhookEd25519(f.edKey, good)}, 415, "application/json"},
		{"body over the limit", big, f.signed(big), 413, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.post("/webhooks/highlevel", tt.body, tt.headers)
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), tt.want)
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		})
	}
}

func TestHighLevelWebhookRoutes(t *testing.T) {
	loc := fmt.Sprintf(`"locationId":%q,`, gwLocation)
	tests := []struct {
		name   string
		body   []byte
		expect func(f *gwFixture)
		status string
	}{
		{"INSTALL location sends an install to its owner", webhookBody(highlevel.EventInstall, "w1", gwNow, loc+`"installType":"Location",`), func(f *gwFixture) {
			f.expectOwner(t, workflows.EventInstall, "highlevel/w1")
		}, "accepted"},
		{"LocationCreate sends an install to its owner", webhookBody(highlevel.EventLocationCreate, "w2", gwNow, fmt.Sprintf(`"id":%q,"name":"Acme",`, gwLocation)), func(f *gwFixture) {
			f.expectOwner(t, workflows.EventInstall, "highlevel/w2")
		}, "accepted"},
		{"LocationUpdate sends a check to its owner", webhookBody(highlevel.EventLocationUpdate, "w3", gwNow, fmt.Sprintf(`"id":%q,`, gwLocation)), func(f *gwFixture) {
			f.expectOwner(t, workflows.EventCheck, "highlevel/w3")
		}, "accepted"},
		{"UNINSTALL location sends an uninstall to its owner", webhookBody(highlevel.EventUninstall, "w4", gwNow, loc), func(f *gwFixture) {
			f.expectOwner(t, workflows.EventUninstall, "highlevel/w4")
		}, "accepted"},
		{"UNINSTALL of a location without companyId finds the company", bytes.Replace(webhookBody(highlevel.EventUninstall, "w9", gwNow, loc), []byte(`"companyId":"`+gwCompany+`",`), nil, 1), func(f *gwFixture) {
			f.expectOwner(t, workflows.EventUninstall, "highlevel/w9")
		}, "accepted"},
		{"UNINSTALL agency offboards the agency", webhookBody(highlevel.EventUninstall, "w5", gwNow, ""), func(f *gwFixture) {
			f.tc.On("ExecuteWorkflow", mock.Anything, mock.MatchedBy(func(o client.StartWorkflowOptions) bool {
				return o.ID == workflows.AgencyOffboardingWorkflowID(gwCompany)
			}), workflows.AgencyOffboardingWorkflowType, mock.MatchedBy(func(in workflows.AgencyOffboardingInput) bool {
				return in.CompanyID == gwCompany && in.EventID == "highlevel/w5" && in.OccurredAt.Equal(gwNow)
			})).Return(fakeRun(t, workflows.AgencyOffboardingWorkflowID(gwCompany)), nil).Once()
		}, "accepted"},
		{"agency INSTALL is acknowledged", webhookBody(highlevel.EventInstall, "w6", gwNow, `"installType":"Company",`), func(*gwFixture) {}, "ignored"},
		{"other event types are acknowledged", webhookBody("ContactCreate", "w7", gwNow, loc), func(*gwFixture) {}, "ignored"},
		{"another app's webhook is ignored", bytes.Replace(webhookBody(highlevel.EventInstall, "w8", gwNow, loc), []byte(gwApp), []byte("000000000000000000000000"), 1), func(*gwFixture) {}, "ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGateway(t)
			tt.expect(f)
			rec := f.post("/webhooks/highlevel", tt.body, f.signed(tt.body))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			var r reply
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r))
			assert.Equal(t, tt.status, r.Status)
		})
	}
}

// expectOwner expects one event of the kind, with the id, for gwLocation's owner,
// ordered by the webhook's timestamp.
func (f *gwFixture) expectOwner(t *testing.T, kind, eventID string) {
	f.tc.On("SignalWithStartWorkflow", mock.Anything, workflows.LocationWorkflowID(gwLocation), workflows.LocationSignal,
		mock.MatchedBy(func(ev workflows.LocationEvent) bool {
			return ev.Kind == kind && ev.EventID == eventID && ev.OccurredAt.Equal(gwNow) && strings.Contains(ev.Source, "HighLevel")
		}), mock.MatchedBy(func(o client.StartWorkflowOptions) bool { return o.ID == workflows.LocationWorkflowID(gwLocation) }),
		workflows.LocationWorkflowType, workflows.LocationInput{LocationID: gwLocation, CompanyID: gwCompany}).
		Return(fakeRun(t, workflows.LocationWorkflowID(gwLocation)), nil).Once()
}

// A webhook without webhookId gets an id from a hash of its bytes: it is routed, its
// redelivery is a duplicate, and another id-less webhook is not.
func TestHighLevelWebhookWithoutIDIsKeyedByItsBytes(t *testing.T) {
	f := newGateway(t)
	first := webhookBody(highlevel.EventLocationUpdate, "", gwNow, fmt.Sprintf(`"id":%q,`, gwLocation))
	second := webhookBody(highlevel.EventLocationUpdate, "", gwNow.Add(time.Second), fmt.Sprintf(`"id":%q,`, gwLocation))
	var ids []string
	f.tc.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Run(func(args mock.Arguments) { ids = append(ids, args.Get(3).(workflows.LocationEvent).EventID) }).
		Return(fakeRun(t, workflows.LocationWorkflowID(gwLocation)), nil).Twice()
	for _, body := range [][]byte{first, first, second} {
		rec := f.post("/webhooks/highlevel", body, f.signed(body))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	require.Len(t, ids, 2, "the redelivery of the first is a duplicate")
	assert.NotEqual(t, ids[0], ids[1])
	for _, id := range ids {
		assert.Regexp(t, `^highlevel/sha256:[0-9a-f]{32}$`, id)
	}
}

func TestHighLevelWebhookDuplicateAndOutage(t *testing.T) {
	f := newGateway(t)
	body := webhookBody(highlevel.EventInstall, "dup", gwNow, fmt.Sprintf(`"locationId":%q,`, gwLocation))

	// Temporal unreachable: 429 (HighLevel redelivers only on 429), and the webhook is
	// not remembered, so the redelivery is processed.
	f.tc.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(nil, serviceerror.NewUnavailable("connection refused")).Once()
	rec := f.post("/webhooks/highlevel", body, f.signed(body))
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))

	f.tc.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(fakeRun(t, "location/x"), nil).Once()
	rec = f.post("/webhooks/highlevel", body, f.signed(body))
	assert.Equal(t, http.StatusOK, rec.Code)
	rec = f.post("/webhooks/highlevel", body, f.signed(body))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "duplicate")
	f.tc.AssertNumberOfCalls(t, "SignalWithStartWorkflow", 2)
}

func billingBody(eventID, loc string) []byte {
	return []byte(fmt.Sprintf(`{"eventId":%q,"locationId":%q,"subscriptionId":"sub_1","customerId":"cus_1","planId":"plan_1","status":"active","occurredAt":"2026-11-30T11:59:00Z"}`, eventID, loc))
}

func billingHeaders(body []byte, at time.Time) map[string]string {
	return map[string]string{billing.SignatureHeader: billing.Sign(billingSecret, body, at)}
}

func TestBillingEvents(t *testing.T) {
	good := billingBody("evt_1", gwLocation)
	invalid := []byte(`{"eventId":"","locationId":"l1","subscriptionId":"sub_1","customerId":"cus_1","planId":"p","status":"bogus","occurredAt":"yesterday"}`)
	tests := []struct {
		name    string
		body    []byte
		headers map[string]string
		expect  func(f *gwFixture)
		status  int
		want    string
	}{
		{"no signature", good, nil, nil, 401, "signature"},
		{"wrong secret", good, map[string]string{billing.SignatureHeader: billing.Sign([]byte("another-secret-0123456"), good, gwNow)}, nil, 401, "signature"},
		{"stale signature", good, billingHeaders(good, gwNow.Add(-time.Hour)), nil, 401, ""},
		{"malformed JSON", []byte(`{`), billingHeaders([]byte(`{`), gwNow), nil, 400, "malformed"},
		{"field-level errors", invalid, billingHeaders(invalid, gwNow), nil, 400, `"field":"eventId"`},
		{"wrong content type", good, map[string]string{"Content-Type": "application/x-www-form-urlencoded", billing.SignatureHeader: billing.Sign(billingSecret, good, gwNow)}, nil, 415, ""},
		{"unknown location", billingBody("evt_2", "unknownLocation00000"), billingHeaders(billingBody("evt_2", "unknownLocation00000"), gwNow), nil, 422, "unknown location"},
		{"accepted", good, billingHeaders(good, gwNow), func(f *gwFixture) {
			f.tc.On("SignalWithStartWorkflow", mock.Anything, workflows.LocationWorkflowID(gwLocation), workflows.LocationSignal,
				workflows.LocationEvent{EventID: "billing/evt_1", Kind: workflows.EventChange, Source: "billing", SubscriptionID: "sub_1",
					CustomerID: "cus_1", PlanID: "plan_1", Status: "active", OccurredAt: time.Date(2026, 11, 30, 11, 59, 0, 0, time.UTC)},
				mock.Anything, workflows.LocationWorkflowType, workflows.LocationInput{LocationID: gwLocation, CompanyID: gwCompany}).
				Return(fakeRun(t, workflows.LocationWorkflowID(gwLocation)), nil).Once()
		}, 202, "accepted"},
		{"Temporal down", good, billingHeaders(good, gwNow), func(f *gwFixture) {
			f.tc.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
				Return(nil, errors.New("context deadline exceeded")).Once()
		}, 503, "retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGateway(t)
			if tt.expect != nil {
				tt.expect(f)
			}
			rec := f.post("/events/subscription-changed", tt.body, tt.headers)
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), tt.want)
		})
	}
}

func TestBillingEndpointDisabledWithoutSecrets(t *testing.T) {
	f := newGateway(t)
	f.gw.billingSecrets = nil
	mux := http.NewServeMux()
	f.gw.routes(mux)
	req := httptest.NewRequest(http.MethodPost, "/events/subscription-changed", bytes.NewReader(billingBody("e", gwLocation)))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

func TestSeenCacheIsBounded(t *testing.T) {
	now := gwNow
	c := newSeenCache(time.Hour, 3)
	c.now = func() time.Time { return now }
	for _, k := range []string{"a", "b", "c", "d"} {
		c.Add(k)
		now = now.Add(time.Minute)
	}
	assert.False(t, c.Seen("a"), "oldest evicted past max")
	assert.True(t, c.Seen("d"))
	now = now.Add(2 * time.Hour)
	assert.False(t, c.Seen("d"), "expired")
	c.Add("e")
	assert.Equal(t, 1, c.order.Len(), "expired entries dropped on add")
}
