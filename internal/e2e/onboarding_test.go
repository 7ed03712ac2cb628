package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/saasbridge/saasbridge/activities"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/workflows"
)

// addLocations seeds n installed locations under the stack's agency.
func (s *stack) addLocations(ctx context.Context, t testing.TB, n int) []string {
	t.Helper()
	locs, err := s.admin.AddLocations(ctx, highlevelsim.AddLocationsRequest{CompanyID: s.companyID, Count: n})
	require.NoError(t, err)
	ids := make([]string, len(locs))
	for i, l := range locs {
		ids[i] = l.ID
	}
	return ids
}

type outcome struct {
	loc    string
	result workflows.EventResult
	err    error
}

// sub is the subscription an onboarding left.
func (o outcome) sub() workflows.SubscriptionFacts { return o.result.State.Subscription }

// onboardAll sends every install at once and waits for all of them.
func (s *stack) onboardAll(ctx context.Context, t testing.TB, locs []string, mod func(*workflows.LocationEvent)) []outcome {
	t.Helper()
	out := make([]outcome, len(locs))
	var wg sync.WaitGroup
	for i, loc := range locs {
		wg.Go(func() {
			out[i].loc = loc
			out[i].result, out[i].err = s.onboard(ctx, loc, mod)
			if out[i].err == nil && out[i].result.Outcome.Outcome != "applied" {
				out[i].err = fmt.Errorf("install of %s %s: %s", loc, out[i].result.Outcome.Outcome, out[i].result.Outcome.Message)
			}
		})
	}
	wg.Wait()
	return out
}

const enableSaaS = highlevel.EndpointEnableSaaS

// TestConcurrentOnboardings: 20 locations at once complete, the sandbox sees exactly one
// successful enable-saas per location, and the Web UI metadata tells the story.
func TestConcurrentOnboardings(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	locs := s.addLocations(ctx, t, 20)
	start := time.Now()
	results := s.onboardAll(ctx, t, locs, withSubscription)
	t.Logf("20 concurrent onboardings took %v", time.Since(start).Round(time.Millisecond))

	calls, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	state, err := s.admin.State(ctx)
	require.NoError(t, err)
	enableCount := map[string]int{}
	for _, l := range state.Locations {
		enableCount[l.ID] = l.SaaS.EnableCount
	}
	for _, r := range results {
		require.NoError(t, r.err, "location %s", r.loc)
		assert.Equal(t, "saasV2", r.sub().SaaSMode)
		assert.Equal(t, "sub_"+r.loc, r.sub().SubscriptionID)
		assert.Equal(t, "active", r.sub().Status)
		assert.Equal(t, "active", r.result.State.Phase)
		assert.Equal(t, 1, calls.CountFor(enableSaaS, r.loc, 201), "successful enable-saas calls for %s", r.loc)
		assert.Equal(t, 1, enableCount[r.loc], "sandbox enable count for %s", r.loc)
	}
	s.assertNoTokensInHistories(ctx, t, locs)

	// What the Web UI shows: summary, details, search attributes.
	loc := locs[0]
	desc, err := s.temporal.DescribeWorkflow(ctx, workflows.LocationWorkflowID(loc), "")
	require.NoError(t, err)
	summary, err := desc.GetStaticSummary()
	require.NoError(t, err)
	assert.Equal(t, "Location "+loc, summary)
	details, err := desc.GetStaticDetails()
	require.NoError(t, err)
	assert.Contains(t, details, loc)
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.Status, "the owner stays for the location's next event")

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		resp, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("LocationId = '%s' AND CompanyId = '%s' AND OnboardingStep = '%s' AND LocationPhase = 'active' AND SubscriptionStatus = 'active' AND NeedsAttention IS NULL",
				loc, s.companyID, workflows.StepDone),
		})
		if assert.NoError(c, err) {
			assert.Len(c, resp.Executions, 1)
		}
	}, 20*time.Second, 200*time.Millisecond)

	// The current details (what the UI shows under "Current Details") say where it is.
	v, err := s.temporal.QueryWorkflow(ctx, workflows.LocationWorkflowID(loc), "", "__temporal_workflow_metadata")
	require.NoError(t, err)
	var meta sdkpb.WorkflowMetadata
	require.NoError(t, v.Get(&meta))
	assert.Contains(t, meta.GetCurrentDetails(), "`"+loc+"`** (company `"+s.companyID+"`): active")
	assert.Contains(t, meta.GetCurrentDetails(), "Now: waiting for events")
	queries := map[string]string{}
	for _, q := range meta.GetDefinition().GetQueryDefinitions() {
		queries[q.GetName()] = q.GetDescription()
	}
	assert.NotEmpty(t, queries[workflows.StatusQuery], "the status query is described for the UI")

	// Every activity carries a summary for the UI.
	hist := s.history(ctx, t, workflows.LocationWorkflowID(loc), "")
	var summaries []string
	for _, ev := range hist {
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			var sum string
			require.NoError(t, s.dataConverter.FromPayload(ev.GetUserMetadata().GetSummary(), &sum))
			summaries = append(summaries, sum)
		}
	}
	assert.Equal(t, []string{
		"Facts: load the location", "Adopt the location's earlier workflows",
		"HighLevel: find location in installedLocations", "HighLevel: mint location token",
		"HighLevel: read the location's business profile", "HighLevel: enable SaaS", // the install brings a subscription: no plan to choose
		"HighLevel: update SaaS subscription", "HighLevel: read SaaS subscription", "HighLevel: re-check install",
		// The setup in one activity (the worker's cache); the client is looked for, but not
		// the matter of the client just created nor the record of the matter just created.
		"Actionstep: the matter type, participant type and data collection",
		"Actionstep: find the client", "Actionstep: create the client",
		"Actionstep: create the subscription matter", "Actionstep: create the matter's data record",
		"Actionstep: find the matter's first task", // standard@1 asks for none: nothing more
		"Actionstep: write the subscription data", "Actionstep: add a file note", "Facts: record",
	}, summaries)
}

// TestRejectedLocationParksAlone: HighLevel rejecting one location parks only that
// location's install, with HighLevel's own message, visibly (NeedsAttention, the query,
// the facts), without retrying the 4xx; a re-drive once the cause is fixed applies it.
func TestRejectedLocationParksAlone(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	locs := s.addLocations(ctx, t, 5)
	bad := locs[2]
	const msg = "This location cannot be enabled: the agency's Stripe account is not connected"
	require.NoError(t, s.admin.AddFaultRule(ctx, highlevelsim.Rule{Endpoint: enableSaaS, LocationID: bad, Status: 400, Message: msg, Times: 1}))

	results := s.onboardAll(ctx, t, locs, nil)
	calls, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	for _, r := range results {
		if r.loc != bad {
			assert.NoError(t, r.err, "location %s must be unaffected", r.loc)
			continue
		}
		assert.Equal(t, "parked", r.result.Outcome.Outcome)
		assert.Contains(t, r.result.Outcome.Message, msg)
		require.Len(t, r.result.State.Parked, 1)
		assert.Equal(t, activities.ErrTypeRejected, r.result.State.Parked[0].ErrorType)
		assert.Equal(t, 1, calls.CountFor(enableSaaS, bad, 400), "a 4xx is not retried")
		// What the Web UI shows: where it stopped, and that it needs attention.
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			desc, err := s.temporal.DescribeWorkflow(ctx, workflows.LocationWorkflowID(bad), "")
			if !assert.NoError(c, err) {
				return
			}
			step, _ := desc.TypedSearchAttributes.GetKeyword(workflows.OnboardingStepAttr)
			assert.Equal(c, workflows.StepEnableSaaS, step, "the search attribute shows where it stopped")
			attention, _ := desc.TypedSearchAttributes.GetKeyword(workflows.NeedsAttentionAttr)
			assert.Equal(c, "parked", attention)
		}, 20*time.Second, 200*time.Millisecond)
		known, ok, err := s.facts(t).Location(ctx, bad)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, 1, known.Parked)

		// The cause is fixed (the rule fired once); the operator re-drives it.
		res, err := workflows.ResolveParked(ctx, s.temporal, bad, r.result.State.Parked[0].Event.EventID, false)
		require.NoError(t, err)
		assert.Equal(t, "applied", res.Outcome.Outcome)
		assert.Equal(t, "active", res.State.Phase)
		assert.Empty(t, res.State.Parked)
	}
}

// TestOnboardingSurvivesFaults: with 20% injected 5xx and 429 bursts every onboarding
// still completes, exactly once per location.
func TestOnboardingSurvivesFaults(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	locs := s.addLocations(ctx, t, 20)
	_, err := s.admin.SetFaults(ctx, highlevelsim.Faults{
		Seed: 42, ErrorRate: 0.2, ErrorStatuses: []int{500, 502, 503},
		BurstRate: 0.05, BurstLength: 3, BurstRetryAfter: highlevelsim.Duration(time.Second),
	})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.admin.ClearFaults(context.Background())) }()
	before, err := s.admin.Calls(ctx)
	require.NoError(t, err)

	results := s.onboardAll(ctx, t, locs, nil)
	after, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	state, err := s.admin.State(ctx)
	require.NoError(t, err)
	byID := map[string]highlevelsim.Location{}
	for _, l := range state.Locations {
		byID[l.ID] = l
	}
	for _, r := range results {
		require.NoError(t, r.err, "location %s", r.loc)
		assert.Equal(t, 1, after.CountFor(enableSaaS, r.loc, 201), "one successful enable-saas for %s", r.loc)
		assert.Equal(t, 1, byID[r.loc].SaaS.EnableCount)
	}
	fiveXX := 0
	for _, code := range []int{500, 502, 503} {
		for ep := range after.ByEndpoint {
			fiveXX += after.Count(ep, code) - before.Count(ep, code)
		}
	}
	tooMany := after.TooManyRequests - before.TooManyRequests
	t.Logf("injected faults seen by the workers: %d 5xx, %d 429", fiveXX, tooMany)
	assert.Positive(t, fiveXX, "the fault injection must have bitten")
	assert.Positive(t, tooMany, "429 bursts must have happened")
	s.assertNoTokensInHistories(ctx, t, locs)
}

// TestDuplicateAndRepeatedInstalls: installs arriving together reach one owner and
// onboard once; a later install (a redelivery, a reconciliation) finds the location
// onboarded and repeats no effect, not even a call.
func TestDuplicateAndRepeatedInstalls(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]

	results := s.onboardAll(ctx, t, []string{loc, loc, loc}, nil)
	applied := 0
	for _, r := range results {
		require.NoError(t, r.err)
		if r.result.Outcome.Message != "already onboarded" {
			applied++
			assert.True(t, strings.HasPrefix(r.result.Outcome.Message, "initial subscription: "), r.result.Outcome.Message)
		}
	}
	assert.Equal(t, 1, applied, "one install onboarded")
	again, err := s.onboard(ctx, loc, nil)
	require.NoError(t, err)
	assert.Equal(t, "already onboarded", again.Outcome.Message)

	calls, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, calls.CountFor(enableSaaS, loc, 201), "SaaS was enabled once")
	assert.Zero(t, calls.CountFor(enableSaaS, loc, 400), "and never asked again")
	s.countWorkflows(ctx, t, fmt.Sprintf("WorkflowId = '%s'", workflows.LocationWorkflowID(loc)), 1)
}

// TestStarterOnboardCommand runs the operator command as a process.
func TestStarterOnboardCommand(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]

	cmd := exec.CommandContext(ctx, s.bins["starter"], "onboard", "--location", loc, "--wait")
	cmd.Env = append(s.env(), "LOG_LEVEL=warn")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), ": applied")
	assert.Contains(t, string(out), "location "+loc+": phase=active saasMode=saasV2")

	// A missing setting names the variable and starts nothing.
	cmd = exec.CommandContext(ctx, s.bins["starter"], "onboard", "--location", loc)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err = cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 1, exit.ExitCode())
	for _, v := range []string{"HIGHLEVEL_CLIENT_ID", "HIGHLEVEL_CLIENT_SECRET", "STORE_ENCRYPTION_KEY"} {
		assert.Contains(t, string(out), v)
	}

	// No --location is a usage error.
	cmd = exec.CommandContext(ctx, s.bins["starter"], "onboard")
	cmd.Env = s.env()
	out, err = cmd.CombinedOutput()
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 2, exit.ExitCode(), "%s", out)
}

// history returns a workflow's events.
func (s *stack) history(ctx context.Context, t testing.TB, id, runID string) []*historypb.HistoryEvent {
	t.Helper()
	it := s.temporal.GetWorkflowHistory(ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		out = append(out, ev)
	}
	return out
}

// assertNoTokensInHistories exports the current run of the locations' owners and
// searches it for any issued token: the events as JSON (what `temporal workflow show
// --output json` writes) and every payload decrypted and decoded (payload bytes are
// base64 in the JSON, and encrypted on top of that, so a grep of the export alone
// would miss a leak).
func (s *stack) assertNoTokensInHistories(ctx context.Context, t testing.TB, locs []string) {
	t.Helper()
	issued, err := s.issuedTokens(ctx)
	require.NoError(t, err)
	require.NotZero(t, issued.len())
	for _, loc := range locs {
		exported := s.exportHistory(ctx, t, workflows.LocationWorkflowID(loc))
		require.True(t, strings.Contains(exported, `"locationId":"`+loc+`"`), "the export holds the decoded payloads")
		if issued.foundIn(exported) {
			t.Fatalf("history of %s contains an issued token", workflows.LocationWorkflowID(loc))
		}
	}
}

// exportHistory is a workflow's history as JSON followed by the text of every payload
// in it, decrypted.
func (s *stack) exportHistory(ctx context.Context, t testing.TB, workflowID string) string {
	t.Helper()
	codec := s.payloadCodec(t)
	var b strings.Builder
	for _, ev := range s.history(ctx, t, workflowID, "") {
		js, err := protojson.Marshal(ev)
		require.NoError(t, err)
		b.Write(js)
		var payloads []*commonpb.Payload
		collectPayloads(ev.ProtoReflect(), &payloads)
		decoded, err := codec.Decode(payloads)
		require.NoError(t, err)
		for _, p := range decoded {
			b.WriteByte('\n')
			b.Write(p.GetData())
		}
	}
	return b.String()
}

// collectPayloads finds every Payload message anywhere inside m.
func collectPayloads(m protoreflect.Message, out *[]*commonpb.Payload) {
	if p, ok := m.Interface().(*commonpb.Payload); ok {
		*out = append(*out, p)
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					collectPayloads(mv.Message(), out)
					return true
				})
			}
		case fd.IsList():
			if fd.Kind() == protoreflect.MessageKind {
				for i := range v.List().Len() {
					collectPayloads(v.List().Get(i).Message(), out)
				}
			}
		case fd.Kind() == protoreflect.MessageKind:
			collectPayloads(v.Message(), out)
		}
		return true
	})
}
