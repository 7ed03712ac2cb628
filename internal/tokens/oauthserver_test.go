package tokens

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// oauthServer is a HighLevel-like /oauth/token endpoint with single-use rotating refresh tokens:
// a refresh token works once, reusing it gets 400 "Invalid grant", and while the location is
// inactive refreshing gets 400 "Location is not active" without burning the token. /api accepts
// only the newest access token.
type oauthServer struct {
	*httptest.Server
	expiresIn int // seconds

	mu        sync.Mutex
	serial    int
	live      string          // the one refresh token that works
	used      map[string]bool // refresh tokens already exchanged
	access    string          // the newest access token
	refreshes int             // successful exchanges
	reuses    int             // attempts with an already used refresh token
	rejected  int             // every 400
	inactive  bool
}

func newOAuthServer(t *testing.T, expiresIn int) *oauthServer {
	s := &oauthServer{expiresIn: expiresIn, used: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", s.token)
	mux.HandleFunc("GET /api", s.api)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	s.live, s.access = s.mint()
	return s
}

// initial is the pair a connect flow would have stored, already expired.
func (s *oauthServer) initial() Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return expiredToken(s.access, s.live)
}

func (s *oauthServer) mint() (refresh, access string) {
	s.serial++
	return fmt.Sprintf("rt-%04d-secret", s.serial), fmt.Sprintf("at-%04d-secret", s.serial)
}

func (s *oauthServer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"statusCode": 400, "message": "Invalid parameter: grant_type"})
		return
	}
	rt := r.PostForm.Get("refresh_token")
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case rt != s.live:
		if s.used[rt] {
			s.reuses++
		}
		s.rejected++
		writeJSON(w, http.StatusBadRequest, map[string]any{"statusCode": 400, "message": "Invalid grant: refresh token is invalid"})
	case s.inactive:
		s.rejected++
		writeJSON(w, http.StatusBadRequest, map[string]any{"statusCode": 400, "message": "Location is not active"})
	default:
		s.used[rt] = true
		s.refreshes++
		s.live, s.access = s.mint()
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": s.access, "token_type": "Bearer", "expires_in": s.expiresIn,
			"refresh_token": s.live, "scope": "oauth.readonly saas/location.write", "userType": "Location",
			"locationId": "loc1", "companyId": "comp1",
		})
	}
}

func (s *oauthServer) api(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ok := r.Header.Get("Authorization") == "Bearer "+s.access
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": "Invalid JWT"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *oauthServer) stats() (refreshes, reuses, rejected int, live string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes, s.reuses, s.rejected, s.live
}

func (s *oauthServer) setInactive(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inactive = v
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// httpRefresher is the client side, shaped like the HighLevel client's: one POST, errors mapped to
// ErrInvalidGrant and ErrInactive.
func httpRefresher(baseURL string) Refresher {
	client := &http.Client{Timeout: 10 * time.Second}
	return RefresherFunc(func(ctx context.Context, cur Token) (Token, error) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {cur.RefreshToken},
			"client_id": {"app-x"}, "client_secret": {"s"}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/oauth/token", strings.NewReader(form.Encode()))
		if err != nil {
			return Token{}, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			return Token{}, err
		}
		defer func() { _ = resp.Body.Close() }()
		var body struct {
			Message      string `json:"message"`
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			TokenType    string `json:"token_type"`
			ExpiresIn    int    `json:"expires_in"`
			LocationID   string `json:"locationId"`
			CompanyID    string `json:"companyId"`
			Scope        string `json:"scope"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return Token{}, fmt.Errorf("decode token response (HTTP %d): %w", resp.StatusCode, err)
		}
		switch {
		case resp.StatusCode == http.StatusOK:
			return Token{
				AccessToken: body.AccessToken, RefreshToken: body.RefreshToken, TokenType: body.TokenType,
				Expiry: time.Now().Add(time.Duration(body.ExpiresIn) * time.Second),
				Attrs:  map[string]string{"locationId": body.LocationID, "companyId": body.CompanyID, "scope": body.Scope},
			}, nil
		case strings.HasPrefix(body.Message, "Invalid grant"):
			return Token{}, fmt.Errorf("%w: %s", ErrInvalidGrant, body.Message)
		case body.Message == "Location is not active":
			return Token{}, fmt.Errorf("%w: %s", ErrInactive, body.Message)
		default:
			return Token{}, fmt.Errorf("token endpoint: HTTP %d: %s", resp.StatusCode, body.Message)
		}
	})
}
