package highlevel_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/httpapi/httpapitest"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

// endpointCall is one client method, in an order in which each succeeds on a fresh env.
type endpointCall struct {
	endpoint string
	version  string
	status   int
	call     func(ctx context.Context, c *highlevel.Client) error
}

func (e *env) everyEndpoint() []endpointCall {
	company, loc, plan := e.agency.ID, e.locs[0].ID, e.agency.Plans[0]
	return []endpointCall{
		{highlevel.EndpointToken, tokenEndpointVersion, http.StatusOK, func(ctx context.Context, _ *highlevel.Client) error {
			_, err := e.base.ExchangeCode(ctx, e.authorize(company), testRedirect)
			return err
		}},
		{highlevel.EndpointToken, tokenEndpointVersion, http.StatusOK, func(ctx context.Context, _ *highlevel.Client) error {
			_, err := e.base.RefreshToken(ctx, e.token.RefreshToken, highlevel.UserTypeCompany)
			return err
		}},
		{highlevel.EndpointInstalledLocations, versionOAuth, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.InstalledLocations(ctx, highlevel.InstalledLocationsQuery{CompanyID: company})
			return err
		}},
		{highlevel.EndpointLocationToken, versionOAuth, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.LocationToken(ctx, company, loc)
			return err
		}},
		{highlevel.EndpointGetLocation, versionOAuth, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.GetLocation(ctx, loc)
			return err
		}},
		{highlevel.EndpointAgencyPlans, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.AgencyPlans(ctx, company)
			return err
		}},
		{highlevel.EndpointSaaSPlan, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.GetSaaSPlan(ctx, plan.PlanID, company)
			return err
		}},
		{highlevel.EndpointEnableSaaS, versionSaaS, http.StatusCreated, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: company, IsSaaSV2: true})
			return err
		}},
		{highlevel.EndpointGetSubscription, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.GetSubscription(ctx, loc, company)
			return err
		}},
		{highlevel.EndpointUpdateSubscription, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			return c.UpdateSaaSSubscription(ctx, loc, highlevel.UpdateSubscriptionRequest{SubscriptionID: "sub_1", CustomerID: "cus_1", CompanyID: company})
		}},
		{highlevel.EndpointSaaSLocationsByStripe, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.LocationsByStripe(ctx, highlevel.LocationsByStripeQuery{CompanyID: company, CustomerID: "cus_1"})
			return err
		}},
		{highlevel.EndpointPause, versionSaaS, http.StatusCreated, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.Pause(ctx, loc, company, true)
			return err
		}},
		{highlevel.EndpointBulkEnableSaaS, versionSaaS, http.StatusCreated, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.BulkEnableSaaS(ctx, company, highlevel.BulkEnableSaaSRequest{
				LocationIDs: ids(e.locs[1:]), IsSaaSV2: true, ActionPayload: highlevel.BulkEnableSaaSAction{SaaSPlanID: plan.PlanID},
			})
			return err
		}},
		{highlevel.EndpointSaaSLocations, versionSaaS, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.SaaSLocations(ctx, company, 1)
			return err
		}},
		{highlevel.EndpointBulkDisableSaaS, versionSaaS, http.StatusCreated, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.BulkDisableSaaS(ctx, company, ids(e.locs[1:]))
			return err
		}},
		{highlevel.EndpointUpdateRebilling, versionSaaS, http.StatusCreated, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.UpdateRebilling(ctx, company, highlevel.UpdateRebillingRequest{
				Product: "Phone", LocationIDs: []string{loc}, Config: highlevel.RebillingConfig{OptIn: ptr(true)},
			})
			return err
		}},
		{highlevel.EndpointUninstall, versionOAuth, http.StatusOK, func(ctx context.Context, c *highlevel.Client) error {
			_, err := c.Uninstall(ctx, highlevel.UninstallRequest{CompanyID: company})
			return err
		}},
	}
}

// TestEveryEndpointVersionAndObserver checks, per client method, the Version header it
// sends, that its endpoint template is the simulator's route, and what the observer sees.
func TestEveryEndpointVersionAndObserver(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 3})
	for _, ec := range e.everyEndpoint() {
		t.Run(ec.endpoint, func(t *testing.T) {
			e.rec.reset()
			e.obs.Reset()
			e.sim.ResetCalls()
			require.NoError(t, ec.call(t.Context(), e.client))

			ex := e.rec.exchanges()
			require.Len(t, ex, 1)
			require.Equal(t, ec.version, ex[0].Version, "Version header of %s", ec.endpoint)
			require.Equal(t, ec.status, ex[0].Status)

			var simCalls []highlevelsim.Call
			for _, c := range e.sim.Calls().Calls {
				if !strings.Contains(c.Endpoint, "chooselocation") {
					simCalls = append(simCalls, c)
				}
			}
			require.Len(t, simCalls, 1)
			require.Equal(t, ec.endpoint, simCalls[0].Endpoint, "client template = simulator route")

			obs := e.obs.Snapshot()
			require.Len(t, obs, 1)
			require.Equal(t, ec.endpoint, obs[0].Endpoint)
			require.Equal(t, ec.status, obs[0].StatusCode)
			require.Positive(t, obs[0].Duration)
			if ec.endpoint == highlevel.EndpointToken {
				require.False(t, obs[0].RateLimit.Present)
			} else {
				require.True(t, obs[0].RateLimit.Present)
				require.Equal(t, 100, obs[0].RateLimit.Max)
				require.Equal(t, 10*time.Second, obs[0].RateLimit.Interval)
				require.Equal(t, 200000, obs[0].RateLimit.DailyLimit)
				require.Less(t, obs[0].RateLimit.Remaining, 100)
			}
		})
	}
}

// TestInvalidJWTOnEveryAuthenticatedEndpoint: a garbage bearer token is refused with
// 401 "Invalid JWT" everywhere, and the request is not repeated (no Reauthorizer).
func TestInvalidJWTOnEveryAuthenticatedEndpoint(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 3})
	bad := e.as("not-a-jwt")
	for _, ec := range e.everyEndpoint() {
		if ec.endpoint == highlevel.EndpointToken {
			continue
		}
		t.Run(ec.endpoint, func(t *testing.T) {
			e.rec.reset()
			apiErr := e.requireAPIError(ec.call(t.Context(), bad), ec.endpoint, http.StatusUnauthorized, msgInvalidJWT)
			require.Empty(t, apiErr.Reason)
			require.False(t, apiErr.Temporary())
			require.Len(t, e.rec.exchanges(), 1)
		})
	}
	require.Equal(t, "not_activated", e.location(e.locs[0].ID).SaaS.SaaSMode)
	require.True(t, e.agencyState(e.agency.ID).AppInstalled)
}

func TestRateLimited(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 1})
	ctx := t.Context()
	_, err := e.sim.SetRateLimit(highlevelsim.RateLimit{Max: 2, Window: highlevelsim.Duration(10 * time.Second)})
	require.NoError(t, err)
	q := highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID}

	for range 2 {
		_, err := e.client.InstalledLocations(ctx, q)
		require.NoError(t, err)
	}
	_, err = e.client.InstalledLocations(ctx, q)
	apiErr := e.requireAPIError(err, highlevel.EndpointInstalledLocations, http.StatusTooManyRequests, msgTooManyRequests)
	require.True(t, apiErr.Temporary())
	require.Equal(t, 10*time.Second, apiErr.RetryAfter, "from Retry-After")
	require.Equal(t, highlevel.RateLimit{
		Max: 2, Remaining: 0, Interval: 10 * time.Second, DailyLimit: 200000, DailyRemaining: 199998, Present: true,
	}, apiErr.RateLimit)
	require.Contains(t, apiErr.Error(), "429")

	var remaining []int
	for _, c := range e.obs.Snapshot() {
		remaining = append(remaining, c.RateLimit.Remaining)
	}
	require.Equal(t, []int{1, 0, 0}, remaining)
	require.Equal(t, http.StatusTooManyRequests, e.obs.Snapshot()[2].StatusCode)

	// The limit is per resource: another agency is not affected... and the window slides.
	e.clock.Advance(10 * time.Second)
	_, err = e.client.InstalledLocations(ctx, q)
	require.NoError(t, err)

	t.Run("429 burst fault", func(t *testing.T) {
		_, err := e.sim.SetRateLimit(highlevelsim.RateLimit{})
		require.NoError(t, err)
		_, err = e.sim.SetFaults(highlevelsim.Faults{
			Endpoints: []string{highlevel.EndpointGetSubscription}, BurstRate: 1, BurstRetryAfter: highlevelsim.Duration(3 * time.Second),
		})
		require.NoError(t, err)
		t.Cleanup(func() { _, _ = e.sim.SetFaults(highlevelsim.Faults{}) })
		_, err = e.client.GetSubscription(ctx, e.locs[0].ID, e.agency.ID)
		apiErr := e.requireAPIError(err, highlevel.EndpointGetSubscription, http.StatusTooManyRequests, msgTooManyRequests)
		require.Equal(t, 3*time.Second, apiErr.RetryAfter)
		require.True(t, apiErr.Temporary())
		// Other endpoints are not covered by the fault.
		_, err = e.client.AgencyPlans(ctx, e.agency.ID)
		require.NoError(t, err)
	})
}

func TestServerErrorsAreTemporary(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 2})
	ctx := t.Context()
	enable := func(loc string) error {
		_, err := e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: e.agency.ID, IsSaaSV2: true})
		return err
	}

	t.Run("scripted 503 once", func(t *testing.T) {
		require.NoError(t, e.sim.AddFaultRule(highlevelsim.Rule{Endpoint: highlevel.EndpointEnableSaaS, Status: 503, Times: 1}))
		apiErr := e.requireAPIError(enable(e.locs[0].ID), highlevel.EndpointEnableSaaS, http.StatusServiceUnavailable, "Service Unavailable")
		require.True(t, apiErr.Temporary())
		require.Zero(t, e.location(e.locs[0].ID).SaaS.EnableCount, "the failure came before any change")
		require.NoError(t, enable(e.locs[0].ID), "the rule fired once")
	})
	t.Run("random 502", func(t *testing.T) {
		_, err := e.sim.SetFaults(highlevelsim.Faults{Endpoints: []string{highlevel.EndpointEnableSaaS}, ErrorRate: 1, ErrorStatuses: []int{502}})
		require.NoError(t, err)
		t.Cleanup(func() { _, _ = e.sim.SetFaults(highlevelsim.Faults{}) })
		apiErr := e.requireAPIError(enable(e.locs[1].ID), highlevel.EndpointEnableSaaS, http.StatusBadGateway, "Bad Gateway")
		require.True(t, apiErr.Temporary())
	})
	t.Run("scripted 4xx is not temporary", func(t *testing.T) {
		require.NoError(t, e.sim.AddFaultRule(highlevelsim.Rule{
			Endpoint: highlevel.EndpointAgencyPlans, Status: 404, Message: "Company not found", Times: 1,
		}))
		_, err := e.client.AgencyPlans(ctx, e.agency.ID)
		apiErr := e.requireAPIError(err, highlevel.EndpointAgencyPlans, http.StatusNotFound, "Company not found")
		require.False(t, apiErr.Temporary())
	})
}

func TestDropAfterCommitIsATransportError(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 1})
	ctx := t.Context()
	loc := e.locs[0].ID
	_, err := e.sim.SetFaults(highlevelsim.Faults{Endpoints: []string{highlevel.EndpointEnableSaaS}, DropAfterCommitRate: 1})
	require.NoError(t, err)

	_, err = e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: e.agency.ID, IsSaaSV2: true})
	var te *httpapi.TransportError
	require.ErrorAs(t, err, &te, "got %v", err)
	require.Equal(t, highlevel.EndpointEnableSaaS, te.Endpoint)
	require.True(t, strings.HasPrefix(err.Error(), "highlevel "+highlevel.EndpointEnableSaaS+": "), "got %v", err)
	var apiErr *highlevel.APIError
	require.False(t, errors.As(err, &apiErr))
	require.NotContains(t, err.Error(), e.srv.URL, "transport errors name the endpoint template, not the URL")
	require.NotContains(t, err.Error(), loc)

	// The change was committed although the client saw no answer.
	require.Equal(t, 1, e.location(loc).SaaS.EnableCount)
	calls := e.sim.Calls()
	require.Equal(t, 1, calls.Dropped)
	require.Equal(t, 1, calls.Count(highlevel.EndpointEnableSaaS, 0), "a POST is not silently retried")
	obs := e.obs.Snapshot()
	require.Len(t, obs, 1)
	require.Equal(t, highlevel.Call{Endpoint: highlevel.EndpointEnableSaaS, Duration: obs[0].Duration, Context: obs[0].Context}, obs[0], "status 0 in transport")

	// Repeating the request shows why callers must read state before retrying.
	_, err = e.sim.SetFaults(highlevelsim.Faults{})
	require.NoError(t, err)
	_, err = e.client.EnableSaaS(ctx, loc, highlevel.EnableSaaSRequest{CompanyID: e.agency.ID, IsSaaSV2: true})
	_ = e.requireAPIError(err, highlevel.EndpointEnableSaaS, http.StatusBadRequest, msgAlreadyEnabled)
}

// refreshingSource is a token source for an agency credential that refreshes through
// the real /oauth/token on Reauthorize.
type refreshingSource struct {
	base     *highlevel.Client
	mu       sync.Mutex
	tok      *highlevel.TokenResponse
	reauths  atomic.Int32
	rejected []string
	// override replaces the refreshed token, to test a Reauthorizer that does not help.
	override string
}

func (s *refreshingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &oauth2.Token{AccessToken: s.tok.AccessToken, TokenType: "Bearer"}, nil
}

func (s *refreshingSource) Reauthorize(ctx context.Context, rejected *oauth2.Token) (*oauth2.Token, error) {
	s.reauths.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = append(s.rejected, rejected.AccessToken)
	next, err := s.base.RefreshToken(ctx, s.tok.RefreshToken, highlevel.UserTypeCompany)
	if err != nil {
		return nil, err
	}
	s.tok = next
	if s.override != "" {
		return &oauth2.Token{AccessToken: s.override, TokenType: "Bearer"}, nil
	}
	return &oauth2.Token{AccessToken: next.AccessToken, TokenType: "Bearer"}, nil
}

var _ httpapi.Reauthorizer = (*refreshingSource)(nil)

func TestReauthorizeAfter401(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 2})
	ctx := t.Context()
	q := highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID}

	t.Run("expired token is replaced once and the call succeeds", func(t *testing.T) {
		src := &refreshingSource{base: e.base, tok: e.token}
		c := e.base.As(src)
		require.Equal(t, 1, e.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: e.agency.ID}))
		e.sim.ResetCalls()
		e.obs.Reset()

		page, err := c.InstalledLocations(ctx, q)
		require.NoError(t, err)
		require.Equal(t, 2, page.Count)
		require.EqualValues(t, 1, src.reauths.Load())
		require.Equal(t, []string{e.token.AccessToken}, src.rejected, "Reauthorize gets the rejected token")

		calls := e.sim.Calls()
		require.Equal(t, 1, calls.Count(highlevel.EndpointInstalledLocations, http.StatusUnauthorized))
		require.Equal(t, 1, calls.Count(highlevel.EndpointInstalledLocations, http.StatusOK))
		require.Equal(t, 1, calls.Count(highlevel.EndpointToken, http.StatusOK))
		var seen []string
		for _, o := range e.obs.Snapshot() {
			seen = append(seen, o.Endpoint+" "+http.StatusText(o.StatusCode))
		}
		require.Equal(t, []string{
			highlevel.EndpointInstalledLocations + " Unauthorized",
			highlevel.EndpointToken + " OK",
			highlevel.EndpointInstalledLocations + " OK",
		}, seen)

		// A POST is repeated the same way, with its body.
		require.Equal(t, 1, e.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: e.agency.ID}))
		_, err = c.EnableSaaS(ctx, e.locs[0].ID, highlevel.EnableSaaSRequest{CompanyID: e.agency.ID, IsSaaSV2: true})
		require.NoError(t, err)
		require.EqualValues(t, 2, src.reauths.Load())
		require.Equal(t, 1, e.location(e.locs[0].ID).SaaS.EnableCount)
	})

	t.Run("only once: a second 401 is returned", func(t *testing.T) {
		src := &refreshingSource{base: e.base, tok: e.freshAgencyToken(), override: "still-not-a-jwt"}
		e.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: e.agency.ID})
		e.rec.reset()
		_, err := e.base.As(src).InstalledLocations(ctx, q)
		_ = e.requireAPIError(err, highlevel.EndpointInstalledLocations, http.StatusUnauthorized, msgInvalidJWT)
		require.EqualValues(t, 1, src.reauths.Load())
		require.Len(t, slices.DeleteFunc(e.rec.exchanges(), func(x exchange) bool { return x.Path == "/oauth/token" }), 2)
	})

	t.Run("a failing Reauthorize is returned, wrapped", func(t *testing.T) {
		tok := e.freshAgencyToken()
		_, err := e.base.RefreshToken(ctx, tok.RefreshToken, "") // burn the refresh token behind the source's back
		require.NoError(t, err)
		src := &refreshingSource{base: e.base, tok: tok}
		e.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: e.agency.ID})
		_, err = e.base.As(src).InstalledLocations(ctx, q)
		require.ErrorContains(t, err, "re-authorize after 401")
		var apiErr *highlevel.APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, highlevel.EndpointToken, apiErr.Endpoint, "the refresh's error, not the 401")
		require.Equal(t, msgInvalidRefresh, apiErr.Message)
		require.EqualValues(t, 1, src.reauths.Load())
	})

	t.Run("without a Reauthorizer the 401 is returned", func(t *testing.T) {
		tok := e.freshAgencyToken()
		e.sim.ExpireAccessTokens(highlevelsim.TokenFilter{CompanyID: e.agency.ID})
		e.rec.reset()
		_, err := e.as(tok.AccessToken).InstalledLocations(ctx, q)
		apiErr := e.requireAPIError(err, highlevel.EndpointInstalledLocations, http.StatusUnauthorized, msgExpiredToken)
		require.Equal(t, reasonUnauthorized, apiErr.Reason)
		require.Len(t, e.rec.exchanges(), 1)
	})
}

// freshAgencyToken runs consent and the code exchange again for the env's agency.
func (e *env) freshAgencyToken() *highlevel.TokenResponse {
	e.t.Helper()
	tok, err := e.base.ExchangeCode(e.t.Context(), e.authorize(e.agency.ID), testRedirect)
	require.NoError(e.t, err)
	return tok
}

// ctxSource implements ContextTokenSource; its context-free Token must not be used.
type ctxSource struct {
	t     *testing.T
	token string
	got   context.Context
}

type ctxKey struct{}

func (s *ctxSource) Token() (*oauth2.Token, error) {
	s.t.Error("Token called although TokenContext is available")
	return nil, errors.New("unexpected")
}

func (s *ctxSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.got = ctx
	if s.token == "" {
		return nil, errors.New("store unavailable")
	}
	return &oauth2.Token{AccessToken: s.token, TokenType: "Bearer"}, nil
}

func TestTokenSources(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 1})
	q := highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID}

	t.Run("TokenContext is preferred and gets the request's context", func(t *testing.T) {
		src := &ctxSource{t: t, token: e.token.AccessToken}
		ctx := context.WithValue(t.Context(), ctxKey{}, "marker")
		_, err := e.base.As(src).InstalledLocations(ctx, q)
		require.NoError(t, err)
		require.Equal(t, "marker", src.got.Value(ctxKey{}))
	})
	t.Run("a token source failure sends nothing", func(t *testing.T) {
		e.rec.reset()
		_, err := e.base.As(&ctxSource{t: t}).InstalledLocations(t.Context(), q)
		require.ErrorContains(t, err, "store unavailable")
		require.ErrorContains(t, err, highlevel.EndpointInstalledLocations)
		require.Empty(t, e.rec.exchanges())
	})
	t.Run("no token source", func(t *testing.T) {
		e.rec.reset()
		_, err := e.base.InstalledLocations(t.Context(), q)
		require.ErrorContains(t, err, "no token source")
		require.Empty(t, e.rec.exchanges())
	})
}

// TestDecodeError: a 2xx body that does not match the contract. The simulator always
// answers well-formed JSON, so a plain handler stands in for a misbehaving proxy.
func TestDecodeError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>maintenance</html>"))
	}))
	t.Cleanup(srv.Close)
	c, err := highlevel.New(srv.URL, testClientID, testClientSecret, highlevel.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	_, err = c.As(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})).AgencyPlans(t.Context(), "GNb7aIv4rQFVb9iwNl5K")
	var de *httpapi.DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, highlevel.EndpointAgencyPlans, de.Endpoint)
	require.Equal(t, http.StatusOK, de.StatusCode)
	require.True(t, strings.HasPrefix(err.Error(), "highlevel "+highlevel.EndpointAgencyPlans+": decode 200 response: "), "got %v", err)
}

// TestPacedCallsWaitAndResendA429: a paced client waits for its pacer before every
// authorized call (not the OAuth token endpoint, which spends no burst window), tells
// it each answer, and sends a 429 again once the pacer lets it.
func TestPacedCallsWaitAndResendA429(t *testing.T) {
	e := newEnv(t, highlevelsim.AgencySpec{LocationCount: 1})
	ctx := t.Context()
	_, err := e.sim.SetRateLimit(highlevelsim.RateLimit{Max: 2, Window: highlevelsim.Duration(10 * time.Second)})
	require.NoError(t, err)
	p := &httpapitest.Pacer{OnDone: func(status int, retryAfter time.Duration) {
		if status == http.StatusTooManyRequests {
			require.Equal(t, 10*time.Second, retryAfter)
			e.clock.Advance(retryAfter)
		}
	}}
	c := e.client.Paced(p)
	q := highlevel.InstalledLocationsQuery{CompanyID: e.agency.ID}
	for range 3 {
		_, err := c.InstalledLocations(ctx, q)
		require.NoError(t, err)
	}
	require.Equal(t, []int{200, 200, 429, 200}, p.Answers)
	require.Equal(t, 4, p.Waits)

	_, err = e.base.Paced(p).RefreshToken(ctx, e.token.RefreshToken, highlevel.UserTypeCompany)
	require.NoError(t, err)
	require.Equal(t, 4, p.Waits, "the token endpoint is not paced")
}
