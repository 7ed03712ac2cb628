package metrics

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"
)

func succeeds(workflow.Context) error { return nil }

func fails(workflow.Context) error {
	return temporal.NewNonRetryableApplicationError("no", "Boom", nil)
}

func continues(ctx workflow.Context) error {
	return workflow.NewContinueAsNewError(ctx, "Succeeds")
}

func waitsForCancel(ctx workflow.Context) error {
	return workflow.Sleep(ctx, 24*time.Hour) // the canceled error of the timer
}

// run executes one workflow in the SDK test environment with m's interceptor (the test
// environment honours worker.Options.Interceptors; IsReplaying is always false there).
func run(t *testing.T, m *Metrics, name string, fn any, setup func(*testsuite.TestWorkflowEnvironment)) error {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{m.WorkerInterceptor()}})
	env.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name})
	if setup != nil {
		setup(env)
	}
	env.ExecuteWorkflow(name)
	if !env.IsWorkflowCompleted() {
		t.Fatalf("%s did not complete", name)
	}
	return env.GetWorkflowError()
}

func outcome(m *Metrics, wf, outcome string) float64 {
	return testutil.ToFloat64(m.workflowOutcomes.WithLabelValues(wf, outcome))
}

func TestInterceptorCountsOutcomesOnce(t *testing.T) {
	m := New()

	if err := run(t, m, "Succeeds", succeeds, nil); err != nil {
		t.Fatalf("Succeeds: %v", err)
	}
	if err := run(t, m, "Fails", fails, nil); err == nil {
		t.Fatal("Fails returned no error")
	}
	if err := run(t, m, "Continues", continues, nil); !workflow.IsContinueAsNewError(errors.Unwrap(err)) && !workflow.IsContinueAsNewError(err) {
		t.Fatalf("Continues: %v", err)
	}
	err := run(t, m, "WaitsForCancel", waitsForCancel, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	})
	if !temporal.IsCanceledError(err) {
		t.Fatalf("WaitsForCancel: %v", err)
	}

	for _, tt := range []struct {
		wf, outcome string
	}{
		{"Succeeds", WorkflowCompleted},
		{"Fails", WorkflowFailed},
		{"Continues", WorkflowContinuedAsNew},
		{"WaitsForCancel", WorkflowCanceled},
	} {
		if got := outcome(m, tt.wf, tt.outcome); got != 1 {
			t.Errorf("%s %s = %v, want 1", tt.wf, tt.outcome, got)
		}
	}
	if n := testutil.CollectAndCount(m.workflowOutcomes); n != 4 {
		t.Errorf("outcome series = %d, want 4", n)
	}
	eventually(t, m, `saasbridge_workflow_outcomes_total{outcome="completed",workflow="Succeeds"} 1`)
}

func TestWorkflowOutcome(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{nil, WorkflowCompleted},
		{errors.New("x"), WorkflowFailed},
		{temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_START_TO_CLOSE, nil), WorkflowFailed},
		{temporal.NewCanceledError(), WorkflowCanceled},
		{workflow.ErrCanceled, WorkflowCanceled},
		{&workflow.ContinueAsNewError{}, WorkflowContinuedAsNew},
	} {
		if got := workflowOutcome(tt.err); got != tt.want {
			t.Errorf("workflowOutcome(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestInterceptorSkipsReplay replays a finished history: the workflow runs again, but
// nothing is counted.
func TestInterceptorSkipsReplay(t *testing.T) {
	m := New()
	var ran atomic.Int32
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		Interceptors: []interceptor.WorkerInterceptor{m.WorkerInterceptor()},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.RegisterWorkflowWithOptions(func(workflow.Context) error {
		ran.Add(1)
		return nil
	}, workflow.RegisterOptions{Name: "Succeeds"})
	if err := r.ReplayWorkflowHistory(nil, completedHistory("Succeeds")); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 1 {
		t.Fatalf("workflow ran %d times during replay", ran.Load())
	}
	if n := testutil.CollectAndCount(m.workflowOutcomes); n != 0 {
		t.Errorf("replay counted %d outcome series", n)
	}
}

// completedHistory is the shortest history of a workflow that completed in its first task.
func completedHistory(wfType string) *historypb.History {
	ev := func(id int64, t enumspb.EventType) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventId: id, EventType: t}
	}
	started := ev(1, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
	started.Attributes = &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{
		WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
			WorkflowType:        &commonpb.WorkflowType{Name: wfType},
			TaskQueue:           &taskqueuepb.TaskQueue{Name: "q"},
			WorkflowTaskTimeout: durationpb.New(10 * time.Second),
			Attempt:             1,
		},
	}
	scheduled := ev(2, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
	scheduled.Attributes = &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{
		WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{
			TaskQueue: &taskqueuepb.TaskQueue{Name: "q"}, StartToCloseTimeout: durationpb.New(10 * time.Second), Attempt: 1,
		},
	}
	taskStarted := ev(3, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED)
	taskStarted.Attributes = &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{
		WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{ScheduledEventId: 2},
	}
	taskCompleted := ev(4, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
	taskCompleted.Attributes = &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{
		WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{ScheduledEventId: 2, StartedEventId: 3},
	}
	done := ev(5, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
	done.Attributes = &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{
		WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{WorkflowTaskCompletedEventId: 4},
	}
	return &historypb.History{Events: []*historypb.HistoryEvent{started, scheduled, taskStarted, taskCompleted, done}}
}
