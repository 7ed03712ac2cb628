package tokens

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync"
	"time"
)

// keyLocks is a per-key mutex whose wait honours a context. It only spares the database lock from
// goroutines of one process that want the same credential; the database lock is what makes a
// refresh exclusive.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	held chan struct{} // buffered 1: full while locked
	refs int           // goroutines holding or waiting; the entry goes when it drops to 0
}

func (k *keyLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyLock)
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{held: make(chan struct{}, 1)}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()

	select {
	case l.held <- struct{}{}:
		return func() {
			<-l.held
			k.release(key, l)
		}, nil
	case <-ctx.Done():
		k.release(key, l)
		return nil, ctx.Err()
	}
}

func (k *keyLocks) release(key string, l *keyLock) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l.refs--; l.refs == 0 {
		delete(k.locks, key)
	}
}

// endTimeout bounds COMMIT and ROLLBACK, which run detached from the caller's context: a
// transaction must end even when its caller has gone.
const endTimeout = 10 * time.Second

// commit ends the transaction on conn. On failure the transaction is rolled back.
func commit(conn *sql.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), endTimeout)
	defer cancel()
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		rollback(conn)
		return err
	}
	return nil
}

// rollback ends the transaction on conn. If even that fails, the connection is discarded instead
// of going back to the pool, where its open transaction would keep the lock.
func rollback(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), endTimeout)
	defer cancel()
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}
