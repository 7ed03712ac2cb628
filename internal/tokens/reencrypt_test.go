package tokens

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var newKey = bytes.Repeat([]byte{8}, KeySize)

// sealedKeyIDs reads which key id each row's secret names, behind the store's back.
func sealedKeyIDs(t *testing.T, be backend, dsn string) map[string]byte {
	t.Helper()
	db := be.rawDB(t, dsn)
	rows, err := db.QueryContext(t.Context(), `SELECT cred_key, secret FROM credentials`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]byte{}
	for rows.Next() {
		var (
			key  string
			blob []byte
		)
		if err := rows.Scan(&key, &blob); err != nil {
			t.Fatal(err)
		}
		out[key] = sealedWith(blob)
	}
	return out
}

// TestKeyRotation: rows sealed with the old key stay readable once a new key is current,
// writes use the new key, Reencrypt rewrites the rest without touching status or version, and
// afterwards the old key can go.
func TestKeyRotation(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		old, dsn := openTestStore(t, be)
		a, b, c := KeyHighLevelLocation("locA"), KeyHighLevelLocation("locB"), KeyHighLevelAgency("compC")
		mustPut(t, old, a, Token{AccessToken: "a1", RefreshToken: "ra"})
		mustPut(t, old, b, Token{AccessToken: "b1", RefreshToken: "rb", Attrs: map[string]string{"companyId": "compC"}})
		if err := old.SetStatus(t.Context(), b, StatusReconnectNeeded, "refresh token rejected"); err != nil {
			t.Fatal(err)
		}
		_, before := mustGet(t, old, b)
		_ = old.Close()

		// The new key alone cannot read the old rows, and says which key they need.
		bare := openStoreAt(t, dsn, newKey, WithKeyID(2))
		_, _, err := bare.Get(t.Context(), a)
		wantErr(t, err, ErrDecrypt)
		if !strings.Contains(err.Error(), "key id 1") {
			t.Errorf("error %q does not name the missing key id", err)
		}
		_ = bare.Close()

		s := openStoreAt(t, dsn, newKey, WithKeyID(2), WithOldKeys(map[byte][]byte{1: testKey}))
		if got, _ := mustGet(t, s, a); got.AccessToken != "a1" || got.RefreshToken != "ra" {
			t.Fatalf("old row through the ring = %+v", got)
		}
		mustPut(t, s, c, Token{AccessToken: "c1", RefreshToken: "rc"})
		if ids := sealedKeyIDs(t, be, dsn); ids[a] != 1 || ids[b] != 1 || ids[c] != 2 {
			t.Fatalf("key ids before reencrypt = %v, want the write under 2 and the rest under 1", ids)
		}

		res, err := s.Reencrypt(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if res != (ReencryptResult{Checked: 3, Reencrypted: 2}) {
			t.Fatalf("Reencrypt = %+v, want 3 checked, 2 re-encrypted", res)
		}
		if ids := sealedKeyIDs(t, be, dsn); ids[a] != 2 || ids[b] != 2 || ids[c] != 2 {
			t.Fatalf("key ids after reencrypt = %v", ids)
		}
		_, after := mustGet(t, s, b)
		if after.Status != StatusReconnectNeeded || after.Version != before.Version || !after.UpdatedAt.Equal(before.UpdatedAt) || after.Attrs["companyId"] != "compC" {
			t.Fatalf("re-encryption changed the row's plain columns: before %+v, after %+v", before, after)
		}
		if again, err := s.Reencrypt(t.Context()); err != nil || again.Reencrypted != 0 {
			t.Fatalf("second Reencrypt = %+v, %v; want nothing left to do", again, err)
		}
		_ = s.Close()

		// The old key can be dropped now.
		only := openStoreAt(t, dsn, newKey, WithKeyID(2))
		for key, want := range map[string]string{a: "a1", b: "b1", c: "c1"} {
			if got, _ := mustGet(t, only, key); got.AccessToken != want {
				t.Fatalf("%s with the new key only = %+v", key, got)
			}
		}
	})
}

// TestReencryptWhileRefreshing interleaves Reencrypt with refreshes of the same credentials
// from another store (another process): no rotated pair is lost, nothing is left on the old
// key, and every credential ends on its last refreshed token.
func TestReencryptWhileRefreshing(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		old, dsn := openTestStore(t, be)
		const n = 12
		keys := make([]string, n)
		for i := range keys {
			keys[i] = KeyHighLevelLocation(fmt.Sprintf("loc%02d", i))
			mustPut(t, old, keys[i], Token{AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)})
		}
		_ = old.Close()
		ring := []Option{WithKeyID(2), WithOldKeys(map[byte][]byte{1: testKey})}
		rekeyer := openStoreAt(t, dsn, newKey, ring...)
		worker := openStoreAt(t, dsn, newKey, ring...)

		var wg sync.WaitGroup
		errs := make(chan error, n+1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := rekeyer.Reencrypt(context.Background())
			errs <- err
		}()
		for _, key := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := worker.Refresh(context.Background(), key, rotating(), "")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := rekeyer.Reencrypt(t.Context()); err != nil {
			t.Fatal(err)
		}
		for key, id := range sealedKeyIDs(t, be, dsn) {
			if id != 2 {
				t.Errorf("%s is still sealed with key %d", key, id)
			}
		}
		only := openStoreAt(t, dsn, newKey, WithKeyID(2))
		for _, key := range keys {
			if got, _ := mustGet(t, only, key); got.AccessToken != "a+" || got.RefreshToken != "r+" {
				t.Errorf("%s = %q/%q, want the refreshed pair", key, got.AccessToken, got.RefreshToken)
			}
		}
	})
}

func TestOpenRejectsBadKeyRings(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "tokens.db")
	for name, opts := range map[string][]Option{
		"key id 0":                 {WithKeyID(0)},
		"old key under current id": {WithOldKeys(map[byte][]byte{DefaultKeyID: newKey})},
		"short old key":            {WithKeyID(2), WithOldKeys(map[byte][]byte{1: []byte("short")})},
	} {
		if s, err := Open(t.Context(), dsn, testKey, opts...); err == nil {
			_ = s.Close()
			t.Errorf("%s: Open succeeded", name)
		}
	}
}

// TestSQLiteFilesAreOwnerOnly: the database and its -wal and -shm files are created 0600
// whatever the umask, and files an older version left world-readable are tightened.
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.db")
	s := openStoreAt(t, fresh, testKey)
	mustPut(t, s, KeyHighLevelLocation("loc1"), Token{AccessToken: "a", RefreshToken: "r"})
	assertModes(t, fresh, "", "-wal", "-shm")

	legacy := filepath.Join(dir, "legacy.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.WriteFile(legacy+suffix, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_ = openStoreAt(t, legacy, testKey)
	assertModes(t, legacy, "", "-wal", "-shm")
}

func assertModes(t *testing.T, path string, suffixes ...string) {
	t.Helper()
	for _, suffix := range suffixes {
		fi, err := os.Stat(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s is %v, want -rw-------", filepath.Base(path+suffix), mode)
		}
	}
}
