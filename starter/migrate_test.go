package main

import (
	"bytes"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storeEnv points the starter's settings at a fresh SQLite store, returns its path and
// the key that seals it.
func storeEnv(t *testing.T) (dsn string, key []byte) {
	t.Helper()
	key = bytes.Repeat([]byte{7}, 32)
	dsn = filepath.Join(t.TempDir(), "tokens.db")
	for k, v := range map[string]string{
		"HIGHLEVEL_CLIENT_ID": "6578278e879ad2646715ba9c-megyp358", "HIGHLEVEL_CLIENT_SECRET": "hl-secret",
		"ACTIONSTEP_CLIENT_ID": "as-client", "ACTIONSTEP_CLIENT_SECRET": "as-secret", "ACTIONSTEP_ORG_KEY": "law",
		"STORE_DSN": dsn, "STORE_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(key),
		"PAYLOAD_ENCRYPTION_KEYS": "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)),
		"LOG_LEVEL":               "error",
	} {
		t.Setenv(k, v)
	}
	return dsn, key
}

func runStarter(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(t.Context(), args, &out, &errOut)
	return out.String() + errOut.String(), err
}

// TestMigrateStatusAndUp: status on a new database lists every migration pending and
// changes nothing; up applies them, once; status then shows them applied.
func TestMigrateStatusAndUp(t *testing.T) {
	storeEnv(t)
	out, err := runStarter(t, "migrate", "status")
	require.NoError(t, err, out)
	assert.Contains(t, out, "00004    audit           pending")
	assert.Contains(t, out, "0 of 6 applied; 6 pending (sqlite3)")
	out, err = runStarter(t, "migrate", "status")
	require.NoError(t, err, out)
	assert.Contains(t, out, "6 pending", "status applied nothing")

	out, err = runStarter(t, "migrate", "up")
	require.NoError(t, err, out)
	for _, name := range []string{"00001 credentials", "00002 facts", "00003 location_names", "00004 audit"} {
		assert.Contains(t, out, "applied "+name)
	}
	out, err = runStarter(t, "migrate", "up")
	require.NoError(t, err, out)
	assert.Contains(t, out, "nothing to apply")
	out, err = runStarter(t, "migrate", "status")
	require.NoError(t, err, out)
	assert.Contains(t, out, "6 of 6 applied; 0 pending")

	_, err = runStarter(t, "migrate", "down")
	assert.ErrorIs(t, err, errUsage)
}
