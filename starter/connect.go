package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

const stateTTL = 10 * time.Minute

// connector serves one provider's authorization-code flow: /oauth/<name>/start sends
// the user to the provider's consent page with a fresh state; /oauth/<name>/callback
// checks the state, exchanges the code and stores the token. The state travels in a
// cookie (not server memory) so the flow works behind several starter instances.
type connector struct {
	name   string // path segment and cookie suffix: "highlevel", "actionstep"
	title  string // for people: "HighLevel agency"
	oauth  *oauth2.Config
	store  *tokens.Store
	logger *zap.Logger
	secure bool // Secure cookies when the public URL is https
	now    func() time.Time
	// exchange trades the code for a token and says where to store it and what
	// was connected (shown to the user).
	exchange func(ctx context.Context, code string, received time.Time) (key, connected string, tok tokens.Token, err error)
}

// refusedError is a provider's refusal, worded for the user.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

func (c *connector) cookie() string { return "saasbridge_" + c.name + "_oauth_state" }
func (c *connector) path() string   { return "/oauth/" + c.name + "/" }

func (c *connector) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+c.path()+"start", c.start)
	mux.HandleFunc("GET "+c.path()+"callback", c.callback)
}

func (c *connector) start(w http.ResponseWriter, r *http.Request) {
	state, err := randomState()
	if err != nil {
		http.Error(w, "could not create OAuth state", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: c.cookie(), Value: state, Path: c.path(), MaxAge: int(stateTTL.Seconds()),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, c.oauth.AuthCodeURL(state), http.StatusFound)
}

func (c *connector) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		c.fail(w, http.StatusBadRequest, c.title+" did not grant access: "+e)
		return
	}
	cookie, err := r.Cookie(c.cookie())
	if err != nil || q.Get("state") == "" ||
		subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(q.Get("state"))) != 1 {
		c.fail(w, http.StatusBadRequest, "OAuth state is missing or does not match; start again at "+c.path()+"start")
		return
	}
	// State is single use.
	http.SetCookie(w, &http.Cookie{Name: c.cookie(), Path: c.path(), MaxAge: -1, HttpOnly: true, Secure: c.secure})
	code := q.Get("code")
	if code == "" {
		c.fail(w, http.StatusBadRequest, "the callback carries no authorization code")
		return
	}

	key, connected, tok, err := c.exchange(r.Context(), code, c.now())
	var refused *refusedError
	switch {
	case errors.As(err, &refused):
		c.fail(w, http.StatusBadGateway, refused.msg)
		return
	case err != nil:
		c.logger.Warn("code exchange failed", zap.Error(err))
		c.fail(w, http.StatusBadGateway, "could not complete the code exchange; try again")
		return
	}
	if err := c.store.Put(r.Context(), key, tok); err != nil {
		c.logger.Error("store token", zap.String("credential", key), zap.Error(err))
		c.fail(w, http.StatusInternalServerError, "could not store the token")
		return
	}
	c.logger.Info("connected", zap.String("credential", key))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = connectedPage.Execute(w, struct{ Title, Connected string }{c.title, connected})
}

func (c *connector) fail(w http.ResponseWriter, status int, msg string) {
	c.logger.Info("connect failed", zap.Int("status", status), zap.String("reason", msg))
	http.Error(w, msg, status)
}

var connectedPage = template.Must(template.New("connected").Parse(`<!doctype html>
<title>saasbridge connected</title>
<h1>{{.Title}} connected</h1>
<p>saasbridge can now act for {{.Connected}}. You can close this page.</p>
`))

func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newHighLevelConnect connects an agency: the code flow yields a Company token.
func newHighLevelConnect(cfg config.Starter, hl *highlevel.Client, store *tokens.Store, logger *zap.Logger) *connector {
	return &connector{
		name: "highlevel", title: "HighLevel agency", store: store, now: time.Now,
		logger: logger.Named("connect.highlevel"), secure: strings.HasPrefix(cfg.PublicURL, "https://"),
		oauth: &oauth2.Config{
			ClientID: cfg.HighLevel.ClientID, ClientSecret: cfg.HighLevel.ClientSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL:  cfg.HighLevel.AuthURL,
				TokenURL: strings.TrimRight(cfg.HighLevel.BaseURL, "/") + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams,
			},
			RedirectURL: cfg.HighLevelRedirectURL(), Scopes: cfg.HighLevel.Scopes,
		},
		exchange: func(ctx context.Context, code string, received time.Time) (string, string, tokens.Token, error) {
			resp, err := hl.ExchangeCode(ctx, code, cfg.HighLevelRedirectURL())
			var api *highlevel.APIError
			if errors.As(err, &api) {
				return "", "", tokens.Token{}, &refusedError{"HighLevel refused the authorization code: " + api.Message}
			}
			if err != nil {
				return "", "", tokens.Token{}, err
			}
			if resp.UserType != highlevel.UserTypeCompany || resp.CompanyID == "" {
				return "", "", tokens.Token{}, &refusedError{fmt.Sprintf(
					"saasbridge must be connected by an agency (Company) install, got a %q token", resp.UserType)}
			}
			return tokens.KeyHighLevelAgency(resp.CompanyID), "company " + resp.CompanyID, credentials.FromHighLevel(resp, received), nil
		},
	}
}

// newActionstepConnect connects the dedicated Actionstep user of an organisation.
func newActionstepConnect(cfg config.Starter, as *actionstep.Client, store *tokens.Store, logger *zap.Logger) *connector {
	log := logger.Named("connect.actionstep")
	return &connector{
		name: "actionstep", title: "Actionstep organisation", store: store, now: time.Now,
		logger: log, secure: strings.HasPrefix(cfg.PublicURL, "https://"),
		oauth: &oauth2.Config{
			ClientID: cfg.Actionstep.ClientID, ClientSecret: cfg.Actionstep.ClientSecret,
			Endpoint:    oauth2.Endpoint{AuthURL: cfg.Actionstep.AuthURL, TokenURL: cfg.Actionstep.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
			RedirectURL: cfg.ActionstepRedirectURL(), Scopes: cfg.Actionstep.Scopes,
		},
		exchange: func(ctx context.Context, code string, received time.Time) (string, string, tokens.Token, error) {
			resp, err := as.ExchangeCode(ctx, code, cfg.ActionstepRedirectURL())
			var oauthErr *actionstep.OAuthError
			if errors.As(err, &oauthErr) {
				return "", "", tokens.Token{}, &refusedError{"Actionstep refused the authorization code: " + oauthErr.Code + " " + oauthErr.Description}
			}
			if err != nil {
				return "", "", tokens.Token{}, err
			}
			if resp.OrgKey != cfg.Actionstep.OrgKey {
				// Stored anyway (a second organisation is no harm), but the worker
				// only writes to the configured one: say so.
				log.Warn("connected an organisation the worker does not use",
					zap.String("orgkey", resp.OrgKey), zap.String("configured", cfg.Actionstep.OrgKey))
			}
			return tokens.KeyActionstep(resp.OrgKey), "organisation " + resp.OrgKey, credentials.FromActionstep(resp, received), nil
		},
	}
}
