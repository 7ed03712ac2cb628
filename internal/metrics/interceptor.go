package metrics

import (
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// WorkerInterceptor returns a worker interceptor (worker.Options.Interceptors) that counts
// every workflow run ending on this worker in saasbridge_workflow_outcomes_total, labelled
// with the workflow type and completed, failed, continued_as_new or canceled. It classifies
// the workflow function's result the way the SDK does when it closes the run.
//
// Runs are counted only when not replaying, so re-executing a history (cache eviction,
// queries, replay tests) counts nothing. A run that times out is closed by the server
// without the workflow function returning, so no worker-side code can see it: use the
// server's or the SDK's metrics for timeouts. A workflow task that panics is a task failure,
// not an outcome, and is not counted.
func (m *Metrics) WorkerInterceptor() interceptor.WorkerInterceptor {
	return &workerInterceptor{m: m}
}

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	m *Metrics
}

func (w *workerInterceptor) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &workflowInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, m: w.m}
}

type workflowInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	m *Metrics
}

func (w *workflowInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	// No defer: a panic (including the SDK's own unwinding of an evicted workflow) must pass
	// through uncounted.
	res, err := w.Next.ExecuteWorkflow(ctx, in)
	if w.m != nil && !workflow.IsReplaying(ctx) {
		w.m.workflowOutcomes.WithLabelValues(workflow.GetInfo(ctx).WorkflowType.Name, workflowOutcome(err)).Inc()
	}
	return res, err
}

// workflowOutcome mirrors the SDK's choice of close command for a workflow's returned error.
func workflowOutcome(err error) string {
	switch {
	case err == nil:
		return WorkflowCompleted
	case temporal.IsCanceledError(err):
		return WorkflowCanceled
	case workflow.IsContinueAsNewError(err):
		return WorkflowContinuedAsNew
	default:
		return WorkflowFailed
	}
}
