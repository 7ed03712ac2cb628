package highlevelsim

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/sandbox/simkit"
)

// Server is the simulator. It implements http.Handler: HighLevel's routes at
// their real paths plus the admin API under /_sandbox/.
type Server struct {
	clientID     string
	clientSecret string
	appID        string
	versionID    string // the app version every install records
	tokenTTL     time.Duration
	autoConsent  bool
	requirePKCE  bool
	now          func() time.Time
	log          *zap.Logger

	mu sync.Mutex // guards w
	w  *world

	limiter *limiter
	faults  *simkit.FaultInjector[Rule]
	calls   *simkit.CallLog
	hooks   *webhooks
	// stripeCfg is the agencies' Stripe webhook endpoint (stripe.go); s.mu guards it.
	stripeCfg StripeConfig

	api   *http.ServeMux
	admin *http.ServeMux
}

// New builds a Server. It panics when ClientID or ClientSecret is empty (a
// simulator without its registered app cannot answer anything meaningfully)
// or when RateLimit, Faults or the webhook options are invalid; programs
// that take these from users should apply them with SetRateLimit,
// SetFaults and SetWebhookConfig, which return errors. Call Close to stop
// webhook deliveries.
func New(opts Options) *Server {
	if opts.ClientID == "" || opts.ClientSecret == "" {
		panic("highlevelsim: Options.ClientID and Options.ClientSecret are required")
	}
	appID, _, _ := strings.Cut(opts.ClientID, "-")
	s := &Server{
		clientID:     opts.ClientID,
		clientSecret: opts.ClientSecret,
		appID:        appID,
		versionID:    newObjectID(),
		tokenTTL:     opts.AccessTokenTTL,
		autoConsent:  opts.AutoConsent,
		requirePKCE:  opts.RequirePKCE,
		now:          opts.Now,
		log:          opts.Logger,
		w:            newWorld(),
		calls:        simkit.NewCallLog(),
	}
	if s.tokenTTL <= 0 {
		s.tokenTTL = defaultTokenTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	rl := opts.RateLimit.withDefaults()
	if err := rl.validate(); err != nil {
		panic("highlevelsim: " + err.Error())
	}
	s.limiter = newLimiter(rl)
	var err error
	if s.faults, err = simkit.NewFaultInjector(simkit.Faults[Rule](opts.Faults), faultDefaults, s.log); err != nil {
		panic("highlevelsim: " + err.Error())
	}
	if s.hooks, err = newWebhooks(opts, s.now, s.log); err != nil {
		panic("highlevelsim: " + err.Error())
	}
	if s.stripeCfg, err = opts.Stripe.normalized(); err != nil {
		panic("highlevelsim: " + err.Error())
	}
	s.api = s.apiRoutes()
	s.admin = s.adminRoutes()
	return s
}

// ServeHTTP routes admin requests to the admin API and everything else to
// the simulated HighLevel API, recording each API request for the call report.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	c := s.calls.Serve(w, r, s.now, s.api.ServeHTTP)
	s.log.Debug("highlevel request",
		zap.String("endpoint", c.Endpoint),
		zap.String("resource", c.Scope),
		zap.Int("status", c.Status),
		zap.Bool("dropped", c.Dropped),
		zap.Duration("took", time.Since(start)))
}
