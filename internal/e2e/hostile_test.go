package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/workflows"
)

// hostileCase is one way the Actionstep simulator reads what the documentation leaves
// open: one reading at its hostile value, or all of them (with every create's answer
// lost once on top).
type hostileCase struct {
	name     string
	readings actionstepsim.Readings
	drops    bool
}

func hostileCases(t *testing.T) []hostileCase {
	t.Helper()
	var out []hostileCase
	for _, name := range actionstepsim.ReadingNames() {
		r, err := actionstepsim.HostileOnly(name)
		require.NoError(t, err)
		out = append(out, hostileCase{name: name, readings: r})
	}
	return append(out, hostileCase{name: "all", readings: actionstepsim.Hostile(), drops: true})
}

// TestProvisioningUnderHostileReadings runs the three provisioning flows (onboarding, a
// billing change, offboarding) for one location under each hostile reading of the
// Actionstep simulator, and under all of them at once with every create's answer lost
// once: each location ends with one client, one matter linked to it and marked, one data
// record holding the change, three notes, and the matter closed. The readings are the
// simulator's, not a location's, so the cases run one after the other (one location
// each, a few seconds a case).
func TestProvisioningUnderHostileReadings(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	defer func() {
		_, err := s.asAdmin.SetReadings(context.Background(), actionstepsim.Readings{})
		require.NoError(t, err)
		require.NoError(t, s.asAdmin.ClearFaults(context.Background()))
	}()
	var matrix []string
	for _, hc := range hostileCases(t) {
		passed := t.Run(hc.name, func(t *testing.T) { s.provisionUnder(ctx, t, hc) })
		matrix = append(matrix, fmt.Sprintf("| %s | %s | %s |", hc.name, describeReadings(hc), map[bool]string{true: "onboarding, billing change, offboarding", false: "FAILED"}[passed]))
	}
	t.Log("\n| reading | simulator | flows passed |\n|---|---|---|\n" + strings.Join(matrix, "\n"))
}

func describeReadings(hc hostileCase) string {
	r := hc.readings
	s := fmt.Sprintf("values=%s filters=%s fileReference=%s startStep=%s wildcard=%s", r.Values, r.Filters, r.FileReference, r.StartStep, r.Wildcard)
	if hc.drops {
		s += ", every create's answer lost once"
	}
	return s
}

// createEndpoints are the Actionstep creates whose answers the "all" case drops.
var createEndpoints = []string{"POST /rest/participants", "POST /rest/actioncreate", "POST /rest/datacollectionrecords", "POST /rest/filenotes"}

func (s *stack) provisionUnder(ctx context.Context, t *testing.T, hc hostileCase) {
	_, err := s.asAdmin.SetReadings(ctx, hc.readings)
	require.NoError(t, err)
	if hc.drops {
		_, err := s.asAdmin.SetFaults(ctx, actionstepsim.Faults{DropAfterCommitRate: 1, Endpoints: createEndpoints})
		require.NoError(t, err)
		defer func() { require.NoError(t, s.asAdmin.ClearFaults(context.Background())) }()
	}
	loc := s.addLocations(ctx, t, 1)[0]

	res, err := s.onboard(ctx, loc, withSubscription)
	require.NoError(t, err)
	require.Equal(t, "applied", res.Outcome.Outcome, "onboarding: %s", res.Outcome.Message)

	event := "hostile-" + hc.name + "-" + loc
	require.Equal(t, http.StatusAccepted, s.postBilling(ctx, t, map[string]any{"eventId": event, "locationId": loc,
		"subscriptionId": "sub_changed_" + loc, "customerId": "cus_" + loc, "planId": s.plans(ctx, t, s.companyID)[0].PlanID, "status": "active",
		"occurredAt": time.Now().UTC().Format(time.RFC3339Nano)}))
	st := s.waitOwner(ctx, t, loc, lastEvent("billing/"+event))
	require.Equal(t, "applied", st.LastEvent.Outcome, "billing change: %s", st.LastEvent.Message)

	off, err := workflows.ApplyLocationEvent(ctx, s.temporal, loc, s.companyID, workflows.LocationEvent{
		EventID: "hostile/uninstall/" + loc, Kind: workflows.EventUninstall, Source: "hostile e2e", OccurredAt: time.Now().UTC()})
	require.NoError(t, err)
	require.Equal(t, "applied", off.Outcome.Outcome, "offboarding: %s", off.Outcome.Message)

	v := s.actionstep(ctx, t)
	m := v.oneEach(t, loc)
	assert.Equal(t, res.State.ActionstepRecord.MatterID, fmt.Sprint(m.ID))
	assert.Equal(t, fmt.Sprint(m.ID), off.State.ActionstepRecord.MatterID)
	assert.Equal(t, "Closed", m.Status)
	assert.Equal(t, "saasbridge:"+loc, m.ImportExternalReference, "the matter carries saasbridge's key")
	assert.Equal(t, "sub_changed_"+loc, v.values[m.ID]["subscription_id"])
	notes := v.notes[m.ID]
	require.Len(t, notes, 3, "onboarding, change and offboarding, each once: %q", notes)
	assert.True(t, slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "billing/"+event) }))
	assert.Empty(t, v.st.DuplicateExternalReferences)
}
