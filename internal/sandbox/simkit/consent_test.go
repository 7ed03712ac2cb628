package simkit

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadConsentRequest(t *testing.T) {
	valid := url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {"https://app.example.com/cb"}, "scope": {"a b"}, "state": {"st"}}
	cr, err := ReadConsentRequest(valid, "app")
	require.NoError(t, err)
	assert.Equal(t, ConsentRequest{ClientID: "app", RedirectURI: "https://app.example.com/cb", Scope: "a b", State: "st"}, cr)
	for change, want := range map[string]string{
		"response_type=token":    "response_type must be code",
		"client_id=other":        "unknown client_id",
		"redirect_uri=":          "redirect_uri is required",
		"scope=+":                "scope is required",
		"redirect_uri=/relative": "redirect_uri must be an absolute URL",
		"code_challenge=" + strings.Repeat("a", 43): "code_challenge_method must be S256",
	} {
		v := url.Values{}
		for k, vs := range valid {
			v[k] = vs
		}
		k, val, _ := strings.Cut(change, "=")
		val, _ = url.QueryUnescape(val)
		v.Set(k, val)
		_, err := ReadConsentRequest(v, "app")
		assert.EqualError(t, err, want, change)
	}
}

func TestPKCE(t *testing.T) {
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	v := url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {"https://app.example.com/cb"}, "scope": {"a"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	cr, err := ReadConsentRequest(v, "app")
	require.NoError(t, err)
	assert.Equal(t, challenge, cr.CodeChallenge)
	v.Set("code_challenge", "short")
	_, err = ReadConsentRequest(v, "app")
	assert.EqualError(t, err, "code_challenge is malformed")
	v.Set("code_challenge", challenge)
	v.Set("code_challenge_method", "plain")
	_, err = ReadConsentRequest(v, "app")
	assert.EqualError(t, err, "code_challenge_method must be S256")

	assert.NoError(t, VerifyPKCE(challenge, verifier))
	assert.NoError(t, VerifyPKCE("", "anything"), "no challenge, nothing to check")
	assert.EqualError(t, VerifyPKCE(challenge, ""), "code_verifier is missing or malformed")
	assert.EqualError(t, VerifyPKCE(challenge, strings.Repeat("w", 43)), "code_verifier does not match the code_challenge")

	// RequirePKCE refuses a request without one.
	c := Consent{ClientID: "app", AutoConsent: true, RequirePKCE: true, Approve: func(ConsentRequest) (string, error) { return "c0de", nil }}
	w := httptest.NewRecorder()
	c.Serve(w, httptest.NewRequest(http.MethodGet, "/consent?response_type=code&client_id=app&redirect_uri=https%3A%2F%2Fa.example%2Fcb&scope=a", nil))
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), "code_challenge is required")
}

func TestConsentServe(t *testing.T) {
	query := "response_type=code&client_id=app&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%3Fx%3D1&scope=a&state=st"
	var rendered []ConsentRequest
	page := func(auto bool, approveErr error) Consent {
		return Consent{ClientID: "app", AutoConsent: auto,
			Render:  func(cr ConsentRequest) { rendered = append(rendered, cr) },
			Approve: func(ConsentRequest) (string, error) { return "c0de", approveErr },
		}
	}
	serve := func(c Consent, method, target string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		var r *http.Request
		if method == http.MethodPost {
			r = httptest.NewRequest(method, "/consent", strings.NewReader(target))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			r = httptest.NewRequest(method, "/consent?"+target, nil)
		}
		c.Serve(w, r)
		return w
	}

	w := serve(page(false, nil), http.MethodGet, query)
	assert.Equal(t, http.StatusOK, w.Code)
	require.Len(t, rendered, 1, "GET shows the page")
	assert.Equal(t, "st", rendered[0].State)

	w = serve(page(true, nil), http.MethodGet, query)
	assert.Equal(t, http.StatusFound, w.Code)
	assert.Equal(t, "https://app.example.com/cb?code=c0de&state=st&x=1", w.Header().Get("Location"))

	w = serve(page(false, nil), http.MethodPost, strings.Replace(query, "&state=st", "", 1))
	assert.Equal(t, http.StatusSeeOther, w.Code, "the browser must GET the callback")
	assert.Equal(t, "https://app.example.com/cb?code=c0de&x=1", w.Header().Get("Location"), "no state, none sent back")

	w = serve(page(false, errors.New("unknown account")), http.MethodPost, query)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, "unknown account\n", w.Body.String())

	w = serve(page(true, nil), http.MethodGet, "response_type=code&client_id=evil&redirect_uri=https%3A%2F%2Fevil.example.com&scope=a")
	assert.Equal(t, http.StatusBadRequest, w.Code, "never a redirect to an unvalidated redirect_uri")
	assert.Equal(t, "invalid authorization request: unknown client_id\n", w.Body.String())
	assert.Len(t, rendered, 1)
}
