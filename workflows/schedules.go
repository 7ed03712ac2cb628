package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// Schedule ids.
const (
	ReconcileScheduleID = "saasbridge-reconcile"
	UpkeepScheduleID    = "saasbridge-credential-upkeep"
)

// ScheduleIntervals says how often the schedules run.
type ScheduleIntervals struct {
	Reconcile time.Duration
	Upkeep    time.Duration
}

// schedule is one schedule's desired definition.
type schedule struct {
	id     string
	every  time.Duration
	action *client.ScheduleWorkflowAction
	note   string
}

// scheduleOverlap is what happens when a run is due while the last one still runs: one
// run is kept and starts as soon as the last one ends (skipping would drop it without a
// trace); the runs' execution timeout bounds how long one can hold the next back.
const scheduleOverlap = enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE

// runTimeout bounds a scheduled run: four intervals, and at least an hour.
func runTimeout(every time.Duration) time.Duration { return max(4*every, time.Hour) }

func desiredSchedules(iv ScheduleIntervals) []schedule {
	return []schedule{
		{id: ReconcileScheduleID, every: iv.Reconcile, note: "Finds what HighLevel's webhooks missed: onboards installed locations without an onboarding and re-checks subscriptions that drifted.",
			action: &client.ScheduleWorkflowAction{
				ID: "reconcile", Workflow: ReconcileWorkflowType, Args: []any{ReconcileInput{}}, TaskQueue: TaskQueue,
				StaticSummary: "Scheduled reconciliation of every connected agency", WorkflowExecutionTimeout: runTimeout(iv.Reconcile),
			}},
		{id: UpkeepScheduleID, every: iv.Upkeep, note: "Refreshes credentials before their refresh tokens lapse unused and reports those needing reconnection.",
			action: &client.ScheduleWorkflowAction{
				ID: "credential-upkeep", Workflow: UpkeepWorkflowType, Args: []any{UpkeepInput{Horizon: 2 * iv.Upkeep}}, TaskQueue: TaskQueue,
				StaticSummary: "Scheduled credential upkeep", WorkflowExecutionTimeout: runTimeout(iv.Upkeep),
			}},
	}
}

// ApplySchedules creates the schedules, or updates them to the given intervals and
// policies: it is safe to run on every deploy.
func ApplySchedules(ctx context.Context, c client.Client, iv ScheduleIntervals) ([]string, error) {
	sc := c.ScheduleClient()
	var applied []string
	for _, s := range desiredSchedules(iv) {
		if s.every <= 0 {
			return applied, fmt.Errorf("schedule %s: interval must be positive", s.id)
		}
		spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: s.every}}}
		h := sc.GetHandle(ctx, s.id)
		_, err := h.Describe(ctx)
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			if _, err := sc.Create(ctx, client.ScheduleOptions{
				ID: s.id, Spec: spec, Action: s.action, Overlap: scheduleOverlap, Note: s.note,
			}); err != nil {
				return applied, fmt.Errorf("create schedule %s: %w", s.id, err)
			}
			applied = append(applied, s.id+" created")
		case err != nil:
			return applied, fmt.Errorf("describe schedule %s: %w", s.id, err)
		default:
			if err := h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
				sch := in.Description.Schedule
				sch.Spec = &spec
				sch.Action = s.action
				if sch.Policy == nil {
					sch.Policy = &client.SchedulePolicies{}
				}
				sch.Policy.Overlap = scheduleOverlap
				return &client.ScheduleUpdate{Schedule: &sch}, nil
			}}); err != nil {
				return applied, fmt.Errorf("update schedule %s: %w", s.id, err)
			}
			applied = append(applied, s.id+" updated")
		}
	}
	return applied, nil
}
