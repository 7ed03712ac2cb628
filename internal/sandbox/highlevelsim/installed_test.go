package highlevelsim

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type installedReply struct {
	Locations []struct {
		ID          string `json:"_id"`
		Name        string `json:"name"`
		Address     string `json:"address"`
		IsInstalled bool   `json:"isInstalled"`
		VersionID   string `json:"versionId"`
		InstalledAt string `json:"installedAt"`
	} `json:"locations"`
	Count                    int  `json:"count"`
	InstallToFutureLocations bool `json:"installToFutureLocations"`
}

func TestInstalledLocations(t *testing.T) {
	h := newHarness(t, Options{})
	// 3 installed from the harness, then 22 installed and 5 not installed: 30 in all.
	_, err := h.s.AddLocations(AddLocationsRequest{CompanyID: h.agency.ID, Count: 22})
	require.NoError(t, err)
	notInstalled := make([]LocationSpec, 5)
	for i := range notInstalled {
		notInstalled[i].Installed = ptr(false)
	}
	_, err = h.s.AddLocations(AddLocationsRequest{CompanyID: h.agency.ID, Locations: notInstalled})
	require.NoError(t, err)
	named, err := h.s.AddLocations(AddLocationsRequest{CompanyID: h.agency.ID, Locations: []LocationSpec{{Name: "Zebra Crossing Law"}}})
	require.NoError(t, err)
	all := h.s.State().Locations
	require.Len(t, all, 31)
	tok := h.companyToken()

	base := url.Values{"companyId": {h.agency.ID}, "appId": {testAppID}}
	for _, tc := range []struct {
		name      string
		query     url.Values
		wantCount int
		wantIDs   []string // nil: only check the page length
		wantLen   int
	}{
		{"defaults to 20", nil, 31, nil, 20},
		{"skip to the end", url.Values{"skip": {"20"}}, 31, nil, 11},
		{"a middle page", url.Values{"skip": {"5"}, "limit": {"3"}}, 31, []string{all[5].ID, all[6].ID, all[7].ID}, 3},
		{"limit clamped to 100", url.Values{"limit": {"500"}}, 31, nil, 31},
		{"limit 0 takes the default", url.Values{"limit": {"0"}}, 31, nil, 20},
		{"installed only", url.Values{"isInstalled": {"true"}, "limit": {"100"}}, 26, nil, 26},
		{"not installed only", url.Values{"isInstalled": {"false"}}, 5, nil, 5},
		{"one location", url.Values{"locationId": {all[4].ID}}, 1, []string{all[4].ID}, 1},
		{"name search is case-insensitive", url.Values{"query": {"zebra"}}, 1, []string{named[0].ID}, 1},
		{"skip past the end", url.Values{"skip": {"40"}}, 31, []string{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			for k, v := range tc.query {
				q[k] = v
			}
			r := h.call(http.MethodGet, "/oauth/installedLocations?"+q.Encode(), tok.AccessToken, nil, withVersion("2021-07-28"))
			require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
			var got installedReply
			r.decode(t, &got)
			assert.Equal(t, tc.wantCount, got.Count)
			assert.True(t, got.InstallToFutureLocations)
			require.Len(t, got.Locations, tc.wantLen)
			if tc.wantIDs != nil {
				ids := []string{}
				for _, l := range got.Locations {
					ids = append(ids, l.ID)
				}
				assert.Equal(t, tc.wantIDs, ids)
			}
			for _, l := range got.Locations {
				assert.NotEmpty(t, l.Name)
				assert.NotEmpty(t, l.Address)
				if l.IsInstalled {
					assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, l.InstalledAt)
					assert.Len(t, l.VersionID, 24)
				} else {
					assert.Empty(t, l.InstalledAt)
					assert.Empty(t, l.VersionID)
				}
			}
		})
	}

	for _, tc := range []struct {
		name    string
		query   string
		token   string
		version string
		status  int
		want    string
	}{
		{"missing companyId and appId", "", tok.AccessToken, "2021-07-28", 422,
			`{"statusCode":422,"message":["companyId should not be empty","appId should not be empty"],"error":"Unprocessable Entity"}`},
		{"skip not a number", "companyId=" + h.agency.ID + "&appId=" + testAppID + "&skip=abc", tok.AccessToken, "2021-07-28", 422,
			`{"statusCode":422,"message":["skip must be a number string"],"error":"Unprocessable Entity"}`},
		{"isInstalled not a boolean", "companyId=" + h.agency.ID + "&appId=" + testAppID + "&isInstalled=yes", tok.AccessToken, "2021-07-28", 422,
			`{"statusCode":422,"message":["isInstalled must be a boolean value"],"error":"Unprocessable Entity"}`},
		{"another app", "companyId=" + h.agency.ID + "&appId=000000000000000000000000", tok.AccessToken, "2021-07-28", 403,
			`{"statusCode":403,"message":"The token does not have access to this app."}`},
		{"another company", "companyId=GNb7aIv4rQFVb9iwNl5K&appId=" + testAppID, tok.AccessToken, "2021-07-28", 403,
			`{"statusCode":403,"message":"The token does not have access to this company."}`},
		{"v3", "companyId=" + h.agency.ID + "&appId=" + testAppID, tok.AccessToken, "v3", 400,
			`{"statusCode":400,"error":"Bad Request","message":"Endpoint /oauth/installedLocations?companyId=` + h.agency.ID + `&appId=` + testAppID +
				` not available in API version v3. This endpoint was removed in version v3. Please use a version before v3."}`},
		{"location token", "companyId=" + h.agency.ID + "&appId=" + testAppID, h.locationToken(tok.AccessToken, all[0].ID).AccessToken, "2021-07-28", 401,
			`{"statusCode":401,"message":"` + msgWrongAuthClass + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.call(http.MethodGet, "/oauth/installedLocations?"+tc.query, tc.token, nil, withVersion(tc.version)).
				requireError(t, tc.status, tc.want)
		})
	}
}
