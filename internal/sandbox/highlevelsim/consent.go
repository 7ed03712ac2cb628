package highlevelsim

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// consent serves the chooselocation page (reference §1.1) at
// /v2/oauth/chooselocation and the legacy /oauth/chooselocation. GET shows
// the agencies to install into (or, with AutoConsent, approves at once);
// POST approves the chosen company_id. Approval installs the app at agency
// level and redirects to redirect_uri with a single-use code and the
// caller's state.
func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	info := simkit.CallInfoFrom(r.Context())
	info.Endpoint = r.Pattern
	simkit.Consent{
		ClientID: s.clientID, AutoConsent: s.autoConsent, RequirePKCE: s.requirePKCE,
		Render: func(cr simkit.ConsentRequest) { s.renderConsent(w, r.URL.Path, cr) },
		Approve: func(cr simkit.ConsentRequest) (code string, err error) {
			code, info.Scope, err = s.approve(cr, r.Form.Get("company_id"))
			return code, err
		},
	}.Serve(w, r)
}

// approve installs the app at the agency (the first one when companyID is
// empty) and issues a consent code for it.
func (s *Server) approve(cr simkit.ConsentRequest, companyID string) (code, company string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if companyID == "" {
		if len(s.w.agencyOrder) == 0 {
			return "", "", errors.New("no agency to install into: create one with POST /_sandbox/agencies")
		}
		companyID = s.w.agencyOrder[0]
	}
	a, ok := s.w.agencies[companyID]
	if !ok {
		return "", "", errors.New("unknown company_id")
	}
	a.AppInstalled = true
	code = newAuthCode()
	s.w.codes[code] = &authCode{
		clientID: cr.ClientID, redirectURI: cr.RedirectURI, companyID: a.ID, codeChallenge: cr.CodeChallenge,
		scopes: strings.Fields(cr.Scope), expiresAt: s.now().Add(authCodeTTL),
	}
	s.log.Info("consent approved", zap.String("companyId", a.ID))
	return code, a.ID, nil
}

type consentAgency struct {
	ID, Name  string
	Locations int
}

func (s *Server) renderConsent(w http.ResponseWriter, action string, cr simkit.ConsentRequest) {
	s.mu.Lock()
	agencies := make([]consentAgency, 0, len(s.w.agencyOrder))
	for _, id := range s.w.agencyOrder {
		a := s.w.agencies[id]
		agencies = append(agencies, consentAgency{ID: a.ID, Name: a.Name, Locations: len(a.LocationIDs)})
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentPage.Execute(w, map[string]any{
		"Action": action, "Request": cr, "Scopes": strings.Fields(cr.Scope), "Agencies": agencies,
	})
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Choose account · HighLevel sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
li{margin:.5rem 0}form{display:inline}button{margin-left:.5rem}code{font-size:.9em}</style></head>
<body>
<h1>Install app <code>{{.Request.ClientID}}</code></h1>
<p>Requested scopes:</p>
<ul>{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>
<h2>Choose an agency</h2>
{{if .Agencies}}<ul>{{range .Agencies}}
<li>{{.Name}} <code>{{.ID}}</code> ({{.Locations}} sub-accounts)
<form method="post" action="{{$.Action}}">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="client_id" value="{{$.Request.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{$.Request.RedirectURI}}">
<input type="hidden" name="scope" value="{{$.Request.Scope}}">
<input type="hidden" name="state" value="{{$.Request.State}}">
{{if $.Request.CodeChallenge}}<input type="hidden" name="code_challenge" value="{{$.Request.CodeChallenge}}">
<input type="hidden" name="code_challenge_method" value="S256">{{end}}
<input type="hidden" name="company_id" value="{{.ID}}">
<button type="submit">Install</button></form></li>{{end}}
</ul>{{else}}<p>No agencies yet. Create one with <code>POST /_sandbox/agencies</code>.</p>{{end}}
</body></html>
`))
