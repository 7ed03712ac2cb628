package console_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/console"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/storetest"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

var at = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// fixture is the console over a real store, with a re-drive that records its calls and
// applies the event in the facts as the owner would.
type fixture struct {
	srv      *httptest.Server
	facts    *facts.Store
	mu       sync.Mutex
	redriven []string
	done     chan struct{}
}

func newFixture(t *testing.T, dsn string) *fixture {
	t.Helper()
	ts, err := tokens.Open(t.Context(), dsn, bytes.Repeat([]byte{1}, tokens.KeySize))
	require.NoError(t, err)
	t.Cleanup(func() { _ = ts.Close() })
	f := &fixture{facts: facts.New(ts.DB()), done: make(chan struct{})}
	h, err := console.Handler(console.Config{
		DB: ts.DB(),
		Redrive: func(ctx context.Context, loc, event string) (console.Outcome, error) {
			f.mu.Lock()
			f.redriven = append(f.redriven, loc+"/"+event)
			f.mu.Unlock()
			if event == "gone" {
				return console.Outcome{}, errors.New("no longer parked")
			}
			l, _, err := f.facts.Location(ctx, loc)
			if err != nil {
				return console.Outcome{}, err
			}
			l.Attention, l.Parked = "", 0
			return console.Outcome{Outcome: "applied"}, f.facts.Record(ctx, l, &facts.Event{EventID: event, Kind: "change", OccurredAt: at, Outcome: facts.OutcomeApplied})
		},
		Links: console.Links{TemporalUI: "http://ui.example:8233/", Namespace: "default", ActionstepMatter: "https://as.example/matters/{matterId}",
			WorkflowID: func(loc string) string { return "location/" + loc }},
		Done: f.done, Poll: 20 * time.Millisecond,
	})
	require.NoError(t, err)
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.done) })
	return f
}

// seed records a set of locations in every phase, one with a parked event whose message
// is hostile HTML.
func (f *fixture) seed(t *testing.T) {
	t.Helper()
	for i, l := range []facts.Location{
		{LocationID: "locActive", CompanyID: "co1", Name: "Bright Smiles", Phase: facts.PhaseActive, Status: "active", PlanID: "gold", MatterID: "m1"},
		{LocationID: "locPaused", CompanyID: "co1", Name: "Paws", Phase: facts.PhaseActive, Status: "paused", Paused: true},
		{LocationID: "locOnb", CompanyID: "co2", Name: "Fresh", Phase: facts.PhaseOnboarding, Step: "enable-saas"},
		{LocationID: "locGone", CompanyID: "co2", Name: "Gone", Phase: facts.PhaseUninstalled},
	} {
		l.LastEventID, l.LastEventAt = fmt.Sprintf("e%d", i), at.Add(time.Duration(i)*time.Minute)
		require.NoError(t, f.facts.Record(t.Context(), l, &facts.Event{EventID: l.LastEventID, Kind: "install", OccurredAt: at, Outcome: facts.OutcomeApplied}))
	}
	stuck := facts.Location{LocationID: "locStuck", CompanyID: "co2", Name: "Stuck <b>Co</b>", InitialPlan: "none: the install carries no plan", Phase: facts.PhaseActive, Status: "active",
		Attention: "parked", Parked: 1, LastEventID: "bad", LastEventAt: at}
	require.NoError(t, f.facts.Record(t.Context(), stuck, &facts.Event{EventID: "bad", Kind: "change", Source: "billing", OccurredAt: at,
		Outcome: facts.OutcomeParked, Message: `HighLevel 422: <script>alert(1)</script> plan "x" unknown`}))
}

func (f *fixture) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

var rowRE = regexp.MustCompile(`<tr data-location="([^"]+)" data-phase="([^"]*)" data-status="([^"]*)"`)

// rows is what the list shows: location → phase/status.
func rows(html string) map[string]string {
	out := map[string]string{}
	for _, m := range rowRE.FindAllStringSubmatch(html, -1) {
		out[m[1]] = m[2] + "/" + m[3]
	}
	return out
}

func TestListShowsPhasesAndFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		f.seed(t)
		status, body := f.get(t, "/console")
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, map[string]string{"locActive": "active/active", "locPaused": "paused/paused", "locOnb": "onboarding/",
			"locGone": "uninstalled/", "locStuck": "active/active"}, rows(body))
		assert.Contains(t, body, "onboarding: enable-saas")
		assert.Contains(t, body, `href="http://ui.example:8233/namespaces/default/workflows/location%2FlocActive"`)
		assert.Contains(t, body, `href="https://as.example/matters/m1"`)
		assert.Less(t, strings.Index(body, `data-location="locStuck"`), strings.Index(body, `data-location="locActive"`), "attention first")
		// The API's message is shown, escaped.
		assert.Contains(t, body, `HighLevel 422: &lt;script&gt;alert(1)&lt;/script&gt; plan &#34;x&#34; unknown`)
		assert.NotContains(t, body, "<script>alert")
		assert.Contains(t, body, "Stuck &lt;b&gt;Co&lt;/b&gt;")
		assert.Contains(t, body, `data-count="attention">1<`)

		for query, want := range map[string][]string{
			"phase=paused":              {"locPaused"},
			"phase=active":              {"locActive", "locStuck"},
			"agency=co1":                {"locActive", "locPaused"},
			"attention=1":               {"locStuck"},
			"status=paused":             {"locPaused"},
			"q=smiles":                  {"locActive"},
			"q=LOCGONE":                 {"locGone"},
			"agency=co2&phase=active":   {"locStuck"},
			"phase=offboarding":         {},
			"q=" + url.QueryEscape("%"): {},
		} {
			_, body := f.get(t, "/console?"+query)
			var got []string
			for loc := range rows(body) {
				got = append(got, loc)
			}
			assert.ElementsMatch(t, want, got, query)
		}
	})
}

func TestPagesCoverEveryLocationOnce(t *testing.T) {
	f := newFixture(t, storetest.Engines[0].Fresh(t))
	for i := range 250 {
		require.NoError(t, f.facts.Record(t.Context(), facts.Location{LocationID: fmt.Sprintf("loc%03d", i), CompanyID: "co", Phase: facts.PhaseActive,
			LastEventAt: at.Add(time.Duration(i) * time.Second)}, nil))
	}
	seen := map[string]bool{}
	next := "/console"
	for pages := 0; next != ""; pages++ {
		require.Less(t, pages, 4)
		_, body := f.get(t, next)
		for loc := range rows(body) {
			assert.False(t, seen[loc], "%s twice", loc)
			seen[loc] = true
		}
		next = ""
		if m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	assert.Len(t, seen, 250)
	_, body := f.get(t, "/console?page=3")
	assert.Contains(t, body, "201–250 of 250 locations")
}

// TestRedriveResolvesAParkedEvent: the button's form re-drives the event through the
// configured function, sends the operator back with its outcome, and the event is gone
// from the list. A form without the page's token, or posted from another origin, is
// refused and re-drives nothing.
func TestRedriveResolvesAParkedEvent(t *testing.T) {
	f := newFixture(t, storetest.Engines[0].Fresh(t))
	f.seed(t)
	_, body := f.get(t, "/console/locations/locStuck")
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	require.NotNil(t, csrf, body)

	post := func(form url.Values, origin string) (status int, location string) {
		req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/console/locations/locStuck/redrive", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	for name, form := range map[string]url.Values{
		"no token":              {"event": {"bad"}},
		"another event's token": {"event": {"other"}, "csrf": {csrf[1]}},
	} {
		status, _ := post(form, "")
		assert.Equal(t, http.StatusForbidden, status, name)
	}
	status, _ := post(url.Values{"event": {"bad"}, "csrf": {csrf[1]}}, "https://evil.example")
	assert.Equal(t, http.StatusForbidden, status, "another origin")
	assert.Empty(t, f.redriven)

	status, where := post(url.Values{"event": {"bad"}, "csrf": {csrf[1]}, "back": {"/console?attention=1"}}, f.srv.URL)
	require.Equal(t, http.StatusSeeOther, status)
	loc, err := url.Parse(where)
	require.NoError(t, err)
	assert.Equal(t, "/console", loc.Path)
	assert.Equal(t, "1", loc.Query().Get("attention"))
	assert.Equal(t, []string{"locStuck/bad"}, f.redriven)
	_, body = f.get(t, loc.RequestURI())
	assert.Contains(t, body, "Re-drove <code>bad</code>: applied")
	assert.Empty(t, rows(body), "nothing needs attention any more")

	_, where = post(url.Values{"event": {"bad"}, "csrf": {csrf[1]}, "back": {"https://evil.example/"}}, "")
	assert.Equal(t, "/console/locations/locStuck", strings.SplitN(where, "?", 2)[0], "never sent off the console")
}

// TestLocationPage: a location's facts, events and audit timeline (its install and the
// change it parked); an unknown location is a 404.
func TestLocationPage(t *testing.T) {
	f := newFixture(t, storetest.Engines[0].Fresh(t))
	f.seed(t)
	status, body := f.get(t, "/console/locations/locStuck")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `data-phase="active" data-status="active"`)
	assert.Contains(t, body, `<li class="entry kind-subscription" data-kind="subscription" data-action="parked"`)
	assert.Contains(t, body, "change bad from billing: parked; subscription none → active")
	assert.Contains(t, body, `class="redrive"`)
	assert.Contains(t, body, "<dt>Initial subscription</dt><dd>none: the install carries no plan</dd>", "what the onboarding did about the initial subscription")
	status, _ = f.get(t, "/console/locations/nowhere")
	assert.Equal(t, http.StatusNotFound, status)
}

// TestHeaders: the console's answers forbid foreign scripts and framing.
func TestHeaders(t *testing.T) {
	f := newFixture(t, storetest.Engines[0].Fresh(t))
	resp, err := http.Get(f.srv.URL + "/console")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	resp, err = http.Get(f.srv.URL + "/console/static/console.js")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestStreamTellsOfChanges: the live stream says "change" once a location is recorded
// after the version the page was rendered at, and only then; the page's live part comes
// alone when asked for.
func TestStreamTellsOfChanges(t *testing.T) {
	f := newFixture(t, storetest.Engines[0].Fresh(t))
	f.seed(t)
	_, page := f.get(t, "/console")
	stream := regexp.MustCompile(`data-stream="([^"]+)"`).FindStringSubmatch(page)
	require.NotNil(t, stream)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+strings.ReplaceAll(stream[1], "&amp;", "&"), nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	events := make(chan string, 10)
	go scanEvents(resp.Body, events)
	select {
	case e := <-events:
		t.Fatalf("%s before anything changed", e)
	case <-time.After(200 * time.Millisecond):
	}
	require.NoError(t, f.facts.Record(t.Context(), facts.Location{LocationID: "locNew", CompanyID: "co1", Phase: facts.PhaseNew}, nil))
	select {
	case e := <-events:
		assert.Equal(t, "event: change", e)
	case <-time.After(5 * time.Second):
		t.Fatal("no change event")
	}
	_, live := f.get(t, "/console?fragment=1")
	assert.NotContains(t, live, "<html")
	assert.Contains(t, live, `data-location="locNew"`)
}

// scanEvents passes on the event lines of a stream.
func scanEvents(body io.Reader, events chan<- string) {
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "event: ") {
			events <- sc.Text()
		}
	}
}
