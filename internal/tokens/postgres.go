package tokens

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/saasbridge/saasbridge/internal/schema"
)

// postgresConnectTimeout applies when the DSN sets no connect_timeout, so that Open against an
// unreachable host fails instead of hanging on TCP.
const postgresConnectTimeout = 10 * time.Second

// postgresDialect locks one credential's row per refresh, so refreshes of different credentials
// proceed in parallel across every worker host.
type postgresDialect struct {
	lockTimeout time.Duration
}

// openPostgres opens a postgres:// or postgresql:// URL through pgx's database/sql driver (it
// connects on first use). Every session gets:
//   - lock_timeout = the store's lock timeout, so that any statement waiting on a row lock held by
//     a refresh (Put, SetStatus, Delete) gives up like SQLite's busy_timeout does, and so does the
//     migration's advisory lock;
//   - synchronous_commit = on, whatever the server's default: a rotated refresh token that is lost
//     after commit is a credential lost for good (SQLite's synchronous=FULL).
func openPostgres(dsn string, lockTimeout time.Duration) (*sql.DB, dialect, schema.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, nil, schema.DB{}, fmt.Errorf("tokens: postgres DSN: %w", redactPassword(err, dsn))
	}
	cfg.RuntimeParams["lock_timeout"] = fmt.Sprint(max(lockTimeout.Milliseconds(), 1))
	cfg.RuntimeParams["synchronous_commit"] = "on"
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "saasbridge-tokens"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = postgresConnectTimeout
	}
	db := stdlib.OpenDB(*cfg)
	return db, postgresDialect{lockTimeout: lockTimeout}, schema.DB{DB: db, Engine: schema.Postgres}, nil
}

// beginLocked locks credKey's row: BEGIN, then SELECT … FOR UPDATE, which waits for a refresh of
// the same credential by any process and lets every other credential through. The wait is bounded
// by the server (SET LOCAL lock_timeout, to the time ctx has left, so the error is the server's
// lock_not_available rather than a torn-down connection) and by ctx. Under READ COMMITTED each
// later statement of the transaction sees what the previous holder committed, so the caller's
// re-read is current. A missing row locks nothing; the caller's read then reports ErrNotFound.
func (d postgresDialect) beginLocked(ctx context.Context, conn *sql.Conn, credKey string) error {
	wait := d.lockTimeout
	if deadline, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(deadline))
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	err := d.lockRow(ctx, conn, credKey, max(wait.Milliseconds(), 1)) // 0 would mean no limit
	if err != nil {
		rollback(conn)
	}
	return err
}

func (postgresDialect) lockRow(ctx context.Context, conn *sql.Conn, credKey string, waitMillis int64) error {
	// SET takes no bind parameters; the value is a number of ours.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", waitMillis)); err != nil {
		return err
	}
	var one int
	err := conn.QueryRowContext(ctx, `SELECT 1 FROM credentials WHERE cred_key = $1 FOR UPDATE`, credKey).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// isBusy: SQLSTATE 55P03 lock_not_available, which is what lock_timeout raises.
func (postgresDialect) isBusy(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// redactPassword hides the DSN's password from err's message, should a driver error quote the
// DSN (pgx redacts it itself, on a best-effort basis).
func redactPassword(err error, dsn string) error {
	u, perr := url.Parse(dsn)
	if perr != nil || u.User == nil {
		return err
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" {
		return err
	}
	msg := err.Error()
	clean := strings.NewReplacer(pw, "xxxxx", url.QueryEscape(pw), "xxxxx", url.PathEscape(pw), "xxxxx").Replace(msg)
	if clean == msg {
		return err
	}
	return &scrubbed{err: err, msg: clean}
}
