package mapping

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Templates are named, versioned mappings shipped with saasbridge
// (templates/<name>@<version>.json), chosen with ACTIONSTEP_TEMPLATE. A version, once
// shipped, never changes: a change is a new version, so a deployment pinned to
// "lead-to-client@1" renders what it always did. A template is a mapping with a
// "description"; a custom mapping (ACTIONSTEP_MAPPING or ACTIONSTEP_MAPPING_FILE) laid
// over it replaces its entries key by key, its task whole, and adds initial-plan rules
// (Extend). In code a template is a Preset: Template is the placeholder text of one
// entry.

//go:embed templates/*.json
var presetFiles embed.FS

// DefaultPreset is the template in force when none is chosen.
const DefaultPreset = "standard@1"

// Preset is one shipped template.
type Preset struct {
	Name        string
	Version     int
	Description string
	Mapping     Mapping
}

// Ref is the template's name@version, as ACTIONSTEP_TEMPLATE takes it.
func (p Preset) Ref() string { return p.Name + "@" + strconv.Itoa(p.Version) }

var presetFile = regexp.MustCompile(`^([a-z][a-z0-9-]*)@([1-9][0-9]*)\.json$`)

var presets = func() []Preset {
	entries, err := presetFiles.ReadDir("templates")
	if err != nil {
		panic("mapping: templates: " + err.Error())
	}
	var out []Preset
	for _, e := range entries {
		p, err := loadPreset(e.Name())
		if err != nil {
			panic("mapping: template " + e.Name() + ": " + err.Error())
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Preset) int { return cmp.Or(strings.Compare(a.Name, b.Name), a.Version-b.Version) })
	return out
}()

func loadPreset(file string) (Preset, error) {
	m := presetFile.FindStringSubmatch(file)
	if m == nil {
		return Preset{}, errors.New("file names are <name>@<version>.json")
	}
	b, err := presetFiles.ReadFile(path.Join("templates", file))
	if err != nil {
		return Preset{}, err
	}
	top, ok := members(b)
	if !ok {
		return Preset{}, errors.New("not a JSON object")
	}
	p := Preset{Name: m[1]}
	p.Version, _ = strconv.Atoi(m[2])
	var rest []string
	for _, mem := range top {
		if mem.key == "description" {
			p.Description, _ = jsonString(mem.raw)
			continue
		}
		rest = append(rest, strconv.Quote(mem.key)+":"+string(mem.raw))
	}
	if p.Description == "" {
		return Preset{}, errors.New("a template needs a description")
	}
	p.Mapping, err = Parse([]byte("{" + strings.Join(rest, ",") + "}"))
	return p, err
}

// Presets lists the shipped templates, by name then version.
func Presets() []Preset { return slices.Clone(presets) }

// LookupPreset finds a template by "name@version", or "name" for its latest version.
func LookupPreset(ref string) (Preset, error) {
	name, version, pinned := strings.Cut(strings.TrimSpace(ref), "@")
	var found *Preset
	for i, p := range presets {
		if p.Name == name && (!pinned || strconv.Itoa(p.Version) == version) {
			found = &presets[i]
		}
	}
	if found == nil {
		refs := make([]string, len(presets))
		for i, p := range presets {
			refs[i] = p.Ref()
		}
		return Preset{}, fmt.Errorf("mapping: no template %q (there are %s)", ref, strings.Join(refs, ", "))
	}
	return *found, nil
}

// Extend lays a custom mapping over base: its participant and data entries replace
// base's of the same key or add to them, its task replaces base's, and its
// initial-plan rules are the result's. base must be a valid mapping, so the result
// maps companyName.
func Extend(base Mapping, over Mapping) Mapping {
	out := Mapping{
		participant: mergeEntries(base.participant, over.participant),
		data:        mergeEntries(base.data, over.data),
		task:        cmp.Or(over.task, base.task),
		plans:       slices.Clone(over.plans),
	}
	out.indexParticipant()
	return out
}

func mergeEntries(base, over []entry) []entry {
	out := slices.Clone(over)
	for _, e := range base {
		if !slices.ContainsFunc(over, func(o entry) bool { return o.key == e.key }) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return out
}
