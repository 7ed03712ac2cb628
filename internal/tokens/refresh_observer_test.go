package tokens

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestRefreshObserverSeesEveryOutcome(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	store, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), make([]byte, KeySize),
		WithRefreshObserver(func(kind Kind, outcome string) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, string(kind)+" "+outcome)
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	key := KeyHighLevelLocation("loc1")
	if err := store.Put(ctx, key, Token{AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, res := range []error{nil, ErrInactive, ErrInvalidGrant, context.DeadlineExceeded} {
		_, _ = store.Refresh(ctx, key, RefresherFunc(func(context.Context, Token) (Token, error) {
			if res != nil {
				return Token{}, res
			}
			return Token{AccessToken: "a2", RefreshToken: "r2", Expiry: time.Now().Add(time.Hour)}, nil
		}), "")
	}
	want := []string{"highlevel/location ok", "highlevel/location suspended", "highlevel/location reconnect_needed", "highlevel/location error"}
	if len(seen) != len(want) {
		t.Fatalf("seen %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("seen[%d] = %q, want %q", i, seen[i], want[i])
		}
	}
}
