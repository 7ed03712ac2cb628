package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/billing"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/metrics"
	"github.com/saasbridge/saasbridge/internal/stripeevent"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

// gateway turns HighLevel webhooks, Stripe events and billing events into workflow
// starts and signals. It answers fast and loses nothing: an event is acknowledged only after
// Temporal has it, and when Temporal cannot be reached HighLevel is told 429, the one
// answer it redelivers on.
type gateway struct {
	temporal       client.Client
	verifier       *highlevel.WebhookVerifier
	appID          string
	companies      allowlist // the agencies served; see foreign
	billingSecrets [][]byte
	billingMaxAge  time.Duration
	// stripeVerifier and stripeLocations serve POST /webhooks/stripe (stripe.go); nil
	// without STRIPE_WEBHOOK_SECRETS.
	stripeVerifier  *stripeevent.Verifier
	stripeLocations *stripeLocator
	maxBody         int64
	temporalTimeout time.Duration
	// companyOf finds the company of a location for billing events, which name only
	// the location.
	companyOf func(ctx context.Context, locationID string) (string, error)
	seen      *seenCache
	logger    *zap.Logger
	now       func() time.Time
	metrics   *metrics.Metrics // nil: not recorded
}

// Webhook sources, as metric labels.
const (
	sourceHighLevel = "highlevel"
	sourceBilling   = "billing"
)

// Event-id prefixes keep the sources' id spaces apart in the subscription entity's
// dedupe memory.
const (
	highLevelEventPrefix = "highlevel/"
	billingEventPrefix   = "billing/"
)

// retryAfterSeconds is what a 429/503 asks the sender to wait.
const retryAfterSeconds = 10

func (g *gateway) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /webhooks/highlevel", g.highLevel)
	if len(g.billingSecrets) > 0 {
		mux.HandleFunc("POST /events/subscription-changed", g.billing)
	}
	if g.stripeVerifier != nil {
		mux.HandleFunc("POST /webhooks/stripe", g.stripe)
	}
}

// reply is every JSON answer of the gateway.
type reply struct {
	Status     string               `json:"status,omitempty"`
	WorkflowID string               `json:"workflowId,omitempty"`
	Error      string               `json:"error,omitempty"`
	Fields     []billing.FieldError `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, r reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(r)
}

// readBody enforces the content type (exactly one) and the size limit; on failure it
// has answered.
func (g *gateway) readBody(w http.ResponseWriter, r *http.Request, source string) ([]byte, bool) {
	g.metrics.WebhookReceived(source)
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" || len(r.Header.Values("Content-Type")) != 1 {
		g.reject(w, http.StatusUnsupportedMediaType, source, metrics.ReasonContentType, errors.New("Content-Type must be application/json"))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		g.reject(w, http.StatusRequestEntityTooLarge, source, metrics.ReasonTooLarge, fmt.Errorf("body larger than %d bytes", g.maxBody))
		return nil, false
	case err != nil:
		g.reject(w, http.StatusBadRequest, source, metrics.ReasonMalformed, errors.New("could not read the body"))
		return nil, false
	}
	return body, true
}

// accept answers an event Temporal has (or did not need).
func (g *gateway) accept(w http.ResponseWriter, status int, source, outcome, workflowID string) {
	g.metrics.WebhookAccepted(source, outcome)
	writeJSON(w, status, reply{Status: outcome, WorkflowID: workflowID})
}

// highLevel serves POST /webhooks/highlevel.
func (g *gateway) highLevel(w http.ResponseWriter, r *http.Request) {
	body, ok := g.readBody(w, r, sourceHighLevel)
	if !ok {
		return
	}
	ev, scheme, ok := g.verifiedHighLevel(w, r, body)
	if !ok {
		return
	}
	log := g.logger.With(zap.String("type", ev.Type), zap.String("webhookId", ev.WebhookID),
		zap.String("locationId", ev.Location()), zap.String("companyId", ev.CompanyID), zap.String("scheme", string(scheme)))
	if ev.AppID != "" && ev.AppID != g.appID {
		log.Info("webhook for another app ignored", zap.String("appId", ev.AppID))
		g.accept(w, http.StatusOK, sourceHighLevel, metrics.WebhookOutcomeIgnored, "")
		return
	}
	if g.foreign(ev, log) {
		g.accept(w, http.StatusOK, sourceHighLevel, metrics.WebhookOutcomeForeign, "")
		return
	}
	key := webhookEventID(ev, body)
	if g.seen.Seen(key) {
		log.Info("duplicate webhook acknowledged")
		g.accept(w, http.StatusOK, sourceHighLevel, metrics.WebhookOutcomeDuplicate, "")
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), g.temporalTimeout)
	defer cancel()
	workflowID, err := g.routeHighLevel(ctx, ev, key)
	switch {
	case errors.Is(err, errNotRouted):
		log.Debug("webhook acknowledged without action")
		g.accept(w, http.StatusOK, sourceHighLevel, metrics.WebhookOutcomeIgnored, "")
		return
	case err != nil:
		// 429 is the one status HighLevel redelivers on: nothing is lost.
		log.Warn("could not hand the webhook to Temporal; asking HighLevel to redeliver", zap.Error(err))
		g.metrics.WebhookRejected(sourceHighLevel, metrics.ReasonUnavailable)
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
		writeJSON(w, http.StatusTooManyRequests, reply{Error: "temporarily unable to accept events; retry"})
		return
	}
	g.seen.Add(key)
	log.Info("webhook accepted", zap.String("workflowId", workflowID))
	g.accept(w, http.StatusOK, sourceHighLevel, metrics.WebhookOutcomeAccepted, workflowID)
}

// verifiedHighLevel checks the signature, the envelope and the replay window; on
// failure it has answered.
func (g *gateway) verifiedHighLevel(w http.ResponseWriter, r *http.Request, body []byte) (highlevel.WebhookEvent, highlevel.Scheme, bool) {
	scheme, err := g.verifier.Verify(r.Header, body)
	if err != nil {
		g.reject(w, http.StatusUnauthorized, sourceHighLevel, metrics.ReasonSignature, err)
		return highlevel.WebhookEvent{}, "", false
	}
	g.metrics.WebhookVerified(sourceHighLevel, string(scheme))
	ev, err := highlevel.ParseWebhook(body)
	if err != nil {
		g.reject(w, http.StatusBadRequest, sourceHighLevel, metrics.ReasonMalformed, err)
		return highlevel.WebhookEvent{}, "", false
	}
	err = g.verifier.CheckFresh(ev)
	switch {
	case errors.Is(err, highlevel.ErrTimestampMissing):
		g.reject(w, http.StatusBadRequest, sourceHighLevel, metrics.ReasonTimestampMissing, err)
		return highlevel.WebhookEvent{}, "", false
	case err != nil:
		g.reject(w, http.StatusUnauthorized, sourceHighLevel, metrics.ReasonStale, err)
		return highlevel.WebhookEvent{}, "", false
	}
	return ev, scheme, true
}

var errNotRouted = errors.New("event type not routed")

// webhookEventID is the event's dedupe key: HighLevel's webhookId, or, for a webhook
// that has none, a hash of its exact bytes (a redelivery carries the same bytes), so
// that it neither dedupes against every other id-less webhook nor escapes dedupe.
func webhookEventID(ev highlevel.WebhookEvent, body []byte) string {
	if ev.WebhookID != "" {
		return highLevelEventPrefix + ev.WebhookID
	}
	sum := sha256.Sum256(body)
	return highLevelEventPrefix + "sha256:" + hex.EncodeToString(sum[:16])
}

// routeHighLevel turns a verified webhook into an event for the location's owner (an
// agency-level UNINSTALL into the agency's offboarding), keyed by eventID and ordered
// by the webhook's timestamp.
func (g *gateway) routeHighLevel(ctx context.Context, ev highlevel.WebhookEvent, eventID string) (string, error) {
	loc, company := ev.Location(), ev.CompanyID
	source := fmt.Sprintf("HighLevel %s webhook %s", ev.Type, ev.WebhookID)
	toOwner := func(kind string) (string, error) {
		run, err := workflows.SignalLocation(ctx, g.temporal, loc, company, workflows.LocationEvent{
			EventID: eventID, Kind: kind, Source: source, OccurredAt: ev.Timestamp,
		})
		if err != nil {
			return "", err
		}
		return run.GetID(), nil
	}
	switch {
	case (ev.Type == highlevel.EventInstall || ev.Type == highlevel.EventLocationCreate) && loc != "" && company != "":
		return toOwner(workflows.EventInstall)
	case ev.Type == highlevel.EventLocationUpdate && loc != "" && company != "":
		return toOwner(workflows.EventCheck)
	case ev.Type == highlevel.EventUninstall && loc != "":
		if company == "" {
			// A location UNINSTALL may carry only the location; the facts know its company.
			c, err := g.companyOf(ctx, loc)
			if err != nil || c == "" {
				return "", cmp.Or(err, errNotRouted) // nothing of this location is held
			}
			company = c
		}
		return toOwner(workflows.EventUninstall)
	case ev.Type == highlevel.EventUninstall && company != "":
		run, err := workflows.StartAgencyOffboarding(ctx, g.temporal, workflows.AgencyOffboardingInput{
			CompanyID: company, EventID: eventID, Source: source, OccurredAt: ev.Timestamp,
		})
		if err != nil {
			return "", err
		}
		return run.GetID(), nil
	}
	// Agency-level INSTALLs, other event types: acknowledged (2xx ends redelivery).
	return "", errNotRouted
}

// billing serves POST /events/subscription-changed.
func (g *gateway) billing(w http.ResponseWriter, r *http.Request) {
	body, ok := g.readBody(w, r, sourceBilling)
	if !ok {
		return
	}
	if err := g.verifyBilling(r.Header, body); err != nil {
		reason := metrics.ReasonSignature
		if errors.Is(err, billing.ErrStale) {
			reason = metrics.ReasonStale
		}
		g.reject(w, http.StatusUnauthorized, sourceBilling, reason, err)
		return
	}
	ev, err := billing.Parse(body)
	var invalid *billing.ValidationError
	switch {
	case errors.As(err, &invalid):
		g.logger.Info("billing event rejected", zap.String("reason", "invalid"), zap.Int("fields", len(invalid.Fields)))
		g.metrics.WebhookRejected(sourceBilling, metrics.ReasonInvalid)
		writeJSON(w, http.StatusBadRequest, reply{Error: "invalid event", Fields: invalid.Fields})
		return
	case err != nil:
		g.reject(w, http.StatusBadRequest, sourceBilling, metrics.ReasonMalformed, err)
		return
	}
	log := g.logger.With(zap.String("eventId", ev.EventID), zap.String("locationId", ev.LocationID))
	key := billingEventPrefix + ev.EventID
	if g.seen.Seen(key) {
		log.Info("duplicate billing event acknowledged")
		g.accept(w, http.StatusOK, sourceBilling, metrics.WebhookOutcomeDuplicate, "")
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), g.temporalTimeout)
	defer cancel()
	company, err := g.companyOf(ctx, ev.LocationID)
	if err != nil {
		g.unavailable(w, sourceBilling, log, err)
		return
	}
	if company == "" {
		g.reject(w, http.StatusUnprocessableEntity, sourceBilling, metrics.ReasonInvalid,
			errors.New("unknown location: it has not been onboarded and no default company is configured"))
		return
	}
	run, err := workflows.SignalLocation(ctx, g.temporal, ev.LocationID, company, workflows.LocationEvent{
		EventID: key, Kind: workflows.EventChange, Source: "billing",
		SubscriptionID: ev.SubscriptionID, CustomerID: ev.CustomerID, PlanID: ev.PlanID, Status: ev.Status, OccurredAt: ev.OccurredAt,
	})
	if err != nil {
		g.unavailable(w, sourceBilling, log, err)
		return
	}
	g.seen.Add(key)
	log.Info("billing event accepted", zap.String("workflowId", run.GetID()))
	g.accept(w, http.StatusAccepted, sourceBilling, metrics.WebhookOutcomeAccepted, run.GetID())
}

// verifyBilling checks the one signature header of a billing event.
func (g *gateway) verifyBilling(h http.Header, body []byte) error {
	if n := len(h.Values(billing.SignatureHeader)); n > 1 {
		return fmt.Errorf("%d %s headers; send one", n, billing.SignatureHeader)
	}
	if err := billing.Verify(g.billingSecrets, h.Get(billing.SignatureHeader), body, g.now(), g.billingMaxAge); err != nil {
		return err
	}
	g.metrics.WebhookVerified(sourceBilling, "hmac-sha256")
	return nil
}

// unavailable answers an event (billing, Stripe) that could not be handed on: its
// sender retries a 503.
func (g *gateway) unavailable(w http.ResponseWriter, source string, log *zap.Logger, err error) {
	log.Warn("could not hand the event on; its sender retries", zap.String("source", source), zap.Error(err))
	g.metrics.WebhookRejected(source, metrics.ReasonUnavailable)
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	writeJSON(w, http.StatusServiceUnavailable, reply{Error: "temporarily unable to accept events; retry"})
}

// reject answers bad input. The message comes from our own error values, which never
// contain the body or a signature.
func (g *gateway) reject(w http.ResponseWriter, status int, source, reason string, err error) {
	g.logger.Info("event rejected", zap.String("source", source), zap.Int("status", status), zap.String("reason", err.Error()))
	g.metrics.WebhookRejected(source, reason)
	writeJSON(w, status, reply{Error: err.Error()})
}

// companyFromStore finds a location's company from the owners' facts, then from its
// stored token (a location onboarded before the owners kept facts), falling back to the
// configured default company.
func companyFromStore(known *facts.Store, store *tokens.Store, fallback string) func(context.Context, string) (string, error) {
	return func(ctx context.Context, locationID string) (string, error) {
		loc, ok, err := known.Location(ctx, locationID)
		switch {
		case err != nil:
			return "", fmt.Errorf("look up the company of %s: %w", locationID, err)
		case ok:
			return loc.CompanyID, nil
		}
		_, info, err := store.Get(ctx, tokens.KeyHighLevelLocation(locationID))
		switch {
		case err == nil && info.Attrs[credentials.AttrCompanyID] != "":
			return info.Attrs[credentials.AttrCompanyID], nil
		case err == nil, errors.Is(err, tokens.ErrNotFound):
			return fallback, nil
		default:
			return "", fmt.Errorf("look up the company of %s: %w", locationID, err)
		}
	}
}
