package credentials_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// Environment of the child processes of TestRefreshRace.
const (
	envChild    = "CREDENTIALS_RACE_CHILD"
	envURL      = "CREDENTIALS_RACE_URL"
	envClientID = "CREDENTIALS_RACE_CLIENT_ID"
	envSecret   = "CREDENTIALS_RACE_CLIENT_SECRET"
	envDB       = "CREDENTIALS_RACE_DB"
	envKey      = "CREDENTIALS_RACE_KEY" // base64 store encryption key
	envCred     = "CREDENTIALS_RACE_CRED"
	envKind     = "CREDENTIALS_RACE_KIND"
	envCompany  = "CREDENTIALS_RACE_COMPANY"
	envStart    = "CREDENTIALS_RACE_START"
	envRun      = "CREDENTIALS_RACE_RUN"
)

const (
	raceProcs        = 4                       // child processes
	raceWorkers      = 2                       // goroutines per child, each with its own view
	raceRun          = 1500 * time.Millisecond // how long each child hammers the credential
	raceMaxIters     = 1000                    // per worker, whichever comes first
	raceExpiryPeriod = 100 * time.Millisecond  // at most one expiry round per period
	raceMaxAttempts  = 10                      // API attempts per iteration (see worker)
)

// TestRefreshRace races worker processes over one stored HighLevel credential against the
// simulator's single-use refresh tokens. Every child worker alternates between
//
//   - forcing a refresh with store.Refresh(…, stale) where stale is the access token that worker
//     last used: the workers of all processes keep presenting the same stale token at once, so
//     exactly one of them may rotate the pair and the others must get the winner's token; and
//   - the production path, a client bound to credentials.HighLevelSource: TokenContext reads the
//     store, and when the parent has made the sandbox expire the access tokens the API answers 401
//     and Reauthorize refreshes, again with every process presenting the same rejected token.
//
// Each token obtained is used for a real API call. Afterwards the sandbox must have seen no
// refused refresh (a reused refresh token is a 400 "Invalid grant"), the count of successful
// refreshes must agree between the sandbox, the children and the store's version, and the stored
// credential must still refresh.
func TestRefreshRace(t *testing.T) {
	for _, kind := range []string{kindAgency, kindLocation} {
		t.Run(kind, func(t *testing.T) { runRefreshRace(t, kind) })
	}
}

func runRefreshRace(t *testing.T, kind string) {
	sb := newSandbox(t)
	dir := t.TempDir()
	dbPath, start := filepath.Join(dir, "tokens.db"), filepath.Join(dir, "start")
	store := openStore(t, dbPath)
	c := sb.setup(t, store, kind)
	_, before := mustGet(t, store, c.key)

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	type child struct {
		cmd *exec.Cmd
		mu  sync.Mutex // out is written by the stdout copier and by exec (stderr)
		out bytes.Buffer
	}
	children := make([]*child, raceProcs)
	var ready sync.WaitGroup
	for i := range children {
		ch := &child{cmd: exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRefreshRaceChild$", "-test.count=1")}
		ch.cmd.Env = append(os.Environ(),
			envChild+"=1", envURL+"="+sb.url, envClientID+"="+testClientID, envSecret+"="+testClientSecret,
			envDB+"="+dbPath, envKey+"="+base64.StdEncoding.EncodeToString(testStoreKey),
			envCred+"="+c.key, envKind+"="+kind, envCompany+"="+sb.agency.ID,
			envStart+"="+start, envRun+"="+raceRun.String())
		ch.cmd.Stderr = writerFunc(func(p []byte) (int, error) {
			ch.mu.Lock()
			defer ch.mu.Unlock()
			return ch.out.Write(p)
		})
		stdout, err := ch.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children[i] = ch
		ready.Add(1)
		go func() {
			sc := bufio.NewScanner(stdout)
			signalled := false
			for sc.Scan() {
				ch.mu.Lock()
				ch.out.WriteString(sc.Text() + "\n")
				ch.mu.Unlock()
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

	// Expire the credential's access tokens on the sandbox over and over while the children run,
	// so that tokens the store still considers valid get 401s and the Reauthorize path races too.
	// A round waits until the sandbox has accepted a call per worker since the previous one, so a
	// slow (loaded) machine still makes progress between rounds.
	stopExpiring := make(chan struct{})
	var expiring sync.WaitGroup
	var expireRounds int
	expiring.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		end := time.Now().Add(raceRun)
		var accepted int
		var last time.Time
		for {
			select {
			case <-stopExpiring:
				return
			case now := <-tick.C:
				n := sb.sim.Calls().Count(apiEndpoint(kind), okStatus(kind))
				if now.Before(end) && now.Sub(last) >= raceExpiryPeriod && n-accepted >= raceProcs*raceWorkers {
					sb.sim.ExpireAccessTokens(c.filter)
					expireRounds++
					accepted, last = n, now
				}
			}
		}
	})
	if err := os.WriteFile(start, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	var childRefreshes, childRejected, childIters, childRetries int
	for i, ch := range children {
		err := ch.cmd.Wait()
		ch.mu.Lock()
		out := ch.out.String()
		ch.mu.Unlock()
		if err != nil {
			t.Errorf("child %d failed: %v\n%s", i, err, out)
			continue
		}
		var refreshes, rejected, iters, retries int
		line := resultLine(out)
		if _, err := fmt.Sscanf(line, "result refreshes=%d rejected=%d iterations=%d retries=%d",
			&refreshes, &rejected, &iters, &retries); err != nil {
			t.Errorf("child %d: no result line (%v):\n%s", i, err, out)
			continue
		}
		childRefreshes += refreshes
		childRejected += rejected
		childIters += iters
		childRetries += retries
	}
	close(stopExpiring)
	expiring.Wait()

	calls := sb.sim.Calls()
	refreshed := calls.Count(highlevel.EndpointToken, http.StatusOK)
	t.Logf("%s: %d iterations, %d refreshes, %d expiry rounds, %d API 401s, %d re-tried iterations",
		kind, childIters, refreshed, expireRounds, calls.Count(apiEndpoint(kind), http.StatusUnauthorized), childRetries)
	if n := calls.Count(highlevel.EndpointToken, http.StatusBadRequest); n != 0 || childRejected != 0 {
		t.Errorf("sandbox answered %d refreshes with 400 (children saw %d): a refresh token was reused", n, childRejected)
	}
	if t.Failed() {
		t.FailNow()
	}
	if all := calls.Count(highlevel.EndpointToken, 0); all != refreshed {
		t.Errorf("sandbox answered %d of %d refreshes with an error", all-refreshed, all)
	}
	if refreshed < 1 {
		t.Errorf("no refresh happened; the race exercised nothing")
	}
	if refreshed != childRefreshes {
		t.Errorf("sandbox counted %d successful refreshes, the children %d", refreshed, childRefreshes)
	}
	if n := calls.CountFor(highlevel.EndpointToken, c.resource, http.StatusOK); n != refreshed {
		t.Errorf("sandbox counted %d refreshes for %s, want all %d", n, c.resource, refreshed)
	}
	_, after := mustGet(t, store, c.key)
	if after.Status != tokens.StatusActive {
		t.Errorf("status after the race = %s (%s), want active", after.Status, after.StatusReason)
	}
	if rotations := after.Version - before.Version; rotations != int64(refreshed) {
		t.Errorf("store version went from %d to %d (%d writes), sandbox counted %d refreshes",
			before.Version, after.Version, rotations, refreshed)
	}
	if n := calls.Count(apiEndpoint(kind), http.StatusUnauthorized); n == 0 {
		t.Errorf("no API call got a 401: the Reauthorize path was not raced (%d expiry rounds)", expireRounds)
	}
	if n := calls.Count(apiEndpoint(kind), okStatus(kind)); n < childIters {
		t.Errorf("sandbox accepted %d API calls, want at least one per iteration (%d)", n, childIters)
	}

	// The stored credential survived: a forced refresh spends the stored refresh token, and the
	// new access token works.
	old, _ := mustGet(t, store, c.key)
	tok, err := store.Refresh(t.Context(), c.key, credentials.HighLevelRefresher(sb.client), "")
	if err != nil {
		t.Fatalf("forced refresh after the race: %v", err)
	}
	if tok.AccessToken == old.AccessToken {
		t.Fatalf("forced refresh returned the old access token")
	}
	sb.wantAccepted(t, kind, tok.AccessToken)
	if n := sb.refreshes(http.StatusOK); n != refreshed+1 {
		t.Errorf("sandbox counted %d refreshes after the final one, want %d", n, refreshed+1)
	}
	if n := sb.refreshes(http.StatusBadRequest); n != 0 {
		t.Errorf("the final refresh was refused (%d × 400)", n)
	}
}

// okStatus is what the sandbox answers to use's call when it accepts the token.
func okStatus(kind string) int {
	if kind == kindAgency {
		return http.StatusOK
	}
	return http.StatusForbidden
}

func resultLine(out string) string {
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "result ") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestRefreshRaceChild is a worker process of TestRefreshRace, not a test of its own.
func TestRefreshRaceChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("child process of TestRefreshRace")
	}
	key, err := base64.StdEncoding.DecodeString(os.Getenv(envKey))
	if err != nil {
		t.Fatal(err)
	}
	run, err := time.ParseDuration(os.Getenv(envRun))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	store, err := tokens.Open(ctx, os.Getenv(envDB), key, tokens.WithLockTimeout(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = store.Close() }()

	var refreshes, rejected atomic.Int64
	client, err := highlevel.New(os.Getenv(envURL), os.Getenv(envClientID), os.Getenv(envSecret),
		highlevel.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}),
		highlevel.WithObserver(func(c highlevel.Call) {
			if c.Endpoint != highlevel.EndpointToken {
				return
			}
			if c.StatusCode == http.StatusOK {
				refreshes.Add(1)
			} else {
				rejected.Add(1)
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	credKey, kind := os.Getenv(envCred), os.Getenv(envKind)
	sb := &sandbox{client: client, agency: highlevelsim.Agency{ID: os.Getenv(envCompany)}}
	r := credentials.HighLevelRefresher(client)
	src := credentials.HighLevelSource(store, client, credKey)

	// Every worker starts from the token all processes see.
	first, err := store.Token(ctx, credKey, r)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	for {
		if _, err := os.Stat(os.Getenv(envStart)); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}

	deadline := time.Now().Add(run)
	var iters, retries atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, raceWorkers)
	for range raceWorkers {
		wg.Go(func() {
			last := first.AccessToken
			for i := 0; i < raceMaxIters && time.Now().Before(deadline); i++ {
				var pinned *oauth2.Token
				if i%2 == 0 {
					// Force a refresh unless another worker already replaced the token this one
					// last used.
					tok, err := store.Refresh(ctx, credKey, r, last)
					if err != nil {
						errs <- fmt.Errorf("iteration %d: Refresh: %w", i, err)
						return
					}
					pinned = &oauth2.Token{AccessToken: tok.AccessToken, TokenType: "Bearer", Expiry: tok.Expiry}
				}
				// Use the token. The parent may expire the access tokens at any moment, so even a
				// token Reauthorize has just handed out can be rejected once more before it is
				// sent; another attempt then starts over from the store.
				var err error
				for attempt := range raceMaxAttempts {
					rec := &recorder{src: src, pinned: pinned}
					pinned = nil
					if err = sb.use(ctx, kind, client.As(rec)); err == nil || !isStatus(err, http.StatusUnauthorized) {
						last = rec.last
						break
					}
					if attempt == 0 {
						retries.Add(1)
					}
				}
				if err != nil {
					errs <- fmt.Errorf("iteration %d: API call: %w", i, err)
					return
				}
				iters.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	fmt.Printf("result refreshes=%d rejected=%d iterations=%d retries=%d\n",
		refreshes.Load(), rejected.Load(), iters.Load(), retries.Load())
}

// recorder serves a client the pinned token first (when set), otherwise the credential's source,
// and remembers the access token it handed out last. Reauthorize goes to the source, as in
// production.
type recorder struct {
	src    oauth2.TokenSource // from credentials.HighLevelSource
	pinned *oauth2.Token
	last   string
}

func (r *recorder) Token() (*oauth2.Token, error) { return r.TokenContext(context.Background()) }

func (r *recorder) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if t := r.pinned; t != nil {
		r.pinned, r.last = nil, t.AccessToken
		return t, nil
	}
	t, err := r.src.(httpapi.ContextTokenSource).TokenContext(ctx)
	if err == nil {
		r.last = t.AccessToken
	}
	return t, err
}

func (r *recorder) Reauthorize(ctx context.Context, rejected *oauth2.Token) (*oauth2.Token, error) {
	t, err := r.src.(httpapi.Reauthorizer).Reauthorize(ctx, rejected)
	if err == nil {
		r.last = t.AccessToken
	}
	return t, err
}
