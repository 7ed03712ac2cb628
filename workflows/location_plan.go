package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
)

// onboardingPlanChange gates the onboarding's two steps before enable-saas: read the
// location's business profile (its contact, for the Actionstep client) and choose its
// initial subscription (the install's plan, checked against the agency's plans, else
// the default plan for the location), which enable-saas then pre-configures. Runs that
// started before it onboard as the first owner did.
const onboardingPlanChange = "onboarding-initial-subscription"

// planIDsChange gates honouring a change's plan: the plan (or price) is checked against
// the agency's plans before the subscription is updated, and HighLevel's plan is
// compared with it afterwards.
const planIDsChange = "plan-ids-honoured"

// Onboarding steps added by onboardingPlanChange.
const (
	StepReadProfile = "read-profile"
	StepChoosePlan  = "choose-plan"
)

// readProfile reads the location's business profile: its contact goes to the
// Actionstep client.
func (o *owner) readProfile(ctx workflow.Context) error {
	var p activities.LocationProfile
	if err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: read the location's business profile"),
		hl.GetLocationProfile, o.ref()).Get(ctx, &p); err != nil {
		return err
	}
	in := o.state.Install
	in.Email, in.Phone, in.Website = p.Email, p.Phone, p.Website
	if p.Name != "" {
		in.Name = p.Name
	}
	if p.Address != "" {
		in.Address = p.Address
	}
	return nil
}

// chooseInitialPlan decides the subscription the onboarding sets up: the install's own
// plan (checked against the agency's plans), none when the install brings a
// subscription, else the default plan for the location (a rule of the mapping, or
// HIGHLEVEL_DEFAULT_PLAN_ID), or none when there is no default: nothing is invented.
func (o *owner) chooseInitialPlan(ctx workflow.Context, ev LocationEvent) error {
	in := o.state.Install
	switch {
	case ev.PlanID != "" || ev.PriceID != "":
		plan, err := o.resolvePlan(ctx, ev)
		plan.Source = "the install"
		in.Plan = plan
		return err
	case ev.hasSubscription():
		return nil
	}
	q := activities.InitialPlanQuery{LocationRef: o.ref(), Name: in.Name, Address: in.Address, Email: in.Email, Phone: in.Phone, Website: in.Website}
	return workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: choose the initial plan"), hl.InitialPlan, q).Get(ctx, &in.Plan)
}

// resolvePlan checks an event's plan or price against the agency's plans; one the
// agency does not have fails for good, which parks the event with that message.
func (o *owner) resolvePlan(ctx workflow.Context, ev LocationEvent) (activities.ResolvedPlan, error) {
	var plan activities.ResolvedPlan
	err := workflow.ExecuteActivity(withHighLevel(ctx, "HighLevel: check the plan against the agency's plans"), hl.ResolvePlan,
		activities.PlanQuery{CompanyID: o.state.CompanyID, PlanID: ev.PlanID, PriceID: ev.PriceID}).Get(ctx, &plan)
	return plan, err
}

// expectedPlan is the plan the onboarding's verification expects HighLevel to report:
// the chosen one, unless SaaS was already enabled and the plan is a default (which then
// was not applied).
func (p *installProgress) expectedPlan() string {
	if p.AlreadyEnabled && p.Plan.Source != "the install" {
		return ""
	}
	return p.Plan.PlanID
}

// initialPlanSummary says, for an operator (the facts, the install's outcome, the file
// note), what the onboarding did about the initial subscription.
func initialPlanSummary(p *installProgress, ev LocationEvent, s SubscriptionFacts, onboardedAt time.Time) string {
	reported := fmt.Sprintf("HighLevel reports subscription %s (%s) on plan %s", orDash(s.SubscriptionID), orDash(s.Status), orDash(s.PlanID))
	switch {
	case p.Plan.PlanID == "" && ev.hasSubscription():
		return fmt.Sprintf("the install's subscription %s; %s", ev.SubscriptionID, reported)
	case p.Plan.PlanID == "":
		return "none: the install carries no plan or subscription and no default plan applies to this location " +
			"(set HIGHLEVEL_DEFAULT_PLAN_ID, or an initialPlan rule in the mapping); " + reported
	case p.AlreadyEnabled && p.expectedPlan() == "":
		return fmt.Sprintf("not applied: SaaS was already enabled (a re-install), so the default plan %s (%s) from %s was left alone; %s",
			p.Plan.PlanID, p.Plan.Title, p.Plan.Source, reported)
	}
	trial := "no trial"
	if p.Plan.TrialDays > 0 {
		trial = fmt.Sprintf("a %d-day trial to %s", p.Plan.TrialDays, onboardedAt.AddDate(0, 0, p.Plan.TrialDays).UTC().Format(time.DateOnly))
	}
	return fmt.Sprintf("plan %s (%s), price %s, %s, from %s; %s", p.Plan.PlanID, p.Plan.Title, orDash(p.Plan.PriceID), trial, p.Plan.Source, reported)
}

// planDifference says how HighLevel's plan differs from the one the event named (""
// when it does not): HighLevel follows the subscription's price in Stripe.
func planDifference(plan *activities.ResolvedPlan, s SubscriptionFacts) string {
	if plan == nil || plan.PlanID == s.PlanID {
		return ""
	}
	return fmt.Sprintf("HighLevel reports plan %s for subscription %s; the event named %s (%s): HighLevel takes the plan from the subscription's price in Stripe",
		orDash(s.PlanID), orDash(s.SubscriptionID), plan.PlanID, plan.Title)
}
