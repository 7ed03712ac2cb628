package workflows_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/workflows"
)

// Point 6: an agency uninstall offboards its locations a batch per run, never failing
// fast: a location whose offboarding parks is collected with why, the others go on,
// and the agency token is deleted at the end.
func TestAgencyOffboardingWorksInBatchesAndCollectsParked(t *testing.T) {
	pages := map[string]activities.AgencyPage{
		"":  {LocationIDs: []string{"a", "b"}, Next: "b"},
		"b": {LocationIDs: []string{"c"}, Next: "c"},
		"c": {},
	}
	run := func(in workflows.AgencyOffboardingInput) (*testEnv, error) {
		e := newEnv(t)
		e.RegisterActivity(&activities.Credentials{})
		e.RegisterActivity(&activities.Facts{})
		e.RegisterActivity(&activities.Owners{})
		e.OnActivity(factsActs.AgencyLocations, mock.Anything, mock.Anything).Return(func(_ context.Context, r activities.AgencyPageRequest) (activities.AgencyPage, error) {
			require.Equal(t, 2, r.Limit)
			return pages[r.After], nil
		})
		e.OnActivity(owners.SignalUninstalls, mock.Anything, mock.Anything).Return(func(_ context.Context, b activities.UninstallBatch) error {
			assert.Equal(t, "highlevel/w1", b.EventID)
			return nil
		})
		polls := 0
		e.OnActivity(factsActs.AwaitUninstalled, mock.Anything, mock.Anything).Return(func(_ context.Context, w activities.UninstallWait) (activities.UninstallProgress, error) {
			polls++
			if w.LocationIDs[0] == "a" && polls == 1 { // b still offboarding at first
				return activities.UninstallProgress{Done: []string{"a"}, Pending: []string{"b"}}, nil
			}
			if w.LocationIDs[0] == "b" {
				return activities.UninstallProgress{Parked: map[string]string{"b": "1 events parked"}}, nil
			}
			return activities.UninstallProgress{Done: w.LocationIDs}, nil
		})
		e.OnActivity(creds.DeleteAgencyToken, mock.Anything, company).Return(nil).Maybe()
		e.ExecuteWorkflow(workflows.AgencyOffboardingWorkflowType, in)
		return e, e.GetWorkflowError()
	}
	in := workflows.AgencyOffboardingInput{CompanyID: company, EventID: "highlevel/w1", OccurredAt: t0, Batch: 2}
	for runs := 1; ; runs++ {
		require.Less(t, runs, 5)
		e, err := run(in)
		if can, ok := errorsAs[*workflow.ContinueAsNewError](err); ok {
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
			e.AssertNotCalled(t, "DeleteAgencyToken", mock.Anything, mock.Anything)
			continue
		}
		require.NoError(t, err)
		var res workflows.AgencyOffboardingResult
		require.NoError(t, e.GetWorkflowResult(&res))
		assert.Equal(t, 3, runs, "one run per batch, and one for the empty last page")
		assert.Equal(t, 2, res.Offboarded)
		assert.Equal(t, map[string]string{"b": "1 events parked"}, res.Parked)
		assert.True(t, res.AgencyTokenGone)
		e.AssertCalled(t, "DeleteAgencyToken", mock.Anything, company)
		return
	}
}
