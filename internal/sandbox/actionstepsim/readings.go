package actionstepsim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// Readings are the simulator's answers where Actionstep's documentation
// leaves a doubt. Each reading has a lenient value, the default, and a
// hostile one: the reading that is hardest on a client. A client that
// works under Hostile() does not depend on a guess about the real API.
// Empty fields take the default.
type Readings struct {
	// Values: "withRecord" (default): a data collection record's values
	// exist, null, as soon as the record does, so PUT can set them.
	// "lazy": a value exists only once POSTed; until then GET and PUT of
	// it are 404 and lists leave it out, and a second POST is refused.
	Values string `json:"values,omitempty"`
	// Filters: "reject" (default): a filter on a name the resource does
	// not have is a 400; every other filter is applied. "ignore": only the
	// filters the documentation shows in use are applied (on the id, on
	// links, and on name, status, source, text and multipleRecords); any
	// other filter, importExternalReference and reference included, is
	// silently dropped, so the reply holds records that do not match it.
	Filters string `json:"filters,omitempty"`
	// FileReference: "copy" (default): actioncreate's fileReference
	// becomes the matter's reference. "ignore": the matter has no
	// reference. "autonumber": the matter gets a number of its own.
	FileReference string `json:"fileReference,omitempty"`
	// StartStep: "lenient" (default): actioncreate needs a name and a
	// matter type, the matter is assigned to the token's user unless told
	// otherwise. "enforced": it also needs assignedToParticipant, a
	// participant of every participant type the matter type's start step
	// requires, and refuses when the start step requires data fields
	// (which actioncreate cannot set). GET /actioncreate/{actionTypeId}
	// lists the requirements under either reading.
	StartStep string `json:"startStep,omitempty"`
	// Wildcard: "any" (default): like and ilike values take '*' and '%'
	// as wildcards. "star": only '*', the documented one; '%' matches
	// itself.
	Wildcard string `json:"wildcard,omitempty"`
}

// The values of each reading; the first is the default, the last the
// hostile one.
var readingValues = map[string][]string{
	"values":        {"withRecord", "lazy"},
	"filters":       {"reject", "ignore"},
	"fileReference": {"copy", "ignore", "autonumber"},
	"startStep":     {"lenient", "enforced"},
	"wildcard":      {"any", "star"},
}

// ReadingNames lists the readings in a stable order.
func ReadingNames() []string {
	return []string{"values", "filters", "fileReference", "startStep", "wildcard"}
}

// fields maps reading names to the struct's fields.
func (r *Readings) fields() map[string]*string {
	return map[string]*string{
		"values": &r.Values, "filters": &r.Filters, "fileReference": &r.FileReference,
		"startStep": &r.StartStep, "wildcard": &r.Wildcard,
	}
}

// Hostile is every reading at its hostile value.
func Hostile() Readings {
	var r Readings
	for name, p := range r.fields() {
		vals := readingValues[name]
		*p = vals[len(vals)-1]
	}
	return r
}

// HostileOnly is the default readings with one of them hostile.
func HostileOnly(name string) (Readings, error) {
	vals, ok := readingValues[name]
	if !ok {
		return Readings{}, fmt.Errorf("unknown reading %q (known: %s)", name, strings.Join(ReadingNames(), ", "))
	}
	var r Readings
	*r.fields()[name] = vals[len(vals)-1]
	return r.normalised()
}

// normalised fills defaults and checks every value.
func (r Readings) normalised() (Readings, error) {
	for name, p := range r.fields() {
		vals := readingValues[name]
		if *p == "" {
			*p = vals[0]
		}
		if !slices.Contains(vals, *p) {
			return r, simkit.Errorf(http.StatusBadRequest, "reading %s must be one of %s, not %q", name, strings.Join(vals, ", "), *p)
		}
	}
	return r, nil
}

// ParseReadings reads the SANDBOX_ACTIONSTEP_READINGS form: "" or
// "default" for the defaults, "hostile" for Hostile(), or a
// comma-separated list of name=value ("values=lazy,wildcard=star"), where
// a bare name stands for its hostile value.
func ParseReadings(s string) (Readings, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "default":
		return Readings{}.normalised()
	case "hostile":
		return Hostile(), nil
	}
	var r Readings
	fields := r.fields()
	for part := range strings.SplitSeq(s, ",") {
		name, value, hasValue := strings.Cut(strings.TrimSpace(part), "=")
		p, ok := fields[name]
		if !ok {
			return Readings{}, fmt.Errorf("unknown reading %q (known: %s)", name, strings.Join(ReadingNames(), ", "))
		}
		if !hasValue {
			vals := readingValues[name]
			value = vals[len(vals)-1]
		}
		*p = value
	}
	return r.normalised()
}

// Readings returns the readings in force.
func (s *Server) Readings() Readings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.readings
}

// SetReadings replaces the readings (empty fields take the defaults) and
// returns them normalised.
func (s *Server) SetReadings(r Readings) (Readings, error) {
	r, err := r.normalised()
	if err != nil {
		return Readings{}, err
	}
	s.mu.Lock()
	s.w.readings = r
	s.mu.Unlock()
	s.log.Info("readings changed", zap.Any("readings", r))
	return r, nil
}

// lazyValues, ignoreFilters … read the readings in force; the caller
// holds Server.mu (every REST handler does).
func (c *restCall) lazyValues() bool    { return c.s.w.readings.Values == "lazy" }
func (c *restCall) ignoreFilters() bool { return c.s.w.readings.Filters == "ignore" }
func (c *restCall) enforceStart() bool  { return c.s.w.readings.StartStep == "enforced" }
func (c *restCall) starOnly() bool      { return c.s.w.readings.Wildcard == "star" }
