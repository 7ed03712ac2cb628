package highlevelsim

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// endpoint is one HighLevel route and the gate its requests pass.
type endpoint struct {
	// pattern is the ServeMux pattern; it doubles as the endpoint template
	// in call accounting and fault rules, e.g. "POST /saas/enable-saas/{locationId}".
	pattern string
	// public endpoints (POST /oauth/token) take no Version or Authorization
	// and are not rate limited.
	public bool
	// userTypes are the token classes allowed (Agency-Access = Company).
	userTypes []string
	// scopes lists alternatives: a token holding any one of them passes.
	scopes []string
	// v3Removed endpoints answer Version: v3 with HighLevel's "removed" error.
	v3Removed bool
	// success is the status of a successful reply.
	success int
	// deprecated marks the /saas-api/public-api/* family.
	deprecated bool
	handle     func(*apiCall) (any, error)
}

// apiCall is one request on its way through the gate to a handler.
type apiCall struct {
	r      *http.Request
	ep     *endpoint
	body   []byte
	tok    grant // zero for public endpoints
	now    time.Time
	header http.Header // reply headers (rate limit, Retry-After)
	// resource is the location or company the call is accounted to;
	// handlers refine it where only they know it (POST /oauth/token).
	resource string
	parsed   *params
}

// maxBody bounds request bodies; HighLevel's are a few hundred bytes.
const maxBody = 1 << 20

// Versions HighLevel publishes for the v2 routes (reference §0). Any of them
// is accepted on any v2 route, as the live API does.
var supportedVersions = []string{"2021-04-15", "2021-07-28", "2023-02-21"}

// serve adapts an endpoint to http.Handler.
func (s *Server) serve(ep *endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		info := simkit.CallInfoFrom(r.Context())
		info.Endpoint = ep.pattern
		c := &apiCall{r: r, ep: ep, header: http.Header{}}
		status, body, drop := s.run(c)
		info.Scope, info.Status = c.resource, status
		if drop {
			info.Dropped = true // ServeHTTP drops the connection once the call is recorded
			return
		}
		writeJSON(w, status, c.header, body)
	}
}

// run passes c through the gate in the order a gateway would: body,
// Version, token, injected latency, 429 bursts, rate limit, token class and
// scope, injected failures, the handler, and finally a possible drop of the
// connection after the handler committed its change.
func (s *Server) run(c *apiCall) (status int, body any, drop bool) {
	fail := func(err error) (int, any, bool) {
		var ae *apiError
		if !errors.As(err, &ae) {
			s.log.Error("handler failed", zap.String("endpoint", c.ep.pattern), zap.Error(err))
			ae = plainError(http.StatusInternalServerError, msgInternal)
		}
		return ae.status, ae.body(), false
	}
	if err := c.readBody(); err != nil {
		return fail(err)
	}
	if !c.ep.public {
		if err := checkVersion(c); err != nil {
			return fail(err)
		}
		if err := s.authenticate(c); err != nil {
			return fail(err)
		}
	}
	c.resource = c.subject()
	pre := s.faults.Preflight(c.ep.pattern, c.tok.resource(), c.ep.public)
	simkit.Sleep(c.r.Context(), pre.Delay)
	c.now = s.now()
	if !c.ep.public {
		if err := s.admit(c, pre); err != nil {
			return fail(err)
		}
		if err := c.authorize(); err != nil {
			return fail(err)
		}
	}
	if inj := s.faults.Failure(c.ep.pattern, c.locationID(), c.ep.public, c.header); inj != nil {
		return fail(plainError(inj.Status, inj.Message))
	}
	out, err := c.ep.handle(c)
	if err != nil {
		return fail(err)
	}
	return c.ep.success, out, s.faults.Drop(c.ep.pattern, c.ep.public)
}

func (c *apiCall) readBody() error {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, maxBody+1))
	if err != nil {
		return plainError(http.StatusBadRequest, "request body could not be read")
	}
	if len(b) > maxBody {
		return reasonedError(http.StatusRequestEntityTooLarge, "request entity too large")
	}
	c.body = b
	return nil
}

// checkVersion enforces the Version header. HighLevel's reply to a missing
// header is not documented (one third-party report says 401); simulator
// choice: 400, so that clients do not mistake it for an expired token and
// burn a refresh token on it.
func checkVersion(c *apiCall) error {
	v := c.r.Header.Get("Version")
	switch {
	case slices.Contains(supportedVersions, v):
		return nil
	case v == "":
		return reasonedError(http.StatusBadRequest, "Version header was not found")
	case v == "v3" && c.ep.v3Removed:
		return reasonedError(http.StatusBadRequest, "Endpoint "+c.r.URL.RequestURI()+
			" not available in API version v3. This endpoint was removed in version v3. Please use a version before v3.")
	default:
		// v3 bodies on the SaaS routes differ; the simulator only speaks v2.
		return reasonedError(http.StatusBadRequest, "Unsupported API version: "+v)
	}
}

// authenticate resolves the bearer token. Garbage or unknown tokens get
// "Invalid JWT" (reference §6.2); known but expired or revoked ones get
// UnauthorizedDTO's "Invalid token: access token is invalid".
func (s *Server) authenticate(c *apiCall) error {
	secret, ok := simkit.BearerToken(c.r)
	if !ok {
		return errInvalidJWT()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.w.access[secret]
	if !ok {
		return errInvalidJWT()
	}
	if t.revoked || !s.now().Before(t.expiresAt) {
		return errExpiredToken()
	}
	c.tok = t.grant
	return nil
}

// admit applies injected 429 bursts and the rate limiter, and sets the rate
// limit headers on the reply. Neither kind of 429 consumes budget.
func (s *Server) admit(c *apiCall, pre simkit.Preflight) error {
	key := c.tok.clientID + "/" + c.tok.resource()
	var st limitStatus
	if pre.Burst {
		st = s.limiter.peek(key, c.now)
		st.remaining, st.allowed, st.retryAfter = 0, false, pre.RetryAfter
	} else {
		st = s.limiter.take(key, c.now)
	}
	st.setHeaders(c.header)
	if st.allowed {
		return nil
	}
	c.header.Set("Retry-After", simkit.RetryAfterSeconds(st.retryAfter))
	return plainError(http.StatusTooManyRequests, msgTooManyRequests)
}

// authorize checks the token class and scopes the endpoint demands.
func (c *apiCall) authorize() error {
	if !slices.Contains(c.ep.userTypes, c.tok.userType) {
		return plainError(http.StatusUnauthorized, msgWrongAuthClass)
	}
	if len(c.ep.scopes) > 0 && !slices.ContainsFunc(c.ep.scopes, func(sc string) bool { return slices.Contains(c.tok.scopes, sc) }) {
		return plainError(http.StatusUnauthorized, msgScopeNotAuthorized)
	}
	return nil
}

// params parses a form or JSON body once; malformed bodies read as empty.
func (c *apiCall) params() params {
	if c.parsed == nil {
		p, _ := parseParams(c.r.Header.Get("Content-Type"), c.body)
		c.parsed = &p
	}
	return *c.parsed
}

// locationID is the location a request is about: the path, the query, the
// body, or else the token's own location.
func (c *apiCall) locationID() string {
	for _, id := range []string{c.r.PathValue("locationId"), c.r.URL.Query().Get("locationId"), c.params().values["locationId"]} {
		if id != "" {
			return id
		}
	}
	return c.tok.locationID
}

// subject is what a call is accounted to: its location, else the company
// in the path, else the token's company.
func (c *apiCall) subject() string {
	for _, id := range []string{c.locationID(), c.r.PathValue("companyId"), c.tok.companyID} {
		if id != "" {
			return id
		}
	}
	return ""
}
