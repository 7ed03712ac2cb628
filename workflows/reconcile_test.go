package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

var reconciler *activities.Reconciler

// Reconciliation works one page per run: each run continues as new with the next
// cursor, from the installed locations to the SaaS pages, and totals carry over.
func TestReconcilePagesThroughBothPhases(t *testing.T) {
	env := func() *testEnv {
		e := newEnv(t)
		e.RegisterActivity(&activities.Reconciler{})
		e.OnActivity(hl.ListInstalledLocations, mock.Anything, activities.InstalledPageRequest{CompanyID: company, Skip: 0}).
			Return(activities.InstalledPage{Installed: []string{"a", "b"}, Total: 3, Next: 2}, nil).Maybe()
		e.OnActivity(hl.ListInstalledLocations, mock.Anything, activities.InstalledPageRequest{CompanyID: company, Skip: 2}).
			Return(activities.InstalledPage{Installed: []string{"c"}, Total: 3}, nil).Maybe()
		e.OnActivity(reconciler.StartMissingOnboardings, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.MissingOnboardings) ([]string, error) {
				return in.LocationIDs[:1], nil
			}).Maybe()
		e.OnActivity(hl.ListSaaSLocations, mock.Anything, activities.SaaSPageRequest{CompanyID: company, Page: 1}).
			Return(activities.SaaSPage{Locations: []activities.SaaSState{{LocationID: "a"}, {LocationID: "b"}}, HasNext: true}, nil).Maybe()
		e.OnActivity(hl.ListSaaSLocations, mock.Anything, activities.SaaSPageRequest{CompanyID: company, Page: 2}).
			Return(activities.SaaSPage{Locations: []activities.SaaSState{{LocationID: "c"}}}, nil).Maybe()
		e.OnActivity(reconciler.SignalDrifted, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.DriftCheck) ([]string, error) {
				require.Contains(t, in.EventPrefix, "reconcile/")
				return []string{in.Locations[0].LocationID}, nil
			}).Maybe()
		return e
	}

	in := workflows.ReconcileInput{CompanyID: company}
	for run := 0; ; run++ {
		require.Less(t, run, 10)
		e := env()
		e.ExecuteWorkflow(workflows.ReconcileWorkflowType, in)
		err := e.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			var next workflows.ReconcileInput
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
			in = next
			continue
		}
		require.NoError(t, err)
		var totals workflows.ReconcileTotals
		require.NoError(t, e.GetWorkflowResult(&totals))
		assert.Equal(t, workflows.ReconcileTotals{Installed: 3, OnboardingsStarted: 2, SaaSLocations: 3, SubscriptionsSynced: 2}, totals)
		assert.Equal(t, 3, run, "two installed pages and two SaaS pages, one per run")
		return
	}
}

func TestReconcileAllRunsOneChildPerAgency(t *testing.T) {
	e := newEnv(t)
	e.RegisterActivity(&activities.Credentials{})
	e.RegisterActivity(&activities.Reconciler{})
	e.OnActivity(creds.ConnectedAgencies, mock.Anything).Return([]string{"agencyA", "agencyB"}, nil)
	e.OnActivity(hl.ListInstalledLocations, mock.Anything, mock.Anything).Return(activities.InstalledPage{Installed: []string{"x"}, Total: 1}, nil)
	e.OnActivity(reconciler.StartMissingOnboardings, mock.Anything, mock.Anything).Return([]string{"x"}, nil)
	e.OnActivity(hl.ListSaaSLocations, mock.Anything, mock.Anything).Return(activities.SaaSPage{}, nil)
	e.OnActivity(reconciler.SignalDrifted, mock.Anything, mock.Anything).Return([]string(nil), nil)
	e.ExecuteWorkflow(workflows.ReconcileWorkflowType, workflows.ReconcileInput{})
	require.NoError(t, e.GetWorkflowError())
	var totals workflows.ReconcileTotals
	require.NoError(t, e.GetWorkflowResult(&totals))
	assert.Equal(t, workflows.ReconcileTotals{Agencies: 2, Installed: 2, OnboardingsStarted: 2}, totals)
	e.AssertActivityNumberOfCalls(t, "ListInstalledLocations", 2)
}

func TestCredentialUpkeep(t *testing.T) {
	e := newEnv(t)
	e.RegisterActivity(&activities.Credentials{})
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	e.SetStartTime(now)
	day := 24 * time.Hour
	e.OnActivity(creds.ListCredentials, mock.Anything).Return([]activities.CredentialInfo{
		{Key: "actionstep/old", Kind: string(tokens.KindActionstep), Status: "active", UpdatedAt: now.Add(-20 * day)},
		{Key: "actionstep/fresh", Kind: string(tokens.KindActionstep), Status: "active", UpdatedAt: now.Add(-time.Hour)},
		{Key: "highlevel/agency/a", Kind: string(tokens.KindHighLevelAgency), Status: "active", UpdatedAt: now.Add(-300 * day)},
		{Key: "highlevel/location/x", Kind: string(tokens.KindHighLevelLocation), Status: "active", UpdatedAt: now.Add(-364 * day)},
		{Key: "highlevel/location/dead", Kind: string(tokens.KindHighLevelLocation), Status: "reconnect_needed", UpdatedAt: now},
		{Key: "highlevel/location/paused", Kind: string(tokens.KindHighLevelLocation), Status: "suspended", UpdatedAt: now.Add(-364 * day)},
	}, nil)
	e.OnActivity(creds.RefreshCredential, mock.Anything, "actionstep/old").Return(activities.RefreshOK, nil).Once()
	e.OnActivity(creds.RefreshCredential, mock.Anything, "highlevel/location/x").Return(activities.RefreshReconnectNeeded, nil).Once()

	e.ExecuteWorkflow(workflows.UpkeepWorkflowType, workflows.UpkeepInput{Horizon: 12 * time.Hour})
	require.NoError(t, e.GetWorkflowError())
	var r workflows.UpkeepReport
	require.NoError(t, e.GetWorkflowResult(&r))
	assert.Equal(t, workflows.UpkeepReport{
		Refreshed: []string{"actionstep/old"}, NeedsReconnect: []string{"highlevel/location/dead", "highlevel/location/x"},
		Suspended: []string{"highlevel/location/paused"}, Checked: 6,
	}, r)
	e.AssertActivityNumberOfCalls(t, "RefreshCredential", 2)
}
