package audit

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Filter selects entries. Zero fields select everything.
type Filter struct {
	LocationID string
	// Since and Until bound the entries' times: Since ≤ at < Until.
	Since, Until time.Time
	Kinds        []string
	// Newest lists the newest first (default: oldest first).
	Newest bool
	// Limit caps how many are listed (0: no cap).
	Limit int
}

// Validate reports an unknown kind.
func (f Filter) Validate() error {
	for _, k := range f.Kinds {
		if !slices.Contains(Kinds, k) {
			return fmt.Errorf("unknown kind %q (kinds: %s)", k, strings.Join(Kinds, ", "))
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return fmt.Errorf("since (%s) must be before until (%s)", f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339))
	}
	return nil
}

// Query calls fn with each entry the filter selects, in time order (entries of the same
// instant in chain order), streaming them from the database.
func Query(ctx context.Context, db *sql.DB, f Filter, fn func(Entry) error) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	query, args := f.sql()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("audit: read entries: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		r, err := scanRow(rows.Scan)
		if err != nil {
			return fmt.Errorf("audit: read entries: %w", err)
		}
		e, err := r.entry()
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: read entries: %w", err)
	}
	return nil
}

// sql builds the filter's query; every value is a bind parameter.
func (f Filter) sql() (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.LocationID != "" {
		where = append(where, "location_id = "+arg(f.LocationID))
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= "+arg(f.Since.UnixMicro()))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < "+arg(f.Until.UnixMicro()))
	}
	if len(f.Kinds) > 0 {
		marks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			marks[i] = arg(k)
		}
		where = append(where, "kind IN ("+strings.Join(marks, ", ")+")")
	}
	q := `SELECT ` + rowColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Newest {
		q += " ORDER BY at DESC, seq DESC"
	} else {
		q += " ORDER BY at, seq"
	}
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	return q, args
}

// Formats of Export.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// Export writes the entries the filter selects to w, one JSON object a line (jsonl) or
// as CSV with a header row, and returns how many it wrote.
func Export(ctx context.Context, db *sql.DB, f Filter, format string, w io.Writer) (int, error) {
	var n int
	switch format {
	case FormatJSONL, "":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		err := Query(ctx, db, f, func(e Entry) error { n++; return enc.Encode(e) })
		return n, err
	case FormatCSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(csvHeader); err != nil {
			return 0, err
		}
		err := Query(ctx, db, f, func(e Entry) error { n++; return cw.Write(csvRecord(e)) })
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		return n, err
	}
	return 0, fmt.Errorf("audit: unknown format %q (jsonl or csv)", format)
}

var csvHeader = []string{"seq", "at", "kind", "action", "locationId", "companyId", "workflowId", "runId", "attempt",
	"credential", "version", "api", "endpoint", "status", "durationMs", "eventId", "eventKind", "source", "occurredAt",
	"from", "to", "message", "record", "recordId", "reason", "prevHash", "hash"}

func csvRecord(e Entry) []string {
	d := e.Detail
	return []string{strconv.FormatInt(e.Seq, 10), stamp(e.At), e.Kind, e.Action, e.LocationID, e.CompanyID, e.WorkflowID, e.RunID,
		intOrEmpty(int64(e.Attempt)), d.Credential, intOrEmpty(d.Version), d.API, d.Endpoint, intOrEmpty(int64(d.Status)),
		floatOrEmpty(d.DurationMs), d.EventID, d.EventKind, d.Source, stamp(d.OccurredAt), d.From.String(), d.To.String(),
		d.Message, d.Record, d.RecordID, d.Reason, e.PrevHash, e.Hash}
}

// String is "plan/status" (and "paused"), for a CSV cell or a timeline.
func (s *Subscription) String() string {
	if s == nil {
		return ""
	}
	out := strings.Join(slices.DeleteFunc([]string{s.PlanID, s.Status, s.SubscriptionID}, func(v string) bool { return v == "" }), " / ")
	if s.Paused {
		out += " (paused)"
	}
	if out == "" {
		return "none"
	}
	return out
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func intOrEmpty(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

func floatOrEmpty(v float64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// LastSeq is the newest entry of a location's (0 when it has none): it moves whenever one
// is appended.
func LastSeq(ctx context.Context, db *sql.DB, locationID string) (int64, error) {
	var seq int64
	err := db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM audit_log WHERE location_id = $1`, locationID).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("audit: read %s's last entry: %w", locationID, err)
	}
	return seq, nil
}
