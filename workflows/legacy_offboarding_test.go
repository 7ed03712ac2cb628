package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/workflows"
)

var creds *activities.Credentials

func TestOffboardingALocation(t *testing.T) {
	for _, running := range []bool{true, false} {
		env := newEnv(t)
		env.RegisterActivity(&activities.Credentials{})
		env.OnActivity(creds.DeleteLocationToken, mock.Anything, ref).Return(nil).Once()
		var err error
		if !running {
			err = &temporal.UnknownExternalWorkflowExecutionError{}
		}
		env.OnSignalExternalWorkflow(mock.Anything, workflows.LegacySubscriptionWorkflowID(loc), "", workflows.LegacySubscriptionSignal,
			mock.MatchedBy(func(ev workflows.LegacySubscriptionEvent) bool { return ev.Kind == workflows.EventUninstalled })).Return(err).Once()

		env.ExecuteWorkflow(workflows.LegacyOffboardingWorkflowType, workflows.LegacyOffboardingInput{CompanyID: company, LocationID: loc, Trigger: "test"})
		require.NoError(t, env.GetWorkflowError())
		var res workflows.LegacyOffboardingResult
		require.NoError(t, env.GetWorkflowResult(&res))
		assert.Equal(t, []string{loc}, res.Locations)
		assert.Equal(t, running, res.SubscriptionStopped)
		env.AssertExpectations(t)
	}
}

func TestOffboardingAnAgencyOffboardsEachLocation(t *testing.T) {
	env := newEnv(t)
	env.RegisterActivity(&activities.Credentials{})
	locs := []string{"locA0000000000000000", "locB0000000000000000"}
	env.OnActivity(creds.LocationsWithTokens, mock.Anything, company).Return(locs, nil).Once()
	for _, l := range locs {
		env.OnActivity(creds.DeleteLocationToken, mock.Anything, activities.LocationRef{CompanyID: company, LocationID: l}).Return(nil).Once()
		env.OnSignalExternalWorkflow(mock.Anything, workflows.LegacySubscriptionWorkflowID(l), "", workflows.LegacySubscriptionSignal, mock.Anything).
			Return(&temporal.UnknownExternalWorkflowExecutionError{}).Once()
	}
	env.OnActivity(creds.DeleteAgencyToken, mock.Anything, company).Return(nil).Once()

	env.ExecuteWorkflow(workflows.LegacyOffboardingWorkflowType, workflows.LegacyOffboardingInput{CompanyID: company})
	require.NoError(t, env.GetWorkflowError())
	var res workflows.LegacyOffboardingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, locs, res.Locations)
	env.AssertExpectations(t)
}
