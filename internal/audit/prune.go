package audit

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Checkpoint vouches for the entries up to Through once call entries among them were
// pruned: which survived (their count and a digest of their seqs and hashes) and the hash
// of entry Through, which the next entry follows. It is signed with a key derived from
// the store's encryption key, which the database does not hold.
type Checkpoint struct {
	Through     int64     `json:"through"`
	ThroughHash string    `json:"throughHash"`
	Survivors   int64     `json:"survivors"`
	Digest      string    `json:"digest"`
	Pruned      int64     `json:"pruned"`
	Cutoff      time.Time `json:"cutoff"`
	KeyID       int       `json:"keyId"`
	Signature   string    `json:"signature"`
}

// Keys sign and verify checkpoints: HMAC-SHA256 keys derived (HKDF) from the store's
// encryption keys, by the same ids, so they rotate with them.
type Keys struct {
	current byte
	keys    map[byte][]byte
}

// DeriveKeys derives the checkpoint keys from the store's current key (and id) and its
// retired ones, which verify checkpoints signed before a rotation.
func DeriveKeys(currentID byte, current []byte, old map[byte][]byte) (Keys, error) {
	k := Keys{current: currentID, keys: map[byte][]byte{}}
	for id, key := range old {
		if err := k.add(id, key); err != nil {
			return Keys{}, err
		}
	}
	if err := k.add(currentID, current); err != nil {
		return Keys{}, err
	}
	return k, nil
}

func (k Keys) add(id byte, storeKey []byte) error {
	d, err := hkdf.Key(sha256.New, storeKey, nil, "saasbridge/audit-checkpoint/v1", 32)
	if err != nil {
		return fmt.Errorf("audit: derive the checkpoint key %d: %w", id, err)
	}
	k.keys[id] = d
	return nil
}

func (k Keys) mac(id byte, c Checkpoint) ([]byte, error) {
	key, ok := k.keys[id]
	if !ok {
		return nil, fmt.Errorf("the checkpoint is signed with key %d, which is not configured (STORE_ENCRYPTION_KEY, STORE_ENCRYPTION_OLD_KEYS)", id)
	}
	c.Signature = ""
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write(b)
	return m.Sum(nil), nil
}

func (k Keys) sign(c Checkpoint) (Checkpoint, error) {
	c.KeyID = int(k.current)
	sig, err := k.mac(k.current, c)
	if err != nil {
		return Checkpoint{}, err
	}
	c.Signature = hex.EncodeToString(sig)
	return c, nil
}

func (k Keys) verify(c Checkpoint) error {
	if c.KeyID < 1 || c.KeyID > 255 {
		return fmt.Errorf("the checkpoint names no key (%d)", c.KeyID)
	}
	want, err := k.mac(byte(c.KeyID), c)
	if err != nil {
		return err
	}
	got, err := hex.DecodeString(c.Signature)
	if err != nil || !hmac.Equal(got, want) {
		return errors.New("the checkpoint's signature does not verify: it was forged or altered")
	}
	return nil
}

// PruneResult says what Prune did.
type PruneResult struct {
	// Pruned is how many call entries were deleted; Checkpoint the entry that vouches
	// for the rest (nil when there was nothing to prune).
	Pruned     int64
	Checkpoint *Checkpoint
}

// Prune deletes the call entries older than cutoff (those up to the last entry made
// before it: the chain's order) and appends a signed checkpoint for what is left up to
// there. The part of the chain it covers is verified first: a broken chain is not signed
// for, and the *Break is returned. Safe to run from several processes at once.
func Prune(ctx context.Context, db *sql.DB, keys Keys, cutoff time.Time) (PruneResult, error) {
	prev, prevSeq, err := latestCheckpoint(ctx, db)
	if err != nil {
		return PruneResult{}, err
	}
	if prev != nil {
		if err := keys.verify(*prev); err != nil {
			return PruneResult{}, &Break{Seq: prev.Through, Reason: err.Error()}
		}
	}
	var through sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(seq) FROM audit_log WHERE at < $1`, cutoff.UnixMicro()).Scan(&through); err != nil {
		return PruneResult{}, fmt.Errorf("audit: prune: %w", err)
	}
	cp, calls, err := nextCheckpoint(ctx, db, prev, through.Int64)
	if err != nil || calls == 0 {
		return PruneResult{}, err
	}
	cp.Cutoff = cutoff.UTC()
	return commitPrune(ctx, db, keys, cp, prevSeq)
}

// nextCheckpoint walks the entries after the previous checkpoint up to through, checking
// them as Verify does, and returns the checkpoint that will cover them once their call
// entries are gone, and how many those are.
func nextCheckpoint(ctx context.Context, db *sql.DB, prev *Checkpoint, through int64) (Checkpoint, int64, error) {
	cp := Checkpoint{Through: through}
	from := int64(0)
	v := newVerifier(nil)
	if prev != nil {
		from, cp.Survivors, cp.Digest = prev.Through, prev.Survivors, prev.Digest
		v = verifier{cp: prev, prevSeq: prev.Through, prevHash: prev.ThroughHash}
	}
	if through <= from {
		return cp, 0, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT `+rowColumns+` FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq`, from, through)
	if err != nil {
		return cp, 0, fmt.Errorf("audit: prune: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var calls int64
	for rows.Next() {
		r, err := scanRow(rows.Scan)
		if err != nil {
			return cp, 0, fmt.Errorf("audit: prune: %w", err)
		}
		if b := v.next(r); b != nil {
			return cp, 0, b
		}
		cp.ThroughHash = r.hash
		if r.kind == KindCall {
			calls++
			continue
		}
		cp.Survivors++
		cp.Digest = fold(cp.Digest, r.seq, r.hash)
	}
	if err := rows.Err(); err != nil {
		return cp, 0, fmt.Errorf("audit: prune: %w", err)
	}
	return cp, calls, nil
}

// commitPrune deletes the call entries the checkpoint covers and appends it, in one
// transaction under the chain's lock; when another process pruned meanwhile it does
// nothing.
func commitPrune(ctx context.Context, db *sql.DB, keys Keys, cp Checkpoint, prevSeq int64) (PruneResult, error) {
	tx, err := Begin(ctx, db)
	if err != nil {
		return PruneResult{}, fmt.Errorf("audit: prune: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, seq, err := latestCheckpoint(ctx, tx); err != nil || seq != prevSeq {
		return PruneResult{}, err // another process pruned first
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE kind = $1 AND seq <= $2`, KindCall, cp.Through)
	if err != nil {
		return PruneResult{}, fmt.Errorf("audit: prune: %w", err)
	}
	cp.Pruned, _ = res.RowsAffected()
	if cp, err = keys.sign(cp); err != nil {
		return PruneResult{}, fmt.Errorf("audit: prune: %w", err)
	}
	if err := Append(ctx, tx, Entry{Kind: KindCheckpoint, Action: "pruned", Detail: Detail{Checkpoint: &cp}}); err != nil {
		return PruneResult{}, err
	}
	if err := tx.Commit(); err != nil {
		return PruneResult{}, fmt.Errorf("audit: prune: %w", err)
	}
	return PruneResult{Pruned: cp.Pruned, Checkpoint: &cp}, nil
}

// Retain prunes call entries older than keep now and then every interval, until ctx is
// done: the retention setting's loop, run by the workers. Failures are logged and tried
// again at the next round.
func Retain(ctx context.Context, db *sql.DB, keys Keys, keep, interval time.Duration, logger *zap.Logger) {
	for {
		res, err := Prune(ctx, db, keys, time.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("audit: pruning call entries failed", zap.Error(err))
		case res.Pruned > 0:
			logger.Info("audit: call entries pruned", zap.Int64("pruned", res.Pruned), zap.Int64("through", res.Checkpoint.Through))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
