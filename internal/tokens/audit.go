package tokens

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/saasbridge/saasbridge/internal/audit"
)

// What the store does to a credential is recorded in the audit trail (internal/audit), in
// the transaction that does it: the change and its entry commit together or not at all.
// Entries name the credential by its key and say nothing of its secrets.

// putAction is what storing a credential means: agency and Actionstep credentials are
// only ever stored by an OAuth connect, location tokens by minting them.
func putAction(key string) string {
	if kind, _ := parseKey(key); kind == KindHighLevelLocation {
		return audit.ActionMinted
	}
	return audit.ActionConnected
}

// statusAction is the action of a status a credential is given.
func statusAction(st Status) string {
	switch st {
	case StatusSuspended:
		return audit.ActionSuspended
	case StatusReconnectNeeded:
		return audit.ActionReconnectNeeded
	}
	return audit.ActionStatusSet
}

// credentialEntry is an audit entry about a credential, filed under its location or
// company when its key names one.
func credentialEntry(key, action string, version int64, expiry time.Time, reason string) audit.Entry {
	e := audit.Entry{Kind: audit.KindCredential, Action: action,
		Detail: audit.Detail{Credential: key, Version: version, Expiry: expiry, Reason: reason}}
	kind, _ := parseKey(key)
	switch id := key[min(len(kind)+1, len(key)):]; kind {
	case KindHighLevelLocation:
		e.LocationID = id
	case KindHighLevelAgency:
		e.CompanyID = id
	}
	return e
}

// inTx runs fn in a transaction, which commits when fn succeeds.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
