package highlevelsim

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// Token classes, as in the userType response member.
const (
	userCompany  = "Company"
	userLocation = "Location"
)

// refreshTokenTTL: "valid for a year unless they are used" (reference §1.3).
const refreshTokenTTL = 365 * 24 * time.Hour

// authCodeTTL is not documented; simulator choice, short as OAuth advises.
const authCodeTTL = 10 * time.Minute

// grant is what a token speaks for.
type grant struct {
	clientID   string
	userType   string
	companyID  string
	locationID string // Location tokens only
	userID     string
	scopes     []string
}

// resource is the rate-limit subject: the location for Location tokens,
// the company for Company tokens (reference §6.1).
func (g grant) resource() string {
	if g.userType == userLocation {
		return g.locationID
	}
	return g.companyID
}

func (g grant) scope() string { return strings.Join(g.scopes, " ") }

type accessToken struct {
	grant
	issuedAt  time.Time
	expiresAt time.Time
	revoked   bool
}

// refreshToken is single use: redeeming it sets invalid, as does revocation.
type refreshToken struct {
	grant
	id        string // refreshTokenId in responses
	issuedAt  time.Time
	expiresAt time.Time
	invalid   bool
}

type authCode struct {
	clientID      string
	redirectURI   string
	companyID     string
	codeChallenge string // PKCE, S256; "" when none was sent
	scopes        []string
	expiresAt     time.Time
	used          bool
}

// issuedPair is a freshly minted access and refresh token.
type issuedPair struct {
	access, refresh, refreshID string
}

// issue mints a new access/refresh pair for g.
func (w *world) issue(g grant, now time.Time, ttl time.Duration) issuedPair {
	p := issuedPair{access: simkit.NewSecret(accessTokenPrefix), refresh: simkit.NewSecret(refreshTokenPrefix), refreshID: newObjectID()}
	w.access[p.access] = &accessToken{grant: g, issuedAt: now, expiresAt: now.Add(ttl)}
	w.refresh[p.refresh] = &refreshToken{grant: g, id: p.refreshID, issuedAt: now, expiresAt: now.Add(refreshTokenTTL)}
	return p
}

// revoke invalidates every access and refresh token whose grant matches.
func (w *world) revoke(match func(grant) bool) {
	for _, t := range w.access {
		if match(t.grant) {
			t.revoked = true
		}
	}
	for _, t := range w.refresh {
		if match(t.grant) {
			t.invalid = true
		}
	}
}

// TokenFilter narrows ExpireAccessTokens; empty fields match everything.
type TokenFilter struct {
	CompanyID  string `json:"companyId,omitempty"`
	LocationID string `json:"locationId,omitempty"`
}

func (f TokenFilter) match(g grant) bool {
	return (f.CompanyID == "" || f.CompanyID == g.companyID) && (f.LocationID == "" || f.LocationID == g.locationID)
}

// ExpireAccessTokens makes every live access token matching f expire now, so
// clients must refresh. Refresh tokens are untouched. It returns how many
// tokens it expired.
func (s *Server) ExpireAccessTokens(f TokenFilter) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for _, t := range s.w.access {
		if !t.revoked && now.Before(t.expiresAt) && f.match(t.grant) {
			t.expiresAt = now
			n++
		}
	}
	s.log.Info("expired access tokens", zap.Int("count", n))
	return n
}

// IssuedTokens lists every token string the simulator ever issued, in issue
// order, so tests can search logs and workflow histories for leaks.
type IssuedTokens = simkit.IssuedTokens

// IssuedTokens returns every access and refresh token issued so far.
func (s *Server) IssuedTokens() IssuedTokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	return IssuedTokens{
		AccessTokens:  inIssueOrder(s.w.access, func(t *accessToken) time.Time { return t.issuedAt }),
		RefreshTokens: inIssueOrder(s.w.refresh, func(t *refreshToken) time.Time { return t.issuedAt }),
	}
}

func inIssueOrder[T any](m map[string]T, issued func(T) time.Time) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(issued(m[a]).Compare(issued(m[b])), strings.Compare(a, b))
	})
	return keys
}
