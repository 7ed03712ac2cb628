package activities

// *HighLevel: a location's SaaS mode, subscription, pause and plan. HighLevel (highlevel.go) holds the HighLevel client, the token store, the pacing of
// each agency's budget and the initial-plan rules.

import (
	"context"
	"errors"

	"github.com/saasbridge/saasbridge/internal/highlevel"
)

// EnableSaaSInput enables SaaS mode on a location, optionally on a plan.
type EnableSaaSInput struct {
	LocationRef
	PlanID  string `json:"planId,omitempty"`
	PriceID string `json:"priceId,omitempty"`
}

// EnableSaaSOutcome reports what enable-saas did.
type EnableSaaSOutcome struct {
	// AlreadyEnabled: HighLevel refused because SaaS was already on. The caller must
	// confirm the state with a read before treating that as success.
	AlreadyEnabled bool   `json:"alreadyEnabled"`
	CustomerID     string `json:"customerId,omitempty"`
}

// AlreadyEnabledMessage is HighLevel's answer to enabling SaaS twice.
const AlreadyEnabledMessage = "SaaS is already enabled for this location"

// EnableSaaS calls POST /saas/enable-saas/{locationId}.
func (a *HighLevel) EnableSaaS(ctx context.Context, in EnableSaaSInput) (EnableSaaSOutcome, error) {
	api := a.agency(in.CompanyID)
	res, err := api.EnableSaaS(ctx, in.LocationID, highlevel.EnableSaaSRequest{
		CompanyID: in.CompanyID, IsSaaSV2: true, SaaSPlanID: in.PlanID, PriceID: in.PriceID,
	})
	var refused *highlevel.APIError
	if errors.As(err, &refused) && refused.StatusCode == 400 && refused.Message == AlreadyEnabledMessage {
		return EnableSaaSOutcome{AlreadyEnabled: true}, nil
	}
	if err != nil {
		return EnableSaaSOutcome{}, classify(err)
	}
	return EnableSaaSOutcome{CustomerID: res.CustomerID}, nil
}

// UpdateSaaSSubscriptionInput attaches a Stripe subscription to a location.
type UpdateSaaSSubscriptionInput struct {
	LocationRef
	SubscriptionID string `json:"subscriptionId"`
	CustomerID     string `json:"customerId"`
}

// UpdateSaaSSubscription calls PUT /saas/update-saas-subscription/{locationId}. It
// sets state, so a retry after a lost response is harmless.
func (a *HighLevel) UpdateSaaSSubscription(ctx context.Context, in UpdateSaaSSubscriptionInput) error {
	api := a.agency(in.CompanyID)
	return classify(api.UpdateSaaSSubscription(ctx, in.LocationID, highlevel.UpdateSubscriptionRequest{
		SubscriptionID: in.SubscriptionID, CustomerID: in.CustomerID, CompanyID: in.CompanyID,
	}))
}

// SaaSSubscription is a location's SaaS state as HighLevel reports it: its SaaS mode,
// plan and the billing subscription attached to it.
type SaaSSubscription struct {
	Enabled            bool   `json:"enabled"`
	SaaSMode           string `json:"saasMode,omitempty"`
	PlanID             string `json:"planId,omitempty"`
	PriceID            string `json:"priceId,omitempty"`
	SubscriptionID     string `json:"subscriptionId,omitempty"`
	CustomerID         string `json:"customerId,omitempty"`
	SubscriptionStatus string `json:"subscriptionStatus,omitempty"`
}

// GetSaaSSubscription calls GET /saas/get-saas-subscription/{locationId}.
func (a *HighLevel) GetSaaSSubscription(ctx context.Context, in LocationRef) (SaaSSubscription, error) {
	api := a.agency(in.CompanyID)
	s, err := api.GetSubscription(ctx, in.LocationID, in.CompanyID)
	if err != nil {
		return SaaSSubscription{}, classify(err)
	}
	return SaaSSubscription{
		Enabled: s.Enabled(), SaaSMode: s.SaaSMode, PlanID: s.SaaSPlanID, PriceID: s.PriceID,
		SubscriptionID: s.SubscriptionID, CustomerID: s.CustomerID, SubscriptionStatus: s.SubscriptionStatus,
	}, nil
}

// PauseInput pauses or resumes a location.
type PauseInput struct {
	LocationRef
	Paused bool `json:"paused"`
}

// PauseLocation calls POST /saas/pause/{locationId}. Pausing sets state, so a retry
// after a lost answer is harmless.
func (a *HighLevel) PauseLocation(ctx context.Context, in PauseInput) (bool, error) {
	api := a.agency(in.CompanyID)
	ok, err := api.Pause(ctx, in.LocationID, in.CompanyID, in.Paused)
	return ok, classify(err)
}

// PlanRef names a SaaS plan of a company.
type PlanRef struct {
	CompanyID string `json:"companyId"`
	PlanID    string `json:"planId"`
}

// Plan is what saasbridge keeps of a SaaS plan.
type Plan struct {
	PlanID    string `json:"planId"`
	Title     string `json:"title"`
	PlanLevel int    `json:"planLevel"`
}

// GetSaaSPlan calls GET /saas/saas-plan/{planId}.
func (a *HighLevel) GetSaaSPlan(ctx context.Context, in PlanRef) (Plan, error) {
	api := a.agency(in.CompanyID)
	p, err := api.GetSaaSPlan(ctx, in.PlanID, in.CompanyID)
	if err != nil {
		return Plan{}, classify(err)
	}
	return Plan{PlanID: p.PlanID, Title: p.Title, PlanLevel: p.PlanLevel}, nil
}
