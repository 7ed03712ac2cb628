package highlevelsim

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// An agency in SaaS mode bills its locations through its own Stripe account, which
// HighLevel is connected to: HighLevel reads a location's subscription (status, price,
// hence plan) from Stripe. The simulator keeps that account too (one per agency, the
// subscriptions only), so that:
//   - update-saas-subscription attaches a subscription Stripe knows with its status,
//     price and the agency plan of that price, and one Stripe does not know as given
//     (status active, plan unchanged), as before;
//   - enable-saas with a saasPlanId pre-configures the subscription: it creates one
//     on the plan's price, trialing for the plan's trial period (active without one),
//     and attaches it;
//   - POST /_sandbox/stripe/send changes a subscription as Stripe would (status,
//     price, metadata; never older than its last change) and delivers the event to
//     the agency's Stripe webhook endpoint, signed with the endpoint's secret(s) as
//     Stripe signs (Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "t.body"), one v1
//     per secret while a secret is rolled). Locations the subscription is attached to
//     follow it, as HighLevel does.

// StripeConfig is the agency Stripe accounts' webhook endpoint: where events go and
// the secrets they are signed with. Options.Stripe and PUT /_sandbox/stripe/config
// replace it whole; omitted members take their defaults.
type StripeConfig struct {
	// URL receives the events; empty means send answers 409.
	URL string `json:"url"`
	// Secrets sign each event, one v1 per secret ("whsec_…"); at least one with a URL.
	Secrets []string `json:"secrets,omitempty"`
	// RetryInterval is the wait before each redelivery after any answer but a 2xx
	// (Stripe retries for days with a growing backoff; simulator choice: a fixed
	// interval, ±10%), default 1m; MaxRetries bounds them, default 6.
	RetryInterval Duration `json:"retryInterval,omitempty"`
	MaxRetries    *int     `json:"maxRetries,omitempty"`
	// Timeout bounds one attempt; default 10s.
	Timeout Duration `json:"timeout,omitempty"`
}

const defaultStripeRetryInterval = time.Minute

func (c StripeConfig) normalized() (StripeConfig, error) {
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("stripe url must be an absolute http or https URL, got %q", c.URL)
		}
		if len(c.Secrets) == 0 {
			return c, fmt.Errorf("stripe secrets: at least one signing secret is needed with a url")
		}
	}
	for _, s := range c.Secrets {
		if strings.TrimSpace(s) == "" {
			return c, fmt.Errorf("stripe secrets must not be empty")
		}
	}
	hook, err := WebhookConfig{URL: c.URL, RetryInterval: cmp.Or(c.RetryInterval, Duration(defaultStripeRetryInterval)),
		MaxRetries: c.MaxRetries, Timeout: c.Timeout}.normalized()
	if err != nil {
		return c, err
	}
	c.RetryInterval, c.MaxRetries, c.Timeout = hook.RetryInterval, hook.MaxRetries, hook.Timeout
	c.Secrets = slices.Clone(c.Secrets)
	return c, nil
}

// StripeSubscription is a subscription of an agency's Stripe account.
type StripeSubscription struct {
	ID         string            `json:"id"`
	CompanyID  string            `json:"companyId"`
	CustomerID string            `json:"customerId"`
	Status     string            `json:"status"`
	PriceID    string            `json:"priceId,omitempty"`
	ProductID  string            `json:"productId,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
	Created    time.Time         `json:"created"`
	TrialEnd   time.Time         `json:"trialEnd,omitzero"`
	// ChangedAt is the time of the newest change applied; an older one is not.
	ChangedAt time.Time `json:"changedAt"`
}

// Stripe event types the simulator sends.
const (
	StripeSubscriptionCreated = "customer.subscription.created"
	StripeSubscriptionUpdated = "customer.subscription.updated"
	StripeSubscriptionDeleted = "customer.subscription.deleted"
	StripeSubscriptionPaused  = "customer.subscription.paused"
	StripeSubscriptionResumed = "customer.subscription.resumed"
	StripeInvoicePaid         = "invoice.paid"
	StripeInvoicePaymentFail  = "invoice.payment_failed"
	StripeCustomerCreated     = "customer.created"
)

var stripeEventTypes = []string{StripeSubscriptionCreated, StripeSubscriptionUpdated, StripeSubscriptionDeleted,
	StripeSubscriptionPaused, StripeSubscriptionResumed, StripeInvoicePaid, StripeInvoicePaymentFail, StripeCustomerCreated}

// StripeSendRequest asks for one Stripe event. The account is the agency of LocationID,
// or CompanyID. The subscription is SubscriptionID (a new one when the account has
// none of that id, or when it is empty and the location has none attached), its
// customer CustomerID, else the location's, else a new one. Status, PlanID (its first
// price) or PriceID, and Metadata change the subscription; the type implies a status
// where it says one (deleted: canceled, paused, resumed: active, invoice.paid: active,
// invoice.payment_failed: past_due). Created is the event's time (default now).
// EventID re-sends an event sent before, the same bytes (a redelivery), changing
// nothing; for a new event it is its id (default a fresh one). APIVersion picks the
// invoice shape: parent.subscription_details from 2025-03-31, a top-level
// subscription before.
type StripeSendRequest struct {
	Type           string            `json:"type"`
	EventID        string            `json:"eventId,omitempty"`
	LocationID     string            `json:"locationId,omitempty"`
	CompanyID      string            `json:"companyId,omitempty"`
	CustomerID     string            `json:"customerId,omitempty"`
	SubscriptionID string            `json:"subscriptionId,omitempty"`
	Status         string            `json:"status,omitempty"`
	PlanID         string            `json:"planId,omitempty"`
	PriceID        string            `json:"priceId,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	Created        time.Time         `json:"created,omitzero"`
	APIVersion     string            `json:"apiVersion,omitempty"`
}

// SentStripeEvent is send's reply: the event and the exact bytes being delivered.
type SentStripeEvent struct {
	EventID        string              `json:"eventId"`
	SubscriptionID string              `json:"subscriptionId,omitempty"`
	CustomerID     string              `json:"customerId,omitempty"`
	Body           json.RawMessage     `json:"body"`
	Redelivery     bool                `json:"redelivery,omitempty"`
	Subscription   *StripeSubscription `json:"subscription,omitempty"`
}

// sentStripe is an event sent before, kept for redeliveries.
type sentStripe struct {
	body                              []byte
	typ, companyID, locationID, subID string
}

// SetStripeConfig replaces the Stripe webhook endpoint's configuration.
func (s *Server) SetStripeConfig(c StripeConfig) (StripeConfig, error) {
	c, err := c.normalized()
	if err != nil {
		return StripeConfig{}, simkit.Errorf(http.StatusBadRequest, "%v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stripeCfg = c
	s.log.Info("stripe endpoint configured", zap.String("url", c.URL), zap.Int("secrets", len(c.Secrets)))
	return c, nil
}

// StripeConfig returns the Stripe webhook endpoint's configuration (secrets included:
// they are the sandbox's own).
func (s *Server) StripeConfig() StripeConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stripeCfg
	c.Secrets = slices.Clone(c.Secrets)
	return c
}

// StripeSubscriptions lists the subscriptions of every agency's Stripe account, by id.
func (s *Server) StripeSubscriptions() []StripeSubscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]StripeSubscription, 0, len(s.w.stripeSubs))
	for _, id := range slices.Sorted(maps.Keys(s.w.stripeSubs)) {
		out = append(out, s.w.stripeSubs[id].view())
	}
	return out
}

func (sub *StripeSubscription) view() StripeSubscription {
	v := *sub
	v.Metadata = maps.Clone(sub.Metadata)
	return v
}

// SendStripeEvent applies req to the agency's Stripe account and delivers the event.
func (s *Server) SendStripeEvent(req StripeSendRequest) (SentStripeEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stripeCfg.URL == "" {
		return SentStripeEvent{}, simkit.Errorf(http.StatusConflict, "no Stripe endpoint configured: PUT /_sandbox/stripe/config first")
	}
	if prev, ok := s.w.stripeSent[req.EventID]; ok && req.EventID != "" {
		s.dispatchStripeLocked(req.EventID, prev)
		return SentStripeEvent{EventID: req.EventID, SubscriptionID: prev.subID, Body: prev.body, Redelivery: true}, nil
	}
	if !slices.Contains(stripeEventTypes, req.Type) {
		return SentStripeEvent{}, simkit.Errorf(http.StatusBadRequest, "type must be one of %s, got %q", strings.Join(stripeEventTypes, ", "), req.Type)
	}
	ev, err := s.stripeEventLocked(req)
	if err != nil {
		return SentStripeEvent{}, err
	}
	body, err := compactJSON(ev.object)
	if err != nil {
		return SentStripeEvent{}, err
	}
	sent := sentStripe{body: body, typ: req.Type, companyID: ev.companyID, locationID: req.LocationID, subID: ev.sub.ID}
	s.w.stripeSent[ev.id] = sent
	s.dispatchStripeLocked(ev.id, sent)
	s.log.Info("stripe event sent", zap.String("type", req.Type), zap.String("eventId", ev.id), zap.String("subscriptionId", ev.sub.ID))
	v := ev.sub.view()
	return SentStripeEvent{EventID: ev.id, SubscriptionID: ev.sub.ID, CustomerID: ev.sub.CustomerID, Body: body, Subscription: &v}, nil
}

// dispatchStripeLocked hands an event to the delivery machinery, signed per attempt.
// Callers hold s.mu.
func (s *Server) dispatchStripeLocked(eventID string, e sentStripe) {
	cfg := s.stripeCfg
	secrets := slices.Clone(cfg.Secrets)
	s.hooks.dispatch(&delivery{
		webhookID: eventID, typ: e.typ, companyID: e.companyID, locationID: e.locationID, body: e.body,
		cfg:      WebhookConfig{URL: cfg.URL, RetryInterval: cfg.RetryInterval, MaxRetries: ptr(*cfg.MaxRetries), Timeout: cfg.Timeout, SignRSA: ptr(false), SignEd25519: ptr(false)},
		signEach: func(body []byte) http.Header { return stripeSignature(body, s.now(), secrets) },
		retryAny: true,
	})
}

// StripeSignatureHeader is the header Stripe signs its events in.
const StripeSignatureHeader = "Stripe-Signature"

// stripeSignature signs body as Stripe documents it: HMAC-SHA256 keyed with the
// endpoint secret over "<unix seconds>.<body>", hex, one v1 per secret.
func stripeSignature(body []byte, at time.Time, secrets []string) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	v := "t=" + ts
	for _, secret := range secrets {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(ts + "."))
		m.Write(body)
		v += ",v1=" + hex.EncodeToString(m.Sum(nil))
	}
	return http.Header{"Content-Type": {"application/json; charset=utf-8"}, StripeSignatureHeader: {v}}
}
