package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// repoRoot is the module root, found from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// benchMode (SAASBRIDGE_E2E_BENCH=1, set by make bench) runs the stack as it would run
// in production: programs built without the race detector, an in-memory dev server and
// info-level logs.
var benchMode = os.Getenv("SAASBRIDGE_E2E_BENCH") == "1"

// buildPrograms compiles the three programs into dir, with the race detector unless
// benchmarking.
func buildPrograms(dir string) (map[string]string, error) {
	flags := []string{"build", "-race"}
	if benchMode {
		flags = []string{"build"}
	}
	progs := map[string]string{
		"worker":  "./worker",
		"starter": "./starter",
		"sandbox": "./internal/sandbox/cmd/sandbox",
	}
	out := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(progs))
	for name, pkg := range progs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bin := filepath.Join(dir, name)
			cmd := exec.Command("go", append(flags, "-o", bin, pkg)...)
			cmd.Dir = repoRoot()
			if b, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("build %s: %w\n%s", name, err, b)
				return
			}
			mu.Lock()
			out[name] = bin
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	return out, nil
}

// proc is a program started by the harness. Its output goes to a log file that the
// leak checks read and that survives a failed run for inspection.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
}

func startProc(logDir, name, bin string, env []string, args ...string) (*proc, error) {
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	// Own process group, so a kill reaches nothing else and nothing leaks past a test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM and waits (then SIGKILL after the grace period).
func (p *proc) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// kill is kill -9: no chance to finish anything or clean up.
func (p *proc) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// waitLog waits until the process's log matches re, returning the first submatch.
func (p *proc) waitLog(ctx context.Context, re *regexp.Regexp) (string, error) {
	for {
		if m := re.FindStringSubmatch(p.log()); m != nil {
			if len(m) > 1 {
				return m[1], nil
			}
			return m[0], nil
		}
		select {
		case <-p.done:
			return "", fmt.Errorf("%s exited (%w) before logging %s:\n%s", p.name, p.err, re, tail(p.log(), 2000))
		case <-ctx.Done():
			return "", fmt.Errorf("%s did not log %s: %w\n%s", p.name, re, ctx.Err(), tail(p.log(), 2000))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (p *proc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
