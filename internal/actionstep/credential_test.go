package actionstep_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/httpapi/httpapitest"
)

const participantDoc = `{"participants":{"id":7939,"displayName":"Acme"}}`

// authorizing answers 401 (the OAuth shape) unless the request carries token.
func authorizing(token string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			reply(http.StatusUnauthorized, `{"error":"invalid_token","error_description":"The access token provided in invalid (2)"}`)(w, r)
			return
		}
		reply(http.StatusOK, participantDoc)(w, r)
	}
}

func TestUnauthorizedReauthorizesOnceAgainstTheNewEndpoint(t *testing.T) {
	// The refresh moves the organisation to another host: the retry must follow it.
	oldHost := newFakeAPI(t, authorizing("never"))
	newHost := newFakeAPI(t, authorizing("fresh"))
	src := newReauthSource(
		actionstep.WithAPIEndpoint(&oauth2.Token{AccessToken: "stale"}, oldHost.apiEndpoint()),
		actionstep.WithAPIEndpoint(&oauth2.Token{AccessToken: "fresh"}, newHost.apiEndpoint()),
	)
	obs := &httpapitest.Recorder[httpapi.Call]{}
	c := newClient(t, "https://token.invalid/api/oauth/token", actionstep.WithObserver(obs.Observe)).As(src)

	p, err := c.UpdateParticipant(context.Background(), "7939", actionstep.ParticipantFields{CompanyName: new("Acme")})
	require.NoError(t, err)
	assert.Equal(t, "Acme", p.DisplayName)
	assert.Equal(t, []string{"stale"}, src.rejected)
	assert.Equal(t, 1, src.ctxCalls, "the context-aware source is preferred")
	require.Len(t, oldHost.requests(), 1)
	require.Len(t, newHost.requests(), 1)
	retried := newHost.requests()[0]
	assert.Equal(t, "/api/rest/participants/7939", retried.Path)
	assert.JSONEq(t, `{"participants":{"companyName":"Acme"}}`, string(retried.Body), "the retry resends the body")
	calls := obs.Snapshot()
	require.Len(t, calls, 2)
	assert.Equal(t, []int{401, 200}, []int{calls[0].StatusCode, calls[1].StatusCode})
}

func TestUnauthorizedTwiceGivesUp(t *testing.T) {
	api := newFakeAPI(t, authorizing("never"))
	src := newReauthSource(
		actionstep.WithAPIEndpoint(&oauth2.Token{AccessToken: "a"}, api.apiEndpoint()),
		actionstep.WithAPIEndpoint(&oauth2.Token{AccessToken: "b"}, api.apiEndpoint()),
	)
	_, err := newClient(t, api.srv.URL).As(src).GetParticipant(context.Background(), "7939")
	e := requireAPIError(t, err, http.StatusUnauthorized)
	assert.Equal(t, "invalid_token", e.Code)
	assert.Len(t, api.requests(), 2, "one retry, not a loop")
	assert.Equal(t, []string{"a"}, src.rejected)
}

func TestUnauthorizedWithoutReauthorizer(t *testing.T) {
	api := newFakeAPI(t, authorizing("never"))
	_, err := api.client(t).GetParticipant(context.Background(), "7939")
	e := requireAPIError(t, err, http.StatusUnauthorized)
	assert.False(t, e.Temporary())
	assert.Len(t, api.requests(), 1)
}

// failingReauth is a source whose refresh fails (say, the refresh token was revoked).
type failingReauth struct{ oauth2.TokenSource }

var errRevoked = errors.New("refresh token revoked")

func (failingReauth) Reauthorize(context.Context, *oauth2.Token) (*oauth2.Token, error) {
	return nil, errRevoked
}

func TestReauthorizeFailureIsReturned(t *testing.T) {
	api := newFakeAPI(t, authorizing("never"))
	src := failingReauth{credential("a", api.apiEndpoint())}
	_, err := newClient(t, api.srv.URL).As(src).GetParticipant(context.Background(), "7939")
	require.ErrorIs(t, err, errRevoked)
}

// switchingSource returns whatever token was last set, like a store whose credential a
// refresh has rewritten between two calls.
type switchingSource struct {
	mu  sync.Mutex
	tok *oauth2.Token
}

func (s *switchingSource) set(t *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tok = t
}

func (s *switchingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok, nil
}

func TestAPIEndpointIsTakenPerCall(t *testing.T) {
	a := newFakeAPI(t, reply(200, participantDoc))
	b := newFakeAPI(t, reply(200, participantDoc))
	src := &switchingSource{}
	c := newClient(t, "https://token.invalid/api/oauth/token").As(src)

	src.set(actionstep.WithAPIEndpoint(&oauth2.Token{AccessToken: "t1"}, a.apiEndpoint()))
	_, err := c.GetParticipant(context.Background(), "1")
	require.NoError(t, err)
	src.set(actionstep.WithAPIEndpoint(&oauth2.Token{AccessToken: "t2"}, b.apiEndpoint()))
	_, err = c.GetParticipant(context.Background(), "2")
	require.NoError(t, err)

	require.Len(t, a.requests(), 1)
	require.Len(t, b.requests(), 1)
	assert.Equal(t, "Bearer t2", b.requests()[0].Header.Get("Authorization"))
	assert.Equal(t, "/api/rest/participants/2", b.requests()[0].Path)
}

func TestAPIEndpointForms(t *testing.T) {
	api := newFakeAPI(t, reply(200, participantDoc))
	host := api.srv.URL
	// The token endpoint returns ".../api/", sometimes ".../api"; some stores keep the REST root.
	for _, endpoint := range []string{host + "/api/", host + "/api", host + "/api/rest", host + "/api/rest/", " " + host + "/api/ "} {
		_, err := newClient(t, host).As(credential("t", endpoint)).GetParticipant(context.Background(), "5")
		require.NoError(t, err, endpoint)
	}
	for _, r := range api.requests() {
		assert.Equal(t, "/api/rest/participants/5", r.Path)
	}
}

func TestUnusableAPIEndpoint(t *testing.T) {
	api := newFakeAPI(t, reply(200, participantDoc))
	tests := map[string]oauth2.TokenSource{
		"none":          oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}),
		"relative":      credential("t", "/api/"),
		"not http":      credential("t", "ftp://files.example.com/api/"),
		"with userinfo": credential("t", "https://user:pass@evil.example/api/"),
		"with query":    credential("t", api.apiEndpoint()+"?x=1"),
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := newClient(t, api.srv.URL).As(src).GetParticipant(context.Background(), "5")
			require.ErrorIs(t, err, actionstep.ErrNoAPIEndpoint)
			assert.NotContains(t, err.Error(), "pass")
		})
	}
	assert.Empty(t, api.requests(), "the token is never sent to an unusable endpoint")
}

func TestEmptyAccessTokenIsNotSent(t *testing.T) {
	api := newFakeAPI(t, reply(200, participantDoc))
	_, err := newClient(t, api.srv.URL).As(credential("", api.apiEndpoint())).GetParticipant(context.Background(), "5")
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), actionstep.EndpointGetParticipant), err.Error())
	assert.Empty(t, api.requests())
}
