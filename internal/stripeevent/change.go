package stripeevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stripe/stripe-go/v82"

	"github.com/saasbridge/saasbridge/internal/billing"
)

// Event types saasbridge handles; every other type is acknowledged and ignored.
const (
	TypeSubscriptionCreated = "customer.subscription.created"
	TypeSubscriptionUpdated = "customer.subscription.updated"
	TypeSubscriptionDeleted = "customer.subscription.deleted"
	TypeSubscriptionPaused  = "customer.subscription.paused"
	TypeSubscriptionResumed = "customer.subscription.resumed"
	TypeInvoicePaymentFail  = "invoice.payment_failed"
	TypeInvoicePaid         = "invoice.paid"
)

var handled = []string{TypeSubscriptionCreated, TypeSubscriptionUpdated, TypeSubscriptionDeleted,
	TypeSubscriptionPaused, TypeSubscriptionResumed, TypeInvoicePaymentFail, TypeInvoicePaid}

// Handled lists the event types Parse turns into a Change.
func Handled() []string { return slices.Clone(handled) }

// Metadata keys saasbridge reads on a subscription (set where the subscription is
// created): the HighLevel location it pays for, and the SaaS plan it is on.
const (
	MetadataLocationID = "locationId"
	MetadataPlanID     = "saasPlanId"
)

// ErrNotHandled is an event of a type saasbridge ignores, or an invoice that belongs to
// no subscription (a one-off invoice).
var ErrNotHandled = errors.New("stripe: event not handled")

// Change is what a handled event says about a subscription. Status is the billing
// status in Stripe's vocabulary (active, trialing, past_due, paused, canceled, unpaid,
// incomplete, incomplete_expired): a deleted subscription is canceled, a paid invoice
// makes it active and a failed one past due. PriceID and ProductID are the first
// subscription item's; PlanID and LocationID come from the metadata, when set.
type Change struct {
	EventID        string    `json:"eventId"`
	Type           string    `json:"type"`
	Created        time.Time `json:"created"`
	LiveMode       bool      `json:"livemode"`
	CustomerID     string    `json:"customerId"`
	SubscriptionID string    `json:"subscriptionId"`
	Status         string    `json:"status,omitempty"`
	PriceID        string    `json:"priceId,omitempty"`
	ProductID      string    `json:"productId,omitempty"`
	PlanID         string    `json:"planId,omitempty"`
	LocationID     string    `json:"locationId,omitempty"`
}

// Parse turns a verified event into a Change. An event of another type, or an
// invoice without a subscription, is ErrNotHandled; a handled event whose ids are
// missing or unusable is ErrMalformed, naming the field.
func Parse(ev stripe.Event) (Change, error) {
	c := Change{EventID: ev.ID, Type: string(ev.Type), Created: time.Unix(ev.Created, 0).UTC(), LiveMode: ev.Livemode}
	if !slices.Contains(handled, c.Type) {
		return c, ErrNotHandled
	}
	if ev.Data == nil || len(ev.Data.Raw) == 0 {
		return c, fmt.Errorf("%w: no data.object", ErrMalformed)
	}
	var err error
	if c.Type == TypeInvoicePaid || c.Type == TypeInvoicePaymentFail {
		err = c.fromInvoice(ev.Data.Raw)
	} else {
		err = c.fromSubscription(ev.Data.Raw)
	}
	if err != nil {
		return c, err
	}
	return c, c.check(ev.Created)
}

// fromSubscription reads a subscription object.
func (c *Change) fromSubscription(raw json.RawMessage) error {
	var s stripe.Subscription
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("%w: data.object is not a subscription", ErrMalformed)
	}
	c.SubscriptionID, c.Status = s.ID, string(s.Status)
	if s.Customer != nil {
		c.CustomerID = s.Customer.ID
	}
	if s.Items != nil && len(s.Items.Data) > 0 && s.Items.Data[0].Price != nil {
		p := s.Items.Data[0].Price
		c.PriceID = p.ID
		if p.Product != nil {
			c.ProductID = p.Product.ID
		}
	}
	c.PlanID, c.LocationID = s.Metadata[MetadataPlanID], s.Metadata[MetadataLocationID]
	switch c.Type {
	case TypeSubscriptionDeleted:
		c.Status = billing.StatusCanceled
	case TypeSubscriptionPaused:
		c.Status = billing.StatusPaused
	case TypeSubscriptionResumed:
		if c.Status == "" || c.Status == billing.StatusPaused {
			c.Status = billing.StatusActive
		}
	}
	return nil
}

// invoice is what Parse reads of an invoice, in both of Stripe's shapes: the
// subscription under parent.subscription_details (API 2025-03-31 and later) or at the
// top level (earlier versions).
type invoice struct {
	Customer json.RawMessage `json:"customer"`
	Parent   *struct {
		SubscriptionDetails *struct {
			Subscription json.RawMessage   `json:"subscription"`
			Metadata     map[string]string `json:"metadata"`
		} `json:"subscription_details"`
	} `json:"parent"`
	Subscription        json.RawMessage `json:"subscription"`
	SubscriptionDetails *struct {
		Metadata map[string]string `json:"metadata"`
	} `json:"subscription_details"`
}

// fromInvoice reads an invoice object.
func (c *Change) fromInvoice(raw json.RawMessage) error {
	var in invoice
	if err := json.Unmarshal(raw, &in); err != nil {
		return fmt.Errorf("%w: data.object is not an invoice", ErrMalformed)
	}
	sub, meta := in.Subscription, map[string]string(nil)
	if in.SubscriptionDetails != nil {
		meta = in.SubscriptionDetails.Metadata
	}
	if in.Parent != nil && in.Parent.SubscriptionDetails != nil {
		sub, meta = in.Parent.SubscriptionDetails.Subscription, in.Parent.SubscriptionDetails.Metadata
	}
	c.SubscriptionID, c.CustomerID = expandableID(sub), expandableID(in.Customer)
	if c.SubscriptionID == "" {
		return ErrNotHandled // a one-off invoice
	}
	c.PlanID, c.LocationID = meta[MetadataPlanID], meta[MetadataLocationID]
	c.Status = billing.StatusActive
	if c.Type == TypeInvoicePaymentFail {
		c.Status = billing.StatusPastDue
	}
	return nil
}

// expandableID reads an expandable field: an id, or the object with its id.
func expandableID(raw json.RawMessage) string {
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var obj struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &obj)
	return obj.ID
}

// check insists on the ids a Change is routed and deduplicated by.
func (c Change) check(created int64) error {
	for _, f := range []struct{ name, value string }{
		{"id", c.EventID}, {"customer", c.CustomerID}, {"subscription", c.SubscriptionID},
	} {
		if msg := billing.CheckID(f.value); msg != "" {
			return fmt.Errorf("%w: %s %s", ErrMalformed, f.name, msg)
		}
	}
	for _, f := range []struct{ name, value string }{
		{"price", c.PriceID}, {"product", c.ProductID}, {"metadata." + MetadataPlanID, c.PlanID}, {"metadata." + MetadataLocationID, c.LocationID},
	} {
		if msg := billing.CheckID(f.value); f.value != "" && msg != "" {
			return fmt.Errorf("%w: %s %s", ErrMalformed, f.name, msg)
		}
	}
	if created <= 0 {
		return fmt.Errorf("%w: created is missing", ErrMalformed)
	}
	return nil
}
