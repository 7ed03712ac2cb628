package highlevelsim

import (
	"cmp"
	"maps"
	"net/http"
	"time"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// The Stripe objects the simulator sends, in the shape of Stripe's API reference:
// "id" and "object" first, then the members in alphabetical order, as Stripe writes
// them. Only what a subscription's billing needs is filled in; the rest is absent.

// stripeAPIVersion is the version events are rendered with unless a request says.
const stripeAPIVersion = "2025-08-27.basil"

// stripeInvoiceParentSince is the first API version whose invoices name their
// subscription under parent.subscription_details.
const stripeInvoiceParentSince = "2025-03-31"

type stripeEvent struct {
	ID              string          `json:"id"`
	Object          string          `json:"object"`
	APIVersion      string          `json:"api_version"`
	Created         int64           `json:"created"`
	Data            stripeEventData `json:"data"`
	Livemode        bool            `json:"livemode"`
	PendingWebhooks int             `json:"pending_webhooks"`
	Request         stripeRequest   `json:"request"`
	Type            string          `json:"type"`
}

type stripeEventData struct {
	Object             any            `json:"object"`
	PreviousAttributes map[string]any `json:"previous_attributes,omitempty"`
}

type stripeRequest struct {
	ID             *string `json:"id"`
	IdempotencyKey *string `json:"idempotency_key"`
}

type stripeList[T any] struct {
	Object     string `json:"object"`
	Data       []T    `json:"data"`
	HasMore    bool   `json:"has_more"`
	TotalCount int    `json:"total_count"`
	URL        string `json:"url"`
}

type stripeSubscriptionObject struct {
	ID                string                       `json:"id"`
	Object            string                       `json:"object"`
	BillingCycle      int64                        `json:"billing_cycle_anchor"`
	CancelAtPeriodEnd bool                         `json:"cancel_at_period_end"`
	CanceledAt        *int64                       `json:"canceled_at"`
	CollectionMethod  string                       `json:"collection_method"`
	Created           int64                        `json:"created"`
	Currency          string                       `json:"currency"`
	Customer          string                       `json:"customer"`
	EndedAt           *int64                       `json:"ended_at"`
	Items             stripeList[stripeItemObject] `json:"items"`
	Livemode          bool                         `json:"livemode"`
	Metadata          map[string]string            `json:"metadata"`
	PauseCollection   any                          `json:"pause_collection"`
	StartDate         int64                        `json:"start_date"`
	Status            string                       `json:"status"`
	TrialEnd          *int64                       `json:"trial_end"`
	TrialStart        *int64                       `json:"trial_start"`
}

type stripeItemObject struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"`
	Created            int64             `json:"created"`
	CurrentPeriodEnd   int64             `json:"current_period_end"`
	CurrentPeriodStart int64             `json:"current_period_start"`
	Metadata           map[string]string `json:"metadata"`
	Price              stripePriceObject `json:"price"`
	Quantity           int               `json:"quantity"`
	Subscription       string            `json:"subscription"`
}

type stripePriceObject struct {
	ID         string          `json:"id"`
	Object     string          `json:"object"`
	Active     bool            `json:"active"`
	Currency   string          `json:"currency"`
	Livemode   bool            `json:"livemode"`
	Product    string          `json:"product"`
	Recurring  stripeRecurring `json:"recurring"`
	Type       string          `json:"type"`
	UnitAmount int64           `json:"unit_amount"`
}

type stripeRecurring struct {
	Interval      string `json:"interval"`
	IntervalCount int    `json:"interval_count"`
}

type stripeInvoiceObject struct {
	ID                  string                  `json:"id"`
	Object              string                  `json:"object"`
	AmountDue           int64                   `json:"amount_due"`
	AmountPaid          int64                   `json:"amount_paid"`
	AmountRemaining     int64                   `json:"amount_remaining"`
	AttemptCount        int                     `json:"attempt_count"`
	Attempted           bool                    `json:"attempted"`
	BillingReason       string                  `json:"billing_reason"`
	CollectionMethod    string                  `json:"collection_method"`
	Created             int64                   `json:"created"`
	Currency            string                  `json:"currency"`
	Customer            string                  `json:"customer"`
	Livemode            bool                    `json:"livemode"`
	Metadata            map[string]string       `json:"metadata"`
	Parent              *stripeInvoiceParent    `json:"parent,omitempty"`
	Status              string                  `json:"status"`
	Subscription        string                  `json:"subscription,omitempty"`
	SubscriptionDetails *stripeSubscriptionMeta `json:"subscription_details,omitempty"`
	Total               int64                   `json:"total"`
}

type stripeInvoiceParent struct {
	QuoteDetails        any                     `json:"quote_details"`
	SubscriptionDetails *stripeSubscriptionMeta `json:"subscription_details"`
	Type                string                  `json:"type"`
}

type stripeSubscriptionMeta struct {
	Metadata     map[string]string `json:"metadata"`
	Subscription string            `json:"subscription,omitempty"`
}

type stripeCustomerObject struct {
	ID       string            `json:"id"`
	Object   string            `json:"object"`
	Created  int64             `json:"created"`
	Email    string            `json:"email,omitempty"`
	Livemode bool              `json:"livemode"`
	Metadata map[string]string `json:"metadata"`
	Name     string            `json:"name,omitempty"`
}

// builtStripe is an event built from a send request.
type builtStripe struct {
	id, companyID string
	sub           *StripeSubscription
	object        stripeEvent
}

// stripeEventLocked builds the event req asks for and applies it to the Stripe account
// (and the locations that follow the subscription). Callers hold s.mu.
func (s *Server) stripeEventLocked(req StripeSendRequest) (builtStripe, error) {
	a, l, err := s.stripeAccountLocked(req)
	if err != nil {
		return builtStripe{}, err
	}
	created := cmp.Or(req.Created, s.now()).UTC().Truncate(time.Second)
	id := cmp.Or(req.EventID, newStripeID("evt_1"))
	if req.Type == StripeCustomerCreated {
		cus := cmp.Or(req.CustomerID, customerOf(l), newStripeID("cus_"))
		obj := stripeCustomerObject{ID: cus, Object: "customer", Created: created.Unix(), Metadata: map[string]string{}}
		if l != nil {
			obj.Name, obj.Email = l.Name, l.Email
		}
		return builtStripe{id: id, companyID: a.ID, sub: &StripeSubscription{CustomerID: cus}, object: s.stripeEnvelope(id, req, created, obj, nil)}, nil
	}
	view, prev, err := s.subscriptionView(req, a, l, created)
	if err != nil {
		return builtStripe{}, err
	}
	s.applyStripeLocked(a, view)
	var obj any = subscriptionObject(view, created)
	if req.Type == StripeInvoicePaid || req.Type == StripeInvoicePaymentFail {
		obj = invoiceObject(req, view, a, created)
	}
	var previous map[string]any
	if req.Type == StripeSubscriptionUpdated && prev != nil && prev.Status != view.Status {
		previous = map[string]any{"status": prev.Status}
	}
	return builtStripe{id: id, companyID: a.ID, sub: view, object: s.stripeEnvelope(id, req, created, obj, previous)}, nil
}

// stripeAccountLocked finds the agency whose account sends the event, and the location
// it is about (nil when the request names only the company).
func (s *Server) stripeAccountLocked(req StripeSendRequest) (*Agency, *Location, error) {
	var l *Location
	companyID := req.CompanyID
	if req.LocationID != "" {
		var ok bool
		if l, ok = s.w.locations[req.LocationID]; !ok {
			return nil, nil, simkit.Errorf(http.StatusNotFound, "location %q not found", req.LocationID)
		}
		companyID = l.CompanyID
	}
	a, ok := s.w.agencies[companyID]
	if !ok {
		return nil, nil, simkit.Errorf(http.StatusBadRequest, "name a locationId or the companyId of an existing agency")
	}
	return a, l, nil
}

func customerOf(l *Location) string {
	if l == nil {
		return ""
	}
	return l.SaaS.CustomerID
}

// subscriptionView is the subscription as the event shows it: the account's (or a new
// one) with the request's changes. prev is the account's before them (nil when new).
func (s *Server) subscriptionView(req StripeSendRequest, a *Agency, l *Location, created time.Time) (*StripeSubscription, *StripeSubscription, error) {
	id := req.SubscriptionID
	if id == "" && l != nil {
		id = l.SaaS.SubscriptionID
	}
	var view StripeSubscription
	prev, known := s.w.stripeSubs[id]
	if known {
		view = prev.view()
	} else {
		prev = nil
		view = StripeSubscription{ID: cmp.Or(id, newStripeID("sub_1")), CompanyID: a.ID, Status: "active", Created: created}
	}
	view.CustomerID = cmp.Or(req.CustomerID, view.CustomerID, customerOf(l), newStripeID("cus_"))
	if req.Metadata != nil {
		view.Metadata = maps.Clone(req.Metadata)
	}
	if err := s.priceOf(req, a, &view); err != nil {
		return nil, nil, err
	}
	view.Status = cmp.Or(impliedStripeStatus(req.Type), req.Status, view.Status)
	view.ChangedAt = created
	return &view, prev, nil
}

// priceOf sets the subscription's price: the request's, or its plan's first.
func (s *Server) priceOf(req StripeSendRequest, a *Agency, sub *StripeSubscription) error {
	price := req.PriceID
	if req.PlanID != "" {
		p, ok := a.plan(req.PlanID)
		if !ok || len(p.Prices) == 0 {
			return simkit.Errorf(http.StatusBadRequest, "agency %s has no plan %q with a price", a.ID, req.PlanID)
		}
		price = cmp.Or(price, p.Prices[0].ID)
	}
	if price == "" {
		return nil
	}
	sub.PriceID = price
	if p, ok := a.planOfPrice(price); ok {
		sub.ProductID = p.ProductID
	} else if sub.ProductID == "" {
		sub.ProductID = newStripeID("prod_")
	}
	return nil
}

// impliedStripeStatus is the status an event type says the subscription is in.
func impliedStripeStatus(typ string) string {
	switch typ {
	case StripeSubscriptionDeleted:
		return "canceled"
	case StripeSubscriptionPaused:
		return "paused"
	case StripeSubscriptionResumed, StripeInvoicePaid:
		return "active"
	case StripeInvoicePaymentFail:
		return "past_due"
	}
	return ""
}

// applyStripeLocked makes view the account's subscription unless the account knows a
// newer change, and brings the locations it is attached to in line, as HighLevel
// follows the agency's Stripe account.
func (s *Server) applyStripeLocked(a *Agency, view *StripeSubscription) {
	if cur, ok := s.w.stripeSubs[view.ID]; ok && view.ChangedAt.Before(cur.ChangedAt) {
		return
	}
	stored := view.view()
	s.w.stripeSubs[view.ID] = &stored
	for _, id := range a.LocationIDs {
		if l := s.w.locations[id]; l.SaaS.SubscriptionID == view.ID {
			l.followStripe(a, &stored)
		}
	}
}

// followStripe copies what HighLevel reads from a subscription in Stripe: its status
// (paused while the agency paused the location), price, and the plan and product of
// that price.
func (l *Location) followStripe(a *Agency, sub *StripeSubscription) {
	l.SaaS.CustomerID, l.SaaS.SubscriptionStatus = sub.CustomerID, sub.Status
	if l.SaaS.Paused {
		l.SaaS.SubscriptionStatus = "paused"
	}
	if sub.PriceID == "" {
		return
	}
	l.SaaS.PriceID, l.SaaS.ProductID = sub.PriceID, sub.ProductID
	if p, ok := a.planOfPrice(sub.PriceID); ok {
		l.SaaS.SaaSPlanID = p.PlanID
	}
}

// planOfPrice is the agency plan one of whose prices is price.
func (a *Agency) planOfPrice(price string) (SaaSPlan, bool) {
	for _, p := range a.Plans {
		if p.hasPrice(price) {
			return p, true
		}
	}
	return SaaSPlan{}, false
}

func (s *Server) stripeEnvelope(id string, req StripeSendRequest, created time.Time, obj any, previous map[string]any) stripeEvent {
	return stripeEvent{
		ID: id, Object: "event", APIVersion: cmp.Or(req.APIVersion, stripeAPIVersion), Created: created.Unix(),
		Data: stripeEventData{Object: obj, PreviousAttributes: previous}, PendingWebhooks: 1, Type: req.Type,
	}
}

func subscriptionObject(sub *StripeSubscription, at time.Time) stripeSubscriptionObject {
	start, period := sub.Created.Unix(), at.AddDate(0, 1, 0).Unix()
	o := stripeSubscriptionObject{
		ID: sub.ID, Object: "subscription", BillingCycle: start, CollectionMethod: "charge_automatically",
		Created: start, Currency: "usd", Customer: sub.CustomerID, Metadata: orEmpty(sub.Metadata), StartDate: start, Status: sub.Status,
		Items: stripeList[stripeItemObject]{Object: "list", Data: []stripeItemObject{}, URL: "/v1/subscription_items?subscription=" + sub.ID},
	}
	if sub.PriceID != "" {
		o.Items.Data = append(o.Items.Data, stripeItemObject{
			ID: "si_" + sub.ID[len("sub_"):], Object: "subscription_item", Created: start, CurrentPeriodStart: at.Unix(), CurrentPeriodEnd: period,
			Metadata: map[string]string{}, Quantity: 1, Subscription: sub.ID,
			Price: stripePriceObject{ID: sub.PriceID, Object: "price", Active: true, Currency: "usd", Product: sub.ProductID,
				Recurring: stripeRecurring{Interval: "month", IntervalCount: 1}, Type: "recurring"},
		})
		o.Items.TotalCount = 1
	}
	if !sub.TrialEnd.IsZero() {
		end := sub.TrialEnd.Unix()
		o.TrialStart, o.TrialEnd = &start, &end
	}
	if sub.Status == "canceled" {
		t := at.Unix()
		o.CanceledAt, o.EndedAt = &t, &t
	}
	return o
}

func invoiceObject(req StripeSendRequest, sub *StripeSubscription, a *Agency, at time.Time) stripeInvoiceObject {
	var amount int64
	if p, ok := a.planOfPrice(sub.PriceID); ok {
		for _, pr := range p.Prices {
			if pr.ID == sub.PriceID {
				amount = int64(pr.Amount * 100)
			}
		}
	}
	in := stripeInvoiceObject{
		ID: newStripeID("in_1"), Object: "invoice", AmountDue: amount, AttemptCount: 1, Attempted: true,
		BillingReason: "subscription_cycle", CollectionMethod: "charge_automatically", Created: at.Unix(), Currency: "usd",
		Customer: sub.CustomerID, Metadata: map[string]string{}, Status: "open", Total: amount, AmountRemaining: amount,
	}
	if req.Type == StripeInvoicePaid {
		in.Status, in.AmountPaid, in.AmountRemaining = "paid", amount, 0
	}
	meta := &stripeSubscriptionMeta{Metadata: orEmpty(sub.Metadata), Subscription: sub.ID}
	if cmp.Or(req.APIVersion, stripeAPIVersion) >= stripeInvoiceParentSince {
		in.Parent = &stripeInvoiceParent{SubscriptionDetails: meta, Type: "subscription_details"}
	} else {
		in.Subscription, in.SubscriptionDetails = sub.ID, &stripeSubscriptionMeta{Metadata: meta.Metadata}
	}
	return in
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}
