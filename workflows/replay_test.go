package workflows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/temporalclient"
	"github.com/saasbridge/saasbridge/workflows"
)

// TestReplay replays every recorded history (testdata/*.json, recorded from a real dev
// server by `make histories`) against the current workflow code. A non-deterministic
// change fails here before it can break running workflows.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories: run make histories")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			replayer := newReplayer(t)
			workflows.Register(replayer)
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// newReplayer decodes histories recorded with the e2e stack's fixture payload keys
// (and, unchanged, those recorded before payloads and failures were encrypted), with
// the converters every worker uses.
func newReplayer(t *testing.T) worker.WorkflowReplayer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "payload-keys.txt"))
	require.NoError(t, err)
	opts, err := temporalclient.ReplayerOptions(config.Payloads{Keys: strings.TrimSpace(string(b))})
	require.NoError(t, err)
	r, err := worker.NewWorkflowReplayerWithOptions(opts)
	require.NoError(t, err)
	return r
}

// TestReplayCatchesNonDeterminism proves the check bites: a workflow that skips the
// first step, registered under the same name, must fail to replay.
func TestReplayCatchesNonDeterminism(t *testing.T) {
	f := filepath.Join("testdata", "onboarding_v1_subscription.json")
	if _, err := os.Stat(f); err != nil {
		t.Skip("fixture missing")
	}
	r, err := os.Open(f)
	require.NoError(t, err)
	defer r.Close()
	hist, err := client.HistoryFromJSON(r, client.HistoryJSONOptions{})
	require.NoError(t, err)

	replayer := newReplayer(t)
	replayer.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.LegacyOnboardingInput) (workflows.LegacyOnboardingResult, error) {
		return workflows.LegacyOnboardingResult{}, nil
	}, workflow.RegisterOptions{Name: workflows.LegacyOnboardingWorkflowType})
	require.Error(t, replayer.ReplayWorkflowHistory(nil, hist))
}
