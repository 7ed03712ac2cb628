package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/workflows"
)

// A webhook-triggered install carries no plan: the onboarding sets up the default plan
// for the location (a trialing subscription, pre-configured by enable-saas) and says so
// in the state, the facts, the install's outcome and the matter's note.
func TestOwnerOnboardsWithTheDefaultPlan(t *testing.T) {
	e := newOwnerEnv(t)
	e.initialPlan = activities.ResolvedPlan{PlanID: "plan_starter", PriceID: "price_starter", Title: "Starter", TrialDays: 14, Source: "HIGHLEVEL_DEFAULT_PLAN_ID"}
	var mid workflows.LocationState
	e.send(0, install("highlevel/install", at(0)))
	e.query(time.Minute, &mid)
	e.send(2*time.Minute, uninstallAt("u", at(time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	assert.Equal(t, []string{"mint", "enable plan_starter", "delete-token"}, e.log)
	assert.Equal(t, facts.PhaseActive, mid.Phase)
	assert.Equal(t, "trialing", mid.Subscription.Status)
	assert.Equal(t, "plan_starter", mid.Subscription.PlanID)
	trialEnd := mid.OnboardedAt.AddDate(0, 0, 14).Format(time.DateOnly)
	want := "plan plan_starter (Starter), price price_starter, a 14-day trial to " + trialEnd + ", from HIGHLEVEL_DEFAULT_PLAN_ID; " +
		"HighLevel reports subscription sub_pre (trialing) on plan plan_starter"
	assert.Equal(t, want, mid.InitialPlan)
	assert.Equal(t, "initial subscription: "+want, e.record("highlevel/install").Message)
	assert.Equal(t, want, e.rows[len(e.rows)-1].InitialPlan, "in the facts")
	assert.Contains(t, e.as.noteTexts()[0], "Initial subscription: plan plan_starter (Starter)")
	assert.Equal(t, "ops@acme.example", e.as.writes[0].Location.Email, "the business contact goes to Actionstep")
	assert.Equal(t, "+61 2 9000 0000", e.as.writes[0].Location.Phone)
}

// Without a default plan nothing is invented, and the onboarding says so.
func TestOwnerOnboardsWithoutADefaultPlan(t *testing.T) {
	e := newOwnerEnv(t)
	var mid workflows.LocationState
	e.send(0, install("highlevel/install", at(0)))
	e.query(time.Minute, &mid)
	e.send(2*time.Minute, uninstallAt("u", at(time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	assert.Equal(t, []string{"mint", "enable", "delete-token"}, e.log, "enable-saas without a plan")
	assert.Empty(t, mid.Subscription.SubscriptionID)
	assert.True(t, strings.HasPrefix(mid.InitialPlan, "none: the install carries no plan or subscription and no default plan applies to this location "+
		"(set HIGHLEVEL_DEFAULT_PLAN_ID, or an initialPlan rule in the mapping)"), mid.InitialPlan)
	assert.Equal(t, "initial subscription: "+mid.InitialPlan, e.record("highlevel/install").Message)
	assert.Contains(t, e.as.noteTexts()[0], "Initial subscription: none")
}

// A re-install onto a location whose SaaS is already on leaves it alone, and says the
// default was not applied; the verification does not expect it.
func TestOwnerLeavesAnEnabledLocationsPlanAlone(t *testing.T) {
	e := newOwnerEnv(t)
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", PlanID: "plan_growth", SubscriptionID: "s0", SubscriptionStatus: "active"}
	e.initialPlan = activities.ResolvedPlan{PlanID: "plan_starter", PriceID: "price_starter", Title: "Starter", Source: "HIGHLEVEL_DEFAULT_PLAN_ID"}
	var mid workflows.LocationState
	e.send(0, install("highlevel/install", at(0)))
	e.query(time.Minute, &mid)
	e.send(2*time.Minute, uninstallAt("u", at(time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, "applied", e.outcomes()["highlevel/install"])
	assert.Equal(t, "plan_growth", mid.Subscription.PlanID)
	assert.True(t, strings.HasPrefix(mid.InitialPlan, "not applied: SaaS was already enabled (a re-install), so the default plan plan_starter (Starter) from HIGHLEVEL_DEFAULT_PLAN_ID was left alone"), mid.InitialPlan)
}

// An install (or a default) naming a plan the agency does not have parks with that
// message, before anything changes in HighLevel.
func TestOwnerParksAnInstallWhosePlanTheAgencyLacks(t *testing.T) {
	e := newOwnerEnv(t)
	ev := install("onboard", at(0))
	ev.PlanID = "plan_gone"
	var mid workflows.LocationState
	e.send(0, ev)
	e.query(time.Minute, &mid)
	_, err := e.run(workflows.LocationInput{})
	require.Error(t, err) // the owner waits for an operator; the test ends it

	require.Len(t, mid.Parked, 1)
	assert.Contains(t, mid.Parked[0].Error, "plan plan_gone is not one of agency "+company+"'s SaaS plans")
	assert.Equal(t, activities.ErrTypePlanUnknown, mid.Parked[0].ErrorType)
	assert.Equal(t, []string{"mint"}, e.log, "enable-saas never ran")
}

// A change's plan is checked against the agency's plans, then applied through the
// subscription (HighLevel takes the plan from its price); a plan HighLevel does not
// report is said in the outcome; a plan the agency lacks parks the change.
func TestOwnerHonoursAChangesPlan(t *testing.T) {
	e := newOwnerEnv(t)
	e.loaded = activeFacts()
	e.sub = activities.SaaSSubscription{Enabled: true, SaaSMode: "saasV2", SubscriptionStatus: "active"}
	e.subPlans = map[string]string{"s1": "plan_growth"}
	withPlan := func(id, sub, plan string, when time.Time) workflows.LocationEvent {
		ev := changeAt(id, sub, when)
		ev.PlanID = plan
		return ev
	}
	var mid workflows.LocationState
	e.send(time.Second, withPlan("grow", "s1", "plan_growth", at(time.Second)))
	e.query(time.Minute, &mid)
	e.send(2*time.Minute, withPlan("mismatch", "s2", "plan_starter", at(2*time.Second)), withPlan("gone", "s3", "plan_gone", at(3*time.Second)))
	e.send(time.Hour, uninstallAt("u", at(time.Hour)))
	_, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)

	assert.Equal(t, "Growth", mid.Subscription.PlanTitle, "the checked plan's title; no saas-plan read")
	assert.Equal(t, "applied", e.record("grow").Outcome)
	assert.Empty(t, e.record("grow").Message)
	assert.Equal(t, "applied", e.record("mismatch").Outcome)
	assert.Contains(t, e.record("mismatch").Message, "HighLevel reports plan plan_s2 for subscription s2; the event named plan_starter (Starter)")
	parked := e.first("gone")
	assert.Equal(t, "parked", parked.Outcome)
	assert.Contains(t, parked.Message, "plan plan_gone is not one of agency "+company+"'s SaaS plans")
	assert.NotContains(t, e.log, "update s3", "a plan the agency lacks changes nothing")
}

// The mapping's first task is added once, even when its create's answer is lost, and
// a re-install finds it.
func TestOwnerAddsTheFirstTaskOnce(t *testing.T) {
	e := newOwnerEnv(t)
	e.as.taskWanted = true
	e.as.lose["CreateFirstTask"] = 1
	e.send(0, install("i1", at(0)))
	e.send(time.Minute, uninstallAt("u", at(time.Minute)))
	e.send(2*time.Minute, install("i2", at(2*time.Minute)))
	e.send(3*time.Minute, uninstallAt("u2", at(3*time.Minute)))
	st, err := e.run(workflows.LocationInput{})
	require.NoError(t, err)
	assert.Equal(t, 1, e.as.creates["CreateFirstTask"], "the lost answer was looked up, not repeated")
	assert.Len(t, e.as.tasks, 1)
	assert.NotEmpty(t, st.ActionstepRecord.TaskID)
}

// first is the first recorded outcome of an event.
func (e *ownerEnv) first(id string) facts.Event {
	for _, r := range e.records {
		if r.EventID == id {
			return r
		}
	}
	return facts.Event{}
}

// record is the last recorded outcome of an event.
func (e *ownerEnv) record(id string) facts.Event {
	var out facts.Event
	for _, r := range e.records {
		if r.EventID == id {
			out = r
		}
	}
	return out
}
