package tokens

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/saasbridge/saasbridge/internal/schema"
)

type sqliteDialect struct{}

func openSQLite(ctx context.Context, dsn string, lockTimeout time.Duration) (*sql.DB, dialect, schema.DB, error) {
	uri, err := sqliteURI(dsn, lockTimeout)
	if err != nil {
		return nil, nil, schema.DB{}, err
	}
	path, err := ownerOnly(uri)
	if err != nil {
		return nil, nil, schema.DB{}, err
	}
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil, nil, schema.DB{}, fmt.Errorf("tokens: open sqlite: %w", err)
	}
	d := sqliteDialect{}
	if err := d.enableWAL(ctx, db, lockTimeout); err != nil {
		_ = db.Close()
		return nil, nil, schema.DB{}, err
	}
	return db, d, schema.DB{DB: db, Engine: schema.SQLite, Path: path}, nil
}

// enableWAL switches the file to WAL, which lets readers (the lock-free fast path, List) proceed
// while a refresh holds the write lock. The mode belongs to the file, so this holds for every
// connection of every process afterwards. Switching needs an exclusive lock, which SQLite may
// refuse at once instead of waiting for (several processes opening a new file together), hence
// the retries.
func (d sqliteDialect) enableWAL(ctx context.Context, db *sql.DB, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return fmt.Errorf("tokens: open sqlite: journal mode is %q, want wal", mode)
		case !d.isBusy(err):
			return fmt.Errorf("tokens: open sqlite: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("tokens: open sqlite: enable WAL: %w", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// sqliteURI turns a path, a sqlite:///path URL or a file: URI into a modernc file: URI with the
// pragmas every connection needs:
//   - busy_timeout bounds how long a statement waits for another process's write lock;
//   - synchronous=FULL makes a committed rotation survive a power cut: a rotated refresh token
//     that is lost after commit is a credential lost for good.
func sqliteURI(dsn string, lockTimeout time.Duration) (string, error) {
	var uri string
	switch {
	case strings.HasPrefix(dsn, "file:"):
		uri = dsn
	case strings.HasPrefix(dsn, "sqlite://"):
		path, query, _ := strings.Cut(strings.TrimPrefix(dsn, "sqlite://"), "?")
		uri = fileURI(path)
		if query != "" {
			uri += "?" + query
		}
	default:
		uri = fileURI(dsn)
	}
	name, query, hasQuery := strings.Cut(strings.TrimPrefix(uri, "file:"), "?")
	if name == "" || name == ":memory:" || strings.Contains(query, "mode=memory") {
		// Each pooled connection would get its own private database, and the lock would
		// serialize nothing across processes.
		return "", fmt.Errorf("tokens: sqlite DSN %q: the token store needs a database file", dsn)
	}
	sep := "?"
	if hasQuery {
		sep = "&"
	}
	return fmt.Sprintf("%s%s_pragma=busy_timeout(%d)&_pragma=synchronous(FULL)",
		uri, sep, lockTimeout.Milliseconds()), nil
}

// ownerOnly creates the database file readable and writable by its owner only (0600), or
// tightens an existing one, before SQLite opens it: the file holds sealed tokens and the audit
// columns. SQLite gives the -wal and -shm files it creates the database file's permissions; those
// left by an older version are tightened too.
// It returns the file's path.
func ownerOnly(uri string) (string, error) {
	name, _, _ := strings.Cut(strings.TrimPrefix(uri, "file:"), "?")
	path, err := url.PathUnescape(name)
	if err != nil {
		return "", fmt.Errorf("tokens: sqlite path: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("tokens: open sqlite: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("tokens: open sqlite: %w", err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("tokens: restrict %s to its owner: %w", filepath.Base(p), err)
		}
	}
	return path, nil
}

// fileURI escapes the characters that are special in a SQLite URI.
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// beginLocked takes SQLite's single write lock. It covers every credential, which is fine for an
// embedded store (refreshes are rare and short) and is what makes the re-read inside it current:
// BEGIN IMMEDIATE starts the read snapshot only once the lock is held.
func (sqliteDialect) beginLocked(ctx context.Context, conn *sql.Conn, _ string) error {
	_, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	return err
}

func (sqliteDialect) isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}
