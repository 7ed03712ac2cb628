package tokens

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/audit"
)

// Refresher exchanges the current refresh token for a new pair with one HTTP call. The HighLevel
// and Actionstep clients implement it. It must wrap ErrInvalidGrant when the server rejects the
// refresh token and ErrInactive when the account is not active, and must not put tokens in its
// errors (the store scrubs the ones it knows of, as a second line of defence).
//
// The returned Token's empty fields keep their stored values: a response without a refresh token
// keeps the old one (RFC 6749 §6), and its Attrs and Secrets are merged over the stored ones.
type Refresher interface {
	Refresh(ctx context.Context, current Token) (Token, error)
}

// RefresherFunc adapts a function to Refresher.
type RefresherFunc func(ctx context.Context, current Token) (Token, error)

// Refresh calls f.
func (f RefresherFunc) Refresh(ctx context.Context, current Token) (Token, error) {
	return f(ctx, current)
}

// Token returns an access token for key that is valid for at least the refresh skew, refreshing
// it with r under the lock when needed. A credential that is suspended or needs re-connecting is
// not refreshed: Token returns ErrSuspended or ErrReconnectNeeded straight away, so a dead
// credential costs no HTTP call per use. The result carries no RefreshToken: only the Refresher
// needs it.
func (s *Store) Token(ctx context.Context, key string, r Refresher) (Token, error) {
	t, err := s.obtain(ctx, key, r, func(Token) bool { return false })
	return t, s.fail("get token", key, err)
}

// Refresh forces a refresh, typically after the API answered 401 to stale, the access token the
// caller used. If the stored access token already differs from stale, another caller has rotated
// it and Refresh behaves like Token instead. With stale empty it always refreshes; that is also
// how a suspended or reconnect_needed credential is retried (say, once the location is active
// again).
func (s *Store) Refresh(ctx context.Context, key string, r Refresher, stale string) (Token, error) {
	t, err := s.obtain(ctx, key, r, func(t Token) bool { return stale == "" || t.AccessToken == stale })
	return t, s.fail("refresh", key, err)
}

// obtain implements Token and Refresh; force says whether a stored token must be refreshed
// whatever its state.
func (s *Store) obtain(ctx context.Context, key string, r Refresher, force func(Token) bool) (Token, error) {
	if t, ok, err := s.peek(ctx, key, force); ok || err != nil {
		return t, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, s.lockTimeout)
	defer cancel()
	unlock, err := s.keyLocks.lock(waitCtx, key)
	if err != nil {
		return Token{}, s.lockErr(ctx, waitCtx, err)
	}
	defer unlock()
	// Another goroutine of this process may have refreshed it while this one waited; finding that
	// out needs no database lock.
	if t, ok, err := s.peek(waitCtx, key, force); ok || err != nil {
		return t, err
	}
	return s.refreshLocked(ctx, waitCtx, key, r, force)
}

// peek reads the credential without locking. Unless it needs a refresh, it returns what the
// caller gets, with ok set.
func (s *Store) peek(ctx context.Context, key string, force func(Token) bool) (t Token, ok bool, err error) {
	t, info, err := s.read(ctx, s.db, key)
	if err != nil {
		return Token{}, false, err
	}
	if s.needsRefresh(t, info, force) {
		return Token{}, false, nil
	}
	t, err = result(t, info)
	return t, true, err
}

func (s *Store) needsRefresh(t Token, info Info, force func(Token) bool) bool {
	return force(t) || info.Status == StatusActive && !t.fresh(time.Now(), s.skew)
}

// result is what a caller gets for a stored credential that is not to be refreshed.
func result(t Token, info Info) (Token, error) {
	switch info.Status {
	case StatusSuspended:
		return Token{}, fmt.Errorf("%w: %s", ErrSuspended, info.StatusReason)
	case StatusReconnectNeeded:
		return Token{}, fmt.Errorf("%w: %s", ErrReconnectNeeded, info.StatusReason)
	}
	t.RefreshToken = ""
	return t, nil
}

// refreshLocked takes the database lock, waiting until waitCtx is done, then decides again on the
// re-read credential, refreshes and commits.
func (s *Store) refreshLocked(ctx, waitCtx context.Context, key string, r Refresher, force func(Token) bool) (Token, error) {
	row, err := s.lockRow(ctx, waitCtx, key)
	if err != nil {
		return Token{}, err
	}
	defer row.release()
	cur, info, err := s.read(waitCtx, row.conn, key)
	if err != nil {
		return Token{}, err
	}
	if !s.needsRefresh(cur, info, force) {
		s.log.Debug("credential already refreshed by another caller", zap.String("key", key),
			zap.Int64("version", info.Version))
		return result(cur, info)
	}
	// Last point at which giving up is harmless. Past it the server may rotate the pair, so the
	// call and the write below run to completion whatever happens to the caller.
	if err := ctx.Err(); err != nil {
		return Token{}, err
	}
	work := context.WithoutCancel(ctx)
	o, err := s.refresh(work, key, r, cur)
	if err != nil {
		return Token{}, err
	}
	version, err := s.storeOutcome(work, row, key, cur, o)
	if err != nil {
		return Token{}, err
	}
	return s.report(key, o, version)
}

// lockedRow is a connection holding the credential's row lock in an open transaction.
type lockedRow struct {
	conn      *sql.Conn
	committed bool
}

// lockRow opens a connection and takes the credential's row lock on it.
func (s *Store) lockRow(ctx, waitCtx context.Context, key string) (*lockedRow, error) {
	conn, err := s.db.Conn(waitCtx)
	if err != nil {
		return nil, s.lockErr(ctx, waitCtx, err)
	}
	if err := s.dialect.beginLocked(waitCtx, conn, key); err != nil {
		_ = conn.Close()
		return nil, s.lockErr(ctx, waitCtx, err)
	}
	return &lockedRow{conn: conn}, nil
}

// release rolls back what was not committed and returns the connection.
func (l *lockedRow) release() {
	if !l.committed {
		rollback(l.conn)
	}
	_ = l.conn.Close() // ErrConnDone if rollback already discarded it
}

// outcome is what one call of the refresher came to: the credential's new status, the sentinel
// that reports a non-active one, the merged credential and the scrubbed cause of a failure.
type outcome struct {
	status   Status
	sentinel error
	next     Token
	cause    error
}

// refresh calls the refresher and decides the outcome; a transient failure, which changes
// nothing, is returned as an error.
func (s *Store) refresh(work context.Context, key string, r Refresher, cur Token) (outcome, error) {
	next, rerr := s.callRefresher(work, r, cur)
	var o outcome
	if rerr != nil {
		o.cause = scrub(rerr, cur.AccessToken, cur.RefreshToken)
	}
	o.status, o.sentinel = statusAfter(rerr)
	s.observe(key, o.status)
	switch o.status {
	case "":
		return o, fmt.Errorf("refresh: %w", o.cause)
	case StatusActive:
		if o.next = merge(cur, next); o.next.AccessToken == "" {
			return o, errors.New("refresher returned no access token")
		}
	}
	return o, nil
}

// storeOutcome writes the refreshed credential (or its new status) and its audit entry, and
// commits; it returns the credential's new version.
func (s *Store) storeOutcome(work context.Context, row *lockedRow, key string, cur Token, o outcome) (int64, error) {
	ctx, cancel := context.WithTimeout(work, s.lockTimeout)
	defer cancel()
	var version int64
	var err error
	if o.status == StatusActive {
		version, err = s.write(ctx, row.conn, key, o.next)
	} else {
		version, err = s.setStatus(ctx, row.conn, key, o.status, o.cause.Error())
	}
	if err == nil {
		err = audit.Append(ctx, row.conn, refreshEntry(key, o.status, cur, o.next, version, o.cause))
	}
	if err == nil {
		row.committed = true // commit rolls back by itself when it fails
		err = commit(row.conn)
	}
	if err != nil {
		if o.status == StatusActive {
			// The server has rotated the pair, so the stored refresh token is now dead.
			s.log.Error("rotated credential could not be stored", zap.String("key", key), zap.Error(err))
		}
		return 0, fmt.Errorf("store the outcome (%s): %w", o.status, err)
	}
	return version, nil
}

// report logs the stored outcome and turns it into what the caller gets.
func (s *Store) report(key string, o outcome, version int64) (Token, error) {
	if o.status != StatusActive {
		s.log.Warn("credential marked "+string(o.status), zap.String("key", key), zap.Error(o.cause))
		return Token{}, fmt.Errorf("%w: %w", o.sentinel, o.cause)
	}
	s.log.Info("credential refreshed", zap.String("key", key), zap.Int64("version", version),
		zap.Time("expiry", o.next.Expiry))
	next := o.next
	next.RefreshToken = ""
	return next, nil
}

// refreshEntry is the audit entry of a refresh's outcome: refreshed, rotated (a new
// refresh token came with it), suspended or reconnect_needed, with the scrubbed cause.
func refreshEntry(key string, st Status, cur, next Token, version int64, cause error) audit.Entry {
	if st != StatusActive {
		return credentialEntry(key, statusAction(st), version, time.Time{}, cause.Error())
	}
	action := audit.ActionRefreshed
	if next.RefreshToken != cur.RefreshToken {
		action = audit.ActionRotated
	}
	return credentialEntry(key, action, version, next.Expiry, "")
}

// observe reports a refresh attempt's outcome to the refresh observer, if any.
func (s *Store) observe(key string, st Status) {
	if s.onRefresh == nil {
		return
	}
	kind, _ := parseKey(key)
	outcome := "error"
	switch st {
	case StatusActive:
		outcome = "ok"
	case StatusSuspended, StatusReconnectNeeded:
		outcome = string(st)
	}
	s.onRefresh(kind, outcome)
}

// callRefresher gives the refresher a copy of the credential, so that it cannot alter what merge
// relies on, and a bounded context.
func (s *Store) callRefresher(ctx context.Context, r Refresher, cur Token) (Token, error) {
	ctx, cancel := context.WithTimeout(ctx, s.refreshTimeout)
	defer cancel()
	arg := cur
	arg.Attrs, arg.Secrets = maps.Clone(cur.Attrs), maps.Clone(cur.Secrets)
	return r.Refresh(ctx, arg)
}

// statusAfter maps a refresher's result to the credential's new status and the sentinel that
// reports it; "" means a transient failure that changes nothing.
//
// The refresh token sent was read under the lock, so it is the newest any process has: an invalid
// grant cannot mean that someone else rotated it meanwhile, and the credential needs a new
// authorization. Either way the row is kept; a suspended credential keeps its refresh token for
// when the account is active again.
func statusAfter(err error) (Status, error) {
	switch {
	case err == nil:
		return StatusActive, nil
	case errors.Is(err, ErrInvalidGrant):
		return StatusReconnectNeeded, ErrReconnectNeeded
	case errors.Is(err, ErrInactive):
		return StatusSuspended, ErrSuspended
	default:
		return "", nil
	}
}

// merge fills next's empty fields from cur (see Refresher).
func merge(cur, next Token) Token {
	if next.RefreshToken == "" {
		next.RefreshToken = cur.RefreshToken
	}
	if next.TokenType == "" {
		next.TokenType = cur.TokenType
	}
	next.Attrs = mergeMaps(cur.Attrs, next.Attrs)
	next.Secrets = mergeMaps(cur.Secrets, next.Secrets)
	return next
}

func mergeMaps(old, updates map[string]string) map[string]string {
	if len(old) == 0 {
		return updates
	}
	out := maps.Clone(old)
	maps.Copy(out, updates)
	return out
}

// lockErr tells the caller's own cancellation apart from the lock wait running out.
func (s *Store) lockErr(ctx, waitCtx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("waiting for the refresh lock: %w", ctx.Err())
	case waitCtx.Err() != nil || s.dialect.isBusy(err):
		return fmt.Errorf("%w after %s: another caller is refreshing this credential, or holds the database's write lock",
			ErrLockTimeout, s.lockTimeout)
	default:
		return fmt.Errorf("take the refresh lock: %w", err)
	}
}
