package activities

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

func TestPauseAndPlanActivities(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 1})
	ref := f.ref(0)
	_, err := f.run(nil, f.acts.EnableSaaS, EnableSaaSInput{LocationRef: ref, PlanID: f.agency.Plans[0].PlanID})
	require.NoError(t, err)

	var ok bool
	_, err = f.run(&ok, f.acts.PauseLocation, PauseInput{LocationRef: ref, Paused: true})
	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, f.location(ref.LocationID).SaaS.Paused)
	_, err = f.run(&ok, f.acts.PauseLocation, PauseInput{LocationRef: ref, Paused: false})
	require.NoError(t, err)
	assert.False(t, f.location(ref.LocationID).SaaS.Paused)

	var plan Plan
	_, err = f.run(&plan, f.acts.GetSaaSPlan, PlanRef{CompanyID: f.company, PlanID: f.agency.Plans[0].PlanID})
	require.NoError(t, err)
	assert.Equal(t, f.agency.Plans[0].PlanID, plan.PlanID)
	assert.Equal(t, f.agency.Plans[0].Title, plan.Title)

	_, err = f.run(nil, f.acts.GetSaaSPlan, PlanRef{CompanyID: f.company, PlanID: "no-such-plan"})
	_ = requireAppError(t, err, ErrTypeRejected, false)
}

func TestEnableSaaSActivity(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 2})
	plan := f.agency.Plans[1]
	in := EnableSaaSInput{LocationRef: f.ref(0), PlanID: plan.PlanID, PriceID: plan.Prices[0].ID}

	var first EnableSaaSOutcome
	_, err := f.run(&first, f.acts.EnableSaaS, in)
	require.NoError(t, err)
	st := f.location(in.LocationID).SaaS
	require.Equal(t, EnableSaaSOutcome{CustomerID: st.CustomerID}, first)
	require.True(t, strings.HasPrefix(first.CustomerID, "cus_"))
	require.Equal(t, highlevelsim.SaaSModeV2, st.SaaSMode)
	require.True(t, st.IsSaaSV2)
	require.Equal(t, plan.PlanID, st.SaaSPlanID)
	require.Equal(t, plan.Prices[0].ID, st.PriceID)
	require.Equal(t, 1, st.EnableCount)

	var second EnableSaaSOutcome
	_, err = f.run(&second, f.acts.EnableSaaS, in)
	require.NoError(t, err, "already enabled is an outcome, not a failure")
	require.Equal(t, EnableSaaSOutcome{AlreadyEnabled: true}, second)
	require.Equal(t, st, f.location(in.LocationID).SaaS, "state unchanged")
	require.Equal(t, 1, f.sim.Calls().Count(highlevel.EndpointEnableSaaS, http.StatusBadRequest))
}

func TestSaaSSubscriptionRoundTrip(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 1})
	ref := f.ref(0)

	var sub SaaSSubscription
	_, err := f.run(&sub, f.acts.GetSaaSSubscription, ref)
	require.NoError(t, err)
	require.Equal(t, SaaSSubscription{SaaSMode: highlevel.SaaSModeNotActivated}, sub)

	_, err = f.run(nil, f.acts.EnableSaaS, EnableSaaSInput{LocationRef: ref})
	require.NoError(t, err)
	in := UpdateSaaSSubscriptionInput{LocationRef: ref, SubscriptionID: "sub_1QDPY5FpU9DlKp7R", CustomerID: "cus_1QDPY5FpU9DlKp7R"}
	raw, err := f.run(nil, f.acts.UpdateSaaSSubscription, in)
	require.NoError(t, err)
	require.Empty(t, raw, "UpdateSaaSSubscription returns only an error")
	_, err = f.run(nil, f.acts.UpdateSaaSSubscription, in)
	require.NoError(t, err, "setting the same subscription again is harmless")

	_, err = f.run(&sub, f.acts.GetSaaSSubscription, ref)
	require.NoError(t, err)
	require.Equal(t, SaaSSubscription{
		Enabled: true, SaaSMode: highlevelsim.SaaSModeV2, SubscriptionID: in.SubscriptionID,
		CustomerID: in.CustomerID, SubscriptionStatus: "active",
	}, sub)
}
