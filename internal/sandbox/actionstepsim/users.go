package actionstepsim

import "strconv"

// usersKind is the organisation's users, read only, with
// GET /users/current for the token's own user (reference §3.8). Not in
// the published specs; simulator choice: id, names, email and isActive,
// and the user's contact as links.participant, which the official demo
// app side-loads with include=participant.
func usersKind() *kind {
	k := &kind{name: kUsers, fields: []field{
		{name: "firstName"}, {name: "lastName"}, {name: "emailAddress"}, {name: "isActive", typ: tFlag},
	}, links: []linkDef{
		{name: "participant", target: kParticipants},
	}}
	k.rows = stored(k.name)
	k.find = func(c *restCall, id string) *record {
		if id == "current" {
			id = strconv.Itoa(c.tok.userID)
		}
		return c.org.lookup(k.name, id)
	}
	return k
}
