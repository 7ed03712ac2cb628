package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// connector serves one provider's authorization-code flow across the two listeners:
//
//	operator GET /oauth/<name>/start     an operator starts: 303 to the public begin page
//	                                      with a signed, short-lived ticket
//	public   GET /oauth/<name>/begin     redeems the ticket, binds the flow to this
//	                                      browser (state cookie) and sends it to consent
//	public   GET /oauth/<name>/callback  checks state and cookie, exchanges the code (with
//	                                      the PKCE verifier), checks what was connected and
//	                                      stores it
//
// Only the operator listener can start a flow; the public pages do nothing, and call
// nobody, without a valid ticket or state. See oauthstate.go for the signed values.
type connector struct {
	name      string // path segment: "highlevel", "actionstep"
	title     string // for people: "HighLevel agency"
	oauth     *oauth2.Config
	store     *tokens.Store
	flows     *flowSigner
	logger    *zap.Logger
	publicURL string // where the begin page is
	secure    bool   // https public URL: Secure, __Host- cookie
	pkce      bool
	now       func() time.Time
	// confirmsReplacement: the start page takes ?replace_user=<id>, an operator's
	// confirmation that this connect may replace the connected user.
	confirmsReplacement bool
	// exchange trades the code for a token, decides whether it may be stored (confirmed
	// is the user id an operator confirmed, if any) and says where to store it and what
	// was connected (shown to the user).
	exchange func(ctx context.Context, code, verifier, confirmed string, received time.Time) (key, connected string, tok tokens.Token, err error)
}

// refusedError is a refusal worded for the user: a provider's answer, or what was
// connected not being allowed.
type refusedError struct {
	status int
	msg    string
}

func (e *refusedError) Error() string { return e.msg }

func refused(status int, format string, args ...any) error {
	return &refusedError{status: status, msg: fmt.Sprintf(format, args...)}
}

// Limits on what a callback may carry (a code is tens of characters at both providers).
const (
	maxCodeLen    = 1024
	maxMessageLen = 200 // provider text shown or logged
)

func (c *connector) path() string { return "/oauth/" + c.name + "/" }

// cookie names the state cookie: on https a __Host- cookie, which the browser only
// accepts Secure, for path / and from this host itself (no subdomain can plant one).
func (c *connector) cookie() (name, path string) {
	if c.secure {
		return "__Host-saasbridge_" + c.name + "_oauth", "/"
	}
	return "saasbridge_" + c.name + "_oauth", c.path()
}

// operatorRoutes are the start page; publicRoutes the pages the browser and the
// provider come back to.
func (c *connector) operatorRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+c.path()+"start", c.start)
}

func (c *connector) publicRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+c.path()+"begin", c.begin)
	mux.HandleFunc("GET "+c.path()+"callback", c.callback)
}

// userIDPattern is what an Actionstep user id looks like.
var userIDPattern = regexp.MustCompile(`^[0-9]{1,20}$`)

func (c *connector) start(w http.ResponseWriter, r *http.Request) {
	confirmed := r.URL.Query().Get("replace_user")
	if confirmed != "" && (!c.confirmsReplacement || !userIDPattern.MatchString(confirmed)) {
		c.fail(w, http.StatusBadRequest, "replace_user must be the id of the "+c.title+" user to connect", errors.New("bad replace_user"))
		return
	}
	ticket := c.flows.sign(purposeTick, flowClaims{Provider: c.name, Replace: confirmed}, ticketTTL)
	http.Redirect(w, r, strings.TrimRight(c.publicURL, "/")+c.path()+"begin?ticket="+url.QueryEscape(ticket), http.StatusSeeOther)
}

func (c *connector) begin(w http.ResponseWriter, r *http.Request) {
	ticket, err := c.flows.open(purposeTick, c.name, r.URL.Query().Get("ticket"))
	if err != nil {
		c.fail(w, http.StatusBadRequest, "this connect link is invalid or has expired; start again on the operator listener at "+c.path()+"start", err)
		return
	}
	nonce, err := newNonce()
	if err != nil {
		c.fail(w, http.StatusInternalServerError, "could not start the connect flow", err)
		return
	}
	name, path := c.cookie()
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: nonce, Path: path, MaxAge: int(stateTTL.Seconds()),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
	state := c.flows.sign(purposeState, flowClaims{Provider: c.name, Binding: binding(nonce), Replace: ticket.Replace}, stateTTL)
	var opts []oauth2.AuthCodeOption
	if c.pkce {
		opts = append(opts, oauth2.S256ChallengeOption(c.flows.pkceVerifier(nonce)))
	}
	http.Redirect(w, r, c.oauth.AuthCodeURL(state, opts...), http.StatusFound)
}

func (c *connector) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name, path := c.cookie()
	cookie, cookieErr := r.Cookie(name)
	// The state cookie is single use, whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: name, Path: path, MaxAge: -1, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
	if e := q.Get("error"); e != "" {
		c.fail(w, http.StatusBadRequest, providerErrorMessage(c.title, e), providerErrorReason(e))
		return
	}
	claims, err := c.flows.open(purposeState, c.name, q.Get("state"))
	switch {
	case len(q["state"]) > 1 || len(q["code"]) > 1:
		err = fmt.Errorf("%w: state or code given more than once", errBadState)
	case err != nil:
	case cookieErr != nil:
		err = fmt.Errorf("%w: no state cookie in this browser", errBadState)
	case binding(cookie.Value) != claims.Binding:
		err = fmt.Errorf("%w: bound to another browser", errBadState)
	}
	if err != nil {
		c.fail(w, http.StatusBadRequest, "the connect flow's state is missing, invalid or expired; start again on the operator listener at "+c.path()+"start", err)
		return
	}
	code := q.Get("code")
	if code == "" || len(code) > maxCodeLen {
		c.fail(w, http.StatusBadRequest, "the callback carries no usable authorization code", fmt.Errorf("code of %d bytes", len(code)))
		return
	}
	verifier := ""
	if c.pkce {
		verifier = c.flows.pkceVerifier(cookie.Value)
	}
	c.complete(w, r, code, verifier, claims.Replace)
}

// complete exchanges the code and stores what it yields.
func (c *connector) complete(w http.ResponseWriter, r *http.Request, code, verifier, confirmed string) {
	key, connected, tok, err := c.exchange(r.Context(), code, verifier, confirmed, c.now())
	var ref *refusedError
	switch {
	case errors.As(err, &ref):
		c.fail(w, ref.status, ref.msg, err)
		return
	case err != nil:
		c.fail(w, http.StatusBadGateway, "could not complete the code exchange; try again", err)
		return
	}
	if err := c.store.Put(r.Context(), key, tok); err != nil {
		c.fail(w, http.StatusInternalServerError, "could not store the token", err)
		return
	}
	c.logger.Info("connected", zap.String("credential", key))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = connectedPage.Execute(w, struct{ Title, Connected string }{c.title, connected})
}

// fail answers with a fixed message (plain text, never the request's input) and logs
// why.
func (c *connector) fail(w http.ResponseWriter, status int, msg string, reason error) {
	c.logger.Info("connect failed", zap.Int("status", status), zap.String("reason", logSafe(reason.Error(), maxMessageLen)))
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, msg, status)
}

// providerErrors are the fixed messages for the OAuth error codes (RFC 6749 §4.1.2.1);
// the provider's error_description is never shown.
var providerErrors = map[string]string{
	"access_denied":             "access was not granted",
	"invalid_scope":             "the requested scopes were refused",
	"invalid_request":           "the authorization request was refused",
	"unauthorized_client":       "this app may not use the authorization code flow",
	"unsupported_response_type": "the authorization request was refused",
	"server_error":              "the provider had an error; try again",
	"temporarily_unavailable":   "the provider is unavailable; try again later",
}

// providerErrorReason is what the log says of the error: a known code, or its size.
func providerErrorReason(code string) error {
	if _, ok := providerErrors[code]; ok {
		return fmt.Errorf("the provider answered error=%s", code)
	}
	return fmt.Errorf("the provider answered an unrecognised error (%d bytes)", len(code))
}

func providerErrorMessage(title, code string) string {
	msg, ok := providerErrors[code]
	if !ok {
		msg = "the provider reported an error"
	}
	return title + " did not connect: " + msg
}

// logSafe keeps printable characters of s, at most n bytes of them: text from outside
// goes into logs and pages only like this.
func logSafe(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

var connectedPage = template.Must(template.New("connected").Parse(`<!doctype html>
<title>saasbridge connected</title>
<h1>{{.Title}} connected</h1>
<p>saasbridge can now act for {{.Connected}}. You can close this page.</p>
`))

// newHighLevelConnect connects an agency: the code flow yields a Company token, stored
// only for a company saasbridge serves.
func newHighLevelConnect(cfg config.Starter, hl *highlevel.Client, store *tokens.Store, flows *flowSigner, logger *zap.Logger) *connector {
	companies := cfg.Companies()
	return &connector{
		name: "highlevel", title: "HighLevel agency", store: store, flows: flows, now: time.Now,
		logger: logger.Named("connect.highlevel"), publicURL: cfg.PublicURL, secure: strings.HasPrefix(cfg.PublicURL, "https://"),
		pkce: bool(cfg.HighLevelPKCE),
		oauth: &oauth2.Config{
			ClientID: cfg.HighLevel.ClientID, Endpoint: oauth2.Endpoint{AuthURL: cfg.HighLevel.AuthURL},
			RedirectURL: cfg.HighLevelRedirectURL(), Scopes: cfg.HighLevel.Scopes,
		},
		exchange: func(ctx context.Context, code, verifier, _ string, received time.Time) (string, string, tokens.Token, error) {
			resp, err := hl.ExchangeCodeWithVerifier(ctx, code, cfg.HighLevelRedirectURL(), verifier)
			var api *highlevel.APIError
			if errors.As(err, &api) {
				return "", "", tokens.Token{}, refused(http.StatusBadGateway, "HighLevel refused the authorization code: %s", logSafe(api.Message, maxMessageLen))
			}
			if err != nil {
				return "", "", tokens.Token{}, err
			}
			if resp.UserType != highlevel.UserTypeCompany || resp.CompanyID == "" {
				return "", "", tokens.Token{}, refused(http.StatusBadGateway,
					"saasbridge must be connected by an agency (Company) install, got a %q token", logSafe(resp.UserType, 32))
			}
			if !slices.Contains(companies, resp.CompanyID) {
				return "", "", tokens.Token{}, refused(http.StatusForbidden,
					"company %s is not one saasbridge serves (HIGHLEVEL_COMPANY_IDS); nothing was stored", logSafe(resp.CompanyID, 64))
			}
			return tokens.KeyHighLevelAgency(resp.CompanyID), "company " + resp.CompanyID, credentials.FromHighLevel(resp, received), nil
		},
	}
}

// newActionstepConnect connects the dedicated Actionstep user of the organisation
// saasbridge writes to. A connect by another user than the one connected is refused
// unless an operator confirmed that user (start?replace_user=<id>).
func newActionstepConnect(cfg config.Starter, as *actionstep.Client, store *tokens.Store, flows *flowSigner, logger *zap.Logger) *connector {
	log := logger.Named("connect.actionstep")
	return &connector{
		name: "actionstep", title: "Actionstep organisation", store: store, flows: flows, now: time.Now,
		logger: log, publicURL: cfg.PublicURL, secure: strings.HasPrefix(cfg.PublicURL, "https://"),
		pkce: bool(cfg.ActionstepPKCE), confirmsReplacement: true,
		oauth: &oauth2.Config{
			ClientID: cfg.Actionstep.ClientID, Endpoint: oauth2.Endpoint{AuthURL: cfg.Actionstep.AuthURL},
			RedirectURL: cfg.ActionstepRedirectURL(), Scopes: cfg.Actionstep.Scopes,
		},
		exchange: func(ctx context.Context, code, verifier, confirmed string, received time.Time) (string, string, tokens.Token, error) {
			resp, err := as.ExchangeCodeWithVerifier(ctx, code, cfg.ActionstepRedirectURL(), verifier)
			var oauthErr *actionstep.OAuthError
			if errors.As(err, &oauthErr) {
				return "", "", tokens.Token{}, refused(http.StatusBadGateway, "Actionstep refused the authorization code: %s",
					logSafe(oauthErr.Code+" "+oauthErr.Description, maxMessageLen))
			}
			if err != nil {
				return "", "", tokens.Token{}, err
			}
			if resp.OrgKey != cfg.Actionstep.OrgKey {
				return "", "", tokens.Token{}, refused(http.StatusForbidden,
					"this user signed in to organisation %s; saasbridge writes to %s (ACTIONSTEP_ORG_KEY); nothing was stored",
					logSafe(resp.OrgKey, 64), cfg.Actionstep.OrgKey)
			}
			user, err := as.As(oauth2.StaticTokenSource(resp.OAuth2(received))).CurrentUser(ctx)
			if err != nil {
				return "", "", tokens.Token{}, fmt.Errorf("read the connecting Actionstep user: %w", err)
			}
			key := tokens.KeyActionstep(resp.OrgKey)
			if err := checkReplacement(ctx, store, key, user.ID.String(), confirmed, log); err != nil {
				return "", "", tokens.Token{}, err
			}
			tok := credentials.FromActionstep(resp, received)
			tok.Attrs[credentials.AttrUserID] = user.ID.String()
			return key, fmt.Sprintf("organisation %s as user %s", resp.OrgKey, user.ID), tok, nil
		},
	}
}

// checkReplacement refuses to replace the credential under key, connected as another
// user than userID, unless an operator confirmed userID. A credential stored before
// users were recorded names no user: it is replaced, with a warning.
func checkReplacement(ctx context.Context, store *tokens.Store, key, userID, confirmed string, log *zap.Logger) error {
	_, info, err := store.Get(ctx, key)
	switch {
	case errors.Is(err, tokens.ErrNotFound):
		return nil
	case err != nil && !errors.Is(err, tokens.ErrDecrypt):
		return fmt.Errorf("read the connected credential: %w", err)
	}
	current := info.Attrs[credentials.AttrUserID]
	switch {
	case err == nil && current == userID:
		return nil
	case err == nil && current == "":
		log.Warn("the connected Actionstep credential names no user; replacing it", zap.String("credential", key), zap.String("userId", userID))
		return nil
	case confirmed == userID:
		log.Warn("Actionstep user replaced, as an operator confirmed", zap.String("credential", key),
			zap.String("previousUserId", current), zap.String("userId", userID))
		return nil
	}
	if current == "" {
		current = "unknown (the stored credential cannot be read)"
	}
	return refused(http.StatusConflict, "the organisation is connected as Actionstep user %s, and this sign-in is user %s; "+
		"nothing was stored. To replace the connected user, an operator starts again at /oauth/actionstep/start?replace_user=%s on the operator listener",
		current, userID, userID)
}
