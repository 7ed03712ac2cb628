package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMakeDevTwice runs scripts/dev.sh (what `make dev` runs) twice over one .dev
// directory whose Temporal database was created without the custom search attributes,
// as a database from an older release is, and onboards a location after each start.
// A dev server registers --search-attribute flags only when it creates its database, so
// this proves the script registers them on every start. It runs on ports of its own,
// with the binaries the stack built.
func TestMakeDevTwice(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	d := newDevRun(t, s)

	// A database made by a server that was never told about the attributes.
	old, err := startProc(d.dir, "old-temporal", s.cli, nil, "server", "start-dev", "--headless", "--ip", "127.0.0.1",
		"--port", d.ports["TEMPORAL_PORT"], "--db-filename", filepath.Join(d.dir, "temporal.db"), "--log-level", "error")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return exec.CommandContext(ctx, s.cli, "operator", "namespace", "describe", "--address", d.temporal(), "--namespace", "default").Run() == nil
	}, time.Minute, 200*time.Millisecond)
	b, err := exec.CommandContext(ctx, s.cli, "operator", "search-attribute", "list", "--address", d.temporal()).CombinedOutput()
	require.NoError(t, err, "%s", b)
	require.NotContains(t, string(b), "OnboardingStep", "the old database has no custom attributes")
	old.stop(20 * time.Second)

	for start := 1; start <= 2; start++ {
		d.start(ctx, t)
		require.Contains(t, d.output(), ">> search attributes registered on "+d.temporal())
		out, err := d.onboard(ctx)
		require.NoError(t, err, "onboarding after start %d: %s", start, out)
		require.Regexp(t, `location [A-Za-z0-9]{20}: phase=active saasMode=\S+`, out)
		d.stop(t)
	}
}

// devRun is one scripts/dev.sh on free ports, a .dev directory and a bin directory of
// its own.
type devRun struct {
	repo, dir, bin string
	ports          map[string]string
	cmd            *exec.Cmd
	mu             sync.Mutex
	out            bytes.Buffer
	done           chan struct{}
}

func newDevRun(t *testing.T, s *stack) *devRun {
	t.Helper()
	d := &devRun{repo: repoRoot(), dir: t.TempDir(), bin: t.TempDir(), ports: map[string]string{}}
	for _, name := range []string{"TEMPORAL_PORT", "TEMPORAL_UI_PORT", "SANDBOX_PORT", "ACTIONSTEP_PORT", "STARTER_PORT", "WORKER_HTTP_PORT"} {
		p, err := freePort()
		require.NoError(t, err)
		d.ports[name] = p
	}
	links := map[string]string{"temporal": s.cli}
	for name, path := range s.bins {
		links[name] = path
	}
	for name, target := range links {
		require.NoError(t, os.Symlink(target, filepath.Join(d.bin, name)))
	}
	return d
}

func (d *devRun) temporal() string { return "127.0.0.1:" + d.ports["TEMPORAL_PORT"] }

func (d *devRun) env() []string {
	env := append(os.Environ(), "SAASBRIDGE_DEV_DIR="+d.dir, "SAASBRIDGE_BIN_DIR="+d.bin, "DEMO_LOCATIONS=2", "LOG_LEVEL=warn")
	for k, v := range d.ports {
		env = append(env, k+"="+v)
	}
	return env
}

// start runs the script and waits until it says everything is up.
func (d *devRun) start(ctx context.Context, t *testing.T) {
	t.Helper()
	d.mu.Lock()
	d.out.Reset()
	d.mu.Unlock()
	d.cmd = exec.Command(filepath.Join(d.repo, "scripts", "dev.sh"))
	d.cmd.Env = d.env()
	d.cmd.Stdout, d.cmd.Stderr = d, d
	// Its own process group: the test can end everything the script started.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, d.cmd.Start())
	d.done = make(chan struct{})
	go func() {
		_ = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() { d.stop(t) })
	running := regexp.MustCompile(`saasbridge is running\.`)
	for !running.MatchString(d.output()) {
		select {
		case <-d.done:
			t.Fatalf("dev.sh exited before it was up:\n%s\n%s", d.output(), d.logs())
		case <-ctx.Done():
			t.Fatalf("dev.sh did not come up: %v\n%s\n%s", ctx.Err(), d.output(), d.logs())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// onboard runs `scripts/dev.sh onboard` (what `make onboard` runs) against the stack.
func (d *devRun) onboard(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(d.repo, "scripts", "dev.sh"), "onboard")
	cmd.Env = d.env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// stop is Ctrl-C: the script stops what it started; anything left is killed.
func (d *devRun) stop(t *testing.T) {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	select {
	case <-d.done:
	default:
		_ = d.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-d.done:
		case <-time.After(30 * time.Second):
			t.Errorf("dev.sh did not stop in 30 s:\n%s", d.output())
		}
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
}

func (d *devRun) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.Write(p)
}

func (d *devRun) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.String()
}

// logs are the tails of the programs' logs, for a failure message.
func (d *devRun) logs() string {
	var b strings.Builder
	for _, name := range []string{"temporal", "sandbox", "worker", "starter"} {
		raw, _ := os.ReadFile(filepath.Join(d.dir, name+".log"))
		fmt.Fprintf(&b, "--- %s.log\n%s\n", name, tail(string(raw), 1500))
	}
	return b.String()
}

// TestDevServersShareTheMatchingSettings: make dev (scripts/dev.sh) and the loopback
// cluster (deploy/cluster/dynamicconfig.yaml) set the dynamic config the e2e dev server
// is measured with, so that what the benchmarks say holds for both.
func TestDevServersShareTheMatchingSettings(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(repoRoot(), "scripts", "dev.sh"))
	require.NoError(t, err)
	cluster, err := os.ReadFile(filepath.Join(repoRoot(), "deploy", "cluster", "dynamicconfig.yaml"))
	require.NoError(t, err)
	for _, setting := range []string{transferPollRPS, fairness} {
		require.Contains(t, string(script), "--dynamic-config-value "+setting, "scripts/dev.sh")
		key, value, _ := strings.Cut(setting, "=")
		require.Regexp(t, regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(key)+`:\n  - value: `+regexp.QuoteMeta(value)+`$`), string(cluster), "deploy/cluster/dynamicconfig.yaml")
	}
}
