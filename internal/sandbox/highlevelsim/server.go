package highlevelsim

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
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
	now          func() time.Time
	log          *zap.Logger

	mu sync.Mutex // guards w
	w  *world

	limiter *limiter
	faults  *faultInjector
	calls   *callLog
	hooks   *webhooks

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
		now:          opts.Now,
		log:          opts.Logger,
		w:            newWorld(),
		calls:        newCallLog(),
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
	f, err := opts.Faults.normalized()
	if err != nil {
		panic("highlevelsim: " + err.Error())
	}
	s.faults = newFaultInjector(f)
	if s.hooks, err = newWebhooks(opts, s.now, s.log); err != nil {
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
	info := &callInfo{}
	sw := &statusWriter{ResponseWriter: w}
	s.api.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), callInfoKey{}, info)))
	if info.endpoint == "" {
		info.endpoint = r.Method + " " + r.URL.Path // unmatched: keep the raw path to spot client typos
	}
	if info.status == 0 {
		info.status = sw.status
	}
	s.calls.record(Call{
		Time:     s.now(),
		Endpoint: info.endpoint,
		Resource: info.resource,
		Status:   info.status,
		Dropped:  info.dropped,
	})
	if info.dropped {
		// Only now: a client that saw the connection die may look at the calls at once.
		dropConnection(sw)
	}
	s.log.Debug("highlevel request",
		zap.String("endpoint", info.endpoint),
		zap.String("resource", info.resource),
		zap.Int("status", info.status),
		zap.Bool("dropped", info.dropped),
		zap.Duration("took", time.Since(start)))
}

// callInfo is filled in by whichever handler serves a request so that
// ServeHTTP can account for it afterwards.
type callInfo struct {
	endpoint string
	resource string
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
