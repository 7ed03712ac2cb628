package actionstep

import (
	"context"
)

// Note endpoint templates (reference §3.7).
const (
	EndpointListFileNotes     = "GET /filenotes"
	EndpointCreateFileNote    = "POST /filenotes"
	EndpointCreateContactNote = "POST /contactnotes"
)

// Note sources: notes the worker writes are System notes, which users can filter out.
const (
	NoteSourceSystem = "System"
	NoteSourceUser   = "User"
)

// FileNote is a note on a matter.
type FileNote struct {
	ID               ID     `json:"id"`
	Text             string `json:"text"`
	Source           string `json:"source"`
	EnteredBy        string `json:"enteredBy"`
	EnteredTimestamp string `json:"enteredTimestamp"`
	NoteTimestamp    string `json:"noteTimestamp"`
	Links            struct {
		Action      ID            `json:"action"`
		Participant ID            `json:"participant"` // the author
		Document    ID            `json:"document"`
		Tags        OneOrMany[ID] `json:"tags"`
	} `json:"links"`
}

// NewNote is the body of a file or contact note create.
type NewNote struct {
	Text          string
	Source        string // NoteSource…; the API's default (User) when empty
	NoteTimestamp string // ISO 8601 with offset; the API's "now" when empty
}

type noteBody struct {
	Text          string        `json:"text"`
	Source        string        `json:"source,omitempty"`
	NoteTimestamp string        `json:"noteTimestamp,omitempty"`
	Links         map[string]ID `json:"links"`
}

// CreateFileNote adds a note to a matter. POST is not idempotent: a note whose create timed
// out may exist; list the matter's notes before writing it again if duplicates matter.
func (c *Client) CreateFileNote(ctx context.Context, action ID, n NewNote) (*FileNote, error) {
	body := noteBody{n.Text, n.Source, n.NoteTimestamp, map[string]ID{"action": action}}
	return create[FileNote](ctx, c, EndpointCreateFileNote, resFileNotes, body)
}

// ListFileNotes queries the notes of one matter; q adds filters such as
// Filter{"source", OpNotEq, NoteSourceSystem}, and sorting.
func (c *Client) ListFileNotes(ctx context.Context, action ID, q Query) (*Page[FileNote], error) {
	if action == "" {
		// Without the matter the query would list every note of the organisation.
		return nil, endpointError(EndpointListFileNotes, errInvalidID)
	}
	return getPage[FileNote](ctx, c, EndpointListFileNotes, resFileNotes, q.with(Eq("action", string(action))))
}

// ContactNote is a note on a participant.
type ContactNote struct {
	ID               ID     `json:"id"`
	Text             string `json:"text"`
	Source           string `json:"source"`
	EnteredBy        string `json:"enteredBy"`
	EnteredTimestamp string `json:"enteredTimestamp"`
	NoteTimestamp    string `json:"noteTimestamp"`
	Links            struct {
		Participant ID `json:"participant"`
	} `json:"links"`
}

// CreateContactNote adds a note to a participant, for history that has no matter yet.
func (c *Client) CreateContactNote(ctx context.Context, participant ID, n NewNote) (*ContactNote, error) {
	body := noteBody{n.Text, n.Source, n.NoteTimestamp, map[string]ID{"participant": participant}}
	return create[ContactNote](ctx, c, EndpointCreateContactNote, resContactNotes, body)
}
