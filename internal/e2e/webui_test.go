package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/saasbridge/saasbridge/workflows"
)

// TestWebUIShowsTheOnboarding drives the Temporal Web UI in headless Chromium: an
// operator filters the workflow list by LocationId, finds the location's owner (run to
// its end by an uninstall, so it has a result), opens it and reads its summary,
// current details and input/result, decoded by the starter's codec server.
func TestWebUIShowsTheOnboarding(t *testing.T) {
	s := need(t)
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// Two fresh locations: the filter must show the one and hide the other.
	locs := s.addLocations(ctx, t, 2)
	loc, other := locs[0], locs[1]
	for _, r := range s.onboardAll(ctx, t, locs, withSubscription) {
		require.NoError(t, r.err, "onboard %s", r.loc)
	}
	s.sendEvent(ctx, t, loc, workflows.LocationEvent{EventID: "webui/uninstall", Kind: workflows.EventUninstall, Source: "e2e"})
	wfID := workflows.LocationWorkflowID(loc)
	require.NoError(t, s.temporal.GetWorkflow(ctx, wfID, "").Get(ctx, nil))
	query := fmt.Sprintf("LocationId = '%s'", loc)
	// The list reads visibility, which lags the close a little.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		resp, err := s.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if assert.NoError(c, err) {
			assert.Len(c, resp.Executions, 1)
		}
	}, 30*time.Second, 200*time.Millisecond)

	b := startBrowser(t, chromium, webUIDir())
	ui := "http://127.0.0.1:" + s.uiPort

	// The list, filtered through the UI's own filter: Add Filter → LocationId → value → Apply.
	b.do(t, "open the workflow list", time.Minute,
		chromedp.Navigate(ui+"/namespaces/default/workflows"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="add-filter-button"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-testid="workflows-summary-configurable-table-row"]`)),
	)
	attr := workflows.LocationIDAttr.GetName()
	b.do(t, "add a filter", time.Minute, chromedp.Click(chromedp.CSS(`[data-testid="add-filter-button"]`), chromedp.NodeVisible))
	// The menus open with a transition: their inputs take keys a moment after they show.
	b.retry(t, "search the filter menu for "+attr, time.Minute,
		chromedp.SendKeys(chromedp.CSS(`[data-testid="filter-search"]`), attr, chromedp.NodeVisible))
	b.do(t, "choose "+attr, time.Minute,
		chromedp.Click(chromedp.Search(`//li[@role="menuitem"][.//p[normalize-space()="`+attr+`"]]`), chromedp.NodeVisible))
	b.retry(t, "enter the location id", time.Minute,
		chromedp.SendKeys(chromedp.CSS(`[data-testid^="dropdown-filter-chip-`+attr+`-"][data-testid$="-text"]`), loc, chromedp.NodeVisible))
	b.do(t, "apply the filter", time.Minute, chromedp.Click(chromedp.CSS(`[data-testid="apply-filter-button"]`), chromedp.NodeVisible))
	rows := b.waitText(t, "the filtered list shows only "+wfID, time.Minute,
		`[...document.querySelectorAll('tr[data-testid="workflows-summary-configurable-table-row"]')].map(r => r.innerText).join("\n---\n")`,
		func(text string) bool {
			return strings.Count(text, "\n---\n") == 0 && strings.Contains(text, wfID)
		})
	assert.Contains(t, rows, "Completed")
	assert.Contains(t, rows, workflows.LocationWorkflowType)
	assert.NotContains(t, rows, other, "the filter hides the other location's owner")
	listURL, err := chromedp.Run(b.ctx, chromedp.Location())
	require.NoError(t, err)
	u, err := url.Parse(listURL)
	require.NoError(t, err)
	assert.Contains(t, u.Query().Get("query"), "LocationId", "the filter is in the list's URL")
	assert.Contains(t, u.Query().Get("query"), loc, "the filter is in the list's URL")
	t.Logf("workflow list, filtered (%s): %s", listURL, b.screenshot(t, "workflow-list"))

	// The workflow page, reached by clicking the row's workflow id.
	b.do(t, "open "+wfID, time.Minute,
		chromedp.Click(chromedp.Search(`//tr[@data-testid="workflows-summary-configurable-table-row"]//a[normalize-space()="`+wfID+`"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="workflow-id-heading"]`)),
	)
	// History tab: the input and result, decrypted by the codec server.
	inOut := b.waitText(t, "the input and result, decoded", time.Minute,
		`document.querySelector('[data-testid="input-and-result"]')?.innerText`,
		func(text string) bool {
			return strings.Contains(text, "Input") && strings.Contains(text, "Result") &&
				strings.Count(text, `"locationId": "`+loc+`"`) == 2
		})
	// The top bar's codec indicator turns to success once the codec server decoded the page.
	b.do(t, "see the codec server's success", time.Minute,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="data-encoder-status-success"]`)))
	assert.Contains(t, inOut, `"subscriptionId": "sub_`+loc+`"`)
	assert.Contains(t, inOut, `"saasMode": "saasV2"`)
	assert.Contains(t, inOut, `"phase": "uninstalled"`)
	page := b.pageText(t)
	for _, marker := range encryptedMarkers {
		assert.NotContains(t, page, marker, "the workflow page shows an encrypted payload")
	}
	t.Logf("workflow page, input and result: %s", b.screenshot(t, "workflow"))

	// User Metadata tab: the static summary and details, and the current details
	// (the __temporal_workflow_metadata query, answered by a worker). The UI renders
	// each as Markdown in a same-origin iframe under its heading.
	b.do(t, "open the User Metadata tab", time.Minute,
		chromedp.Click(chromedp.CSS(`[data-testid="user-metadata-tab"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-metadata-summary-heading"]`)),
	)
	var meta map[string]string
	b.waitText(t, "the summary and current details", time.Minute, metadataSectionsJS, func(text string) bool {
		meta = nil
		if json.Unmarshal([]byte(text), &meta) != nil {
			return false
		}
		return meta["Summary"] != "" && meta["Details"] != "" && strings.Contains(meta["Current Details"], "Now:")
	})
	assert.Equal(t, "Location "+loc, strings.TrimSpace(meta["Summary"]), "static summary")
	assert.Contains(t, meta["Details"], "Owns every effect on HighLevel location "+loc, "static details")
	current := meta["Current Details"]
	assert.Contains(t, current, "Location "+loc)
	assert.Contains(t, current, "uninstalled")
	assert.Contains(t, current, "sub_"+loc, "current details: the subscription")
	assert.Contains(t, current, "Now: waiting for events")
	page = b.pageText(t)
	for _, marker := range encryptedMarkers {
		assert.NotContains(t, page, marker, "the User Metadata tab shows an encrypted payload")
	}
	t.Logf("workflow page, summary and current details: %s", b.screenshot(t, "workflow-metadata"))
}

// encryptedMarkers show a payload the UI could not decode: its encoding, as text
// and base64 (how the UI shows an undecoded payload's metadata).
var encryptedMarkers = []string{"binary/encrypted", "YmluYXJ5L2VuY3J5cHRlZA"}

// metadataSectionsJS is, as JSON, the rendered text of each titled Markdown section
// of the User Metadata tab ("Summary", "Details", "Current Details"): the text of
// the first iframe in the smallest element holding both the heading and an iframe.
const metadataSectionsJS = `JSON.stringify(Object.fromEntries([...document.querySelectorAll("h3")].flatMap(h => {
	let el = h;
	while (el && !el.querySelector("iframe")) el = el.parentElement;
	const body = el?.querySelector("iframe")?.contentDocument?.body;
	return body ? [[h.innerText.trim(), body.innerText]] : [];
})))`

// chromiumPath is the Chromium the browser tests drive: scripts/chromium.sh finds it
// (SAASBRIDGE_CHROMIUM, PATH, Debian's paths) or installs Debian's chromium package.
func chromiumPath(t *testing.T) string {
	t.Helper()
	return toolFromScript(t, "chromium.sh", "Chromium", "Install Debian's chromium package or set SAASBRIDGE_CHROMIUM to a Chromium binary")
}

// toolFromScript runs one of scripts/ that prints the path of a tool the tests need
// (installing it when absent, as `make test` does), and returns the path.
func toolFromScript(t *testing.T, script, what, hint string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot(), "scripts", script))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("no %s: scripts/%s failed (%v). %s; `make test` runs the script, which installs it.\n%s",
			what, script, err, hint, tail(strings.TrimSpace(stderr.String()), 4000))
	}
	path := strings.TrimSpace(stdout.String())
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no %s: scripts/%s printed %q: %v\n%s", what, script, path, err, tail(strings.TrimSpace(stderr.String()), 4000))
	}
	return path
}

// browser is one headless Chromium tab; its screenshots and diagnostics go to dir.
type browser struct {
	ctx context.Context
	dir string
}

// webUIDir is where the screenshots go (build/ is git-ignored).
func webUIDir() string { return filepath.Join(repoRoot(), "build", "webui") }

// startBrowser starts a tab whose screenshots and diagnostics go to dir (emptied first).
func startBrowser(t *testing.T, chromium, dir string) *browser {
	t.Helper()
	// Only this run's screenshots and diagnostics: none left over from the last one.
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	logFile, err := os.Create(filepath.Join(dir, "chromium.log"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = logFile.Close() })

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// Without these Chromium phones home, and this machine refuses its connections.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
		chromedp.CombinedOutput(logFile),
	)
	// The browser lives as long as the test: no deadline on its first Run.
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(acancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	b := &browser{ctx: ctx, dir: dir}
	startCtx, startCancel := context.WithTimeout(context.Background(), time.Minute)
	defer startCancel()
	go func() {
		select {
		case <-startCtx.Done():
			if errors.Is(startCtx.Err(), context.DeadlineExceeded) {
				cancel() // a browser that does not start in a minute will not
			}
		case <-ctx.Done():
		}
	}()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v (its output: %s)", chromium, err, logFile.Name())
	}
	startCancel()
	// Registered after the cancels, so it runs before them: the page is still there.
	t.Cleanup(func() {
		if t.Failed() {
			b.dumpPage(t, "failure")
		}
	})
	return b
}

// do runs the steps within timeout, failing the test with what went wrong.
func (b *browser) do(t *testing.T, what string, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("web UI: %s: %v", what, err)
	}
}

// retry runs the steps until they succeed, within timeout: for steps that can fail
// harmlessly while the page settles (keys sent to an input that cannot take focus yet).
func (b *browser) retry(t *testing.T, what string, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	for {
		err := chromedp.Do(ctx, steps...)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("web UI: %s: %v", what, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// waitText evaluates the JavaScript expression (a string) until ok accepts it, and
// returns it; the test fails with the last value after timeout.
func (b *browser) waitText(t *testing.T, what string, timeout time.Duration, expr string, ok func(string) bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	var last string
	var lastErr error
	for {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(`+expr+` ?? "")`))
		if err == nil {
			last, lastErr = v, nil
			if ok(v) {
				return v
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			t.Fatalf("web UI: %s: not within %v (last error: %v); last seen:\n%s", what, timeout, lastErr, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// pageText is the text of the page, iframes aside.
func (b *browser) pageText(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	require.NoError(t, err, "page text")
	return text
}

// screenshot saves a full-page PNG of the tab to name.png and returns its path.
func (b *browser) screenshot(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err, "screenshot %s", name)
	path := filepath.Join(b.dir, name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	return path
}

// dumpPage saves what the tab shows, for diagnosis: a screenshot, the page's text
// and its HTML. Best effort: it logs what it could not save.
func (b *browser) dumpPage(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	where, _ := chromedp.Run(ctx, chromedp.Location())
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Logf("web UI: no screenshot of %s: %v", where, err)
	} else if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		t.Log(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		t.Logf("web UI: no text of %s: %v", where, err)
	}
	// The Markdown sections (summary, details, current details) live in iframes.
	sections, _ := chromedp.Run(ctx, chromedp.Evaluate[string](metadataSectionsJS))
	_ = os.WriteFile(filepath.Join(b.dir, name+".txt"),
		[]byte("URL: "+where+"\n\nMarkdown sections: "+sections+"\n\n"+text), 0o644)
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err == nil {
		_ = os.WriteFile(filepath.Join(b.dir, name+".html"), []byte(html), 0o644)
	}
	t.Logf("web UI at %s saved to %s.{png,txt,html}", where, filepath.Join(b.dir, name))
}
