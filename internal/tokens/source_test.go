package tokens

import (
	"context"
	"net/http"
	"testing"

	"golang.org/x/oauth2"
)

func TestTokenSourceWithTransport(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		srv := newOAuthServer(t, 3600)
		s, _ := openTestStore(t, be)
		mustPut(t, s, locKey, srv.initial()) // expired: the first request refreshes
		client := &http.Client{Transport: &oauth2.Transport{Source: s.TokenSource(locKey, httpRefresher(srv.URL))}}

		// The request contexts end before the next request, as in an activity; the source must not
		// depend on them.
		for range 3 {
			ctx, cancel := context.WithCancel(t.Context())
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api", nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			cancel()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("API answered %d; the transport did not send the current access token", resp.StatusCode)
			}
		}
		if refreshes, _, _, _ := srv.stats(); refreshes != 1 {
			t.Fatalf("%d refreshes, want 1", refreshes)
		}

		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenSource(locKey, httpRefresher(srv.URL)).Token(); err == nil {
			t.Fatal("TokenSource works on a closed store")
		}
	})
}
