package highlevelsim

import (
	"slices"
	"time"
)

// SaaSPlan is an agency's SaaS plan, in the shape of SaasPlanResponseDto.
// agency-plans returns the same objects (AgencyPlanResponseDto is this shape
// without companyId and setupFee; the extra members are harmless).
type SaaSPlan struct {
	PlanID             string      `json:"planId"`
	CompanyID          string      `json:"companyId"`
	Title              string      `json:"title"`
	Description        string      `json:"description"`
	SaaSProducts       []string    `json:"saasProducts"`
	AddOns             []string    `json:"addOns,omitempty"`
	PlanLevel          int         `json:"planLevel"`
	TrialPeriod        int         `json:"trialPeriod"`
	SetupFee           float64     `json:"setupFee"`
	UserLimit          int         `json:"userLimit,omitempty"`
	ContactLimit       int         `json:"contactLimit,omitempty"`
	Prices             []PlanPrice `json:"prices"`
	CategoryID         string      `json:"categoryId,omitempty"`
	SnapshotID         string      `json:"snapshotId,omitempty"`
	ProductID          string      `json:"productId,omitempty"`
	ProviderLocationID string      `json:"providerLocationId,omitempty"`
	IsSaaSV2           bool        `json:"isSaaSV2"`
	CreatedAt          string      `json:"createdAt"`
	UpdatedAt          string      `json:"updatedAt"`
}

// PlanPrice is one price of a SaaS plan.
type PlanPrice struct {
	ID              string  `json:"id"`
	BillingInterval string  `json:"billingInterval"` // "month" | "year"
	Active          bool    `json:"active"`
	Amount          float64 `json:"amount"`
	Currency        string  `json:"currency"`
	Symbol          string  `json:"symbol"`
}

func (p SaaSPlan) hasPrice(id string) bool {
	return slices.ContainsFunc(p.Prices, func(pr PlanPrice) bool { return pr.ID == id })
}

// isoTime formats t the way HighLevel's JSON does: "2024-07-31T07:54:41.885Z".
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// seedPlans gives every new agency two realistic SaaS V2 plans, so that
// agency-plans, saas-plan and enable-saas with a saasPlanId work at once.
func seedPlans(companyID string, now time.Time) []SaaSPlan {
	plan := func(title, desc string, level int, monthly float64, products, addOns []string, users, contacts int) SaaSPlan {
		ts := isoTime(now)
		return SaaSPlan{
			PlanID: newObjectID(), CompanyID: companyID, Title: title, Description: desc,
			SaaSProducts: products, AddOns: addOns, PlanLevel: level, TrialPeriod: 14,
			UserLimit: users, ContactLimit: contacts,
			// Prices and products are the agency's Stripe objects.
			Prices: []PlanPrice{
				{ID: newStripeID("price_1"), BillingInterval: "month", Active: true, Amount: monthly, Currency: "USD", Symbol: "$"},
				{ID: newStripeID("price_1"), BillingInterval: "year", Active: true, Amount: monthly * 10, Currency: "USD", Symbol: "$"},
			},
			CategoryID: newObjectID(), SnapshotID: newResourceID(), ProductID: newStripeID("prod_"),
			IsSaaSV2: true, CreatedAt: ts, UpdatedAt: ts,
		}
	}
	return []SaaSPlan{
		plan("Practice Starter", "Client intake, web chat and two-way texting for a solo practice", 1, 97,
			[]string{"2-way-text-messaging", "web-chat", "gmb-messaging"}, nil, 3, 5000),
		plan("Practice Growth", "Everything in Starter plus reputation management and AI assistants", 2, 297,
			[]string{"2-way-text-messaging", "web-chat", "gmb-messaging", "reputation-management"},
			[]string{"CONVERSATIONS_AI", "WORDPRESS_V1"}, 15, 50000),
	}
}
