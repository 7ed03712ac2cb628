package actionstepsim

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// authorize serves the consent page (reference §1.3) at
// /api/oauth/authorize. GET shows the organisations whose API user can
// sign in (or, with AutoConsent, approves at once); POST approves the
// chosen orgkey. Approval redirects to redirect_uri with a single-use code
// and the caller's state. The orgkey parameter, on GET or POST, picks the
// organisation (simulator extension: the real page asks the user to log
// in).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	info := simkit.CallInfoFrom(r.Context())
	info.Endpoint = r.Method + " " + authorizePath
	simkit.Consent{
		ClientID: s.clientID, AutoConsent: s.autoConsent, RequirePKCE: s.requirePKCE,
		Render: func(cr simkit.ConsentRequest) { s.renderConsent(w, cr) },
		Approve: func(cr simkit.ConsentRequest) (code string, err error) {
			code, info.Scope, err = s.approve(cr, r.Form.Get("orgkey"))
			return code, err
		},
	}.Serve(w, r)
}

// approve signs the organisation's API user in (the first organisation
// when orgKey is empty) and issues a code for the requested scopes.
func (s *Server) approve(cr simkit.ConsentRequest, orgKey string) (code, org string, err error) {
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
		redirectURI: cr.RedirectURI, codeChallenge: cr.CodeChallenge, expiresAt: s.now().Add(authCodeTTL),
	}
	s.log.Info("consent approved", zap.String("orgkey", o.key))
	return code, o.key, nil
}

type consentOrg struct{ Key, Name string }

func (s *Server) renderConsent(w http.ResponseWriter, cr simkit.ConsentRequest) {
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
{{if $.Request.CodeChallenge}}<input type="hidden" name="code_challenge" value="{{$.Request.CodeChallenge}}">
<input type="hidden" name="code_challenge_method" value="S256">{{end}}
<input type="hidden" name="orgkey" value="{{.Key}}">
<button type="submit">Approve</button></form></li>{{end}}
</ul>{{else}}<p>No organisations yet. Create one with <code>POST /_sandbox/orgs</code>.</p>{{end}}
</body></html>
`))
