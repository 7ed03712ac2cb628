package actionstepsim

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
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
	requirePKCE  bool
	uniqueRefs   bool
	loc          *time.Location
	now          func() time.Time
	log          *zap.Logger
	hookClient   *http.Client

	mu sync.Mutex // guards w
	w  *world

	kinds   map[string]*kind
	limiter *limiter
	faults  *simkit.FaultInjector[Rule]
	calls   *simkit.CallLog

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
	readings      Readings
}

// New builds a Server. It panics when ClientID or ClientSecret is empty (a
// simulator without its registered client cannot answer anything
// meaningfully) or when RateLimit, Faults or Readings are invalid; programs
// that take these from users should apply them with SetRateLimit,
// SetFaults and SetReadings, which return errors.
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
		requirePKCE:  opts.RequirePKCE,
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
		calls: simkit.NewCallLog(),
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
	var err error
	if s.w.readings, err = opts.Readings.normalised(); err != nil {
		panic("actionstepsim: " + err.Error())
	}
	rl := opts.RateLimit.withDefaults()
	if err := rl.validate(); err != nil {
		panic("actionstepsim: " + err.Error())
	}
	s.limiter = newLimiter(rl, s.now())
	if s.faults, err = simkit.NewFaultInjector(simkit.Faults[Rule](opts.Faults), simkit.FaultDefaults{}, s.log); err != nil {
		panic("actionstepsim: " + err.Error())
	}
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
	c := s.calls.Serve(w, r, s.now, func(w http.ResponseWriter, r *http.Request) {
		if p, ok := parseRESTPath(r.URL.Path); ok {
			s.serveREST(w, r, p)
		} else {
			s.oauth.ServeHTTP(w, r)
		}
	})
	s.log.Debug("actionstep request",
		zap.String("endpoint", c.Endpoint),
		zap.String("orgkey", c.Scope),
		zap.Int("status", c.Status),
		zap.Bool("dropped", c.Dropped),
		zap.Duration("took", time.Since(start)))
}

// timestamp renders t as Actionstep does: ISO 8601 with the org's offset.
func (s *Server) timestamp(t time.Time) string {
	return t.In(s.loc).Format("2006-01-02T15:04:05-07:00")
}

// date renders t as a date, as actions' createdTimestamp is.
func (s *Server) date(t time.Time) string { return t.In(s.loc).Format(time.DateOnly) }
