// Package console is the location console on the starter's operator listener
// (/console): every location with its name and id, lifecycle phase, subscription, last
// event, and the events parked for an operator with the API's message and a re-drive
// button; filters, search and paging; a page per location with its audit timeline; live
// updates over server-sent events. It reads the owners' facts and the audit trail from
// the store's database, server-rendered with html/template: no JavaScript build, one
// small script for the live updates.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/facts"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Outcome is how a re-driven event ended.
type Outcome struct {
	Outcome, Message string
}

// Config is what the console reads, and how it reaches further.
type Config struct {
	// DB is the store's database: the owners' facts and the audit trail.
	DB *sql.DB
	// Redrive applies a parked event again and waits for its outcome: the same code as
	// `starter events redrive` (workflows.ResolveParked).
	Redrive func(ctx context.Context, locationID, eventID string) (Outcome, error)
	Links   Links
	// Done ends the live streams (the server is shutting down).
	Done <-chan struct{}
	// PageSize is how many locations a page lists (default 100); Poll how often a live
	// stream looks for changes (default 1 s).
	PageSize int
	Poll     time.Duration
	Logger   *zap.Logger
}

// Links are where the console sends an operator for more.
type Links struct {
	// TemporalUI is the Web UI's base URL, Namespace the owners' namespace.
	TemporalUI, Namespace string
	// ActionstepMatter is a matter's page, with {matterId} where its id goes.
	ActionstepMatter string
	// WorkflowID is a location's owner's workflow id (workflows.LocationWorkflowID).
	WorkflowID func(locationID string) string
}

// Handler serves the console under /console. Mount it behind the operator listener's
// authentication.
func Handler(cfg Config) (http.Handler, error) {
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	tpl, err := template.New("console").Funcs(funcs).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	h := &handler{cfg: cfg, facts: facts.New(cfg.DB), tpl: tpl, csrfKey: key}
	static, _ := fs.Sub(assets, "static")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console", h.list)
	mux.HandleFunc("GET /console/{$}", h.list)
	mux.HandleFunc("GET /console/locations/{id}", h.location)
	mux.HandleFunc("POST /console/locations/{id}/redrive", h.redrive)
	mux.HandleFunc("GET /console/stream", h.stream)
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	return secured(mux), nil
}

type handler struct {
	cfg     Config
	facts   *facts.Store
	tpl     *template.Template
	csrfKey []byte
}

// secured sets the headers every console answer carries: nothing but its own scripts,
// styles and forms, never framed, never cached.
func secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// render writes a page, or only its live part when the page's script asks for it.
func (h *handler) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	if r.URL.Query().Get("fragment") == "1" {
		name += "-live"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := h.tpl.ExecuteTemplate(w, name, data); err != nil {
		h.cfg.Logger.Warn("console: render", zap.String("page", name), zap.Error(err))
	}
}

func (h *handler) fail(w http.ResponseWriter, what string, err error) {
	h.cfg.Logger.Error("console: "+what, zap.Error(err))
	http.Error(w, "the console could not read the store: see the starter's log", http.StatusInternalServerError)
}

// csrf is the token a re-drive form carries: the operator listener authenticates by
// header, which a browser sends along with a form another site posts.
func (h *handler) csrf(locationID, eventID string) string {
	m := hmac.New(sha256.New, h.csrfKey)
	m.Write([]byte("redrive\x00" + locationID + "\x00" + eventID))
	return hex.EncodeToString(m.Sum(nil))
}

// redrive applies a parked event again, then sends the operator back where the form was.
func (h *handler) redrive(w http.ResponseWriter, r *http.Request) {
	loc, event := r.PathValue("id"), r.PostFormValue("event")
	got, err := hex.DecodeString(r.PostFormValue("csrf"))
	if event == "" || err != nil || !hmac.Equal(got, mustHex(h.csrf(loc, event))) || !sameOrigin(r) {
		http.Error(w, "this re-drive was not asked for from the console: reload the page and press the button again", http.StatusForbidden)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	out, err := h.cfg.Redrive(ctx, loc, event)
	flash := url.Values{"redriven": {event}}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		flash.Set("outcome", "still applying (it goes on in the location's owner)")
	case err != nil:
		h.cfg.Logger.Warn("console: re-drive", zap.String("locationId", loc), zap.String("eventId", event), zap.Error(err))
		flash.Set("outcome", "not re-driven: "+err.Error())
	default:
		flash.Set("outcome", strings.TrimSuffix(out.Outcome+": "+out.Message, ": "))
	}
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/console") || strings.HasPrefix(back, "//") {
		back = "/console/locations/" + url.PathEscape(loc)
	}
	u, _ := url.Parse(back)
	q := u.Query()
	for k, v := range flash {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

// sameOrigin refuses a form posted from another origin, when the browser says where it
// came from.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		return err == nil && u.Host == r.Host
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "" || site == "same-origin" || site == "none"
}

// stream tells the page, over server-sent events, each time what it shows has changed:
// the facts of every location (the list) or of one, and its audit trail. The page then
// fetches its live part again. A stream lasts 10 minutes; the browser reconnects.
func (h *handler) stream(w http.ResponseWriter, r *http.Request) {
	loc, since := r.URL.Query().Get("location"), r.URL.Query().Get("since")
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(11 * time.Minute)) // beyond the server's WriteTimeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	fmt.Fprint(w, "retry: 2000\n\n")
	_ = rc.Flush()
	end := time.After(10 * time.Minute)
	tick := time.NewTicker(h.cfg.Poll)
	defer tick.Stop()
	last := since
	for {
		v, err := h.version(r.Context(), loc)
		if err == nil && v != last {
			if _, err := fmt.Fprintf(w, "event: change\ndata: %s\n\n", v); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			last = v
		}
		select {
		case <-r.Context().Done():
			return
		case <-h.cfg.Done:
			return
		case <-end:
			return
		case <-tick.C:
		}
	}
}

// version changes whenever what a page shows does.
func (h *handler) version(ctx context.Context, loc string) (string, error) {
	v, err := h.facts.Version(ctx, loc)
	if err != nil || loc == "" {
		return v, err
	}
	seq, err := audit.LastSeq(ctx, h.cfg.DB, loc)
	return v + "." + strconv.FormatInt(seq, 10), err
}
