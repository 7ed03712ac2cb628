package activities

// *Credentials: the token store's credentials (deletion, listing, upkeep refreshes).
// Credentials holds the token store and the HighLevel and Actionstep clients whose
// token endpoints refresh them.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

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

// CredentialInfo is what upkeep knows of a stored credential (nothing secret).
type CredentialInfo struct {
	Key       string    `json:"key"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// ListCredentials lists the stored credentials without decrypting any.
func (c *Credentials) ListCredentials(ctx context.Context) ([]CredentialInfo, error) {
	infos, err := c.Tokens.List(ctx)
	if err != nil {
		return nil, classify(err)
	}
	out := make([]CredentialInfo, 0, len(infos))
	for _, i := range infos {
		out = append(out, CredentialInfo{Key: i.Key, Kind: string(i.Kind), Status: string(i.Status), Reason: i.StatusReason, UpdatedAt: i.UpdatedAt})
	}
	return out, nil
}

// ConnectedAgencies lists the companies whose agency credential is usable.
func (c *Credentials) ConnectedAgencies(ctx context.Context) ([]string, error) {
	infos, err := c.Tokens.List(ctx)
	if err != nil {
		return nil, classify(err)
	}
	var out []string
	for _, i := range infos {
		if i.Kind == tokens.KindHighLevelAgency && i.Status == tokens.StatusActive {
			out = append(out, i.Attrs[credentials.AttrCompanyID])
		}
	}
	return out, nil
}

// Refresh outcomes.
const (
	RefreshOK              = "refreshed"
	RefreshSuspended       = "suspended"
	RefreshReconnectNeeded = "reconnect_needed"
	// RefreshGone: the credential was deleted since it was listed (an offboarding).
	RefreshGone = "gone"
)

// RefreshCredential refreshes one credential through its provider's token endpoint
// (one call), so its refresh token does not lapse unused. A dead, suspended or deleted
// credential is an outcome to report, not an error to retry.
func (c *Credentials) RefreshCredential(ctx context.Context, key string) (string, error) {
	r, err := c.refresher(ctx, key)
	if err == nil {
		_, err = c.Tokens.Refresh(ctx, key, r, "")
	}
	switch {
	case err == nil:
		return RefreshOK, nil
	case errors.Is(err, tokens.ErrSuspended):
		return RefreshSuspended, nil
	case errors.Is(err, tokens.ErrReconnectNeeded):
		return RefreshReconnectNeeded, nil
	case errors.Is(err, tokens.ErrNotFound):
		return RefreshGone, nil
	default:
		return "", classify(fmt.Errorf("refresh %s: %w", key, err))
	}
}

func (c *Credentials) refresher(ctx context.Context, key string) (tokens.Refresher, error) {
	_, info, err := c.Tokens.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	switch info.Kind {
	case tokens.KindHighLevelAgency, tokens.KindHighLevelLocation:
		return credentials.HighLevelRefresher(c.HighLevel), nil
	case tokens.KindActionstep:
		return credentials.ActionstepRefresher(c.Actionstep), nil
	}
	return nil, fmt.Errorf("credential %s: no refresher for kind %q", key, info.Kind)
}
