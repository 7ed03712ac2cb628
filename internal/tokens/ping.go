package tokens

import (
	"context"
	"fmt"
)

// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	return nil
}
