// Package audit is saasbridge's audit trail: an append-only log, in the store's database
// (table audit_log, internal/schema), of what was done with credentials (connected,
// minted, refreshed, rotated, reconnect needed, deleted), every call made to HighLevel
// and Actionstep (endpoint template, method, status, duration, and the workflow, run and
// attempt that made it), every event a location's owner concluded (its outcome, and the
// subscription before and after), and every Actionstep record made or changed (ids).
// Entries never hold a token, a secret or a body: only ids, templates, statuses, times
// and the APIs' own error messages.
//
// Each entry carries the hash of the one before it (SHA-256 over that hash and the
// entry's columns), so changing, inserting or removing an entry breaks the chain, and
// Verify finds where. The database refuses updates, and deletes of anything but call
// entries, by trigger. Call entries may be pruned after a retention period (Prune); a
// checkpoint entry, signed with a key derived from the store's encryption key, then
// vouches for what was left of the chain it covers, so Verify still proves it whole.
//
// Entries are appended under a lock on the chain's head row (audit_head), in the
// transaction of the change they record when there is one (a credential written, a
// location's facts recorded), so the record and its audit entry commit together. Calls
// are recorded after the fact by Log, which appends them in batches.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
)

// Kinds of entry.
const (
	// KindCredential: a credential connected, minted, refreshed, rotated, marked
	// reconnect_needed or suspended, its status set, or deleted.
	KindCredential = "credential"
	// KindCall: one request to HighLevel or Actionstep. Action is its method.
	KindCall = "call"
	// KindSubscription: a change or check event a location's owner concluded. Action
	// is its outcome; From and To are the subscription before and after.
	KindSubscription = "subscription"
	// KindLifecycle: an install or uninstall event a location's owner concluded.
	KindLifecycle = "lifecycle"
	// KindActionstep: an Actionstep record made or changed. Action says how.
	KindActionstep = "actionstep"
	// KindCheckpoint: call entries were pruned; Detail.Checkpoint vouches for the rest.
	KindCheckpoint = "checkpoint"
)

// Kinds lists every kind, in the order the console and the CLI show them.
var Kinds = []string{KindCredential, KindCall, KindSubscription, KindLifecycle, KindActionstep, KindCheckpoint}

// Credential actions.
const (
	ActionConnected       = "connected"
	ActionMinted          = "minted"
	ActionRefreshed       = "refreshed"
	ActionRotated         = "rotated"
	ActionReconnectNeeded = "reconnect_needed"
	ActionSuspended       = "suspended"
	ActionStatusSet       = "status_set"
	ActionDeleted         = "deleted"
)

// Actionstep actions and records.
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
	ActionWritten = "written"

	RecordParticipant = "participant"
	RecordMatter      = "matter"
	RecordDataRecord  = "dataRecord"
	RecordDataValues  = "dataValues"
	RecordFileNote    = "fileNote"
)

// Entry is one audit entry. Seq, PrevHash and Hash are set when it is appended.
type Entry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	Kind       string    `json:"kind"`
	Action     string    `json:"action,omitempty"`
	LocationID string    `json:"locationId,omitempty"`
	CompanyID  string    `json:"companyId,omitempty"`
	// The workflow run and activity attempt that made it, when an activity did.
	WorkflowID string `json:"workflowId,omitempty"`
	RunID      string `json:"runId,omitempty"`
	Attempt    int    `json:"attempt,omitempty"`
	Detail     Detail `json:"detail,omitzero"`
	PrevHash   string `json:"prevHash"`
	Hash       string `json:"hash"`
}

// Detail holds what an entry says beyond its columns; each kind uses its own fields.
type Detail struct {
	// Credential entries: the credential's key ("highlevel/location/<id>"), its version
	// and expiry after the change, and why (a status's reason).
	Credential string    `json:"credential,omitempty"`
	Version    int64     `json:"version,omitempty"`
	Expiry     time.Time `json:"expiry,omitzero"`
	Reason     string    `json:"reason,omitempty"`
	// Call entries: the API, the endpoint's path template, the HTTP status (0: no
	// answer) and how long it took.
	API        string  `json:"api,omitempty"`
	Endpoint   string  `json:"endpoint,omitempty"`
	Status     int     `json:"status,omitempty"`
	DurationMs float64 `json:"durationMs,omitempty"`
	// Subscription and lifecycle entries: the event, and the subscription before and
	// after it was concluded.
	EventID    string        `json:"eventId,omitempty"`
	EventKind  string        `json:"eventKind,omitempty"`
	Source     string        `json:"source,omitempty"`
	OccurredAt time.Time     `json:"occurredAt,omitzero"`
	Message    string        `json:"message,omitempty"`
	From       *Subscription `json:"from,omitempty"`
	To         *Subscription `json:"to,omitempty"`
	// Actionstep entries: the record's type and id.
	Record   string `json:"record,omitempty"`
	RecordID string `json:"recordId,omitempty"`
	// Checkpoint entries.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
}

// Subscription is a location's subscription as an entry records it.
type Subscription struct {
	SubscriptionID string `json:"subscriptionId,omitempty"`
	PlanID         string `json:"planId,omitempty"`
	Status         string `json:"status,omitempty"`
	Paused         bool   `json:"paused,omitempty"`
}

// genesis is the previous hash of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// messageLimit bounds the text an entry carries (an API's message, a status's reason).
const messageLimit = 1000

// Execer is what entries are appended through: a transaction, or a connection holding
// one.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Append appends the entries, in order, through tx, which must be a transaction: the
// chain's head row stays locked until it ends, so appends of every process take turns.
// On SQLite, Append's first statement is a write, so in a deferred transaction call it
// before reading anything whose snapshot must be current. Entries without a time get
// now; without a workflow, the activity of ctx (if any).
func Append(ctx context.Context, tx Execer, entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash`).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("audit: lock the chain: %w", err)
	}
	scope := ScopeOf(ctx)
	now := time.Now()
	for _, e := range entries {
		if e.Kind == "" {
			return errors.New("audit: an entry needs a kind")
		}
		e = scope.fill(e)
		if e.At.IsZero() {
			e.At = now
		}
		seq++
		row, err := newRow(e, seq, prev)
		if err != nil {
			return err
		}
		if err := row.insert(ctx, tx); err != nil {
			return fmt.Errorf("audit: append entry %d: %w", seq, err)
		}
		prev = row.hash
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, seq, prev); err != nil {
		return fmt.Errorf("audit: move the chain's head: %w", err)
	}
	return nil
}

// Scope is the workflow run and attempt an entry is made in.
type Scope struct {
	WorkflowID, RunID string
	Attempt           int
}

// ScopeOf returns the activity's workflow run and attempt when ctx is an activity's.
func ScopeOf(ctx context.Context) Scope {
	if ctx == nil || !activity.IsActivity(ctx) {
		return Scope{}
	}
	info := activity.GetInfo(ctx)
	return Scope{WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID, Attempt: int(info.Attempt)}
}

func (s Scope) fill(e Entry) Entry {
	if e.WorkflowID == "" {
		e.WorkflowID, e.RunID, e.Attempt = s.WorkflowID, s.RunID, s.Attempt
	}
	return e
}

// row is an entry as stored: its detail encoded once, so the hash covers exactly the
// bytes in the database.
type row struct {
	seq                                              int64
	at                                               int64 // unix microseconds
	kind, action, location, company, workflow, runID string
	attempt                                          int
	detail, prevHash, hash                           string
}

func newRow(e Entry, seq int64, prev string) (row, error) {
	e.Detail.Message = clip(e.Detail.Message)
	e.Detail.Reason = clip(e.Detail.Reason)
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return row{}, fmt.Errorf("audit: encode entry: %w", err)
	}
	r := row{seq: seq, at: e.At.UnixMicro(), kind: e.Kind, action: e.Action, location: e.LocationID, company: e.CompanyID,
		workflow: e.WorkflowID, runID: e.RunID, attempt: e.Attempt, detail: string(detail), prevHash: prev}
	r.hash = r.computeHash()
	return r, nil
}

// hashed is what an entry's hash covers, in a fixed order.
type hashed struct {
	Seq      int64  `json:"seq"`
	At       int64  `json:"at"`
	Kind     string `json:"kind"`
	Action   string `json:"action"`
	Location string `json:"locationId"`
	Company  string `json:"companyId"`
	Workflow string `json:"workflowId"`
	RunID    string `json:"runId"`
	Attempt  int    `json:"attempt"`
	Detail   string `json:"detail"`
}

// computeHash is SHA-256 over the previous hash and the entry's columns.
func (r row) computeHash() string {
	b, _ := json.Marshal(hashed{Seq: r.seq, At: r.at, Kind: r.kind, Action: r.action, Location: r.location, Company: r.company,
		Workflow: r.workflow, RunID: r.runID, Attempt: r.attempt, Detail: r.detail}) // cannot fail: strings and numbers
	h := sha256.New()
	h.Write([]byte(r.prevHash))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

const rowColumns = `seq, at, kind, action, location_id, company_id, workflow_id, run_id, attempt, detail, prev_hash, hash`

func (r row) insert(ctx context.Context, tx Execer) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (`+rowColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.seq, r.at, r.kind, r.action, r.location, r.company, r.workflow, r.runID, r.attempt, r.detail, r.prevHash, r.hash)
	return err
}

func scanRow(scan func(...any) error) (row, error) {
	var r row
	err := scan(&r.seq, &r.at, &r.kind, &r.action, &r.location, &r.company, &r.workflow, &r.runID, &r.attempt, &r.detail, &r.prevHash, &r.hash)
	return r, err
}

// entry decodes a stored row.
func (r row) entry() (Entry, error) {
	e := Entry{Seq: r.seq, At: time.UnixMicro(r.at).UTC(), Kind: r.kind, Action: r.action, LocationID: r.location, CompanyID: r.company,
		WorkflowID: r.workflow, RunID: r.runID, Attempt: r.attempt, PrevHash: r.prevHash, Hash: r.hash}
	if err := json.Unmarshal([]byte(r.detail), &e.Detail); err != nil {
		return e, fmt.Errorf("audit: entry %d: decode its detail: %w", r.seq, err)
	}
	return e, nil
}

// clip cuts s to messageLimit bytes without splitting a UTF-8 sequence.
func clip(s string) string {
	if len(s) <= messageLimit {
		return s
	}
	n := messageLimit
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return strings.ToValidUTF8(s[:n], "")
}

// Begin starts a transaction that will append to the chain, with the chain locked first:
// on SQLite a deferred transaction's snapshot is taken at its first statement, and one
// that read before writing could not then write if another process wrote meanwhile. Use
// it when the transaction reads what it records (the state before a change).
func Begin(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = seq WHERE id = 1`); err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("audit: lock the chain: %w", err)
	}
	return tx, nil
}
