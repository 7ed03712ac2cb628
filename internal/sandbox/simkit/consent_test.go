package simkit

import (
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
