package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/saasbridge/saasbridge/internal/mapping"
)

const templatesUsage = `usage:
  starter templates              list the shipped mapping templates (ACTIONSTEP_TEMPLATE)
  starter templates show NAME    print one (name or name@version) as the mapping it is`

// templates lists the shipped mapping templates, marking the one ACTIONSTEP_TEMPLATE
// chooses, or prints one. It needs no other setting.
func templates(args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 0:
		listTemplates(stdout, os.Getenv("ACTIONSTEP_TEMPLATE"))
		return nil
	case len(args) == 2 && args[0] == "show":
		p, err := mapping.LookupPreset(args[1])
		if err != nil {
			return err
		}
		b, err := json.MarshalIndent(p.Mapping, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return nil
	}
	fmt.Fprintln(stderr, templatesUsage)
	return errUsage
}

func listTemplates(w io.Writer, chosen string) {
	inForce, bad := mapping.DefaultPreset, error(nil)
	if chosen != "" {
		var p mapping.Preset
		p, bad = mapping.LookupPreset(chosen)
		inForce = p.Ref()
	}
	for _, p := range mapping.Presets() {
		mark := ""
		if p.Ref() == inForce {
			mark = "  (in force)"
		}
		fmt.Fprintf(w, "%s%s\n  %s\n", p.Ref(), mark, p.Description)
		fmt.Fprintf(w, "  client: %s\n", strings.Join(p.Mapping.ParticipantFields(), ", "))
		fmt.Fprintf(w, "  matter data: %s\n", strings.Join(p.Mapping.DataFields(), ", "))
		if t, ok := p.Mapping.TaskSpec(); ok {
			fmt.Fprintf(w, "  first task: %q, due in %d day(s)\n", t.Name(), t.DueInDays())
		}
		fmt.Fprintln(w)
	}
	if bad != nil {
		fmt.Fprintf(w, "ACTIONSTEP_TEMPLATE: %v; the worker refuses to start with it.\n", bad)
	}
}
