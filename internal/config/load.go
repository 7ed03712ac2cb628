package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/saasbridge/saasbridge/internal/pacing"
)

// LoadWorker reads the worker's configuration from the environment.
func LoadWorker() (Worker, error) { return load[Worker](os.Environ()) }

// LoadStarter reads the starter's configuration from the environment.
func LoadStarter() (Starter, error) { return load[Starter](os.Environ()) }

// Error lists every bad variable. Its message never contains a value, only names and
// reasons, because values may be secrets.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration: " + strings.Join(e.Problems, "; ")
}

// load parses environ into T and reports every problem at once: the values that do not
// parse (explain) and what each section's own checks find (collect), each variable
// named once, sorted.
func load[T any](environ []string) (T, error) {
	var cfg T
	opts := env.Options{Environment: env.ToMap(environ)}
	var probs []problem
	if err := env.ParseWithOptions(&cfg, opts); err != nil {
		probs = append(probs, explain(err, fieldKeys(reflect.TypeOf(cfg)))...)
	}
	probs = append(probs, collect(reflect.ValueOf(cfg))...)
	if len(probs) == 0 {
		return cfg, nil
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(probs))
	for _, p := range probs {
		s := p.key + ": " + p.msg
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return cfg, &Error{Problems: out}
}

// explain turns caarlos0/env's aggregate error into one problem per variable.
func explain(err error, keys map[string]string) []problem {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return []problem{{"environment", err.Error()}}
	}
	var out []problem
	for _, e := range agg.Errors {
		var (
			notSet env.VarIsNotSetError
			empty  env.EmptyVarError
			parse  env.ParseError
		)
		switch {
		case errors.As(e, &notSet):
			out = append(out, problem{notSet.Key, "required but not set"})
		case errors.As(e, &empty):
			out = append(out, problem{empty.Key, "required but empty"})
		case errors.As(e, &parse):
			key := keys[parse.Name]
			if key == "" {
				key = parse.Name
			}
			out = append(out, problem{key, parseReason(parse)})
		default:
			out = append(out, problem{"environment", e.Error()})
		}
	}
	return out
}

// parseReason explains a malformed value by its expected type. It never quotes the
// value (strconv and time errors do): the value may be a secret.
func parseReason(e env.ParseError) string {
	switch e.Type {
	case reflect.TypeFor[time.Duration]():
		return "must be a duration such as 30s or 5m"
	case reflect.TypeFor[Key](), reflect.TypeFor[PEMBlocks](), reflect.TypeFor[Secrets](),
		reflect.TypeFor[StoreKey](), reflect.TypeFor[StoreKeys](), reflect.TypeFor[Switch](), reflect.TypeFor[pacing.Window]():
		return e.Err.Error() // our own messages, which hold no value
	}
	switch e.Type.Kind() {
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "must be an integer"
	case reflect.Bool:
		return "must be true or false"
	}
	return "malformed value"
}

// fieldKeys maps struct field names to their variable names; caarlos0/env reports parse
// errors by field name only. Names of fields that can fail to parse (anything but
// strings) are unique across sections (see the test).
func fieldKeys(t reflect.Type) map[string]string {
	out := map[string]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
			for k, v := range fieldKeys(f.Type) {
				out[k] = v
			}
			continue
		}
		if tag := f.Tag.Get("env"); tag != "" {
			key, _, _ := strings.Cut(tag, ",")
			out[f.Name] = key
		}
	}
	return out
}

// collect runs every section's own checks.
func collect(v reflect.Value) []problem {
	var out []problem
	if val, ok := v.Interface().(validator); ok {
		out = append(out, val.problems()...)
	}
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Struct && v.Type().Field(i).Tag.Get("env") == "" {
			out = append(out, collect(f)...)
		}
	}
	return out
}

// retired are settings earlier releases read, each with what replaced it.
var retired = map[string]string{
	"HIGHLEVEL_RATE_PER_SECOND":  "HIGHLEVEL_RATE_LIMIT (each agency's own share of HighLevel's window)",
	"ACTIONSTEP_RATE_PER_SECOND": "ACTIONSTEP_RATE_CEILING (an adaptive rate up to it)",
}

// Retired lists the settings in the environment that no longer have an effect, with
// what replaced them, so the programs can warn about a stale .env instead of
// silently ignoring it.
func Retired() []string { return retiredIn(os.Environ()) }

func retiredIn(environ []string) []string {
	var out []string
	for name, now := range env.ToMap(environ) {
		if by, ok := retired[name]; ok && now != "" {
			out = append(out, fmt.Sprintf("%s no longer has an effect: replaced by %s", name, by))
		}
	}
	slices.Sort(out)
	return out
}
