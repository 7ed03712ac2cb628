package actionstepsim

import "strconv"

// participantsKind is contacts, companies and people (reference §3.1):
// GET, POST, PUT; no DELETE in the current spec.
func participantsKind() *kind {
	fields := []field{
		{name: "displayName", access: writable},
		{name: "isCompany", typ: tFlag, access: writable},
	}
	for _, n := range []string{
		"companyName", "salutation", "firstName", "middleName", "lastName", "suffix", "preferredName",
		"physicalAddressLine1", "physicalAddressLine2", "physicalCity", "physicalStateProvince", "physicalPostCode",
		"mailingAddressLine1", "mailingAddressLine2", "mailingCity", "mailingStateProvince", "mailingPostCode",
	} {
		fields = append(fields, field{name: n, access: writable})
	}
	for i := 1; i <= 4; i++ {
		p := "phone" + strconv.Itoa(i)
		fields = append(fields,
			field{name: p + "Label", access: writable}, field{name: p + "Country", typ: tInt, access: writable},
			field{name: p + "Area", typ: tInt, access: writable}, field{name: p + "Number", access: writable},
			field{name: p + "Notes", access: writable})
	}
	for _, n := range []string{"fax", "sms", "email", "website", "occupation", "taxNumber"} {
		fields = append(fields, field{name: n, access: writable})
	}
	fields = append(fields,
		field{name: "birthTimestamp", typ: tDate, access: writable},
		field{name: "deathTimestamp", typ: tDate, access: writable},
		field{name: "maritalStatus", access: writable},
		field{name: "gender", typ: tEnum, enum: []string{"M", "F"}, access: writable},
		field{name: "modifiedTimestamp", typ: tTimestamp},
		field{name: "createdTimestamp", typ: tTimestamp},
		// Not in the recorded sample (which predates it, reference §3.1)
		// but in the spec: the worker's idempotency key.
		field{name: "importExternalReference", access: writable},
	)
	k := &kind{name: kParticipants, fields: fields, links: []linkDef{
		{name: "physicalCountry", target: "countries", access: writable},
		{name: "mailingCountry", target: "countries", access: writable},
		{name: "division", target: "divisions", access: writable},
	}}
	k.rows = stored(k.name)
	k.create = createParticipant
	k.update = updateParticipant
	return k
}

// newParticipant is a participant with the defaults the recorded samples
// show: four labelled phones with country code 61, division 1.
func (s *Server) newParticipant(k *kind, id int, now string) *record {
	r := newRecord(k, id)
	for i, label := range []string{"Business", "Mobile", "Home", "Other"} {
		p := "phone" + strconv.Itoa(i+1)
		r.attrs[p+"Label"], r.attrs[p+"Country"] = label, 61
	}
	r.links["division"] = "1"
	r.attrs["createdTimestamp"], r.attrs["modifiedTimestamp"] = now, now
	return r
}

func createParticipant(c *restCall, in *item) (*record, error) {
	r := c.s.newParticipant(c.kind, 0, c.s.timestamp(c.now))
	if err := c.apply(r, in, onCreate); err != nil {
		return nil, err
	}
	if err := c.finishParticipant(r, in); err != nil {
		return nil, err
	}
	r.id = c.org.nextID(kParticipants)
	c.org.insert(r)
	c.emit("ParticipantCreated", r)
	return r, nil
}

func updateParticipant(c *restCall, r *record, in *item) error {
	if err := c.apply(r, in, onUpdate); err != nil {
		return err
	}
	if err := c.finishParticipant(r, in); err != nil {
		return err
	}
	r.attrs["modifiedTimestamp"] = c.s.timestamp(c.now)
	c.emit("ParticipantUpdated", r)
	return nil
}

// finishParticipant enforces the create/update rules and derives the
// display name. The sources disagree on what is required (reference
// §3.1); simulator choice: isCompany always, companyName for companies,
// firstName and lastName for people; displayName is computed ("Bond,
// James") unless the request sets it.
func (c *restCall) finishParticipant(r *record, in *item) error {
	switch r.str("isCompany") {
	case "T":
		if r.str("companyName") == "" {
			return errInvalid(in.pointer+"/companyName", "companyName is required when isCompany is T")
		}
	case "F":
		if r.str("firstName") == "" || r.str("lastName") == "" {
			return errInvalid(in.pointer+"/lastName", "firstName and lastName are required when isCompany is F")
		}
	default:
		return errInvalid(in.pointer+"/isCompany", "isCompany is required (T or F)")
	}
	if !in.has("displayName") || r.str("displayName") == "" {
		r.attrs["displayName"] = displayName(r)
	}
	return c.checkUniqueRef(r, in)
}

func displayName(r *record) string {
	if r.str("isCompany") == "T" {
		return r.str("companyName")
	}
	return r.str("lastName") + ", " + r.str("firstName")
}

// checkUniqueRef refuses a second record of the same kind with the same
// importExternalReference when Options.UniqueExternalReferences is on.
func (c *restCall) checkUniqueRef(r *record, in *item) error {
	ref := r.str("importExternalReference")
	if !c.s.uniqueRefs || ref == "" {
		return nil
	}
	for _, o := range c.org.tables[r.kind.name] {
		if o.str("importExternalReference") == ref && o.idString() != r.idString() {
			return errInvalid(in.pointer+"/importExternalReference",
				"importExternalReference '%s' is already used by %s %s", ref, r.kind.name, o.idString())
		}
	}
	return nil
}
