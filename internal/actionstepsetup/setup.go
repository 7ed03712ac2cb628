// Package actionstepsetup says what saasbridge needs in an Actionstep organisation and
// whether the organisation has it: the configured matter type, the client participant
// type, the matter type's data collection with every field the mapping writes, and a
// start step saasbridge can satisfy when it creates a matter. Inspect reads; Apply
// creates what the API can create (the data collection and its fields). `starter setup
// actionstep` and `starter doctor` are built on it.
package actionstepsetup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/mapping"
)

// Want is what saasbridge needs, by name.
type Want struct {
	MatterType, ClientType, DataCollection string
	Fields                                 []Field
}

// Field is a data collection field the mapping writes, and the data type saasbridge
// creates it with.
type Field struct{ Name, DataType string }

// FieldsOf lists the data fields m writes: DateTime for a template that is only the
// event's time, Str255 (text) for everything else.
func FieldsOf(m mapping.Mapping) []Field {
	var out []Field
	for _, name := range m.DataFields() {
		f := Field{Name: name, DataType: "Str255"}
		if t, ok := m.DataTemplate(name); ok {
			if src, only := t.Only(); only && src == mapping.SourceEventOccurredAt {
				f.DataType = "DateTime"
			}
		}
		out = append(out, f)
	}
	return out
}

// Report is what the organisation has of Want. A nil record was not found.
type Report struct {
	Want       Want
	MatterType *actionstep.ActionType
	ClientType *actionstep.ParticipantType
	Collection *actionstep.DataCollection
	// Fields are the wanted fields that exist, MissingFields those that do not
	// (all of them when the collection is missing).
	Fields        []actionstep.DataCollectionField
	MissingFields []Field
	// Needs is what a new matter of the matter type needs; Unfilled what of it
	// saasbridge cannot fill (it fills the client participant).
	Needs    *actionstep.ActionCreateNeeds
	Unfilled []string
}

// Inspect reads what the organisation has of w. Every lookup is checked client-side.
func Inspect(ctx context.Context, c *actionstep.Client, w Want) (*Report, error) {
	r := &Report{Want: w, MissingFields: slices.Clone(w.Fields)}
	var err error
	if r.MatterType, err = MatterType(ctx, c, w.MatterType); err != nil {
		return nil, err
	}
	if r.ClientType, err = ParticipantType(ctx, c, w.ClientType); err != nil {
		return nil, err
	}
	if r.MatterType == nil {
		return r, nil
	}
	if err := r.inspectCollection(ctx, c); err != nil {
		return nil, err
	}
	if r.Needs, err = c.ActionCreateNeeds(ctx, r.MatterType.ID); err != nil {
		return nil, err
	}
	var clientType actionstep.ID
	if r.ClientType != nil {
		clientType = r.ClientType.ID
	}
	r.Unfilled = UnfilledNeeds(r.Needs, clientType)
	return r, nil
}

// inspectCollection finds the data collection on the matter type and its fields.
func (r *Report) inspectCollection(ctx context.Context, c *actionstep.Client) error {
	var err error
	r.Collection, err = DataCollection(ctx, c, r.Want.DataCollection, r.MatterType.ID)
	if err != nil || r.Collection == nil {
		return err
	}
	dc := r.Collection.ID
	fields, err := actionstep.Collect(ctx, c.ListDataCollectionFields, actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("dataCollection", string(dc))}},
		func(f actionstep.DataCollectionField) bool { return f.Links.DataCollection == dc })
	if err != nil {
		return err
	}
	r.MissingFields = nil
	for _, want := range r.Want.Fields {
		i := slices.IndexFunc(fields, func(f actionstep.DataCollectionField) bool { return f.Name == want.Name })
		if i < 0 {
			r.MissingFields = append(r.MissingFields, want)
			continue
		}
		r.Fields = append(r.Fields, fields[i])
	}
	return nil
}

// MatterType is the matter type named name (the oldest of several), nil when there is none.
func MatterType(ctx context.Context, c *actionstep.Client, name string) (*actionstep.ActionType, error) {
	return one(ctx, c.ListActionTypes, byName(name), func(t actionstep.ActionType) bool { return t.Name == name },
		func(t actionstep.ActionType) actionstep.ID { return t.ID })
}

// ParticipantType is the participant type named name, nil when there is none.
func ParticipantType(ctx context.Context, c *actionstep.Client, name string) (*actionstep.ParticipantType, error) {
	return one(ctx, c.ListParticipantTypes, byName(name), func(t actionstep.ParticipantType) bool { return t.Name == name },
		func(t actionstep.ParticipantType) actionstep.ID { return t.ID })
}

// DataCollection is the data collection named name on matterType, nil when there is none.
func DataCollection(ctx context.Context, c *actionstep.Client, name string, matterType actionstep.ID) (*actionstep.DataCollection, error) {
	q := byName(name)
	q.Filters = append(q.Filters, actionstep.Eq("actionType", string(matterType)))
	return one(ctx, c.ListDataCollections, q, func(d actionstep.DataCollection) bool {
		return d.Name == name && d.Links.ActionType == matterType
	}, func(d actionstep.DataCollection) actionstep.ID { return d.ID })
}

// one is the oldest record a lookup keeps, nil when there is none.
func one[T any](ctx context.Context, list func(context.Context, actionstep.Query) (*actionstep.Page[T], error), q actionstep.Query,
	keep func(T) bool, id func(T) actionstep.ID) (*T, error) {
	found, err := actionstep.Collect(ctx, list, q, keep)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	slices.SortFunc(found, func(a, b T) int { return id(a).Compare(id(b)) })
	return &found[0], nil
}

func byName(name string) actionstep.Query {
	return actionstep.Query{Filters: []actionstep.Filter{actionstep.Eq("name", name)}}
}

// UnfilledNeeds lists what a new matter's start step asks for that saasbridge does not
// fill: participants of types other than the client's, and data fields (actioncreate
// cannot set those).
func UnfilledNeeds(needs *actionstep.ActionCreateNeeds, clientType actionstep.ID) []string {
	var out []string
	for _, pt := range needs.ParticipantTypes {
		if pt != clientType {
			out = append(out, fmt.Sprintf("a participant of type %q", orID(needs.ParticipantTypeNames[pt], pt)))
		}
	}
	for _, f := range needs.DataFields {
		out = append(out, fmt.Sprintf("data field %q", orID(needs.DataFieldNames[f], f)))
	}
	return out
}

func orID(name string, id actionstep.ID) string {
	if name != "" {
		return name
	}
	return string(id)
}

// Problem is one thing the organisation lacks, with how to fix it. Creatable problems
// are the ones Apply fixes.
type Problem struct {
	What, Fix string
	Creatable bool
}

// Problems lists what the organisation lacks; none means saasbridge can run.
func (r *Report) Problems() []Problem {
	var out []Problem
	w := r.Want
	if r.MatterType == nil {
		out = append(out, Problem{What: fmt.Sprintf("no matter type named %q", w.MatterType),
			Fix: "create it in Actionstep (matter types cannot be created through the API), or set ACTIONSTEP_MATTER_TYPE"})
	}
	if r.ClientType == nil {
		out = append(out, Problem{What: fmt.Sprintf("no participant type named %q", w.ClientType),
			Fix: "create it in Actionstep, or set ACTIONSTEP_CLIENT_TYPE"})
	}
	if r.MatterType != nil && r.Collection == nil {
		out = append(out, Problem{What: fmt.Sprintf("no data collection %q on matter type %q", w.DataCollection, w.MatterType),
			Fix: "run `starter setup actionstep`", Creatable: true})
	}
	for _, f := range r.MissingFields {
		if r.MatterType == nil {
			break // unknown until the matter type exists
		}
		out = append(out, Problem{What: fmt.Sprintf("no field %q in data collection %q", f.Name, w.DataCollection),
			Fix: "run `starter setup actionstep`", Creatable: true})
	}
	if len(r.Unfilled) > 0 {
		out = append(out, Problem{What: fmt.Sprintf("the start step of matter type %q asks for %s, which saasbridge cannot fill",
			w.MatterType, strings.Join(r.Unfilled, " and ")), Fix: "make them optional on the matter type's start step in Actionstep"})
	}
	return out
}

// Apply creates what the API can create: the data collection (single-record, on the
// matter type) when it is missing, and every missing field. It returns what it created,
// or with dryRun what it would create. A matter type that is missing stops nothing but
// the collection and its fields.
func Apply(ctx context.Context, c *actionstep.Client, r *Report, dryRun bool) ([]string, error) {
	if r.MatterType == nil {
		return nil, nil
	}
	var done []string
	if r.Collection == nil {
		done = append(done, fmt.Sprintf("data collection %q on matter type %q", r.Want.DataCollection, r.Want.MatterType))
		if !dryRun {
			d := actionstep.NewDataCollection{Name: r.Want.DataCollection, Label: label(r.Want.DataCollection),
				Description: "The location's SaaS subscription, written by saasbridge"}
			d.Links.ActionType = r.MatterType.ID
			created, err := c.CreateDataCollection(ctx, d)
			if err != nil {
				return nil, fmt.Errorf("create data collection %q: %w", r.Want.DataCollection, err)
			}
			r.Collection = created
		}
	}
	for _, f := range slices.Clone(r.MissingFields) {
		what := fmt.Sprintf("field %q (%s) in data collection %q", f.Name, f.DataType, r.Want.DataCollection)
		if !dryRun {
			nf := actionstep.NewDataCollectionField{Name: f.Name, Label: label(f.Name), DataType: f.DataType}
			nf.Links.DataCollection = r.Collection.ID
			created, err := c.CreateDataCollectionField(ctx, nf)
			if err != nil {
				return done, fmt.Errorf("create %s: %w", what, err)
			}
			r.Fields = append(r.Fields, *created)
			r.MissingFields = r.MissingFields[1:]
		}
		done = append(done, what)
	}
	return done, nil
}

// label is a field's name for people: "subscription_id" → "Subscription id".
func label(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}
