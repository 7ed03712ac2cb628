package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// TaskSpec is the first task of a new subscription matter: its name and description
// (templates), how many days after the matter opens it is due, and its priority.
//
//	"task": {"name": "Welcome call with {{location.name}}", "description": "…", "dueInDays": 2, "priority": "High"}
type TaskSpec struct {
	name, description Template
	dueInDays         int
	priority          string
}

// Task is a TaskSpec rendered for one location.
type Task struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	DueInDays   int    `json:"dueInDays"`
	Priority    string `json:"priority,omitempty"`
}

// Actionstep's task priorities.
var taskPriorities = []string{"Low", "Normal", "High"}

const maxDueInDays = 365

// defaultDueInDays is when a task is due when the mapping does not say.
const defaultDueInDays = 1

// Task renders the first task; ok is false when the mapping has none.
func (m Mapping) Task(v Values) (Task, bool) {
	if m.task == nil {
		return Task{}, false
	}
	t := Task{Name: strings.TrimSpace(m.task.name.Render(v)), DueInDays: m.task.dueInDays, Priority: m.task.priority}
	if m.task.description.src != "" {
		t.Description = strings.TrimSpace(m.task.description.Render(v))
	}
	return t, true
}

// TaskSpec is the mapping's first task as written; ok is false when it has none.
func (m Mapping) TaskSpec() (spec TaskSpec, ok bool) {
	if m.task == nil {
		return TaskSpec{}, false
	}
	return *m.task, true
}

// Name is the task's name template as written.
func (t TaskSpec) Name() string { return t.name.String() }

// DueInDays is when the task is due, in days after the matter opens.
func (t TaskSpec) DueInDays() int { return t.dueInDays }

// MarshalJSON writes the task in the form the mapping reads.
func (t TaskSpec) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
		DueInDays   int    `json:"dueInDays"`
		Priority    string `json:"priority,omitempty"`
	}{t.name.String(), t.description.String(), t.dueInDays, t.priority})
}

// parseTask reads the "task" section, reporting every problem.
func parseTask(raw []byte) (*TaskSpec, []Problem) {
	mems, ok := members(raw)
	if !ok {
		return nil, []Problem{{"task", `must be a JSON object with "name" and optionally "description", "dueInDays" and "priority"`}}
	}
	t := &TaskSpec{dueInDays: defaultDueInDays}
	var probs []Problem
	seen := map[string]bool{}
	for _, mem := range mems {
		path := keyPath("task", mem.key)
		if seen[mem.key] {
			probs = append(probs, Problem{path, "duplicate key"})
			continue
		}
		seen[mem.key] = true
		probs = append(probs, t.set(path, mem)...)
	}
	if !seen["name"] {
		probs = append(probs, Problem{"task.name", "required"})
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return t, nil
}

// set reads one member of the task.
func (t *TaskSpec) set(path string, mem member) []Problem {
	switch mem.key {
	case "name", "description":
		s, ok := jsonString(mem.raw)
		if !ok {
			return []Problem{{path, "must be a JSON string (a template)"}}
		}
		tmpl, msgs := parseTemplate(s)
		if len(msgs) > 0 {
			return problemsAt(path, msgs)
		}
		if mem.key == "name" {
			t.name = tmpl
		} else {
			t.description = tmpl
		}
	case "dueInDays":
		var n int
		if json.Unmarshal(mem.raw, &n) != nil || n < 0 || n > maxDueInDays {
			return []Problem{{path, fmt.Sprintf("must be a whole number of days from 0 to %d", maxDueInDays)}}
		}
		t.dueInDays = n
	case "priority":
		s, ok := jsonString(mem.raw)
		if !ok || !slices.Contains(taskPriorities, s) {
			return []Problem{{path, "must be one of " + strings.Join(taskPriorities, ", ")}}
		}
		t.priority = s
	default:
		return []Problem{{path, `unknown key (a task has "name", "description", "dueInDays" and "priority")`}}
	}
	return nil
}

// jsonString decodes raw when it is a JSON string.
func jsonString(raw []byte) (string, bool) {
	var s string
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func problemsAt(path string, msgs []string) []Problem {
	out := make([]Problem, len(msgs))
	for i, m := range msgs {
		out[i] = Problem{path, m}
	}
	return out
}
