package facts_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
