package actionstepsim

import (
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// restPath is a request path inside an organisation's api_endpoint:
// [/cluster<N>]/api/<orgkey>/rest/<resource>[/<id>[,<id>…]].
type restPath struct {
	generation int
	orgKey     string
	resource   string
	ids        []string
}

func parseRESTPath(p string) (restPath, bool) {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	rp := restPath{generation: 1}
	if n, ok := strings.CutPrefix(segs[0], "cluster"); ok {
		g, err := strconv.Atoi(n)
		if err != nil || g < 2 {
			return rp, false
		}
		rp.generation, segs = g, segs[1:]
	}
	if len(segs) < 4 || len(segs) > 5 || segs[0] != "api" || segs[1] == "" || segs[2] != "rest" {
		return rp, false
	}
	rp.orgKey, rp.resource = segs[1], segs[3]
	if len(segs) == 5 && segs[4] != "" {
		rp.ids = strings.Split(segs[4], ",")
	}
	return rp, true
}

// template is the endpoint as the call report and fault rules name it,
// relative to api_endpoint: "GET /rest/participants/{id}".
func (p restPath) template(method string) string {
	t := method + " /rest/" + p.resource
	switch {
	case p.resource == kUsers && len(p.ids) == 1 && p.ids[0] == "current":
		t += "/current"
	case len(p.ids) > 0:
		t += "/{id}"
	}
	return t
}

// restCall is one REST request on its way through the gate to a handler.
type restCall struct {
	s       *Server
	r       *http.Request
	path    restPath
	org     *org
	tok     grant
	kind    *kind
	body    []byte
	now     time.Time
	started time.Time   // real time the request arrived, for meta.debug
	header  http.Header // reply headers (Allow, Retry-After)
	events  []event     // REST hook events of committed changes
}

// maxBody bounds request bodies.
const maxBody = 1 << 20

// serveREST answers one REST request.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request, p restPath) {
	info := simkit.CallInfoFrom(r.Context())
	info.Endpoint, info.Scope = p.template(r.Method), p.orgKey
	c := &restCall{s: s, r: r, path: p, started: time.Now(), header: http.Header{}}
	rep, drop := s.runREST(c)
	info.Status = rep.status
	// Committed changes notify REST hooks even when the reply is lost.
	s.deliverHooks(p.orgKey, c.events)
	if drop {
		info.Dropped = true // ServeHTTP drops the connection once the call is recorded
		return
	}
	writeReply(w, c.header, rep)
}

// runREST passes c through the gate in the order a gateway would: token
// and organisation, injected latency, 429 bursts and the rate limit, the
// resource, scope, method and media types, injected failures, the handler,
// and finally a possible drop of the connection after the handler
// committed its change.
func (s *Server) runREST(c *restCall) (reply, bool) {
	endpoint := c.path.template(c.r.Method)
	fail := func(err error) (reply, bool) {
		rep := replyOf(err)
		if rep.status == http.StatusInternalServerError {
			s.log.Error("handler failed", zap.String("endpoint", endpoint), zap.Error(err))
		}
		return rep, false
	}
	b, err := io.ReadAll(io.LimitReader(c.r.Body, maxBody+1))
	if err != nil || len(b) > maxBody {
		return fail(errInvalid("", "The request body could not be read or is larger than %d bytes", maxBody))
	}
	c.body = b
	if err := s.authenticate(c); err != nil {
		return fail(err)
	}
	pre := s.faults.Preflight(endpoint, c.tok.orgKey, false)
	simkit.Sleep(c.r.Context(), pre.Delay)
	c.now = s.now()
	if err := s.admit(c, pre); err != nil {
		return fail(err)
	}
	if err := c.route(); err != nil {
		return fail(err)
	}
	if inj := s.faults.Failure(endpoint, c.tok.orgKey, false, c.header); inj != nil {
		return fail(errStatus(inj.Status, inj.Message))
	}
	s.mu.Lock()
	rep, err := c.handle()
	s.mu.Unlock()
	if err != nil {
		return fail(err)
	}
	return rep, s.faults.Drop(endpoint, false)
}

// authenticate resolves the bearer token (reference §1.11): unknown or
// missing → 401 invalid_token, expired → 401 expired_token. A token only
// works on its own organisation's current api_endpoint; anywhere else it
// is as good as unknown.
func (s *Server) authenticate(c *restCall) error {
	secret, ok := simkit.BearerToken(c.r)
	if !ok {
		return errInvalidToken()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.w.access[secret]
	if !ok {
		return errInvalidToken()
	}
	if !s.now().Before(t.expiresAt) {
		return errExpiredToken()
	}
	o := s.w.orgs[t.orgKey]
	if t.orgKey != c.path.orgKey || o.generation != c.path.generation {
		return errInvalidToken()
	}
	c.tok, c.org = t.grant, o
	return nil
}

const msgRateLimited = "API rate limit exceeded. Please retry later."

// admit applies injected 429 bursts and the rate limiter. Neither kind of
// 429 consumes budget.
func (s *Server) admit(c *restCall, pre simkit.Preflight) error {
	if pre.Burst {
		if pre.RetryAfter > 0 {
			c.header.Set("Retry-After", simkit.RetryAfterSeconds(pre.RetryAfter))
		}
		return errStatus(http.StatusTooManyRequests, msgRateLimited)
	}
	ok, wait, cfg := s.limiter.take(c.tok.orgKey+"/"+strconv.Itoa(c.tok.userID), c.now)
	if ok {
		return nil
	}
	if cfg.RetryAfter {
		c.header.Set("Retry-After", simkit.RetryAfterSeconds(wait))
	}
	return errStatus(http.StatusTooManyRequests, msgRateLimited)
}

// route resolves the resource and checks scope, method and media types.
func (c *restCall) route() error {
	k := c.s.kinds[c.path.resource]
	if k == nil {
		return errUnknownResource(c.path.resource)
	}
	c.kind = k
	if !c.tok.allows(k.name) {
		// Simulator choice: scopes are enforced, with a 403 (reference
		// §1.10: the scope names each resource a client may access).
		return errStatus(http.StatusForbidden, "The access token's scope does not include '"+k.name+"'")
	}
	allowed := k.methods(len(c.path.ids) > 0)
	if !slices.Contains(allowed, c.r.Method) {
		c.header.Set("Allow", strings.Join(allowed, ", "))
		return &apiError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed, title: "Method Not Allowed",
			detail: c.r.Method + " is not supported by " + c.path.template(c.r.Method)}
	}
	if !acceptable(c.r.Header.Get("Accept")) {
		return &apiError{status: http.StatusNotAcceptable, code: codeNotAcceptable, title: "Not Acceptable",
			detail: "Responses are " + mediaJSONAPI}
	}
	if c.r.Method == http.MethodGet || c.r.Method == http.MethodDelete {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type")); err != nil || mt != mediaJSONAPI {
		return &apiError{status: http.StatusUnsupportedMediaType, code: codeUnsupportedMedia, title: "Unsupported Media Type",
			detail: "Request bodies must be " + mediaJSONAPI}
	}
	return nil
}

// methods lists what a kind answers on its collection (item false) or on
// record ids (item true).
func (k *kind) methods(item bool) []string {
	var m []string
	if item || !k.noList {
		m = append(m, http.MethodGet)
	}
	switch {
	case !item && k.create != nil:
		m = append(m, http.MethodPost)
	case item:
		if k.update != nil {
			m = append(m, http.MethodPut)
			if k.patch {
				m = append(m, http.MethodPatch)
			}
		}
		if k.remove != nil {
			m = append(m, http.MethodDelete)
		}
	}
	return m
}

// acceptable reports whether an Accept header allows the JSON:API type.
// Simulator choice: strict, so clients send the documented header
// (reference §2.2); a missing header is fine.
func acceptable(h string) bool {
	if strings.TrimSpace(h) == "" {
		return true
	}
	for part := range strings.SplitSeq(h, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && (mt == mediaJSONAPI || mt == "*/*" || mt == "application/*") {
			return true
		}
	}
	return false
}

// handle runs the operation with Server.mu held.
func (c *restCall) handle() (reply, error) {
	switch c.r.Method {
	case http.MethodGet:
		return c.get()
	case http.MethodPost:
		return c.post()
	case http.MethodPut, http.MethodPatch:
		return c.put()
	default: // DELETE; route refused everything else
		return c.del()
	}
}

// find resolves one id of kind k.
func (c *restCall) find(k *kind, id string) *record {
	if k.find != nil {
		return k.find(c, id)
	}
	for _, r := range k.rows(c.org) {
		if r.idString() == id {
			return r
		}
	}
	return nil
}

// targets resolves every id in the path, or fails with the first missing.
func (c *restCall) targets() ([]*record, error) {
	out := make([]*record, 0, len(c.path.ids))
	for _, id := range c.path.ids {
		r := c.find(c.kind, id)
		if r == nil {
			return nil, errRecordNotFound(c.kind.name, id)
		}
		out = append(out, r)
	}
	return out, nil
}

// get lists, filters, sorts and pages records. An empty result is 204
// without a body (reference §2.6).
func (c *restCall) get() (reply, error) {
	qk := c.kind
	if c.kind.template != nil && len(c.path.ids) > 0 {
		qk = c.kind.template
	}
	q, err := parseQuery(c.s.kinds, qk, c.r.URL.Query(), c.ignoreFilters())
	if err != nil {
		return reply{}, err
	}
	if q.include == nil {
		q.include = qk.defaultInclude
	}
	if c.kind.single && (len(c.path.ids) > 1 || len(q.filters) > 0) {
		return reply{}, errInvalid("", "%s does not support filters or multiple resource identifiers", c.kind.name)
	}
	var rows []*record
	if len(c.path.ids) == 0 {
		rows = slices.Clone(c.kind.rows(c.org))
	} else if rows, err = c.targets(); err != nil {
		return reply{}, err
	}
	rows = c.filter(rows, q.filters)
	sortRows(rows, q.sort)
	start := (q.page - 1) * q.pageSize
	if start >= len(rows) {
		return reply{status: http.StatusNoContent}, nil
	}
	pg := paging{total: len(rows), page: q.page, size: q.pageSize}
	doc := c.document(rows[start:min(len(rows), start+q.pageSize)], pg, q)
	return reply{status: http.StatusOK, body: doc, contentType: mediaJSONAPI}, nil
}

// post creates the record(s) of the body. A body may hold an array; items
// are created in order and the first invalid one stops the request, the
// ones before it staying created (simulator choice: Actionstep documents
// no atomicity).
func (c *restCall) post() (reply, error) {
	items, err := decodeBody(c.kind.name, c.body)
	if err != nil {
		return reply{}, err
	}
	out := make([]*record, 0, len(items))
	for _, in := range items {
		r, err := c.kind.create(c, in)
		if err != nil {
			return reply{}, err
		}
		out = append(out, r)
	}
	return c.written(out), nil
}

// put updates the records named in the path: one body object per id, an
// array for several ("PUT /x/1,2" with [{…},{…}]).
func (c *restCall) put() (reply, error) {
	items, err := decodeBody(c.kind.name, c.body)
	if err != nil {
		return reply{}, err
	}
	if len(items) != len(c.path.ids) {
		return reply{}, errInvalid("/"+c.kind.name, "The body holds %d record(s) for %d id(s)", len(items), len(c.path.ids))
	}
	rows, err := c.targets()
	if err != nil {
		return reply{}, err
	}
	for i, r := range rows {
		cl := r.clone()
		if err := c.kind.update(c, cl, items[i]); err != nil {
			return reply{}, err
		}
		*r = *cl
	}
	return c.written(rows), nil
}

// del deletes the records named in the path: 204 (reference §2.6).
func (c *restCall) del() (reply, error) {
	rows, err := c.targets()
	if err != nil {
		return reply{}, err
	}
	for _, r := range rows {
		if err := c.kind.remove(c, r); err != nil {
			return reply{}, err
		}
	}
	return reply{status: http.StatusNoContent}, nil
}

// written is the reply to a POST or PUT: 200 with the records in the GET
// shape (reference §2.6).
func (c *restCall) written(rows []*record) reply {
	doc := c.document(rows, paging{total: len(rows), page: 1, size: defaultPageSize}, query{})
	return reply{status: http.StatusOK, body: doc, contentType: mediaJSONAPI}
}

// event is a REST hook event of a committed change.
type event struct {
	name     string
	resource string
	id       string
	data     ordered
}

func (c *restCall) emit(name string, r *record) {
	c.events = append(c.events, event{name: name, resource: r.kind.name, id: r.idString(), data: r.render(nil)})
}
