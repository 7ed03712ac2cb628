package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/saasbridge/saasbridge/internal/audit"
)

// TestEveryCredentialChangeIsAudited: connecting, minting, refreshing, rotating, a
// rejected refresh, a suspension, a status set and a deletion each leave one audit
// entry, filed under the credential's location or company, with the credential's
// version after it; none carries a token, and the chain verifies.
func TestEveryCredentialChangeIsAudited(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _ := openTestStore(t, be)
		agency := KeyHighLevelAgency("co1")
		mustPut(t, s, agency, Token{AccessToken: "agency-access-token", RefreshToken: "agency-refresh-token"})
		mustPut(t, s, locKey, expiredToken("loc-access-token", "loc-refresh-token"))
		if _, err := s.Token(t.Context(), locKey, rotating()); err != nil { // new refresh token: rotated
			t.Fatal(err)
		}
		sameRefresh := &scripted{fn: func(_ context.Context, cur Token) (Token, error) {
			return Token{AccessToken: cur.AccessToken + "!"}, nil // RFC 6749 §6: the old refresh token stays
		}}
		if _, err := s.Refresh(t.Context(), locKey, sameRefresh, ""); err != nil {
			t.Fatal(err)
		}
		_, err := s.Refresh(t.Context(), locKey, failing(fmt.Errorf("%w: Location is not active (loc-refresh-token+)", ErrInactive)), "")
		wantErr(t, err, ErrSuspended)
		if err := s.SetStatus(t.Context(), locKey, StatusActive, "active again"); err != nil {
			t.Fatal(err)
		}
		_, err = s.Refresh(t.Context(), agency, failing(fmt.Errorf("%w: refresh token agency-refresh-token revoked", ErrInvalidGrant)), "")
		wantErr(t, err, ErrReconnectNeeded)
		if err := s.Delete(t.Context(), locKey); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(t.Context(), locKey); err != nil { // nothing deleted: no entry
			t.Fatal(err)
		}

		var got []string
		var raw strings.Builder
		err = audit.Query(t.Context(), s.DB(), audit.Filter{}, func(e audit.Entry) error {
			if e.Kind != audit.KindCredential {
				return fmt.Errorf("entry %d is of kind %s", e.Seq, e.Kind)
			}
			got = append(got, fmt.Sprintf("%s %s loc=%s co=%s v%d", e.Detail.Credential, e.Action, e.LocationID, e.CompanyID, e.Detail.Version))
			b, _ := json.Marshal(e)
			raw.Write(b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"highlevel/agency/co1 connected loc= co=co1 v1",
			"highlevel/location/loc1 minted loc=loc1 co= v1",
			"highlevel/location/loc1 rotated loc=loc1 co= v2",
			"highlevel/location/loc1 refreshed loc=loc1 co= v3",
			"highlevel/location/loc1 suspended loc=loc1 co= v4",
			"highlevel/location/loc1 status_set loc=loc1 co= v5",
			"highlevel/agency/co1 reconnect_needed loc= co=co1 v2",
			"highlevel/location/loc1 deleted loc=loc1 co= v0",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		wantNoSecret(t, "the audit trail", raw.String(), "agency-access-token", "agency-refresh-token", "loc-access-token", "loc-refresh-token")
		if !strings.Contains(raw.String(), "Location is not active") {
			t.Error("a suspension's entry does not say why")
		}
		keys, err := audit.DeriveKeys(1, testKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := audit.Verify(t.Context(), s.DB(), keys); err != nil || !r.OK() {
			t.Fatalf("verify: %+v, %v", r.Break, err)
		}
	})
}

// TestAFailedWriteLeavesNoEntry: a Put that fails (a bad key) records nothing.
func TestAFailedWriteLeavesNoEntry(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		s, _ := openTestStore(t, be)
		if err := s.Put(t.Context(), "no-kind", Token{AccessToken: "a"}); err == nil {
			t.Fatal("Put of a bad key succeeded")
		}
		n := 0
		if err := audit.Query(t.Context(), s.DB(), audit.Filter{}, func(audit.Entry) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d entries after a failed write", n)
		}
		if err := s.SetStatus(t.Context(), locKey, StatusSuspended, "x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("SetStatus of a missing credential: %v", err)
		}
	})
}
