package tokens

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPutGetRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _ := openTestStore(t, be)
		key := KeyHighLevelLocation("l1C08ntBrFjLS0elLIYU")
		in := Token{
			AccessToken: "access-secret", RefreshToken: "refresh-secret", TokenType: "Bearer",
			Expiry:  time.Now().Add(24 * time.Hour).Truncate(time.Millisecond),
			Attrs:   map[string]string{"companyId": "GNb7aIv4rQFVb9iwNl5K", "userType": "Location"},
			Secrets: map[string]string{"id_token": "id-secret"},
		}
		before := time.Now().Add(-time.Second)
		mustPut(t, s, key, in)

		got, info := mustGet(t, s, key)
		if got.AccessToken != in.AccessToken || got.RefreshToken != in.RefreshToken || got.TokenType != in.TokenType ||
			!got.Expiry.Equal(in.Expiry) || !maps.Equal(got.Attrs, in.Attrs) || !maps.Equal(got.Secrets, in.Secrets) {
			t.Fatalf("Get = %#v, want the stored token", got)
		}
		if info.Key != key || info.Kind != KindHighLevelLocation || info.Status != StatusActive || info.Version != 1 ||
			!info.Expiry.Equal(in.Expiry) || !maps.Equal(info.Attrs, in.Attrs) || info.UpdatedAt.Before(before) {
			t.Fatalf("Info = %+v", info)
		}
		got.Attrs["companyId"] = "changed"
		if _, info := mustGet(t, s, key); info.Attrs["companyId"] != in.Attrs["companyId"] {
			t.Fatal("a returned Attrs map aliases the store's")
		}
	})
}

func TestPutOverwritesAndReactivates(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _ := openTestStore(t, be)
		key := KeyHighLevelAgency("comp1")
		mustPut(t, s, key, Token{AccessToken: "a1", RefreshToken: "r1", Attrs: map[string]string{"scope": "old"}})
		if err := s.SetStatus(t.Context(), key, StatusReconnectNeeded, "refresh token rejected"); err != nil {
			t.Fatal(err)
		}
		mustPut(t, s, key, Token{AccessToken: "a2", RefreshToken: "r2"})

		got, info := mustGet(t, s, key)
		if got.AccessToken != "a2" || got.RefreshToken != "r2" || got.Attrs != nil {
			t.Fatalf("after re-install Get = %v, attrs %v", got, got.Attrs)
		}
		if info.Status != StatusActive || info.StatusReason != "" || info.Version != 3 {
			t.Fatalf("after re-install Info = %+v, want active, no reason, version 3", info)
		}
	})
}

func TestPutRejects(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _ := openTestStore(t, be)
		for _, tc := range []struct {
			name string
			key  string
			tok  Token
		}{
			{"no kind", "loc1", Token{AccessToken: "a"}},
			{"empty id", KeyHighLevelLocation(""), Token{AccessToken: "a"}},
			{"control character", "highlevel/location/a\nb", Token{AccessToken: "a"}},
			{"no tokens", KeyHighLevelLocation("loc1"), Token{TokenType: "Bearer"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := s.Put(t.Context(), tc.key, tc.tok); err == nil {
					t.Fatal("Put succeeded")
				}
			})
		}
		if infos, err := s.List(t.Context()); err != nil || len(infos) != 0 {
			t.Fatalf("List = %v, %v; want nothing stored", infos, err)
		}
	})
}

// TestCiphertextOnDisk reads what the database holds byte by byte (SQLite: its files; PostgreSQL:
// every column as the server stores it): the secrets must not be there, the plain metadata must
// (which shows that the right bytes were read).
func TestCiphertextOnDisk(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, dsn := openTestStore(t, be)
		tok := Token{
			AccessToken: "ACCESS-4f1e2d3c-plaintext", RefreshToken: "REFRESH-9a8b7c6d-plaintext",
			Secrets: map[string]string{"id_token": "IDTOKEN-5e6f-plaintext"},
			Attrs:   map[string]string{"locationId": "LOCATION-visible-7788"},
		}
		mustPut(t, s, KeyHighLevelLocation("loc1"), tok)
		for _, check := range []func(){func() {}, func() { _ = s.Close() }} { // SQLite: WAL, then checkpointed main file
			check()
			all := be.dump(t, dsn)
			for _, secret := range []string{tok.AccessToken, tok.RefreshToken, "IDTOKEN-5e6f", "plaintext"} {
				if bytes.Contains(all, []byte(secret)) {
					t.Fatalf("the database holds %q", secret)
				}
			}
			if !bytes.Contains(all, []byte(tok.Attrs["locationId"])) {
				t.Fatal("the database does not hold the plain attribute; did the test read the database?")
			}
		}
	})
}

func TestWrongKeyFailsToDecrypt(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, dsn := openTestStore(t, be)
		key := KeyHighLevelLocation("loc1")
		mustPut(t, s, key, Token{AccessToken: "a", RefreshToken: "r"})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		other := openStoreAt(t, dsn, bytes.Repeat([]byte{9}, KeySize))
		_, _, err := other.Get(t.Context(), key)
		wantErr(t, err, ErrDecrypt)
		if msg := err.Error(); !strings.Contains(msg, key) || !strings.Contains(msg, "wrong encryption key") {
			t.Fatalf("error %q should name the credential and the likely cause", msg)
		}
		_, err = other.Token(t.Context(), key, rotating())
		wantErr(t, err, ErrDecrypt)
		// Listing needs no decryption, so it still works: an operator can see what is stored.
		if infos, err := other.List(t.Context()); err != nil || len(infos) != 1 {
			t.Fatalf("List with another key = %v, %v", infos, err)
		}
	})
}

// TestTamperedRowsDetected edits the database behind the store's back, as someone with write
// access but without the key could.
func TestTamperedRowsDetected(t *testing.T) {
	for _, tc := range []struct {
		name string
		sql  map[string]string // by backend; "" for any
	}{
		{"secrets swapped between rows", map[string]string{"": `CREATE TEMP TABLE old AS SELECT cred_key, secret FROM credentials;
			UPDATE credentials SET secret = (SELECT secret FROM old WHERE old.cred_key <> credentials.cred_key)`}},
		{"attrs edited", map[string]string{"": `UPDATE credentials SET attrs = '{"api_endpoint":"https://evil.example/api/"}'`}},
		{"expiry edited", map[string]string{"": `UPDATE credentials SET expiry = expiry + 86400000`}},
		{"ciphertext flipped", map[string]string{
			"sqlite": `UPDATE credentials SET secret = CAST(substr(secret, 1, 20) ||
				CASE substr(secret, 21, 1) WHEN X'00' THEN X'01' ELSE X'00' END || substr(secret, 22) AS BLOB)`,
			"postgres": `UPDATE credentials SET secret = set_byte(secret, 20, CASE get_byte(secret, 20) WHEN 0 THEN 1 ELSE 0 END)`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, be backend) {
				stmt, ok := tc.sql[be.name]
				if !ok {
					stmt = tc.sql[""]
				}
				s, dsn := openTestStore(t, be)
				for _, id := range []string{"loc1", "loc2"} {
					mustPut(t, s, KeyHighLevelLocation(id), Token{
						AccessToken: "a-" + id, RefreshToken: "r-" + id, Expiry: time.Now().Add(time.Hour),
						Attrs: map[string]string{"api_endpoint": "https://ap-southeast-2.actionstep.com/api/"},
					})
				}
				if _, err := be.rawDB(t, dsn).ExecContext(t.Context(), stmt); err != nil {
					t.Fatal(err)
				}
				for _, id := range []string{"loc1", "loc2"} {
					_, _, err := s.Get(t.Context(), KeyHighLevelLocation(id))
					wantErr(t, err, ErrDecrypt)
				}
			})
		})
	}
}

func TestListDeleteSetStatus(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _ := openTestStore(t, be)
		ctx := t.Context()
		mustPut(t, s, KeyHighLevelLocation("b"), Token{AccessToken: "a", Attrs: map[string]string{"locationId": "b"}})
		mustPut(t, s, KeyHighLevelAgency("c"), Token{AccessToken: "a"})
		mustPut(t, s, KeyActionstep("org"), Token{AccessToken: "a", Attrs: map[string]string{"api_endpoint": "https://x/api/"}})
		if err := s.SetStatus(ctx, KeyHighLevelLocation("b"), StatusSuspended, "Location is not active"); err != nil {
			t.Fatal(err)
		}

		infos, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, in := range infos {
			got = append(got, in.Key+" "+string(in.Kind)+" "+string(in.Status)+" "+in.StatusReason)
		}
		want := []string{
			"actionstep/org actionstep active ",
			"highlevel/agency/c highlevel/agency active ",
			"highlevel/location/b highlevel/location suspended Location is not active",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("List:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if infos[2].Version != 2 || infos[0].Attrs["api_endpoint"] != "https://x/api/" {
			t.Fatalf("List infos = %+v", infos)
		}

		for range 2 { // deleting is idempotent
			if err := s.Delete(ctx, KeyHighLevelLocation("b")); err != nil {
				t.Fatal(err)
			}
		}
		_, _, err = s.Get(ctx, KeyHighLevelLocation("b"))
		wantErr(t, err, ErrNotFound)
		wantErr(t, s.SetStatus(ctx, KeyHighLevelLocation("b"), StatusActive, ""), ErrNotFound)
		if err := s.SetStatus(ctx, KeyHighLevelAgency("c"), "paused", ""); err == nil {
			t.Fatal("SetStatus accepted an unknown status")
		}
	})
}

func TestOpenDSNForms(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, dsn, file string
	}{
		{"path", filepath.Join(dir, "a.db"), "a.db"},
		{"sqlite URL", "sqlite://" + filepath.Join(dir, "b.db"), "b.db"},
		{"sqlite URL with query", "sqlite://" + filepath.Join(dir, "c.db") + "?_txlock=deferred", "c.db"},
		{"file URI", "file:" + filepath.Join(dir, "d.db") + "?mode=rwc", "d.db"},
		{"path with URI characters", filepath.Join(dir, "e #1?%.db"), "e #1?%.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStoreAt(t, tc.dsn, testKey)
			mustPut(t, s, KeyHighLevelAgency("c"), Token{AccessToken: "a"})
			if _, err := os.Stat(filepath.Join(dir, tc.file)); err != nil {
				t.Fatalf("database file not where the DSN says: %v", err)
			}
			var mode string
			if err := s.db.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
				t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
			}
		})
	}
	for _, dsn := range []string{"", ":memory:", "file::memory:?cache=shared", "file:x.db?mode=memory", "sqlite://"} {
		if s, err := Open(t.Context(), dsn, testKey); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
		}
	}
	if _, err := Open(t.Context(), filepath.Join(dir, "k.db"), testKey[:16]); err == nil {
		t.Error("Open accepted a 16-byte key")
	}
	if _, err := Open(t.Context(), filepath.Join(dir, "k.db"), testKey, WithLockTimeout(0)); err == nil {
		t.Error("Open accepted a zero lock timeout")
	}
}

func TestOpenMigrations(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		dsn := be.fresh(t)
		var wg sync.WaitGroup
		for range 6 { // processes starting together must not trip over each other's migration
			wg.Go(func() {
				s, err := Open(t.Context(), dsn, testKey)
				if err != nil {
					t.Errorf("concurrent Open: %v", err)
					return
				}
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
		}
		wg.Wait()

		s := openStoreAt(t, dsn, testKey) // and once more on the migrated database
		mustPut(t, s, KeyHighLevelAgency("c"), Token{AccessToken: "a"})

		if _, err := be.rawDB(t, dsn).ExecContext(t.Context(), be.setSchemaVersion); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(t.Context(), dsn, testKey); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("Open of a newer schema: %v, want a 'newer' error", err)
		}
	})
}
