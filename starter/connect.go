package main

import (
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

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// stateCookie carries the OAuth state between /start and /callback. A cookie (rather
// than server memory) keeps the flow working behind several starter instances.
const (
	stateCookie = "saasbridge_hl_oauth_state"
	stateTTL    = 10 * time.Minute
)

// highLevelConnect serves the authorization-code flow that connects an agency.
type highLevelConnect struct {
	oauth  *oauth2.Config
	client *highlevel.Client
	store  *tokens.Store
	logger *zap.Logger
	secure bool // Secure cookies when the public URL is https
	now    func() time.Time
}

func newHighLevelConnect(cfg config.Starter, c *highlevel.Client, store *tokens.Store, logger *zap.Logger) *highLevelConnect {
	return &highLevelConnect{
		oauth: &oauth2.Config{
			ClientID:     cfg.HighLevel.ClientID,
			ClientSecret: cfg.HighLevel.ClientSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL:   cfg.HighLevel.AuthURL,
				TokenURL:  strings.TrimRight(cfg.HighLevel.BaseURL, "/") + "/oauth/token",
				AuthStyle: oauth2.AuthStyleInParams,
			},
			RedirectURL: cfg.HighLevelRedirectURL(),
			Scopes:      cfg.HighLevel.Scopes,
		},
		client: c,
		store:  store,
		logger: logger.Named("connect.highlevel"),
		secure: strings.HasPrefix(cfg.PublicURL, "https://"),
		now:    time.Now,
	}
}

func (h *highLevelConnect) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /oauth/highlevel/start", h.start)
	mux.HandleFunc("GET /oauth/highlevel/callback", h.callback)
}

// start sends the agency admin to HighLevel's consent page.
func (h *highLevelConnect) start(w http.ResponseWriter, r *http.Request) {
	state, err := randomState()
	if err != nil {
		http.Error(w, "could not create OAuth state", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: stateCookie, Value: state, Path: "/oauth/highlevel/", MaxAge: int(stateTTL.Seconds()),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, h.oauth.AuthCodeURL(state), http.StatusFound)
}

// callback checks state, exchanges the code and stores the agency token.
func (h *highLevelConnect) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		h.fail(w, http.StatusBadRequest, "HighLevel did not grant access: "+e)
		return
	}
	cookie, err := r.Cookie(stateCookie)
	if err != nil || q.Get("state") == "" ||
		subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(q.Get("state"))) != 1 {
		h.fail(w, http.StatusBadRequest, "OAuth state is missing or does not match; start again at /oauth/highlevel/start")
		return
	}
	// State is single use.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/oauth/highlevel/", MaxAge: -1, HttpOnly: true, Secure: h.secure})
	code := q.Get("code")
	if code == "" {
		h.fail(w, http.StatusBadRequest, "the callback carries no authorization code")
		return
	}

	received := h.now()
	resp, err := h.client.ExchangeCode(r.Context(), code, h.oauth.RedirectURL)
	if err != nil {
		var api *highlevel.APIError
		if errors.As(err, &api) {
			h.fail(w, http.StatusBadGateway, "HighLevel refused the authorization code: "+api.Message)
			return
		}
		h.fail(w, http.StatusBadGateway, "could not reach HighLevel to exchange the code")
		h.logger.Warn("code exchange failed", zap.Error(err))
		return
	}
	if resp.UserType != highlevel.UserTypeCompany || resp.CompanyID == "" {
		h.fail(w, http.StatusBadRequest, fmt.Sprintf(
			"saasbridge must be connected by an agency (Company) install, got a %q token", resp.UserType))
		return
	}
	if err := h.store.Put(r.Context(), tokens.KeyHighLevelAgency(resp.CompanyID), credentials.FromHighLevel(resp, received)); err != nil {
		h.logger.Error("store agency token", zap.String("companyId", resp.CompanyID), zap.Error(err))
		h.fail(w, http.StatusInternalServerError, "could not store the agency token")
		return
	}
	h.logger.Info("agency connected", zap.String("companyId", resp.CompanyID), zap.String("scope", resp.Scope))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = connectedPage.Execute(w, resp.CompanyID)
}

func (h *highLevelConnect) fail(w http.ResponseWriter, status int, msg string) {
	h.logger.Info("connect failed", zap.Int("status", status), zap.String("reason", msg))
	http.Error(w, msg, status)
}

var connectedPage = template.Must(template.New("connected").Parse(`<!doctype html>
<title>saasbridge connected</title>
<h1>HighLevel agency connected</h1>
<p>saasbridge can now act for company <code>{{.}}</code>. You can close this page.</p>
`))

func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
