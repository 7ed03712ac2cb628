package credentials_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

const (
	testClientID     = "6578278e879ad2646715ba9c-megyp358"
	testClientSecret = "4f1d2c3b-9a8e-4d7c-b6a5-0e1f2a3b4c5d"
	testRedirect     = "https://saasbridge.example.com/oauth/highlevel/callback"
	// oauth.write is needed by locationToken and by the uninstall endpoint that probes Location
	// tokens; the Location token inherits the agency's scopes.
	testScopes = "oauth.readonly oauth.write saas/company.read saas/company.write"
	// probeLocationID names no location: the uninstall probe must be refused after the gate.
	probeLocationID = "probeNoSuchLocation0"
)

var testStoreKey = bytes.Repeat([]byte{0x5a}, tokens.KeySize)

// Kinds of credential the sandbox tests exercise.
const (
	kindAgency   = "agency"
	kindLocation = "location"
)

// sandbox is the HighLevel simulator on a loopback HTTP server, with one agency of two installed
// locations and a rate limit high enough never to get in the way.
type sandbox struct {
	sim       *highlevelsim.Server
	url       string
	http      *http.Client
	client    *highlevel.Client
	agency    highlevelsim.Agency
	locations []highlevelsim.Location
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	sim := highlevelsim.New(highlevelsim.Options{ClientID: testClientID, ClientSecret: testClientSecret})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	if _, err := sim.SetRateLimit(highlevelsim.RateLimit{
		Max: 1_000_000, Window: highlevelsim.Duration(10 * time.Second), Daily: 100_000_000,
	}); err != nil {
		t.Fatal(err)
	}
	created, err := sim.CreateAgency(highlevelsim.AgencySpec{Name: "Acme Agency", LocationCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	c, err := highlevel.New(srv.URL, testClientID, testClientSecret, highlevel.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return &sandbox{
		sim: sim, url: srv.URL, http: srv.Client(), client: c,
		agency: created.Agency, locations: created.Locations,
	}
}

// connect plays the agency install: consent, then the code exchange.
func (sb *sandbox) connect(t *testing.T) *highlevel.TokenResponse {
	t.Helper()
	admin := &highlevelsim.AdminClient{BaseURL: sb.url, HTTP: sb.http}
	code, _, err := admin.Authorize(t.Context(), highlevelsim.AuthorizeRequest{
		ClientID: testClientID, RedirectURI: testRedirect, Scope: testScopes, State: "st", CompanyID: sb.agency.ID,
	})
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	resp, err := sb.client.ExchangeCode(t.Context(), code, testRedirect)
	if err != nil {
		t.Fatalf("ExchangeCode: %v", err)
	}
	return resp
}

// mintLocation mints a Location token for locationID with the agency access token.
func (sb *sandbox) mintLocation(t *testing.T, agencyAccess, locationID string) *highlevel.TokenResponse {
	t.Helper()
	resp, err := sb.client.As(static(agencyAccess)).LocationToken(t.Context(), sb.agency.ID, locationID)
	if err != nil {
		t.Fatalf("LocationToken: %v", err)
	}
	return resp
}

// cred is one stored HighLevel credential of the sandbox.
type cred struct {
	kind     string
	key      string
	resource string // what the sandbox accounts its calls to: the company or the location
	filter   highlevelsim.TokenFilter
}

// setup connects the agency, stores its credential and, for kindLocation, mints and stores a
// token for the first location. It returns the credential under test. The call report is reset,
// so that it counts only what the test does next.
func (sb *sandbox) setup(t *testing.T, store *tokens.Store, kind string) cred {
	t.Helper()
	agency := sb.connect(t)
	agencyKey := tokens.KeyHighLevelAgency(sb.agency.ID)
	mustPut(t, store, agencyKey, stored(agency))
	c := cred{kind: kindAgency, key: agencyKey, resource: sb.agency.ID,
		filter: highlevelsim.TokenFilter{CompanyID: sb.agency.ID}}
	if kind == kindLocation {
		loc := sb.locations[0].ID
		mustPut(t, store, tokens.KeyHighLevelLocation(loc), stored(sb.mintLocation(t, agency.AccessToken, loc)))
		c = cred{kind: kindLocation, key: tokens.KeyHighLevelLocation(loc), resource: loc,
			filter: highlevelsim.TokenFilter{LocationID: loc}}
	}
	sb.sim.ResetCalls()
	return c
}

// refreshes counts the sandbox's answers to refresh (and code) requests with the given status, or
// all of them for status 0.
func (sb *sandbox) refreshes(status int) int {
	return sb.sim.Calls().Count(highlevel.EndpointToken, status)
}

// use makes one real API call as the credential of kind, through c (bound with As). For agency
// tokens that is installedLocations. The only endpoint that takes a Location token is the
// uninstall endpoint; naming a location the token does not speak for gets it through
// authentication, the token class and the scope check, and then a 403 that changes nothing.
func (sb *sandbox) use(ctx context.Context, kind string, c *highlevel.Client) error {
	if kind == kindAgency {
		page, err := c.InstalledLocations(ctx, highlevel.InstalledLocationsQuery{CompanyID: sb.agency.ID, Limit: 5})
		if err == nil && (page.Count == 0 || len(page.Locations) == 0) {
			return errors.New("installedLocations listed no location")
		}
		return err
	}
	return useLocation(ctx, c)
}

func useLocation(ctx context.Context, c *highlevel.Client) error {
	_, err := c.Uninstall(ctx, highlevel.UninstallRequest{LocationID: probeLocationID})
	var api *highlevel.APIError
	if errors.As(err, &api) && api.StatusCode == http.StatusForbidden {
		return nil // accepted by the gate, refused by the handler as intended
	}
	if err == nil {
		return errors.New("the uninstall probe succeeded; it must be refused")
	}
	return err
}

// apiEndpoint is the endpoint template use calls for kind.
func apiEndpoint(kind string) string {
	if kind == kindAgency {
		return highlevel.EndpointInstalledLocations
	}
	return highlevel.EndpointUninstall
}

// wantAccepted fails unless the sandbox accepts access for a real call of kind.
func (sb *sandbox) wantAccepted(t *testing.T, kind, access string) {
	t.Helper()
	if err := sb.use(t.Context(), kind, sb.client.As(static(access))); err != nil {
		t.Fatalf("the sandbox refused the %s access token: %v", kind, err)
	}
}

// wantRejected fails unless the sandbox answers 401 to access.
func (sb *sandbox) wantRejected(t *testing.T, kind, access string) {
	t.Helper()
	err := sb.use(t.Context(), kind, sb.client.As(static(access)))
	if !isStatus(err, http.StatusUnauthorized) {
		t.Fatalf("using the %s access token: got %v, want a 401", kind, err)
	}
}

func isStatus(err error, status int) bool {
	var api *highlevel.APIError
	return errors.As(err, &api) && api.StatusCode == status
}

// static is a token source that cannot re-authorize, so a 401 reaches the caller.
func static(access string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: access, TokenType: "Bearer"})
}

// stored is what a connect or mint step stores for resp.
func stored(resp *highlevel.TokenResponse) tokens.Token {
	return credentials.FromHighLevel(resp, time.Now())
}

func openStore(t *testing.T, path string, opts ...tokens.Option) *tokens.Store {
	t.Helper()
	s, err := tokens.Open(t.Context(), path, testStoreKey, opts...)
	if err != nil {
		t.Fatalf("tokens.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newStore(t *testing.T, opts ...tokens.Option) (*tokens.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.db")
	return openStore(t, path, opts...), path
}

func mustPut(t *testing.T, s *tokens.Store, key string, tok tokens.Token) {
	t.Helper()
	if err := s.Put(t.Context(), key, tok); err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
}

func mustGet(t *testing.T, s *tokens.Store, key string) (tokens.Token, tokens.Info) {
	t.Helper()
	tok, info, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return tok, info
}

// wantErrIs fails unless err wraps every target.
func wantErrIs(t *testing.T, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one wrapping %v", targets)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Fatalf("error %q does not wrap %q", err, target)
		}
	}
}
