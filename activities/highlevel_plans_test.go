package activities

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

// A plan or price is checked against the agency's plans, one call; one the agency does
// not have fails for good with a message naming what it has.
func TestResolvePlan(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 1})
	starter, growth := f.agency.Plans[0], f.agency.Plans[1]
	for _, tc := range []struct {
		name string
		in   PlanQuery
		want ResolvedPlan
		err  string
	}{
		{"plan: its first price", PlanQuery{PlanID: growth.PlanID}, ResolvedPlan{PlanID: growth.PlanID, PriceID: growth.Prices[0].ID, Title: "Practice Growth", TrialDays: 14}, ""},
		{"plan and its yearly price", PlanQuery{PlanID: growth.PlanID, PriceID: growth.Prices[1].ID}, ResolvedPlan{PlanID: growth.PlanID, PriceID: growth.Prices[1].ID, Title: "Practice Growth", TrialDays: 14}, ""},
		{"price alone", PlanQuery{PriceID: starter.Prices[1].ID}, ResolvedPlan{PlanID: starter.PlanID, PriceID: starter.Prices[1].ID, Title: "Practice Starter", TrialDays: 14}, ""},
		{"a plan the agency does not have", PlanQuery{PlanID: "66c4d36534f21f900dc2a265"}, ResolvedPlan{},
			"plan 66c4d36534f21f900dc2a265 is not one of agency " + f.company + "'s SaaS plans (it has " + starter.PlanID + " Practice Starter, " + growth.PlanID + " Practice Growth)"},
		{"a price of no plan", PlanQuery{PriceID: "price_1Unknown"}, ResolvedPlan{}, "price price_1Unknown belongs to none of agency"},
		{"another plan's price", PlanQuery{PlanID: starter.PlanID, PriceID: growth.Prices[0].ID}, ResolvedPlan{},
			"price " + growth.Prices[0].ID + " is not a price of plan " + starter.PlanID + " (Practice Starter)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.sim.ResetCalls()
			tc.in.CompanyID = f.company
			var got ResolvedPlan
			_, err := f.run(&got, f.acts.ResolvePlan, tc.in)
			assert.Equal(t, 1, f.sim.Calls().Count(highlevel.EndpointAgencyPlans, 200))
			if tc.err != "" {
				app := requireAppError(t, err, ErrTypePlanUnknown, false)
				assert.Contains(t, app.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// The initial plan is the first rule that applies to the location, checked against the
// agency's plans; without one nothing is called and nothing invented.
func TestInitialPlan(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 1})
	growth := f.agency.Plans[1]
	m, err := mapping.FromEnv("", `{"participant":{"companyName":"{{location.name}}"},"initialPlan":[
		{"when":{"location.name":"Special Practice"},"planId":"not-a-plan-of-theirs"},
		{"when":{"location.companyId":"`+f.company+`"},"planId":"`+growth.PlanID+`","priceId":"`+growth.Prices[1].ID+`"}]}`, "")
	require.NoError(t, err)
	f.acts.InitialPlans = append(m.PlanRules(), mapping.PlanRule{PlanID: f.agency.Plans[0].PlanID, Source: "HIGHLEVEL_DEFAULT_PLAN_ID"})

	var got ResolvedPlan
	_, err = f.run(&got, f.acts.InitialPlan, InitialPlanQuery{LocationRef: f.ref(0), Name: "Acme"})
	require.NoError(t, err)
	assert.Equal(t, ResolvedPlan{PlanID: growth.PlanID, PriceID: growth.Prices[1].ID, Title: "Practice Growth", TrialDays: 14,
		Source: "initialPlan[1] of the mapping (location.companyId = " + f.company + ")"}, got)

	_, err = f.run(&got, f.acts.InitialPlan, InitialPlanQuery{LocationRef: LocationRef{CompanyID: f.company, LocationID: "x"}, Name: "Special Practice"})
	app := requireAppError(t, err, ErrTypePlanUnknown, false)
	assert.Contains(t, app.Error(), "the initial plan of initialPlan[0] of the mapping (location.name = Special Practice): plan not-a-plan-of-theirs is not one of agency")

	f.acts.InitialPlans = nil
	f.sim.ResetCalls()
	var none ResolvedPlan
	_, err = f.run(&none, f.acts.InitialPlan, InitialPlanQuery{LocationRef: f.ref(0)})
	require.NoError(t, err)
	assert.Equal(t, ResolvedPlan{}, none, "no rule: no plan")
	assert.Zero(t, f.sim.Calls().Total)
}
