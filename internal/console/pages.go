package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/facts"
)

// phases the list filters on, in the order it offers them.
var phases = []string{facts.PhaseNew, facts.PhaseOnboarding, facts.PhaseActive, facts.PhasePaused, facts.PhaseOffboarding, facts.PhaseUninstalled}

// row is one location as the console shows it.
type row struct {
	facts.Location
	Phase     string // the phase shown: "paused" for an active location its billing paused
	PhaseText string // with the onboarding step
	Parked    []parked
	OwnerURL  string
	MatterURL string
	PageURL   string
}

// parked is a parked event with the form that re-drives it.
type parked struct {
	facts.Event
	CSRF string
}

func (h *handler) row(l facts.Location, events []facts.Event) row {
	r := row{Location: l, Phase: l.Phase, PhaseText: l.Phase, PageURL: "/console/locations/" + url.PathEscape(l.LocationID)}
	switch {
	case l.Phase == facts.PhaseActive && l.Paused:
		r.Phase, r.PhaseText = facts.PhasePaused, facts.PhasePaused
	case l.Phase == facts.PhaseOnboarding && l.Step != "":
		r.PhaseText = "onboarding: " + l.Step
	}
	for _, e := range events {
		r.Parked = append(r.Parked, parked{Event: e, CSRF: h.csrf(l.LocationID, e.EventID)})
	}
	r.OwnerURL, r.MatterURL = h.ownerURL(l.LocationID, ""), h.matterURL(l.MatterID)
	return r
}

// ownerURL is the owner's page in the Temporal Web UI (a run's, given one).
func (h *handler) ownerURL(locationID, runID string) string {
	l := h.cfg.Links
	if l.TemporalUI == "" || l.WorkflowID == nil {
		return ""
	}
	u := strings.TrimRight(l.TemporalUI, "/") + "/namespaces/" + url.PathEscape(l.Namespace) + "/workflows/" + url.PathEscape(l.WorkflowID(locationID))
	if runID != "" {
		u += "/" + url.PathEscape(runID) + "/history"
	}
	return u
}

func (h *handler) matterURL(matterID string) string {
	if matterID == "" || h.cfg.Links.ActionstepMatter == "" {
		return ""
	}
	return strings.ReplaceAll(h.cfg.Links.ActionstepMatter, "{matterId}", url.PathEscape(matterID))
}

// listPage is what the list shows.
type listPage struct {
	Query    facts.Query
	Page     int
	Summary  facts.Summary
	Rows     []row
	Total    int
	From, To int
	Prev     string
	Next     string
	Phases   []string
	Flash    flash
	Stream   string
	Self     string
	Rendered time.Time
}

// flash reports a re-drive the page was sent back from.
type flash struct{ Event, Outcome string }

func flashOf(r *http.Request) flash {
	q := r.URL.Query()
	return flash{Event: q.Get("redriven"), Outcome: q.Get("outcome")}
}

// list is the console's front page.
func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	q, pageNo := h.query(r)
	ctx := r.Context()
	version, err := h.version(ctx, "")
	if err != nil {
		h.fail(w, "read the version", err)
		return
	}
	p, err := h.facts.List(ctx, q)
	if err != nil {
		h.fail(w, "list locations", err)
		return
	}
	sum, err := h.facts.Summarize(ctx)
	if err != nil {
		h.fail(w, "summarize locations", err)
		return
	}
	rows, err := h.rows(r, p.Locations)
	if err != nil {
		h.fail(w, "read parked events", err)
		return
	}
	data := listPage{Query: q, Page: pageNo, Summary: sum, Rows: rows, Total: p.Total, Phases: phases, Flash: flashOf(r),
		Self: r.URL.RequestURI(), Stream: "/console/stream?since=" + url.QueryEscape(version), Rendered: time.Now()}
	if len(rows) > 0 {
		data.From, data.To = q.Offset+1, q.Offset+len(rows)
	}
	if pageNo > 1 {
		data.Prev = pageURL(r, pageNo-1)
	}
	if q.Offset+len(rows) < p.Total {
		data.Next = pageURL(r, pageNo+1)
	}
	h.render(w, r, "list", data)
}

// query reads the list's filters from the URL.
func (h *handler) query(r *http.Request) (facts.Query, int) {
	v := r.URL.Query()
	q := facts.Query{Phase: v.Get("phase"), Status: v.Get("status"), CompanyID: v.Get("agency"),
		Attention: v.Get("attention") == "1", Search: v.Get("q"), Limit: h.cfg.PageSize}
	page, _ := strconv.Atoi(v.Get("page"))
	page = max(page, 1)
	q.Offset = (page - 1) * q.Limit
	return q, page
}

func pageURL(r *http.Request, page int) string {
	v := r.URL.Query()
	v.Set("page", strconv.Itoa(page))
	v.Del("fragment")
	v.Del("redriven")
	v.Del("outcome")
	return "/console?" + v.Encode()
}

// rows makes the page's rows, with the parked events of those that have some, read at
// once.
func (h *handler) rows(r *http.Request, locs []facts.Location) ([]row, error) {
	var ids []string
	for _, l := range locs {
		if l.Parked > 0 {
			ids = append(ids, l.LocationID)
		}
	}
	events, err := h.facts.Parked(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	out := make([]row, len(locs))
	for i, l := range locs {
		out[i] = h.row(l, events[l.LocationID])
	}
	return out, nil
}

// locationPage is what a location's page shows.
type locationPage struct {
	Row      row
	Found    bool
	ID       string
	Events   []facts.Event
	Timeline []timelineEntry
	Flash    flash
	Stream   string
	Self     string
	Rendered time.Time
}

// timelineEntry is an audit entry as the timeline shows it.
type timelineEntry struct {
	audit.Entry
	Text   string
	RunURL string
}

// timelineLength is how many audit entries a location's page shows, newest first.
const timelineLength = 300

// location is one location's page: its facts, parked events, last events and audit
// timeline.
func (h *handler) location(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ctx := r.Context()
	version, err := h.version(ctx, id)
	if err != nil {
		h.fail(w, "read the version", err)
		return
	}
	loc, found, err := h.facts.Location(ctx, id)
	if err != nil {
		h.fail(w, "read the location", err)
		return
	}
	data := locationPage{ID: id, Found: found, Flash: flashOf(r), Self: r.URL.Path, Rendered: time.Now(),
		Stream: "/console/stream?location=" + url.QueryEscape(id) + "&since=" + url.QueryEscape(version)}
	rows, err := h.rows(r, []facts.Location{loc})
	if err != nil {
		h.fail(w, "read parked events", err)
		return
	}
	data.Row = rows[0]
	if data.Events, err = h.facts.Events(ctx, id, 50); err != nil {
		h.fail(w, "read events", err)
		return
	}
	err = audit.Query(ctx, h.cfg.DB, audit.Filter{LocationID: id, Newest: true, Limit: timelineLength}, func(e audit.Entry) error {
		data.Timeline = append(data.Timeline, timelineEntry{Entry: e, Text: describe(e), RunURL: h.runURL(e)})
		return nil
	})
	if err != nil {
		h.fail(w, "read the audit trail", err)
		return
	}
	if !found && len(data.Timeline) == 0 {
		w.WriteHeader(http.StatusNotFound)
	}
	h.render(w, r, "location", data)
}

// runURL is the Web UI's page of the run an entry was made in, when its location's
// owner made it.
func (h *handler) runURL(e audit.Entry) string {
	if e.RunID == "" || e.LocationID == "" || h.cfg.Links.WorkflowID == nil || h.cfg.Links.WorkflowID(e.LocationID) != e.WorkflowID {
		return ""
	}
	return h.ownerURL(e.LocationID, e.RunID)
}

// describe says what an audit entry records, in a line.
func describe(e audit.Entry) string {
	d := e.Detail
	switch e.Kind {
	case audit.KindCall:
		status := "no answer"
		if d.Status != 0 {
			status = strconv.Itoa(d.Status)
		}
		return fmt.Sprintf("%s %s %s → %s in %s ms", d.API, e.Action, d.Endpoint, status, strconv.FormatFloat(d.DurationMs, 'f', 0, 64))
	case audit.KindCredential:
		s := fmt.Sprintf("%s %s", d.Credential, e.Action)
		if d.Version > 0 {
			s += fmt.Sprintf(" (version %d)", d.Version)
		}
		return withReason(s, d.Reason)
	case audit.KindSubscription, audit.KindLifecycle:
		s := fmt.Sprintf("%s %s from %s: %s", d.EventKind, d.EventID, orDash(d.Source), e.Action)
		if d.From != nil && d.To != nil {
			s += fmt.Sprintf("; subscription %s → %s", d.From, d.To)
		}
		return withReason(s, d.Message)
	case audit.KindActionstep:
		return withReason(fmt.Sprintf("Actionstep %s %s %s", d.Record, d.RecordID, e.Action), d.Reason)
	case audit.KindCheckpoint:
		if c := d.Checkpoint; c != nil {
			return fmt.Sprintf("checkpoint: %d call entries up to %d pruned", c.Pruned, c.Through)
		}
	}
	return e.Kind + " " + e.Action
}

func withReason(s, reason string) string {
	if reason == "" {
		return s
	}
	return s + " — " + reason
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		d := time.Since(t).Round(time.Second)
		switch {
		case d < time.Minute:
			return fmt.Sprintf("%ds ago", int(d.Seconds()))
		case d < time.Hour:
			return fmt.Sprintf("%dm ago", int(d.Minutes()))
		case d < 48*time.Hour:
			return fmt.Sprintf("%dh ago", int(d.Hours()))
		}
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	},
	"dash": orDash,
	"filter": func(q facts.Query, key, value string) string {
		v := url.Values{}
		for k, x := range map[string]string{"phase": q.Phase, "status": q.Status, "agency": q.CompanyID, "q": q.Search} {
			if x != "" {
				v.Set(k, x)
			}
		}
		if q.Attention {
			v.Set("attention", "1")
		}
		if value == "" {
			v.Del(key)
		} else {
			v.Set(key, value)
		}
		return "/console?" + v.Encode()
	},
}
