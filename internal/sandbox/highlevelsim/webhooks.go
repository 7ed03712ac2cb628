package highlevelsim

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// Signature headers (reference §5.6). Go sends them in canonical case
// (X-Ghl-Signature); HTTP header names are case-insensitive.
const (
	// SignatureHeader carries the Ed25519 signature of the body, base64.
	SignatureHeader = "x-ghl-signature"
	// LegacySignatureHeader carries the RSA PKCS#1 v1.5 SHA-256 signature
	// of the body, base64.
	LegacySignatureHeader = "x-wh-signature"
)

// Delivery outcomes in the webhook report.
const (
	// OutcomePending: an attempt is in flight or a redelivery is scheduled.
	OutcomePending = "pending"
	// OutcomeDelivered: the receiver answered 2xx.
	OutcomeDelivered = "delivered"
	// OutcomeGaveUp: the receiver answered 429 (any non-2xx, for Stripe
	// events) to the first attempt and to every one of MaxRetries
	// redeliveries.
	OutcomeGaveUp = "gave_up"
	// OutcomeRejected: the receiver answered a final status, anything but
	// 2xx and 429 (3xx included: redirects are not followed).
	OutcomeRejected = "rejected"
	// OutcomeTransportError: no answer (connection refused or reset,
	// timeout). Final, as at HighLevel.
	OutcomeTransportError = "transport_error"
	// OutcomeCancelled: Server.Close stopped the delivery.
	OutcomeCancelled = "cancelled"
)

// Webhook defaults: HighLevel's documented retry policy (reference §5.7)
// and its RSA key size (§5.6). The timeout is undocumented; simulator choice.
const (
	defaultWebhookRetryInterval = 10 * time.Minute
	defaultWebhookMaxRetries    = 6
	defaultWebhookTimeout       = 10 * time.Second
	defaultWebhookRSABits       = 4096
	minWebhookRSABits           = 2048
	maxWebhookRetries           = 100
	// webhookJitter is the ± fraction applied to every retry interval.
	webhookJitter = 0.1
	// webhookMaxInFlight bounds concurrent POSTs, so a bulk install of
	// thousands of locations floods the receiver without exhausting file
	// descriptors on either side.
	webhookMaxInFlight = 64
)

// WebhookConfig is where and how the simulator delivers webhooks. Options
// and PUT /_sandbox/webhooks/config replace the whole configuration; omitted
// (zero or nil) members take their defaults, and what WebhookConfig and
// GET return is normalised with every member set. Each delivery keeps the
// configuration in force when its event was emitted.
type WebhookConfig struct {
	// URL receives the POSTs; empty means no delivery (and no automatic
	// events). Must be an absolute http or https URL.
	URL string `json:"url"`
	// RetryInterval is the wait before each redelivery after a 429, ±10%
	// jitter; default 10m as at HighLevel. Milliseconds work for tests.
	RetryInterval Duration `json:"retryInterval,omitempty"`
	// MaxRetries is the number of redeliveries after the first attempt;
	// default 6. Zero (explicit) means none.
	MaxRetries *int `json:"maxRetries,omitempty"`
	// SignRSA sends x-wh-signature, SignEd25519 x-ghl-signature; both
	// default to true. With both false deliveries are unsigned.
	SignRSA     *bool `json:"signRSA,omitempty"`
	SignEd25519 *bool `json:"signEd25519,omitempty"`
	// Timeout bounds one attempt, connection to last response byte;
	// default 10s. Running out is a final transport error.
	Timeout Duration `json:"timeout,omitempty"`
}

func (c WebhookConfig) normalized() (WebhookConfig, error) {
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("webhook url must be an absolute http or https URL, got %q", c.URL)
		}
	}
	if c.RetryInterval < 0 || c.Timeout < 0 {
		return c, fmt.Errorf("webhook retryInterval and timeout must not be negative")
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = Duration(defaultWebhookRetryInterval)
	}
	if c.Timeout == 0 {
		c.Timeout = Duration(defaultWebhookTimeout)
	}
	if c.MaxRetries == nil {
		c.MaxRetries = ptr(defaultWebhookMaxRetries)
	} else if n := *c.MaxRetries; n < 0 || n > maxWebhookRetries {
		return c, fmt.Errorf("webhook maxRetries must be between 0 and %d, got %d", maxWebhookRetries, n)
	} else {
		c.MaxRetries = ptr(n) // never share the caller's pointer
	}
	c.SignRSA = ptr(c.SignRSA == nil || *c.SignRSA)
	c.SignEd25519 = ptr(c.SignEd25519 == nil || *c.SignEd25519)
	return c, nil
}

// clone deep-copies a normalised config.
func (c WebhookConfig) clone() WebhookConfig {
	c.MaxRetries, c.SignRSA, c.SignEd25519 = ptr(*c.MaxRetries), ptr(*c.SignRSA), ptr(*c.SignEd25519)
	return c
}

// WebhookKeys are the PUBLIC halves of the simulator's signing keys as
// PEM "PUBLIC KEY" blocks (SPKI), the form HighLevel publishes its keys in.
type WebhookKeys struct {
	Ed25519 string `json:"ed25519"`
	RSA     string `json:"rsa"`
}

// WebhookAttempt is one POST of a delivery: the status the receiver
// answered, or the transport error.
type WebhookAttempt struct {
	Time   time.Time `json:"time"`
	Status int       `json:"status,omitempty"`
	Error  string    `json:"error,omitempty"`
}

// WebhookDelivery is one emitted event and what became of it.
type WebhookDelivery struct {
	WebhookID string `json:"webhookId"`
	Type      string `json:"type"`
	// LocationID and CompanyID are what the event is about, also when the
	// payload itself carries only one of them (UNINSTALL).
	LocationID string `json:"locationId,omitempty"`
	CompanyID  string `json:"companyId,omitempty"`
	URL        string `json:"url"`
	// Body is the exact bytes sent (and signed) on every attempt.
	Body     json.RawMessage  `json:"body"`
	Attempts []WebhookAttempt `json:"attempts"`
	// Outcome is one of the Outcome* constants.
	Outcome string `json:"outcome"`
}

// WebhookReport is the delivery log. Counters are exact; Deliveries holds
// the most recent 10000 deliveries in emission order.
type WebhookReport struct {
	Total      int               `json:"total"`
	ByOutcome  map[string]int    `json:"byOutcome"`
	Deliveries []WebhookDelivery `json:"deliveries"`
}

// Find returns the deliveries with the given webhookId (several when a
// test reused one on purpose), oldest first.
func (r WebhookReport) Find(webhookID string) []WebhookDelivery {
	var out []WebhookDelivery
	for _, d := range r.Deliveries {
		if d.WebhookID == webhookID {
			out = append(out, d)
		}
	}
	return out
}

// delivery is one event on its way. The first group of fields is fixed at
// emission; attempts and outcome are guarded by webhooks.mu.
type delivery struct {
	gen        int // log generation; a reset detaches older deliveries
	webhookID  string
	typ        string
	companyID  string
	locationID string
	body       []byte
	cfg        WebhookConfig // normalised, as in force at emission
	// signEach, when set, signs every attempt afresh (a Stripe signature carries the
	// attempt's time); without it the HighLevel signatures are made once.
	signEach func(body []byte) http.Header
	// retryAny retries every answer but a 2xx, as Stripe does; HighLevel retries only
	// a 429.
	retryAny bool

	attempts []WebhookAttempt
	outcome  string
}

func (d *delivery) view() WebhookDelivery {
	return WebhookDelivery{
		WebhookID: d.webhookID, Type: d.typ, LocationID: d.locationID, CompanyID: d.companyID,
		URL: d.cfg.URL, Body: json.RawMessage(d.body), Attempts: slices.Clone(d.attempts), Outcome: d.outcome,
	}
}

// webhooks signs and delivers events, each in its own goroutine, and keeps
// the delivery log.
type webhooks struct {
	logger *zap.Logger
	now    func() time.Time

	ctx       context.Context // cancelled by close
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	sem       chan struct{} // in-flight POSTs
	transport *http.Transport
	client    *http.Client

	edKey   ed25519.PrivateKey
	rsaBits int
	rsaOnce sync.Once
	rsaDone chan struct{} // closed once rsaKey is set
	rsaKey  *rsa.PrivateKey

	mu        sync.Mutex
	cfg       WebhookConfig
	closed    bool
	gen       int
	total     int
	byOutcome map[string]int
	records   simkit.Recent[*delivery]
}

func newWebhooks(opts Options, now func() time.Time, logger *zap.Logger) (*webhooks, error) {
	cfg, err := opts.Webhooks.normalized()
	if err != nil {
		return nil, err
	}
	bits := opts.WebhookRSABits
	if bits == 0 {
		bits = defaultWebhookRSABits
	}
	if bits < minWebhookRSABits {
		return nil, fmt.Errorf("webhook RSA key size must be at least %d bits, got %d", minWebhookRSABits, bits)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = webhookMaxInFlight
	ctx, cancel := context.WithCancel(context.Background())
	h := &webhooks{
		logger: logger, now: now, ctx: ctx, cancel: cancel,
		sem:       make(chan struct{}, webhookMaxInFlight),
		transport: transport,
		client: &http.Client{
			Transport: transport,
			// HighLevel's handling of redirects is undocumented; simulator
			// choice: a 3xx is a final status like any other non-429.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		edKey:   opts.WebhookEd25519Key,
		rsaBits: bits,
		rsaDone: make(chan struct{}),
		cfg:     cfg,
	}
	h.resetLocked()
	if h.edKey == nil {
		_, h.edKey, _ = ed25519.GenerateKey(rand.Reader) // never fails with crypto/rand
	} else if len(h.edKey) != ed25519.PrivateKeySize {
		cancel()
		return nil, fmt.Errorf("WebhookEd25519Key must be %d bytes, got %d", ed25519.PrivateKeySize, len(h.edKey))
	}
	if opts.WebhookRSAKey != nil {
		h.rsaOnce.Do(func() {
			h.rsaKey = opts.WebhookRSAKey
			close(h.rsaDone)
		})
	}
	h.warmUp(cfg)
	return h, nil
}

func (h *webhooks) resetLocked() {
	h.gen++
	h.total = 0
	h.byOutcome = map[string]int{}
	h.records = simkit.Recent[*delivery]{}
}

// startRSA generates the RSA key in the background, once. 4096-bit keys
// take seconds, so generation is lazy: it starts when a URL with RSA
// signing is configured or the keys are first asked for.
func (h *webhooks) startRSA() {
	h.rsaOnce.Do(func() {
		go func() {
			k, err := rsa.GenerateKey(rand.Reader, h.rsaBits)
			if err != nil {
				panic("highlevelsim: generating the webhook RSA key: " + err.Error()) // bits were validated
			}
			h.rsaKey = k
			close(h.rsaDone)
		}()
	})
}

// warmUp starts RSA key generation when cfg will need it, so the first
// delivery does not wait for it.
func (h *webhooks) warmUp(cfg WebhookConfig) {
	if cfg.URL != "" && *cfg.SignRSA {
		h.startRSA()
	}
}

// rsaPrivate waits for the RSA key, or for ctx to end.
func (h *webhooks) rsaPrivate(ctx context.Context) (*rsa.PrivateKey, error) {
	h.startRSA()
	select {
	case <-h.rsaDone:
		return h.rsaKey, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func publicPEM(pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("highlevelsim: " + err.Error()) // Ed25519 and RSA keys always marshal
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func (h *webhooks) config() WebhookConfig {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cfg.clone()
}

// dispatch logs d and starts delivering it, unless the server is closed.
func (h *webhooks) dispatch(d *delivery) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d.gen = h.gen
	d.outcome = OutcomePending
	if h.closed {
		d.outcome = OutcomeCancelled
	}
	h.total++
	h.byOutcome[d.outcome]++
	h.records.Add(d)
	if h.closed {
		return
	}
	h.wg.Add(1)
	go h.deliver(d)
}

// deliver runs one delivery to its end: sign once, POST, and POST the same
// bytes again after a jittered interval while the receiver answers 429 and
// retries remain. Anything else is final (reference §5.7).
func (h *webhooks) deliver(d *delivery) {
	defer h.wg.Done()
	header, err := h.sign(d)
	if err != nil {
		h.finish(d, OutcomeCancelled)
		return
	}
	for attempt := 0; ; attempt++ {
		if d.signEach != nil {
			header = d.signEach(d.body)
		}
		status, err := h.post(d, header)
		if err != nil && h.ctx.Err() != nil {
			h.record(d, WebhookAttempt{Time: h.now(), Error: "cancelled: sandbox closed"})
			h.finish(d, OutcomeCancelled)
			return
		}
		a := WebhookAttempt{Time: h.now(), Status: status}
		if err != nil {
			a.Error = err.Error()
		}
		h.record(d, a)
		switch {
		case err != nil:
			h.finish(d, OutcomeTransportError)
			return
		case status >= 200 && status < 300:
			h.finish(d, OutcomeDelivered)
			return
		case status != http.StatusTooManyRequests && !d.retryAny:
			h.finish(d, OutcomeRejected)
			return
		case attempt >= *d.cfg.MaxRetries:
			h.finish(d, OutcomeGaveUp)
			return
		}
		if !h.wait(jittered(time.Duration(d.cfg.RetryInterval))) {
			h.finish(d, OutcomeCancelled)
			return
		}
	}
}

// sign computes the configured signatures over the exact body bytes.
func (h *webhooks) sign(d *delivery) (http.Header, error) {
	header := http.Header{"Content-Type": {"application/json"}}
	if d.signEach != nil {
		return header, nil
	}
	if *d.cfg.SignEd25519 {
		header.Set(SignatureHeader, base64.StdEncoding.EncodeToString(ed25519.Sign(h.edKey, d.body)))
	}
	if *d.cfg.SignRSA {
		key, err := h.rsaPrivate(h.ctx)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(d.body)
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
		if err != nil {
			return nil, err
		}
		header.Set(LegacySignatureHeader, base64.StdEncoding.EncodeToString(sig))
	}
	return header, nil
}

// post makes one attempt and returns the status, or the transport error.
func (h *webhooks) post(d *delivery, header http.Header) (int, error) {
	select {
	case h.sem <- struct{}{}:
		defer func() { <-h.sem }()
	case <-h.ctx.Done():
		return 0, h.ctx.Err()
	}
	ctx, cancel := context.WithTimeout(h.ctx, time.Duration(d.cfg.Timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cfg.URL, bytes.NewReader(d.body))
	if err != nil {
		return 0, err
	}
	req.Header = header.Clone()
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // let the connection be reused
	return resp.StatusCode, nil
}

// wait sleeps d of real time; false when the server closed meanwhile.
func (h *webhooks) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-h.ctx.Done():
		return false
	}
}

// jittered spreads d by ±webhookJitter.
func jittered(d time.Duration) time.Duration {
	f := 1 + webhookJitter*(2*mathrand.Float64()-1)
	return time.Duration(float64(d) * f)
}

func (h *webhooks) record(d *delivery, a WebhookAttempt) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d.attempts = append(d.attempts, a)
	h.logger.Debug("webhook attempt", zap.String("webhookId", d.webhookID), zap.String("type", d.typ),
		zap.Int("attempt", len(d.attempts)), zap.Int("status", a.Status), zap.String("error", a.Error))
}

func (h *webhooks) finish(d *delivery, outcome string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if d.gen == h.gen {
		h.byOutcome[d.outcome]--
		if h.byOutcome[d.outcome] == 0 {
			delete(h.byOutcome, d.outcome)
		}
		h.byOutcome[outcome]++
	}
	d.outcome = outcome
	level := zap.InfoLevel
	if outcome == OutcomeDelivered {
		level = zap.DebugLevel
	}
	h.logger.Log(level, "webhook "+outcome, zap.String("webhookId", d.webhookID), zap.String("type", d.typ),
		zap.String("locationId", d.locationID), zap.String("companyId", d.companyID), zap.Int("attempts", len(d.attempts)))
}

func (h *webhooks) report() WebhookReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := WebhookReport{Total: h.total, ByOutcome: make(map[string]int, len(h.byOutcome)), Deliveries: []WebhookDelivery{}}
	for k, v := range h.byOutcome {
		r.ByOutcome[k] = v
	}
	for _, d := range h.records.Items() {
		r.Deliveries = append(r.Deliveries, d.view())
	}
	return r
}

// close stops every delivery and waits for their goroutines to end.
func (h *webhooks) close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
	h.transport.CloseIdleConnections()
}

// WebhookConfig returns the webhook delivery configuration.
func (s *Server) WebhookConfig() WebhookConfig { return s.hooks.config() }

// SetWebhookConfig replaces the webhook delivery configuration and returns
// it normalised. Deliveries already under way keep their configuration.
func (s *Server) SetWebhookConfig(c WebhookConfig) (WebhookConfig, error) {
	n, err := c.normalized()
	if err != nil {
		return WebhookConfig{}, simkit.BadRequest(err.Error())
	}
	s.hooks.mu.Lock()
	s.hooks.cfg = n
	s.hooks.mu.Unlock()
	s.hooks.warmUp(n)
	s.log.Info("webhook config set", zap.Bool("delivery", n.URL != ""), zap.Duration("retryInterval", time.Duration(n.RetryInterval)),
		zap.Int("maxRetries", *n.MaxRetries), zap.Bool("signRSA", *n.SignRSA), zap.Bool("signEd25519", *n.SignEd25519))
	return n.clone(), nil
}

// WebhookKeys returns the public keys that verify the simulator's webhook
// signatures. The first call may wait for the RSA key to be generated.
func (s *Server) WebhookKeys() WebhookKeys {
	key, _ := s.hooks.rsaPrivate(context.Background()) // cannot fail without a deadline
	return WebhookKeys{
		Ed25519: publicPEM(s.hooks.edKey.Public()),
		RSA:     publicPEM(&key.PublicKey),
	}
}

// WebhookDeliveries returns the delivery log.
func (s *Server) WebhookDeliveries() WebhookReport { return s.hooks.report() }

// ResetWebhookDeliveries empties the delivery log. Deliveries still under
// way go on but are no longer reported.
func (s *Server) ResetWebhookDeliveries() {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.resetLocked()
}

// Close stops webhook deliveries, including scheduled redeliveries and
// attempts in flight (recorded as cancelled), and waits for them to end.
// Events emitted afterwards are logged as cancelled and not sent. The
// HTTP handler keeps working. Close is idempotent.
func (s *Server) Close() { s.hooks.close() }
