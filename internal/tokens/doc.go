// Package tokens is the encrypted credential store shared by every worker process.
//
// It holds OAuth credentials (HighLevel agency and location tokens, Actionstep tokens) under
// string keys built by the Key* helpers. The secret part of a credential (access token, refresh
// token, secret extras) is sealed with AES-256-GCM, bound to its key; everything needed to list
// and audit credentials (kind, status, expiry, non-secret attributes, version, update time) is
// stored in plain columns.
//
// Both APIs hand out single-use, rotating refresh tokens, so two processes refreshing the same
// credential at once would make one of them burn a token the other one has already replaced. The
// store therefore refreshes under a database lock that every worker process shares:
//
//  1. A lock-free read returns the stored token when it is valid for at least the skew.
//  2. Otherwise an in-process per-key mutex lets one goroutine through, so goroutines of the same
//     process queue in memory instead of on the database; each one re-reads (still lock-free)
//     once through, and usually finds the token its predecessor stored.
//  3. That goroutine takes the database lock on a dedicated connection (SQLite: BEGIN IMMEDIATE,
//     which locks the whole database; PostgreSQL: SELECT … FOR UPDATE on the credential's row,
//     so that only refreshes of the same credential wait for each other), re-reads the
//     credential and, if another process has rotated it meanwhile, returns the winner's token.
//  4. Otherwise it calls the Refresher, writes the rotated pair in the same transaction and
//     commits before returning the token to anyone.
//
// From the moment the Refresher is called the caller's cancellation no longer applies: a pair the
// server has already rotated must reach the database, or the credential is lost.
//
// The encryption key rotates without a migration: every sealed secret names the id of its key
// (see crypto.go). Open takes the current key (WithKeyID) and the retired ones (WithOldKeys);
// reads use whichever key a row names, writes always the current one, and Reencrypt re-seals
// what is left so that the retired keys can be dropped. A SQLite store's files are 0600.
package tokens
