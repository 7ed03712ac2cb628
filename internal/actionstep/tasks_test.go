package actionstep_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
)

func TestSandboxTasks(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, actionstepsim.Options{})
	ctx := t.Context()
	c, _ := e.login("all")
	p := e.provision(c, "1")
	due := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	task, err := c.CreateTask(ctx, actionstep.NewTask{Name: "Welcome call", Description: "Confirm the engagement", Priority: "High",
		Due: due, Action: p.action, Assignee: e.userContact()})
	require.NoError(t, err)
	assert.Equal(t, "Welcome call", task.Name)
	assert.Equal(t, actionstep.TaskIncomplete, task.Status)
	assert.Equal(t, "High", task.Priority)
	assert.Equal(t, p.action, task.Links.Action)
	assert.Equal(t, e.userContact(), task.Links.Assignee)
	got, err := time.Parse(time.RFC3339, task.DueTimestamp)
	require.NoError(t, err)
	assert.True(t, got.Equal(due), "the same instant, in the organisation's zone: %s", task.DueTimestamp)

	other := e.provision(c, "2")
	_, err = c.CreateTask(ctx, actionstep.NewTask{Name: "Another", Due: due, Action: other.action, Assignee: e.userContact()})
	require.NoError(t, err)
	page, err := c.ListTasks(ctx, p.action, actionstep.Query{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "this matter's only")
	assert.Equal(t, task.ID, page.Items[0].ID)

	_, err = c.CreateTask(ctx, actionstep.NewTask{Name: "No assignee", Due: due, Action: p.action})
	var apiErr *actionstep.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	_, err = c.ListTasks(ctx, "", actionstep.Query{})
	require.Error(t, err, "every task of the organisation is never listed by accident")
}
