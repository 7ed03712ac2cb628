package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/actionstepsetup"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/deps"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// setup prepares a connected Actionstep organisation for saasbridge: it checks the
// configured matter type, participant type and data collection, and creates the data
// collection and the fields the mapping writes where they are missing. Running it again
// creates nothing.
func setup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "actionstep" {
		fmt.Fprintln(stderr, "usage: starter setup actionstep [--dry-run]")
		return errUsage
	}
	fs := flag.NewFlagSet("setup actionstep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "report what is missing and what would be created; change nothing")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	cfg, err := config.LoadStarter()
	if err != nil {
		return err
	}
	org, err := openActionstep(ctx, cfg)
	if err != nil {
		return err
	}
	defer org.close()
	if _, err := org.connected(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, org.describe(ctx))
	r, err := actionstepsetup.Inspect(ctx, org.api, org.want)
	if err != nil {
		return fmt.Errorf("inspect the Actionstep organisation: %w", err)
	}
	printFound(stdout, r)
	done, err := actionstepsetup.Apply(ctx, org.api, r, *dryRun)
	verb := "created"
	if *dryRun {
		verb = "would create"
	}
	for _, what := range done {
		fmt.Fprintf(stdout, "%-12s %s\n", verb, what)
	}
	if err != nil {
		return err
	}
	return setupVerdict(stdout, r, len(done), *dryRun)
}

// setupVerdict prints what is left to a human and the summary.
func setupVerdict(w io.Writer, r *actionstepsetup.Report, done int, dryRun bool) error {
	var left []actionstepsetup.Problem
	for _, p := range r.Problems() {
		if !p.Creatable || !dryRun {
			left = append(left, p)
		}
	}
	for _, p := range left {
		fmt.Fprintf(w, "%-12s %s\n%-12s fix: %s\n", "missing", p.What, "", p.Fix)
	}
	switch {
	case len(left) > 0:
		return fmt.Errorf("setup incomplete: %d problem(s) need a change in Actionstep or in the configuration", len(left))
	case dryRun:
		fmt.Fprintf(w, "dry run: %d to create\n", done)
	case done == 0:
		fmt.Fprintln(w, "nothing to create: the organisation has everything saasbridge needs")
	default:
		fmt.Fprintf(w, "setup done: %d created\n", done)
	}
	return nil
}

// printFound lists what the organisation already has.
func printFound(w io.Writer, r *actionstepsetup.Report) {
	line := func(format string, args ...any) {
		fmt.Fprintf(w, "%-12s "+format+"\n", append([]any{"found"}, args...)...)
	}
	if t := r.MatterType; t != nil {
		line("matter type %q (id %s)", t.Name, t.ID)
	}
	if t := r.ClientType; t != nil {
		line("participant type %q (id %s)", t.Name, t.ID)
	}
	if d := r.Collection; d != nil {
		line("data collection %q (id %s) on matter type %q", d.Name, d.ID, r.Want.MatterType)
	}
	for _, f := range r.Fields {
		line("field %q (%s)", f.Name, f.DataType)
	}
	if r.Needs != nil && len(r.Unfilled) == 0 {
		fmt.Fprintf(w, "%-12s a new matter's start step asks for nothing saasbridge cannot fill\n", "ok")
	}
}

// actionstepOrg is the connected organisation, through the stored credential.
type actionstepOrg struct {
	cfg   config.Starter
	store *tokens.Store
	api   *actionstep.Client
	want  actionstepsetup.Want
}

// openActionstep opens the token store and binds a client to the organisation's stored
// credential.
func openActionstep(ctx context.Context, cfg config.Starter) (*actionstepOrg, error) {
	fields, err := mapping.FromEnv(cfg.Actionstep.Template, cfg.Actionstep.Mapping, cfg.Actionstep.MappingFile)
	if err != nil {
		return nil, fmt.Errorf("invalid Actionstep field mapping (ACTIONSTEP_TEMPLATE / ACTIONSTEP_MAPPING / ACTIONSTEP_MAPPING_FILE): %w", err)
	}
	logger, err := logging.New(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return nil, err
	}
	store, err := deps.OpenStore(ctx, cfg.Store, logger)
	if err != nil {
		return nil, fmt.Errorf("open token store: %w", err)
	}
	c, err := actionstep.New(cfg.Actionstep.TokenURL, cfg.Actionstep.ClientID, cfg.Actionstep.ClientSecret,
		actionstep.WithHTTPClient(&http.Client{Timeout: cfg.Actionstep.CallTimeout}))
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	a := cfg.Actionstep
	return &actionstepOrg{cfg: cfg, store: store,
		api:  c.As(credentials.ActionstepSource(store, c, tokens.KeyActionstep(a.OrgKey))),
		want: actionstepsetup.Want{MatterType: a.MatterType, ClientType: a.ClientType, DataCollection: a.DataCollection, Fields: actionstepsetup.FieldsOf(fields)},
	}, nil
}

func (o *actionstepOrg) close() { _ = o.store.Close() }

// connected returns the stored credential's non-secret view, or why it is not usable and
// how to connect.
func (o *actionstepOrg) connected(ctx context.Context) (tokens.Info, error) {
	_, info, err := o.store.Get(ctx, tokens.KeyActionstep(o.cfg.Actionstep.OrgKey))
	connect := o.cfg.OperatorURL() + "/oauth/actionstep/start"
	switch {
	case errors.Is(err, tokens.ErrNotFound):
		return info, fmt.Errorf("the Actionstep organisation %s is not connected: connect it at %s", o.cfg.Actionstep.OrgKey, connect)
	case err != nil:
		return info, fmt.Errorf("read the Actionstep credential: %w", err)
	case info.Status != tokens.StatusActive:
		return info, fmt.Errorf("the Actionstep credential of %s is %s (%s): reconnect at %s", o.cfg.Actionstep.OrgKey, info.Status, info.StatusReason, connect)
	}
	return info, nil
}

// describe names the organisation, its api_endpoint and the user the credential acts for.
func (o *actionstepOrg) describe(ctx context.Context) string {
	s := "Actionstep organisation " + o.cfg.Actionstep.OrgKey
	if info, err := o.connected(ctx); err == nil {
		s += " (" + info.Attrs[credentials.AttrAPIEndpoint] + ")"
	}
	if me, err := o.api.CurrentUser(ctx); err == nil {
		s += ", as " + strings.TrimSpace(me.FirstName+" "+me.LastName)
	}
	return s
}
