package actionstepsim

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Server is the simulator. It implements http.Handler: the OAuth endpoints
// under /api/oauth/, each organisation's REST API under its api_endpoint,
// and the admin API under /_sandbox/.
type Server struct {
	clientID     string
	clientSecret string
	accessTTL    time.Duration
	refreshTTL   time.Duration
	autoConsent  bool
	uniqueRefs   bool
	loc          *time.Location
	now          func() time.Time
	log          *zap.Logger
	hookClient   *http.Client

	mu sync.Mutex // guards w
	w  *world

	kinds   map[string]*kind
	limiter *limiter
	faults  *faultInjector
	calls   *callLog

	oauth *http.ServeMux
	admin *http.ServeMux
}

// world is all simulated state; Server.mu guards it.
type world struct {
	orgs     map[string]*org
	orgOrder []string
	codes    map[string]*authCode
	access   map[string]*accessToken
	refresh  map[string]*refreshToken
	// issued lists every token string in issue order, for leak checks.
	issuedAccess  []string
	issuedRefresh []string
	rotate        bool
}

// New builds a Server. It panics when ClientID or ClientSecret is empty (a
// simulator without its registered client cannot answer anything
// meaningfully) or when RateLimit or Faults are invalid; programs that take
// these from users should apply them with SetRateLimit and SetFaults, which
// return errors.
func New(opts Options) *Server {
	if opts.ClientID == "" || opts.ClientSecret == "" {
		panic("actionstepsim: Options.ClientID and Options.ClientSecret are required")
	}
	s := &Server{
		clientID:     opts.ClientID,
		clientSecret: opts.ClientSecret,
		accessTTL:    opts.AccessTokenTTL,
		refreshTTL:   opts.RefreshTokenTTL,
		autoConsent:  opts.AutoConsent,
		uniqueRefs:   opts.UniqueExternalReferences,
		loc:          opts.Location,
		now:          opts.Now,
		log:          opts.Logger,
		hookClient:   opts.HookClient,
		w: &world{
			orgs: map[string]*org{}, codes: map[string]*authCode{},
			access: map[string]*accessToken{}, refresh: map[string]*refreshToken{},
			rotate: opts.RotateAPIEndpoint,
		},
		kinds: newKinds(),
		calls: newCallLog(),
	}
	if s.accessTTL <= 0 {
		s.accessTTL = defaultAccessTTL
	}
	if s.refreshTTL <= 0 {
		s.refreshTTL = defaultRefreshTTL
	}
	if s.loc == nil {
		s.loc = time.FixedZone("AEST", 10*60*60)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.hookClient == nil {
		s.hookClient = &http.Client{Timeout: 10 * time.Second}
	}
	rl := opts.RateLimit.withDefaults()
	if err := rl.validate(); err != nil {
		panic("actionstepsim: " + err.Error())
	}
	s.limiter = newLimiter(rl)
	f, err := opts.Faults.normalized()
	if err != nil {
		panic("actionstepsim: " + err.Error())
	}
	s.faults = newFaultInjector(f)
	s.oauth = s.oauthRoutes()
	s.admin = s.adminRoutes()
	return s
}

// ServeHTTP routes admin requests to the admin API and everything else to
// the simulated Actionstep API, recording each API request for the call
// report.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	info := &callInfo{}
	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), callInfoKey{}, info))
	if p, ok := parseRESTPath(r.URL.Path); ok {
		s.serveREST(sw, r, p)
	} else {
		s.oauth.ServeHTTP(sw, r)
	}
	if info.endpoint == "" {
		info.endpoint = r.Method + " " + r.URL.Path // unmatched: keep the raw path to spot client typos
	}
	if info.status == 0 {
		info.status = sw.status
	}
	s.calls.record(Call{Time: s.now(), Endpoint: info.endpoint, OrgKey: info.org, Status: info.status, Dropped: info.dropped})
	if info.dropped {
		// Only now: a client that saw the connection die may look at the calls at once.
		dropConnection(sw)
	}
	s.log.Debug("actionstep request",
		zap.String("endpoint", info.endpoint),
		zap.String("orgkey", info.org),
		zap.Int("status", info.status),
		zap.Bool("dropped", info.dropped),
		zap.Duration("took", time.Since(start)))
}

// callInfo is filled in by whichever handler serves a request so that
// ServeHTTP can account for it afterwards.
type callInfo struct {
	endpoint string
	org      string
	status   int
	dropped  bool
}

type callInfoKey struct{}

// callInfoFrom returns the record ServeHTTP, the only way into the API
// handlers, put in the request context.
func callInfoFrom(ctx context.Context) *callInfo {
	return ctx.Value(callInfoKey{}).(*callInfo)
}

// statusWriter remembers the status code written through it. Unwrap lets
// http.ResponseController reach the connection for hijacking.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// dropConnection closes the client's connection without a reply, so the
// client sees a transport error after the state change was committed.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the stream instead
	}
	_ = conn.Close()
}

// sleep waits d of real time, or until the client goes away.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// timestamp renders t as Actionstep does: ISO 8601 with the org's offset.
func (s *Server) timestamp(t time.Time) string {
	return t.In(s.loc).Format("2006-01-02T15:04:05-07:00")
}

// date renders t as a date, as actions' createdTimestamp is.
func (s *Server) date(t time.Time) string { return t.In(s.loc).Format(time.DateOnly) }
