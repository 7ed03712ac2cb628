package simkit

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// ConsentRequest is an OAuth 2.0 authorization request as the consent page
// receives it.
type ConsentRequest struct {
	ClientID    string
	RedirectURI string
	Scope       string
	State       string
	// CodeChallenge is the PKCE challenge (RFC 7636), S256 only; "" when the
	// client sent none.
	CodeChallenge string
}

// PKCE (RFC 7636) is documented by neither provider; the simulators accept
// it, S256 only, so that a client can turn it on against them, and can
// require it to prove the client sends it.
var pkceValue = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// WithPKCE adds an S256 challenge to authorization parameters (none when
// challenge is empty), for admin clients that play the user.
func WithPKCE(v url.Values, challenge string) url.Values {
	if challenge != "" {
		v.Set("code_challenge", challenge)
		v.Set("code_challenge_method", "S256")
	}
	return v
}

// VerifyPKCE checks a code exchange's code_verifier against the challenge the
// authorization request carried. No challenge, nothing to check (a verifier
// sent anyway is ignored, as servers without PKCE do).
func VerifyPKCE(challenge, verifier string) error {
	if challenge == "" {
		return nil
	}
	if !pkceValue.MatchString(verifier) {
		return errors.New("code_verifier is missing or malformed")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) != 1 {
		return errors.New("code_verifier does not match the code_challenge")
	}
	return nil
}

// ReadConsentRequest validates the authorization parameters for the one
// registered client. The providers do not document the page's behaviour
// on bad input; simulator choice: a plain 400 page, never a redirect to an
// unvalidated redirect_uri.
func ReadConsentRequest(v url.Values, clientID string) (ConsentRequest, error) {
	cr := ConsentRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), Scope: v.Get("scope"), State: v.Get("state"),
		CodeChallenge: v.Get("code_challenge")}
	switch {
	case v.Get("response_type") != "code":
		return cr, errors.New("response_type must be code")
	case cr.ClientID != clientID:
		return cr, errors.New("unknown client_id")
	case cr.RedirectURI == "":
		return cr, errors.New("redirect_uri is required")
	case strings.TrimSpace(cr.Scope) == "":
		return cr, errors.New("scope is required")
	case cr.CodeChallenge != "" && v.Get("code_challenge_method") != "S256":
		return cr, errors.New("code_challenge_method must be S256")
	case cr.CodeChallenge != "" && !pkceValue.MatchString(cr.CodeChallenge):
		return cr, errors.New("code_challenge is malformed")
	}
	if u, err := url.Parse(cr.RedirectURI); err != nil || !u.IsAbs() {
		return cr, errors.New("redirect_uri must be an absolute URL")
	}
	return cr, nil
}

// Consent is the consent page's protocol; what the page shows and what
// approval grants are the simulator's.
type Consent struct {
	ClientID string
	// AutoConsent approves a GET at once instead of rendering the page.
	AutoConsent bool
	// RequirePKCE refuses a request without a PKCE challenge.
	RequirePKCE bool
	// Render writes the page for a valid request.
	Render func(ConsentRequest)
	// Approve grants the request, for the account the form names, and
	// returns the single-use code; its error is shown as a 400 page.
	Approve func(ConsentRequest) (code string, err error)
}

// Serve answers one request to the page: GET renders it (or, with
// AutoConsent, approves at once) and POST approves. Approval redirects to
// redirect_uri with the code and the caller's state: 302 for a GET, 303
// for a POST so that the browser GETs the callback.
func (c Consent) Serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed request", http.StatusBadRequest)
		return
	}
	cr, err := ReadConsentRequest(r.Form, c.ClientID)
	if err == nil && c.RequirePKCE && cr.CodeChallenge == "" {
		err = errors.New("code_challenge is required (PKCE)")
	}
	if err != nil {
		http.Error(w, "invalid authorization request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodGet && !c.AutoConsent {
		c.Render(cr)
		return
	}
	code, err := c.Approve(cr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	target, _ := url.Parse(cr.RedirectURI) // validated above
	q := target.Query()
	q.Set("code", code)
	if cr.State != "" {
		q.Set("state", cr.State)
	}
	target.RawQuery = q.Encode()
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	http.Redirect(w, r, target.String(), status)
}
