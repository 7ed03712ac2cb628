package tokens

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/schema"
)

// Store is the credential store. It is safe for concurrent use, and several processes may open
// the same database.
type Store struct {
	db       *sql.DB
	dialect  dialect
	sealer   *sealer
	log      *zap.Logger
	keyLocks keyLocks

	keyID   byte
	oldKeys map[byte][]byte

	schema    schema.DB
	noMigrate bool

	onRefresh      func(kind Kind, outcome string)
	skew           time.Duration
	lockTimeout    time.Duration
	refreshTimeout time.Duration

	// bg is the context of TokenSource calls, which get none from oauth2; Close cancels it.
	bg     context.Context
	cancel context.CancelFunc
}

// Option configures Open.
type Option func(*Store)

// WithLogger sets the logger for the audit trail (stores, rotations, status changes). Nothing
// secret is logged.
func WithLogger(l *zap.Logger) Option {
	return func(s *Store) {
		if l != nil {
			s.log = l
		}
	}
}

// WithRefreshSkew sets how long an access token must still be valid for Token to hand it out
// without refreshing (default 2 minutes).
func WithRefreshSkew(d time.Duration) Option { return func(s *Store) { s.skew = d } }

// WithLockTimeout bounds the wait for the refresh lock and for any database lock a statement waits
// on: SQLite's write lock, PostgreSQL's row and migration locks (default 30 s).
func WithLockTimeout(d time.Duration) Option { return func(s *Store) { s.lockTimeout = d } }

// WithRefreshObserver is told the outcome of every refresh call ("ok", "suspended",
// "reconnect_needed" or "error") and the credential's kind, for metrics. It must be
// fast: it runs while the credential is locked.
func WithRefreshObserver(f func(kind Kind, outcome string)) Option {
	return func(s *Store) { s.onRefresh = f }
}

// WithKeyID gives the id of the key passed to Open (default DefaultKeyID). Every row written is
// sealed with that key and names its id.
func WithKeyID(id byte) Option { return func(s *Store) { s.keyID = id } }

// WithOldKeys adds retired keys by id: rows sealed with them stay readable, and are sealed with
// the current key when next written or by Reencrypt. Keep a key listed until Reencrypt reports
// that no row needs it.
func WithOldKeys(keys map[byte][]byte) Option { return func(s *Store) { s.oldKeys = keys } }

// WithoutMigrating opens the database as it is, for `starter migrate`: Open otherwise
// brings its schema up to date (internal/schema).
func WithoutMigrating() Option { return func(s *Store) { s.noMigrate = true } }

// WithRefreshTimeout bounds one Refresher call, during which the lock is held (default 30 s).
func WithRefreshTimeout(d time.Duration) Option { return func(s *Store) { s.refreshTimeout = d } }

// Open opens (creating or migrating as needed) the store at dsn: a SQLite file path,
// sqlite:///path or a file: URI for a store on one host; a postgres:// or postgresql:// URL
// (postgres://user:pass@host:5432/db?sslmode=disable, any pgx connection parameter, such as
// search_path, in the query) for one shared by several worker hosts. key is the 32-byte AES-256
// encryption key that seals every write (see WithKeyID and WithOldKeys for rotation). A SQLite
// file and its -wal and -shm companions are readable by their owner only (0600).
func Open(ctx context.Context, dsn string, key []byte, opts ...Option) (*Store, error) {
	s := &Store{
		keyID:          DefaultKeyID,
		log:            zap.NewNop(),
		skew:           2 * time.Minute,
		lockTimeout:    30 * time.Second,
		refreshTimeout: 30 * time.Second,
	}
	for _, o := range opts {
		o(s)
	}
	if s.skew < 0 || s.lockTimeout <= 0 || s.refreshTimeout <= 0 {
		return nil, errors.New("tokens: the lock and refresh timeouts must be positive, the skew not negative")
	}
	var err error
	if s.sealer, err = newKeyring(s.keyID, key, s.oldKeys); err != nil {
		return nil, err
	}
	if s.db, s.dialect, s.schema, err = openDB(ctx, dsn, s.lockTimeout); err != nil {
		return nil, err
	}
	if !s.noMigrate {
		if _, err := schema.Up(ctx, s.schema); err != nil {
			_ = s.db.Close()
			return nil, redactPassword(fmt.Errorf("tokens: %w", err), dsn)
		}
	}
	s.bg, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Close cancels pending TokenSource calls and closes the database.
func (s *Store) Close() error {
	s.cancel()
	return s.db.Close()
}

// Put stores t under key, replacing whatever was there (a re-install), with status active.
func (s *Store) Put(ctx context.Context, key string, t Token) error {
	if t.AccessToken == "" && t.RefreshToken == "" {
		return s.fail("put", key, errors.New("token has neither an access nor a refresh token"))
	}
	var version int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if version, err = s.write(ctx, tx, key, t); err != nil {
			return err
		}
		return audit.Append(ctx, tx, credentialEntry(key, putAction(key), version, t.Expiry, ""))
	})
	if err != nil {
		return s.fail("put", key, err)
	}
	s.log.Info("credential stored", zap.String("key", key), zap.Int64("version", version),
		zap.Time("expiry", t.Expiry))
	return nil
}

// Get returns the stored credential as is, whatever its status, without refreshing it.
func (s *Store) Get(ctx context.Context, key string) (Token, Info, error) {
	t, info, err := s.read(ctx, s.db, key)
	if err != nil {
		return Token{}, Info{}, s.fail("get", key, err)
	}
	return t, info, nil
}

// Delete removes the credential. Deleting a missing credential is not an error, so that an
// offboarding step can be retried.
func (s *Store) Delete(ctx context.Context, key string) error {
	var deleted bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM credentials WHERE cred_key = $1`, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		deleted = true
		return audit.Append(ctx, tx, credentialEntry(key, audit.ActionDeleted, 0, time.Time{}, ""))
	})
	if err != nil {
		return s.fail("delete", key, err)
	}
	if deleted {
		s.log.Info("credential deleted", zap.String("key", key))
	}
	return nil
}

// List returns the non-secret view of every credential, ordered by key. It decrypts nothing.
func (s *Store) List(ctx context.Context) ([]Info, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+infoColumns+` FROM credentials ORDER BY cred_key`)
	if err != nil {
		return nil, fmt.Errorf("tokens: list: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Info
	for rows.Next() {
		info, _, err := scanInfo(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("tokens: list: %w", err)
		}
		out = append(out, info)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tokens: list: %w", err)
	}
	return out, nil
}

// SetStatus records a status decided outside a refresh (for example a location found suspended
// by a SaaS read, or an operator's action).
func (s *Store) SetStatus(ctx context.Context, key string, st Status, reason string) error {
	if !st.valid() {
		return s.fail("set status", key, fmt.Errorf("unknown status %q", st))
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		version, err := s.setStatus(ctx, tx, key, st, reason)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, credentialEntry(key, statusAction(st), version, time.Time{}, reason))
	})
	if err != nil {
		return s.fail("set status", key, err)
	}
	s.log.Info("credential status set", zap.String("key", key), zap.String("status", string(st)),
		zap.String("reason", reason))
	return nil
}

// fail wraps err, if any, as the failure of op on key. A database that stayed locked past the
// busy timeout is reported as ErrLockTimeout, as for the refresh lock.
func (s *Store) fail(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if s.dialect.isBusy(err) {
		err = fmt.Errorf("%w after %s: %w", ErrLockTimeout, s.lockTimeout, err)
	}
	return &Error{Op: op, Key: key, Err: err}
}

// conn is what the store's queries run on: the pool, or the connection holding the lock.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const infoColumns = `cred_key, kind, status, status_reason, expiry, attrs, version, updated_at`

// scanInfo scans infoColumns, then extra columns into extra, and returns the raw attrs column
// too, which the sealed secret is bound to.
func scanInfo(scan func(dest ...any) error, extra ...any) (Info, string, error) {
	var (
		info            Info
		expiry, updated int64
		attrs           string
	)
	dest := append([]any{&info.Key, &info.Kind, &info.Status, &info.StatusReason, &expiry, &attrs,
		&info.Version, &updated}, extra...)
	if err := scan(dest...); err != nil {
		return Info{}, "", err
	}
	if err := json.Unmarshal([]byte(attrs), &info.Attrs); err != nil {
		return Info{}, "", fmt.Errorf("decode attrs of %s: %w", info.Key, err)
	}
	if len(info.Attrs) == 0 {
		info.Attrs = nil
	}
	info.Expiry, info.UpdatedAt = fromMillis(expiry), fromMillis(updated)
	return info, attrs, nil
}

// read loads and decrypts one credential.
func (s *Store) read(ctx context.Context, c conn, key string) (Token, Info, error) {
	var blob []byte
	row := c.QueryRowContext(ctx, `SELECT `+infoColumns+`, secret FROM credentials WHERE cred_key = $1`, key)
	info, attrs, err := scanInfo(row.Scan, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, Info{}, ErrNotFound
	}
	if err != nil {
		return Token{}, Info{}, err
	}
	sec, err := s.sealer.open(binding{key: key, attrs: attrs, expiry: toMillis(info.Expiry)}, blob)
	if err != nil {
		return Token{}, Info{}, err
	}
	return Token{
		AccessToken:  sec.AccessToken,
		RefreshToken: sec.RefreshToken,
		TokenType:    sec.TokenType,
		Expiry:       info.Expiry,
		Attrs:        maps.Clone(info.Attrs),
		Secrets:      sec.Secrets,
	}, info, nil
}

// write upserts t under key with status active and returns the row's new version.
func (s *Store) write(ctx context.Context, c conn, key string, t Token) (int64, error) {
	kind, err := parseKey(key)
	if err != nil {
		return 0, err
	}
	attrs := "{}"
	if len(t.Attrs) > 0 {
		b, err := json.Marshal(t.Attrs)
		if err != nil {
			return 0, fmt.Errorf("encode attrs: %w", err)
		}
		attrs = string(b)
	}
	expiry := toMillis(t.Expiry)
	blob, err := s.sealer.seal(binding{key: key, attrs: attrs, expiry: expiry}, t)
	if err != nil {
		return 0, err
	}
	var version int64
	err = c.QueryRowContext(ctx, `
		INSERT INTO credentials (cred_key, kind, status, status_reason, expiry, attrs, secret, version, updated_at)
		VALUES ($1, $2, $3, '', $4, $5, $6, 1, $7)
		ON CONFLICT (cred_key) DO UPDATE SET
			kind = excluded.kind, status = excluded.status, status_reason = '', expiry = excluded.expiry,
			attrs = excluded.attrs, secret = excluded.secret, version = credentials.version + 1,
			updated_at = excluded.updated_at
		RETURNING version`,
		key, string(kind), string(StatusActive), expiry, attrs, blob, toMillis(time.Now()),
	).Scan(&version)
	return version, err
}

// setStatus sets a credential's status and returns its new version.
func (s *Store) setStatus(ctx context.Context, c conn, key string, st Status, reason string) (int64, error) {
	var version int64
	err := c.QueryRowContext(ctx, `
		UPDATE credentials SET status = $2, status_reason = $3, version = version + 1, updated_at = $4
		WHERE cred_key = $1 RETURNING version`,
		key, string(st), reason, toMillis(time.Now())).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return version, err
}

// toMillis stores the zero time as 0, so that "never expires" survives the round trip.
func toMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// DB is the store's database, which also holds the location owners' facts
// (internal/facts), the audit trail (internal/audit) and the fleet's request pacing
// (internal/pacing); its schema is migrated by Open.
func (s *Store) DB() *sql.DB { return s.db }

// Schema is the store's database as internal/schema migrates it.
func (s *Store) Schema() schema.DB { return s.schema }

// Postgres reports whether the store is on PostgreSQL (else SQLite): what DB's users
// need to know to lock a row of their own.
func (s *Store) Postgres() bool {
	_, ok := s.dialect.(postgresDialect)
	return ok
}
