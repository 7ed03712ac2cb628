package e2e

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMakeDevLocksTheDoors runs scripts/dev.sh, what `make dev` runs, twice over the same .dev
// directory (a newcomer's second start), on free ports and with the programs this test
// run built. Each time: every file it and the programs create is readable by the owner
// only; the demo agency and organisation connect through the operator listener; the
// Web UI's codec endpoint is the operator listener's, with the token, and works; the
// public listener has no codec.
func TestMakeDevLocksTheDoors(t *testing.T) {
	s := need(t)
	if benchMode {
		t.Skip("not a benchmark")
	}
	root := t.TempDir()
	devDir, binDir := filepath.Join(root, "dev"), filepath.Join(root, "bin")
	require.NoError(t, os.Mkdir(binDir, 0o700))
	for name, path := range map[string]string{"temporal": s.cli, "worker": s.bins["worker"], "starter": s.bins["starter"], "sandbox": s.bins["sandbox"]} {
		require.NoError(t, os.Symlink(path, filepath.Join(binDir, name)))
	}
	for round := 1; round <= 2; round++ {
		ports := map[string]string{}
		for _, name := range []string{"TEMPORAL_PORT", "TEMPORAL_UI_PORT", "SANDBOX_PORT", "ACTIONSTEP_PORT", "STARTER_PORT", "OPERATOR_PORT", "WORKER_HTTP_PORT"} {
			p, err := freePort()
			require.NoError(t, err)
			ports[name] = p
		}
		env := []string{"SAASBRIDGE_DEV_DIR=" + devDir, "SAASBRIDGE_BIN_DIR=" + binDir, "DEMO_LOCATIONS=2"}
		for k, v := range ports {
			env = append(env, k+"="+v)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		p, err := startProc(root, "dev-"+string(rune('0'+round)), filepath.Join(repoRoot(), "scripts", "dev.sh"), env)
		require.NoError(t, err)
		_, err = p.waitLog(ctx, regexp.MustCompile(`saasbridge is running`))
		if err != nil {
			p.stop(30 * time.Second)
			cancel()
			t.Fatalf("round %d: %v", round, err)
		}
		checkDevStack(ctx, t, devDir, ports)
		p.stop(30 * time.Second)
		cancel()
	}
}

func checkDevStack(ctx context.Context, t *testing.T, devDir string, ports map[string]string) {
	t.Helper()
	info, err := os.Stat(devDir)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o700), info.Mode().Perm(), ".dev itself")
	entries, err := os.ReadDir(devDir)
	require.NoError(t, err)
	names := []string{}
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		names = append(names, e.Name())
		assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "%s is readable beyond its owner", e.Name())
	}
	for _, want := range []string{"env", "temporal.db", "temporal.log", "tokens.db", "tokens.db-wal", "tokens.db-shm", "sandbox.log", "worker.log", "starter.log"} {
		assert.Contains(t, names, want)
	}
	starterLog, err := os.ReadFile(filepath.Join(devDir, "starter.log"))
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(starterLog), "\tconnected\t"), "both connects went through: %s", tail(string(starterLog), 2000))

	envFile, err := os.ReadFile(filepath.Join(devDir, "env"))
	require.NoError(t, err)
	token := regexp.MustCompile(`(?m)^CODEC_AUTH_TOKEN=(\S+)$`).FindSubmatch(envFile)
	require.NotNil(t, token, "dev.sh generates a codec token")
	_, settings := get(ctx, t, "http://127.0.0.1:"+ports["TEMPORAL_UI_PORT"]+"/api/v1/settings")
	var ui struct{ Codec struct{ Endpoint string } }
	require.NoError(t, json.Unmarshal([]byte(settings), &ui))
	operator := "http://127.0.0.1:" + ports["OPERATOR_PORT"]
	assert.Equal(t, operator+"/codec/"+string(token[1]), ui.Codec.Endpoint, "the Web UI decodes through the operator listener")

	empty := []byte(`{"payloads":[]}`)
	jsonCT := map[string]string{"Content-Type": "application/json"}
	assert.Equal(t, http.StatusOK, postStatus(ctx, t, ui.Codec.Endpoint+"/decode", empty, jsonCT), "the Web UI's endpoint works")
	assert.Equal(t, http.StatusUnauthorized, postStatus(ctx, t, operator+"/codec/decode", empty, jsonCT), "anonymous, on the operator listener")
	assert.Equal(t, http.StatusNotFound, postStatus(ctx, t, "http://127.0.0.1:"+ports["STARTER_PORT"]+"/codec/decode", empty, jsonCT), "not on the public listener")
}
