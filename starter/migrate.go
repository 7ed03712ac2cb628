package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/saasbridge/saasbridge/internal/schema"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

const migrateUsage = `usage:
  starter migrate status   list the store's migrations (STORE_DSN) and which the database has
  starter migrate up       apply the pending ones (every program also does when it opens the store)`

// migrate shows or applies the store's schema migrations (internal/schema).
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "status" && args[0] != "up") {
		fmt.Fprintln(stderr, migrateUsage)
		return errUsage
	}
	s, _, err := storeFromEnv(ctx, tokens.WithoutMigrating())
	if err != nil {
		return err
	}
	defer s.Close()
	if args[0] == "up" {
		applied, err := schema.Up(ctx, s.Schema())
		for _, m := range applied {
			fmt.Fprintf(stdout, "applied %05d %s\n", m.Version, m.Name)
		}
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "nothing to apply: the database is up to date")
		}
		return nil
	}
	return printMigrations(ctx, s.Schema(), stdout)
}

func printMigrations(ctx context.Context, db schema.DB, stdout io.Writer) error {
	st, err := schema.Status(ctx, db)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "VERSION\tNAME\tAPPLIED")
	pending := 0
	for _, m := range st {
		at := "pending"
		switch {
		case m.Legacy:
			at = "by a first release (recorded at the next migrate)"
		case m.Applied():
			at = m.AppliedAt.UTC().Format("2006-01-02T15:04:05Z")
		default:
			pending++
		}
		fmt.Fprintf(w, "%05d\t%s\t%s\n", m.Version, m.Name, at)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d of %d applied; %d pending (%s)\n", len(st)-pending, len(st), pending, db.Engine)
	return nil
}
