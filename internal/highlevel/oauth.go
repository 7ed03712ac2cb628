package highlevel

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/oauth2"
)

// Endpoint templates, used in errors, logs and metrics (never the expanded URL, which
// can carry ids an operator did not ask to see in a metric label).
const (
	EndpointToken              = "POST /oauth/token"
	EndpointInstalledLocations = "GET /oauth/installedLocations"
	EndpointLocationToken      = "POST /oauth/locationToken"
	EndpointUninstall          = "DELETE /marketplace/app/{appId}/installations"
)

// User types of HighLevel tokens.
const (
	UserTypeCompany  = "Company"
	UserTypeLocation = "Location"
)

// TokenResponse is the body of /oauth/token and /oauth/locationToken. It holds secrets:
// its String and GoString methods redact them so a stray %v cannot leak one.
type TokenResponse struct {
	AccessToken             string   `json:"access_token"`
	TokenType               string   `json:"token_type"`
	ExpiresIn               int64    `json:"expires_in"`
	RefreshToken            string   `json:"refresh_token"`
	Scope                   string   `json:"scope"`
	UserType                string   `json:"userType"`
	CompanyID               string   `json:"companyId"`
	LocationID              string   `json:"locationId"`
	UserID                  string   `json:"userId"`
	AppID                   string   `json:"appId"`
	VersionID               string   `json:"versionId"`
	PlanID                  string   `json:"planId"`
	ApprovedLocations       []string `json:"approvedLocations"`
	IsBulkInstallation      bool     `json:"isBulkInstallation"`
	InstallToFutureLocation bool     `json:"installToFutureLocations"`
	ApproveAllLocations     bool     `json:"approveAllLocations"`
	TraceID                 string   `json:"traceId"`
}

func (t TokenResponse) String() string {
	return fmt.Sprintf("TokenResponse{userType:%s companyId:%s locationId:%s expiresIn:%d access_token:[redacted] refresh_token:[redacted]}",
		t.UserType, t.CompanyID, t.LocationID, t.ExpiresIn)
}

// GoString redacts for %#v as well.
func (t TokenResponse) GoString() string { return t.String() }

// Expiry turns expires_in into an absolute time, measured from when the answer arrived.
func (t TokenResponse) Expiry(received time.Time) time.Time {
	return received.Add(time.Duration(t.ExpiresIn) * time.Second)
}

// OAuth2 converts the response for code that speaks golang.org/x/oauth2.
func (t TokenResponse) OAuth2(received time.Time) *oauth2.Token {
	return &oauth2.Token{
		AccessToken:  t.AccessToken,
		TokenType:    "Bearer",
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry(received),
	}
}

// ExchangeCode trades an authorization code (single use) for an agency token.
func (c *Client) ExchangeCode(ctx context.Context, code, redirectURI string) (*TokenResponse, error) {
	return c.ExchangeCodeWithVerifier(ctx, code, redirectURI, "")
}

// ExchangeCodeWithVerifier is ExchangeCode sending the PKCE code_verifier (RFC 7636) of a
// flow that sent a challenge; "" sends none.
func (c *Client) ExchangeCodeWithVerifier(ctx context.Context, code, redirectURI, verifier string) (*TokenResponse, error) {
	form := c.credentialsForm("authorization_code")
	form.Set("code", code)
	form.Set("user_type", UserTypeCompany)
	if redirectURI != "" {
		form.Set("redirect_uri", redirectURI)
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return c.token(ctx, form)
}

// RefreshToken spends refreshToken (single use: it is dead after this call, whatever
// the outcome on our side) for a new pair. Persist the answer before using it.
func (c *Client) RefreshToken(ctx context.Context, refreshToken, userType string) (*TokenResponse, error) {
	form := c.credentialsForm("refresh_token")
	form.Set("refresh_token", refreshToken)
	if userType != "" {
		form.Set("user_type", userType)
	}
	return c.token(ctx, form)
}

func (c *Client) credentialsForm(grant string) url.Values {
	return url.Values{
		"client_id":     {c.clientID},
		"client_secret": {c.clientSecret},
		"grant_type":    {grant},
	}
}

func (c *Client) token(ctx context.Context, form url.Values) (*TokenResponse, error) {
	var out TokenResponse
	err := c.do(ctx, request{
		endpoint: EndpointToken, method: http.MethodPost, path: "/oauth/token", form: form,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// InstalledLocation is one entry of installedLocations. The key is "_id", not "id".
type InstalledLocation struct {
	ID          string `json:"_id"`
	Name        string `json:"name"`
	Address     string `json:"address"`
	IsInstalled bool   `json:"isInstalled"`
	VersionID   string `json:"versionId,omitempty"`
	InstalledAt string `json:"installedAt,omitempty"`
}

// InstalledLocationsPage is one page; Count is the total matching the filter.
type InstalledLocationsPage struct {
	Locations                []InstalledLocation `json:"locations"`
	Count                    int                 `json:"count"`
	InstallToFutureLocations bool                `json:"installToFutureLocations"`
}

// InstalledLocationsQuery filters installedLocations. Skip and Limit are sent as the
// strings the API wants; Limit is at most 100.
type InstalledLocationsQuery struct {
	CompanyID   string
	LocationID  string
	Query       string
	IsInstalled *bool
	Skip        int
	Limit       int
}

// MaxInstalledLocationsLimit is the API's page-size ceiling.
const MaxInstalledLocationsLimit = 100

// InstalledLocations fetches one page.
func (c *Client) InstalledLocations(ctx context.Context, q InstalledLocationsQuery) (*InstalledLocationsPage, error) {
	v := url.Values{"companyId": {q.CompanyID}, "appId": {c.AppID()}}
	if q.LocationID != "" {
		v.Set("locationId", q.LocationID)
	}
	if q.Query != "" {
		v.Set("query", q.Query)
	}
	if q.IsInstalled != nil {
		v.Set("isInstalled", strconv.FormatBool(*q.IsInstalled))
	}
	if q.Skip > 0 {
		v.Set("skip", strconv.Itoa(q.Skip))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(min(q.Limit, MaxInstalledLocationsLimit)))
	}
	var out InstalledLocationsPage
	err := c.do(ctx, request{
		endpoint: EndpointInstalledLocations, method: http.MethodGet, path: "/oauth/installedLocations",
		query: v, version: VersionOAuth, auth: true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// AllInstalledLocations pages through installedLocations from q.Skip until skip
// reaches the reported total, yielding each location once. Results are not sorted by
// the API, so a location installed mid-scan may be missed; reconciliation runs again.
func (c *Client) AllInstalledLocations(ctx context.Context, q InstalledLocationsQuery) iter.Seq2[InstalledLocation, error] {
	return func(yield func(InstalledLocation, error) bool) {
		if q.Limit <= 0 {
			q.Limit = MaxInstalledLocationsLimit
		}
		for {
			page, err := c.InstalledLocations(ctx, q)
			if err != nil {
				yield(InstalledLocation{}, err)
				return
			}
			for _, loc := range page.Locations {
				if !yield(loc, nil) {
					return
				}
			}
			q.Skip += len(page.Locations)
			if len(page.Locations) == 0 || q.Skip >= page.Count {
				return
			}
		}
	}
}

// LocationToken mints a Location token from the agency token bound with As. The body
// fields are camelCase here, unlike /oauth/token.
func (c *Client) LocationToken(ctx context.Context, companyID, locationID string) (*TokenResponse, error) {
	var out TokenResponse
	err := c.do(ctx, request{
		endpoint: EndpointLocationToken, method: http.MethodPost, path: "/oauth/locationToken",
		form: url.Values{"companyId": {companyID}, "locationId": {locationID}}, version: VersionOAuth, auth: true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UninstallRequest is the body of the app uninstall endpoint: CompanyID with an agency
// token uninstalls from the agency and every location; LocationID with a location token
// uninstalls one location.
type UninstallRequest struct {
	CompanyID  string `json:"companyId,omitempty"`
	LocationID string `json:"locationId,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// Uninstall removes the app (this client's app id) from a company or location.
func (c *Client) Uninstall(ctx context.Context, req UninstallRequest) (bool, error) {
	var out struct {
		Success bool `json:"success"`
	}
	err := c.do(ctx, request{
		endpoint: EndpointUninstall, method: http.MethodDelete,
		path:    "/marketplace/app/" + url.PathEscape(c.AppID()) + "/installations",
		version: VersionOAuth, auth: true, json: req,
	}, &out)
	return out.Success, err
}
