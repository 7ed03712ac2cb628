package actionstep

import (
	"context"
	"time"
)

// Task endpoint templates (the tasks OpenAPI file: GET and POST /tasks).
const (
	EndpointListTasks  = "GET /tasks"
	EndpointCreateTask = "POST /tasks"
)

const resTasks = "tasks"

// Task statuses and priorities.
const (
	TaskIncomplete = "Incomplete"
	TaskComplete   = "Complete"
)

// Task is a task on a matter.
type Task struct {
	ID           ID     `json:"id"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Status       string `json:"status"`
	Priority     string `json:"priority"`
	DueTimestamp string `json:"dueTimestamp"`
	Links        struct {
		Action   ID `json:"action"`
		Assignee ID `json:"assignee"`
	} `json:"links"`
}

// NewTask is the body of a task create. Name, Due, Action and Assignee are required.
type NewTask struct {
	Name        string
	Description string
	Priority    string // Low, Normal (the API's default) or High
	Due         time.Time
	Action      ID
	Assignee    ID // a participant that is an Actionstep user
}

type taskBody struct {
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Status       string        `json:"status"`
	Priority     string        `json:"priority,omitempty"`
	DueTimestamp string        `json:"dueTimestamp"`
	Links        map[string]ID `json:"links"`
}

// CreateTask adds a task to a matter. POST is not idempotent: a task whose create timed
// out may exist; list the matter's tasks before creating it again.
func (c *Client) CreateTask(ctx context.Context, t NewTask) (*Task, error) {
	body := taskBody{Name: t.Name, Description: t.Description, Status: TaskIncomplete, Priority: t.Priority,
		DueTimestamp: t.Due.Format(time.RFC3339), Links: map[string]ID{"action": t.Action, "assignee": t.Assignee}}
	return create[Task](ctx, c, EndpointCreateTask, resTasks, body)
}

// ListTasks queries the tasks of one matter; q adds filters and sorting.
func (c *Client) ListTasks(ctx context.Context, action ID, q Query) (*Page[Task], error) {
	if action == "" {
		// Without the matter the query would list every task of the organisation.
		return nil, endpointError(EndpointListTasks, errInvalidID)
	}
	return getPage[Task](ctx, c, EndpointListTasks, resTasks, q.with(Eq("action", string(action))))
}
