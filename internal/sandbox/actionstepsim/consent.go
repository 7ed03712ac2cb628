package actionstepsim

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"
)

// consentRequest is the authorization request of reference §1.3.
type consentRequest struct {
	ClientID    string
	RedirectURI string
	Scope       string
	State       string
}

// readConsentRequest validates the authorization parameters. Actionstep's
// page behaviour on bad input is not documented; simulator choice: a plain
// 400 page, never a redirect to an unvalidated redirect_uri.
func (s *Server) readConsentRequest(v url.Values) (consentRequest, error) {
	cr := consentRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), Scope: v.Get("scope"), State: v.Get("state")}
	switch {
	case v.Get("response_type") != "code":
		return cr, errors.New("response_type must be code")
	case cr.ClientID != s.clientID:
		return cr, errors.New("unknown client_id")
	case cr.RedirectURI == "":
		return cr, errors.New("redirect_uri is required")
	case strings.TrimSpace(cr.Scope) == "":
		return cr, errors.New("scope is required")
	}
	if u, err := url.Parse(cr.RedirectURI); err != nil || !u.IsAbs() {
		return cr, errors.New("redirect_uri must be an absolute URL")
	}
	return cr, nil
}

// authorize serves the consent page at /api/oauth/authorize. GET shows the
// organisations whose API user can sign in (or, with AutoConsent,
// approves at once); POST approves the chosen orgkey. Approval redirects
// to redirect_uri with a single-use code and the caller's state. The
// orgkey parameter, on GET or POST, picks the organisation (simulator
// extension: the real page asks the user to log in).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	info := callInfoFrom(r.Context())
	info.endpoint = r.Method + " " + authorizePath
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed request", http.StatusBadRequest)
		return
	}
	cr, err := s.readConsentRequest(r.Form)
	if err != nil {
		http.Error(w, "invalid authorization request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodGet && !s.autoConsent {
		s.renderConsent(w, cr)
		return
	}
	code, orgKey, err := s.approve(cr, r.Form.Get("orgkey"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	info.org = orgKey
	target, _ := url.Parse(cr.RedirectURI) // validated above
	q := target.Query()
	q.Set("code", code)
	if cr.State != "" {
		q.Set("state", cr.State)
	}
	target.RawQuery = q.Encode()
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther // the browser must GET the callback
	}
	http.Redirect(w, r, target.String(), status)
}

// approve signs the organisation's API user in (the first organisation
// when orgKey is empty) and issues a code for the requested scopes.
func (s *Server) approve(cr consentRequest, orgKey string) (code, org string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if orgKey == "" {
		if len(s.w.orgOrder) == 0 {
			return "", "", errors.New("no organisation to sign in to: create one with POST /_sandbox/orgs")
		}
		orgKey = s.w.orgOrder[0]
	}
	o, ok := s.w.orgs[orgKey]
	if !ok {
		return "", "", errors.New("unknown orgkey")
	}
	code = newHex40()
	s.w.codes[code] = &authCode{
		grant:       grant{orgKey: o.key, userID: o.userID, scopes: strings.Fields(cr.Scope)},
		redirectURI: cr.RedirectURI, expiresAt: s.now().Add(authCodeTTL),
	}
	s.log.Info("consent approved", zap.String("orgkey", o.key))
	return code, o.key, nil
}

type consentOrg struct{ Key, Name string }

func (s *Server) renderConsent(w http.ResponseWriter, cr consentRequest) {
	s.mu.Lock()
	orgs := make([]consentOrg, 0, len(s.w.orgOrder))
	for _, k := range s.w.orgOrder {
		orgs = append(orgs, consentOrg{Key: k, Name: s.w.orgs[k].name})
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, map[string]any{
		"Action": authorizePath, "Request": cr, "Scopes": strings.Fields(cr.Scope), "Orgs": orgs,
	})
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorise · Actionstep sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
li{margin:.5rem 0}form{display:inline}button{margin-left:.5rem}code{font-size:.9em}</style></head>
<body>
<h1>Authorise <code>{{.Request.ClientID}}</code></h1>
<p>Requested scopes:</p>
<ul>{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>
<h2>Sign in to an organisation</h2>
{{if .Orgs}}<ul>{{range .Orgs}}
<li>{{.Name}} <code>{{.Key}}</code>
<form method="post" action="{{$.Action}}">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="client_id" value="{{$.Request.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{$.Request.RedirectURI}}">
<input type="hidden" name="scope" value="{{$.Request.Scope}}">
<input type="hidden" name="state" value="{{$.Request.State}}">
<input type="hidden" name="orgkey" value="{{.Key}}">
<button type="submit">Approve</button></form></li>{{end}}
</ul>{{else}}<p>No organisations yet. Create one with <code>POST /_sandbox/orgs</code>.</p>{{end}}
</body></html>
`))
