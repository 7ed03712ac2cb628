package simkit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallLogCounts(t *testing.T) {
	l := NewCallLog()
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	for _, c := range []Call{
		{Endpoint: "POST /x", Scope: "a", Status: 201},
		{Endpoint: "POST /x", Scope: "a", Status: 429},
		{Endpoint: "POST /x", Scope: "b", Status: 201, Dropped: true},
		{Endpoint: "GET /y", Status: 200, Time: now},
	} {
		l.Record(c)
	}
	r := l.Report()
	assert.Equal(t, 4, r.Total)
	assert.Equal(t, 1, r.TooManyRequests)
	assert.Equal(t, 1, r.Dropped)
	assert.Equal(t, 2, r.Count("POST /x", 201))
	assert.Equal(t, 3, r.Count("POST /x", 0))
	assert.Equal(t, 2, r.CountFor("POST /x", "a", 0))
	assert.Equal(t, 1, r.CountFor("POST /x", "b", 201))
	assert.NotContains(t, r.ByScope, "GET /y", "calls without a scope are counted by endpoint only")
	assert.Zero(t, r.Count("GET /never", 0))
	assert.Equal(t, Call{Endpoint: "GET /y", Status: 200, Time: now}, r.Calls[3])

	r.ByEndpoint["POST /x"][201] = 99
	r.ByScope["POST /x"]["a"][201] = 99
	r.Calls[0].Status = 99
	again := l.Report()
	assert.Equal(t, 2, again.ByEndpoint["POST /x"][201], "the report is a copy")
	assert.Equal(t, 1, again.ByScope["POST /x"]["a"][201])
	assert.Equal(t, 201, again.Calls[0].Status)

	l.Reset()
	r = l.Report()
	assert.Zero(t, r.Total)
	assert.NotNil(t, r.ByEndpoint)
	assert.NotNil(t, r.ByScope)
	assert.NotNil(t, r.Calls, "an empty list, not null, on the wire")
	assert.Empty(t, r.Calls)
}

func TestCallLogIsBounded(t *testing.T) {
	l := NewCallLog()
	for i := range 2*RecentLimit + 5 {
		l.Record(Call{Endpoint: "GET /x", Status: 200 + i%2})
	}
	r := l.Report()
	assert.Equal(t, 2*RecentLimit+5, r.Total)
	assert.Len(t, r.Calls, RecentLimit)
	assert.Equal(t, 2*RecentLimit+5, r.Count("GET /x", 0))
}

func TestRecentKeepsTheLatest(t *testing.T) {
	var r Recent[int]
	assert.NotNil(t, r.Items())
	for i := range 3*RecentLimit + 7 {
		r.Add(i)
	}
	items := r.Items()
	require.Len(t, items, RecentLimit)
	assert.Equal(t, 2*RecentLimit+7, items[0])
	assert.Equal(t, 3*RecentLimit+6, items[RecentLimit-1])
}

func TestServeRecordsTheCall(t *testing.T) {
	l := NewCallLog()
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	serve := func(path string, h http.HandlerFunc) Call {
		return l.Serve(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil), clock, h)
	}

	c := serve("/items/7", func(w http.ResponseWriter, r *http.Request) {
		info := CallInfoFrom(r.Context())
		info.Endpoint, info.Scope = "GET /items/{id}", "acme"
		w.WriteHeader(http.StatusAccepted)
	})
	assert.Equal(t, Call{Time: now, Endpoint: "GET /items/{id}", Scope: "acme", Status: http.StatusAccepted}, c)
	c = serve("/Itmes/7", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("x")) })
	assert.Equal(t, Call{Time: now, Endpoint: "GET /Itmes/7", Status: http.StatusOK}, c, "unmatched: the raw path; a bare Write is a 200")
	c = serve("/items/8", func(w http.ResponseWriter, r *http.Request) {
		CallInfoFrom(r.Context()).Status = http.StatusNotFound // reported without writing
	})
	assert.Equal(t, http.StatusNotFound, c.Status)
	assert.Equal(t, 3, l.Report().Total)
}

func TestServeDropsAfterRecording(t *testing.T) {
	l := NewCallLog()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.Serve(w, r, time.Now, func(_ http.ResponseWriter, r *http.Request) {
			info := CallInfoFrom(r.Context())
			info.Status, info.Dropped = http.StatusCreated, true
		})
	}))
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL+"/items", "application/json", nil)
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the client sees a transport error")
	r := l.Report()
	assert.Equal(t, 1, r.Dropped)
	assert.Equal(t, 1, r.Count("POST /items", http.StatusCreated))

	assert.Panics(t, func() { // a recorder cannot be hijacked: the stream is aborted instead
		l.Serve(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil), time.Now, func(_ http.ResponseWriter, r *http.Request) {
			CallInfoFrom(r.Context()).Dropped = true
		})
	})
}

func TestSleepEndsWithTheRequest(t *testing.T) {
	start := time.Now()
	Sleep(t.Context(), 20*time.Millisecond)
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start = time.Now()
	Sleep(ctx, time.Hour)
	assert.Less(t, time.Since(start), time.Second)
}
