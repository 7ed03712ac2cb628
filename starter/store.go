package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// store runs token-store maintenance: `starter store reencrypt` seals every credential
// still sealed with an old key (STORE_ENCRYPTION_OLD_KEYS) with the current one
// (STORE_ENCRYPTION_KEY), so that the old keys can be removed.
func store(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "reencrypt" {
		fmt.Fprintln(stderr, "usage: starter store reencrypt")
		return errUsage
	}
	fs := flag.NewFlagSet("store reencrypt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	s, cfg, err := storeFromEnv(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Reencrypt(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d credentials checked, %d re-encrypted with key %d.\n", res.Checked, res.Reencrypted, cfg.Store.EncryptionKey.ID)
	fmt.Fprintln(stdout, "Once every worker and starter runs with this key, remove the old keys from STORE_ENCRYPTION_OLD_KEYS.")
	return nil
}
