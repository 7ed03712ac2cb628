package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/workflows"
)

// consoleDir is where the console test's screenshots go (build/ is git-ignored).
func consoleDir() string { return filepath.Join(repoRoot(), "build", "console") }

// parkedMessage is what HighLevel answers the change the console test parks.
const parkedMessage = "The plan is not available for this agency (console test)"

// consoleSeed is an agency of the console test's own, its four locations brought to
// four states by the real flows: active, paused by its billing, uninstalled, and active
// with a change parked on HighLevel's refusal.
type consoleSeed struct {
	company                            string
	active, paused, uninstalled, stuck string
}

func (s *stack) seedConsole(ctx context.Context, t *testing.T) consoleSeed {
	t.Helper()
	agency := s.newAgency(ctx, t, highlevelsim.AgencySpec{Name: "Console Agency", LocationCount: 4})
	s.connectAgency(ctx, t, agency.Agency.ID)
	l := agency.Locations
	seed := consoleSeed{company: agency.Agency.ID, active: l[0].ID, paused: l[1].ID, uninstalled: l[2].ID, stuck: l[3].ID}
	apply := func(loc string, ev workflows.LocationEvent, want string) {
		t.Helper()
		ev.Source, ev.OccurredAt = "console test", time.Now().UTC()
		r, err := workflows.ApplyLocationEvent(ctx, s.temporal, loc, seed.company, ev)
		require.NoError(t, err)
		require.Equal(t, want, r.Outcome.Outcome, "%s of %s: %s", ev.Kind, loc, r.Outcome.Message)
	}
	for _, loc := range []string{seed.active, seed.paused, seed.uninstalled, seed.stuck} {
		apply(loc, workflows.LocationEvent{EventID: "console/install", Kind: workflows.EventInstall, SubscriptionID: "sub_" + loc, CustomerID: "cus_" + loc}, "applied")
	}
	apply(seed.paused, workflows.LocationEvent{EventID: "console/unpaid", Kind: workflows.EventChange, SubscriptionID: "sub_" + seed.paused,
		CustomerID: "cus_" + seed.paused, Status: "unpaid"}, "applied")
	apply(seed.uninstalled, workflows.LocationEvent{EventID: "console/uninstall", Kind: workflows.EventUninstall}, "applied")
	require.NoError(t, s.admin.AddFaultRule(ctx, highlevelsim.Rule{Endpoint: highlevel.EndpointUpdateSubscription, LocationID: seed.stuck,
		Status: 422, Message: parkedMessage, Times: 1}))
	apply(seed.stuck, workflows.LocationEvent{EventID: "console/refused", Kind: workflows.EventChange, SubscriptionID: "sub_new_" + seed.stuck,
		CustomerID: "cus_" + seed.stuck}, "parked")
	return seed
}

// rowsJS is, as JSON, the rows of the console's list: location → "phase/status/attention".
const rowsJS = `JSON.stringify(Object.fromEntries([...document.querySelectorAll("tr[data-location]")].map(r =>
	[r.dataset.location, r.dataset.phase + "/" + r.dataset.status + "/" + r.dataset.attention])))`

// TestConsoleShowsTheLocations drives the location console in headless Chromium: the
// agency filter narrows the list to the test's seeded locations, each with its phase and
// status; the needs-attention filter narrows it to the one with a parked event, which
// shows HighLevel's message; its re-drive button applies the event; the list follows a
// change made meanwhile without a reload; a location's page shows its audit timeline.
// Screenshots go to build/console.
func TestConsoleShowsTheLocations(t *testing.T) {
	s := need(t)
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	seed := s.seedConsole(ctx, t)

	b := startBrowser(t, chromium, consoleDir())
	b.do(t, "open the console", time.Minute,
		chromedp.Navigate(s.operatorURL+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`#filter-agency`)))
	b.do(t, "filter by the test's agency", time.Minute,
		chromedp.SetValue(chromedp.CSS(`#filter-agency`), seed.company),
		chromedp.Click(chromedp.CSS(`#apply-filters`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-location="`+seed.stuck+`"]`)))
	rows := consoleRows(t, b, func(r map[string]string) bool { return len(r) == 4 })
	assert.Equal(t, map[string]string{
		seed.active: "active/active/", seed.paused: "paused/paused/", seed.uninstalled: "uninstalled/active/", seed.stuck: "active/active/parked",
	}, rows)
	page := b.pageText(t)
	assert.Contains(t, page, "1–4 of 4 locations")
	assert.Contains(t, page, parkedMessage, "the parked event shows HighLevel's message")
	t.Logf("console, one agency: %s", b.screenshot(t, "list-agency"))

	b.do(t, "narrow to what needs attention", time.Minute,
		chromedp.Click(chromedp.CSS(`#filter-attention`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`#apply-filters`), chromedp.NodeVisible),
		chromedp.WaitNotPresent(chromedp.CSS(`tr[data-location="`+seed.active+`"]`)))
	rows = consoleRows(t, b, func(r map[string]string) bool { return len(r) == 1 })
	assert.Equal(t, map[string]string{seed.stuck: "active/active/parked"}, rows)
	listURL, err := chromedp.Run(b.ctx, chromedp.Location())
	require.NoError(t, err)
	u, err := url.Parse(listURL)
	require.NoError(t, err)
	assert.Equal(t, seed.company, u.Query().Get("agency"))
	assert.Equal(t, "1", u.Query().Get("attention"))
	t.Logf("console, needs attention: %s", b.screenshot(t, "list-attention"))

	b.do(t, "re-drive the parked event", time.Minute,
		chromedp.Click(chromedp.CSS(`li.parked[data-event="console/refused"] button.redrive`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#flash`)))
	flash := b.waitText(t, "the re-drive's outcome", time.Minute, `document.querySelector("#flash")?.innerText`,
		func(text string) bool { return strings.Contains(text, "console/refused") })
	assert.Contains(t, flash, "applied")
	rows = consoleRows(t, b, func(r map[string]string) bool { return len(r) == 0 })
	assert.Empty(t, rows, "nothing of the agency needs attention any more")
	t.Logf("console, after the re-drive: %s", b.screenshot(t, "redriven"))

	// Live: the agency's list follows a change it did not make, without a reload.
	b.do(t, "back to the agency's list", time.Minute,
		chromedp.Navigate(s.operatorURL+"/console?agency="+url.QueryEscape(seed.company)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-location="`+seed.paused+`"]`)))
	_, err = workflows.ApplyLocationEvent(ctx, s.temporal, seed.paused, seed.company, workflows.LocationEvent{EventID: "console/active-again",
		Kind: workflows.EventChange, Source: "console test", OccurredAt: time.Now().UTC(), SubscriptionID: "sub_" + seed.paused,
		CustomerID: "cus_" + seed.paused, Status: "active"})
	require.NoError(t, err)
	consoleRows(t, b, func(r map[string]string) bool { return r[seed.paused] == "active/active/" })
	refreshed := b.waitText(t, "a live refresh", 10*time.Second, `document.body.dataset.refreshed`, func(v string) bool { return v != "" })
	assert.NotEmpty(t, refreshed)

	s.consoleLocationPage(t, b, seed)
}

// consoleLocationPage opens a location's page from the list and reads its timeline.
func (s *stack) consoleLocationPage(t *testing.T, b *browser, seed consoleSeed) {
	t.Helper()
	b.do(t, "open the stuck location's page", time.Minute,
		chromedp.Click(chromedp.CSS(`tr[data-location="`+seed.stuck+`"] a.name`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#timeline`)))
	kinds := b.waitText(t, "the audit timeline", time.Minute,
		`JSON.stringify([...document.querySelectorAll("#timeline li")].map(li => li.dataset.kind + "/" + li.dataset.action))`,
		func(text string) bool {
			return strings.Contains(text, "subscription/parked") && strings.Contains(text, "actionstep/created") && strings.Contains(text, "call/POST")
		})
	var entries []string
	require.NoError(t, json.Unmarshal([]byte(kinds), &entries))
	assert.Contains(t, entries, "credential/minted")
	assert.Contains(t, entries, "lifecycle/applied")
	page := b.pageText(t)
	assert.Contains(t, page, "change console/refused from console test: parked")
	assert.Contains(t, page, parkedMessage)
	links := b.waitText(t, "the owner's link", 10*time.Second, `document.querySelector("a.owner-link")?.href`, func(v string) bool { return v != "" })
	assert.Contains(t, links, "/namespaces/default/workflows/"+url.PathEscape(workflows.LocationWorkflowID(seed.stuck)))
	t.Logf("console, a location's page and timeline: %s", b.screenshot(t, "location"))
}

// consoleRows waits until the list's rows satisfy ok, and returns them.
func consoleRows(t *testing.T, b *browser, ok func(map[string]string) bool) map[string]string {
	t.Helper()
	var rows map[string]string
	b.waitText(t, "the console's rows", time.Minute, rowsJS, func(text string) bool {
		rows = nil
		if err := json.Unmarshal([]byte(text), &rows); err != nil {
			return false
		}
		return ok(rows)
	})
	return rows
}
