package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

// fixtureRelease names the workflow code the recorded histories come from. Bump it
// when a workflow changes shape, run make histories, and commit the new files next to
// the old ones: old histories must keep replaying (v1: before Actionstep; v2: with it).
const fixtureRelease = "v2"

// TestRecordHistories writes real histories, from this dev server, into
// workflows/testdata for the replay tests.
func TestRecordHistories(t *testing.T) {
	s := need(t)
	if os.Getenv("SAASBRIDGE_RECORD_HISTORIES") == "" {
		t.Skip("set SAASBRIDGE_RECORD_HISTORIES=1 (make histories) to record replay fixtures")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	locs := s.addLocations(ctx, t, 3)
	out := filepath.Join(repoRoot(), "workflows", "testdata")

	save := func(name string, run client.WorkflowRun) {
		_ = run.Get(ctx, nil)
		js, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&historypb.History{
			Events: s.history(ctx, t, run.GetID(), run.GetRunID()),
		})
		require.NoError(t, err)
		name = strings.Replace(name, "_v1_", "_"+fixtureRelease+"_", 1)
		require.NoError(t, os.WriteFile(filepath.Join(out, name+".json"), js, 0o644))
	}
	record := func(name string, in workflows.OnboardingInput) {
		run, err := workflows.StartOnboarding(ctx, s.temporal, in)
		require.NoError(t, err)
		save(name, run)
	}
	with := workflows.OnboardingInput{LocationID: locs[0], CompanyID: s.companyID, SubscriptionID: "sub_replay", CustomerID: "cus_replay", Trigger: "replay fixture"}
	record("onboarding_v1_subscription", with)
	record("onboarding_v1_already_enabled", with)
	require.NoError(t, s.admin.AddFaultRule(ctx, highlevelsim.Rule{Endpoint: highlevel.EndpointEnableSaaS, LocationID: locs[1], Status: 400, Message: "rejected for the replay fixture"}))
	record("onboarding_v1_rejected", workflows.OnboardingInput{LocationID: locs[1], CompanyID: s.companyID})
	require.NoError(t, s.admin.ClearFaults(ctx))
	record("onboarding_v1_no_subscription", workflows.OnboardingInput{LocationID: locs[2], CompanyID: s.companyID})

	// The subscription entity: a change, a duplicate, a pause, a check, a bad event,
	// then the uninstall that ends it.
	sub := func(id, subID, status string) workflows.SubscriptionEvent {
		return workflows.SubscriptionEvent{EventID: id, Kind: workflows.EventChange, SubscriptionID: subID, CustomerID: "cus_replay", Status: status, Source: "replay fixture"}
	}
	var run client.WorkflowRun
	for _, ev := range []workflows.SubscriptionEvent{
		sub("r1", "sub_r1", "active"), sub("r1", "sub_r1", "active"), sub("r2", "sub_r2", "unpaid"),
		{EventID: "r3", Kind: workflows.EventCheck}, sub("r4", "sub_r4", "active"), {EventID: "r5", Kind: "bogus"},
	} {
		var err error
		run, err = workflows.SignalSubscription(ctx, s.temporal, locs[0], s.companyID, ev)
		require.NoError(t, err)
	}
	s.waitSubscription(ctx, t, locs[0], func(st workflows.SubscriptionState) bool { return st.LastEventID == "r5" })
	off, err := workflows.StartOffboarding(ctx, s.temporal, workflows.OffboardingInput{CompanyID: s.companyID, LocationID: locs[0], Trigger: "replay fixture"})
	require.NoError(t, err)
	save("subscription_v1_events_then_uninstall", run)
	save("offboarding_v1_location", off)

	// An agency offboarding with one location token of its own.
	other, err := s.admin.CreateAgency(ctx, highlevelsim.AgencySpec{Name: "Replay Agency", LocationCount: 1})
	require.NoError(t, err)
	store := s.openStore(t)
	require.NoError(t, store.Put(ctx, tokens.KeyHighLevelLocation(other.Locations[0].ID), tokens.Token{
		AccessToken: "replay-access", RefreshToken: "replay-refresh", Expiry: time.Now().Add(time.Hour),
		Attrs: map[string]string{credentials.AttrCompanyID: other.Agency.ID, credentials.AttrLocationID: other.Locations[0].ID},
	}))
	off, err = workflows.StartOffboarding(ctx, s.temporal, workflows.OffboardingInput{CompanyID: other.Agency.ID, Trigger: "replay fixture"})
	require.NoError(t, err)
	save("offboarding_v1_agency", off)
}
