package credentials_test

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

func TestFromHighLevel(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name  string
		resp  highlevel.TokenResponse
		attrs map[string]string
	}{
		{
			name: "agency",
			resp: highlevel.TokenResponse{
				AccessToken: "at-agency-0001", RefreshToken: "rt-agency-0001", TokenType: "bearer", ExpiresIn: 86399,
				Scope: "oauth.readonly oauth.write", UserType: "Company", CompanyID: "co1", UserID: "u1",
				AppID: "app", IsBulkInstallation: true, TraceID: "trace",
			},
			attrs: map[string]string{
				credentials.AttrUserType: "Company", credentials.AttrCompanyID: "co1",
				credentials.AttrScope: "oauth.readonly oauth.write", credentials.AttrUserID: "u1",
			},
		},
		{
			name: "location",
			resp: highlevel.TokenResponse{
				AccessToken: "at-location-0001", RefreshToken: "rt-location-0001", ExpiresIn: 86400,
				Scope: "oauth.write", UserType: "Location", CompanyID: "co1", LocationID: "loc1", UserID: "u1",
			},
			attrs: map[string]string{
				credentials.AttrUserType: "Location", credentials.AttrCompanyID: "co1", credentials.AttrLocationID: "loc1",
				credentials.AttrScope: "oauth.write", credentials.AttrUserID: "u1",
			},
		},
		{
			name:  "bare answer stores no empty attributes",
			resp:  highlevel.TokenResponse{AccessToken: "at-bare-00001", RefreshToken: "rt-bare-00001", ExpiresIn: 60},
			attrs: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := credentials.FromHighLevel(&tt.resp, received)
			if got.AccessToken != tt.resp.AccessToken || got.RefreshToken != tt.resp.RefreshToken {
				t.Errorf("tokens not copied: %v", got)
			}
			if got.TokenType != "Bearer" {
				t.Errorf("TokenType = %q, want Bearer", got.TokenType)
			}
			if want := received.Add(time.Duration(tt.resp.ExpiresIn) * time.Second); !got.Expiry.Equal(want) {
				t.Errorf("Expiry = %s, want %s (received + expires_in)", got.Expiry, want)
			}
			if !maps.Equal(got.Attrs, tt.attrs) {
				t.Errorf("Attrs = %v, want %v", got.Attrs, tt.attrs)
			}
			if len(got.Secrets) != 0 {
				t.Errorf("Secrets = %v, want none", got.Secrets)
			}
		})
	}
}

// TestFromHighLevelSandbox converts real code-exchange and locationToken answers and stores them.
func TestFromHighLevelSandbox(t *testing.T) {
	sb := newSandbox(t)
	store, _ := newStore(t)
	received := time.Now()
	agency := sb.connect(t)
	loc := sb.locations[0].ID
	location := sb.mintLocation(t, agency.AccessToken, loc)

	for _, tc := range []struct {
		key  string
		resp *highlevel.TokenResponse
		want map[string]string
	}{
		{tokens.KeyHighLevelAgency(sb.agency.ID), agency, map[string]string{
			credentials.AttrUserType: "Company", credentials.AttrCompanyID: sb.agency.ID,
			credentials.AttrScope: testScopes, credentials.AttrUserID: sb.agency.UserID,
		}},
		{tokens.KeyHighLevelLocation(loc), location, map[string]string{
			credentials.AttrUserType: "Location", credentials.AttrCompanyID: sb.agency.ID, credentials.AttrLocationID: loc,
			credentials.AttrScope: testScopes, credentials.AttrUserID: sb.agency.UserID,
		}},
	} {
		tok := credentials.FromHighLevel(tc.resp, received)
		if want := received.Add(86399 * time.Second); !tok.Expiry.Equal(want) {
			t.Errorf("%s: Expiry = %s, want %s", tc.key, tok.Expiry, want)
		}
		mustPut(t, store, tc.key, tok)
		got, info := mustGet(t, store, tc.key)
		if !maps.Equal(info.Attrs, tc.want) || !maps.Equal(got.Attrs, tc.want) {
			t.Errorf("%s: stored attrs %v, want %v", tc.key, info.Attrs, tc.want)
		}
		if got.AccessToken != tc.resp.AccessToken || got.RefreshToken != tc.resp.RefreshToken {
			t.Errorf("%s: stored tokens differ from the answer", tc.key)
		}
	}
}

// fakeTokenEndpoint answers POST /oauth/token with a fixed reply and records the forms it got.
type fakeTokenEndpoint struct {
	*httptest.Server
	mu    sync.Mutex
	forms []url.Values
}

func newFakeTokenEndpoint(t *testing.T, status int, body string) *fakeTokenEndpoint {
	f := &fakeTokenEndpoint{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/oauth/token" {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.forms = append(f.forms, r.PostForm)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeTokenEndpoint) lastForm(t *testing.T) url.Values {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.forms) == 0 {
		t.Fatal("the token endpoint got no request")
	}
	return f.forms[len(f.forms)-1]
}

func newClient(t *testing.T, baseURL string) *highlevel.Client {
	t.Helper()
	c, err := highlevel.New(baseURL, testClientID, testClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func locationCredential() tokens.Token {
	return tokens.Token{
		AccessToken: "at-old-00000001", RefreshToken: "rt-old-00000001", TokenType: "Bearer",
		Expiry: time.Now().Add(-time.Minute),
		Attrs: map[string]string{
			credentials.AttrUserType: "Location", credentials.AttrCompanyID: "co1", credentials.AttrLocationID: "loc1",
			credentials.AttrScope: "oauth.readonly", credentials.AttrUserID: "u1", "custom": "kept",
		},
	}
}

// TestHighLevelRefresherKeepsAttributes: a refresh answer need not repeat every id; what it omits
// is kept, what it states wins.
func TestHighLevelRefresherKeepsAttributes(t *testing.T) {
	srv := newFakeTokenEndpoint(t, http.StatusOK, `{"access_token":"at-new-00000002","token_type":"Bearer",
		"expires_in":3600,"refresh_token":"rt-new-00000002","scope":"oauth.readonly oauth.write","userType":"Location"}`)
	r := credentials.HighLevelRefresher(newClient(t, srv.URL))
	cur := locationCredential()
	orig := maps.Clone(cur.Attrs)

	before := time.Now()
	next, err := r.Refresh(t.Context(), cur)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()

	form := srv.lastForm(t)
	for k, want := range map[string]string{
		"grant_type": "refresh_token", "refresh_token": cur.RefreshToken, "user_type": "Location",
		"client_id": testClientID, "client_secret": testClientSecret,
	} {
		if got := form.Get(k); got != want {
			t.Errorf("refresh request %s = %q, want %q", k, got, want)
		}
	}
	want := map[string]string{
		credentials.AttrUserType: "Location", credentials.AttrCompanyID: "co1", credentials.AttrLocationID: "loc1",
		credentials.AttrScope: "oauth.readonly oauth.write", credentials.AttrUserID: "u1", "custom": "kept",
	}
	if !maps.Equal(next.Attrs, want) {
		t.Errorf("Attrs = %v, want %v", next.Attrs, want)
	}
	if !maps.Equal(cur.Attrs, orig) {
		t.Errorf("the refresher altered the current token's attrs: %v", cur.Attrs)
	}
	if next.AccessToken != "at-new-00000002" || next.RefreshToken != "rt-new-00000002" || next.TokenType != "Bearer" {
		t.Errorf("refreshed token = %v", next)
	}
	if next.Expiry.Before(before.Add(time.Hour)) || next.Expiry.After(after.Add(time.Hour)) {
		t.Errorf("Expiry = %s, want an hour after the answer", next.Expiry)
	}

	// Through the store the merged attributes are what gets persisted.
	store, _ := newStore(t)
	key := tokens.KeyHighLevelLocation("loc1")
	mustPut(t, store, key, locationCredential())
	if _, err := store.Refresh(t.Context(), key, r, ""); err != nil {
		t.Fatal(err)
	}
	if _, info := mustGet(t, store, key); !maps.Equal(info.Attrs, want) {
		t.Errorf("stored attrs = %v, want %v", info.Attrs, want)
	}

	// A credential stored without a userType sends none.
	cur.Attrs = map[string]string{credentials.AttrCompanyID: "co1"}
	if _, err := r.Refresh(t.Context(), cur); err != nil {
		t.Fatal(err)
	}
	if f := srv.lastForm(t); f.Has("user_type") {
		t.Errorf("user_type sent without a stored userType: %q", f.Get("user_type"))
	}
}

// TestHighLevelRefresherErrors maps HighLevel's refresh failures: only a 400 says something about
// the refresh token or the account; everything else is transient and passed through unchanged.
func TestHighLevelRefresherErrors(t *testing.T) {
	const (
		invalidGrant = `{"statusCode":400,"message":"Invalid grant: refresh token is invalid"}`
		notActive    = `{"statusCode":400,"message":"Location is not active"}`
	)
	tests := []struct {
		name     string
		status   int // 0: no server (transport failure)
		body     string
		sentinel error         // what the refresher must wrap; nil for none
		stored   error         // what the store reports
		after    tokens.Status // the credential's status after the failed refresh
	}{
		{"400 invalid grant", 400, invalidGrant, tokens.ErrInvalidGrant, tokens.ErrReconnectNeeded, tokens.StatusReconnectNeeded},
		{"400 invalid grant as a message list", 400,
			`{"statusCode":400,"message":["Invalid grant: refresh token is invalid"],"error":"Bad Request"}`,
			tokens.ErrInvalidGrant, tokens.ErrReconnectNeeded, tokens.StatusReconnectNeeded},
		{"400 location not active", 400, notActive, tokens.ErrInactive, tokens.ErrSuspended, tokens.StatusSuspended},
		{"400 missing parameter", 400, `{"statusCode":400,"message":"Missing parameter: client_id"}`, nil, nil, tokens.StatusActive},
		{"400 invalid user_type", 400, `{"statusCode":400,"message":"Invalid parameter: user_type"}`, nil, nil, tokens.StatusActive},
		{"401 client credentials", 401, `{"statusCode":401,"message":"Invalid client credentials","error":"Unauthorized"}`,
			nil, nil, tokens.StatusActive},
		{"401 naming an invalid grant", 401, `{"statusCode":401,"message":"Invalid grant: refresh token is invalid"}`,
			nil, nil, tokens.StatusActive},
		{"422", 422, `{"statusCode":422,"message":["Unprocessable Entity"],"error":"Unprocessable Entity"}`, nil, nil, tokens.StatusActive},
		{"429", 429, `{"statusCode":429,"message":"Too Many Requests"}`, nil, nil, tokens.StatusActive},
		{"500", 500, `{"statusCode":500,"message":"Internal Server Error"}`, nil, nil, tokens.StatusActive},
		{"502 HTML page", 502, `<html><body>502 Bad Gateway</body></html>`, nil, nil, tokens.StatusActive},
		{"503 naming an inactive location", 503, notActive, nil, nil, tokens.StatusActive},
		{"transport", 0, "", nil, nil, tokens.StatusActive},
	}
	kinds := []error{tokens.ErrInvalidGrant, tokens.ErrInactive, tokens.ErrReconnectNeeded, tokens.ErrSuspended}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base string
			if tt.status == 0 {
				dead := httptest.NewServer(http.NotFoundHandler())
				base = dead.URL
				dead.Close()
			} else {
				base = newFakeTokenEndpoint(t, tt.status, tt.body).URL
			}
			r := credentials.HighLevelRefresher(newClient(t, base))
			_, err := r.Refresh(t.Context(), locationCredential())
			if err == nil {
				t.Fatal("refresh succeeded, want an error")
			}
			for _, kind := range kinds {
				if want := kind == tt.sentinel; errors.Is(err, kind) != want {
					t.Errorf("errors.Is(%q, %q) = %v, want %v", err, kind, !want, want)
				}
			}
			// The HighLevel error stays reachable, unchanged.
			if tt.status == 0 {
				var te *httpapi.TransportError
				if !errors.As(err, &te) || te.Endpoint != highlevel.EndpointToken {
					t.Errorf("error %q is not the client's TransportError", err)
				}
			} else {
				var api *highlevel.APIError
				if !errors.As(err, &api) || api.StatusCode != tt.status || api.Endpoint != highlevel.EndpointToken {
					t.Errorf("error %q is not the client's APIError with status %d", err, tt.status)
				}
			}

			// What the store makes of it.
			store, _ := newStore(t)
			key := tokens.KeyHighLevelLocation("loc1")
			mustPut(t, store, key, locationCredential())
			_, err = store.Refresh(t.Context(), key, r, "")
			if err == nil {
				t.Fatal("store refresh succeeded, want an error")
			}
			for _, kind := range []error{tokens.ErrReconnectNeeded, tokens.ErrSuspended} {
				if want := kind == tt.stored; errors.Is(err, kind) != want {
					t.Errorf("store: errors.Is(%q, %q) = %v, want %v", err, kind, !want, want)
				}
			}
			got, info := mustGet(t, store, key)
			if info.Status != tt.after {
				t.Errorf("status after the failure = %s, want %s", info.Status, tt.after)
			}
			if got.RefreshToken != locationCredential().RefreshToken {
				t.Errorf("the stored refresh token changed")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestLocationNotActive: "Location is not active" suspends the credential and keeps its refresh
// token, which works again once the location is active (reference §1.2, §7.2).
func TestLocationNotActive(t *testing.T) {
	sb := newSandbox(t)
	// A skew longer than the token lifetime makes every Token call refresh.
	store, _ := newStore(t, tokens.WithRefreshSkew(48*time.Hour))
	c := sb.setup(t, store, kindLocation)
	r := credentials.HighLevelRefresher(sb.client)
	before, _ := mustGet(t, store, c.key)

	if _, err := sb.sim.UpdateLocation(c.resource, highlevelsim.LocationPatch{Active: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	_, err := store.Token(t.Context(), c.key, r)
	wantErrIs(t, err, tokens.ErrSuspended, tokens.ErrInactive)
	got, info := mustGet(t, store, c.key)
	if info.Status != tokens.StatusSuspended {
		t.Fatalf("status = %s, want suspended", info.Status)
	}
	if got.RefreshToken != before.RefreshToken || got.AccessToken != before.AccessToken {
		t.Fatal("the suspended credential's tokens changed")
	}
	if n := sb.refreshes(http.StatusBadRequest); n != 1 {
		t.Fatalf("sandbox refused %d refreshes, want 1", n)
	}

	// While suspended, Token and the client fail at once, without a call.
	_, err = store.Token(t.Context(), c.key, r)
	wantErrIs(t, err, tokens.ErrSuspended)
	err = useLocation(t.Context(), sb.client.As(credentials.HighLevelSource(store, sb.client, c.key)))
	wantErrIs(t, err, tokens.ErrSuspended)
	if n := sb.sim.Calls().Total; n != 1 {
		t.Fatalf("sandbox saw %d calls, want only the first refusal", n)
	}

	// A forced retry while the location is still inactive changes nothing.
	_, err = store.Refresh(t.Context(), c.key, r, "")
	wantErrIs(t, err, tokens.ErrSuspended, tokens.ErrInactive)
	if got, _ := mustGet(t, store, c.key); got.RefreshToken != before.RefreshToken {
		t.Fatal("the refresh token changed on a refused retry")
	}

	if _, err := sb.sim.UpdateLocation(c.resource, highlevelsim.LocationPatch{Active: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	tok, err := store.Refresh(t.Context(), c.key, r, "")
	if err != nil {
		t.Fatalf("refresh after re-activation: %v", err)
	}
	got, info = mustGet(t, store, c.key)
	if info.Status != tokens.StatusActive || info.StatusReason != "" {
		t.Fatalf("status = %s (%q), want active", info.Status, info.StatusReason)
	}
	if got.RefreshToken == before.RefreshToken || tok.AccessToken == before.AccessToken {
		t.Fatal("the pair was not rotated")
	}
	sb.wantAccepted(t, kindLocation, tok.AccessToken)
	if ok, refused := sb.refreshes(http.StatusOK), sb.refreshes(http.StatusBadRequest); ok != 1 || refused != 2 {
		t.Fatalf("sandbox answered %d refreshes with 200 and %d with 400, want 1 and 2", ok, refused)
	}
}

// TestInvalidGrantNeedsReconnect: a refresh token spent elsewhere makes the credential
// reconnect_needed, after which it costs no more calls.
func TestInvalidGrantNeedsReconnect(t *testing.T) {
	sb := newSandbox(t)
	store, _ := newStore(t)
	c := sb.setup(t, store, kindAgency)
	cur, _ := mustGet(t, store, c.key)
	// Someone outside the store (a second deployment, a script) spends the refresh token.
	if _, err := sb.client.RefreshToken(t.Context(), cur.RefreshToken, highlevel.UserTypeCompany); err != nil {
		t.Fatal(err)
	}
	r := credentials.HighLevelRefresher(sb.client)
	_, err := store.Refresh(t.Context(), c.key, r, "")
	wantErrIs(t, err, tokens.ErrReconnectNeeded, tokens.ErrInvalidGrant)
	if _, info := mustGet(t, store, c.key); info.Status != tokens.StatusReconnectNeeded {
		t.Fatalf("status = %s, want reconnect_needed", info.Status)
	}
	calls := sb.sim.Calls().Total
	_, err = store.Token(t.Context(), c.key, r)
	wantErrIs(t, err, tokens.ErrReconnectNeeded)
	if n := sb.sim.Calls().Total; n != calls {
		t.Fatalf("a reconnect_needed credential still made %d calls", n-calls)
	}
}

func TestHighLevelSourceTokenContext(t *testing.T) {
	for _, kind := range []string{kindAgency, kindLocation} {
		t.Run(kind, func(t *testing.T) {
			sb := newSandbox(t)
			store, _ := newStore(t)
			c := sb.setup(t, store, kind)
			want, _ := mustGet(t, store, c.key)
			src := credentials.HighLevelSource(store, sb.client, c.key)

			got, err := src.(httpapi.ContextTokenSource).TokenContext(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			plain, err := src.Token()
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range []*oauth2.Token{got, plain} {
				if tok.AccessToken != want.AccessToken || !tok.Expiry.Equal(want.Expiry) || tok.Type() != "Bearer" {
					t.Fatalf("source token %q expiring %s, want the stored one expiring %s", tok.Type(), tok.Expiry, want.Expiry)
				}
				if tok.RefreshToken != "" {
					t.Fatal("the source hands out the refresh token")
				}
			}
			if n := sb.refreshes(0); n != 0 {
				t.Fatalf("a valid stored token caused %d refreshes", n)
			}
			sb.wantAccepted(t, kind, got.AccessToken)
		})
	}
}

// TestHighLevelSourceReauthorize: a token the sandbox expired is replaced once; a holder whose
// rejected token another holder (here another Store on the same file, as another process) has
// already replaced gets the replacement without a second refresh.
func TestHighLevelSourceReauthorize(t *testing.T) {
	for _, kind := range []string{kindAgency, kindLocation} {
		t.Run(kind, func(t *testing.T) {
			sb := newSandbox(t)
			storeA, path := newStore(t)
			storeB := openStore(t, path)
			c := sb.setup(t, storeA, kind)
			a := credentials.HighLevelSource(storeA, sb.client, c.key)
			b := credentials.HighLevelSource(storeB, sb.client, c.key)

			t0, err := a.Token()
			if err != nil {
				t.Fatal(err)
			}
			if n := sb.sim.ExpireAccessTokens(c.filter); n == 0 {
				t.Fatal("the sandbox expired no token")
			}
			sb.wantRejected(t, kind, t0.AccessToken)

			t1, err := a.(httpapi.Reauthorizer).Reauthorize(t.Context(), t0)
			if err != nil {
				t.Fatal(err)
			}
			if t1.AccessToken == t0.AccessToken {
				t.Fatal("Reauthorize returned the rejected token")
			}
			sb.wantAccepted(t, kind, t1.AccessToken)
			if stored, _ := mustGet(t, storeA, c.key); stored.AccessToken != t1.AccessToken {
				t.Fatal("the store does not hold the new token")
			}
			if n := sb.refreshes(http.StatusOK); n != 1 {
				t.Fatalf("sandbox counted %d refreshes, want 1", n)
			}

			// Holders of the same rejected token, in the other store and in this one, get t1.
			for name, src := range map[string]oauth2.TokenSource{"other store": b, "same store": a} {
				got, err := src.(httpapi.Reauthorizer).Reauthorize(t.Context(), t0)
				if err != nil {
					t.Fatal(err)
				}
				if got.AccessToken != t1.AccessToken {
					t.Fatalf("%s: Reauthorize with a replaced token did not return the replacement", name)
				}
			}
			if n := sb.refreshes(0); n != 1 {
				t.Fatalf("sandbox counted %d refresh calls after stale re-authorizations, want still 1", n)
			}

			// The current token, rejected, is replaced.
			t2, err := b.(httpapi.Reauthorizer).Reauthorize(t.Context(), t1)
			if err != nil {
				t.Fatal(err)
			}
			if t2.AccessToken == t1.AccessToken {
				t.Fatal("Reauthorize with the current token did not refresh")
			}
			sb.wantAccepted(t, kind, t2.AccessToken)
			if ok, all := sb.refreshes(http.StatusOK), sb.refreshes(0); ok != 2 || all != 2 {
				t.Fatalf("sandbox answered %d of %d refreshes with 200, want 2 of 2", ok, all)
			}
		})
	}
}

// TestHighLevelSourceClient: a client bound to the source rides over an expired token: one 401,
// one refresh, one retry.
func TestHighLevelSourceClient(t *testing.T) {
	for _, kind := range []string{kindAgency, kindLocation} {
		t.Run(kind, func(t *testing.T) {
			sb := newSandbox(t)
			store, _ := newStore(t)
			c := sb.setup(t, store, kind)
			client := sb.client.As(credentials.HighLevelSource(store, sb.client, c.key))
			if err := sb.use(t.Context(), kind, client); err != nil {
				t.Fatal(err)
			}
			sb.sim.ExpireAccessTokens(c.filter)
			if err := sb.use(t.Context(), kind, client); err != nil {
				t.Fatalf("call after the sandbox expired the token: %v", err)
			}
			calls := sb.sim.Calls()
			if n := calls.Count(apiEndpoint(kind), http.StatusUnauthorized); n != 1 {
				t.Errorf("sandbox answered %d calls with 401, want 1", n)
			}
			if n := calls.Count(apiEndpoint(kind), okStatus(kind)); n != 2 {
				t.Errorf("sandbox accepted %d calls, want 2", n)
			}
			if ok, all := calls.Count(highlevel.EndpointToken, http.StatusOK), calls.Count(highlevel.EndpointToken, 0); ok != 1 || all != 1 {
				t.Errorf("sandbox answered %d of %d refreshes with 200, want 1 of 1", ok, all)
			}
		})
	}
}

// TestHighLevelSourceOAuth2Transport uses the source the way code without a context does.
func TestHighLevelSourceOAuth2Transport(t *testing.T) {
	sb := newSandbox(t)
	store, _ := newStore(t)
	c := sb.setup(t, store, kindAgency)
	hc := &http.Client{Transport: &oauth2.Transport{
		Source: credentials.HighLevelSource(store, sb.client, c.key),
		Base:   sb.http.Transport,
	}}
	list := func() (int, error) {
		q := url.Values{"companyId": {sb.agency.ID}, "appId": {sb.client.AppID()}}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, sb.url+"/oauth/installedLocations?"+q.Encode(), nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Version", highlevel.VersionOAuth)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, errors.New(resp.Status)
		}
		var page highlevel.InstalledLocationsPage
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			return 0, err
		}
		return page.Count, nil
	}
	if n, err := list(); err != nil || n != len(sb.locations) {
		t.Fatalf("installedLocations through oauth2.Transport: count %d, %v", n, err)
	}
	if n := sb.refreshes(0); n != 0 {
		t.Fatalf("%d refreshes for a valid token", n)
	}

	// A token the store considers expired is refreshed before the request goes out.
	cur, _ := mustGet(t, store, c.key)
	cur.Expiry = time.Now().Add(-time.Minute)
	mustPut(t, store, c.key, cur)
	if _, err := list(); err != nil {
		t.Fatal(err)
	}
	if n := sb.refreshes(http.StatusOK); n != 1 {
		t.Fatalf("sandbox counted %d refreshes, want 1", n)
	}
	if got, _ := mustGet(t, store, c.key); got.AccessToken == cur.AccessToken {
		t.Fatal("the stored token was not replaced")
	}

	// A suspended credential fails the request before it is sent.
	if err := store.SetStatus(t.Context(), c.key, tokens.StatusSuspended, "test"); err != nil {
		t.Fatal(err)
	}
	calls := sb.sim.Calls().Total
	_, err := list()
	wantErrIs(t, err, tokens.ErrSuspended)
	if n := sb.sim.Calls().Total; n != calls {
		t.Fatal("a request went out for a suspended credential")
	}
}
