package actionstepsim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// OAuth endpoint templates, as recorded in the call report and matched by
// fault rules.
const (
	tokenEndpoint = "POST /api/oauth/token"
	tokenPath     = "/api/oauth/token"
	authorizePath = "/api/oauth/authorize"
)

// oauthRoutes serves the OAuth endpoints; every other path that is not an
// organisation's REST API gets a 404 errors document.
func (s *Server) oauthRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+tokenPath, s.token)
	mux.HandleFunc("GET "+authorizePath, s.authorize)
	mux.HandleFunc("POST "+authorizePath, s.authorize)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeReply(w, nil, errRouteNotFound(r.URL.Path).reply())
	})
	return mux
}

// tokenResponse is the token reply of reference §1.6, members in the
// documented order; identical for code exchange and refresh.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	APIEndpoint  string `json:"api_endpoint"`
	OrgKey       string `json:"orgkey"`
	RefreshToken string `json:"refresh_token"`
}

// token serves POST /api/oauth/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	info := simkit.CallInfoFrom(r.Context())
	info.Endpoint = tokenEndpoint
	header := http.Header{"Cache-Control": {"no-store"}}
	rep, drop := s.runToken(r, info, header)
	info.Status = rep.status
	if drop {
		info.Dropped = true // ServeHTTP drops the connection once the call is recorded
		return
	}
	writeReply(w, header, rep)
}

func (s *Server) runToken(r *http.Request, info *simkit.CallInfo, header http.Header) (reply, bool) {
	pre := s.faults.Preflight(tokenEndpoint, "", true)
	simkit.Sleep(r.Context(), pre.Delay)
	if inj := s.faults.Failure(tokenEndpoint, "", true, header); inj != nil {
		return tokenFault(inj).reply(), false
	}
	if err := s.authenticateClient(r); err != nil {
		return replyOf(err), false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		resp tokenResponse
		err  error
	)
	switch gt := r.Form.Get("grant_type"); gt {
	case "authorization_code":
		resp, err = s.redeemCode(r)
	case "refresh_token":
		resp, err = s.redeemRefresh(r)
	case "":
		err = errTokenRequest(http.StatusBadRequest, "invalid_request", "The grant type was not specified in the request")
	default:
		// Only the authorization code grant exists (reference §1.2).
		err = errTokenRequest(http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("Grant type %q not supported", gt))
	}
	if err != nil {
		return replyOf(err), false
	}
	info.Scope = resp.OrgKey
	return reply{status: http.StatusOK, body: resp, contentType: mediaJSON}, s.faults.Drop(tokenEndpoint, true)
}

// tokenFault renders an injected failure in the token endpoint's OAuth
// shape. Simulator choice: Actionstep's 5xx bodies here are unknown.
func tokenFault(inj *simkit.Injected) *oauthError {
	code := "invalid_request"
	switch {
	case inj.Status == http.StatusServiceUnavailable:
		code = "temporarily_unavailable"
	case inj.Status >= 500:
		code = "server_error"
	}
	return errTokenRequest(inj.Status, code, inj.Message)
}

// authenticateClient checks the client credentials, from HTTP Basic or
// from the form: clients use both (reference §1.4). Parameters may come in
// the body or the query string.
func (s *Server) authenticateClient(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errTokenRequest(http.StatusBadRequest, "invalid_request", "The request body could not be parsed")
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.Form.Get("client_id"), r.Form.Get("client_secret")
	}
	if id == "" {
		return errTokenRequest(http.StatusBadRequest, "invalid_client", "Client credentials were not found in the headers or body")
	}
	if id != s.clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.clientSecret)) != 1 {
		return errTokenRequest(http.StatusUnauthorized, "invalid_client", "The client credentials are invalid")
	}
	return nil
}

// redeemCode exchanges a single-use authorization code.
func (s *Server) redeemCode(r *http.Request) (tokenResponse, error) {
	v := r.Form.Get("code")
	if v == "" {
		return tokenResponse{}, errTokenRequest(http.StatusBadRequest, "invalid_request", `Missing parameter: "code" is required`)
	}
	code, ok := s.w.codes[v]
	if !ok {
		return tokenResponse{}, errInvalidGrant("Authorization code doesn't exist or is invalid for the client")
	}
	now := s.now()
	if !now.Before(code.expiresAt) {
		return tokenResponse{}, errInvalidGrant("The authorization code has expired")
	}
	if r.Form.Get("redirect_uri") != code.redirectURI {
		return tokenResponse{}, errInvalidGrant("The redirect URI is missing or do not match")
	}
	if err := simkit.VerifyPKCE(code.codeChallenge, r.Form.Get("code_verifier")); err != nil {
		return tokenResponse{}, errInvalidGrant("PKCE verification failed: " + err.Error()) // simulator choice
	}
	delete(s.w.codes, v) // single use
	return s.grantResponse(r, code.grant, now), nil
}

// redeemRefresh rotates a refresh token: the old one dies, a new pair is
// issued. The previous access token stays valid until it expires
// (simulator choice; not documented). With rotation on, the organisation
// moves to a new api_endpoint, which the reply carries.
func (s *Server) redeemRefresh(r *http.Request) (tokenResponse, error) {
	v := r.Form.Get("refresh_token")
	if v == "" {
		return tokenResponse{}, errTokenRequest(http.StatusBadRequest, "invalid_request", `Missing parameter: "refresh_token" is required`)
	}
	rt, ok := s.w.refresh[v]
	if !ok || rt.used {
		return tokenResponse{}, errInvalidGrant("Invalid refresh_token")
	}
	now := s.now()
	if !now.Before(rt.expiresAt) {
		return tokenResponse{}, errInvalidGrant("Refresh token has expired")
	}
	rt.used = true
	if s.w.rotate {
		o := s.w.orgs[rt.orgKey]
		o.generation++
		s.log.Info("api_endpoint rotated", zap.String("orgkey", o.key), zap.String("apiPath", o.apiPath()))
	}
	return s.grantResponse(r, rt.grant, now), nil
}

// grantResponse issues a pair for g. api_endpoint is on the host the
// client reached the token endpoint on, so several listeners and
// hostnames work.
func (s *Server) grantResponse(r *http.Request, g grant, now time.Time) tokenResponse {
	access, refresh := s.issue(g, now)
	return tokenResponse{
		AccessToken: access, TokenType: "bearer", ExpiresIn: int(s.accessTTL.Seconds()),
		APIEndpoint: baseURL(r) + s.w.orgs[g.orgKey].apiPath(), OrgKey: g.orgKey, RefreshToken: refresh,
	}
}

// baseURL is the scheme and host a request arrived on.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
