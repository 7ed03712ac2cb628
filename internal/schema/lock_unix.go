//go:build unix

package schema

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"
)

// withFileLock holds an exclusive flock on the SQLite file while fn runs, polling for it
// until ctx is done. flock and SQLite's fcntl locks do not see each other, so readers and
// writers of the database are not held up, only other migrations.
func withFileLock(ctx context.Context, path string, fn func() error) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() { _ = f.Close() }() // closing releases the lock
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR { //nolint:errorlint // syscall.Errno values
			return fmt.Errorf("take the migration lock: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("take the migration lock: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return fn()
}
