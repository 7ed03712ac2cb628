package actionstepsim

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// Seed defaults.
const (
	DefaultMatterTypeName = "SaaS Subscription"
	DefaultClientTypeName = "Client"
)

// withDefaults fills in an OrgSpec and validates it.
func (spec OrgSpec) withDefaults() (OrgSpec, error) {
	if spec.User == nil {
		spec.User = &UserSpec{}
	}
	u := *spec.User
	u.FirstName, u.LastName = cmp.Or(u.FirstName, "Sandbox"), cmp.Or(u.LastName, "Integration")
	spec.User = &u
	spec.MatterTypeName = cmp.Or(spec.MatterTypeName, DefaultMatterTypeName)
	spec.ClientTypeName = cmp.Or(spec.ClientTypeName, DefaultClientTypeName)
	if spec.NoDataCollection {
		return spec, nil
	}
	dc := DefaultDataCollection()
	if spec.DataCollection != nil {
		dc = *spec.DataCollection
		dc.Fields = slices.Clone(dc.Fields)
	}
	if !fieldNamePattern.MatchString(dc.Name) {
		return spec, simkit.BadRequest("dataCollection.name must be letters, digits and '_', starting with a letter")
	}
	seen := map[string]bool{}
	for i, f := range dc.Fields {
		dc.Fields[i].DataType = cmp.Or(f.DataType, "Str255")
		switch {
		case !fieldNamePattern.MatchString(f.Name) || seen[f.Name]:
			return spec, simkit.Errorf(http.StatusBadRequest, "dataCollection field %q: names must be unique letters, digits and '_'", f.Name)
		case !slices.Contains(dataTypes, dc.Fields[i].DataType):
			return spec, simkit.Errorf(http.StatusBadRequest, "dataCollection field %q: unknown dataType %q", f.Name, f.DataType)
		}
		seen[f.Name] = true
	}
	spec.DataCollection = &dc
	return spec, nil
}

// CreateOrg creates an organisation with its dedicated API user (and that
// user's contact), the "Client" participant types, the matter type and its
// data collection.
func (s *Server) CreateOrg(spec OrgSpec) (Org, error) {
	spec, err := spec.withDefaults()
	if err != nil {
		return Org{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if spec.OrgKey == "" {
		for n := len(s.w.orgOrder) + 1; spec.OrgKey == "" || s.w.orgs[spec.OrgKey] != nil; n++ {
			spec.OrgKey = "simorg" + strconv.Itoa(n)
		}
	}
	switch {
	case !orgKeyPattern.MatchString(spec.OrgKey) || spec.OrgKey == "oauth":
		return Org{}, simkit.BadRequest("orgKey must be 1-64 letters, digits, '_' or '-', and not \"oauth\"")
	case s.w.orgs[spec.OrgKey] != nil:
		return Org{}, simkit.Errorf(http.StatusConflict, "organisation %s already exists", spec.OrgKey)
	}
	o := newOrg(spec.OrgKey, cmp.Or(spec.Name, "Sandbox Legal "+strconv.Itoa(len(s.w.orgOrder)+1)), s.now())
	o.readings = &s.w.readings
	s.seed(o, spec)
	if err := o.seedStartStep(strconv.Itoa(o.matterType), spec.StartStep); err != nil {
		return Org{}, simkit.BadRequest(err.Error())
	}
	s.w.orgs[o.key] = o
	s.w.orgOrder = append(s.w.orgOrder, o.key)
	s.log.Info("organisation created", zap.String("orgkey", o.key), zap.Int("matterType", o.matterType))
	return o.view(), nil
}

func (s *Server) seed(o *org, spec OrgSpec) {
	k, ts := s.kinds, s.timestamp(o.createdAt)
	u := spec.User
	p := s.newParticipant(k[kParticipants], o.nextID(kParticipants), ts)
	p.attrs["isCompany"], p.attrs["firstName"], p.attrs["lastName"] = "F", u.FirstName, u.LastName
	p.attrs["email"] = cmp.Or(u.Email, strings.ToLower(u.FirstName+"."+u.LastName)+"@"+strings.ToLower(o.key)+".example")
	p.attrs["displayName"] = displayName(p)
	o.insert(p)
	o.userPartID = p.id.(int)

	user := newRecord(k[kUsers], o.nextID(kUsers))
	user.attrs["firstName"], user.attrs["lastName"], user.attrs["emailAddress"] = u.FirstName, u.LastName, p.attrs["email"]
	user.attrs["isActive"], user.links["participant"] = "T", p.idString()
	o.insert(user)
	o.userID = user.id.(int)

	client := newParticipantType(k[kParticipantTypes], o.nextID(kParticipantTypes), spec.ClientTypeName)
	o.insert(client)
	o.insert(newParticipantType(k[kParticipantTypes], o.nextID(kParticipantTypes), spec.ClientTypeName+"_Primary_Contact"))
	o.clientType = client.id.(int)

	matter := newActionType(k[kActionTypes], o.nextID(kActionTypes), spec.MatterTypeName, o.clientType)
	o.insert(matter)
	o.insert(newActionType(k[kActionTypes], o.nextID(kActionTypes), "General Matter", o.clientType))
	o.matterType = matter.id.(int)

	if spec.DataCollection == nil {
		return
	}
	dc := spec.DataCollection
	coll := newRecord(k[kDataCollections], o.nextID(kDataCollections))
	coll.attrs["name"], coll.attrs["label"] = dc.Name, cmp.Or(dc.Label, dc.Name)
	coll.attrs["description"] = cmp.Or(dc.Description, cmp.Or(dc.Label, dc.Name))
	coll.attrs["multipleRecords"], coll.attrs["order"], coll.attrs["alwaysShowDescriptions"] = flag(dc.MultipleRecords), 10, "F"
	coll.links["actionType"] = matter.idString()
	o.insert(coll)
	o.collection = coll.id.(int)
	for i, f := range dc.Fields {
		r := newRecord(k[kDataFields], coll.idString()+"--"+f.Name)
		r.attrs["name"], r.attrs["dataType"], r.attrs["label"] = f.Name, f.DataType, cmp.Or(f.Label, f.Name)
		r.attrs["formOrder"], r.attrs["listOrder"], r.attrs["required"] = 10*(i+1), 10*(i+1), "F"
		r.links["dataCollection"] = coll.idString()
		o.insert(r)
	}
}

// flag is a boolean on the wire.
func flag(b bool) string {
	if b {
		return "T"
	}
	return "F"
}
