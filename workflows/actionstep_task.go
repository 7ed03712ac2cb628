package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/saasbridge/saasbridge/activities"
)

// firstTaskChange gates the matter's first task (the mapping's "task"): runs that
// started before it provision without that step.
const firstTaskChange = "actionstep-first-task"

// firstTask adds the mapping's first task to a new matter, once: a find→create round
// like every create. The first find also says whether the mapping asks for a task at
// all; when it does not, nothing more is called.
func (s *actionstepSync) firstTask(ctx workflow.Context, loc activities.Location) error {
	ref := activities.FirstTaskRef{MatterID: s.record.MatterID, MatterTypeID: s.setup.MatterTypeID, Location: loc, Subscription: s.subscription}
	find := func() (activities.FirstTask, error) {
		var ft activities.FirstTask
		err := workflow.ExecuteActivity(withActionstep(ctx, "Actionstep: find the matter's first task"), as.FindFirstTask, ref).Get(ctx, &ft)
		return ft, err
	}
	first, err := find()
	if err != nil || !first.Wanted || first.ID != "" {
		s.record.TaskID = first.ID
		return err
	}
	looked := false
	task, err := findOrCreate(ctx, "first task", false,
		func() (activities.Found, error) {
			if !looked { // the find just made
				looked = true
				return activities.Found{}, nil
			}
			ft, err := find()
			return activities.Found{ID: ft.ID}, err
		},
		func() (f activities.Found, err error) {
			err = workflow.ExecuteActivity(withActionstepCreate(ctx, "Actionstep: add the matter's first task"), as.CreateFirstTask, ref).Get(ctx, &f.ID)
			return f, err
		})
	s.record.TaskID = task.ID
	return err
}
