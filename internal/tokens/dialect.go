package tokens

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/saasbridge/saasbridge/internal/schema"
)

// dialect is what differs between database engines. The store's queries use $N placeholders and
// INSERT … ON CONFLICT, which SQLite and PostgreSQL both accept, so only opening and the lock
// live here; the schema is internal/schema's.
type dialect interface {
	// beginLocked starts a transaction on conn that holds the cross-process lock for credKey,
	// waiting at most until ctx is done. Until the transaction ends, no other process can take
	// the same lock or write the credential's row, so what the holder reads stays current. On
	// error no transaction is left open. (SQLite: BEGIN IMMEDIATE, which locks the whole
	// database for writing; PostgreSQL: BEGIN plus SELECT … FOR UPDATE on the credential's row.)
	beginLocked(ctx context.Context, conn *sql.Conn, credKey string) error
	// isBusy reports whether err means the engine gave up waiting for a lock.
	isBusy(err error) bool
}

// openDB picks the dialect from the DSN and opens the database, which schema.Up then migrates.
func openDB(ctx context.Context, dsn string, lockTimeout time.Duration) (*sql.DB, dialect, schema.DB, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(dsn, lockTimeout)
	default:
		return openSQLite(ctx, dsn, lockTimeout)
	}
}
