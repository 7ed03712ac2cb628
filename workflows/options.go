package workflows

// The activity options of every step: which task queue an activity runs on, how long
// one attempt and all of them may take, and how it is retried.

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// apiAttemptTimeout bounds one attempt of an API call: one HTTP request (the client's
// own timeout is 20 s). All attempts together get the step budget (SetStepBudget),
// which rides out an outage or a long 429 storm without parking a workflow forever.
const apiAttemptTimeout = 45 * time.Second

// defaultStepBudget is the step budget unless the worker sets another (STEP_BUDGET).
const defaultStepBudget = 30 * time.Minute

// apiRetry is the retry policy of HighLevel and Actionstep calls. It backs off 5xx and
// transport failures. 429s, and calls held back by the pacing, override the interval
// with NextRetryDelay; 4xx rejections are non-retryable at source. Attempts are not
// capped: under a long bulk install a call may be held back many times, and the total
// budget (ScheduleToCloseTimeout: the step budget, see SetStepBudget) is what bounds it.
var apiRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
}

// withAPICall sets the options of an API call on queue: one request per attempt,
// retried by retry within the step budget; summary is what the Web UI shows for it.
func withAPICall(ctx workflow.Context, queue string, retry *temporal.RetryPolicy, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              queue,
		StartToCloseTimeout:    apiAttemptTimeout,
		ScheduleToCloseTimeout: budgetOf(ctx),
		RetryPolicy:            retry,
		Summary:                summary,
	})
}

// withHighLevel sets the options for one HighLevel agency call.
func withHighLevel(ctx workflow.Context, summary string) workflow.Context {
	return withAPICall(ctx, HighLevelAgencyTaskQueue, apiRetry, summary)
}

// withTokenRefresh sets options for a credential's refresh at its provider's token
// endpoint (a location token's, or upkeep's of any credential). A refresh spends no
// agency's budget, so it runs on the main task queue, retried as an API call.
func withTokenRefresh(ctx workflow.Context, summary string) workflow.Context {
	return withAPICall(ctx, TaskQueue, apiRetry, summary)
}

// withActionstep sets options for an Actionstep call other than a create: retried as
// any API call.
func withActionstep(ctx workflow.Context, summary string) workflow.Context {
	return withAPICall(ctx, ActionstepTaskQueue, apiRetry, summary)
}

// withActionstepCreate sets options for a create: one attempt only. Temporal must not
// retry a POST on its own (after a worker crash, a timeout or a lost answer the create
// may have been applied); the workflow looks the record up and creates again only if
// it is absent.
func withActionstepCreate(ctx workflow.Context, summary string) workflow.Context {
	return withAPICall(ctx, ActionstepTaskQueue, &temporal.RetryPolicy{MaximumAttempts: 1}, summary)
}

// withStore sets options for token-store activities: local I/O, quick to retry.
func withStore(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              TaskQueue,
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
		Summary:                summary,
	})
}

// withOrchestration sets options for activities that call Temporal itself.
func withOrchestration(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              TaskQueue,
		StartToCloseTimeout:    2 * time.Minute,
		ScheduleToCloseTimeout: 15 * time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		Summary:                summary,
	})
}

// withFanOut sets options for an activity that works through a batch of locations,
// heartbeating as it goes (a dead worker is noticed within the heartbeat timeout).
func withFanOut(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           TaskQueue,
		StartToCloseTimeout: 2 * time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		Summary:             summary,
	})
}

// stepBudget is how long one step retries before the owner takes the event back and
// retries it whole, later (SetStepBudget).
var stepBudget = defaultStepBudget

// SetStepBudget sets how long each step of a location's owner retries before the
// owner backs off and retries the whole event (the worker's STEP_BUDGET). Owners read
// it once per run, as a side effect, so replay is unaffected by a later change.
func SetStepBudget(d time.Duration) {
	if d > 0 {
		stepBudget = d
	}
}

type budgetKey struct{}

// withStepBudget records the step budget in the run's history and in ctx, where the
// activity options of the owner's steps read it.
func withStepBudget(ctx workflow.Context) workflow.Context {
	var d time.Duration
	if err := workflow.SideEffect(ctx, func(workflow.Context) any { return stepBudget }).Get(&d); err != nil || d <= 0 {
		d = defaultStepBudget
	}
	return workflow.WithValue(ctx, budgetKey{}, d)
}

// budgetOf is the step budget in ctx; the first releases' workflows have none and use
// the default.
func budgetOf(ctx workflow.Context) time.Duration {
	if d, ok := ctx.Value(budgetKey{}).(time.Duration); ok && d > 0 {
		return d
	}
	return defaultStepBudget
}
