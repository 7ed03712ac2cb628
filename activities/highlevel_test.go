package activities

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

const (
	hlClientID     = "6578278e879ad2646715ba9c-megyp358"
	hlClientSecret = "9b1c6a4e-2f0d-4c1b-8a7e-3d5f6e7a8b9c"
	hlRedirect     = "https://app.example.com/oauth/callback"
	hlScopes       = "oauth.readonly oauth.write saas/company.read saas/company.write saas/location.read saas/location.write locations.readonly"
)

// captureLogger keeps every line the activities log, to search it for secrets.
type captureLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *captureLogger) add(level, msg string, kv []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level+" "+msg+" "+fmt.Sprint(kv...))
}

func (l *captureLogger) Debug(msg string, kv ...any) { l.add("DEBUG", msg, kv) }
func (l *captureLogger) Info(msg string, kv ...any)  { l.add("INFO", msg, kv) }
func (l *captureLogger) Warn(msg string, kv ...any)  { l.add("WARN", msg, kv) }
func (l *captureLogger) Error(msg string, kv ...any) { l.add("ERROR", msg, kv) }

func (l *captureLogger) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// hlFixture runs the real HighLevel activities against an in-process simulator and a
// real token store in a temp dir, with the agency connected (its token stored).
type hlFixture struct {
	t        *testing.T
	sim      *highlevelsim.Server
	client   *highlevel.Client
	store    *tokens.Store
	dbDir    string
	acts     *HighLevel
	env      *testsuite.TestActivityEnvironment
	log      *captureLogger
	company  string
	agency   highlevelsim.Agency
	locs     []highlevelsim.Location
	agencyTK *highlevel.TokenResponse
}

func newHLFixture(t *testing.T, spec highlevelsim.AgencySpec) *hlFixture {
	t.Helper()
	ctx := t.Context()
	sim := highlevelsim.New(highlevelsim.Options{ClientID: hlClientID, ClientSecret: hlClientSecret})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := highlevel.New(srv.URL, hlClientID, hlClientSecret,
		highlevel.WithHTTPClient(&http.Client{Transport: srv.Client().Transport, Timeout: 10 * time.Second}))
	require.NoError(t, err)

	dir := t.TempDir()
	store, err := tokens.Open(ctx, filepath.Join(dir, "tokens.db"), bytes.Repeat([]byte{0x5a}, tokens.KeySize))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })

	created, err := sim.CreateAgency(spec)
	require.NoError(t, err)
	admin := &highlevelsim.AdminClient{BaseURL: srv.URL, HTTP: srv.Client()}
	code, _, err := admin.Authorize(ctx, highlevelsim.AuthorizeRequest{
		ClientID: hlClientID, RedirectURI: hlRedirect, Scope: hlScopes, CompanyID: created.Agency.ID,
	})
	require.NoError(t, err)
	resp, err := client.ExchangeCode(ctx, code, hlRedirect)
	require.NoError(t, err)
	require.NoError(t, store.Put(ctx, tokens.KeyHighLevelAgency(resp.CompanyID), credentials.FromHighLevel(resp, time.Now())))

	f := &hlFixture{
		t: t, sim: sim, client: client, store: store, dbDir: dir, log: &captureLogger{},
		company: created.Agency.ID, agency: created.Agency, locs: created.Locations, agencyTK: resp,
	}
	f.acts = &HighLevel{Client: client, Tokens: store}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(f.log)
	f.env = suite.NewTestActivityEnvironment()
	f.env.RegisterActivity(f.acts)
	sim.ResetCalls()
	return f
}

func (f *hlFixture) ref(i int) LocationRef {
	return LocationRef{CompanyID: f.company, LocationID: f.locs[i].ID}
}

func (f *hlFixture) location(id string) highlevelsim.Location {
	f.t.Helper()
	for _, l := range f.sim.State().Locations {
		if l.ID == id {
			return l
		}
	}
	f.t.Fatalf("location %s not in sandbox state", id)
	return highlevelsim.Location{}
}

// run executes an activity and decodes its result into out (when non-nil), returning
// the raw JSON Temporal recorded for it.
func (f *hlFixture) run(out any, activity any, args ...any) (json.RawMessage, error) {
	f.t.Helper()
	val, err := f.env.ExecuteActivity(activity, args...)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if val.HasValue() {
		require.NoError(f.t, val.Get(&raw))
		if out != nil {
			require.NoError(f.t, val.Get(out))
		}
	}
	return raw, nil
}

// requireAppError asserts the activity failed with an ApplicationError of errType.
func requireAppError(t *testing.T, err error, errType string, retryable bool) *temporal.ApplicationError {
	t.Helper()
	var app *temporal.ApplicationError
	require.ErrorAs(t, err, &app, "got %v", err)
	require.Equal(t, errType, app.Type(), "error: %v", app)
	require.Equal(t, !retryable, app.NonRetryable(), "error: %v", app)
	return app
}

// secretsIn reports the issued token strings that occur in text.
func (f *hlFixture) secretsIn(text string) []string {
	var leaked []string
	for _, s := range f.sim.IssuedTokens().All() {
		if strings.Contains(text, s) {
			leaked = append(leaked, s)
		}
	}
	return leaked
}

func ptr[T any](v T) *T { return &v }

func TestGetInstalledLocation(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{Locations: []highlevelsim.LocationSpec{
		{Name: "Harbor & Vale Legal", Address: "47 W 13th St, New York, NY 10011, USA"},
		{Name: "Northgate Family Law", Installed: ptr(false)},
		{Name: "Carrow Estate Planning"},
	}})

	t.Run("installed", func(t *testing.T) {
		var got InstalledLocation
		_, err := f.run(&got, f.acts.GetInstalledLocation, f.ref(0))
		require.NoError(t, err)
		installedAt, err := time.Parse(time.RFC3339, got.InstalledAt)
		require.NoError(t, err, "installedAt %q", got.InstalledAt)
		require.WithinDuration(t, f.locs[0].InstalledAt, installedAt, time.Millisecond)
		got.InstalledAt = ""
		require.Equal(t, InstalledLocation{
			Found: true, IsInstalled: true, Name: "Harbor & Vale Legal", Address: "47 W 13th St, New York, NY 10011, USA",
		}, got)
	})
	t.Run("not installed", func(t *testing.T) {
		var got InstalledLocation
		_, err := f.run(&got, f.acts.GetInstalledLocation, f.ref(1))
		require.NoError(t, err)
		require.Equal(t, InstalledLocation{Found: true, Name: "Northgate Family Law", Address: f.locs[1].Address}, got)
	})
	t.Run("not found", func(t *testing.T) {
		var got InstalledLocation
		_, err := f.run(&got, f.acts.GetInstalledLocation, LocationRef{CompanyID: f.company, LocationID: "AAAAAAAAAAAAAAAAAAAA"})
		require.NoError(t, err)
		require.Equal(t, InstalledLocation{}, got)
	})
	t.Run("another company", func(t *testing.T) {
		other, err := f.sim.CreateAgency(highlevelsim.AgencySpec{LocationCount: 1})
		require.NoError(t, err)
		// The agency credential is looked up by the company id: this one has none.
		_, err = f.run(nil, f.acts.GetInstalledLocation, LocationRef{CompanyID: other.Agency.ID, LocationID: other.Locations[0].ID})
		_ = requireAppError(t, err, ErrTypeNotConnected, true)
	})
	require.Equal(t, 3, f.sim.Calls().Count(highlevel.EndpointInstalledLocations, http.StatusOK), "one call per lookup")
}

func TestHighLevelActivityErrors(t *testing.T) {
	enableSaaS := highlevel.EndpointEnableSaaS
	tests := []struct {
		name      string
		setup     func(t *testing.T, f *hlFixture)
		activity  func(f *hlFixture) (any, any)
		errType   string
		retryable bool
		delay     time.Duration
		inMessage string
		after     func(t *testing.T, f *hlFixture)
	}{
		{
			name: "scripted 400 on enable-saas is rejected",
			setup: func(t *testing.T, f *hlFixture) {
				require.NoError(t, f.sim.AddFaultRule(highlevelsim.Rule{
					Endpoint: enableSaaS, Status: 400, Message: "Stripe account is not connected for this agency", Times: 1,
				}))
			},
			activity:  func(f *hlFixture) (any, any) { return f.acts.EnableSaaS, EnableSaaSInput{LocationRef: f.ref(0)} },
			errType:   ErrTypeRejected,
			inMessage: "Stripe account is not connected for this agency",
			after: func(t *testing.T, f *hlFixture) {
				require.Equal(t, highlevelsim.SaaSModeNotActivated, f.location(f.locs[0].ID).SaaS.SaaSMode)
			},
		},
		{
			name: "429 burst is rate limited with the server's Retry-After",
			setup: func(t *testing.T, f *hlFixture) {
				_, err := f.sim.SetFaults(highlevelsim.Faults{
					Endpoints: []string{enableSaaS}, BurstRate: 1, BurstLength: 3, BurstRetryAfter: highlevelsim.Duration(7 * time.Second),
				})
				require.NoError(t, err)
			},
			activity:  func(f *hlFixture) (any, any) { return f.acts.EnableSaaS, EnableSaaSInput{LocationRef: f.ref(0)} },
			errType:   ErrTypeRateLimited,
			retryable: true,
			delay:     7 * time.Second,
			inMessage: "429",
			after: func(t *testing.T, f *hlFixture) {
				require.Zero(t, f.location(f.locs[0].ID).SaaS.EnableCount)
			},
		},
		{
			name: "rate limiter 429",
			setup: func(t *testing.T, f *hlFixture) {
				_, err := f.sim.SetRateLimit(highlevelsim.RateLimit{Max: 1, Window: highlevelsim.Duration(30 * time.Second)})
				require.NoError(t, err)
				_, err = f.run(nil, f.acts.GetInstalledLocation, f.ref(0))
				require.NoError(t, err)
			},
			activity:  func(f *hlFixture) (any, any) { return f.acts.GetSaaSSubscription, f.ref(0) },
			errType:   ErrTypeRateLimited,
			retryable: true,
			delay:     30 * time.Second, // Retry-After: 30, the whole window (real clock: rounded up)
			inMessage: "Too Many Requests",
		},
		{
			name: "5xx is unavailable",
			setup: func(t *testing.T, f *hlFixture) {
				require.NoError(t, f.sim.AddFaultRule(highlevelsim.Rule{Endpoint: highlevel.EndpointGetSubscription, Status: 503}))
			},
			activity:  func(f *hlFixture) (any, any) { return f.acts.GetSaaSSubscription, f.ref(0) },
			errType:   ErrTypeUnavailable,
			retryable: true,
			inMessage: "503",
		},
		{
			name: "connection dropped after commit is unavailable",
			setup: func(t *testing.T, f *hlFixture) {
				_, err := f.sim.SetFaults(highlevelsim.Faults{Endpoints: []string{highlevel.EndpointUpdateSubscription}, DropAfterCommitRate: 1})
				require.NoError(t, err)
				_, err = f.sim.UpdateLocation(f.locs[0].ID, highlevelsim.LocationPatch{SaaSMode: ptr(highlevelsim.SaaSModeV2)})
				require.NoError(t, err)
			},
			activity: func(f *hlFixture) (any, any) {
				return f.acts.UpdateSaaSSubscription, UpdateSaaSSubscriptionInput{LocationRef: f.ref(0), SubscriptionID: "sub_1", CustomerID: "cus_1"}
			},
			errType:   ErrTypeUnavailable,
			retryable: true,
			inMessage: highlevel.EndpointUpdateSubscription,
			after: func(t *testing.T, f *hlFixture) {
				require.Equal(t, "sub_1", f.location(f.locs[0].ID).SaaS.SubscriptionID, "committed before the drop")
			},
		},
		{
			name: "no agency credential is not connected",
			setup: func(t *testing.T, f *hlFixture) {
				require.NoError(t, f.store.Delete(t.Context(), tokens.KeyHighLevelAgency(f.company)))
			},
			activity:  func(f *hlFixture) (any, any) { return f.acts.MintLocationToken, f.ref(0) },
			errType:   ErrTypeNotConnected,
			retryable: true,
			delay:     notConnectedRetryDelay,
			inMessage: tokens.KeyHighLevelAgency(""),
			after: func(t *testing.T, f *hlFixture) {
				require.Zero(t, f.sim.Calls().Total, "nothing was sent")
			},
		},
		{
			name: "not found is rejected",
			activity: func(f *hlFixture) (any, any) {
				return f.acts.GetSaaSSubscription, LocationRef{CompanyID: f.company, LocationID: "AAAAAAAAAAAAAAAAAAAA"}
			},
			errType:   ErrTypeRejected,
			inMessage: "Location not found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 1})
			if tt.setup != nil {
				tt.setup(t, f)
			}
			f.sim.ResetCalls()
			act, arg := tt.activity(f)
			_, err := f.run(nil, act, arg)
			app := requireAppError(t, err, tt.errType, tt.retryable)
			require.Equal(t, tt.delay, app.NextRetryDelay())
			require.Contains(t, app.Error(), tt.inMessage)
			require.Empty(t, f.secretsIn(err.Error()), "errors carry no tokens")
			if tt.after != nil {
				tt.after(t, f)
			}
		})
	}
}

func TestExpiredAgencyTokenIsRefreshed(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 1})
	ctx := t.Context()
	key := tokens.KeyHighLevelAgency(f.company)
	before, infoBefore, err := f.store.Get(ctx, key)
	require.NoError(t, err)

	require.Equal(t, 1, f.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: f.company}))
	var got InstalledLocation
	_, err = f.run(&got, f.acts.GetInstalledLocation, f.ref(0))
	require.NoError(t, err)
	require.True(t, got.Found)

	calls := f.sim.Calls()
	require.Equal(t, 1, calls.Count(highlevel.EndpointInstalledLocations, http.StatusUnauthorized))
	require.Equal(t, 1, calls.Count(highlevel.EndpointToken, http.StatusOK))
	require.Equal(t, 1, calls.Count(highlevel.EndpointInstalledLocations, http.StatusOK))

	after, infoAfter, err := f.store.Get(ctx, key)
	require.NoError(t, err)
	require.NotEqual(t, before.AccessToken, after.AccessToken, "access token rotated")
	require.NotEqual(t, before.RefreshToken, after.RefreshToken, "refresh token rotated")
	issued := f.sim.IssuedTokens()
	require.Equal(t, issued.AccessTokens[len(issued.AccessTokens)-1], after.AccessToken)
	require.Contains(t, issued.RefreshTokens, after.RefreshToken)
	require.Greater(t, infoAfter.Version, infoBefore.Version)
	require.Equal(t, tokens.StatusActive, infoAfter.Status)
	require.Equal(t, highlevel.UserTypeCompany, infoAfter.Attrs[credentials.AttrUserType])
	require.Equal(t, f.company, infoAfter.Attrs[credentials.AttrCompanyID])

	// The next activity uses the stored token without refreshing again.
	f.sim.ResetCalls()
	_, err = f.run(nil, f.acts.EnableSaaS, EnableSaaSInput{LocationRef: f.ref(0)})
	require.NoError(t, err)
	require.Zero(t, f.sim.Calls().Count(highlevel.EndpointToken, 0))
}

func TestDeadRefreshTokenNeedsReconnect(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 1})
	ctx := t.Context()
	// Someone else spends the stored refresh token, then the access token expires.
	_, err := f.client.RefreshToken(ctx, f.agencyTK.RefreshToken, "")
	require.NoError(t, err)
	f.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: f.company})

	_, err = f.run(nil, f.acts.GetInstalledLocation, f.ref(0))
	_ = requireAppError(t, err, ErrTypeReconnectNeeded, false)
	require.Empty(t, f.secretsIn(err.Error()))
	_, info, err := f.store.Get(ctx, tokens.KeyHighLevelAgency(f.company))
	require.NoError(t, err)
	require.Equal(t, tokens.StatusReconnectNeeded, info.Status)

	// Later activities fail fast without calling HighLevel.
	f.sim.ResetCalls()
	_, err = f.run(nil, f.acts.EnableSaaS, EnableSaaSInput{LocationRef: f.ref(0)})
	_ = requireAppError(t, err, ErrTypeReconnectNeeded, false)
	require.Zero(t, f.sim.Calls().Total)
}

// A refresh HighLevel refused wraps both the store's verdict and the refresh's 400
// *APIError; the verdict decides (HighLevelSource's Token and Reauthorize both do this).
func TestClassifyRefusedRefresh(t *testing.T) {
	refused := func(sentinel error, msg string) error {
		api := &highlevel.APIError{Endpoint: highlevel.EndpointToken, StatusCode: http.StatusBadRequest, Message: msg}
		return fmt.Errorf("highlevel %s: re-authorize after 401: %w", highlevel.EndpointEnableSaaS,
			&tokens.Error{Op: "refresh", Key: "highlevel/location/x", Err: fmt.Errorf("%w: %w", sentinel, api)})
	}
	tests := []struct {
		err     error
		errType string
	}{
		{refused(tokens.ErrReconnectNeeded, "Invalid grant: refresh token is invalid"), ErrTypeReconnectNeeded},
		{refused(tokens.ErrSuspended, "Location is not active"), ErrTypeLocationSuspended},
	}
	for _, tt := range tests {
		app, ok := classify(tt.err).(*temporal.ApplicationError)
		require.True(t, ok)
		require.Equal(t, tt.errType, app.Type(), "%v", tt.err)
		require.True(t, app.NonRetryable())
	}
}

// TestAgencyCallsReportTheirRateLimit: every agency call tells RateLimits the company's
// window from its answer's headers (the dashboard's headroom per agency).
func TestAgencyCallsReportTheirRateLimit(t *testing.T) {
	f := newHLFixture(t, highlevelsim.AgencySpec{LocationCount: 1})
	var mu sync.Mutex
	seen := map[string]highlevel.RateLimit{}
	f.acts.RateLimits = func(company string, rl highlevel.RateLimit) {
		mu.Lock()
		defer mu.Unlock()
		seen[company] = rl
	}
	_, err := f.run(nil, f.acts.GetInstalledLocation, f.ref(0))
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	rl, ok := seen[f.company]
	require.True(t, ok, "no rate limit reported for %s: %v", f.company, seen)
	require.True(t, rl.Present)
	require.Positive(t, rl.Max)
}
