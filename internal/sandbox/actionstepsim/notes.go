package actionstepsim

import "strconv"

var noteSources = []string{"System", "User"}

// fileNotesKind is notes on a matter (reference §3.7): GET, POST, PUT,
// DELETE. The author is the token's user.
func fileNotesKind() *kind {
	k := &kind{name: kFileNotes, fields: []field{
		{name: "enteredTimestamp", typ: tTimestamp},
		{name: "text", access: writable},
		{name: "enteredBy"},
		{name: "source", typ: tEnum, enum: noteSources, access: onCreate},
		{name: "noteTimestamp", typ: tTimestamp, access: writable},
	}, links: []linkDef{
		{name: "action", target: kActions, access: writable},
		{name: "document", target: "actiondocuments", access: writable},
		{name: "participant", target: kParticipants},
		{name: "tags", target: "tags", many: true, access: writable},
	}}
	k.rows = stored(k.name)
	k.create = func(c *restCall, in *item) (*record, error) {
		r := newRecord(k, 0)
		if err := c.apply(r, in, onCreate); err != nil {
			return nil, err
		}
		if err := checkNote(r, in, "action"); err != nil {
			return nil, err
		}
		c.stampNote(r)
		r.links["participant"] = strconv.Itoa(c.org.userPartID)
		r.id = c.org.nextID(k.name)
		c.org.insert(r)
		c.emit("FileNoteCreated", r)
		return r, nil
	}
	k.update = func(c *restCall, r *record, in *item) error {
		if err := c.apply(r, in, onUpdate); err != nil {
			return err
		}
		if err := checkNote(r, in, "action"); err != nil {
			return err
		}
		c.emit("FileNoteUpdated", r)
		return nil
	}
	k.remove = removeStored
	return k
}

// addFileNote adds a note to a matter on the token user's behalf, as
// actioncreate's fileNote does.
func (c *restCall) addFileNote(action, text, source string) {
	k := c.s.kinds[kFileNotes]
	r := newRecord(k, c.org.nextID(k.name))
	r.attrs["text"], r.attrs["source"] = text, source
	r.links["action"], r.links["participant"] = action, strconv.Itoa(c.org.userPartID)
	c.stampNote(r)
	c.org.insert(r)
	c.emit("FileNoteCreated", r)
}

// contactNotesKind is notes on a participant, no matter needed (reference
// §3.7): GET, POST, PUT, DELETE.
func contactNotesKind() *kind {
	k := &kind{name: kContactNotes, fields: []field{
		{name: "enteredTimestamp", typ: tTimestamp},
		{name: "text", access: writable},
		{name: "enteredBy"},
		{name: "enteredByParticipant", typ: tInt},
		{name: "source", typ: tEnum, enum: noteSources, access: onCreate},
		{name: "noteTimestamp", typ: tTimestamp, access: writable},
	}, links: []linkDef{
		{name: "participant", target: kParticipants, access: writable},
	}}
	k.rows = stored(k.name)
	k.create = func(c *restCall, in *item) (*record, error) {
		r := newRecord(k, 0)
		if err := c.apply(r, in, onCreate); err != nil {
			return nil, err
		}
		if err := checkNote(r, in, "participant"); err != nil {
			return nil, err
		}
		c.stampNote(r)
		r.attrs["enteredByParticipant"] = c.org.userPartID
		r.id = c.org.nextID(k.name)
		c.org.insert(r)
		return r, nil
	}
	k.update = func(c *restCall, r *record, in *item) error {
		if err := c.apply(r, in, onUpdate); err != nil {
			return err
		}
		return checkNote(r, in, "participant")
	}
	k.remove = removeStored
	return k
}

// checkNote requires text and the note's subject link.
func checkNote(r *record, in *item, subject string) error {
	if r.str("text") == "" {
		return errInvalid(in.pointer+"/text", "text is required")
	}
	if r.links[subject] == nil {
		return errInvalid(in.pointer+"/links/"+subject, "links.%s is required", subject)
	}
	return nil
}

// stampNote fills in what the server sets on a new note: when and by whom
// it was entered, and the defaults for source and noteTimestamp.
func (c *restCall) stampNote(r *record) {
	now := c.s.timestamp(c.now)
	r.attrs["enteredTimestamp"] = now
	if r.attrs["noteTimestamp"] == nil {
		r.attrs["noteTimestamp"] = now
	}
	if r.attrs["source"] == nil {
		r.attrs["source"] = "User"
	}
	r.attrs["enteredBy"] = c.org.lookup(kParticipants, strconv.Itoa(c.org.userPartID)).str("displayName")
}

func removeStored(c *restCall, r *record) error {
	c.org.delete(r)
	return nil
}
