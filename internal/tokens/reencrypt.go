package tokens

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"go.uber.org/zap"
)

// ReencryptResult is what Reencrypt did.
type ReencryptResult struct {
	// Checked counts the credentials read; Reencrypted those sealed with an old key and now
	// sealed with the current one.
	Checked, Reencrypted int
}

// Reencrypt seals with the current key every credential still sealed with an old one, so that
// the old keys can be dropped from the configuration. Each row is rewritten under its
// credential's lock (the one refreshes take), with every plain column, its status and its
// version unchanged: it is safe to run while workers use and refresh the credentials. A row
// that no configured key opens stops the run with an error naming it.
func (s *Store) Reencrypt(ctx context.Context) (ReencryptResult, error) {
	keys, err := s.staleKeys(ctx)
	if err != nil {
		return ReencryptResult{}, fmt.Errorf("tokens: reencrypt: %w", err)
	}
	res := ReencryptResult{Checked: keys.checked}
	for _, key := range keys.stale {
		done, err := s.reencryptOne(ctx, key)
		if err != nil {
			return res, s.fail("reencrypt", key, err)
		}
		if done {
			res.Reencrypted++
		}
	}
	s.log.Info("credentials re-encrypted", zap.Int("checked", res.Checked), zap.Int("reencrypted", res.Reencrypted),
		zap.Int("keyId", int(s.sealer.current)))
	return res, nil
}

type staleKeys struct {
	checked int
	stale   []string
}

// staleKeys lists the credentials whose secret names a key other than the current one.
func (s *Store) staleKeys(ctx context.Context) (staleKeys, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT cred_key, secret FROM credentials ORDER BY cred_key`)
	if err != nil {
		return staleKeys{}, err
	}
	defer func() { _ = rows.Close() }()
	var out staleKeys
	for rows.Next() {
		var (
			key  string
			blob []byte
		)
		if err := rows.Scan(&key, &blob); err != nil {
			return staleKeys{}, err
		}
		out.checked++
		if sealedWith(blob) != s.sealer.current {
			out.stale = append(out.stale, key)
		}
	}
	return out, rows.Err()
}

// reencryptOne re-seals one credential under its lock; false when there was nothing to do (it
// was deleted, or rewritten with the current key meanwhile).
func (s *Store) reencryptOne(ctx context.Context, key string) (bool, error) {
	waitCtx, cancel := context.WithTimeout(ctx, s.lockTimeout)
	defer cancel()
	unlock, err := s.keyLocks.lock(waitCtx, key)
	if err != nil {
		return false, s.lockErr(ctx, waitCtx, err)
	}
	defer unlock()
	conn, err := s.db.Conn(waitCtx)
	if err != nil {
		return false, s.lockErr(ctx, waitCtx, err)
	}
	defer func() { _ = conn.Close() }()
	if err := s.dialect.beginLocked(waitCtx, conn, key); err != nil {
		return false, s.lockErr(ctx, waitCtx, err)
	}
	done, err := s.resealLocked(waitCtx, conn, key)
	if err != nil {
		rollback(conn)
		return false, err
	}
	if err := commit(conn); err != nil {
		return false, err
	}
	return done, nil
}

// resealLocked rewrites the secret column of key with the current key, inside the locked
// transaction on conn.
func (s *Store) resealLocked(ctx context.Context, conn *sql.Conn, key string) (bool, error) {
	var blob []byte
	row := conn.QueryRowContext(ctx, `SELECT `+infoColumns+`, secret FROM credentials WHERE cred_key = $1`, key)
	info, attrs, err := scanInfo(row.Scan, &blob)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	case sealedWith(blob) == s.sealer.current:
		return false, nil
	}
	b := binding{key: key, attrs: attrs, expiry: toMillis(info.Expiry)}
	sec, err := s.sealer.open(b, blob)
	if err != nil {
		return false, err
	}
	fresh, err := s.sealer.seal(b, Token{AccessToken: sec.AccessToken, RefreshToken: sec.RefreshToken, TokenType: sec.TokenType, Secrets: sec.Secrets})
	if err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, `UPDATE credentials SET secret = $2 WHERE cred_key = $1`, key, fresh); err != nil {
		return false, err
	}
	return true, nil
}
