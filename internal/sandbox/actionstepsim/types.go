package actionstepsim

import (
	"fmt"
	"strings"
)

// participantTypesKind is contact types such as "Client" (reference §3.2),
// read only: types are configured in the Actionstep UI.
func participantTypesKind() *kind {
	k := &kind{name: kParticipantTypes, fields: []field{
		{name: "name"}, {name: "displayName"}, {name: "description"},
		{name: "isBaseParticipantType", typ: tFlag}, {name: "companyFlag", typ: tFlag}, {name: "taxNumberAlias"},
	}}
	k.rows = stored(k.name)
	return k
}

// defaultTypesKind assigns default contact types to participants
// (reference §3.2): GET, POST, DELETE; id "participant--participantType".
func defaultTypesKind() *kind {
	k := &kind{name: kDefaultTypes, links: []linkDef{
		{name: "participantType", target: kParticipantTypes, access: onCreate},
		{name: "participant", target: kParticipants, access: onCreate},
	}}
	k.rows = stored(k.name)
	k.create = func(c *restCall, in *item) (*record, error) {
		r := newRecord(k, "")
		if err := c.apply(r, in, onCreate); err != nil {
			return nil, err
		}
		p, t := r.linkID("participant"), r.linkID("participantType")
		if p == 0 || t == 0 {
			return nil, errInvalid(in.pointer+"/links", "links.participant and links.participantType are required")
		}
		r.id = fmt.Sprintf("%d--%d", p, t)
		if c.org.lookup(k.name, r.idString()) != nil {
			// Simulator choice: a duplicate is an error, as a unique key would make it.
			return nil, errInvalid(in.pointer, "Participant %d already has default type %d", p, t)
		}
		c.org.insert(r)
		return r, nil
	}
	k.remove = removeStored
	return k
}

// actionTypesKind is matter types (reference §3.3), read only. The list
// key is "actiontypes", not the spec's copy-pasted "actions".
func actionTypesKind() *kind {
	var fields []field
	for _, n := range []string{"name", "description", "copyrightHolder", "copyrightContact", "copyrightEmail"} {
		fields = append(fields, field{name: n})
	}
	for _, n := range []string{
		"trackActualTime", "trackBillableTime", "isForMarketingCampaigns", "isForMarketingEvents", "isForEmployees",
		"isForCrm", "isForDebtCollection", "isDisabled", "isBillable", "enableActionImage",
	} {
		fields = append(fields, field{name: n, typ: tFlag})
	}
	for _, n := range []string{
		"defaultEmailSubject", "logoFilename", "customLogoFilename", "customLogoDirectory", "customLogoFilesize",
		"customLogoModifiedTimestamp", "templateIdentifier",
	} {
		fields = append(fields, field{name: n})
	}
	for _, n := range []string{"allowCloseWithOpenInvoice", "allowInlineCustomizing", "canCreate", "showAmlReviewStatus"} {
		fields = append(fields, field{name: n, typ: tFlag})
	}
	k := &kind{name: kActionTypes, fields: fields, links: []linkDef{
		{name: "primaryParticipantType", target: kParticipantTypes},
	}}
	k.rows = stored(k.name)
	return k
}

// newParticipantType is a seeded contact type; name as the API shows it
// ("Client_Primary_Contact"), displayName with spaces.
func newParticipantType(k *kind, id int, name string) *record {
	r := newRecord(k, id)
	display := strings.ReplaceAll(name, "_", " ")
	r.attrs["name"], r.attrs["displayName"], r.attrs["description"] = name, display, display
	r.attrs["isBaseParticipantType"] = "F"
	return r
}

// newActionType is a seeded matter type with the flag values of the
// recorded sample; customLogo* are "" there, not null.
func newActionType(k *kind, id int, name string, primaryType int) *record {
	r := newRecord(k, id)
	r.attrs["name"], r.attrs["description"] = name, name+" (sandbox)"
	r.attrs["copyrightHolder"] = "Actionstep sandbox"
	for _, f := range []string{"trackActualTime", "trackBillableTime", "isBillable", "enableActionImage", "canCreate"} {
		r.attrs[f] = "T"
	}
	for _, f := range []string{
		"isForMarketingCampaigns", "isForMarketingEvents", "isForEmployees", "isForCrm", "isForDebtCollection",
		"isDisabled", "allowCloseWithOpenInvoice", "allowInlineCustomizing", "showAmlReviewStatus",
	} {
		r.attrs[f] = "F"
	}
	r.attrs["defaultEmailSubject"] = "[[action_id]] - [[action_name]]"
	for _, f := range []string{"customLogoFilename", "customLogoDirectory", "customLogoFilesize", "customLogoModifiedTimestamp"} {
		r.attrs[f] = ""
	}
	r.attrs["templateIdentifier"] = newHex40()
	r.links["primaryParticipantType"] = fmt.Sprint(primaryType)
	return r
}
