package tokens

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

const locKey = "highlevel/location/loc1"

func TestTokenRefreshesOnlyWhenNeeded(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		for _, tc := range []struct {
			name        string
			expiry      time.Time
			wantRefresh bool
		}{
			{"valid for an hour", time.Now().Add(time.Hour), false},
			{"never expires", time.Time{}, false},
			{"expires within the skew", time.Now().Add(90 * time.Second), true},
			{"expired", time.Now().Add(-time.Hour), true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s, _ := openTestStore(t, be)
				mustPut(t, s, locKey, Token{AccessToken: "a", RefreshToken: "r", Expiry: tc.expiry})
				r := rotating()
				got, err := s.Token(t.Context(), locKey, r)
				if err != nil {
					t.Fatal(err)
				}
				if refreshed := r.calls.Load() == 1; refreshed != tc.wantRefresh {
					t.Fatalf("refresher called %d times, want refresh=%v", r.calls.Load(), tc.wantRefresh)
				}
				wantAccess := "a"
				if tc.wantRefresh {
					wantAccess = "a+"
				}
				if got.AccessToken != wantAccess || got.RefreshToken != "" {
					t.Fatalf("Token = access %q, refresh %q; want access %q and no refresh token",
						got.AccessToken, got.RefreshToken, wantAccess)
				}
				stored, info := mustGet(t, s, locKey)
				if stored.AccessToken != wantAccess || tc.wantRefresh && (stored.RefreshToken != "r+" || info.Version != 2) {
					t.Fatalf("stored %v (version %d) does not match the returned token", stored, info.Version)
				}
			})
		}
	})
}

func TestRefreshMergesResponse(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _ := openTestStore(t, be)
		mustPut(t, s, locKey, Token{
			AccessToken: "a", RefreshToken: "r", TokenType: "Bearer", Expiry: time.Now().Add(-time.Minute),
			Attrs: map[string]string{"locationId": "loc1", "scope": "old"}, Secrets: map[string]string{"x": "1"},
		})
		var seen Token
		r := &scripted{fn: func(_ context.Context, cur Token) (Token, error) {
			seen = cur
			// No refresh token in the response: the old one stays (RFC 6749 §6).
			return Token{AccessToken: "a2", Expiry: time.Now().Add(time.Hour), Attrs: map[string]string{"scope": "new"}}, nil
		}}
		if _, err := s.Token(t.Context(), locKey, r); err != nil {
			t.Fatal(err)
		}
		if seen.RefreshToken != "r" || seen.Attrs["locationId"] != "loc1" {
			t.Fatalf("refresher got %v with attrs %v, want the stored credential", seen, seen.Attrs)
		}
		got, _ := mustGet(t, s, locKey)
		if got.AccessToken != "a2" || got.RefreshToken != "r" || got.TokenType != "Bearer" ||
			got.Attrs["locationId"] != "loc1" || got.Attrs["scope"] != "new" || got.Secrets["x"] != "1" {
			t.Fatalf("after refresh stored %v attrs %v secrets %v", got, got.Attrs, got.Secrets)
		}
	})
}

func TestInvalidGrantMarksReconnectNeeded(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _ := openTestStore(t, be)
		mustPut(t, s, locKey, expiredToken("a", "r"))
		_, err := s.Token(t.Context(), locKey, failing(fmt.Errorf("%w: Invalid grant: refresh token is invalid", ErrInvalidGrant)))
		wantErr(t, err, ErrReconnectNeeded, ErrInvalidGrant)
		if !strings.Contains(err.Error(), locKey) {
			t.Fatalf("error %q does not say which credential needs re-connecting", err)
		}
		var e *Error
		if !errors.As(err, &e) || e.Key != locKey {
			t.Fatalf("error %v is not an *Error for %s", err, locKey)
		}

		stored, info := mustGet(t, s, locKey) // the row is kept
		if stored.RefreshToken != "r" || info.Status != StatusReconnectNeeded || !strings.Contains(info.StatusReason, "Invalid grant") {
			t.Fatalf("after invalid grant stored %v, info %+v", stored, info)
		}
		r := rotating()
		_, err = s.Token(t.Context(), locKey, r)
		wantErr(t, err, ErrReconnectNeeded)
		if r.calls.Load() != 0 {
			t.Fatal("Token called the refresher for a credential that needs re-connecting")
		}
		mustPut(t, s, locKey, expiredToken("a-new", "r-new")) // re-connected
		if _, err := s.Token(t.Context(), locKey, r); err != nil {
			t.Fatalf("after re-connect: %v", err)
		}
	})
}

func TestInactiveSuspendsAndKeepsRefreshToken(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		srv := newOAuthServer(t, 3600)
		s, _ := openTestStore(t, be)
		mustPut(t, s, locKey, srv.initial())
		r := httpRefresher(srv.URL)
		srv.setInactive(true)

		_, err := s.Token(t.Context(), locKey, r)
		wantErr(t, err, ErrSuspended, ErrInactive)
		before, info := mustGet(t, s, locKey)
		if info.Status != StatusSuspended || info.StatusReason != "account not active: Location is not active" {
			t.Fatalf("after inactive: %+v", info)
		}
		if _, _, _, live := srv.stats(); before.RefreshToken != live {
			t.Fatal("suspending changed the refresh token")
		}
		_, err = s.Token(t.Context(), locKey, r)
		wantErr(t, err, ErrSuspended)
		if refreshes, _, rejected, _ := srv.stats(); refreshes != 0 || rejected != 1 {
			t.Fatalf("Token retried a suspended credential: %d refreshes, %d rejected", refreshes, rejected)
		}

		srv.setInactive(false) // the subscription is active again
		got, err := s.Refresh(t.Context(), locKey, r, "")
		if err != nil {
			t.Fatalf("refresh after reactivation: %v", err)
		}
		if _, info := mustGet(t, s, locKey); info.Status != StatusActive || info.StatusReason != "" {
			t.Fatalf("after reactivation: %+v", info)
		}
		if _, _, _, live := srv.stats(); got.AccessToken == before.AccessToken || live == before.RefreshToken {
			t.Fatal("reactivation did not rotate the pair")
		}
	})
}

func TestTransientErrorLeavesStateUntouched(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _ := openTestStore(t, be)
		mustPut(t, s, locKey, expiredToken("a", "r"))
		for _, r := range []*scripted{
			failing(errors.New("dial tcp: connection refused")),
			{fn: func(context.Context, Token) (Token, error) { return Token{RefreshToken: "r2"}, nil }}, // no access token
		} {
			_, err := s.Token(t.Context(), locKey, r)
			if err == nil || errors.Is(err, ErrReconnectNeeded) || errors.Is(err, ErrSuspended) {
				t.Fatalf("Token = %v, want a plain error", err)
			}
			if tok, info := mustGet(t, s, locKey); tok.RefreshToken != "r" || info.Status != StatusActive || info.Version != 1 {
				t.Fatalf("after %v: stored %v, info %+v; want it untouched", err, tok, info)
			}
		}
	})
}

func TestForcedRefresh(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		for _, tc := range []struct {
			name, stale string
			wantRefresh bool
		}{
			{"401 with the stored token", "a", true},
			{"401 with a token already rotated by someone else", "a-old", false},
			{"unconditional", "", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s, _ := openTestStore(t, be)
				mustPut(t, s, locKey, Token{AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)})
				r := rotating()
				got, err := s.Refresh(t.Context(), locKey, r, tc.stale)
				if err != nil {
					t.Fatal(err)
				}
				want := "a"
				if tc.wantRefresh {
					want = "a+"
				}
				if got.AccessToken != want || r.calls.Load() == 0 == tc.wantRefresh {
					t.Fatalf("Refresh = %q after %d calls, want %q", got.AccessToken, r.calls.Load(), want)
				}
			})
		}
	})
}

func TestRefresherErrorsAreScrubbed(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		core, logs := observer.New(zap.DebugLevel)
		s, _ := openTestStore(t, be, WithLogger(zap.New(core)))
		for _, base := range []error{ErrInvalidGrant, ErrInactive, errors.New("bad gateway")} {
			mustPut(t, s, locKey, expiredToken("access-XYZ", "refresh-XYZ"))
			// A careless refresher that quotes what it sent.
			_, err := s.Token(t.Context(), locKey, failing(fmt.Errorf("%w: refresh_token=refresh-XYZ with access-XYZ", base)))
			wantErr(t, err, base)
			wantNoSecret(t, "error", err.Error(), "access-XYZ", "refresh-XYZ")
			_, info := mustGet(t, s, locKey)
			wantNoSecret(t, "status reason", info.StatusReason, "access-XYZ", "refresh-XYZ")
		}
		for _, e := range logs.All() {
			wantNoSecret(t, "log entry", fmt.Sprint(e.Message, e.ContextMap()), "access-XYZ", "refresh-XYZ")
		}
	})
}

// TestLogsCarryNoSecrets runs a rotation and checks the audit trail it leaves.
func TestLogsCarryNoSecrets(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		core, logs := observer.New(zap.DebugLevel)
		srv := newOAuthServer(t, 3600)
		s, _ := openTestStore(t, be, WithLogger(zap.New(core)))
		mustPut(t, s, locKey, srv.initial())
		got, err := s.Token(t.Context(), locKey, httpRefresher(srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := mustGet(t, s, locKey)
		secrets := []string{srv.initial().AccessToken, srv.initial().RefreshToken, got.AccessToken, stored.RefreshToken}
		var msgs []string
		for _, e := range logs.All() {
			wantNoSecret(t, "log entry", fmt.Sprint(e.Message, e.ContextMap()), secrets...)
			msgs = append(msgs, e.Message)
			if e.ContextMap()["key"] != locKey {
				t.Errorf("log entry %q does not name the credential", e.Message)
			}
		}
		if strings.Join(msgs, ",") != "credential stored,credential refreshed" {
			t.Fatalf("audit trail = %v", msgs)
		}
	})
}

// TestCallerCancelDoesNotLoseRotation cancels the caller while the refresher is in flight: the
// server has rotated the pair by then, so the store must still persist it.
func TestCallerCancelDoesNotLoseRotation(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _ := openTestStore(t, be)
		mustPut(t, s, locKey, expiredToken("a", "r"))
		ctx, cancel := context.WithCancel(t.Context())
		var refresherCtxErr error
		r := &scripted{fn: func(rctx context.Context, cur Token) (Token, error) {
			cancel()
			time.Sleep(20 * time.Millisecond) // the HTTP call completes after the caller has gone
			refresherCtxErr = rctx.Err()
			return Token{AccessToken: "a2", RefreshToken: "r2", Expiry: time.Now().Add(time.Hour)}, nil
		}}
		if _, err := s.Token(ctx, locKey, r); err != nil {
			t.Fatalf("Token: %v", err)
		}
		if refresherCtxErr != nil {
			t.Fatalf("the refresher's context was cancelled with the caller's: %v", refresherCtxErr)
		}
		if stored, _ := mustGet(t, s, locKey); stored.RefreshToken != "r2" {
			t.Fatal("the rotated pair was not stored")
		}
	})
}

func TestLockWait(t *testing.T) {
	for _, tc := range []struct {
		name        string
		sameStore   bool // waits on the in-process mutex; otherwise on the database lock
		cancelAfter time.Duration
		want        error
	}{
		{"timeout, other process", false, 0, ErrLockTimeout},
		{"timeout, same process", true, 0, ErrLockTimeout},
		{"cancelled, other process", false, 50 * time.Millisecond, context.Canceled},
		{"cancelled, same process", true, 50 * time.Millisecond, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, be backend) {
				a, dsn := openTestStore(t, be, WithLockTimeout(300*time.Millisecond))
				b := a
				if !tc.sameStore {
					b = openStoreAt(t, dsn, testKey, WithLockTimeout(300*time.Millisecond))
				}
				mustPut(t, a, locKey, expiredToken("a", "r"))
				release := holdRefresh(t, a, locKey)
				defer release()

				ctx := t.Context()
				if tc.cancelAfter > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					time.AfterFunc(tc.cancelAfter, cancel)
				}
				r := rotating()
				start := time.Now()
				_, err := b.Token(ctx, locKey, r)
				wantErr(t, err, tc.want)
				if elapsed := time.Since(start); elapsed > 5*time.Second {
					t.Fatalf("gave up after %v", elapsed)
				}
				if errors.Is(tc.want, context.Canceled) && errors.Is(err, ErrLockTimeout) {
					t.Fatalf("cancellation reported as a lock timeout: %v", err)
				}
				if r.calls.Load() != 0 {
					t.Fatal("refresher called without the lock")
				}

				// The holder is unaffected, and the waiter's give-up left nothing locked.
				release()
				if got, _ := mustGet(t, a, locKey); got.AccessToken != "a2" {
					t.Fatalf("the held refresh stored %q, want a2", got.AccessToken)
				}
				if _, err := b.Refresh(t.Context(), locKey, rotating(), ""); err != nil {
					t.Fatalf("refresh after the wait: %v", err)
				}
			})
		})
	}
}

// TestLockScope holds one credential's refresh and checks what has to wait for it. On PostgreSQL
// only the same credential's refresh and writes wait (a row lock); on SQLite every write to the
// database does. Reads never wait.
func TestLockScope(t *testing.T) {
	const other = "highlevel/location/loc2"
	eachBackend(t, func(t *testing.T, be backend) {
		// Long enough that a refresh that waited for the held lock could not pass as one that
		// did not; SQLite, which has to wait, gets a short one.
		timeout := 300 * time.Millisecond
		if be.lockPerCredential {
			timeout = 10 * time.Second
		}
		a, dsn := openTestStore(t, be, WithLockTimeout(timeout))
		b := openStoreAt(t, dsn, testKey, WithLockTimeout(timeout)) // another process
		w := openStoreAt(t, dsn, testKey, WithLockTimeout(300*time.Millisecond))
		mustPut(t, a, locKey, expiredToken("a", "r"))
		mustPut(t, a, other, expiredToken("o", "r"))
		release := holdRefresh(t, a, locKey)
		defer release()

		for _, s := range []*Store{a, b} { // the same process, then another one
			r := rotating()
			start := time.Now()
			got, err := s.Refresh(t.Context(), other, r, "") // forced: the first one stores a valid token
			elapsed := time.Since(start)
			if be.lockPerCredential {
				if err != nil || r.calls.Load() != 1 {
					t.Fatalf("refreshing another credential while one is held: %v after %d refresher calls", err, r.calls.Load())
				}
				if elapsed > timeout/4 {
					t.Fatalf("refreshing another credential took %v: it waited for the held lock", elapsed)
				}
				t.Logf("another credential refreshed in %v while the lock was held", elapsed)
				if got.AccessToken == "" {
					t.Fatal("no access token")
				}
			} else {
				wantErr(t, err, ErrLockTimeout)
			}
		}

		// Writes to the credential being refreshed wait for the refresh, bounded by the lock
		// timeout; on PostgreSQL, writes to another credential do not wait.
		wantErr(t, w.SetStatus(t.Context(), locKey, StatusSuspended, "x"), ErrLockTimeout)
		wantErr(t, w.Put(t.Context(), locKey, Token{AccessToken: "a-new"}), ErrLockTimeout)
		err := w.Put(t.Context(), other, Token{AccessToken: "o-new"})
		if be.lockPerCredential != (err == nil) {
			t.Fatalf("Put of another credential while one is held: %v", err)
		}
		// Reads do not wait.
		if _, _, err := b.Get(t.Context(), locKey); err != nil {
			t.Fatal(err)
		}
		if infos, err := b.List(t.Context()); err != nil || len(infos) != 2 {
			t.Fatalf("List = %v, %v", infos, err)
		}

		release()
		if got, info := mustGet(t, b, locKey); got.AccessToken != "a2" || info.Status != StatusActive {
			t.Fatalf("after the held refresh: %v, %+v", got, info)
		}
	})
}
