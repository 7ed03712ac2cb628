package facts_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/storetest"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

func open(t *testing.T, dsn string) *facts.Store {
	t.Helper()
	ts, err := tokens.Open(t.Context(), dsn, bytes.Repeat([]byte{1}, tokens.KeySize))
	require.NoError(t, err)
	t.Cleanup(func() { _ = ts.Close() })
	return facts.New(ts.DB())
}

var at = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func TestRecordAndReadBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		loc := facts.Location{LocationID: "loc1", CompanyID: "co1", Phase: facts.PhaseActive, Step: "done",
			InstalledAt: at, OnboardedAt: at.Add(time.Second), SubscriptionID: "sub_1", CustomerID: "cus_1",
			PlanID: "plan", Status: "paused", Paused: true, ParticipantID: "1", MatterID: "2", RecordID: "3",
			Attention: "parked", Parked: 1, LastEventID: "e1", LastEventAt: at,
			InitialPlan: "plan p (Pro), price pr: HIGHLEVEL_DEFAULT_PLAN_ID"}
		ev := facts.Event{EventID: "e1", Kind: "change", Source: "billing", OccurredAt: at, Outcome: facts.OutcomeParked, Message: "400: no"}
		require.NoError(t, s.Record(t.Context(), loc, &ev))

		got, ok, err := s.Location(t.Context(), "loc1")
		require.NoError(t, err)
		require.True(t, ok)
		assert.False(t, got.UpdatedAt.IsZero())
		got.UpdatedAt = time.Time{}
		assert.Equal(t, loc, got)

		// Re-driven and applied: the event's outcome is replaced, the row updated.
		loc.Attention, loc.Parked = "", 0
		ev.Outcome, ev.Message = facts.OutcomeApplied, ""
		require.NoError(t, s.Record(t.Context(), loc, &ev))
		evs, err := s.Events(t.Context(), "loc1", 10)
		require.NoError(t, err)
		require.Len(t, evs, 1)
		assert.Equal(t, facts.OutcomeApplied, evs[0].Outcome)
		assert.Equal(t, at, evs[0].OccurredAt)

		_, ok, err = s.Location(t.Context(), "nowhere")
		require.NoError(t, err)
		assert.False(t, ok)
	})
}

func TestCompanyLocationsPagesInIDOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		for i := range 7 {
			co := "co1"
			if i%3 == 0 {
				co = "co2"
			}
			require.NoError(t, s.Record(t.Context(), facts.Location{LocationID: fmt.Sprintf("loc%d", 6-i), CompanyID: co, Phase: facts.PhaseNew}, nil))
		}
		var seen []string
		for after := ""; ; {
			page, err := s.CompanyLocations(t.Context(), "co1", after, 2)
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			for _, l := range page {
				seen = append(seen, l.LocationID)
			}
			after = page[len(page)-1].LocationID
		}
		assert.Equal(t, []string{"loc1", "loc2", "loc4", "loc5"}, seen)
	})
}

func TestLocationsReadsMoreThanOneBatch(t *testing.T) {
	s := open(t, storetest.Engines[0].Fresh(t))
	var ids []string
	for i := range 1203 {
		id := fmt.Sprintf("loc%04d", i)
		ids = append(ids, id)
		if i%2 == 0 {
			require.NoError(t, s.Record(t.Context(), facts.Location{LocationID: id, CompanyID: "co", Phase: facts.PhaseActive}, nil))
		}
	}
	got, err := s.Locations(t.Context(), ids)
	require.NoError(t, err)
	assert.Len(t, got, 602)
}

func TestRecordRejectsIncompleteRows(t *testing.T) {
	s := open(t, storetest.Engines[0].Fresh(t))
	tests := []struct {
		name string
		loc  facts.Location
		ev   *facts.Event
	}{
		{"no location id", facts.Location{CompanyID: "c", Phase: facts.PhaseNew}, nil},
		{"no company", facts.Location{LocationID: "l", Phase: facts.PhaseNew}, nil},
		{"no phase", facts.Location{LocationID: "l", CompanyID: "c"}, nil},
		{"event without id", facts.Location{LocationID: "l", CompanyID: "c", Phase: facts.PhaseNew}, &facts.Event{Outcome: facts.OutcomeApplied}},
		{"event without outcome", facts.Location{LocationID: "l", CompanyID: "c", Phase: facts.PhaseNew}, &facts.Event{EventID: "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, s.Record(t.Context(), tt.loc, tt.ev))
		})
	}
	_, ok, err := s.Location(t.Context(), "l")
	require.NoError(t, err)
	assert.False(t, ok, "a failed record writes nothing")
}

func TestRecordCapsTheMessage(t *testing.T) {
	s := open(t, storetest.Engines[0].Fresh(t))
	long := strings.Repeat("é", 2000)
	require.NoError(t, s.Record(t.Context(), facts.Location{LocationID: "l", CompanyID: "c", Phase: facts.PhaseNew},
		&facts.Event{EventID: "e", Outcome: facts.OutcomeParked, Message: long}))
	evs, err := s.Events(t.Context(), "l", 1)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(evs[0].Message), 1000)
	assert.True(t, strings.HasPrefix(long, evs[0].Message), "cut on a character boundary")
}

// TestNameIsKept: the owner records the location's name once its install read it; rows
// recorded later without one (an owner that started again from older facts, adopted
// locations) keep it.
func TestNameIsKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		loc := facts.Location{LocationID: "loc1", CompanyID: "co1", Phase: facts.PhaseOnboarding, Name: "Bright Smiles Dental"}
		require.NoError(t, s.Record(t.Context(), loc, nil))
		loc.Name, loc.Phase = "", facts.PhaseActive
		require.NoError(t, s.Record(t.Context(), loc, nil))
		got, _, err := s.Location(t.Context(), "loc1")
		require.NoError(t, err)
		assert.Equal(t, "Bright Smiles Dental", got.Name)
		assert.Equal(t, facts.PhaseActive, got.Phase)

		loc.Name = strings.Repeat("é", 150) // 300 bytes: cut to the limit, whole characters
		require.NoError(t, s.Record(t.Context(), loc, nil))
		got, _, err = s.Location(t.Context(), "loc1")
		require.NoError(t, err)
		assert.Equal(t, strings.Repeat("é", 100), got.Name)
	})
}

// TestEventsAreAudited: every event recorded leaves an audit entry in the same
// transaction: a change with the subscription before and after, an install's (a
// lifecycle entry) with them only when it changed the subscription.
func TestEventsAreAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ts, err := tokens.Open(t.Context(), dsn, bytes.Repeat([]byte{1}, tokens.KeySize))
		require.NoError(t, err)
		t.Cleanup(func() { _ = ts.Close() })
		s := facts.New(ts.DB())
		loc := facts.Location{LocationID: "loc1", CompanyID: "co1", Phase: facts.PhaseActive, PlanID: "basic", Status: "active", SubscriptionID: "sub_1"}
		require.NoError(t, s.Record(t.Context(), loc, &facts.Event{EventID: "i1", Kind: "install", Source: "webhook", OccurredAt: at, Outcome: facts.OutcomeApplied}))
		require.NoError(t, s.Record(t.Context(), loc, nil)) // no event: no entry
		next := loc
		next.PlanID = "gold"
		require.NoError(t, s.Record(t.Context(), next, &facts.Event{EventID: "c1", Kind: "change", Source: "billing", OccurredAt: at.Add(time.Minute), Outcome: facts.OutcomeApplied}))
		require.NoError(t, s.Record(t.Context(), next, &facts.Event{EventID: "c0", Kind: "change", Source: "billing", OccurredAt: at, Outcome: facts.OutcomeSuperseded, Message: "older"}))
		require.NoError(t, s.Record(t.Context(), next, &facts.Event{EventID: "i2", Kind: "install", OccurredAt: at, Outcome: facts.OutcomeApplied, Message: "already onboarded"}))

		var got []audit.Entry
		require.NoError(t, audit.Query(t.Context(), ts.DB(), audit.Filter{LocationID: "loc1"}, func(e audit.Entry) error { got = append(got, e); return nil }))
		require.Len(t, got, 4)
		assert.Equal(t, audit.KindLifecycle, got[0].Kind)
		assert.Equal(t, "none", got[0].Detail.From.String(), "the install set the subscription")
		assert.Equal(t, "basic / active / sub_1", got[0].Detail.To.String())
		assert.Equal(t, audit.KindSubscription, got[1].Kind)
		assert.Equal(t, facts.OutcomeApplied, got[1].Action)
		assert.Equal(t, "basic", got[1].Detail.From.PlanID)
		assert.Equal(t, "gold", got[1].Detail.To.PlanID)
		assert.Equal(t, "c1", got[1].Detail.EventID)
		assert.Equal(t, "billing", got[1].Detail.Source)
		assert.Equal(t, at.Add(time.Minute), got[1].Detail.OccurredAt)
		assert.Equal(t, facts.OutcomeSuperseded, got[2].Action)
		assert.Equal(t, "older", got[2].Detail.Message)
		assert.Equal(t, got[2].Detail.From, got[2].Detail.To, "a superseded change leaves it as it was")
		assert.Nil(t, got[3].Detail.From, "an install that changed nothing carries no subscription")
		assert.Equal(t, "co1", got[3].CompanyID)
	})
}

// TestOwnersRecordAtOnce: owners of many locations record together, each through its own
// connection pool as the worker processes do, without tripping over the lock the audit
// chain takes (SQLite: no snapshot left behind by a write that came first).
func TestOwnersRecordAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		stores := []*facts.Store{open(t, dsn), open(t, dsn), open(t, dsn)}
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Go(func() {
				s := stores[i%len(stores)]
				for j := range 10 {
					loc := facts.Location{LocationID: fmt.Sprintf("loc%d", i), CompanyID: "co", Phase: facts.PhaseActive, PlanID: fmt.Sprint(j)}
					assert.NoError(t, s.Record(t.Context(), loc, &facts.Event{EventID: fmt.Sprint(j), Kind: "change", OccurredAt: at, Outcome: facts.OutcomeApplied}))
				}
			})
		}
		wg.Wait()
	})
}

// TestListFiltersSearchesAndPages: each filter of the console narrows the list, search
// matches a part of an id or a name whatever its case (and takes % and _ literally), and
// pages cover every location once, those needing attention first.
func TestListFiltersSearchesAndPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		seed := []facts.Location{
			{LocationID: "locA", CompanyID: "co1", Name: "Bright Smiles Dental", Phase: facts.PhaseActive, Status: "active"},
			{LocationID: "locB", CompanyID: "co1", Name: "Paws & Claws", Phase: facts.PhaseActive, Status: "paused", Paused: true},
			{LocationID: "locC", CompanyID: "co2", Name: "100%_Fitness", Phase: facts.PhaseOnboarding, Step: "enable-saas"},
			{LocationID: "locD", CompanyID: "co2", Name: "Gone Ltd", Phase: facts.PhaseUninstalled},
			{LocationID: "locE", CompanyID: "co2", Name: "Stuck Co", Phase: facts.PhaseActive, Status: "active", Attention: "parked", Parked: 1},
		}
		for i, l := range seed {
			l.LastEventAt = at.Add(time.Duration(i) * time.Minute)
			require.NoError(t, s.Record(t.Context(), l, nil))
		}
		ids := func(q facts.Query) []string {
			p, err := s.List(t.Context(), q)
			require.NoError(t, err)
			var out []string
			for _, l := range p.Locations {
				out = append(out, l.LocationID)
			}
			return out
		}
		for name, tc := range map[string]struct {
			q    facts.Query
			want []string
		}{
			"everything, attention first, newest next": {facts.Query{}, []string{"locE", "locD", "locC", "locB", "locA"}},
			"active, not paused":                       {facts.Query{Phase: facts.PhaseActive}, []string{"locE", "locA"}},
			"paused":                                   {facts.Query{Phase: facts.PhasePaused}, []string{"locB"}},
			"onboarding":                               {facts.Query{Phase: facts.PhaseOnboarding}, []string{"locC"}},
			"billing status":                           {facts.Query{Status: "paused"}, []string{"locB"}},
			"agency":                                   {facts.Query{CompanyID: "co1"}, []string{"locB", "locA"}},
			"needs attention":                          {facts.Query{Attention: true}, []string{"locE"}},
			"search a name, any case":                  {facts.Query{Search: "smiles"}, []string{"locA"}},
			"search an id":                             {facts.Query{Search: "LOCd"}, []string{"locD"}},
			"search takes % literally":                 {facts.Query{Search: "0%_f"}, []string{"locC"}},
			"search and a filter":                      {facts.Query{Search: "loc", CompanyID: "co2", Phase: facts.PhaseUninstalled}, []string{"locD"}},
			"nothing":                                  {facts.Query{Search: "%%"}, nil},
		} {
			assert.Equal(t, tc.want, ids(tc.q), name)
		}
		p, err := s.List(t.Context(), facts.Query{Limit: 2, Offset: 2})
		require.NoError(t, err)
		assert.Equal(t, 5, p.Total)
		assert.Len(t, p.Locations, 2)
		assert.Equal(t, []string{"locC", "locB"}, ids(facts.Query{Limit: 2, Offset: 2}))

		sum, err := s.Summarize(t.Context())
		require.NoError(t, err)
		assert.Equal(t, facts.Summary{Total: 5, Onboarding: 1, Active: 2, Paused: 1, Uninstalled: 1, Attention: 1,
			AttentionBy: map[string]int{"parked": 1}, ParkedEvents: 1,
			Companies: []string{"co1", "co2"}, Statuses: []string{"active", "paused"}}, sum)
	})
}

// TestParkedAndVersion: the parked events of a page's locations come in one read; the
// version moves with every write of a row.
func TestParkedAndVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn)
		v0, err := s.Version(t.Context(), "")
		require.NoError(t, err)
		loc := facts.Location{LocationID: "loc1", CompanyID: "co1", Phase: facts.PhaseActive, Attention: "parked", Parked: 1}
		require.NoError(t, s.Record(t.Context(), loc, &facts.Event{EventID: "bad", Kind: "change", OccurredAt: at, Outcome: facts.OutcomeParked, Message: "422: plan unknown"}))
		require.NoError(t, s.Record(t.Context(), loc, &facts.Event{EventID: "ok", Kind: "check", OccurredAt: at, Outcome: facts.OutcomeApplied}))
		v1, err := s.Version(t.Context(), "")
		require.NoError(t, err)
		assert.NotEqual(t, v0, v1)
		one, err := s.Version(t.Context(), "loc1")
		require.NoError(t, err)
		none, err := s.Version(t.Context(), "loc2")
		require.NoError(t, err)
		assert.NotEqual(t, one, none)

		parked, err := s.Parked(t.Context(), []string{"loc1", "loc2"})
		require.NoError(t, err)
		require.Len(t, parked["loc1"], 1)
		assert.Equal(t, "422: plan unknown", parked["loc1"][0].Message)
		assert.Empty(t, parked["loc2"])
	})
}
