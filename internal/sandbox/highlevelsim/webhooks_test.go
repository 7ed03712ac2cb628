package highlevelsim

import (
	"bytes"
	"cmp"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// testRSAKey is one 2048-bit key shared by the webhook tests, so that only
// TestWebhookKeys pays for generating keys.
var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

const uuidPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`

// received is one POST a receiver got.
type received struct {
	at     time.Time
	header http.Header
	body   []byte
}

// receiver is the app's webhook endpoint. answer gives the status for the
// n-th request (1-based); a negative status makes the handler hang until
// the client gives up.
type receiver struct {
	url    string
	answer func(n int) int
	mu     sync.Mutex
	got    []received
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{at: time.Now(), header: r.Header.Clone(), body: body})
		n := len(rc.got)
		rc.mu.Unlock()
		status := rc.answer(n)
		if status < 0 {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/webhooks/highlevel"
	return rc
}

func always(status int) func(int) int { return func(int) int { return status } }

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// webhookHarness is a harness whose simulator delivers to a receiver and
// whose public keys the test has parsed from the admin API.
type webhookHarness struct {
	*harness
	rc     *receiver
	edPub  ed25519.PublicKey
	rsaPub *rsa.PublicKey
}

func newWebhookHarness(t *testing.T, answer func(int) int, cfg WebhookConfig) *webhookHarness {
	t.Helper()
	h := newHarness(t, Options{WebhookRSAKey: testRSAKey()})
	t.Cleanup(h.s.Close)
	wh := &webhookHarness{harness: h, rc: newReceiver(t, answer)}
	cfg.URL = wh.rc.url
	_, err := h.admin.SetWebhookConfig(t.Context(), cfg)
	require.NoError(t, err)
	keys, err := h.admin.WebhookKeys(t.Context())
	require.NoError(t, err)
	wh.edPub, wh.rsaPub = parseKeys(t, keys)
	return wh
}

func parseKeys(t *testing.T, keys WebhookKeys) (ed25519.PublicKey, *rsa.PublicKey) {
	t.Helper()
	parse := func(s string) any {
		block, rest := pem.Decode([]byte(s))
		require.NotNil(t, block, "PEM: %s", s)
		require.Equal(t, "PUBLIC KEY", block.Type)
		require.Empty(t, bytes.TrimSpace(rest))
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		require.NoError(t, err)
		return k
	}
	ed, ok := parse(keys.Ed25519).(ed25519.PublicKey)
	require.True(t, ok, "ed25519 member is an Ed25519 key")
	rk, ok := parse(keys.RSA).(*rsa.PublicKey)
	require.True(t, ok, "rsa member is an RSA key")
	return ed, rk
}

// requireSigned checks both signatures over the exact bytes received.
func (wh *webhookHarness) requireSigned(t *testing.T, r received) {
	t.Helper()
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	edSig, err := base64.StdEncoding.DecodeString(r.header.Get(SignatureHeader))
	require.NoError(t, err)
	require.Len(t, edSig, ed25519.SignatureSize)
	require.True(t, ed25519.Verify(wh.edPub, r.body, edSig), "x-ghl-signature verifies")
	rsaSig, err := base64.StdEncoding.DecodeString(r.header.Get(LegacySignatureHeader))
	require.NoError(t, err)
	sum := sha256.Sum256(r.body)
	require.NoError(t, rsa.VerifyPKCS1v15(wh.rsaPub, crypto.SHA256, sum[:], rsaSig), "x-wh-signature verifies")

	tampered := append(slices.Clone(r.body[:len(r.body)-1]), ' ', '}')
	assert.False(t, ed25519.Verify(wh.edPub, tampered, edSig), "the signature covers the exact bytes")
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, r.body))
	assert.Equal(t, compact.String(), string(r.body), "bodies are compact JSON")
}

// settle waits until n deliveries are logged and none is pending.
func (h *harness) settle(n int) WebhookReport {
	h.t.Helper()
	var r WebhookReport
	require.Eventually(h.t, func() bool {
		r = h.s.WebhookDeliveries()
		return r.Total >= n && r.ByOutcome[OutcomePending] == 0
	}, 10*time.Second, 2*time.Millisecond, "deliveries: %+v", r)
	require.Equal(h.t, n, r.Total)
	return r
}

// keysOf returns a JSON object's member names in order.
func keysOf(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

func decodeObject(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	return m
}

func TestWebhookKeys(t *testing.T) {
	t.Run("generated lazily at the configured size", func(t *testing.T) {
		s := New(Options{ClientID: testClientID, ClientSecret: testClientSecret, WebhookRSABits: 2048})
		t.Cleanup(s.Close)
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		keys, err := (&AdminClient{BaseURL: srv.URL}).WebhookKeys(t.Context())
		require.NoError(t, err)
		ed, rk := parseKeys(t, keys)
		assert.Len(t, ed, ed25519.PublicKeySize)
		assert.Equal(t, 2048, rk.N.BitLen())
		assert.Equal(t, keys, s.WebhookKeys(), "the keys are stable")
		assert.NotContains(t, keys.RSA+keys.Ed25519, "PRIVATE")
	})
	t.Run("HighLevel's 4096 bits by default", func(t *testing.T) {
		s := New(Options{ClientID: testClientID, ClientSecret: testClientSecret})
		t.Cleanup(s.Close)
		assert.Equal(t, 4096, s.hooks.rsaBits) // not generated: nothing asked for it
	})
	t.Run("injected keys are used", func(t *testing.T) {
		_, edKey, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		s := New(Options{ClientID: testClientID, ClientSecret: testClientSecret, WebhookEd25519Key: edKey, WebhookRSAKey: testRSAKey()})
		t.Cleanup(s.Close)
		ed, rk := parseKeys(t, s.WebhookKeys())
		assert.Equal(t, edKey.Public(), ed)
		assert.True(t, testRSAKey().PublicKey.Equal(rk))
	})
	t.Run("invalid options panic", func(t *testing.T) {
		base := Options{ClientID: testClientID, ClientSecret: testClientSecret}
		for _, o := range []Options{
			{WebhookRSABits: 1024},
			{WebhookEd25519Key: ed25519.PrivateKey{1, 2, 3}},
			{Webhooks: WebhookConfig{URL: "ftp://example.com"}},
		} {
			o.ClientID, o.ClientSecret = base.ClientID, base.ClientSecret
			assert.Panics(t, func() { New(o) })
		}
	})
}

func TestWebhookConfig(t *testing.T) {
	h := newHarness(t, Options{WebhookRSAKey: testRSAKey()})
	t.Cleanup(h.s.Close)
	ctx := t.Context()
	cfg, err := h.admin.WebhookConfig(ctx)
	require.NoError(t, err)
	assert.Equal(t, WebhookConfig{
		RetryInterval: Duration(10 * time.Minute), MaxRetries: ptr(6), SignRSA: ptr(true), SignEd25519: ptr(true),
		Timeout: Duration(10 * time.Second),
	}, cfg, "no delivery and HighLevel's policy by default")

	cfg, err = h.admin.SetWebhookConfig(ctx, WebhookConfig{URL: "http://127.0.0.1:1/hooks", RetryInterval: Duration(5 * time.Millisecond), MaxRetries: ptr(0), SignRSA: ptr(false)})
	require.NoError(t, err)
	assert.Equal(t, WebhookConfig{
		URL: "http://127.0.0.1:1/hooks", RetryInterval: Duration(5 * time.Millisecond), MaxRetries: ptr(0),
		SignRSA: ptr(false), SignEd25519: ptr(true), Timeout: Duration(10 * time.Second),
	}, cfg, "an explicit zero is kept")
	assert.Equal(t, cfg, h.s.WebhookConfig())

	var ae *AdminError
	for _, bad := range []WebhookConfig{
		{URL: "/relative"}, {URL: "mailto:x@example.com"}, {MaxRetries: ptr(-1)}, {MaxRetries: ptr(101)},
		{RetryInterval: Duration(-time.Second)}, {Timeout: Duration(-time.Second)},
	} {
		_, err := h.admin.SetWebhookConfig(ctx, bad)
		require.ErrorAs(t, err, &ae, "%+v", bad)
		assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	}
	r := h.call(http.MethodPut, "/_sandbox/webhooks/config", "", `{"url":"http://x","retries":3}`)
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, string(r.Body), "unknown field")
	assert.Equal(t, cfg, h.s.WebhookConfig(), "a refused config changes nothing")
}

func TestWebhookPayloads(t *testing.T) {
	wh := newWebhookHarness(t, always(http.StatusOK), WebhookConfig{})
	ctx := t.Context()
	l0, l1 := wh.locs[0], wh.locs[1]
	_, err := wh.s.UpdateLocation(l1.ID, LocationPatch{ProductID: ptr("prod_xyz123abc")})
	require.NoError(t, err)
	versionID := wh.s.State().App.VersionID
	domain := "app.acmeagency.example.com"
	whitelabel := map[string]any{"logoUrl": "https://" + domain + "/logo.png", "domain": domain}
	now := "2026-03-02T09:30:00.000Z"

	for _, tc := range []struct {
		name string
		req  WebhookSendRequest
		keys []string
		want map[string]any
	}{
		{
			"INSTALL location", WebhookSendRequest{Type: EventInstall, LocationID: l0.ID},
			[]string{"type", "appId", "versionId", "installType", "locationId", "companyId", "userId", "companyName", "isWhitelabelCompany", "whitelabelDetails", "timestamp", "webhookId"},
			map[string]any{
				"type": "INSTALL", "appId": testAppID, "versionId": versionID, "installType": "Location", "locationId": l0.ID,
				"companyId": wh.agency.ID, "userId": wh.agency.UserID, "companyName": "Acme Agency",
				"isWhitelabelCompany": true, "whitelabelDetails": whitelabel, "timestamp": now,
			},
		},
		{
			"INSTALL agency", WebhookSendRequest{Type: EventInstall, CompanyID: wh.agency.ID},
			[]string{"type", "appId", "versionId", "installType", "companyId", "userId", "companyName", "isWhitelabelCompany", "whitelabelDetails", "timestamp", "webhookId"},
			map[string]any{
				"type": "INSTALL", "appId": testAppID, "versionId": versionID, "installType": "Company",
				"companyId": wh.agency.ID, "userId": wh.agency.UserID, "companyName": "Acme Agency",
				"isWhitelabelCompany": true, "whitelabelDetails": whitelabel, "timestamp": now,
			},
		},
		{
			"UNINSTALL location", WebhookSendRequest{Type: EventUninstall, LocationID: l0.ID, CompanyID: wh.agency.ID},
			[]string{"type", "appId", "locationId", "timestamp", "webhookId"},
			map[string]any{"type": "UNINSTALL", "appId": testAppID, "locationId": l0.ID, "timestamp": now},
		},
		{
			"UNINSTALL agency", WebhookSendRequest{Type: EventUninstall, CompanyID: wh.agency.ID},
			[]string{"type", "appId", "companyId", "timestamp", "webhookId"},
			map[string]any{"type": "UNINSTALL", "appId": testAppID, "companyId": wh.agency.ID, "timestamp": now},
		},
		{
			"LocationCreate", WebhookSendRequest{Type: EventLocationCreate, LocationID: l0.ID},
			[]string{"type", "id", "companyId", "name", "email", "timestamp", "webhookId"},
			map[string]any{"type": "LocationCreate", "id": l0.ID, "companyId": wh.agency.ID, "name": l0.Name, "email": l0.Email, "timestamp": now},
		},
		{
			"LocationUpdate with a SaaS product", WebhookSendRequest{Type: EventLocationUpdate, LocationID: l1.ID},
			[]string{"type", "id", "companyId", "name", "email", "stripeProductId", "timestamp", "webhookId"},
			map[string]any{
				"type": "LocationUpdate", "id": l1.ID, "companyId": wh.agency.ID, "name": l1.Name, "email": l1.Email,
				"stripeProductId": "prod_xyz123abc", "timestamp": now,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(wh.rc.requests())
			sent, err := wh.admin.SendWebhook(ctx, tc.req)
			require.NoError(t, err)
			assert.Regexp(t, uuidPattern, sent.WebhookID)
			require.Eventually(t, func() bool { return len(wh.rc.requests()) == before+1 }, 5*time.Second, time.Millisecond)
			got := wh.rc.requests()[before]
			wh.requireSigned(t, got)
			assert.Equal(t, string(sent.Body), string(got.body), "the admin reply holds the exact bytes sent")
			assert.Equal(t, tc.keys, keysOf(t, got.body))
			m := decodeObject(t, got.body)
			assert.Equal(t, sent.WebhookID, m["webhookId"])
			delete(m, "webhookId")
			assert.Equal(t, tc.want, m)
		})
	}

	r := wh.settle(6)
	assert.Equal(t, map[string]int{OutcomeDelivered: 6}, r.ByOutcome)
	assert.Equal(t, EventUninstall, r.Deliveries[2].Type)
	assert.Equal(t, l0.ID, r.Deliveries[2].LocationID)
	assert.Equal(t, wh.agency.ID, r.Deliveries[2].CompanyID, "the log names the company even where the payload does not")
	assert.Empty(t, r.Deliveries[3].LocationID)
}

func TestWebhookSendOverridesAndErrors(t *testing.T) {
	wh := newWebhookHarness(t, always(http.StatusNoContent), WebhookConfig{})
	ctx := t.Context()
	l0 := wh.locs[0]
	require.Contains(t, l0.Name, "&", "the first demo name tests HTML escaping")

	stale := "2020-01-01T00:00:00.000Z"
	dup := "1a533f85-1f1e-4886-891e-ee0cf4666e90"
	first, err := wh.admin.SendWebhook(ctx, WebhookSendRequest{
		Type: EventInstall, LocationID: l0.ID,
		Overrides: map[string]any{"timestamp": stale, "webhookId": dup, "userId": nil, "planId": "66a0419a0dffa47fb5f8b22f", "companyName": "A <&> B"},
	})
	require.NoError(t, err)
	assert.Equal(t, dup, first.WebhookID)
	assert.Equal(t,
		[]string{"type", "appId", "versionId", "installType", "locationId", "companyId", "companyName", "isWhitelabelCompany", "whitelabelDetails", "planId", "timestamp", "webhookId"},
		keysOf(t, first.Body), "null removes a member; new members go before timestamp")
	assert.Contains(t, string(first.Body), `"companyName":"A <&> B"`, "no HTML escaping, as JSON.stringify")
	assert.Contains(t, string(first.Body), `"timestamp":"`+stale+`"`)

	// The same webhookId again, as a duplicate delivery would carry.
	second, err := wh.s.SendWebhook(WebhookSendRequest{Type: EventLocationCreate, LocationID: l0.ID, Overrides: map[string]any{"webhookId": dup}})
	require.NoError(t, err)
	assert.Contains(t, string(second.Body), `"name":"`+l0.Name+`"`)

	r := wh.settle(2)
	assert.Len(t, r.Find(dup), 2)
	reqs := wh.rc.requests()
	require.Len(t, reqs, 2)
	for _, got := range reqs {
		wh.requireSigned(t, got)
	}
	assert.Equal(t, map[string]int{OutcomeDelivered: 2}, r.ByOutcome, "204 is a 2xx")

	// The flat wire form reads overrides from any member.
	raw := wh.call(http.MethodPost, "/_sandbox/webhooks/send", "", `{"type":"UNINSTALL","companyId":"`+wh.agency.ID+`","reason":"test"}`)
	require.Equal(t, http.StatusAccepted, raw.Status, "body: %s", raw.Body)
	var sent SentWebhook
	raw.decode(t, &sent)
	assert.Equal(t, []string{"type", "appId", "companyId", "reason", "timestamp", "webhookId"}, keysOf(t, sent.Body))

	var ae *AdminError
	for _, tc := range []struct {
		req    WebhookSendRequest
		status int
	}{
		{WebhookSendRequest{Type: "PLAN_CHANGE", LocationID: l0.ID}, 400},
		{WebhookSendRequest{Type: "install", LocationID: l0.ID}, 400},
		{WebhookSendRequest{Type: EventInstall}, 400},
		{WebhookSendRequest{Type: EventLocationUpdate, CompanyID: wh.agency.ID}, 400},
		{WebhookSendRequest{Type: EventInstall, LocationID: "missing"}, 404},
		{WebhookSendRequest{Type: EventInstall, CompanyID: "missing"}, 404},
		{WebhookSendRequest{Type: EventInstall, LocationID: l0.ID, CompanyID: "other"}, 400},
	} {
		_, err := wh.s.SendWebhook(tc.req)
		require.Error(t, err, "%+v", tc.req)
		_, err = wh.admin.SendWebhook(ctx, tc.req)
		require.ErrorAs(t, err, &ae, "%+v", tc.req)
		assert.Equal(t, tc.status, ae.StatusCode, "%+v: %s", tc.req, ae.Message)
	}
	for _, k := range selectorKeys {
		req := WebhookSendRequest{Type: EventInstall, LocationID: l0.ID, Overrides: map[string]any{k: "x"}}
		_, err := wh.s.SendWebhook(req)
		require.ErrorAs(t, err, new(*simkit.StatusError), "%s cannot be overridden", k)
		_, err = wh.admin.SendWebhook(ctx, req)
		require.Error(t, err, "nor sent so")
	}
	assert.Equal(t, 3, wh.s.WebhookDeliveries().Total, "refused sends emit nothing")
}

func TestWebhookSendNeedsURL(t *testing.T) {
	h := newHarness(t, Options{WebhookRSAKey: testRSAKey()})
	t.Cleanup(h.s.Close)
	var ae *AdminError
	_, err := h.admin.SendWebhook(t.Context(), WebhookSendRequest{Type: EventInstall, LocationID: h.locs[0].ID})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusConflict, ae.StatusCode)
	_, err = h.admin.BulkInstall(t.Context(), BulkInstallRequest{CompanyID: h.agency.ID, Count: 2})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusConflict, ae.StatusCode)
	assert.Len(t, h.s.State().Locations, 3, "a refused bulk install creates nothing")
}

func TestWebhookRedeliversOnlyOn429(t *testing.T) {
	const interval = 40 * time.Millisecond
	wh := newWebhookHarness(t, func(n int) int {
		if n <= 2 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}, WebhookConfig{RetryInterval: Duration(interval)})

	sent, err := wh.s.SendWebhook(WebhookSendRequest{Type: EventInstall, LocationID: wh.locs[0].ID})
	require.NoError(t, err)
	r := wh.settle(1)
	d := r.Deliveries[0]
	assert.Equal(t, OutcomeDelivered, d.Outcome)
	require.Len(t, d.Attempts, 3)
	assert.Equal(t, []int{429, 429, 200}, []int{d.Attempts[0].Status, d.Attempts[1].Status, d.Attempts[2].Status})
	assert.Equal(t, wh.clock.Now(), d.Attempts[0].Time, "attempt times come from Options.Now")

	reqs := wh.rc.requests()
	require.Len(t, reqs, 3)
	for i, got := range reqs {
		wh.requireSigned(t, got)
		assert.Equal(t, string(sent.Body), string(got.body), "attempt %d resends the same bytes", i+1)
		assert.Equal(t, reqs[0].header.Get(SignatureHeader), got.header.Get(SignatureHeader))
		assert.Equal(t, reqs[0].header.Get(LegacySignatureHeader), got.header.Get(LegacySignatureHeader))
		if i > 0 {
			gap := got.at.Sub(reqs[i-1].at)
			assert.GreaterOrEqual(t, gap, interval*9/10, "redelivery %d waits the interval less at most 10%%", i)
			assert.Less(t, gap, 20*interval, "redelivery %d is not late beyond reason", i)
		}
	}
}

func TestWebhookGivesUpAfterMaxRetries(t *testing.T) {
	wh := newWebhookHarness(t, always(http.StatusTooManyRequests), WebhookConfig{RetryInterval: Duration(2 * time.Millisecond), MaxRetries: ptr(3)})
	_, err := wh.s.SendWebhook(WebhookSendRequest{Type: EventUninstall, CompanyID: wh.agency.ID})
	require.NoError(t, err)
	d := wh.settle(1).Deliveries[0]
	assert.Equal(t, OutcomeGaveUp, d.Outcome)
	assert.Len(t, d.Attempts, 4, "the first attempt and maxRetries redeliveries")
	assert.Len(t, wh.rc.requests(), 4)

	_, err = wh.s.SetWebhookConfig(WebhookConfig{URL: wh.rc.url, MaxRetries: ptr(0)})
	require.NoError(t, err)
	_, err = wh.s.SendWebhook(WebhookSendRequest{Type: EventUninstall, CompanyID: wh.agency.ID})
	require.NoError(t, err)
	d = wh.settle(2).Deliveries[1]
	assert.Equal(t, OutcomeGaveUp, d.Outcome)
	assert.Len(t, d.Attempts, 1, "maxRetries 0: no redelivery")
}

func TestWebhookFinalAnswersAreNotRetried(t *testing.T) {
	refused := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		return "http://" + addr + "/hooks"
	}()
	for _, tc := range []struct {
		name    string
		status  int    // the receiver's answer; -1 hangs
		url     string // overrides the receiver
		outcome string
		wantErr string
	}{
		{"500", http.StatusInternalServerError, "", OutcomeRejected, ""},
		{"503", http.StatusServiceUnavailable, "", OutcomeRejected, ""},
		{"400", http.StatusBadRequest, "", OutcomeRejected, ""},
		{"redirect is not followed", http.StatusFound, "", OutcomeRejected, ""},
		{"timeout", -1, "", OutcomeTransportError, "deadline exceeded"},
		{"connection refused", 0, refused, OutcomeTransportError, "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wh := newWebhookHarness(t, always(tc.status), WebhookConfig{})
			url := cmp.Or(tc.url, wh.rc.url)
			_, err := wh.s.SetWebhookConfig(WebhookConfig{URL: url, RetryInterval: Duration(time.Millisecond), Timeout: Duration(150 * time.Millisecond)})
			require.NoError(t, err)
			_, err = wh.s.SendWebhook(WebhookSendRequest{Type: EventLocationUpdate, LocationID: wh.locs[0].ID})
			require.NoError(t, err)
			d := wh.settle(1).Deliveries[0]
			assert.Equal(t, tc.outcome, d.Outcome)
			require.Len(t, d.Attempts, 1)
			if tc.wantErr != "" {
				assert.Contains(t, d.Attempts[0].Error, tc.wantErr)
				assert.Zero(t, d.Attempts[0].Status)
			} else {
				assert.Equal(t, tc.status, d.Attempts[0].Status)
				assert.Empty(t, d.Attempts[0].Error)
			}
			time.Sleep(20 * time.Millisecond) // many retry intervals
			assert.Len(t, wh.s.WebhookDeliveries().Deliveries[0].Attempts, 1, "no redelivery")
			if tc.url == "" {
				// A timed-out request may die before the handler sees it.
				assert.LessOrEqual(t, len(wh.rc.requests()), 1)
				if tc.status >= 0 {
					assert.Len(t, wh.rc.requests(), 1)
				}
			}
		})
	}
}

func TestWebhookSignatureSelection(t *testing.T) {
	wh := newWebhookHarness(t, always(http.StatusOK), WebhookConfig{SignRSA: ptr(false)})
	_, err := wh.s.SendWebhook(WebhookSendRequest{Type: EventInstall, CompanyID: wh.agency.ID})
	require.NoError(t, err)
	_, err = wh.s.SetWebhookConfig(WebhookConfig{URL: wh.rc.url, SignRSA: ptr(false), SignEd25519: ptr(false)})
	require.NoError(t, err)
	_, err = wh.s.SendWebhook(WebhookSendRequest{Type: EventInstall, CompanyID: wh.agency.ID})
	require.NoError(t, err)
	wh.settle(2)
	reqs := wh.rc.requests()
	require.Len(t, reqs, 2)
	slices.SortFunc(reqs, func(a, b received) int {
		return len(b.header.Values(SignatureHeader)) - len(a.header.Values(SignatureHeader))
	})
	sig, err := base64.StdEncoding.DecodeString(reqs[0].header.Get(SignatureHeader))
	require.NoError(t, err)
	assert.True(t, ed25519.Verify(wh.edPub, reqs[0].body, sig))
	assert.Empty(t, reqs[0].header.Values(LegacySignatureHeader))
	assert.Empty(t, reqs[1].header.Values(SignatureHeader), "unsigned when both are off")
	assert.Empty(t, reqs[1].header.Values(LegacySignatureHeader))
}

func TestWebhookUninstallAPIEmits(t *testing.T) {
	path := "/marketplace/app/" + testAppID + "/installations"
	wh := newWebhookHarness(t, always(http.StatusOK), WebhookConfig{})
	tok := wh.companyToken()
	lt := wh.locationToken(tok.AccessToken, wh.locs[0].ID)
	r := wh.call(http.MethodDelete, path, lt.AccessToken, map[string]string{"locationId": wh.locs[0].ID}, withVersion("2021-07-28"))
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
	rep := wh.settle(1)
	require.Len(t, wh.rc.requests(), 1)
	got := wh.rc.requests()[0]
	wh.requireSigned(t, got)
	m := decodeObject(t, got.body)
	assert.Equal(t, "UNINSTALL", m["type"])
	assert.Equal(t, wh.locs[0].ID, m["locationId"])
	assert.NotContains(t, m, "companyId")
	assert.Equal(t, rep.Deliveries[0].WebhookID, m["webhookId"])

	r = wh.call(http.MethodDelete, path, tok.AccessToken, map[string]string{"companyId": wh.agency.ID})
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
	wh.settle(2)
	got = wh.rc.requests()[1]
	wh.requireSigned(t, got)
	assert.Equal(t, []string{"type", "appId", "companyId", "timestamp", "webhookId"}, keysOf(t, got.body))
	assert.Equal(t, wh.agency.ID, decodeObject(t, got.body)["companyId"])

	// Refused uninstalls emit nothing.
	r = wh.call(http.MethodDelete, path, tok.AccessToken, map[string]string{"companyId": wh.agency.ID})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	assert.Equal(t, 2, wh.s.WebhookDeliveries().Total)
}

func TestWebhookAdminChanges(t *testing.T) {
	t.Run("nothing without the flag", func(t *testing.T) {
		wh := newWebhookHarness(t, always(http.StatusOK), WebhookConfig{})
		_, err := wh.s.CreateAgency(AgencySpec{LocationCount: 2})
		require.NoError(t, err)
		_, err = wh.admin.AddLocations(t.Context(), AddLocationsRequest{CompanyID: wh.agency.ID, Count: 2})
		require.NoError(t, err)
		_, err = wh.admin.UpdateLocation(t.Context(), wh.locs[0].ID, LocationPatch{Name: ptr("Renamed"), Installed: ptr(false)})
		require.NoError(t, err)
		_, err = wh.s.UpdateLocation(wh.locs[0].ID, LocationPatch{Installed: ptr(true)})
		require.NoError(t, err)
		assert.Zero(t, wh.s.WebhookDeliveries().Total, "deliveries are logged when emitted, so none means none")
		assert.Empty(t, wh.rc.requests())
	})
	t.Run("nothing without a URL", func(t *testing.T) {
		h := newHarness(t, Options{WebhookRSAKey: testRSAKey()})
		t.Cleanup(h.s.Close)
		_, err := h.s.AddLocations(AddLocationsRequest{CompanyID: h.agency.ID, Count: 1, Webhooks: true})
		require.NoError(t, err)
		_, err = h.s.UpdateLocation(h.locs[0].ID, LocationPatch{Installed: ptr(false), Webhooks: true})
		require.NoError(t, err)
		assert.Zero(t, h.s.WebhookDeliveries().Total)
	})
	t.Run("with the flag", func(t *testing.T) {
		wh := newWebhookHarness(t, always(http.StatusOK), WebhookConfig{})
		ctx := t.Context()
		added, err := wh.admin.AddLocations(ctx, AddLocationsRequest{
			CompanyID: wh.agency.ID, Locations: []LocationSpec{{Name: "Uninstalled Office", Installed: ptr(false)}}, Count: 1, Webhooks: true,
		})
		require.NoError(t, err)
		r := wh.settle(3)
		type ev struct{ typ, loc string }
		var evs []ev
		for _, d := range r.Deliveries {
			evs = append(evs, ev{d.Type, d.LocationID})
		}
		assert.Equal(t, []ev{
			{EventLocationCreate, added[0].ID}, {EventLocationCreate, added[1].ID}, {EventInstall, added[1].ID},
		}, evs, "INSTALL only where the app is installed")
		install := decodeObject(t, r.Deliveries[2].Body)
		assert.Equal(t, "Location", install["installType"])
		assert.NotContains(t, install, "isBulkInstallation")

		created, err := wh.admin.CreateAgency(ctx, AgencySpec{Name: "Beacon Agency", LocationCount: 1, Webhooks: true})
		require.NoError(t, err)
		r = wh.settle(5)
		assert.Equal(t, EventLocationCreate, r.Deliveries[3].Type)
		assert.Equal(t, created.Agency.ID, r.Deliveries[3].CompanyID)
		assert.Equal(t, EventInstall, r.Deliveries[4].Type)
		assert.Equal(t, "Beacon Agency", decodeObject(t, r.Deliveries[4].Body)["companyName"])

		l := wh.locs[0].ID
		_, err = wh.admin.UpdateLocation(ctx, l, LocationPatch{Name: ptr("Renamed & Co"), Webhooks: true})
		require.NoError(t, err)
		r = wh.settle(6)
		upd := decodeObject(t, r.Deliveries[5].Body)
		assert.Equal(t, "LocationUpdate", upd["type"])
		assert.Equal(t, "Renamed & Co", upd["name"], "the payload shows the new state")

		_, err = wh.admin.UpdateLocation(ctx, l, LocationPatch{Installed: ptr(false), Webhooks: true})
		require.NoError(t, err)
		r = wh.settle(8)
		assert.Equal(t, []string{EventLocationUpdate, EventUninstall}, []string{r.Deliveries[6].Type, r.Deliveries[7].Type})
		assert.Equal(t, l, decodeObject(t, r.Deliveries[7].Body)["locationId"])

		_, err = wh.admin.UpdateLocation(ctx, l, LocationPatch{Installed: ptr(false), Webhooks: true})
		require.NoError(t, err)
		r = wh.settle(9)
		assert.Equal(t, EventLocationUpdate, r.Deliveries[8].Type, "no UNINSTALL when installed does not flip")

		_, err = wh.admin.UpdateLocation(ctx, l, LocationPatch{Installed: ptr(true), Webhooks: true})
		require.NoError(t, err)
		r = wh.settle(11)
		assert.Equal(t, []string{EventLocationUpdate, EventInstall}, []string{r.Deliveries[9].Type, r.Deliveries[10].Type})

		reqs := wh.rc.requests()
		require.Len(t, reqs, 11)
		for _, got := range reqs {
			wh.requireSigned(t, got)
		}
	})
}

func TestWebhookBulkInstall(t *testing.T) {
	wh := newWebhookHarness(t, always(http.StatusOK), WebhookConfig{})
	ctx := t.Context()
	res, err := wh.admin.BulkInstall(ctx, BulkInstallRequest{CompanyID: wh.agency.ID, Count: 150})
	require.NoError(t, err)
	require.Len(t, res.Locations, 150)
	require.Len(t, res.WebhookIDs, 150)
	r := wh.settle(150)
	assert.Equal(t, map[string]int{OutcomeDelivered: 150}, r.ByOutcome)
	seen := map[string]bool{}
	for i, got := range wh.rc.requests() {
		if i%25 == 0 {
			wh.requireSigned(t, got)
		}
		m := decodeObject(t, got.body)
		assert.Equal(t, "INSTALL", m["type"])
		assert.Equal(t, true, m["isBulkInstallation"])
		assert.Equal(t, wh.agency.ID, m["companyId"])
		seen[m["locationId"].(string)] = true
	}
	for i, l := range res.Locations {
		assert.True(t, l.Installed)
		assert.True(t, seen[l.ID], "one INSTALL for %s", l.ID)
		assert.Len(t, r.Find(res.WebhookIDs[i]), 1)
	}
	assert.Len(t, wh.s.State().Locations, 153)

	// Existing locations: the uninstalled one is installed again.
	_, err = wh.s.UpdateLocation(wh.locs[0].ID, LocationPatch{Installed: ptr(false)})
	require.NoError(t, err)
	res, err = wh.s.BulkInstall(BulkInstallRequest{CompanyID: wh.agency.ID, LocationIDs: []string{wh.locs[0].ID, wh.locs[1].ID}})
	require.NoError(t, err)
	assert.Equal(t, []string{wh.locs[0].ID, wh.locs[1].ID}, []string{res.Locations[0].ID, res.Locations[1].ID})
	assert.True(t, wh.location(wh.locs[0].ID).Installed)
	wh.settle(152)

	other, err := wh.s.CreateAgency(AgencySpec{LocationCount: 1})
	require.NoError(t, err)
	var ae *AdminError
	for _, tc := range []struct {
		req    BulkInstallRequest
		status int
	}{
		{BulkInstallRequest{CompanyID: wh.agency.ID}, 400},
		{BulkInstallRequest{CompanyID: wh.agency.ID, Count: 1, LocationIDs: []string{wh.locs[0].ID}}, 400},
		{BulkInstallRequest{CompanyID: wh.agency.ID, Count: -1}, 400},
		{BulkInstallRequest{CompanyID: wh.agency.ID, Count: maxBulkInstall + 1}, 400},
		{BulkInstallRequest{CompanyID: "missing", Count: 1}, 404},
		{BulkInstallRequest{CompanyID: wh.agency.ID, LocationIDs: []string{"missing"}}, 404},
		{BulkInstallRequest{CompanyID: wh.agency.ID, LocationIDs: []string{other.Locations[0].ID}}, 400},
		{BulkInstallRequest{CompanyID: wh.agency.ID, LocationIDs: []string{wh.locs[0].ID, wh.locs[0].ID}}, 400},
	} {
		_, err := wh.admin.BulkInstall(ctx, tc.req)
		require.ErrorAs(t, err, &ae, "%+v", tc.req)
		assert.Equal(t, tc.status, ae.StatusCode, "%+v: %s", tc.req, ae.Message)
	}
	assert.Equal(t, 152, wh.s.WebhookDeliveries().Total)
}

func TestWebhookDeliveryLog(t *testing.T) {
	wh := newWebhookHarness(t, func(n int) int {
		if n == 1 {
			return http.StatusTooManyRequests
		}
		return http.StatusInternalServerError
	}, WebhookConfig{RetryInterval: Duration(time.Millisecond)})
	ctx := t.Context()
	sent, err := wh.admin.SendWebhook(ctx, WebhookSendRequest{Type: EventInstall, LocationID: wh.locs[2].ID})
	require.NoError(t, err)
	wh.settle(1)
	r, err := wh.admin.WebhookDeliveries(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, r.Total)
	assert.Equal(t, map[string]int{OutcomeRejected: 1}, r.ByOutcome)
	require.Len(t, r.Deliveries, 1)
	d := r.Deliveries[0]
	assert.Equal(t, WebhookDelivery{
		WebhookID: sent.WebhookID, Type: EventInstall, LocationID: wh.locs[2].ID, CompanyID: wh.agency.ID, URL: wh.rc.url,
		Body: sent.Body, Outcome: OutcomeRejected,
		Attempts: []WebhookAttempt{{Time: wh.clock.Now(), Status: 429}, {Time: wh.clock.Now(), Status: 500}},
	}, d)
	assert.Equal(t, wh.s.WebhookDeliveries(), r, "the wire form carries the whole log")

	require.NoError(t, wh.admin.ResetWebhookDeliveries(ctx))
	r, err = wh.admin.WebhookDeliveries(ctx)
	require.NoError(t, err)
	assert.Zero(t, r.Total)
	assert.Empty(t, r.ByOutcome)
	assert.Empty(t, r.Deliveries)
}

func TestCloseStopsDeliveries(t *testing.T) {
	wh := newWebhookHarness(t, always(http.StatusTooManyRequests), WebhookConfig{RetryInterval: Duration(time.Hour)})
	_, err := wh.s.SendWebhook(WebhookSendRequest{Type: EventInstall, CompanyID: wh.agency.ID})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		d := wh.s.WebhookDeliveries().Deliveries[0]
		return len(d.Attempts) == 1
	}, 5*time.Second, time.Millisecond)

	// A second delivery is stuck in flight on a receiver that never answers.
	hang := newReceiver(t, always(-1))
	_, err = wh.s.SetWebhookConfig(WebhookConfig{URL: hang.url})
	require.NoError(t, err)
	_, err = wh.s.SendWebhook(WebhookSendRequest{Type: EventInstall, CompanyID: wh.agency.ID})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(hang.requests()) == 1 }, 5*time.Second, time.Millisecond)

	start := time.Now()
	wh.s.Close()
	assert.Less(t, time.Since(start), 2*time.Second, "Close does not wait for the retry interval or the timeout")
	r := wh.s.WebhookDeliveries()
	assert.Equal(t, map[string]int{OutcomeCancelled: 2}, r.ByOutcome)
	assert.Len(t, r.Deliveries[0].Attempts, 1, "the scheduled redelivery never happened")
	require.Len(t, r.Deliveries[1].Attempts, 1)
	assert.Contains(t, r.Deliveries[1].Attempts[0].Error, "cancelled")

	_, err = wh.s.SendWebhook(WebhookSendRequest{Type: EventInstall, CompanyID: wh.agency.ID})
	require.NoError(t, err)
	r = wh.s.WebhookDeliveries()
	assert.Equal(t, map[string]int{OutcomeCancelled: 3}, r.ByOutcome, "after Close events are logged, not sent")
	assert.Empty(t, r.Deliveries[2].Attempts)
	assert.Len(t, wh.rc.requests(), 1)
	wh.s.Close() // idempotent
}

func TestWebhookLogNeverHoldsTokens(t *testing.T) {
	wh := newWebhookHarness(t, always(http.StatusOK), WebhookConfig{})
	tok := wh.companyToken()
	r := wh.call(http.MethodDelete, "/marketplace/app/"+testAppID+"/installations", tok.AccessToken, map[string]string{"companyId": wh.agency.ID})
	require.Equal(t, http.StatusOK, r.Status)
	wh.settle(1)
	raw := wh.call(http.MethodGet, "/_sandbox/webhooks/deliveries", "", nil)
	require.Equal(t, http.StatusOK, raw.Status)
	for _, secret := range wh.s.IssuedTokens().All() {
		assert.NotContains(t, string(raw.Body), secret)
	}
}
