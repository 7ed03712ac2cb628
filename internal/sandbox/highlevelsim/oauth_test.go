package highlevelsim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCodeFlowConsentPageToCompanyToken(t *testing.T) {
	h := newHarness(t, Options{})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	authURL := h.url + "/v2/oauth/chooselocation?" + url.Values{
		"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect + "?tenant=1"},
		"scope": {allScopes}, "state": {"xyz"},
	}.Encode()
	page, err := noRedirect.Get(authURL)
	require.NoError(t, err)
	defer page.Body.Close()
	require.Equal(t, http.StatusOK, page.StatusCode, "without AutoConsent the page waits for a click")
	html := readAll(t, page)
	assert.Contains(t, html, h.agency.ID)
	assert.Contains(t, html, "Acme Agency")
	assert.Contains(t, html, "saas/company.write")

	// Clicking "Install" posts the form back to the same path.
	form := url.Values{
		"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect + "?tenant=1"},
		"scope": {allScopes}, "state": {"xyz"}, "company_id": {h.agency.ID},
	}
	approved, err := noRedirect.PostForm(h.url+"/v2/oauth/chooselocation", form)
	require.NoError(t, err)
	approved.Body.Close()
	require.Equal(t, http.StatusSeeOther, approved.StatusCode)
	cb, err := url.Parse(approved.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "app.example.com", cb.Host)
	assert.Equal(t, "1", cb.Query().Get("tenant"), "the redirect_uri's own query survives")
	assert.Equal(t, "xyz", cb.Query().Get("state"))
	code := cb.Query().Get("code")
	assert.Regexp(t, `^[0-9a-f]{40}$`, code)

	exchange := url.Values{
		"client_id": {testClientID}, "client_secret": {testClientSecret}, "grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {testRedirect + "?tenant=1"},
	}
	r := h.exchange(exchange)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
	var raw map[string]any
	r.decode(t, &raw)
	assert.NotContains(t, raw, "locationId", "Company tokens carry no locationId")
	var tr tokenReply
	r.decode(t, &tr)
	assert.True(t, strings.HasPrefix(tr.AccessToken, accessTokenPrefix))
	assert.True(t, strings.HasPrefix(tr.RefreshToken, refreshTokenPrefix))
	assert.Equal(t, "Bearer", tr.TokenType)
	assert.Equal(t, 86399, tr.ExpiresIn)
	assert.Equal(t, allScopes, tr.Scope)
	assert.Equal(t, "Company", tr.UserType)
	assert.Equal(t, h.agency.ID, tr.CompanyID)
	assert.Equal(t, h.agency.UserID, tr.UserID)
	assert.Regexp(t, `^[0-9a-f]{24}$`, tr.RefreshTokenID)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, tr.TraceID)
	require.NotNil(t, tr.IsBulkInstallation)
	assert.True(t, *tr.IsBulkInstallation)
	require.NotNil(t, tr.ApproveAllLocations)
	assert.True(t, *tr.ApproveAllLocations)
	require.NotNil(t, tr.InstallToFutureLocations)
	assert.True(t, *tr.InstallToFutureLocations)
	assert.True(t, h.s.State().Agencies[0].AppInstalled, "consent installs the app at agency level")

	// The code is single use.
	h.exchange(exchange).requireError(t, http.StatusBadRequest,
		`{"statusCode":400,"message":"Invalid grant: authorization code is invalid"}`)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestAutoConsentRedirectsAtOnce(t *testing.T) {
	h := newHarness(t, Options{AutoConsent: true})
	second, err := h.s.CreateAgency(AgencySpec{Name: "Second"})
	require.NoError(t, err)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, tc := range []struct {
		name, path, company, wantCompany string
	}{
		{"first agency by default", "/v2/oauth/chooselocation", "", h.agency.ID},
		{"company_id chooses", "/v2/oauth/chooselocation", second.Agency.ID, second.Agency.ID},
		{"legacy path", "/oauth/chooselocation", "", h.agency.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect}, "scope": {"oauth.readonly"}}
			if tc.company != "" {
				q.Set("company_id", tc.company)
			}
			resp, err := noRedirect.Get(h.url + tc.path + "?" + q.Encode())
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusFound, resp.StatusCode)
			cb, err := url.Parse(resp.Header.Get("Location"))
			require.NoError(t, err)
			assert.False(t, cb.Query().Has("state"), "no state is invented")
			r := h.exchange(url.Values{
				"client_id": {testClientID}, "client_secret": {testClientSecret},
				"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
			})
			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
			var tr tokenReply
			r.decode(t, &tr)
			assert.Equal(t, tc.wantCompany, tr.CompanyID)
		})
	}
}

func TestConsentRejectsBadRequests(t *testing.T) {
	h := newHarness(t, Options{AutoConsent: true})
	valid := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect}, "scope": {"oauth.readonly"}}
	for _, tc := range []struct {
		name  string
		edit  func(url.Values)
		wants string
	}{
		{"unknown client", func(v url.Values) { v.Set("client_id", "nope-123") }, "unknown client_id"},
		{"missing client", func(v url.Values) { v.Del("client_id") }, "unknown client_id"},
		{"missing redirect", func(v url.Values) { v.Del("redirect_uri") }, "redirect_uri is required"},
		{"relative redirect", func(v url.Values) { v.Set("redirect_uri", "/cb") }, "absolute URL"},
		{"implicit flow", func(v url.Values) { v.Set("response_type", "token") }, "response_type"},
		{"no scope", func(v url.Values) { v.Del("scope") }, "scope is required"},
		{"unknown company", func(v url.Values) { v.Set("company_id", "missing") }, "unknown company_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range valid {
				q[k] = append([]string(nil), v...)
			}
			tc.edit(q)
			resp, err := http.Get(h.url + "/v2/oauth/chooselocation?" + q.Encode())
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Contains(t, readAll(t, resp), tc.wants)
		})
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	h := newHarness(t, Options{})
	good := map[string]string{"client_id": testClientID, "client_secret": testClientSecret, "grant_type": "refresh_token", "refresh_token": "hlsim_rt_unknown"}
	for _, tc := range []struct {
		name   string
		edit   func(map[string]string)
		status int
		want   string
	}{
		{"missing client_id", func(m map[string]string) { delete(m, "client_id") }, 400, `{"statusCode":400,"message":"Missing parameter: client_id"}`},
		{"missing client_secret", func(m map[string]string) { delete(m, "client_secret") }, 400, `{"statusCode":400,"message":"Missing parameter: client_secret"}`},
		{"missing grant_type", func(m map[string]string) { delete(m, "grant_type") }, 400, `{"statusCode":400,"message":"Missing parameter: grant_type"}`},
		{"unknown grant_type", func(m map[string]string) { m["grant_type"] = "password" }, 400, `{"statusCode":400,"message":"Invalid parameter: grant_type"}`},
		{"client_credentials", func(m map[string]string) { m["grant_type"] = "client_credentials" }, 400, `{"statusCode":400,"message":"Invalid parameter: grant_type"}`},
		{"unknown client", func(m map[string]string) { m["client_id"] = "000000000000000000000000-aaaa" }, 400, `{"statusCode":400,"message":"Invalid parameter: client_id"}`},
		{"wrong secret", func(m map[string]string) { m["client_secret"] = "wrong" }, 401, `{"statusCode":401,"message":"Invalid client credentials","error":"Unauthorized"}`},
		{"bad user_type", func(m map[string]string) { m["user_type"] = "Agency" }, 400, `{"statusCode":400,"message":"Invalid parameter: user_type"}`},
		{"missing refresh_token", func(m map[string]string) { delete(m, "refresh_token") }, 400, `{"statusCode":400,"message":"Missing parameter: refresh_token"}`},
		{"unknown refresh_token", func(map[string]string) {}, 400, `{"statusCode":400,"message":"Invalid grant: refresh token is invalid"}`},
		{"missing code", func(m map[string]string) { m["grant_type"] = "authorization_code" }, 400, `{"statusCode":400,"message":"Missing parameter: code"}`},
		{"unknown code", func(m map[string]string) { m["grant_type"], m["code"] = "authorization_code", "abc" }, 400, `{"statusCode":400,"message":"Invalid grant: authorization code is invalid"}`},
	} {
		for _, enc := range []string{"form", "json"} {
			t.Run(tc.name+"/"+enc, func(t *testing.T) {
				m := map[string]string{}
				for k, v := range good {
					m[k] = v
				}
				tc.edit(m)
				var r *reply
				if enc == "form" {
					form := url.Values{}
					for k, v := range m {
						form.Set(k, v)
					}
					r = h.exchange(form)
				} else {
					r = h.call(http.MethodPost, "/oauth/token", "", m, withVersion(""))
				}
				r.requireError(t, tc.status, tc.want)
			})
		}
	}
	t.Run("non-string JSON member", func(t *testing.T) {
		h.call(http.MethodPost, "/oauth/token", "", `{"client_id":42,"client_secret":"x","grant_type":"refresh_token"}`, withVersion("")).
			requireError(t, 400, `{"statusCode":400,"message":"Invalid parameter: client_id"}`)
	})
	t.Run("malformed JSON", func(t *testing.T) {
		h.call(http.MethodPost, "/oauth/token", "", `{"client_id":`, withVersion("")).
			requireError(t, 400, `{"statusCode":400,"message":"Invalid request body"}`)
	})
	t.Run("code bound to its redirect_uri", func(t *testing.T) {
		h.exchange(url.Values{
			"client_id": {testClientID}, "client_secret": {testClientSecret}, "grant_type": {"authorization_code"},
			"code": {h.authorize("oauth.readonly")}, "redirect_uri": {"https://evil.example.com/cb"},
		}).requireError(t, 400, `{"statusCode":400,"message":"Invalid parameter: redirect_uri"}`)
	})
	t.Run("expired code", func(t *testing.T) {
		code := h.authorize("oauth.readonly")
		h.clock.Advance(authCodeTTL)
		h.exchange(url.Values{
			"client_id": {testClientID}, "client_secret": {testClientSecret}, "grant_type": {"authorization_code"}, "code": {code},
		}).requireError(t, 400, `{"statusCode":400,"message":"Invalid grant: authorization code is invalid"}`)
	})
}

func TestRefreshRotatesAndRejectsReuse(t *testing.T) {
	h := newHarness(t, Options{})
	first := h.companyToken()

	// A JSON body works as well as a form.
	r := h.call(http.MethodPost, "/oauth/token", "", map[string]string{
		"client_id": testClientID, "client_secret": testClientSecret, "grant_type": "refresh_token",
		"refresh_token": first.RefreshToken, "user_type": "Company",
	}, withVersion(""))
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
	var second tokenReply
	r.decode(t, &second)
	assert.NotEqual(t, first.AccessToken, second.AccessToken)
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken)
	assert.NotEqual(t, first.RefreshTokenID, second.RefreshTokenID)
	assert.Equal(t, first.Scope, second.Scope)
	assert.Equal(t, "Company", second.UserType)

	h.refresh(first.RefreshToken).requireError(t, http.StatusBadRequest,
		`{"statusCode":400,"message":"Invalid grant: refresh token is invalid"}`)

	// user_type must match the token being refreshed, and the refusal does not burn it.
	h.exchange(url.Values{
		"client_id": {testClientID}, "client_secret": {testClientSecret}, "grant_type": {"refresh_token"},
		"refresh_token": {second.RefreshToken}, "user_type": {"Location"},
	}).requireError(t, http.StatusBadRequest, `{"statusCode":400,"message":"Invalid parameter: user_type"}`)
	assert.Equal(t, http.StatusOK, h.refresh(second.RefreshToken).Status)
}

func TestConcurrentRefreshHasOneWinner(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken()
	const n = 8
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- h.refresh(tok.RefreshToken).Status
		}()
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	assert.Equal(t, map[int]int{200: 1, 400: n - 1}, counts)
}

func TestInactiveLocationKeepsRefreshTokenUsable(t *testing.T) {
	for _, tc := range []struct {
		name       string
		deactivate LocationPatch
		reactivate LocationPatch
	}{
		{"agency switch", LocationPatch{Active: ptr(false)}, LocationPatch{Active: ptr(true)}},
		{"paused", LocationPatch{Paused: ptr(true)}, LocationPatch{Paused: ptr(false)}},
		{"canceled subscription", LocationPatch{SubscriptionStatus: ptr("canceled")}, LocationPatch{SubscriptionStatus: ptr("active")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			loc := h.locs[0].ID
			lt := h.locationToken(h.companyToken().AccessToken, loc)

			_, err := h.s.UpdateLocation(loc, tc.deactivate)
			require.NoError(t, err)
			for range 2 { // refused twice: the refusal does not use the token up
				h.refresh(lt.RefreshToken).requireError(t, http.StatusBadRequest, `{"statusCode":400,"message":"Location is not active"}`)
			}
			_, err = h.s.UpdateLocation(loc, tc.reactivate)
			require.NoError(t, err)
			r := h.refresh(lt.RefreshToken)
			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
			var tr tokenReply
			r.decode(t, &tr)
			assert.Equal(t, "Location", tr.UserType)
			assert.Equal(t, loc, tr.LocationID)
			require.NotNil(t, tr.IsBulkInstallation)
			assert.False(t, *tr.IsBulkInstallation)
			assert.Nil(t, tr.ApproveAllLocations, "company-only member")
		})
	}
}

func TestAccessTokenExpiry(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken()
	path := "/saas/agency-plans/" + h.agency.ID
	require.Equal(t, http.StatusOK, h.call(http.MethodGet, path, tok.AccessToken, nil).Status)

	h.clock.Advance(86399 * time.Second)
	h.call(http.MethodGet, path, tok.AccessToken, nil).requireError(t, http.StatusUnauthorized,
		`{"statusCode":401,"message":"Invalid token: access token is invalid","error":"Unauthorized"}`)

	// The admin switch expires live tokens at once.
	fresh := h.refresh(tok.RefreshToken)
	var tr tokenReply
	fresh.decode(t, &tr)
	require.Equal(t, http.StatusOK, h.call(http.MethodGet, path, tr.AccessToken, nil).Status)
	assert.Equal(t, 1, h.s.ExpireAccessTokens(TokenFilter{CompanyID: h.agency.ID}))
	assert.Equal(t, http.StatusUnauthorized, h.call(http.MethodGet, path, tr.AccessToken, nil).Status)
}

func TestGateRejectsBadAuthAndVersion(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken()
	loc := h.locationToken(tok.AccessToken, h.locs[0].ID)
	narrow := h.companyTokenWithScope("oauth.readonly")
	plans := "/saas/agency-plans/" + h.agency.ID
	for _, tc := range []struct {
		name   string
		token  string
		opts   []reqOption
		status int
		want   string
	}{
		{"no token", "", nil, 401, `{"statusCode":401,"message":"Invalid JWT"}`},
		{"garbage token", "not-a-token", nil, 401, `{"statusCode":401,"message":"Invalid JWT"}`},
		{"no Version", tok.AccessToken, []reqOption{withVersion("")}, 400, `{"statusCode":400,"message":"Version header was not found","error":"Bad Request"}`},
		{"unknown Version", tok.AccessToken, []reqOption{withVersion("2020-01-01")}, 400, `{"statusCode":400,"message":"Unsupported API version: 2020-01-01","error":"Bad Request"}`},
		{"location token on Agency-Access", loc.AccessToken, nil, 401, `{"statusCode":401,"message":"` + msgWrongAuthClass + `"}`},
		{"missing scope", narrow.AccessToken, nil, 401, `{"statusCode":401,"message":"The token is not authorized for this scope."}`},
		{"another version", tok.AccessToken, []reqOption{withVersion("2023-02-21")}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.call(http.MethodGet, plans, tc.token, nil, tc.opts...)
			if tc.want == "" {
				assert.Equal(t, tc.status, r.Status, "body: %s", r.Body)
				return
			}
			r.requireError(t, tc.status, tc.want)
		})
	}
	t.Run("unknown route", func(t *testing.T) {
		h.call(http.MethodPost, "/saas/agency-plans/"+h.agency.ID, tok.AccessToken, nil).requireError(t, 404,
			`{"statusCode":404,"message":"Cannot POST /saas/agency-plans/`+h.agency.ID+`","error":"Not Found"}`)
	})
}

func TestLocationToken(t *testing.T) {
	h := newHarness(t, Options{})
	tok := h.companyToken()
	other, err := h.s.CreateAgency(AgencySpec{LocationCount: 1})
	require.NoError(t, err)
	notInstalled, err := h.s.AddLocations(AddLocationsRequest{CompanyID: h.agency.ID, Locations: []LocationSpec{{Installed: ptr(false)}}})
	require.NoError(t, err)
	inactive, err := h.s.AddLocations(AddLocationsRequest{CompanyID: h.agency.ID, Locations: []LocationSpec{{Active: ptr(false)}}})
	require.NoError(t, err)

	loc := h.locs[1].ID
	for _, tc := range []struct {
		name   string
		token  string
		body   any
		status int
		want   string
	}{
		{"json body", tok.AccessToken, map[string]string{"companyId": h.agency.ID, "locationId": loc}, 200, ""},
		{"form body", tok.AccessToken, url.Values{"companyId": {h.agency.ID}, "locationId": {loc}}, 200, ""},
		{"missing fields", tok.AccessToken, url.Values{}, 422,
			`{"statusCode":422,"message":["companyId should not be empty","locationId should not be empty"],"error":"Unprocessable Entity"}`},
		{"non-string", tok.AccessToken, `{"companyId":1,"locationId":"x"}`, 422,
			`{"statusCode":422,"message":["companyId must be a string"],"error":"Unprocessable Entity"}`},
		{"another company", tok.AccessToken, map[string]string{"companyId": other.Agency.ID, "locationId": other.Locations[0].ID}, 403,
			`{"statusCode":403,"message":"The token does not have access to this company."}`},
		{"location not in company", tok.AccessToken, map[string]string{"companyId": h.agency.ID, "locationId": other.Locations[0].ID}, 400,
			`{"statusCode":400,"message":"Location not found for this company"}`},
		{"app not installed", tok.AccessToken, map[string]string{"companyId": h.agency.ID, "locationId": notInstalled[0].ID}, 400,
			`{"statusCode":400,"message":"App is not installed on this location"}`},
		{"inactive", tok.AccessToken, map[string]string{"companyId": h.agency.ID, "locationId": inactive[0].ID}, 400,
			`{"statusCode":400,"message":"Location is not active"}`},
		{"location token", "", nil, 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token
			if token == "" {
				token = h.locationToken(tok.AccessToken, loc).AccessToken
			}
			r := h.call(http.MethodPost, "/oauth/locationToken", token, tc.body, withVersion("2021-07-28"))
			if tc.want != "" {
				r.requireError(t, tc.status, tc.want)
				return
			}
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			if tc.status != 200 {
				return
			}
			var tr tokenReply
			r.decode(t, &tr)
			assert.True(t, strings.HasPrefix(tr.AccessToken, accessTokenPrefix))
			assert.True(t, strings.HasPrefix(tr.RefreshToken, refreshTokenPrefix))
			assert.Equal(t, "Bearer", tr.TokenType)
			assert.Equal(t, 86399, tr.ExpiresIn)
			assert.Equal(t, "Location", tr.UserType)
			assert.Equal(t, h.agency.ID, tr.CompanyID)
			assert.Equal(t, loc, tr.LocationID)
			assert.Equal(t, h.agency.UserID, tr.UserID)
			assert.Equal(t, testAppID, tr.AppID)
			assert.Equal(t, h.s.State().App.VersionID, tr.VersionID)
			assert.Equal(t, allScopes, tr.Scope)
			assert.NotEmpty(t, tr.TraceID)
		})
	}
	t.Run("v3 is refused", func(t *testing.T) {
		r := h.call(http.MethodPost, "/oauth/locationToken", tok.AccessToken, url.Values{"companyId": {h.agency.ID}, "locationId": {loc}}, withVersion("v3"))
		assert.Equal(t, http.StatusBadRequest, r.Status)
		assert.Contains(t, string(r.Body), "not available in API version v3")
	})
}

func TestUninstall(t *testing.T) {
	path := "/marketplace/app/" + testAppID + "/installations"
	t.Run("location token uninstalls its location", func(t *testing.T) {
		h := newHarness(t, Options{})
		tok := h.companyToken()
		lt := h.locationToken(tok.AccessToken, h.locs[0].ID)
		r := h.call(http.MethodDelete, path, lt.AccessToken, map[string]string{"locationId": h.locs[0].ID, "reason": "test"}, withVersion("2021-07-28"))
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
		assert.JSONEq(t, `{"success":true}`, string(r.Body))
		assert.False(t, h.location(h.locs[0].ID).Installed)
		assert.True(t, h.location(h.locs[1].ID).Installed)
		assert.Equal(t, http.StatusUnauthorized, h.call(http.MethodDelete, path, lt.AccessToken, nil).Status, "its tokens are revoked")
		h.refresh(lt.RefreshToken).requireError(t, 400, `{"statusCode":400,"message":"Invalid grant: refresh token is invalid"}`)
		h.call(http.MethodPost, "/oauth/locationToken", tok.AccessToken, url.Values{"companyId": {h.agency.ID}, "locationId": {h.locs[0].ID}}).
			requireError(t, 400, `{"statusCode":400,"message":"App is not installed on this location"}`)
	})
	t.Run("agency token uninstalls everything", func(t *testing.T) {
		h := newHarness(t, Options{})
		tok := h.companyToken()
		lt := h.locationToken(tok.AccessToken, h.locs[2].ID)
		r := h.call(http.MethodDelete, path, tok.AccessToken, map[string]string{"companyId": h.agency.ID})
		require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
		st := h.s.State()
		assert.False(t, st.Agencies[0].AppInstalled)
		for _, l := range st.Locations {
			assert.False(t, l.Installed)
			assert.Empty(t, l.VersionID)
		}
		assert.Equal(t, http.StatusUnauthorized, h.call(http.MethodGet, "/saas/agency-plans/"+h.agency.ID, tok.AccessToken, nil).Status)
		assert.Equal(t, http.StatusBadRequest, h.refresh(tok.RefreshToken).Status)
		assert.Equal(t, http.StatusBadRequest, h.refresh(lt.RefreshToken).Status)
	})
	t.Run("refusals", func(t *testing.T) {
		h := newHarness(t, Options{})
		tok := h.companyToken()
		h.call(http.MethodDelete, path, tok.AccessToken, map[string]string{}).requireError(t, 422,
			`{"statusCode":422,"message":["companyId should not be empty"],"error":"Unprocessable Entity"}`)
		h.call(http.MethodDelete, "/marketplace/app/000000000000000000000000/installations", tok.AccessToken, map[string]string{"companyId": h.agency.ID}).
			requireError(t, 403, `{"statusCode":403,"message":"The token does not have access to this app."}`)
		assert.True(t, h.s.State().Agencies[0].AppInstalled)
	})
}

func TestTokenResponseHasNoUnexpectedMembers(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.exchange(url.Values{
		"client_id": {testClientID}, "client_secret": {testClientSecret},
		"grant_type": {"authorization_code"}, "code": {h.authorize("oauth.readonly")},
	})
	var m map[string]json.RawMessage
	r.decode(t, &m)
	allowed := regexp.MustCompile(`^(access_token|token_type|expires_in|refresh_token|scope|userType|companyId|userId|isBulkInstallation|approveAllLocations|installToFutureLocations|refreshTokenId|traceId)$`)
	for k := range m {
		assert.Regexp(t, allowed, k)
	}
}

// TestPKCE: a challenge sent to the consent page (and carried through its form) must be
// answered by the matching verifier at the code exchange; RequirePKCE refuses a consent
// request without one.
func TestPKCE(t *testing.T) {
	verifier := strings.Repeat("k", 50)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	h := newHarness(t, Options{RequirePKCE: true})
	q := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect}, "scope": {"oauth.readonly"}}
	resp, err := noRedirect.Get(h.url + "/v2/oauth/chooselocation?" + q.Encode())
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "no challenge with RequirePKCE")
	assert.Contains(t, readAll(t, resp), "code_challenge is required")
	resp.Body.Close()

	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")
	page, err := noRedirect.Get(h.url + "/v2/oauth/chooselocation?" + q.Encode())
	require.NoError(t, err)
	assert.Contains(t, readAll(t, page), challenge, "the consent form carries the challenge")
	page.Body.Close()
	form := url.Values{"company_id": {h.agency.ID}}
	for k, v := range q {
		form[k] = v
	}
	code := func() string {
		approved, err := noRedirect.PostForm(h.url+"/v2/oauth/chooselocation", form)
		require.NoError(t, err)
		approved.Body.Close()
		cb, err := url.Parse(approved.Header.Get("Location"))
		require.NoError(t, err)
		return cb.Query().Get("code")
	}
	exchange := func(code, verifier string) *reply {
		v := url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret}, "grant_type": {"authorization_code"}, "code": {code}}
		if verifier != "" {
			v.Set("code_verifier", verifier)
		}
		return h.exchange(v)
	}
	c := code()
	exchange(c, "").requireError(t, http.StatusBadRequest, `{"statusCode":400,"message":"Invalid parameter: code_verifier"}`)
	exchange(c, strings.Repeat("x", 50)).requireError(t, http.StatusBadRequest, `{"statusCode":400,"message":"Invalid parameter: code_verifier"}`)
	r := exchange(c, verifier)
	assert.Equal(t, http.StatusOK, r.Status, "the right verifier, after two wrong ones: %s", r.Body)
}
