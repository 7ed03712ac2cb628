package highlevelsim

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// tokenResponse is GetAccessCodeSuccessfulResponseDto plus the members the
// docs samples show (refreshTokenId, traceId) and, for /oauth/locationToken,
// GetLocationAccessTokenSuccessfulResponseDto's appId and versionId.
type tokenResponse struct {
	AccessToken              string `json:"access_token"`
	TokenType                string `json:"token_type"`
	ExpiresIn                int    `json:"expires_in"`
	RefreshToken             string `json:"refresh_token"`
	Scope                    string `json:"scope"`
	UserType                 string `json:"userType"`
	CompanyID                string `json:"companyId"`
	LocationID               string `json:"locationId,omitempty"`
	UserID                   string `json:"userId"`
	AppID                    string `json:"appId,omitempty"`
	VersionID                string `json:"versionId,omitempty"`
	IsBulkInstallation       *bool  `json:"isBulkInstallation,omitempty"`
	ApproveAllLocations      *bool  `json:"approveAllLocations,omitempty"`
	InstallToFutureLocations *bool  `json:"installToFutureLocations,omitempty"`
	RefreshTokenID           string `json:"refreshTokenId,omitempty"`
	TraceID                  string `json:"traceId"`
}

// tokenRequest is GetAccessCodebodyDto (snake_case, unlike the rest).
type tokenRequest struct {
	clientID, clientSecret, grantType, code, refreshToken, userType, redirectURI, codeVerifier string
}

func missingParam(name string) error { return errBadRequest("Missing parameter: " + name) }
func invalidParam(name string) error { return errBadRequest("Invalid parameter: " + name) }

// readTokenRequest parses and checks the generic part of a token request
// with HighLevel's messages (reference §1.2).
func readTokenRequest(contentType string, body []byte) (tokenRequest, error) {
	p, err := parseParams(contentType, body)
	if err != nil {
		return tokenRequest{}, errBadRequest("Invalid request body")
	}
	fields := []string{"client_id", "client_secret", "grant_type", "code", "refresh_token", "user_type", "redirect_uri", "code_verifier"}
	for _, f := range fields {
		if p.nonString[f] {
			return tokenRequest{}, invalidParam(f)
		}
	}
	v := p.values
	req := tokenRequest{
		clientID: v["client_id"], clientSecret: v["client_secret"], grantType: v["grant_type"],
		code: v["code"], refreshToken: v["refresh_token"], userType: v["user_type"], redirectURI: v["redirect_uri"],
		codeVerifier: v["code_verifier"],
	}
	for _, f := range fields[:3] {
		if v[f] == "" {
			return req, missingParam(f)
		}
	}
	if req.userType != "" && req.userType != userCompany && req.userType != userLocation {
		return req, invalidParam("user_type")
	}
	return req, nil
}

// token serves POST /oauth/token.
func (s *Server) token(c *apiCall) (any, error) {
	req, err := readTokenRequest(c.r.Header.Get("Content-Type"), c.body)
	if err != nil {
		return nil, err
	}
	if req.clientID != s.clientID {
		return nil, invalidParam("client_id") // documented shape for "an invalid value"
	}
	if subtle.ConstantTimeCompare([]byte(req.clientSecret), []byte(s.clientSecret)) != 1 {
		// Not documented; simulator choice in UnauthorizedDTO form.
		return nil, reasonedError(http.StatusUnauthorized, "Invalid client credentials")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch req.grantType {
	case "authorization_code":
		return s.redeemCode(c, req)
	case "refresh_token":
		return s.redeemRefresh(c, req)
	default:
		// client_credentials is in the spec's enum but no flow is documented.
		return nil, invalidParam("grant_type")
	}
}

// redeemCode exchanges a single-use consent code for a Company token: the
// simulator's consent page installs at agency level.
func (s *Server) redeemCode(c *apiCall, req tokenRequest) (any, error) {
	if req.code == "" {
		return nil, missingParam("code")
	}
	code, ok := s.w.codes[req.code]
	if !ok || code.used || code.clientID != req.clientID || !c.now.Before(code.expiresAt) {
		return nil, errBadRequest(msgInvalidCode)
	}
	if req.redirectURI != "" && req.redirectURI != code.redirectURI {
		return nil, invalidParam("redirect_uri") // OAuth 2.0 §4.1.3; not documented by HighLevel
	}
	if req.userType == userLocation {
		return nil, invalidParam("user_type") // the code is for an agency install
	}
	if err := simkit.VerifyPKCE(code.codeChallenge, req.codeVerifier); err != nil {
		return nil, invalidParam("code_verifier") // simulator choice: HighLevel documents no PKCE
	}
	code.used = true
	a := s.w.agencies[code.companyID]
	c.resource = a.ID
	return s.grantResponse(c, grant{
		clientID: req.clientID, userType: userCompany, companyID: a.ID, userID: a.UserID, scopes: code.scopes,
	}), nil
}

// redeemRefresh rotates a refresh token: the old one dies, a new pair is
// issued. A Location token whose location is not active is refused without
// burning the refresh token, so it works again once the location is.
func (s *Server) redeemRefresh(c *apiCall, req tokenRequest) (any, error) {
	if req.refreshToken == "" {
		return nil, missingParam("refresh_token")
	}
	rt, ok := s.w.refresh[req.refreshToken]
	if !ok || rt.invalid || rt.clientID != req.clientID || !c.now.Before(rt.expiresAt) {
		return nil, errBadRequest(msgInvalidRefresh)
	}
	c.resource = rt.resource()
	if req.userType != "" && req.userType != rt.userType {
		return nil, invalidParam("user_type")
	}
	if rt.userType == userLocation && !s.w.locations[rt.locationID].isActive() {
		return nil, errBadRequest(msgLocationNotActive)
	}
	rt.invalid = true
	return s.grantResponse(c, rt.grant), nil
}

// issueReply issues a pair for g and renders the members every token reply
// shares.
func (s *Server) issueReply(c *apiCall, g grant) (tokenResponse, issuedPair) {
	p := s.w.issue(g, c.now, s.tokenTTL)
	return tokenResponse{
		AccessToken: p.access, TokenType: "Bearer", ExpiresIn: int(s.tokenTTL.Seconds()),
		RefreshToken: p.refresh, Scope: g.scope(), UserType: g.userType,
		CompanyID: g.companyID, LocationID: g.locationID, UserID: g.userID, TraceID: newTraceID(),
	}, p
}

// grantResponse issues a pair for g and renders the /oauth/token reply.
func (s *Server) grantResponse(c *apiCall, g grant) tokenResponse {
	resp, p := s.issueReply(c, g)
	resp.RefreshTokenID = p.refreshID
	resp.IsBulkInstallation = ptr(g.userType == userCompany)
	if g.userType == userCompany {
		a := s.w.agencies[g.companyID]
		resp.InstallToFutureLocations = ptr(a.InstallToFutureLocations)
		resp.ApproveAllLocations = ptr(!slices.ContainsFunc(a.LocationIDs, func(id string) bool { return !s.w.locations[id].Installed }))
	}
	return resp
}

func ptr[T any](v T) *T { return &v }

// installedLocationDTO is InstalledLocationSchema.
type installedLocationDTO struct {
	ID          string `json:"_id"`
	Name        string `json:"name"`
	Address     string `json:"address"`
	IsInstalled bool   `json:"isInstalled"`
	VersionID   string `json:"versionId,omitempty"`
	InstalledAt string `json:"installedAt,omitempty"`
}

type installedLocationsResponse struct {
	Locations                []installedLocationDTO `json:"locations"`
	Count                    int                    `json:"count"`
	InstallToFutureLocations bool                   `json:"installToFutureLocations"`
}

// installedLocations serves GET /oauth/installedLocations: the agency's
// locations in creation order, count being the total matching the filters.
// onTrial and planId are accepted and ignored: the simulated app has no
// trials or paid plans.
func (s *Server) installedLocations(c *apiCall) (any, error) {
	q := queryObject(c.r.URL.Query())
	companyID := q.str("companyId", true)
	appID := q.str("appId", true)
	skip, _ := q.numberString("skip")
	limit, hasLimit := q.numberString("limit")
	isInstalled, filterInstalled := q.boolean("isInstalled", false)
	locationID := q.str("locationId", false)
	versionID := q.str("versionId", false)
	query := strings.ToLower(q.str("query", false))
	if err := q.err(); err != nil {
		return nil, err
	}
	// Paging as documented: limit defaults to 20 and is capped at 100.
	// A limit of 0 or less, or a negative skip, is not documented;
	// simulator choice: the defaults.
	if !hasLimit || limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	skip = max(skip, 0)

	if appID != s.appID {
		return nil, errForbidden(msgNoAppAccess)
	}
	if companyID != c.tok.companyID {
		return nil, errForbidden(msgNoCompanyAccess)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.w.agencies[companyID]
	resp := installedLocationsResponse{Locations: []installedLocationDTO{}, InstallToFutureLocations: a.InstallToFutureLocations}
	for _, id := range a.LocationIDs {
		l := s.w.locations[id]
		if (filterInstalled && l.Installed != isInstalled) || (locationID != "" && l.ID != locationID) ||
			(versionID != "" && l.VersionID != versionID) || !strings.Contains(strings.ToLower(l.Name), query) {
			continue
		}
		resp.Count++
		if resp.Count <= skip || len(resp.Locations) >= limit {
			continue
		}
		dto := installedLocationDTO{ID: l.ID, Name: l.Name, Address: l.Address, IsInstalled: l.Installed, VersionID: l.VersionID}
		if l.Installed {
			dto.InstalledAt = isoTime(l.InstalledAt)
		}
		resp.Locations = append(resp.Locations, dto)
	}
	return resp, nil
}

// locationToken serves POST /oauth/locationToken: a Company token mints a
// Location token (with its own refresh token) for one of its locations.
func (s *Server) locationToken(c *apiCall) (any, error) {
	p, err := parseParams(c.r.Header.Get("Content-Type"), c.body)
	if err != nil {
		return nil, errBadRequest("Invalid request body")
	}
	var msgs []string
	for _, f := range []string{"companyId", "locationId"} {
		switch {
		case p.nonString[f]:
			msgs = append(msgs, f+" must be a string")
		case p.values[f] == "":
			msgs = append(msgs, f+" should not be empty")
		}
	}
	if len(msgs) > 0 {
		return nil, unprocessable(msgs...)
	}
	companyID, locationID := p.values["companyId"], p.values["locationId"]
	if companyID != c.tok.companyID {
		return nil, errForbidden(msgNoCompanyAccess)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// The three refusals below are documented only as "400"; the wording is
	// a simulator choice, except "Location is not active" (reference §1.2).
	l, ok := s.w.locations[locationID]
	switch {
	case !ok || l.CompanyID != companyID:
		return nil, errBadRequest("Location not found for this company")
	case !l.Installed:
		return nil, errBadRequest("App is not installed on this location")
	case !l.isActive():
		return nil, errBadRequest(msgLocationNotActive)
	}
	g := c.tok
	g.userType, g.locationID = userLocation, l.ID
	resp, _ := s.issueReply(c, g)
	resp.AppID, resp.VersionID = s.appID, l.VersionID
	return resp, nil
}
