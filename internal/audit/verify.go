package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// Report is what Verify found.
type Report struct {
	// Entries is how many entries the chain holds; Last is the last one's seq.
	Entries, Last int64
	// Checkpoint is the latest checkpoint, whose signature verified, if any.
	Checkpoint *Checkpoint
	// Break is where the chain is broken, nil when it is whole.
	Break *Break
}

// OK reports an unbroken chain.
func (r Report) OK() bool { return r.Break == nil }

// Break is the first place where the chain does not hold.
type Break struct {
	Seq    int64
	Reason string
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s", b.Seq, b.Reason)
}

// Verify reads the whole chain in order and checks that every entry's hash matches its
// content, that each follows the one before it, and that the entries a checkpoint covers
// are those it signed. Its error is for failing to read; a broken chain is a Report
// with a Break.
func Verify(ctx context.Context, db *sql.DB, keys Keys) (Report, error) {
	cp, _, err := latestCheckpoint(ctx, db)
	if err != nil {
		return Report{}, err
	}
	v := newVerifier(cp)
	if cp != nil {
		if err := keys.verify(*cp); err != nil {
			return Report{Break: &Break{Seq: cp.Through, Reason: err.Error()}}, nil
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT `+rowColumns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		r, err := scanRow(rows.Scan)
		if err != nil {
			return Report{}, fmt.Errorf("audit: verify: %w", err)
		}
		if b := v.next(r); b != nil {
			return v.report(b), nil
		}
	}
	if err := rows.Err(); err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	if b := v.end(); b != nil {
		return v.report(b), nil
	}
	if b, err := v.head(ctx, db); err != nil || b != nil {
		return v.report(b), err
	}
	return v.report(nil), nil
}

// verifier walks the chain in seq order.
type verifier struct {
	cp        *Checkpoint
	prevSeq   int64
	prevHash  string
	digest    string
	survivors int64
	entries   int64
}

func newVerifier(cp *Checkpoint) verifier { return verifier{cp: cp, prevHash: genesis} }

func (v *verifier) report(b *Break) Report {
	return Report{Entries: v.entries, Last: v.prevSeq, Checkpoint: v.cp, Break: b}
}

func (v *verifier) covered(seq int64) bool { return v.cp != nil && seq <= v.cp.Through }

// next checks one entry against its content and the entry before it. Within what the
// checkpoint covers, pruned entries leave gaps, which its digest accounts for; beyond
// it, the chain must be whole.
func (v *verifier) next(r row) *Break {
	v.entries++
	if r.computeHash() != r.hash {
		return &Break{r.seq, "its hash does not match its content: the entry was altered"}
	}
	switch {
	case v.covered(r.seq):
		if r.seq == v.prevSeq+1 && r.prevHash != v.prevHash {
			return &Break{r.seq, fmt.Sprintf("it does not follow entry %d", v.prevSeq)}
		}
		v.digest = fold(v.digest, r.seq, r.hash)
		v.survivors++
	default:
		wantSeq, wantHash := v.prevSeq, v.prevHash
		if v.cp != nil && v.prevSeq <= v.cp.Through {
			wantSeq, wantHash = v.cp.Through, v.cp.ThroughHash
		}
		if r.seq != wantSeq+1 {
			return &Break{r.seq, fmt.Sprintf("entries %d to %d are missing", wantSeq+1, r.seq-1)}
		}
		if r.prevHash != wantHash {
			return &Break{r.seq, fmt.Sprintf("it does not follow entry %d", wantSeq)}
		}
	}
	v.prevSeq, v.prevHash = r.seq, r.hash
	return nil
}

// end checks that the entries the checkpoint covers are the ones it signed.
func (v *verifier) end() *Break {
	if v.cp == nil {
		return nil
	}
	if v.survivors != v.cp.Survivors || v.digest != v.cp.Digest {
		return &Break{v.cp.Through, fmt.Sprintf("the entries up to %d are not those the signed checkpoint vouches for (%d there, %d signed): entries were removed, added or altered",
			v.cp.Through, v.survivors, v.cp.Survivors)}
	}
	return nil
}

// head compares the chain's end with its head row: entries removed from the end of the
// chain leave the head ahead of it.
func (v *verifier) head(ctx context.Context, db *sql.DB) (*Break, error) {
	var seq int64
	var hash string
	if err := db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash); err != nil {
		return nil, fmt.Errorf("audit: verify: read the chain's head: %w", err)
	}
	last, lastHash := v.prevSeq, v.prevHash
	if v.cp != nil && last <= v.cp.Through {
		last, lastHash = v.cp.Through, v.cp.ThroughHash
	}
	if seq != last || hash != lastHash {
		return &Break{last, fmt.Sprintf("the chain ends at entry %d but its head is entry %d: entries were removed from its end", last, seq)}, nil
	}
	return nil, nil
}

// fold adds an entry to a checkpoint's digest of the entries it covers.
func fold(digest string, seq int64, hash string) string {
	h := sha256.New()
	h.Write([]byte(digest + "|" + strconv.FormatInt(seq, 10) + ":" + hash))
	return hex.EncodeToString(h.Sum(nil))
}

// latestCheckpoint reads the newest checkpoint entry (nil when there is none) and its seq.
func latestCheckpoint(ctx context.Context, db Queryer) (*Checkpoint, int64, error) {
	r, err := scanRow(db.QueryRowContext(ctx, `SELECT `+rowColumns+` FROM audit_log WHERE kind = $1 ORDER BY seq DESC LIMIT 1`, KindCheckpoint).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("audit: read the latest checkpoint: %w", err)
	}
	e, err := r.entry()
	if err != nil {
		return nil, 0, err
	}
	if e.Detail.Checkpoint == nil {
		return nil, 0, fmt.Errorf("audit: checkpoint entry %d holds no checkpoint", r.seq)
	}
	return e.Detail.Checkpoint, r.seq, nil
}

// Queryer reads one row.
type Queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
