package activities

// *HighLevel: minting and refreshing a location's token. HighLevel (highlevel.go) holds the HighLevel client, the token store, the pacing of
// each agency's budget and the initial-plan rules.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// LocationToken describes a minted location token without the token itself, which
// goes straight into the encrypted store and never into workflow history.
type LocationToken struct {
	ExpiresAt time.Time `json:"expiresAt"`
	Scope     string    `json:"scope,omitempty"`
}

// MintLocationToken calls POST /oauth/locationToken and stores the result. A re-run
// overwrites the stored token with a fresh one, which is what a re-install needs.
func (a *HighLevel) MintLocationToken(ctx context.Context, in LocationRef) (LocationToken, error) {
	api := a.agency(in.CompanyID)
	resp, err := api.LocationToken(ctx, in.CompanyID, in.LocationID)
	if err != nil {
		return LocationToken{}, classify(err)
	}
	if resp.AccessToken == "" || (resp.LocationID != "" && resp.LocationID != in.LocationID) {
		return LocationToken{}, unexpectedResponse(
			fmt.Sprintf("locationToken answered for location %q, want %q (or no token)", resp.LocationID, in.LocationID))
	}
	tok := credentials.FromHighLevel(resp, a.now())
	if err := a.Tokens.Put(ctx, tokens.KeyHighLevelLocation(in.LocationID), tok); err != nil {
		return LocationToken{}, classify(fmt.Errorf("store location token: %w", err))
	}
	activity.GetLogger(ctx).Info("location token stored", "locationId", in.LocationID, "expiresAt", tok.Expiry)
	return LocationToken{ExpiresAt: tok.Expiry, Scope: resp.Scope}, nil
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
// The outcomes the workflows act on are results, not errors: a suspended location or a
// dead refresh token is a state to record or repair, not a failure to retry.
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
