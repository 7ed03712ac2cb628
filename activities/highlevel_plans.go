package activities

// *HighLevel: the agency's plans, and a new location's initial plan. HighLevel (highlevel.go) holds the HighLevel client, the token store, the pacing of
// each agency's budget and the initial-plan rules.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/mapping"
)

// PlanQuery asks for the agency plan an event names: by plan id, by price, or both
// (then the price must be one of the plan's).
type PlanQuery struct {
	CompanyID string `json:"companyId"`
	PlanID    string `json:"planId,omitempty"`
	PriceID   string `json:"priceId,omitempty"`
}

// ResolvedPlan is an agency plan and the price chosen: the one asked for, else the
// plan's first active price. TrialDays is the plan's trial period. Source says where
// an initial plan came from; it is empty when there is none.
type ResolvedPlan struct {
	PlanID    string `json:"planId,omitempty"`
	PriceID   string `json:"priceId,omitempty"`
	Title     string `json:"title,omitempty"`
	TrialDays int    `json:"trialDays,omitempty"`
	Source    string `json:"source,omitempty"`
}

// ResolvePlan checks a plan or price against the agency's plans: GET
// /saas/agency-plans/{companyId}. One the agency does not have fails for good
// (ErrTypePlanUnknown), naming what it has.
func (a *HighLevel) ResolvePlan(ctx context.Context, in PlanQuery) (ResolvedPlan, error) {
	api := a.agency(in.CompanyID)
	plans, err := api.AgencyPlans(ctx, in.CompanyID)
	if err != nil {
		return ResolvedPlan{}, classify(err)
	}
	return resolvePlan(plans, in)
}

// resolvePlan finds in's plan and price among plans.
func resolvePlan(plans []highlevel.SaaSPlan, in PlanQuery) (ResolvedPlan, error) {
	i := slices.IndexFunc(plans, func(p highlevel.SaaSPlan) bool {
		if in.PlanID != "" {
			return p.PlanID == in.PlanID
		}
		return hasPrice(p, in.PriceID)
	})
	switch {
	case i < 0 && in.PlanID != "":
		return ResolvedPlan{}, planUnknown(fmt.Sprintf("plan %s is not one of agency %s's SaaS plans (%s)", in.PlanID, in.CompanyID, planList(plans)))
	case i < 0:
		return ResolvedPlan{}, planUnknown(fmt.Sprintf("price %s belongs to none of agency %s's SaaS plans (%s)", in.PriceID, in.CompanyID, planList(plans)))
	}
	p := plans[i]
	if in.PriceID != "" && !hasPrice(p, in.PriceID) {
		return ResolvedPlan{}, planUnknown(fmt.Sprintf("price %s is not a price of plan %s (%s)", in.PriceID, p.PlanID, p.Title))
	}
	out := ResolvedPlan{PlanID: p.PlanID, PriceID: in.PriceID, Title: p.Title, TrialDays: p.TrialPeriod}
	if out.PriceID == "" {
		if j := slices.IndexFunc(p.Prices, func(pr highlevel.PlanPrice) bool { return pr.Active }); j >= 0 {
			out.PriceID = p.Prices[j].ID
		}
	}
	return out, nil
}

func hasPrice(p highlevel.SaaSPlan, price string) bool {
	return slices.ContainsFunc(p.Prices, func(pr highlevel.PlanPrice) bool { return pr.ID == price })
}

func planList(plans []highlevel.SaaSPlan) string {
	if len(plans) == 0 {
		return "it has none"
	}
	names := make([]string, len(plans))
	for i, p := range plans {
		names[i] = fmt.Sprintf("%s %s", p.PlanID, p.Title)
	}
	return "it has " + strings.Join(names, ", ")
}

// InitialPlanQuery asks for a new location's initial plan, by its fields.
type InitialPlanQuery struct {
	LocationRef
	Name    string `json:"name,omitempty"`
	Address string `json:"address,omitempty"`
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Website string `json:"website,omitempty"`
}

// InitialPlan chooses a new location's initial plan: the first of InitialPlans that
// applies to it, checked against the agency's plans (GET
// /saas/agency-plans/{companyId}, as ResolvePlan). Without a rule that applies it
// calls nothing and answers an empty plan: nothing is invented.
func (a *HighLevel) InitialPlan(ctx context.Context, in InitialPlanQuery) (ResolvedPlan, error) {
	v := mapping.NewValues(mapping.Location{ID: in.LocationID, CompanyID: in.CompanyID, Name: in.Name, Address: in.Address,
		Email: in.Email, Phone: in.Phone, Website: in.Website}, mapping.Subscription{}, mapping.Event{})
	i := slices.IndexFunc(a.InitialPlans, func(r mapping.PlanRule) bool { return r.Matches(v) })
	if i < 0 {
		return ResolvedPlan{}, nil
	}
	rule := a.InitialPlans[i]
	plan, err := a.ResolvePlan(ctx, PlanQuery{CompanyID: in.CompanyID, PlanID: rule.PlanID, PriceID: rule.PriceID})
	if err != nil {
		var app *temporal.ApplicationError
		if errors.As(err, &app) && app.Type() == ErrTypePlanUnknown {
			return ResolvedPlan{}, planUnknown(fmt.Sprintf("the initial plan of %s: %s", rule.Describe(), app.Message()))
		}
		return ResolvedPlan{}, err
	}
	plan.Source = rule.Describe()
	return plan, nil
}
