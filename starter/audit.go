package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

const auditUsage = `usage:
  starter audit [--location ID] [--since RFC3339] [--until RFC3339] [--kind K,...] [--format jsonl|csv]
                print the audit trail's entries, oldest first (JSON lines by default)
  starter audit verify
                check the whole chain; exits 1, naming the entry, where it is broken

kinds: ` + "credential, call, subscription, lifecycle, actionstep, checkpoint"

// auditCmd prints or verifies the audit trail (internal/audit) in the store's database.
func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "verify" {
		if len(args) > 1 {
			fmt.Fprintln(stderr, auditUsage)
			return errUsage
		}
		return auditVerify(ctx, stdout)
	}
	f, format, err := parseAuditFlags(args, stderr)
	if err != nil {
		return err
	}
	s, _, err := openAuditStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	w := bufio.NewWriterSize(stdout, 64<<10)
	if _, err := audit.Export(ctx, s.DB(), f, format, w); err != nil {
		return err
	}
	return w.Flush()
}

// parseAuditFlags reads the listing's flags; a bad one is a usage error naming it.
func parseAuditFlags(args []string, stderr io.Writer) (audit.Filter, string, error) {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, auditUsage) }
	var f audit.Filter
	fs.StringVar(&f.LocationID, "location", "", "only this HighLevel location's entries")
	since := fs.String("since", "", "only entries at or after this time (RFC 3339)")
	until := fs.String("until", "", "only entries before this time (RFC 3339)")
	kinds := fs.String("kind", "", "only entries of these kinds, comma-separated")
	format := fs.String("format", audit.FormatJSONL, "jsonl or csv")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, "", err
		}
		return f, "", errUsage
	}
	bad := func(format string, a ...any) (audit.Filter, string, error) {
		fmt.Fprintf(stderr, format+"\n\n%s\n", append(a, auditUsage)...)
		return audit.Filter{}, "", errUsage
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if f.Since, err = parseTime(*since); err != nil {
		return bad("--since: %v", err)
	}
	if f.Until, err = parseTime(*until); err != nil {
		return bad("--until: %v", err)
	}
	for k := range strings.SplitSeq(*kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			f.Kinds = append(f.Kinds, k)
		}
	}
	if err := f.Validate(); err != nil {
		return bad("%v", err)
	}
	if *format != audit.FormatJSONL && *format != audit.FormatCSV {
		return bad("--format must be jsonl or csv, not %q", *format)
	}
	return f, *format, nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (2026-12-01T09:00:00Z)", s)
	}
	return t, nil
}

// openAuditStore opens the store (migrating it, as every program does) and derives the
// checkpoint keys from its encryption keys.
func openAuditStore(ctx context.Context) (*tokens.Store, audit.Keys, error) {
	s, cfg, err := storeFromEnv(ctx)
	if err != nil {
		return nil, audit.Keys{}, err
	}
	keys, err := audit.DeriveKeys(cfg.Store.EncryptionKey.ID, cfg.Store.EncryptionKey.Key, cfg.Store.OldKeys())
	if err != nil {
		_ = s.Close()
		return nil, audit.Keys{}, err
	}
	return s, keys, nil
}

// errChainBroken makes `starter audit verify` exit 1 on a broken chain.
var errChainBroken = errors.New("the audit trail's chain is broken")

func auditVerify(ctx context.Context, stdout io.Writer) error {
	s, keys, err := openAuditStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := audit.Verify(ctx, s.DB(), keys)
	if err != nil {
		return err
	}
	if r.Checkpoint != nil {
		fmt.Fprintf(stdout, "checkpoint: entries up to %d vouched for (%d call entries before %s pruned), signed with key %d\n",
			r.Checkpoint.Through, r.Checkpoint.Pruned, r.Checkpoint.Cutoff.Format(time.RFC3339), r.Checkpoint.KeyID)
	}
	if !r.OK() {
		fmt.Fprintf(stdout, "BROKEN at entry %d: %s (%d entries read)\n", r.Break.Seq, r.Break.Reason, r.Entries)
		return fmt.Errorf("%w at entry %d", errChainBroken, r.Break.Seq)
	}
	fmt.Fprintf(stdout, "ok: %d entries, chain whole up to entry %d\n", r.Entries, r.Last)
	return nil
}
