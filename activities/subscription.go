package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// PauseInput pauses or resumes a location.
type PauseInput struct {
	LocationRef
	Paused bool `json:"paused"`
}

// PauseLocation calls POST /saas/pause/{locationId}. Pausing sets state, so a retry
// after a lost answer is harmless.
func (a *HighLevel) PauseLocation(ctx context.Context, in PauseInput) (bool, error) {
	api := a.agency(in.CompanyID)
	ok, err := api.Pause(ctx, in.LocationID, in.CompanyID, in.Paused)
	return ok, classify(err)
}

// PlanRef names a SaaS plan of a company.
type PlanRef struct {
	CompanyID string `json:"companyId"`
	PlanID    string `json:"planId"`
}

// Plan is what saasbridge keeps of a SaaS plan.
type Plan struct {
	PlanID    string `json:"planId"`
	Title     string `json:"title"`
	PlanLevel int    `json:"planLevel"`
}

// GetSaaSPlan calls GET /saas/saas-plan/{planId}.
func (a *HighLevel) GetSaaSPlan(ctx context.Context, in PlanRef) (Plan, error) {
	api := a.agency(in.CompanyID)
	p, err := api.GetSaaSPlan(ctx, in.PlanID, in.CompanyID)
	if err != nil {
		return Plan{}, classify(err)
	}
	return Plan{PlanID: p.PlanID, Title: p.Title, PlanLevel: p.PlanLevel}, nil
}

// Location token states reported by RefreshLocationToken.
const (
	// TokenActive: refreshed and stored.
	TokenActive = "active"
	// TokenSuspended: HighLevel says the location is not active. The refresh token
	// is kept: it works again once the location is active.
	TokenSuspended = "suspended"
	// TokenMissing: no location token is stored (never minted, or offboarded).
	TokenMissing = "missing"
	// TokenDead: the refresh token was refused; a new token must be minted.
	TokenDead = "dead"
)

// LocationTokenState is the outcome of a location-token refresh, without the token.
type LocationTokenState struct {
	Status    string    `json:"status"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// RefreshLocationToken refreshes the stored location token with POST /oauth/token.
// The outcomes the subscription workflow acts on are results, not errors: a
// suspended location or a dead refresh token is a state to record or repair, not a
// failure to retry.
func (a *HighLevel) RefreshLocationToken(ctx context.Context, in LocationRef) (LocationTokenState, error) {
	key := tokens.KeyHighLevelLocation(in.LocationID)
	t, err := a.Tokens.Refresh(ctx, key, credentials.HighLevelRefresher(a.Client), "")
	switch {
	case err == nil:
		return LocationTokenState{Status: TokenActive, ExpiresAt: t.Expiry}, nil
	case errors.Is(err, tokens.ErrNotFound):
		return LocationTokenState{Status: TokenMissing}, nil
	case errors.Is(err, tokens.ErrSuspended):
		activity.GetLogger(ctx).Info("location token suspended: location is not active", "locationId", in.LocationID)
		return LocationTokenState{Status: TokenSuspended}, nil
	case errors.Is(err, tokens.ErrReconnectNeeded):
		return LocationTokenState{Status: TokenDead}, nil
	default:
		return LocationTokenState{}, classify(fmt.Errorf("refresh location token: %w", err))
	}
}

// Credentials holds activities on the token store: deletion, listing, and refreshing
// credentials through their provider's token endpoint.
type Credentials struct {
	Tokens     *tokens.Store
	HighLevel  *highlevel.Client
	Actionstep *actionstep.Client
}

// DeleteLocationToken removes a location's stored token (offboarding). Deleting a
// token that is already gone succeeds, so retries are safe.
func (c *Credentials) DeleteLocationToken(ctx context.Context, in LocationRef) error {
	return classify(c.Tokens.Delete(ctx, tokens.KeyHighLevelLocation(in.LocationID)))
}

// DeleteAgencyToken removes an agency's stored token (agency uninstall).
func (c *Credentials) DeleteAgencyToken(ctx context.Context, companyID string) error {
	return classify(c.Tokens.Delete(ctx, tokens.KeyHighLevelAgency(companyID)))
}

// LocationsWithTokens lists the locations of a company that have a stored token: after
// an agency uninstall HighLevel can no longer be asked which locations there were.
func (c *Credentials) LocationsWithTokens(ctx context.Context, companyID string) ([]string, error) {
	locs, err := locationsWithTokens(ctx, c.Tokens, companyID)
	return locs, classify(err)
}

// locationsWithTokens lists the locations of a company whose token the store holds.
func locationsWithTokens(ctx context.Context, store *tokens.Store, companyID string) ([]string, error) {
	infos, err := store.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, info := range infos {
		loc, ok := strings.CutPrefix(info.Key, tokens.KeyHighLevelLocation(""))
		if ok && info.Attrs[credentials.AttrCompanyID] == companyID {
			out = append(out, loc)
		}
	}
	return out, nil
}
