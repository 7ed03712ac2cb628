package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/metrics"
	"github.com/saasbridge/saasbridge/internal/stripeevent"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

const (
	sourceStripe      = "stripe"
	stripeEventPrefix = "stripe/"
)

// stripe serves POST /webhooks/stripe: the agency's Stripe account's subscription and
// invoice events. Verified, read, matched to a location and signalled to its owner as
// a change; an event no location matches is kept for an operator (200: Stripe would
// otherwise retry for days an event nothing can place). Stripe retries every answer
// but a 2xx, so when Temporal or HighLevel cannot be reached the answer is 503.
func (g *gateway) stripe(w http.ResponseWriter, r *http.Request) {
	body, ok := g.readBody(w, r, sourceStripe)
	if !ok {
		return
	}
	c, ok := g.verifiedStripe(w, r, body)
	if !ok {
		return
	}
	log := g.logger.With(zap.String("eventId", c.EventID), zap.String("type", c.Type), zap.String("customerId", c.CustomerID),
		zap.String("subscriptionId", c.SubscriptionID))
	key := stripeEventPrefix + c.EventID
	if g.seen.Seen(key) {
		log.Info("duplicate Stripe event acknowledged")
		g.accept(w, http.StatusOK, sourceStripe, metrics.WebhookOutcomeDuplicate, "")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.stripeTimeout())
	defer cancel()
	loc, err := g.stripeLocations.locate(ctx, c)
	var unmatched *unmatchedError
	switch {
	case errors.As(err, &unmatched):
		g.parkUnmatched(ctx, w, log, c, unmatched.reason)
		return
	case err != nil:
		g.unavailable(w, sourceStripe, log, err)
		return
	}
	log = log.With(zap.String("locationId", loc.locationID), zap.String("companyId", loc.companyID), zap.String("via", loc.via))
	if !g.companies[loc.companyID] {
		log.Info("Stripe event for a company saasbridge does not serve acknowledged without action")
		g.accept(w, http.StatusOK, sourceStripe, metrics.WebhookOutcomeForeign, "")
		return
	}
	run, err := workflows.SignalLocation(ctx, g.temporal, loc.locationID, loc.companyID, stripeLocationEvent(key, c))
	if err != nil {
		g.unavailable(w, sourceStripe, log, err)
		return
	}
	g.seen.Add(key)
	log.Info("Stripe event accepted", zap.String("workflowId", run.GetID()))
	g.accept(w, http.StatusOK, sourceStripe, metrics.WebhookOutcomeAccepted, run.GetID())
}

// verifiedStripe checks the signature (exactly one header) and reads the event; an
// event of a type saasbridge does not handle is acknowledged here. On failure, or
// when it has nothing to do, it has answered.
func (g *gateway) verifiedStripe(w http.ResponseWriter, r *http.Request, body []byte) (stripeevent.Change, bool) {
	if n := len(r.Header.Values(stripeevent.SignatureHeader)); n > 1 {
		g.reject(w, http.StatusUnauthorized, sourceStripe, metrics.ReasonSignature, fmt.Errorf("%d %s headers; send one", n, stripeevent.SignatureHeader))
		return stripeevent.Change{}, false
	}
	ev, err := g.stripeVerifier.Verify(r.Header.Get(stripeevent.SignatureHeader), body)
	switch {
	case errors.Is(err, stripeevent.ErrStale):
		g.reject(w, http.StatusUnauthorized, sourceStripe, metrics.ReasonStale, err)
		return stripeevent.Change{}, false
	case errors.Is(err, stripeevent.ErrMalformed):
		g.reject(w, http.StatusBadRequest, sourceStripe, metrics.ReasonMalformed, err)
		return stripeevent.Change{}, false
	case err != nil:
		g.reject(w, http.StatusUnauthorized, sourceStripe, metrics.ReasonSignature, err)
		return stripeevent.Change{}, false
	}
	g.metrics.WebhookVerified(sourceStripe, "stripe-v1")
	c, err := stripeevent.Parse(ev)
	switch {
	case errors.Is(err, stripeevent.ErrNotHandled):
		g.logger.Info("Stripe event of a type saasbridge does not handle acknowledged", zap.String("type", string(ev.Type)), zap.String("eventId", ev.ID))
		g.accept(w, http.StatusOK, sourceStripe, metrics.WebhookOutcomeIgnored, "")
		return c, false
	case err != nil:
		g.reject(w, http.StatusBadRequest, sourceStripe, metrics.ReasonMalformed, err)
		return c, false
	}
	return c, true
}

// stripeTimeout bounds an event's handling: a customer lookup at HighLevel, then the
// signal.
func (g *gateway) stripeTimeout() time.Duration { return g.temporalTimeout + stripeLookupTimeout }

const stripeLookupTimeout = 10 * time.Second

// parkUnmatched keeps an event no location matched, and acknowledges it.
func (g *gateway) parkUnmatched(ctx context.Context, w http.ResponseWriter, log *zap.Logger, c stripeevent.Change, reason string) {
	detail, _ := json.Marshal(c) // ids, status and times: nothing secret
	err := g.stripeLocations.facts.ParkUnmatched(ctx, facts.UnmatchedEvent{
		Source: sourceStripe, EventID: c.EventID, Type: c.Type, CustomerID: c.CustomerID, SubscriptionID: c.SubscriptionID,
		Reason: reason, Detail: detail, OccurredAt: c.Created,
	})
	if err != nil {
		g.unavailable(w, sourceStripe, log, err)
		return
	}
	log.Warn("Stripe event matches no location; kept for an operator (starter stripe unmatched)", zap.String("reason", reason))
	g.accept(w, http.StatusOK, sourceStripe, metrics.WebhookOutcomeUnmatched, "")
}

// stripeLocationEvent is the change a Stripe event asks of the location's owner.
func stripeLocationEvent(eventID string, c stripeevent.Change) workflows.LocationEvent {
	return workflows.LocationEvent{
		EventID: eventID, Kind: workflows.EventChange, Source: fmt.Sprintf("Stripe %s %s", c.Type, c.EventID),
		OccurredAt: c.Created, SubscriptionID: c.SubscriptionID, CustomerID: c.CustomerID,
		PlanID: c.PlanID, PriceID: c.PriceID, Status: c.Status,
	}
}

// located is where a Stripe event belongs, and how that was found.
type located struct {
	locationID, companyID string
	via                   string // metadata, cache or highlevel
}

// unmatchedError is an event no location matches, and why.
type unmatchedError struct{ reason string }

func (e *unmatchedError) Error() string { return "unmatched: " + e.reason }

// stripeLocator finds the location a Stripe event is about: the subscription's
// metadata when it names one, else the customer's location, cached in the store from
// HighLevel's locations-by-customer endpoint, asked of each served agency in turn.
type stripeLocator struct {
	facts *facts.Store
	// companyOf is the company of a location the facts or tokens know (the default
	// company otherwise), as for billing events.
	companyOf func(ctx context.Context, locationID string) (string, error)
	companies []string
	// byStripe asks HighLevel for the ids of a company's locations with a Stripe
	// customer (or, with customer "", subscription).
	byStripe func(ctx context.Context, companyID, customerID, subscriptionID string) ([]string, error)
	ttl      time.Duration
	now      func() time.Time
}

func newStripeLocator(known *facts.Store, companyOf func(context.Context, string) (string, error), companies []string,
	byStripe func(ctx context.Context, companyID, customerID, subscriptionID string) ([]string, error)) *stripeLocator {
	return &stripeLocator{facts: known, companyOf: companyOf, companies: companies, byStripe: byStripe, ttl: customerCacheTTL, now: time.Now}
}

// customerCacheTTL is how long a cached customer's location is used before HighLevel
// is asked again; a stale entry still serves while HighLevel cannot answer.
const customerCacheTTL = 7 * 24 * time.Hour

func (l *stripeLocator) locate(ctx context.Context, c stripeevent.Change) (located, error) {
	if c.LocationID != "" {
		company, err := l.companyOf(ctx, c.LocationID)
		if err != nil {
			return located{}, err
		}
		return located{locationID: c.LocationID, companyID: company, via: "metadata"}, nil
	}
	cached, ok, err := l.facts.StripeCustomer(ctx, c.CustomerID)
	if err != nil {
		return located{}, err
	}
	if ok && l.now().Sub(cached.UpdatedAt) < l.ttl {
		return located{locationID: cached.LocationID, companyID: cached.CompanyID, via: "cache"}, nil
	}
	found, err := l.askHighLevel(ctx, c)
	switch {
	case err != nil && ok:
		return located{locationID: cached.LocationID, companyID: cached.CompanyID, via: "cache (stale: " + err.Error() + ")"}, nil
	case err != nil:
		return located{}, err
	}
	return found, nil
}

// askHighLevel asks each served agency, in order, for the customer's location. A
// customer several locations share is narrowed down by the subscription.
func (l *stripeLocator) askHighLevel(ctx context.Context, c stripeevent.Change) (located, error) {
	var notConnected []string
	for _, company := range l.companies {
		ids, err := l.byStripe(ctx, company, c.CustomerID, "")
		switch {
		case errors.Is(err, tokens.ErrNotFound), errors.Is(err, tokens.ErrReconnectNeeded):
			notConnected = append(notConnected, company)
			continue
		case err != nil:
			return located{}, fmt.Errorf("find the location of Stripe customer %s in company %s: %w", c.CustomerID, company, err)
		case len(ids) == 0:
			continue
		case len(ids) == 1:
			found := located{locationID: ids[0], companyID: company, via: "highlevel"}
			return found, l.facts.PutStripeCustomer(ctx, facts.StripeCustomer{CustomerID: c.CustomerID, CompanyID: company, LocationID: ids[0]})
		}
		return l.bySubscription(ctx, company, c, ids)
	}
	reason := fmt.Sprintf("no location of the agencies saasbridge serves has Stripe customer %s", c.CustomerID)
	if len(notConnected) > 0 {
		reason += fmt.Sprintf(" (not connected, so not asked: %s)", strings.Join(notConnected, ", "))
	}
	return located{}, &unmatchedError{reason: reason + "; name the location in the subscription's metadata (" + stripeevent.MetadataLocationID + ") or re-drive it once HighLevel knows the customer"}
}

// bySubscription picks, among a customer's locations, the one with the subscription.
func (l *stripeLocator) bySubscription(ctx context.Context, company string, c stripeevent.Change, ids []string) (located, error) {
	bySub, err := l.byStripe(ctx, company, "", c.SubscriptionID)
	if err != nil {
		return located{}, fmt.Errorf("find the location of Stripe subscription %s in company %s: %w", c.SubscriptionID, company, err)
	}
	if len(bySub) == 1 && slices.Contains(ids, bySub[0]) {
		return located{locationID: bySub[0], companyID: company, via: "highlevel"}, nil
	}
	return located{}, &unmatchedError{reason: fmt.Sprintf("Stripe customer %s pays for %d locations of company %s (%s) and none has subscription %s attached; "+
		"name the location in the subscription's metadata (%s)", c.CustomerID, len(ids), company, strings.Join(ids, ", "), c.SubscriptionID, stripeevent.MetadataLocationID)}
}
