package highlevelsim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// Webhook event types the simulator emits (reference §5.2–5.4).
const (
	EventInstall        = "INSTALL"
	EventUninstall      = "UNINSTALL"
	EventLocationCreate = "LocationCreate"
	EventLocationUpdate = "LocationUpdate"
)

var webhookEventTypes = []string{EventInstall, EventUninstall, EventLocationCreate, EventLocationUpdate}

// Install types of the INSTALL event. Only "Location" appears in
// HighLevel's samples; "Company" for agency installs is the reference's
// inference (§5.2).
const (
	installTypeLocation = "Location"
	installTypeCompany  = "Company"
)

// WebhookSendRequest asks for one event built from current state. On the
// wire it is flat: {"type", "locationId"?, "companyId"?, ...overrides}.
//
// INSTALL and UNINSTALL take the location form when LocationID is set and
// the agency form when only CompanyID is; LocationCreate and LocationUpdate
// need LocationID. A CompanyID given with a LocationID must be the
// location's company.
type WebhookSendRequest struct {
	Type       string `json:"type"`
	LocationID string `json:"locationId,omitempty"`
	CompanyID  string `json:"companyId,omitempty"`
	// Overrides replace payload members in place or add new ones (before
	// timestamp and webhookId); a nil value (JSON null) removes the member.
	// "timestamp" and "webhookId" can be overridden too, to test stale and
	// duplicate events. "type", "locationId" and "companyId" are selectors
	// and cannot be overridden.
	Overrides map[string]any `json:"-"`
}

// selectorKeys are WebhookSendRequest's own members.
var selectorKeys = []string{"type", "locationId", "companyId"}

// MarshalJSON writes the flat wire form; selectors among the overrides
// are an error, as they would be lost.
func (r WebhookSendRequest) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(r.Overrides)+3)
	for k, v := range r.Overrides {
		if slices.Contains(selectorKeys, k) {
			return nil, fmt.Errorf("highlevelsim: %s is a selector and cannot be overridden", k)
		}
		m[k] = v
	}
	m["type"] = r.Type
	if r.LocationID != "" {
		m["locationId"] = r.LocationID
	}
	if r.CompanyID != "" {
		m["companyId"] = r.CompanyID
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads the flat wire form: every member other than the
// selectors is an override.
func (r *WebhookSendRequest) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*r = WebhookSendRequest{}
	for k, v := range m {
		var err error
		switch k {
		case "type":
			err = json.Unmarshal(v, &r.Type)
		case "locationId":
			err = json.Unmarshal(v, &r.LocationID)
		case "companyId":
			err = json.Unmarshal(v, &r.CompanyID)
		default:
			// Decoded rather than kept raw, so that the payload is written
			// in one canonical form whatever escaping the client used;
			// numbers keep their literal text.
			if r.Overrides == nil {
				r.Overrides = map[string]any{}
			}
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			var val any
			err = dec.Decode(&val)
			r.Overrides[k] = val // JSON null decodes to nil: remove the member
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// SentWebhook is the reply of SendWebhook: the webhookId and the exact
// body bytes being delivered.
type SentWebhook struct {
	WebhookID string          `json:"webhookId"`
	Body      json.RawMessage `json:"body"`
}

// BulkInstallRequest installs the app at many locations of an agency at
// once: Count new locations, or the existing LocationIDs (exactly one of
// the two).
type BulkInstallRequest struct {
	CompanyID   string   `json:"companyId"`
	Count       int      `json:"count,omitempty"`
	LocationIDs []string `json:"locationIds,omitempty"`
}

// BulkInstallResult lists the installed locations and, index for index,
// the webhookId of the INSTALL emitted for each.
type BulkInstallResult struct {
	Locations  []Location `json:"locations"`
	WebhookIDs []string   `json:"webhookIds"`
}

// maxBulkInstall bounds one bulk install: each location costs a goroutine
// and, with RSA-4096 signing, milliseconds of CPU.
const maxBulkInstall = 10000

// jsonMember is one member of a payload.
type jsonMember struct {
	key string
	val any
}

// payload is a JSON object that keeps its members in order, so bodies look
// like HighLevel's (type first, timestamp and webhookId last).
type payload []jsonMember

func (p payload) index(key string) int {
	return slices.IndexFunc(p, func(m jsonMember) bool { return m.key == key })
}

// set replaces key in place, or inserts it before "timestamp" (at the end
// when there is none).
func (p payload) set(key string, val any) payload {
	if i := p.index(key); i >= 0 {
		p[i].val = val
		return p
	}
	at := p.index("timestamp")
	if at < 0 {
		at = len(p)
	}
	return slices.Insert(p, at, jsonMember{key, val})
}

func (p payload) remove(key string) payload {
	return slices.DeleteFunc(p, func(m jsonMember) bool { return m.key == key })
}

// MarshalJSON writes compact JSON without HTML escaping, as Node's
// JSON.stringify does ("Harbor & Vale Legal" stays as is).
func (p payload) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range p {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := compactJSON(m.key)
		if err != nil {
			return nil, err
		}
		v, err := compactJSON(m.val)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.key, err)
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// compactJSON encodes v compactly without HTML escaping.
func compactJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// whitelabelDetails is INSTALL's whitelabelDetails, in the sample's order.
type whitelabelDetails struct {
	LogoURL string `json:"logoUrl"`
	Domain  string `json:"domain"`
}

// webhookEvent is an event built from state, not yet stamped.
type webhookEvent struct {
	typ        string
	companyID  string
	locationID string
	body       payload
}

// installEvent is INSTALL. With l it is the location form (installType
// "Location"), else the agency form ("Company", no locationId). Simulator
// choices: every agency is white-labelled with a derived domain, and the
// app is free, so planId and trial are absent (the docs say such members
// may be missing); isBulkInstallation appears only on bulk installs.
func (s *Server) installEvent(a *Agency, l *Location, bulk bool) webhookEvent {
	installType := installTypeCompany
	if l != nil {
		installType = installTypeLocation
	}
	p := payload{
		{"type", EventInstall}, {"appId", s.appID}, {"versionId", s.versionID}, {"installType", installType},
	}
	ev := webhookEvent{typ: EventInstall, companyID: a.ID}
	if l != nil {
		p = append(p, jsonMember{"locationId", l.ID})
		ev.locationID = l.ID
	}
	domain := "app." + cmp.Or(slugify(a.Name), strings.ToLower(a.ID)) + ".example.com"
	p = append(p,
		jsonMember{"companyId", a.ID}, jsonMember{"userId", a.UserID}, jsonMember{"companyName", a.Name},
		jsonMember{"isWhitelabelCompany", true},
		jsonMember{"whitelabelDetails", whitelabelDetails{LogoURL: "https://" + domain + "/logo.png", Domain: domain}},
	)
	if bulk {
		p = append(p, jsonMember{"isBulkInstallation", true})
	}
	ev.body = p
	return ev
}

// uninstallEvent is UNINSTALL: {type, appId, locationId} for a location,
// {type, appId, companyId} for an agency, exactly as documented (§5.3).
func (s *Server) uninstallEvent(companyID, locationID string) webhookEvent {
	p := payload{{"type", EventUninstall}, {"appId", s.appID}}
	if locationID != "" {
		p = append(p, jsonMember{"locationId", locationID})
	} else {
		p = append(p, jsonMember{"companyId", companyID})
	}
	return webhookEvent{typ: EventUninstall, companyID: companyID, locationID: locationID, body: p}
}

// locationEvent is LocationCreate or LocationUpdate. The location id is
// "id", not "locationId" (§5.4). stripeProductId is the location's SaaS
// product; simulator choice: omitted while it has none.
func locationEvent(typ string, l *Location) webhookEvent {
	p := payload{{"type", typ}, {"id", l.ID}, {"companyId", l.CompanyID}, {"name", l.Name}, {"email", l.Email}}
	if l.SaaS.ProductID != "" {
		p = append(p, jsonMember{"stripeProductId", l.SaaS.ProductID})
	}
	return webhookEvent{typ: typ, companyID: l.CompanyID, locationID: l.ID, body: p}
}

// stamp adds timestamp and a fresh webhookId, applies overrides and
// renders the body.
func (s *Server) stamp(ev webhookEvent, overrides map[string]any, cfg WebhookConfig) (*delivery, error) {
	p := append(slices.Clone(ev.body), jsonMember{"timestamp", isoTime(s.now())}, jsonMember{"webhookId", newTraceID()})
	for _, k := range sortedKeys(overrides) {
		if v := overrides[k]; v == nil {
			p = p.remove(k)
		} else {
			p = p.set(k, v)
		}
	}
	body, err := p.MarshalJSON()
	if err != nil {
		return nil, simkit.Errorf(http.StatusBadRequest, "webhook override: %v", err)
	}
	return &delivery{
		webhookID: webhookIDOf(p), typ: ev.typ, companyID: ev.companyID, locationID: ev.locationID,
		body: body, cfg: cfg,
	}, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// webhookIDOf is the payload's webhookId as the log shows it: the string,
// or the JSON text of an odd override; empty when removed.
func webhookIDOf(p payload) string {
	i := p.index("webhookId")
	if i < 0 {
		return ""
	}
	if s, ok := p[i].val.(string); ok {
		return s
	}
	b, _ := compactJSON(p[i].val) // it marshalled before
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return string(b)
}

// emitLocked stamps and delivers automatic events when a URL is
// configured; without one it does nothing. Callers hold s.mu.
func (s *Server) emitLocked(evs ...webhookEvent) {
	cfg := s.hooks.config()
	if cfg.URL == "" {
		return
	}
	for _, ev := range evs {
		d, err := s.stamp(ev, nil, cfg)
		if err != nil {
			s.log.Error("webhook not emitted", zap.String("type", ev.typ), zap.Error(err)) // cannot happen without overrides
			continue
		}
		s.hooks.dispatch(d)
	}
}

// locationsCreatedEvents are what flagged admin creations emit: for each
// new location LocationCreate, then INSTALL when the app is installed there.
func (s *Server) locationsCreatedEvents(a *Agency, locs []Location) []webhookEvent {
	evs := make([]webhookEvent, 0, 2*len(locs))
	for _, v := range locs {
		l := s.w.locations[v.ID]
		evs = append(evs, locationEvent(EventLocationCreate, l))
		if l.Installed {
			evs = append(evs, s.installEvent(a, l, false))
		}
	}
	return evs
}

// errNoWebhookURL refuses explicit sends while delivery is off.
func errNoWebhookURL() error {
	return simkit.Errorf(http.StatusConflict, "no webhook url configured: PUT /_sandbox/webhooks/config first")
}

// SendWebhook builds the documented payload for req from current state,
// stamps it and delivers it asynchronously. It changes no state.
func (s *Server) SendWebhook(req WebhookSendRequest) (SentWebhook, error) {
	if !slices.Contains(webhookEventTypes, req.Type) {
		return SentWebhook{}, simkit.Errorf(http.StatusBadRequest, "type must be one of %s, got %q", strings.Join(webhookEventTypes, ", "), req.Type)
	}
	for _, k := range selectorKeys {
		if _, ok := req.Overrides[k]; ok {
			return SentWebhook{}, simkit.Errorf(http.StatusBadRequest, "%s is a selector and cannot be overridden", k)
		}
	}
	cfg := s.hooks.config()
	if cfg.URL == "" {
		return SentWebhook{}, errNoWebhookURL()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, err := s.requestedEvent(req)
	if err != nil {
		return SentWebhook{}, err
	}
	d, err := s.stamp(ev, req.Overrides, cfg)
	if err != nil {
		return SentWebhook{}, err
	}
	s.hooks.dispatch(d)
	s.log.Info("webhook sent", zap.String("type", d.typ), zap.String("webhookId", d.webhookID))
	return SentWebhook{WebhookID: d.webhookID, Body: json.RawMessage(d.body)}, nil
}

// requestedEvent resolves SendWebhook's selectors. Callers hold s.mu.
func (s *Server) requestedEvent(req WebhookSendRequest) (webhookEvent, error) {
	var l *Location
	if req.LocationID != "" {
		var ok bool
		if l, ok = s.w.locations[req.LocationID]; !ok {
			return webhookEvent{}, simkit.Errorf(http.StatusNotFound, "location %q not found", req.LocationID)
		}
		if req.CompanyID != "" && req.CompanyID != l.CompanyID {
			return webhookEvent{}, simkit.Errorf(http.StatusBadRequest, "location %s belongs to company %s, not %s", l.ID, l.CompanyID, req.CompanyID)
		}
	} else if req.Type == EventLocationCreate || req.Type == EventLocationUpdate {
		return webhookEvent{}, simkit.Errorf(http.StatusBadRequest, "%s needs a locationId", req.Type)
	}
	companyID := req.CompanyID
	if l != nil {
		companyID = l.CompanyID
	}
	if companyID == "" {
		return webhookEvent{}, simkit.Errorf(http.StatusBadRequest, "%s needs a locationId or a companyId", req.Type)
	}
	a, ok := s.w.agencies[companyID]
	if !ok {
		return webhookEvent{}, simkit.Errorf(http.StatusNotFound, "agency %q not found", companyID)
	}
	switch req.Type {
	case EventInstall:
		return s.installEvent(a, l, false), nil
	case EventUninstall:
		if l != nil {
			return s.uninstallEvent(a.ID, l.ID), nil
		}
		return s.uninstallEvent(a.ID, ""), nil
	default:
		return locationEvent(req.Type, l), nil
	}
}

// BulkInstall installs the app at Count new locations of the agency or at
// the listed existing ones (already installed ones stay as they are) and
// emits one INSTALL per location with isBulkInstallation true, as a bulk
// install from the marketplace does. It needs a webhook URL.
func (s *Server) BulkInstall(req BulkInstallRequest) (BulkInstallResult, error) {
	if (req.Count > 0) == (len(req.LocationIDs) > 0) || req.Count < 0 {
		return BulkInstallResult{}, simkit.Errorf(http.StatusBadRequest, "give either a positive count or locationIds")
	}
	if req.Count > maxBulkInstall {
		return BulkInstallResult{}, simkit.Errorf(http.StatusBadRequest, "count must be at most %d", maxBulkInstall)
	}
	cfg := s.hooks.config()
	if cfg.URL == "" {
		return BulkInstallResult{}, errNoWebhookURL()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.w.agencies[req.CompanyID]
	if !ok {
		return BulkInstallResult{}, simkit.Errorf(http.StatusNotFound, "agency %q not found", req.CompanyID)
	}
	var locs []*Location
	if req.Count > 0 {
		for _, v := range s.addLocationsLocked(a, nil, req.Count) {
			locs = append(locs, s.w.locations[v.ID])
		}
	} else {
		seen := map[string]bool{}
		for _, id := range req.LocationIDs {
			l, ok := s.w.locations[id]
			switch {
			case !ok:
				return BulkInstallResult{}, simkit.Errorf(http.StatusNotFound, "location %q not found", id)
			case l.CompanyID != a.ID:
				return BulkInstallResult{}, simkit.Errorf(http.StatusBadRequest, "location %s belongs to company %s", id, l.CompanyID)
			case seen[id]:
				return BulkInstallResult{}, simkit.Errorf(http.StatusBadRequest, "location %s is listed twice", id)
			}
			seen[id] = true
			locs = append(locs, l)
		}
		now := s.now()
		for _, l := range locs {
			if !l.Installed {
				l.install(s.versionID, now)
			}
		}
	}
	res := BulkInstallResult{Locations: make([]Location, 0, len(locs)), WebhookIDs: make([]string, 0, len(locs))}
	for _, l := range locs {
		d, err := s.stamp(s.installEvent(a, l, true), nil, cfg)
		if err != nil {
			return BulkInstallResult{}, err // cannot happen without overrides
		}
		s.hooks.dispatch(d)
		res.Locations = append(res.Locations, l.view())
		res.WebhookIDs = append(res.WebhookIDs, d.webhookID)
	}
	s.log.Info("bulk install", zap.String("companyId", a.ID), zap.Int("locations", len(locs)))
	return res, nil
}
