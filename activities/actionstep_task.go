package activities

// *Actionstep: the matter's first task. Actionstep (actionstep.go) holds the Actionstep client, the token store, the field
// mapping, the configured setup names, the organisation's pacing and the audit log.

import (
	"context"
	"strings"
	"time"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/mapping"
)

// FirstTaskRef names the first task of a location's subscription matter, which the
// mapping (its template's "task") may ask for.
type FirstTaskRef struct {
	MatterID     string           `json:"matterId"`
	MatterTypeID string           `json:"matterTypeId"`
	Location     Location         `json:"location"`
	Subscription SubscriptionData `json:"subscription"`
}

// FirstTask says whether the mapping asks for a first task and, when the matter has
// it, its id.
type FirstTask struct {
	Wanted bool   `json:"wanted"`
	ID     string `json:"id,omitempty"`
}

// TaskMarker ends the description of the first task saasbridge adds to a location's
// matter: FindFirstTask knows it by it, whatever the rendered name.
func TaskMarker(locationID string) string { return "[saasbridge first task " + locationID + "]" }

// FindFirstTask looks for the matter's first task: GET /tasks?action_eq=…, every task
// checked for the marker. Without a task in the mapping it calls nothing.
func (a *Actionstep) FindFirstTask(ctx context.Context, in FirstTaskRef) (FirstTask, error) {
	if _, ok := a.Mapping.Task(in.values()); !ok {
		return FirstTask{}, nil
	}
	marker := TaskMarker(in.Location.LocationID)
	tasks, err := actionstep.Collect(ctx, func(ctx context.Context, q actionstep.Query) (*actionstep.Page[actionstep.Task], error) {
		return a.api().ListTasks(ctx, actionstep.ID(in.MatterID), q)
	}, actionstep.Query{}, func(t actionstep.Task) bool {
		return string(t.Links.Action) == in.MatterID && strings.HasSuffix(t.Description, marker)
	})
	if err != nil || len(tasks) == 0 {
		return FirstTask{Wanted: true}, classify(err)
	}
	return FirstTask{Wanted: true, ID: string(oldest(tasks, func(t actionstep.Task) actionstep.ID { return t.ID }))}, nil
}

// CreateFirstTask adds the mapping's first task to the matter, assigned to the API user
// and due the mapping's days from now: POST /tasks, one attempt (see
// workflows.withActionstepCreate). Call FindFirstTask first, and again after any
// failure that is not a refusal.
func (a *Actionstep) CreateFirstTask(ctx context.Context, in FirstTaskRef) (string, error) {
	t, ok := a.Mapping.Task(in.values())
	if !ok {
		return "", nil
	}
	api := a.api()
	_, assignee, err := a.createNeeds(ctx, api, in.MatterTypeID)
	if err != nil {
		return "", classify(err)
	}
	desc := strings.TrimSpace(t.Description + "\n\n" + TaskMarker(in.Location.LocationID))
	created, err := api.CreateTask(ctx, actionstep.NewTask{
		Name: t.Name, Description: desc, Priority: t.Priority, Due: time.Now().AddDate(0, 0, t.DueInDays),
		Action: actionstep.ID(in.MatterID), Assignee: assignee,
	})
	if err != nil {
		return "", createFailure(err)
	}
	return string(created.ID), nil
}

func (in FirstTaskRef) values() mapping.Values { return in.Subscription.values(in.Location) }

// values are what a mapping renders for a location with this subscription.
func (s SubscriptionData) values(loc Location) mapping.Values {
	return mapping.NewValues(loc.mapping(),
		mapping.Subscription{ID: s.SubscriptionID, CustomerID: s.CustomerID, PlanID: s.PlanID, PlanTitle: s.PlanTitle, Status: s.Status, Paused: s.Paused},
		mapping.Event{ID: s.EventID, Source: s.EventSource, OccurredAt: s.ChangedAt})
}
