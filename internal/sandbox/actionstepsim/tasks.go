package actionstepsim

// Task statuses and priorities (the tasks OpenAPI file's CreateTask enums).
var (
	taskStatuses   = []string{"Incomplete", "Complete", "Hidden", "Deleted"}
	taskPriorities = []string{"Low", "Normal", "High"}
)

const kTasks = "tasks"

// tasksKind is tasks on a matter: GET, POST, PUT, DELETE. A create needs name,
// status, dueTimestamp and the links action and assignee (CreateTask's required
// members); priority defaults to Normal.
func tasksKind() *kind {
	k := &kind{name: kTasks, fields: []field{
		{name: "name", access: writable},
		{name: "description", access: writable},
		{name: "status", typ: tEnum, enum: taskStatuses, access: writable},
		{name: "priority", typ: tEnum, enum: taskPriorities, access: writable},
		{name: "dueTimestamp", typ: tTimestamp, access: writable},
		{name: "startedTimestamp", typ: tTimestamp, access: writable},
		{name: "completedTimestamp", typ: tTimestamp, access: writable},
		{name: "lastModifiedTimestamp", typ: tTimestamp},
	}, links: []linkDef{
		{name: "action", target: kActions, access: writable},
		{name: "assignee", target: kParticipants, access: writable},
	}}
	k.rows = stored(k.name)
	k.create = func(c *restCall, in *item) (*record, error) {
		r := newRecord(k, 0)
		if err := c.apply(r, in, onCreate); err != nil {
			return nil, err
		}
		if err := checkTask(r, in); err != nil {
			return nil, err
		}
		if r.attrs["priority"] == nil {
			r.attrs["priority"] = "Normal"
		}
		r.attrs["lastModifiedTimestamp"] = c.s.timestamp(c.now)
		r.id = c.org.nextID(k.name)
		c.org.insert(r)
		c.emit("TaskCreated", r)
		return r, nil
	}
	k.update = func(c *restCall, r *record, in *item) error {
		if err := c.apply(r, in, onUpdate); err != nil {
			return err
		}
		r.attrs["lastModifiedTimestamp"] = c.s.timestamp(c.now)
		c.emit("TaskUpdated", r)
		return checkTask(r, in)
	}
	k.remove = removeStored
	return k
}

// checkTask requires what a task cannot be without.
func checkTask(r *record, in *item) error {
	for _, a := range []string{"name", "status", "dueTimestamp"} {
		if r.attrs[a] == nil || r.str(a) == "" {
			return errInvalid(in.pointer+"/"+a, "%s is required", a)
		}
	}
	for _, l := range []string{"action", "assignee"} {
		if r.links[l] == nil {
			return errInvalid(in.pointer+"/links/"+l, "links.%s is required", l)
		}
	}
	return nil
}
