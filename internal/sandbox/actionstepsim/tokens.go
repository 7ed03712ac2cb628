package actionstepsim

import (
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// grant is what a token speaks for: one user of one organisation
// ("Actionstep API tokens can only be used against one organisation").
type grant struct {
	orgKey string
	userID int
	scopes []string
}

// allows reports whether the grant's scopes cover a resource: the scope
// names are the resource names, and "all" covers everything (reference §1.10).
func (g grant) allows(resource string) bool {
	return slices.Contains(g.scopes, "all") || slices.Contains(g.scopes, resource)
}

type accessToken struct {
	grant
	expiresAt time.Time
}

// refreshToken is single use: redeeming it sets used.
type refreshToken struct {
	grant
	expiresAt time.Time
	used      bool
}

type authCode struct {
	grant
	redirectURI   string
	codeChallenge string // PKCE, S256; "" when none was sent
	expiresAt     time.Time
}

// issue mints a new access/refresh pair for g.
func (s *Server) issue(g grant, now time.Time) (access, refresh string) {
	access, refresh = simkit.NewSecret(accessTokenPrefix), simkit.NewSecret(refreshTokenPrefix)
	s.w.access[access] = &accessToken{grant: g, expiresAt: now.Add(s.accessTTL)}
	s.w.refresh[refresh] = &refreshToken{grant: g, expiresAt: now.Add(s.refreshTTL)}
	s.w.issuedAccess = append(s.w.issuedAccess, access)
	s.w.issuedRefresh = append(s.w.issuedRefresh, refresh)
	return access, refresh
}

// TokenFilter narrows ExpireTokens; an empty OrgKey matches every
// organisation. RefreshTokens also kills the matching refresh tokens, as
// 21 idle days would.
type TokenFilter struct {
	OrgKey        string `json:"orgKey,omitempty"`
	RefreshTokens bool   `json:"refreshTokens,omitempty"`
}

// ExpireResult counts what ExpireTokens expired.
type ExpireResult struct {
	Expired        int `json:"expired"`
	RefreshExpired int `json:"refreshExpired"`
}

// ExpireTokens makes every live access token matching f expire now, so
// clients must refresh, and with f.RefreshTokens every live refresh token
// too, so they must re-authorise.
func (s *Server) ExpireTokens(f TokenFilter) ExpireResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var res ExpireResult
	for _, t := range s.w.access {
		if now.Before(t.expiresAt) && (f.OrgKey == "" || f.OrgKey == t.orgKey) {
			t.expiresAt = now
			res.Expired++
		}
	}
	if f.RefreshTokens {
		for _, t := range s.w.refresh {
			if !t.used && now.Before(t.expiresAt) && (f.OrgKey == "" || f.OrgKey == t.orgKey) {
				t.expiresAt = now
				res.RefreshExpired++
			}
		}
	}
	s.log.Info("expired tokens", zap.Int("access", res.Expired), zap.Int("refresh", res.RefreshExpired))
	return res
}

// IssuedTokens lists every token string the simulator ever issued, in issue
// order, so tests can search logs and workflow histories for leaks.
type IssuedTokens = simkit.IssuedTokens

// IssuedTokens returns every access and refresh token issued so far.
func (s *Server) IssuedTokens() IssuedTokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	return IssuedTokens{
		AccessTokens:  append([]string{}, s.w.issuedAccess...),
		RefreshTokens: append([]string{}, s.w.issuedRefresh...),
	}
}

// EndpointRotation is whether refreshes move organisations to a new
// api_endpoint.
type EndpointRotation struct {
	Enabled bool `json:"enabled"`
}

// EndpointRotation reports whether refreshes rotate api_endpoint.
func (s *Server) EndpointRotation() EndpointRotation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return EndpointRotation{Enabled: s.w.rotate}
}

// SetEndpointRotation turns api_endpoint rotation on refresh on or off.
func (s *Server) SetEndpointRotation(r EndpointRotation) EndpointRotation {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.rotate = r.Enabled
	s.log.Info("api_endpoint rotation set", zap.Bool("enabled", r.Enabled))
	return r
}
