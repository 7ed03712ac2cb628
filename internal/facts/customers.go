package facts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// StripeCustomer is the location a Stripe customer pays for, as HighLevel's
// locations-by-customer endpoint answered.
type StripeCustomer struct {
	CustomerID string    `json:"customerId"`
	CompanyID  string    `json:"companyId"`
	LocationID string    `json:"locationId"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// StripeCustomer returns the cached location of a customer; ok is false when none is
// cached.
func (s *Store) StripeCustomer(ctx context.Context, customerID string) (c StripeCustomer, ok bool, err error) {
	var updated int64
	err = s.db.QueryRowContext(ctx, `SELECT customer_id, company_id, location_id, updated_at FROM stripe_customers
		WHERE customer_id = $1`, customerID).Scan(&c.CustomerID, &c.CompanyID, &c.LocationID, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return StripeCustomer{}, false, nil
	case err != nil:
		return StripeCustomer{}, false, fmt.Errorf("facts: read Stripe customer %s: %w", customerID, err)
	}
	c.UpdatedAt = fromMillis(updated)
	return c, true, nil
}

// PutStripeCustomer caches the location of a customer.
func (s *Store) PutStripeCustomer(ctx context.Context, c StripeCustomer) error {
	if c.CustomerID == "" || c.CompanyID == "" || c.LocationID == "" {
		return errors.New("facts: a Stripe customer needs its id, company and location")
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO stripe_customers (customer_id, company_id, location_id, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (customer_id) DO UPDATE SET company_id = excluded.company_id,
			location_id = excluded.location_id, updated_at = excluded.updated_at`,
		c.CustomerID, c.CompanyID, c.LocationID, millis(s.now()))
	if err != nil {
		return fmt.Errorf("facts: cache Stripe customer %s: %w", c.CustomerID, err)
	}
	return nil
}
