package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
)

// hl refers to HighLevel activity methods; it is never dereferenced (the worker
// registers the real value).
var hl *activities.HighLevel

// Activity timeouts and retries for HighLevel agency calls. One attempt is one HTTP
// request (the client's own timeout is 20 s); the total budget rides out an outage or a
// long 429 storm without parking a workflow forever.
const (
	highLevelAttemptTimeout = 45 * time.Second
	highLevelTotalBudget    = 30 * time.Minute
)

// highLevelRetry backs off 5xx and transport failures. 429s, and calls held back while
// the burst window is nearly spent, override the interval with NextRetryDelay; 4xx
// rejections are non-retryable at source. Attempts are not capped: under a long bulk
// install a call may be held back many times, and the total budget
// (ScheduleToCloseTimeout: the step budget, see SetStepBudget) is what bounds it.
var highLevelRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
}

// withHighLevel sets the options for one HighLevel agency call; summary is what the
// Web UI shows for the activity.
func withHighLevel(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              HighLevelAgencyTaskQueue,
		StartToCloseTimeout:    highLevelAttemptTimeout,
		ScheduleToCloseTimeout: budgetOf(ctx),
		RetryPolicy:            highLevelRetry,
		Summary:                summary,
	})
}

// withLocalCall sets options for HighLevel calls that do not spend the agency's
// budget (a location token's own refresh), so they run on the main task queue.
func withLocalCall(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              TaskQueue,
		StartToCloseTimeout:    highLevelAttemptTimeout,
		ScheduleToCloseTimeout: budgetOf(ctx),
		RetryPolicy:            highLevelRetry,
		Summary:                summary,
	})
}
