package e2e

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

// chaosScale sizes the fault scenarios: 1 (make test) installs 10 locations per
// scenario and refreshes for 10 s; make chaos sets SAASBRIDGE_CHAOS_SCALE=20 (200
// locations, a minute of refreshing).
func chaosScale() int {
	if n, err := strconv.Atoi(os.Getenv("SAASBRIDGE_CHAOS_SCALE")); err == nil && n > 0 {
		return n
	}
	return 1
}

// TestChaos: an agency bulk-installs the app on many locations while something goes
// wrong; every scenario ends with the same audit.
func TestChaos(t *testing.T) {
	s := need(t)
	n := 10 * chaosScale()
	if len(s.workers) < 2 {
		require.NoError(t, s.startWorker(context.Background()))
	}
	scenarios := []chaosScenario{
		{"kill -9 a worker mid-install", func(ctx context.Context, t *testing.T) { s.killWorker(ctx, t) }},
		{"Temporal restarts mid-install", func(ctx context.Context, t *testing.T) {
			if s.temporalDB() == "" {
				t.Skip("the dev server is in memory (bench mode)")
			}
			s.restartTemporal(ctx, t)
		}},
		{"API faults", nil}, // set before the install, cleared after
	}
	scenarios = append(scenarios, s.clusterChaos()...)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(5+n/20)*time.Minute)
			defer cancel()
			if sc.fault == nil {
				s.injectFaults(ctx, t)
				defer s.clearFaults(t)
			}
			locs := s.bulkInstall(ctx, t, n)
			if sc.fault != nil {
				s.waitSomeOnboarded(ctx, t, locs, n/4)
				sc.fault(ctx, t)
			}
			s.audit(ctx, t, locs)
		})
	}
	t.Run("four processes refresh the same credentials", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(5+n/20)*time.Minute)
		defer cancel()
		locs := s.bulkInstall(ctx, t, n)
		s.refreshStorm(ctx, t, 4, min(time.Duration(chaosScale())*10*time.Second, time.Minute), locs[:min(5, len(locs))])
		s.audit(ctx, t, locs)
	})
}

// killWorker kills the newest worker with SIGKILL and starts another in its place (as a
// supervisor would, again until it comes up: Temporal may be down at the same time).
func (s *stack) killWorker(ctx context.Context, t testing.TB, env ...string) {
	t.Helper()
	victim := s.workers[len(s.workers)-1]
	victim.kill()
	s.workers = s.workers[:len(s.workers)-1]
	for attempt := 1; ; attempt++ {
		err := s.startWorker(ctx, env...)
		if err == nil || attempt == 10 || ctx.Err() != nil {
			require.NoError(t, err)
			return
		}
		time.Sleep(2 * time.Second)
	}
}

// restartTemporal stops Temporal (the dev server, or every service of the cluster) for
// two seconds (an outage, not a blip) and starts it again on the same database.
func (s *stack) restartTemporal(ctx context.Context, t testing.TB) {
	t.Helper()
	require.NoError(t, s.stopTemporal())
	time.Sleep(2 * time.Second)
	require.NoError(t, s.startTemporal(ctx, ""))
}

// chaosScenario is something going wrong mid-install; a nil fault is set up by the test.
type chaosScenario struct {
	name  string
	fault func(ctx context.Context, t *testing.T)
}

// bulkInstall installs the app at n new locations of the agency; the sandbox sends
// one signed INSTALL webhook per location, as a HighLevel bulk install does.
func (s *stack) bulkInstall(ctx context.Context, t testing.TB, n int) []string {
	t.Helper()
	res, err := s.admin.BulkInstall(ctx, highlevelsim.BulkInstallRequest{CompanyID: s.companyID, Count: n})
	require.NoError(t, err)
	locs := make([]string, len(res.Locations))
	for i, l := range res.Locations {
		locs[i] = l.ID
	}
	return locs
}

// waitSomeOnboarded waits until at least k of the locations finished onboarding.
func (s *stack) waitSomeOnboarded(ctx context.Context, t testing.TB, locs []string, k int) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		resp, err := s.temporal.CountWorkflow(ctx, countRequest(fmt.Sprintf(
			"WorkflowType = '%s' AND %s = 'active' AND LocationId IN %s", workflows.LocationWorkflowType, workflows.LocationPhaseAttr.GetName(), idList(locs))))
		if assert.NoError(c, err) {
			assert.GreaterOrEqual(c, int(resp.GetCount()), k)
		}
	}, 5*time.Minute, 250*time.Millisecond)
}

func (s *stack) injectFaults(ctx context.Context, t *testing.T) {
	t.Helper()
	_, err := s.admin.SetFaults(ctx, highlevelsim.Faults{
		Seed: 7, ErrorRate: 0.10, ErrorStatuses: []int{500, 502, 503},
		BurstRate: 0.05, BurstLength: 3, BurstRetryAfter: highlevelsim.Duration(time.Second),
		SpikeRate: 0.02, Spike: highlevelsim.Duration(2 * time.Second),
		DropAfterCommitRate: 0.05,
	})
	require.NoError(t, err)
	_, err = s.asAdmin.SetFaults(ctx, actionstepsim.Faults{
		Seed: 7, ErrorRate: 0.10, ErrorStatuses: []int{500, 503},
		BurstRate: 0.05, BurstLength: 2, BurstRetryAfter: actionstepsim.Duration(time.Second),
		SpikeRate: 0.02, Spike: actionstepsim.Duration(2 * time.Second),
		DropAfterCommitRate: 0.05,
	})
	require.NoError(t, err)
	// Access tokens expire mid-run, on both APIs.
	go func() {
		time.Sleep(3 * time.Second)
		_, _ = s.admin.ExpireTokens(ctx, highlevelsim.TokenFilter{})
		_, _ = s.asAdmin.ExpireTokens(ctx, actionstepsim.TokenFilter{OrgKey: s.orgKey})
	}()
}

func (s *stack) clearFaults(t *testing.T) {
	require.NoError(t, s.admin.ClearFaults(context.Background()))
	require.NoError(t, s.asAdmin.ClearFaults(context.Background()))
}

// audit is the end of every fault scenario: every location onboarded exactly once,
// nothing failed that should not have, no credential lost, no token in histories
// (the logs are checked once, after all tests).
func (s *stack) audit(ctx context.Context, t *testing.T, locs []string) {
	t.Helper()
	// Every location is onboarded by its one owner, nothing parked.
	for _, loc := range locs {
		var st workflows.LocationState
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			v, err := s.temporal.QueryWorkflow(ctx, workflows.LocationWorkflowID(loc), "", workflows.StatusQuery)
			st = workflows.LocationState{}
			if assert.NoError(c, err) && assert.NoError(c, v.Get(&st)) {
				assert.Equal(c, "active", st.Phase)
			}
		}, 5*time.Minute, 250*time.Millisecond, "onboarding of %s", loc)
		assert.Empty(t, st.Parked, "nothing parked at %s", loc)
	}
	runs, err := s.temporal.CountWorkflow(ctx, countRequest(fmt.Sprintf("WorkflowType = '%s' AND LocationId IN %s", workflows.LocationWorkflowType, idList(locs))))
	require.NoError(t, err)
	assert.Equal(t, len(locs), int(runs.GetCount()), "one owner run per location")

	// HighLevel: SaaS enabled exactly once per location.
	calls, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	state, err := s.admin.State(ctx)
	require.NoError(t, err)
	enabled := map[string]int{}
	for _, l := range state.Locations {
		enabled[l.ID] = l.SaaS.EnableCount
	}
	for _, loc := range locs {
		assert.Equal(t, 1, calls.CountFor(highlevel.EndpointEnableSaaS, loc, http.StatusCreated), "successful enable-saas of %s", loc)
		assert.Equal(t, 1, enabled[loc], "SaaS enabled once at %s", loc)
	}
	// Actionstep: one client and one matter per location.
	v := s.actionstep(ctx, t)
	for _, loc := range locs {
		v.oneEach(t, loc)
	}
	assert.Empty(t, v.st.DuplicateExternalReferences)

	// No credential lost: each one of these locations, the agency's and Actionstep's
	// still refreshes.
	store := s.openStore(t)
	hc, ac := s.apiClients(t)
	keys := []string{tokens.KeyHighLevelAgency(s.companyID), tokens.KeyActionstep(s.orgKey)}
	for _, loc := range locs {
		keys = append(keys, tokens.KeyHighLevelLocation(loc))
	}
	for _, key := range keys {
		r := credentials.HighLevelRefresher(hc)
		if strings.HasPrefix(key, string(tokens.KindActionstep)) {
			r = credentials.ActionstepRefresher(ac)
		}
		_, err := store.Refresh(ctx, key, r, "")
		assert.NoError(t, err, "credential %s still refreshes", key)
	}
	s.assertNoTokensInHistories(ctx, t, locs)
}

func (s *stack) apiClients(t testing.TB) (*highlevel.Client, *actionstep.Client) {
	t.Helper()
	hc, err := highlevel.New(s.sandboxURL, s.clientID, s.clientSecret)
	require.NoError(t, err)
	ac, err := actionstep.New(s.asURL+"/api/oauth/token", s.asClientID, s.asSecret)
	require.NoError(t, err)
	return hc, ac
}

// Environment of the refresh-storm child processes.
const (
	envStormChild = "SAASBRIDGE_E2E_STORM_CHILD"
	envStormKeys  = "SAASBRIDGE_E2E_STORM_KEYS"
	envStormFor   = "SAASBRIDGE_E2E_STORM_FOR"
	envStormDSN   = "SAASBRIDGE_E2E_STORM_DSN"
	envStormKey   = "SAASBRIDGE_E2E_STORM_STORE_KEY"
	envStormHL    = "SAASBRIDGE_E2E_STORM_HL" // url|client id|secret
	envStormAS    = "SAASBRIDGE_E2E_STORM_AS" // token url|client id|secret
)

// refreshStorm runs procs processes that force refreshes of the agency's, Actionstep's
// and a few locations' credentials for d, while the bulk install uses them.
func (s *stack) refreshStorm(ctx context.Context, t *testing.T, procs int, d time.Duration, locs []string) {
	t.Helper()
	keys := []string{tokens.KeyHighLevelAgency(s.companyID), tokens.KeyActionstep(s.orgKey)}
	for _, loc := range locs {
		// A location's token exists once its onboarding minted it.
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			_, _, err := s.openStore(t).Get(ctx, tokens.KeyHighLevelLocation(loc))
			assert.NoError(c, err)
		}, 3*time.Minute, 200*time.Millisecond)
		keys = append(keys, tokens.KeyHighLevelLocation(loc))
	}
	var wg sync.WaitGroup
	errs := make([]error, procs)
	outs := make([][]byte, procs)
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestStormChild$", "-test.count=1")
			cmd.Env = append(os.Environ(),
				envStormChild+"=1", envStormKeys+"="+strings.Join(keys, ","), envStormFor+"="+d.String(),
				envStormDSN+"="+s.storePath, envStormKey+"="+s.storeKey,
				envStormHL+"="+s.sandboxURL+"|"+s.clientID+"|"+s.clientSecret,
				envStormAS+"="+s.asURL+"/api/oauth/token|"+s.asClientID+"|"+s.asSecret)
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "refresher %d:\n%s", i, outs[i])
		require.Contains(t, string(outs[i]), "refreshes:")
		t.Logf("refresher %d: %s", i, lastLine(outs[i]))
	}
}

func lastLine(b []byte) string {
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.Contains(l, "refreshes:") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// TestStormChild is a refresh-storm process (see refreshStorm); it does nothing
// unless started by one.
func TestStormChild(t *testing.T) {
	if os.Getenv(envStormChild) == "" {
		t.Skip("run by TestChaos as a separate process")
	}
	d, err := time.ParseDuration(os.Getenv(envStormFor))
	require.NoError(t, err)
	key, err := base64.StdEncoding.DecodeString(os.Getenv(envStormKey))
	require.NoError(t, err)
	store, err := tokens.Open(context.Background(), os.Getenv(envStormDSN), key)
	require.NoError(t, err)
	defer store.Close()
	hlParts := strings.Split(os.Getenv(envStormHL), "|")
	asParts := strings.Split(os.Getenv(envStormAS), "|")
	hc, err := highlevel.New(hlParts[0], hlParts[1], hlParts[2])
	require.NoError(t, err)
	ac, err := actionstep.New(asParts[0], asParts[1], asParts[2])
	require.NoError(t, err)

	deadline := time.Now().Add(d)
	done := 0
	for time.Now().Before(deadline) {
		for _, k := range strings.Split(os.Getenv(envStormKeys), ",") {
			r := credentials.HighLevelRefresher(hc)
			if strings.HasPrefix(k, string(tokens.KindActionstep)) {
				r = credentials.ActionstepRefresher(ac)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err := store.Refresh(ctx, k, r, "")
			cancel()
			if errors.Is(err, tokens.ErrReconnectNeeded) {
				t.Fatalf("credential %s lost: %v", k, err)
			}
			require.NoError(t, err, "refresh %s", k)
			done++
		}
	}
	fmt.Printf("refreshes: %d\n", done)
}
