package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/workflows"
)

// actionstepView is the Actionstep organisation's state, indexed by location.
type actionstepView struct {
	st           actionstepsim.OrgState
	participants map[string][]actionstepsim.Participant // by importExternalReference
	matters      map[string][]actionstepsim.Action      // by location: those its participants are on
	values       map[int]map[string]string              // matter → field → value
	notes        map[int][]string                       // matter → note texts, in order
}

func (s *stack) actionstep(ctx context.Context, t testing.TB) actionstepView {
	t.Helper()
	st, err := s.asAdmin.OrgState(ctx, s.orgKey)
	require.NoError(t, err)
	v := actionstepView{st: st, participants: map[string][]actionstepsim.Participant{}, matters: map[string][]actionstepsim.Action{},
		values: map[int]map[string]string{}, notes: map[int][]string{}}
	locOf := map[int]string{} // participant → location
	for _, p := range st.Participants {
		if p.ImportExternalReference != "" {
			v.participants[p.ImportExternalReference] = append(v.participants[p.ImportExternalReference], p)
			locOf[p.ID] = p.ImportExternalReference
		}
	}
	// Matters are the location's by their link to its participant, not by the reference,
	// which Actionstep may not keep (the fileReference readings).
	matterLoc := map[int]string{}
	for _, ap := range st.ActionParticipants {
		if loc, ok := locOf[ap.ParticipantID]; ok {
			matterLoc[ap.ActionID] = loc
		}
	}
	for _, a := range st.Actions {
		if loc, ok := matterLoc[a.ID]; ok {
			v.matters[loc] = append(v.matters[loc], a)
		}
	}
	for _, d := range st.DataValues {
		if v.values[d.ActionID] == nil {
			v.values[d.ActionID] = map[string]string{}
		}
		if d.Value != nil {
			v.values[d.ActionID][d.Field] = *d.Value
		}
	}
	for _, n := range st.FileNotes {
		v.notes[n.ActionID] = append(v.notes[n.ActionID], n.Text)
	}
	return v
}

// oneEach asserts exactly one client participant and one matter for the location,
// linked, with one data record, and returns the matter.
func (v actionstepView) oneEach(t testing.TB, loc string) actionstepsim.Action {
	t.Helper()
	require.Len(t, v.participants[loc], 1, "client participants of %s", loc)
	require.Len(t, v.matters[loc], 1, "matters of %s", loc)
	m := v.matters[loc][0]
	assert.Contains(t, m.PrimaryParticipantIDs, v.participants[loc][0].ID, "the client is on the matter")
	records := 0
	for _, r := range v.st.DataRecords {
		if r.ActionID == m.ID {
			records++
		}
	}
	assert.Equal(t, 1, records, "data records of %s", loc)
	return m
}

// TestOnboardingProvisionsActionstep: 20 onboardings yield 20 client participants and
// 20 matters, with the subscription in each matter's data and a file note.
func TestOnboardingProvisionsActionstep(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	locs := s.addLocations(ctx, t, 20)
	results := s.onboardAll(ctx, t, locs, withSubscription)
	hl, err := s.admin.State(ctx)
	require.NoError(t, err)
	names := map[string]highlevelsim.Location{}
	for _, l := range hl.Locations {
		names[l.ID] = l
	}
	v := s.actionstep(ctx, t)
	for _, r := range results {
		require.NoError(t, r.err)
		m := v.oneEach(t, r.loc)
		p := v.participants[r.loc][0]
		assert.True(t, p.IsCompany)
		assert.Equal(t, names[r.loc].Name, p.CompanyName)
		assert.Equal(t, "Active", m.Status)
		assert.Equal(t, workflows.ActionstepRecord{ParticipantID: fmt.Sprint(p.ID), MatterID: fmt.Sprint(m.ID), RecordID: r.result.State.ActionstepRecord.RecordID}, r.result.State.ActionstepRecord)
		data := v.values[m.ID]
		assert.Equal(t, "sub_"+r.loc, data["subscription_id"])
		assert.Equal(t, "active", data["status"])
		assert.NotEmpty(t, data["last_change"])
		require.Len(t, v.notes[m.ID], 1)
		assert.Contains(t, v.notes[m.ID][0], "Onboarded from HighLevel")
	}
	assert.Empty(t, v.st.DuplicateExternalReferences)

	// The server keeps the agency as the owner's fairness key (its activities inherit it).
	d, err := s.temporal.DescribeWorkflow(ctx, workflows.LocationWorkflowID(locs[0]), "")
	require.NoError(t, err)
	assert.Equal(t, s.companyID, d.RawResponse.GetWorkflowExecutionInfo().GetPriority().GetFairnessKey())
}

// TestActionstepCommitThenDrop: every create is committed and its answer dropped; the
// retried flow still leaves exactly one participant, one matter, one record, one note.
func TestActionstepCommitThenDrop(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	_, err := s.asAdmin.SetFaults(ctx, actionstepsim.Faults{DropAfterCommitRate: 1, Endpoints: []string{
		"POST /rest/participants", "POST /rest/actioncreate", "POST /rest/datacollectionrecords", "POST /rest/filenotes",
	}})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.asAdmin.ClearFaults(context.Background())) }()
	before, err := s.asAdmin.Calls(ctx)
	require.NoError(t, err)

	s.mustOnboard(ctx, t, loc)

	after, err := s.asAdmin.Calls(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, after.Dropped-before.Dropped, "each of the four creates lost its answer once")
	v := s.actionstep(ctx, t)
	m := v.oneEach(t, loc)
	assert.Len(t, v.notes[m.ID], 1)
	assert.Empty(t, v.st.DuplicateExternalReferences)
}

// TestThreeSubscriptionChangesInActionstep: three billing changes leave the final
// state in the matter's data and three notes, in order, after the onboarding's.
func TestThreeSubscriptionChangesInActionstep(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	s.mustOnboard(ctx, t, loc)

	at := time.Now().UTC()
	plan := s.plans(ctx, t, s.companyID)[0].PlanID // a plan the agency has: the owner checks
	for i, status := range []string{"active", "unpaid", "active"} {
		code := s.postBilling(ctx, t, map[string]any{"eventId": fmt.Sprintf("as-%d", i), "locationId": loc,
			"subscriptionId": fmt.Sprintf("sub_as_%d", i), "customerId": "cus_" + loc, "planId": plan,
			"status": status, "occurredAt": at.Add(time.Duration(i) * time.Second).Format(time.RFC3339)})
		require.Equal(t, http.StatusAccepted, code)
	}
	s.waitOwner(ctx, t, loc, lastEvent("billing/as-2"))

	v := s.actionstep(ctx, t)
	m := v.oneEach(t, loc)
	data := v.values[m.ID]
	assert.Equal(t, "sub_as_2", data["subscription_id"])
	assert.Equal(t, "active", data["status"])
	notes := v.notes[m.ID]
	require.Len(t, notes, 4, "the onboarding's note and one per change")
	assert.Contains(t, notes[0], "Onboarded")
	for i, want := range []string{"subscription – → sub_as_0", "status active → paused", "status paused → active"} {
		assert.Contains(t, notes[i+1], want)
		assert.Contains(t, notes[i+1], fmt.Sprintf("billing/as-%d", i))
	}
}

// TestActionstepTokenExpiryRefreshedOnce: Actionstep expires the access token while
// ten onboardings write to it; the token is refreshed once, not once per activity.
func TestActionstepTokenExpiryRefreshedOnce(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	locs := s.addLocations(ctx, t, 10)
	before, err := s.asAdmin.Calls(ctx)
	require.NoError(t, err)

	done := make(chan []outcome, 1)
	go func() { done <- s.onboardAll(ctx, t, locs, nil) }()
	// Mid-run: once the onboardings are writing to Actionstep.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		now, err := s.asAdmin.Calls(ctx)
		if assert.NoError(c, err) {
			assert.GreaterOrEqual(c, now.Total-before.Total, 15)
		}
	}, time.Minute, 20*time.Millisecond)
	expired, err := s.asAdmin.ExpireTokens(ctx, actionstepsim.TokenFilter{OrgKey: s.orgKey})
	require.NoError(t, err)
	require.Positive(t, expired.Expired)

	for _, r := range <-done {
		require.NoError(t, r.err)
	}
	after, err := s.asAdmin.Calls(ctx)
	require.NoError(t, err)
	const token = "POST /api/oauth/token"
	assert.Equal(t, 1, after.Count(token, http.StatusOK)-before.Count(token, http.StatusOK), "one refresh for all activities")
	assert.Zero(t, after.Count(token, http.StatusBadRequest)-before.Count(token, http.StatusBadRequest), "no refresh token reused")
	unauthorized := 0
	for ep := range after.ByEndpoint {
		unauthorized += after.Count(ep, http.StatusUnauthorized) - before.Count(ep, http.StatusUnauthorized)
	}
	assert.Positive(t, unauthorized, "the expiry did bite")
}
