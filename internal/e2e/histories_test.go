package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/workflows"
)

// TestRecordHistories writes real histories, from this dev server, into
// workflows/testdata for the replay tests. Run it (make histories) whenever a workflow
// changes shape, and commit the new files next to the old ones: old histories must
// keep replaying.
func TestRecordHistories(t *testing.T) {
	s := need(t)
	if os.Getenv("SAASBRIDGE_RECORD_HISTORIES") == "" {
		t.Skip("set SAASBRIDGE_RECORD_HISTORIES=1 (make histories) to record replay fixtures")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	locs := s.addLocations(ctx, t, 3)
	out := filepath.Join(repoRoot(), "workflows", "testdata")

	record := func(name string, in workflows.OnboardingInput) {
		run, err := workflows.StartOnboarding(ctx, s.temporal, in)
		require.NoError(t, err)
		_ = run.Get(ctx, nil)
		js, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&historypb.History{
			Events: s.history(ctx, t, run.GetID(), run.GetRunID()),
		})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(out, name+".json"), js, 0o644))
	}
	with := workflows.OnboardingInput{LocationID: locs[0], CompanyID: s.companyID, SubscriptionID: "sub_replay", CustomerID: "cus_replay", Trigger: "replay fixture"}
	record("onboarding_v1_subscription", with)
	record("onboarding_v1_already_enabled", with)
	require.NoError(t, s.admin.AddFaultRule(ctx, highlevelsim.Rule{Endpoint: highlevel.EndpointEnableSaaS, LocationID: locs[1], Status: 400, Message: "rejected for the replay fixture"}))
	record("onboarding_v1_rejected", workflows.OnboardingInput{LocationID: locs[1], CompanyID: s.companyID})
	require.NoError(t, s.admin.ClearFaults(ctx))
	record("onboarding_v1_no_subscription", workflows.OnboardingInput{LocationID: locs[2], CompanyID: s.companyID})
}
