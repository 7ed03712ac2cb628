package mapping

import (
	"reflect"
	"slices"
	"strings"

	"github.com/saasbridge/saasbridge/internal/actionstep"
)

// workerOwned are the attributes of actionstep.ParticipantFields that the worker sets
// itself, so a mapping may not: the kind of participant, its lookup key, and its links.
var workerOwned = map[string]string{
	"isCompany":               "set by the worker (locations are companies), not mappable",
	"importExternalReference": "set by the worker (it is the location's lookup key), not mappable",
	"links":                   "links are not mappable",
}

// participantAttrs describes what a mapping may set on a participant. It is derived from
// actionstep.ParticipantFields' json tags, once, so the two cannot drift: every text
// attribute the client can send is mappable unless the worker owns it.
var participantAttrs = describeParticipantFields()

type participantFieldSet struct {
	index   map[string]int    // mappable attribute → struct field index
	refused map[string]string // sendable but not mappable attribute → why
	known   []string          // mappable attributes, sorted
}

func describeParticipantFields() participantFieldSet {
	set := participantFieldSet{index: map[string]int{}, refused: map[string]string{}}
	t := reflect.TypeFor[actionstep.ParticipantFields]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
			continue
		case name == "":
			name = f.Name
		}
		switch {
		case workerOwned[name] != "":
			set.refused[name] = workerOwned[name]
		case f.Type != reflect.TypeFor[*string]():
			set.refused[name] = "not a text attribute; templates render text, so it is not mappable"
		default:
			set.index[name] = i
			set.known = append(set.known, name)
		}
	}
	slices.Sort(set.known)
	return set
}

// ParticipantAttributes lists the participant attributes a mapping may set, sorted.
func ParticipantAttributes() []string { return slices.Clone(participantAttrs.known) }

// setParticipantField sets the attribute at struct field index i.
func setParticipantField(f *actionstep.ParticipantFields, i int, s string) {
	reflect.ValueOf(f).Elem().Field(i).Set(reflect.ValueOf(&s))
}
