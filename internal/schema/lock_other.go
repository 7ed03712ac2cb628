//go:build !unix

package schema

import "context"

// withFileLock runs fn unlocked where flock does not exist: start one process first on a
// new or upgraded database there.
func withFileLock(_ context.Context, _ string, fn func() error) error { return fn() }
