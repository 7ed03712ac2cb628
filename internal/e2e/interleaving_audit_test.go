package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

// settle waits until every accepted event has a final outcome in the facts.
func (a *audit) settle() {
	known := a.s.facts(a.t)
	require.EventuallyWithT(a.t, func(c *assert.CollectT) {
		pending := a.unsettled(known)
		assert.Empty(c, pending, "events without a final outcome")
	}, time.Duration(4+len(a.locs)/20)*time.Minute, time.Second)
}

// unsettled lists accepted events without a final outcome (none, or deferred).
func (a *audit) unsettled(known *facts.Store) []string {
	var pending []string
	for _, loc := range a.locs {
		got := a.outcomes(known, loc)
		for id, e := range a.accepted {
			if e.loc != loc {
				continue
			}
			if out, ok := got[id]; !ok || out.Outcome == facts.OutcomeDeferred {
				pending = append(pending, id)
			}
		}
	}
	slices.Sort(pending)
	return pending
}

func (a *audit) outcomes(known *facts.Store, loc string) map[string]facts.Event {
	evs, err := known.Events(a.ctx, loc, 10000)
	require.NoError(a.t, err)
	out := make(map[string]facts.Event, len(evs))
	for _, e := range evs {
		out[e.EventID] = e
	}
	return out
}

// truth is what a location's accepted events say its end state must be.
type truth struct {
	uninstalled   bool
	lastUninstall time.Duration // world time of the last uninstall, -1 when none
	newestSub     *plannedEvent // newest change after the last uninstall that sets a subscription
	newestStatus  *plannedEvent // newest such change with a status that pauses or resumes
}

func (a *audit) truthOf(loc string) truth {
	tr := truth{lastUninstall: -1}
	var lifecycle []plannedEvent
	for _, e := range a.plan {
		if e.loc == loc && e.world != "" {
			lifecycle = append(lifecycle, e)
		}
	}
	slices.SortFunc(lifecycle, func(x, y plannedEvent) int { return int(x.at - y.at) })
	for _, e := range lifecycle {
		tr.uninstalled = e.world == "uninstall"
		if tr.uninstalled {
			tr.lastUninstall = e.at
		}
	}
	for _, e := range a.accepted {
		if e.loc != loc || e.at <= tr.lastUninstall || !slices.Contains([]string{"billing", "stripe", "operator-change"}, e.kind) {
			continue
		}
		if tr.newestSub == nil || e.at > tr.newestSub.at {
			tr.newestSub = &e
		}
		if e.status != "past_due" && (tr.newestStatus == nil || e.at > tr.newestStatus.at) {
			tr.newestStatus = &e
		}
	}
	return tr
}

// check audits the end state of every location against its truth:
//   - every accepted event has a final outcome (applied, superseded, after-uninstall,
//     not-installed): none lost, none parked;
//   - an uninstalled location has no token, none was minted after its uninstall, its
//     owner is gone or idle, its matter closed;
//   - an onboarded one has HighLevel's subscription and pause state equal to the
//     newest change by occurredAt, and the same subscription in Actionstep;
//   - one participant, one matter and one data record per provisioned location;
//   - no owner left running with nothing to do, no workflow task failure.
func (a *audit) check() {
	known := a.s.facts(a.t)
	store := a.s.openStore(a.t)
	hl, err := a.s.admin.State(a.ctx)
	require.NoError(a.t, err)
	calls, err := a.s.admin.Calls(a.ctx)
	require.NoError(a.t, err)
	byID := map[string]highlevelsim.Location{}
	for _, l := range hl.Locations {
		byID[l.ID] = l
	}
	v := a.s.actionstep(a.ctx, a.t)
	var lost, parked, duplicates []string
	for _, loc := range a.locs {
		got := a.outcomes(known, loc)
		for id, e := range a.accepted {
			if e.loc != loc {
				continue
			}
			out, ok := got[id]
			switch {
			case !ok || out.Outcome == facts.OutcomeDeferred:
				lost = append(lost, id)
			case out.Outcome == facts.OutcomeParked:
				parked = append(parked, fmt.Sprintf("%s: %s", id, out.Message))
			}
		}
		duplicates = append(duplicates, a.checkActionstep(v, loc)...)
		a.checkLocation(loc, a.truthOf(loc), known, store, byID[loc], calls, got, v)
	}
	a.t.Logf("audit: %d locations, %d events, duplicates %d, lost %d, parked %d %v", len(a.locs), len(a.accepted),
		len(duplicates), len(lost), len(parked), parked)
	assert.Empty(a.t, lost, "accepted events with no final outcome")
	assert.Empty(a.t, parked, "parked events")
	assert.Empty(a.t, duplicates, "Actionstep duplicates")
	assert.Empty(a.t, v.st.DuplicateExternalReferences)
	a.checkNoWorkflowTaskFailures()
}

func (a *audit) checkLocation(loc string, tr truth, known *facts.Store, store *tokens.Store, hl highlevelsim.Location,
	calls highlevelsim.CallReport, got map[string]facts.Event, v actionstepView) {
	t := a.t
	row, ok, err := known.Location(a.ctx, loc)
	require.NoError(t, err)
	require.True(t, ok, "facts of %s", loc)
	_, _, tokErr := store.Get(a.ctx, tokens.KeyHighLevelLocation(loc))
	matters := v.matters[loc]
	if tr.uninstalled {
		assert.Equal(t, facts.PhaseUninstalled, row.Phase, "%s was uninstalled", loc)
		assert.ErrorIs(t, tokErr, tokens.ErrNotFound, "no token for uninstalled %s", loc)
		if uninstalledAt := a.lastUninstallRecorded(got); !uninstalledAt.IsZero() {
			for _, c := range calls.Calls {
				if c.Scope == loc && c.Endpoint == highlevel.EndpointLocationToken && c.Status < 300 && c.Time.After(uninstalledAt) {
					t.Errorf("a token of %s was minted at %v, after its uninstall at %v", loc, c.Time, uninstalledAt)
				}
			}
		}
		for _, m := range matters {
			assert.Equal(t, "Closed", m.Status, "matter of uninstalled %s", loc)
		}
		a.checkOwnerIdle(loc)
		return
	}
	assert.Equal(t, facts.PhaseActive, row.Phase, "%s is onboarded", loc)
	if !hl.SaaS.Paused {
		// HighLevel mints no token for a paused location: one re-installed while its
		// billing paused it has none until it is resumed.
		assert.NoError(t, tokErr, "token of %s", loc)
	}
	if tr.newestSub != nil {
		assert.Equal(t, facts.OutcomeApplied, got[tr.newestSub.eventID()].Outcome, "the newest change of %s applied", loc)
		assert.Equal(t, tr.newestSub.sub, hl.SaaS.SubscriptionID, "HighLevel's subscription of %s is the newest change's", loc)
	}
	if tr.newestStatus != nil {
		want := slices.Contains([]string{"paused", "unpaid", "canceled"}, tr.newestStatus.status)
		assert.Equal(t, want, hl.SaaS.Paused, "%s paused after the newest status %q", loc, tr.newestStatus.status)
	}
	if len(matters) == 1 {
		assert.Equal(t, "Active", matters[0].Status, "matter of %s", loc)
		assert.Equal(t, hl.SaaS.SubscriptionID, v.values[matters[0].ID]["subscription_id"], "Actionstep's subscription of %s", loc)
	}
	a.checkOwnerIdle(loc)
}

// lastUninstallRecorded is when the owner recorded the newest uninstall it applied.
func (a *audit) lastUninstallRecorded(got map[string]facts.Event) time.Time {
	var at time.Time
	for _, e := range got {
		if e.Kind == workflows.EventUninstall && e.Outcome == facts.OutcomeApplied && e.RecordedAt.After(at) {
			at = e.RecordedAt
		}
	}
	return at
}

// checkActionstep: at most one participant and matter per location, linked, with one
// data record; returns the duplicates found.
func (a *audit) checkActionstep(v actionstepView, loc string) []string {
	var dups []string
	if n := len(v.participants[loc]); n > 1 {
		dups = append(dups, fmt.Sprintf("%s: %d participants", loc, n))
	}
	if n := len(v.matters[loc]); n > 1 {
		dups = append(dups, fmt.Sprintf("%s: %d matters", loc, n))
	}
	if len(v.matters[loc]) == 1 {
		records := 0
		for _, r := range v.st.DataRecords {
			if r.ActionID == v.matters[loc][0].ID {
				records++
			}
		}
		if records > 1 {
			dups = append(dups, fmt.Sprintf("%s: %d data records", loc, records))
		}
	}
	return dups
}

// checkOwnerIdle: a location's owner is closed, or running with nothing pending (an
// onboarded location's owner waits for its next event).
func (a *audit) checkOwnerIdle(loc string) {
	desc, err := a.s.temporal.DescribeWorkflow(a.ctx, workflows.LocationWorkflowID(loc), "")
	require.NoError(a.t, err)
	if desc.RawResponse.GetWorkflowExecutionInfo().GetStatus().String() != "Running" {
		return
	}
	assert.Empty(a.t, desc.RawResponse.GetPendingActivities(), "owner of %s has pending activities", loc)
	v, err := a.s.temporal.QueryWorkflow(a.ctx, workflows.LocationWorkflowID(loc), "", workflows.StatusQuery)
	require.NoError(a.t, err)
	var st workflows.LocationState
	require.NoError(a.t, v.Get(&st))
	assert.Equal(a.t, facts.PhaseActive, st.Phase, "a running owner of %s is an onboarded location's", loc)
	assert.Nil(a.t, st.Retrying, "owner of %s retrying", loc)
	assert.Empty(a.t, st.Parked, "owner of %s parked", loc)
	assert.Empty(a.t, st.Deferred, "owner of %s deferred", loc)
}

// workflowTaskFailure is what the SDK logs when a workflow task fails: a panic, or a
// history that does not match the code.
var workflowTaskFailure = regexp.MustCompile(`Workflow panic|TMPRL1100|nondeterministic|Failed to process workflow task`)

func (a *audit) checkNoWorkflowTaskFailures() {
	logs, err := filepath.Glob(filepath.Join(a.s.dir, "worker-*.log"))
	require.NoError(a.t, err)
	for _, path := range logs {
		b, err := os.ReadFile(path)
		require.NoError(a.t, err)
		for _, line := range strings.Split(string(b), "\n") {
			if workflowTaskFailure.MatchString(line) {
				a.t.Errorf("workflow task failure in %s: %.300s", filepath.Base(path), line)
				break
			}
		}
	}
}
