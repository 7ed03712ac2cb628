package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/billing"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/deps"
	"github.com/saasbridge/saasbridge/internal/health"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/metrics"
	"github.com/saasbridge/saasbridge/internal/payloadcodec"
	"github.com/saasbridge/saasbridge/internal/stripeevent"
	"github.com/saasbridge/saasbridge/workflows"
)

const (
	operatorToken = "operator-token-0123456789abcdef"
	codecToken    = "codec-token-0123456789abcdef"
)

// surface is the starter's two listeners as serve builds them, on real HTTP servers (so
// that header limits apply), over a gateway whose Temporal client fails the test on any
// call, both simulators and a token store.
type surface struct {
	gw               *gwFixture
	conn             *connectFixture
	metrics          *metrics.Metrics
	public, operator *httptest.Server
}

func newSurface(t *testing.T, cfg config.Starter) *surface {
	t.Helper()
	s := &surface{gw: newGateway(t), conn: newConnectFixture(t, fixtureOpts{}), metrics: metrics.New()}
	s.gw.gw.metrics = s.metrics
	v, err := stripeevent.NewVerifier([]string{stripeSecret}, 5*time.Minute, time.Now)
	require.NoError(t, err)
	s.gw.gw.stripeVerifier = v
	s.gw.gw.stripeLocations = &stripeLocator{companyOf: func(context.Context, string) (string, error) {
		t.Error("a bad Stripe event reached the locator")
		return "", nil
	}}
	keys, err := payloadcodec.ParseKeys("k1:"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)), "")
	require.NoError(t, err)
	d := &deps.Deps{Metrics: s.metrics, Store: s.conn.store, Temporal: s.gw.tc, Keys: keys}
	conns := []*connector{s.conn.conns["highlevel"], s.conn.conns["actionstep"]}
	probes := health.Handler(map[string]health.Check{"temporal": func(context.Context) error { return nil }}, time.Second)
	start := func(h http.Handler) *httptest.Server {
		srv := httptest.NewUnstartedServer(nil)
		srv.Config = newHTTPServer(h)
		srv.Start()
		t.Cleanup(srv.Close)
		return srv
	}
	s.public = start(publicMux(s.gw.gw, conns))
	cons, err := consoleHandler(t.Context(), cfg, d, zap.NewNop())
	require.NoError(t, err)
	s.operator = start(operatorMux(cfg, d, conns, probes, cons, zap.NewNop()))
	return s
}

// badInput is one row of the public surface's bad-input table.
type badInput struct {
	endpoint, name string
	req            func(t *testing.T, base string) *http.Request
	status         int
	body           string // a substring of the answer
}

func request(t *testing.T, method, u string, body []byte, headers http.Header) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	require.NoError(t, err)
	for k, vs := range headers {
		req.Header[k] = vs
	}
	return req
}

// webhookRows are the bad inputs of POST /webhooks/highlevel.
func (s *surface) webhookRows() []badInput {
	f := s.gw
	loc := fmt.Sprintf(`"locationId":%q,`, gwLocation)
	good := webhookBody(highlevel.EventInstall, "w-good", gwNow, loc)
	signed := func(body []byte, extra ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}, highlevel.HeaderWebhookSignature: {highlevel.SignWebhookEd25519(f.edKey, body)}}
		for i := 0; i+1 < len(extra); i += 2 {
			h[http.CanonicalHeaderKey(extra[i])] = append(h[http.CanonicalHeaderKey(extra[i])], extra[i+1])
		}
		return h
	}
	rsaSig, _ := highlevel.SignWebhookRSA(f.rsaKey, good)
	noTimestamp := []byte(fmt.Sprintf(`{"type":"INSTALL","appId":%q,"companyId":%q,%s"webhookId":"w-nots"}`, gwApp, gwCompany, loc))
	stale := webhookBody(highlevel.EventInstall, "w-stale", gwNow.Add(-10*time.Minute), loc)
	future := webhookBody(highlevel.EventInstall, "w-future", gwNow.Add(10*time.Minute), loc)
	malformed := []byte(`{"type":"INSTALL",`)
	big := append(bytes.Repeat([]byte(" "), 5000), good...)
	foreign := []byte(fmt.Sprintf(`{"type":"LocationCreate","id":%q,"companyId":"AnotherAgencysCompany","name":"Elsewhere","timestamp":%q,"webhookId":"w-foreign"}`,
		gwLocation, gwNow.Format(time.RFC3339)))
	post := func(body []byte, h http.Header) func(*testing.T, string) *http.Request {
		return func(t *testing.T, base string) *http.Request {
			return request(t, http.MethodPost, base+"/webhooks/highlevel", body, h)
		}
	}
	const ep = "POST /webhooks/highlevel"
	return []badInput{
		{ep, "missing signature", post(good, http.Header{"Content-Type": {"application/json"}}), 401, "signature missing"},
		{ep, "bad signature", post(good, signed(append([]byte(" "), good...))), 401, "signature invalid"},
		{ep, "legacy RSA signature only (off by default)", post(good, http.Header{"Content-Type": {"application/json"}, highlevel.HeaderWebhookLegacySignature: {rsaSig}}), 401, "not accepted"},
		{ep, "stale timestamp", post(stale, signed(stale)), 401, "replay window"},
		{ep, "future timestamp", post(future, signed(future)), 401, "replay window"},
		{ep, "missing timestamp", post(noTimestamp, signed(noTimestamp)), 400, "timestamp missing"},
		{ep, "oversize body", post(big, signed(big)), 413, "larger than"},
		{ep, "wrong content type", post(good, http.Header{"Content-Type": {"text/plain"}, highlevel.HeaderWebhookSignature: signed(good)[highlevel.HeaderWebhookSignature]}), 415, "application/json"},
		{ep, "malformed JSON", post(malformed, signed(malformed)), 400, "malformed"},
		{ep, "duplicate signature headers", post(good, signed(good, highlevel.HeaderWebhookSignature, highlevel.SignWebhookEd25519(f.edKey, good))), 401, "2 values"},
		{ep, "duplicate content types", post(good, signed(good, "Content-Type", "text/plain")), 415, "application/json"},
		{ep, "huge headers", post(good, signed(good, "X-Padding", strings.Repeat("p", 2*maxHeaderBytes))), 431, ""},
		{ep, "wrong method", func(t *testing.T, base string) *http.Request {
			return request(t, http.MethodGet, base+"/webhooks/highlevel", nil, nil)
		}, 405, ""},
		{ep, "signed LocationCreate of a company not served", post(foreign, signed(foreign)), 200, `"status":"foreign"`},
	}
}

// billingRows are the bad inputs of POST /events/subscription-changed.
func billingRows() []badInput {
	good := billingBody("evt_bad", gwLocation)
	signedAt := func(body []byte, at time.Time) http.Header {
		return http.Header{"Content-Type": {"application/json"}, billing.SignatureHeader: {billing.Sign(billingSecret, body, at)}}
	}
	noEventID := []byte(`{"locationId":"l1C08ntBrFjLS0elLIYU","subscriptionId":"sub_1","customerId":"cus_1","planId":"plan_1","occurredAt":"2026-11-30T11:59:00Z"}`)
	post := func(body []byte, h http.Header) func(*testing.T, string) *http.Request {
		return func(t *testing.T, base string) *http.Request {
			return request(t, http.MethodPost, base+"/events/subscription-changed", body, h)
		}
	}
	twice := signedAt(good, gwNow)
	twice[billing.SignatureHeader] = append(twice[billing.SignatureHeader], billing.Sign(billingSecret, good, gwNow))
	huge := signedAt(good, gwNow)
	huge["X-Padding"] = []string{strings.Repeat("p", 2*maxHeaderBytes)}
	const ep = "POST /events/subscription-changed"
	return []badInput{
		{ep, "missing signature", post(good, http.Header{"Content-Type": {"application/json"}}), 401, "signature"},
		{ep, "bad signature", post(good, http.Header{"Content-Type": {"application/json"}, billing.SignatureHeader: {billing.Sign([]byte("another-secret-0123456"), good, gwNow)}}), 401, "signature"},
		{ep, "stale timestamp", post(good, signedAt(good, gwNow.Add(-time.Hour))), 401, "replay window"},
		{ep, "future timestamp", post(good, signedAt(good, gwNow.Add(time.Hour))), 401, "replay window"},
		{ep, "missing eventId", post(noEventID, signedAt(noEventID, gwNow)), 400, `"field":"eventId"`},
		{ep, "oversize body", post(append(bytes.Repeat([]byte(" "), 5000), good...), signedAt(append(bytes.Repeat([]byte(" "), 5000), good...), gwNow)), 413, "larger than"},
		{ep, "wrong content type", post(good, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, billing.SignatureHeader: {billing.Sign(billingSecret, good, gwNow)}}), 415, "application/json"},
		{ep, "malformed JSON", post([]byte(`{`), signedAt([]byte(`{`), gwNow)), 400, "malformed"},
		{ep, "duplicate signature headers", post(good, twice), 401, "send one"},
		{ep, "huge headers", post(good, huge), 431, ""},
	}
}

// stripeRows are the bad inputs of POST /webhooks/stripe. The mock Temporal client
// and a locator that fails the test keep any of them from reaching an owner.
func (s *surface) stripeRows(t *testing.T) []badInput {
	good := stripeBody(t, "customer.subscription.updated", gwLocation)
	unknownType := stripeBody(t, "customer.created", "")
	now := time.Now()
	signed := func(body []byte, at time.Time, secret string) http.Header {
		return http.Header{"Content-Type": {"application/json"}, stripeevent.SignatureHeader: {stripeevent.Sign(body, at, secret)}}
	}
	post := func(body []byte, h http.Header) func(*testing.T, string) *http.Request {
		return func(t *testing.T, base string) *http.Request {
			return request(t, http.MethodPost, base+"/webhooks/stripe", body, h)
		}
	}
	oneByte := bytes.Clone(good)
	oneByte[bytes.Index(oneByte, []byte(`"status":"active"`))+10] = 'A'
	twice := signed(good, now, stripeSecret)
	twice[stripeevent.SignatureHeader] = append(twice[stripeevent.SignatureHeader], stripeevent.Sign(good, now, stripeSecret))
	huge := signed(good, now, stripeSecret)
	huge["X-Padding"] = []string{strings.Repeat("p", 2*maxHeaderBytes)}
	big := append(bytes.Repeat([]byte(" "), 5000), good...)
	const ep = "POST /webhooks/stripe"
	return []badInput{
		{ep, "missing signature", post(good, http.Header{"Content-Type": {"application/json"}}), 401, "header missing"},
		{ep, "wrong secret", post(good, signed(good, now, "whsec_notours0123456789abcdefghijklmn")), 401, "signature invalid"},
		{ep, "stale timestamp", post(good, signed(good, now.Add(-10*time.Minute), stripeSecret)), 401, "replay window"},
		{ep, "future timestamp", post(good, signed(good, now.Add(10*time.Minute), stripeSecret)), 401, "replay window"},
		{ep, "body changed by one byte", post(oneByte, signed(good, now, stripeSecret)), 401, "signature invalid"},
		{ep, "malformed JSON, signed", post([]byte(`{`), signed([]byte(`{`), now, stripeSecret)), 400, "malformed"},
		{ep, "oversize body", post(big, signed(big, now, stripeSecret)), 413, "larger than"},
		{ep, "wrong content type", post(good, http.Header{"Content-Type": {"text/plain"}, stripeevent.SignatureHeader: signed(good, now, stripeSecret)[stripeevent.SignatureHeader]}), 415, "application/json"},
		{ep, "duplicate signature headers", post(good, twice), 401, "send one"},
		{ep, "huge headers", post(good, huge), 431, ""},
		{ep, "signed event of a type not handled", post(unknownType, signed(unknownType, now, stripeSecret)), 200, `"status":"ignored"`},
	}
}

// oauthRows are the bad inputs of the OAuth begin and callback pages: the state plays
// the signature's part, its expiry the timestamp's.
func (s *surface) oauthRows(provider string) []badInput {
	flows := s.conn.conns[provider].flows
	stale, _ := newFlowSigner(storeKey, func() time.Time { return time.Now().Add(-stateTTL - time.Second) })
	nonce, _ := newNonce()
	cookie := &http.Cookie{Name: "saasbridge_" + provider + "_oauth", Value: nonce}
	valid := flows.sign(purposeState, flowClaims{Provider: provider, Binding: binding(nonce)}, stateTTL)
	get := func(path string, q url.Values, withCookie bool, extra http.Header) func(*testing.T, string) *http.Request {
		return func(t *testing.T, base string) *http.Request {
			req := request(t, http.MethodGet, base+"/oauth/"+provider+"/"+path+"?"+q.Encode(), nil, extra)
			if withCookie {
				req.AddCookie(cookie)
			}
			return req
		}
	}
	code := "0123456789abcdef0123456789abcdef01234567"
	cb, bg := "GET /oauth/"+provider+"/callback", "GET /oauth/"+provider+"/begin"
	const badState = "state is missing, invalid or expired"
	return []badInput{
		{cb, "missing state", get("callback", url.Values{"code": {code}}, true, nil), 400, badState},
		{cb, "forged state", get("callback", url.Values{"code": {code}, "state": {"forged.c2ln"}}, true, nil), 400, badState},
		{cb, "state without its browser cookie", get("callback", url.Values{"code": {code}, "state": {valid}}, false, nil), 400, badState},
		{cb, "expired state", get("callback", url.Values{"code": {code}, "state": {stale.sign(purposeState, flowClaims{Provider: provider, Binding: binding(nonce)}, stateTTL)}}, true, nil), 400, badState},
		{cb, "duplicate state", get("callback", url.Values{"code": {code}, "state": {valid, valid}}, true, nil), 400, badState},
		{cb, "missing code", get("callback", url.Values{"state": {valid}}, true, nil), 400, "no usable authorization code"},
		{cb, "oversize code", get("callback", url.Values{"state": {valid}, "code": {strings.Repeat("c", maxCodeLen+1)}}, true, nil), 400, "no usable authorization code"},
		{cb, "provider error reflected", get("callback", url.Values{"error": {"<b>" + strings.Repeat("x", 4000)}}, true, nil), 400, "the provider reported an error"},
		{cb, "huge headers", get("callback", url.Values{"code": {code}, "state": {valid}}, true, http.Header{"X-Padding": {strings.Repeat("p", 2*maxHeaderBytes)}}), 431, ""},
		{bg, "missing ticket", get("begin", nil, false, nil), 400, "invalid or has expired"},
		{bg, "forged ticket", get("begin", url.Values{"ticket": {"forged.c2ln"}}, false, nil), 400, "invalid or has expired"},
		{bg, "expired ticket", get("begin", url.Values{"ticket": {stale.sign(purposeTick, flowClaims{Provider: provider}, ticketTTL)}}, false, nil), 400, "invalid or has expired"},
	}
}

// TestPublicSurfaceBadInput sends every public endpoint its bad inputs through the
// public listener: each gets its status, nothing starts a workflow (the Temporal mock
// fails the test on any call), no provider is called, nothing is stored.
func TestPublicSurfaceBadInput(t *testing.T) {
	s := newSurface(t, config.Starter{CodecTokens: [][]byte{[]byte(codecToken)}})
	rows := append(s.webhookRows(), billingRows()...)
	rows = append(rows, s.stripeRows(t)...)
	rows = append(rows, s.oauthRows("highlevel")...)
	rows = append(rows, s.oauthRows("actionstep")...)
	statuses := map[int]int{}
	for _, row := range rows {
		t.Run(row.endpoint+"/"+row.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(row.req(t, s.public.URL))
			require.NoError(t, err, "a handler that called Temporal would have panicked and dropped the connection")
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, row.status, resp.StatusCode, "%.300s", b)
			assert.Contains(t, string(b), row.body)
			assert.NotContains(t, string(b), "<b>", "input is not reflected")
			statuses[resp.StatusCode]++
			t.Logf("| %s | %s | %d |", row.endpoint, row.name, resp.StatusCode)
		})
	}
	s.gw.tc.AssertExpectations(t)
	scraped := scrapeMetrics(s.metrics)
	assert.Contains(t, scraped, `saasbridge_webhooks_accepted_total{outcome="accepted",source="highlevel"} 0`, "no HighLevel event was accepted")
	assert.Contains(t, scraped, `saasbridge_webhooks_accepted_total{outcome="accepted",source="billing"} 0`, "no billing event was accepted")
	assert.Contains(t, scraped, `saasbridge_webhooks_accepted_total{outcome="foreign",source="highlevel"} 1`, "the foreign event is counted")
	assert.Contains(t, scraped, `saasbridge_webhooks_rejected_total{reason="timestamp_missing",source="highlevel"} 1`, "a missing timestamp has its own reason")
	assert.Contains(t, scraped, `saasbridge_webhooks_rejected_total{reason="stale",source="highlevel"} 2`, "and is not counted stale")
	assert.Zero(t, s.conn.tokenCalls(), "no provider was called")
	list, err := s.conn.store.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, list, "nothing was stored")
	t.Logf("%d cases, statuses %v, workflows started 0, provider calls 0", len(rows), statuses)
}

// TestOperatorRoutesAreNotPublic: nothing of the operator listener answers on the public
// one, whatever the credentials.
func TestOperatorRoutesAreNotPublic(t *testing.T) {
	s := newSurface(t, config.Starter{CodecTokens: [][]byte{[]byte(codecToken)}})
	for _, path := range []string{"/codec/decode", "/codec/encode", "/codec/" + codecToken + "/decode", "/metrics", "/readyz", "/healthz",
		"/oauth/highlevel/start", "/oauth/actionstep/start", "/console", "/console/stream", "/console/locations/x/redrive", "/"} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			req := request(t, method, s.public.URL+path, []byte(`{"payloads":[]}`), http.Header{"Authorization": {"Bearer " + codecToken}})
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, "%s %s", method, path)
		}
	}
	status, _ := get(t, http.DefaultClient, s.operator.URL+"/healthz")
	assert.Equal(t, http.StatusOK, status, "liveness is on the operator listener")
}

// TestOperatorListenerAuthentication: the codec server is closed to anyone without its
// credentials, /encode as much as /decode; the other operator routes need the operator
// token once one is configured (a browser may send it as the Basic password).
func TestOperatorListenerAuthentication(t *testing.T) {
	open := newSurface(t, config.Starter{CodecTokens: [][]byte{[]byte(codecToken)}})
	closed := newSurface(t, config.Starter{CodecTokens: [][]byte{[]byte(codecToken)}, OperatorTokens: [][]byte{[]byte(operatorToken)}})
	none := newSurface(t, config.Starter{})
	payloads := []byte(`{"payloads":[{"metadata":{"encoding":"YmluYXJ5L3BsYWlu"},"data":"QWNtZQ=="}]}`)
	type call struct {
		srv         *surface
		method, uri string
		auth        string
		status      int
	}
	bearer := func(tok string) string { return "Bearer " + tok }
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:"+operatorToken))
	for _, c := range []call{
		{open, "POST", "/codec/decode", "", 401},
		{open, "POST", "/codec/encode", "", 401},
		{open, "POST", "/codec/decode", bearer(operatorToken), 401},
		{open, "POST", "/codec/decode", bearer(codecToken), 200},
		{open, "POST", "/codec/encode", bearer(codecToken), 200},
		{open, "POST", "/codec/" + codecToken + "/decode", "", 200},
		{open, "POST", "/codec/wrong-token-0123456789/decode", "", 401},
		{none, "POST", "/codec/decode", bearer("anything"), 401},
		{none, "POST", "/codec/encode", "", 401},
		{open, "GET", "/metrics", "", 200},
		{closed, "GET", "/metrics", "", 401},
		{closed, "GET", "/metrics", bearer(codecToken), 401},
		{closed, "GET", "/metrics", bearer(operatorToken), 200},
		{closed, "GET", "/readyz", "", 401},
		{closed, "GET", "/readyz", bearer(operatorToken), 200},
		{closed, "GET", "/oauth/highlevel/start", "", 401},
		{closed, "GET", "/oauth/highlevel/start", basic, 303},
		{open, "GET", "/console", "", 200},
		{closed, "GET", "/console", "", 401},
		{closed, "GET", "/console/locations/loc1", bearer(codecToken), 401},
		{closed, "GET", "/console", basic, 200},
		{closed, "GET", "/console/locations/loc1", bearer(operatorToken), 404},
		{closed, "POST", "/console/locations/loc1/redrive", "", 401},
		{closed, "POST", "/codec/decode", bearer(operatorToken), 401},
		{closed, "POST", "/codec/decode", bearer(codecToken), 200},
	} {
		req := request(t, c.method, c.srv.operator.URL+c.uri, payloads, http.Header{"Content-Type": {"application/json"}})
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := noRedirects(&http.Client{}).Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, c.status, resp.StatusCode, "%s %s (%.20s): %.200s", c.method, strings.ReplaceAll(c.uri, codecToken, "<codec token>"), c.auth, b)
		if c.status == 401 {
			assert.NotContains(t, string(b), "Acme")
		}
	}
}

// TestOperatorListenerBeyondLoopbackNeedsAuth: the starter refuses an operator listener
// on a routable or unspecified address unless operator authentication is configured.
func TestOperatorListenerBeyondLoopbackNeedsAuth(t *testing.T) {
	for _, tt := range []struct {
		addr string
		auth bool
		ok   bool
	}{
		{"127.0.0.1:8090", false, true},
		{"[::1]:8090", false, true},
		{"0.0.0.0:8090", false, false},
		{"[::]:8090", false, false},
		{"10.1.2.3:8090", false, false},
		{"0.0.0.0:8090", true, true},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tt.addr)
		require.NoError(t, err)
		err = operatorExposure(addr, tt.auth)
		assert.Equal(t, tt.ok, err == nil, "%s auth=%t: %v", tt.addr, tt.auth, err)
	}

	h := http.NotFoundHandler()
	cfg := config.Starter{ListenAddr: "127.0.0.1:0", OperatorAddr: "0.0.0.0:0"}
	err := runListeners(t.Context(), cfg, h, h, zap.NewNop())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "STARTER_OPERATOR_ADDR")
	assert.Contains(t, err.Error(), "OPERATOR_AUTH_TOKEN")

	cfg.OperatorTokens = [][]byte{[]byte(operatorToken)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- runListeners(ctx, cfg, h, h, zap.NewNop()) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	assert.NoError(t, <-done, "with operator authentication it serves, and stops cleanly")
}

// TestSchemeAndForeignMetrics: each verified webhook counts the scheme that verified it,
// and the legacy scheme verifies only when turned on.
func TestSchemeAndForeignMetrics(t *testing.T) {
	f := newGateway(t)
	m := metrics.New()
	f.gw.metrics = m
	loc := fmt.Sprintf(`"locationId":%q,`, gwLocation)
	f.tc.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, workflows.LocationSignal, mock.Anything, mock.Anything, workflows.LocationWorkflowType, mock.Anything).
		Return(fakeRun(t, workflows.LocationWorkflowID(gwLocation)), nil)
	body := webhookBody(highlevel.EventInstall, "m1", gwNow, loc)
	require.Equal(t, http.StatusOK, f.post("/webhooks/highlevel", body, f.signed(body)).Code)

	rsaBody := webhookBody(highlevel.EventInstall, "m2", gwNow, loc)
	rsaSig, err := highlevel.SignWebhookRSA(f.rsaKey, rsaBody)
	require.NoError(t, err)
	rsaOnly := map[string]string{highlevel.HeaderWebhookLegacySignature: rsaSig}
	assert.Equal(t, http.StatusUnauthorized, f.post("/webhooks/highlevel", rsaBody, rsaOnly).Code, "legacy RSA is off")
	legacy, err := highlevel.NewWebhookVerifier([]string{mustPEM(t, f.edKey.Public())}, []string{mustPEM(t, &f.rsaKey.PublicKey)},
		5*time.Minute, func() time.Time { return gwNow }, highlevel.WithLegacyRSA())
	require.NoError(t, err)
	f.gw.verifier = legacy
	require.Equal(t, http.StatusOK, f.post("/webhooks/highlevel", rsaBody, rsaOnly).Code)

	scraped := scrapeMetrics(m)
	assert.Contains(t, scraped, `saasbridge_webhooks_verified_total{scheme="ed25519",source="highlevel"} 1`)
	assert.Contains(t, scraped, `saasbridge_webhooks_verified_total{scheme="rsa-sha256",source="highlevel"} 1`)
}

// TestDedupeCoversTheReplayWindow: an event accepted while dated up to WEBHOOK_MAX_AGE in
// the future stays fresh for up to 2×WEBHOOK_MAX_AGE; a redelivery late in that span is a
// duplicate, not a second start. With a 90-minute window the old fixed 2-hour memory
// would have forgotten it.
func TestDedupeCoversTheReplayWindow(t *testing.T) {
	assert.Equal(t, 10*time.Minute, dedupeTTL(5*time.Minute, 5*time.Minute))
	assert.Equal(t, 3*time.Hour, dedupeTTL(90*time.Minute, 5*time.Minute))
	assert.Equal(t, 2*time.Hour, dedupeTTL(5*time.Minute, time.Hour), "the billing window counts too")

	const window = 90 * time.Minute
	now := gwNow
	clock := func() time.Time { return now }
	f := newGateway(t)
	v, err := highlevel.NewWebhookVerifier([]string{mustPEM(t, f.edKey.Public())}, nil, window, clock)
	require.NoError(t, err)
	f.gw.verifier, f.gw.now = v, clock
	f.gw.seen = newSeenCache(dedupeTTL(window, 5*time.Minute), 100)
	f.gw.seen.now = clock
	f.tc.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, workflows.LocationSignal, mock.Anything, mock.Anything, workflows.LocationWorkflowType, mock.Anything).
		Return(fakeRun(t, workflows.LocationWorkflowID(gwLocation)), nil).Once()
	body := webhookBody(highlevel.EventInstall, "early", gwNow.Add(window), fmt.Sprintf(`"locationId":%q,`, gwLocation))
	require.Equal(t, http.StatusOK, f.post("/webhooks/highlevel", body, f.signed(body)).Code)
	now = gwNow.Add(2*window - time.Minute) // still inside the event's window
	rec := f.post("/webhooks/highlevel", body, f.signed(body))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), "duplicate")
	f.tc.AssertNumberOfCalls(t, "SignalWithStartWorkflow", 1)
}

func mustPEM(t *testing.T, pub any) string {
	t.Helper()
	p, err := highlevel.WebhookPublicKeyPEM(pub)
	require.NoError(t, err)
	return p
}

func scrapeMetrics(m *metrics.Metrics) string {
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}
