package tokens

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Environment of the helper processes started by TestCrossProcessRefresh.
const (
	envHelper = "TOKENS_TEST_HELPER"
	envDB     = "TOKENS_TEST_DB" // the store's DSN
	envURL    = "TOKENS_TEST_URL"
	envStart  = "TOKENS_TEST_START"
	envIters  = "TOKENS_TEST_ITERS"
	envSkew   = "TOKENS_TEST_SKEW"
)

const raceKey = "highlevel/location/loc1"

// raceModes are the two races that matter: many callers finding the same expired token (exactly
// one may refresh, the rest must use its result), and callers that each need a refresh (every
// refresh must use the refresh token the previous one stored). A skew longer than the server's
// token lifetime makes every Token call need a refresh.
var raceModes = []struct {
	name      string
	expiresIn int
	skew      time.Duration
	iters     int
	perCaller bool // every call refreshes, so the server sees callers*iters refreshes
}{
	{name: "expired once", expiresIn: 3600, skew: 2 * time.Minute, iters: 5},
	{name: "always expiring", expiresIn: 1, skew: time.Hour, iters: 6, perCaller: true},
}

// TestHelperProcess is a worker process for TestCrossProcessRefresh, not a test of its own.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("helper process for TestCrossProcessRefresh")
	}
	skew, err := time.ParseDuration(os.Getenv(envSkew))
	if err != nil {
		t.Fatal(err)
	}
	iters, err := strconv.Atoi(os.Getenv(envIters))
	if err != nil {
		t.Fatal(err)
	}
	s := openStoreAt(t, os.Getenv(envDB), testKey, WithRefreshSkew(skew), WithLockTimeout(20*time.Second))
	r := httpRefresher(os.Getenv(envURL))
	fmt.Println("ready")
	// Start together: the parent creates the start file once every process is ready.
	for _, err := os.Stat(os.Getenv(envStart)); err != nil; _, err = os.Stat(os.Getenv(envStart)) {
		time.Sleep(time.Millisecond)
	}
	for i := range iters {
		if _, err := s.Token(t.Context(), raceKey, r); err != nil {
			t.Fatalf("Token #%d: %v", i, err)
		}
	}
}

// TestCrossProcessRefresh races child processes (this test binary re-executed) refreshing one
// credential against the single-use refresh token server, on each backend.
func TestCrossProcessRefresh(t *testing.T) { eachBackend(t, testCrossProcessRefresh) }

func testCrossProcessRefresh(t *testing.T, be backend) {
	const procs = 4
	for _, mode := range raceModes {
		t.Run(mode.name, func(t *testing.T) {
			srv := newOAuthServer(t, mode.expiresIn)
			dsn, start := be.fresh(t), filepath.Join(t.TempDir(), "start")
			parent := openStoreAt(t, dsn, testKey)
			mustPut(t, parent, raceKey, srv.initial())

			type child struct {
				cmd *exec.Cmd
				out bytes.Buffer
				mu  sync.Mutex // out is written by the stdout copier and by exec
			}
			children := make([]*child, procs)
			var ready sync.WaitGroup
			for i := range children {
				c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")}
				c.cmd.Env = append(os.Environ(), envHelper+"=1", envDB+"="+dsn, envURL+"="+srv.URL,
					envStart+"="+start, envIters+"="+strconv.Itoa(mode.iters), envSkew+"="+mode.skew.String())
				c.cmd.Stderr = &lockedWriter{w: &c.out, mu: &c.mu}
				stdout, err := c.cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := c.cmd.Start(); err != nil {
					t.Fatal(err)
				}
				children[i] = c
				ready.Add(1)
				go func() {
					sc := bufio.NewScanner(stdout)
					signalled := false
					for sc.Scan() {
						c.mu.Lock()
						c.out.WriteString(sc.Text() + "\n")
						c.mu.Unlock()
						if !signalled && sc.Text() == "ready" {
							signalled = true
							ready.Done()
						}
					}
					if !signalled {
						ready.Done()
					}
					_, _ = io.Copy(io.Discard, stdout)
				}()
			}
			ready.Wait()
			if err := os.WriteFile(start, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			for i, c := range children {
				err := c.cmd.Wait()
				c.mu.Lock()
				out := c.out.String()
				c.mu.Unlock()
				if err != nil {
					t.Errorf("child %d failed: %v\n%s", i, err, out)
				}
			}

			refreshes, reuses, rejected, _ := srv.stats()
			if reuses != 0 || rejected != 0 {
				t.Errorf("server saw %d reused refresh tokens and %d rejected refreshes, want none", reuses, rejected)
			}
			want := 1
			if mode.perCaller {
				want = procs * mode.iters
			}
			if refreshes != want {
				t.Errorf("server saw %d refreshes, want %d", refreshes, want)
			}
			wantStillRefreshes(t, parent, srv)
		})
	}
}

// TestConcurrentRefreshGoroutines races goroutines of one process, spread over two Stores on the
// same database so that both the per-key mutex and the database lock are exercised.
func TestConcurrentRefreshGoroutines(t *testing.T) { eachBackend(t, testConcurrentRefreshGoroutines) }

func testConcurrentRefreshGoroutines(t *testing.T, be backend) {
	const perStore = 8
	for _, mode := range raceModes {
		t.Run(mode.name, func(t *testing.T) {
			srv := newOAuthServer(t, mode.expiresIn)
			a, dsn := openTestStore(t, be, WithRefreshSkew(mode.skew))
			b := openStoreAt(t, dsn, testKey, WithRefreshSkew(mode.skew))
			mustPut(t, a, raceKey, srv.initial())
			r := httpRefresher(srv.URL)

			var wg sync.WaitGroup
			errs := make(chan error, 2*perStore*mode.iters)
			for i := range 2 * perStore {
				s := []*Store{a, b}[i%2]
				wg.Go(func() {
					for range mode.iters {
						if _, err := s.Token(t.Context(), raceKey, r); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("Token: %v", err)
			}
			refreshes, reuses, rejected, _ := srv.stats()
			if reuses != 0 || rejected != 0 {
				t.Errorf("server saw %d reused refresh tokens and %d rejected refreshes, want none", reuses, rejected)
			}
			want := 1
			if mode.perCaller {
				want = 2 * perStore * mode.iters
			}
			if refreshes != want {
				t.Errorf("server saw %d refreshes, want %d", refreshes, want)
			}
			wantStillRefreshes(t, a, srv)
		})
	}
}

// wantStillRefreshes checks that the stored credential is the server's newest and still works.
func wantStillRefreshes(t *testing.T, s *Store, srv *oauthServer) {
	t.Helper()
	_, _, _, live := srv.stats()
	if stored, _ := mustGet(t, s, raceKey); stored.RefreshToken != live {
		t.Fatalf("stored refresh token is not the server's newest (live one)")
	}
	if _, err := s.Refresh(t.Context(), raceKey, httpRefresher(srv.URL), ""); err != nil {
		t.Fatalf("refreshing after the race: %v", err)
	}
	if _, info := mustGet(t, s, raceKey); info.Status != StatusActive {
		t.Fatalf("status after the race = %s, want active", info.Status)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
