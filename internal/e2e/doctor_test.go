package e2e

import (
	"context"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/workflows"
)

// newNamespace registers a namespace on the stack's server that has none of the custom
// search attributes, and returns its name.
func (s *stack) newNamespace(ctx context.Context, t testing.TB, prefix string) string {
	t.Helper()
	ns := prefix + "-" + randHex(3)
	_, err := s.temporal.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	require.NoError(t, err)
	return ns
}

// program runs one of the stack's programs with extra environment (later entries win)
// and returns its output and error, whatever they are.
func (s *stack) program(ctx context.Context, name string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.bins[name], args...)
	cmd.Env = append(s.env(), append([]string{"LOG_LEVEL=warn", "STARTER_PUBLIC_URL=" + s.starterURL, "WORKER_HTTP_ADDR=127.0.0.1:0",
		"STARTER_OPERATOR_ADDR=" + strings.TrimPrefix(s.operatorURL, "http://")}, env...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// fixCommands runs the temporal commands a doctor output prints as fixes.
func (s *stack) fixCommands(ctx context.Context, t testing.TB, out string) {
	t.Helper()
	cmds := regexp.MustCompile(`(?m)^    fix: (temporal operator search-attribute create .*)$`).FindAllStringSubmatch(out, -1)
	require.NotEmpty(t, cmds, out)
	for _, m := range cmds {
		args := strings.Fields(m[1])[1:]
		b, err := exec.CommandContext(ctx, s.cli, args...).CombinedOutput()
		require.NoError(t, err, "%s: %s", m[1], b)
	}
}

// TestProgramsRefuseANamespaceWithoutSearchAttributes: the worker and the starter's
// commands stop at start-up on a namespace that lacks the search attributes, naming
// them and the command that registers them; once it is run, the worker starts.
func TestProgramsRefuseANamespaceWithoutSearchAttributes(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := s.newNamespace(ctx, t, "bare")
	env := []string{"TEMPORAL_NAMESPACE=" + ns}
	names := slices.Sorted(maps.Keys(workflows.SearchAttributes()))
	var lacks []string
	for _, name := range names {
		lacks = append(lacks, name+" (Keyword)")
	}
	want := "namespace " + ns + " lacks " + strings.Join(lacks, ", ")
	var commands []string
	for _, name := range names {
		commands = append(commands, "temporal operator search-attribute create --address "+s.frontendHostPort()+" --namespace "+ns+
			" --name "+name+" --type Keyword")
	}
	for _, args := range [][]string{{"worker"}, {"starter", "onboard", "--location", "nowhere"}, {"starter", "serve"}, {"starter", "schedules", "apply"}} {
		out, err := s.program(ctx, args[0], append(env, "STARTER_LISTEN_ADDR=127.0.0.1:0"), args[1:]...)
		require.Error(t, err, "%v started on a bare namespace: %s", args, out)
		assert.Contains(t, out, want, args)
		assert.Contains(t, out, "register them with: "+strings.Join(commands, " && "), args)
	}
	for _, command := range commands {
		b, err := exec.CommandContext(ctx, s.cli, strings.Fields(command)[1:]...).CombinedOutput()
		require.NoError(t, err, "%s", b)
	}
	w, err := startProc(s.dir, "worker-"+ns, s.bins["worker"], append(s.env(), append(env, "WORKER_HTTP_ADDR=127.0.0.1:0")...))
	require.NoError(t, err)
	defer w.stop(10 * time.Second)
	_, err = w.waitLog(ctx, regexp.MustCompile(`worker started`))
	require.NoError(t, err)
}

// doctorCheck finds one item of a doctor output.
func doctorLine(t testing.TB, out, item string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^([✓✗]) ` + regexp.QuoteMeta(item) + `: .*$`).FindString(out)
	require.NotEmpty(t, m, "no %q item in:\n%s", item, out)
	return m
}

func assertItems(t testing.TB, out string, failing ...string) {
	t.Helper()
	for _, item := range []string{"Temporal reachable", "search attributes", "schedules", "HighLevel agency", "Actionstep organisation", "webhook keys", "codec server"} {
		line := doctorLine(t, out, item)
		want := "✓"
		for _, f := range failing {
			if f == item {
				want = "✗"
			}
		}
		assert.True(t, strings.HasPrefix(line, want), "%s: want %s, got %s\n%s", item, want, line, out)
	}
}

// TestDoctor runs `starter doctor` against a healthy stack (every item passes, exit 0)
// and against each broken piece (that item fails with its fix, exit 1). It works in a
// namespace of its own, which starts without search attributes or schedules, and fixes
// them with what doctor prints.
func TestDoctor(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := s.newNamespace(ctx, t, "doctor")
	env := []string{"TEMPORAL_NAMESPACE=" + ns, "RECONCILE_INTERVAL=48h", "UPKEEP_INTERVAL=48h"}
	doctor := func(extra ...string) (string, error) {
		return s.program(ctx, "starter", append(append([]string{}, env...), extra...), "doctor")
	}

	out, err := doctor()
	require.Error(t, err)
	assertItems(t, out, "search attributes", "schedules")
	t.Log("fresh namespace:\n" + out)
	assert.Contains(t, out, "    fix: temporal operator search-attribute create --address "+s.frontendHostPort()+" --namespace "+ns)
	assert.Contains(t, out, "    fix: starter schedules apply")
	s.fixCommands(ctx, t, out)
	out, err = doctor()
	require.Error(t, err)
	assertItems(t, out, "schedules")
	_, err = s.program(ctx, "starter", env, "schedules", "apply")
	require.NoError(t, err)
	defer s.deleteSchedules(t, ns)

	out, err = doctor()
	require.NoError(t, err, out)
	assertItems(t, out)
	assert.Contains(t, out, "all 7 checks passed")
	t.Log("healthy stack:\n" + out)

	toggle := func(how string) {
		b, err := exec.CommandContext(ctx, s.cli, "schedule", "toggle", "--address", s.frontendHostPort(), "--namespace", ns,
			"--schedule-id", workflows.UpkeepScheduleID, how, "--reason", "doctor e2e").CombinedOutput()
		require.NoError(t, err, "%s", b)
	}
	toggle("--pause")
	out, err = doctor()
	require.Error(t, err)
	assertItems(t, out, "schedules")
	assert.Contains(t, out, workflows.UpkeepScheduleID+" is paused")
	assert.Contains(t, out, "fix: unpause it: temporal schedule toggle --unpause")
	toggle("--unpause")

	extraField, err := mapping.Parse([]byte(`{"participant":{"companyName":"{{location.name}}"},"data":{"plan":"{{subscription.planId}}","seats":"{{subscription.status}}"}}`))
	require.NoError(t, err)
	mappingJSON, err := extraField.MarshalJSON()
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		env     []string
		failing []string
		says    string
	}{
		{"Temporal down", []string{"TEMPORAL_ADDRESS=127.0.0.1:" + closedPort(t)}, []string{"Temporal reachable", "search attributes", "schedules"}, "fix: start Temporal at 127.0.0.1:"},
		{"agency not connected", []string{"HIGHLEVEL_COMPANY_ID=AAAAAAAAAAAAAAAAAAAA"}, []string{"HighLevel agency"}, "fix: connect the agency at " + s.operatorURL + "/oauth/highlevel/start"},
		{"agency lacks a scope", []string{"HIGHLEVEL_SCOPES=oauth.readonly contacts.readonly"}, []string{"HighLevel agency"}, "was not granted contacts.readonly"},
		// A refused client secret neither rotates nor kills the refresh token.
		{"agency refresh refused", []string{"HIGHLEVEL_CLIENT_SECRET=not-the-secret"}, []string{"HighLevel agency"}, "refresh failed: "},
		{"Actionstep not connected", []string{"ACTIONSTEP_ORG_KEY=nosuchorg"}, []string{"Actionstep organisation"}, "connect at " + s.operatorURL + "/oauth/actionstep/start"},
		{"Actionstep lacks a mapped field", []string{"ACTIONSTEP_MAPPING=" + string(mappingJSON)}, []string{"Actionstep organisation"}, `no field "seats" in data collection "saas_subscription"`},
		{"no billing secret", []string{"BILLING_WEBHOOK_SECRETS="}, []string{"webhook keys"}, "fix: set BILLING_WEBHOOK_SECRETS"},
		{"codec unreachable", []string{"STARTER_OPERATOR_ADDR=127.0.0.1:" + closedPort(t)}, []string{"codec server"}, "fix: run `starter serve` with its operator listener at STARTER_OPERATOR_ADDR"},
		{"codec with other keys", []string{"PAYLOAD_ENCRYPTION_KEYS=other:" + strings.Repeat("A", 43) + "="}, []string{"codec server"}, "with the same PAYLOAD_ENCRYPTION_KEYS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := doctor(tc.env...)
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, out)
			assert.Equal(t, 1, exit.ExitCode())
			assertItems(t, out, tc.failing...)
			assert.Contains(t, out, tc.says)
			t.Log("\n" + out)
		})
	}
}

// deleteSchedules removes the schedules a test applied in namespace ns.
func (s *stack) deleteSchedules(t testing.TB, ns string) {
	for _, id := range []string{workflows.ReconcileScheduleID, workflows.UpkeepScheduleID} {
		b, err := exec.Command(s.cli, "schedule", "delete", "--address", s.frontendHostPort(), "--namespace", ns, "--schedule-id", id).CombinedOutput()
		assert.NoError(t, err, "%s", b)
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	p, err := freePort()
	require.NoError(t, err)
	return p
}
