package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/credentials"
	"github.com/saasbridge/saasbridge/internal/deps"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/health"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/operatorauth"
	"github.com/saasbridge/saasbridge/internal/payloadcodec"
	"github.com/saasbridge/saasbridge/internal/stripeevent"
	"github.com/saasbridge/saasbridge/internal/temporalclient"
	"github.com/saasbridge/saasbridge/internal/tokens"
	"github.com/saasbridge/saasbridge/workflows"
)

// serve runs the starter's two listeners (docs/security.md):
//
//   - public (STARTER_LISTEN_ADDR), what the internet must reach: HighLevel's webhooks,
//     Stripe's and the billing events, the OAuth begin and callback pages, nothing else;
//   - operator (STARTER_OPERATOR_ADDR, loopback by default): the codec server, /metrics,
//     /healthz, /readyz and the connect start pages. Bound beyond loopback it needs
//     operator authentication, or the starter refuses to start.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	if err := parseServeFlags(args, stderr); err != nil {
		return err
	}
	cfg, err := config.LoadStarter()
	if err != nil {
		return err
	}
	if len(cfg.Companies()) == 0 {
		return errors.New("HIGHLEVEL_COMPANY_IDS (or HIGHLEVEL_COMPANY_ID) must name the agencies saasbridge serves: only they may connect, and webhooks of other companies start nothing")
	}
	d, err := deps.Open(ctx, cfg.Common)
	if err != nil {
		return err
	}
	defer d.Close()
	// Lazy: the server comes up, and answers webhooks with 429, even while Temporal is down.
	if err := d.LazyTemporal(); err != nil {
		return err
	}
	watchState(d)
	if err := temporalclient.CheckSearchAttributesAtStart(ctx, d.Temporal, cfg.Temporal, workflows.SearchAttributes(), d.Logger); err != nil {
		return err
	}
	public, operator, err := buildHandlers(ctx, cfg, d)
	if err != nil {
		return err
	}
	return runListeners(ctx, cfg, public, operator, d.Logger)
}

// parseServeFlags parses serve's flags: there are none but -h.
func parseServeFlags(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// storeFromEnv opens the store as the one-shot commands do (store, migrate, audit):
// settings from the environment, logs at LOG_LEVEL. The caller closes the store.
func storeFromEnv(ctx context.Context, opts ...tokens.Option) (*tokens.Store, config.Starter, error) {
	cfg, err := config.LoadStarter()
	if err != nil {
		return nil, cfg, err
	}
	logger, err := logging.New(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return nil, cfg, err
	}
	s, err := deps.OpenStore(ctx, cfg.Store, logger, opts...)
	return s, cfg, err
}

// buildHandlers builds what each listener serves.
func buildHandlers(ctx context.Context, cfg config.Starter, d *deps.Deps) (public, operator http.Handler, err error) {
	flows, err := newFlowSigner(cfg.Store.EncryptionKey.Key, time.Now)
	if err != nil {
		return nil, nil, err
	}
	gw, err := buildGateway(cfg, d)
	if err != nil {
		return nil, nil, err
	}
	conns := []*connector{
		newHighLevelConnect(cfg, d.HighLevel, d.Store, flows, d.Logger),
		newActionstepConnect(cfg, d.Actionstep, d.Store, flows, d.Logger),
	}
	probes := health.Handler(d.Checks(), 3*time.Second)
	cons, err := consoleHandler(ctx, cfg, d, d.Logger)
	if err != nil {
		return nil, nil, err
	}
	return publicMux(gw, conns), operatorMux(cfg, d, conns, probes, cons, d.Logger), nil
}

// buildGateway builds the webhook gateway.
func buildGateway(cfg config.Starter, d *deps.Deps) (*gateway, error) {
	logger := d.Logger
	var opts []highlevel.WebhookOption
	if cfg.WebhookLegacyRSA {
		opts = append(opts, highlevel.WithLegacyRSA())
	}
	verifier, err := highlevel.NewWebhookVerifier(cfg.WebhookEd25519Keys, cfg.WebhookRSAKeys, cfg.WebhookMaxAge, time.Now, opts...)
	if err != nil {
		return nil, fmt.Errorf("webhook keys (HIGHLEVEL_WEBHOOK_*_PUBLIC_KEYS): %w", err)
	}
	if len(cfg.BillingSecrets) == 0 {
		logger.Info("billing events disabled: BILLING_WEBHOOK_SECRETS is empty")
	}
	known := facts.New(d.Store.DB())
	g := &gateway{
		temporal: d.Temporal, verifier: verifier, appID: cfg.HighLevel.AppID(), companies: newAllowlist(cfg.Companies()),
		billingSecrets: cfg.BillingSecrets, billingMaxAge: cfg.BillingMaxAge,
		maxBody: cfg.WebhookMaxBodyBytes, temporalTimeout: cfg.TemporalCallTimeout,
		companyOf: companyFromStore(known, d.Store, cfg.DefaultCompany()),
		seen:      newSeenCache(dedupeTTL(cfg.WebhookMaxAge, cfg.BillingMaxAge, cfg.StripeMaxAge), 1_000_000),
		logger:    logger.Named("gateway"), now: time.Now, metrics: d.Metrics,
	}
	if len(cfg.StripeSecrets) == 0 {
		logger.Info("Stripe events disabled: STRIPE_WEBHOOK_SECRETS is empty")
		return g, nil
	}
	if g.stripeVerifier, err = stripeevent.NewVerifier(secretStrings(cfg.StripeSecrets), cfg.StripeMaxAge, time.Now); err != nil {
		return nil, fmt.Errorf("STRIPE_WEBHOOK_SECRETS: %w", err)
	}
	g.stripeLocations = newStripeLocator(known, g.companyOf, cfg.Companies(), agencyLookup(d.HighLevel, d.Store))
	return g, nil
}

func secretStrings(ss config.Secrets) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// agencyLookup asks HighLevel, as the company's agency, for its locations with a
// Stripe customer or subscription.
func agencyLookup(hl *highlevel.Client, store *tokens.Store) func(ctx context.Context, companyID, customerID, subscriptionID string) ([]string, error) {
	return func(ctx context.Context, companyID, customerID, subscriptionID string) ([]string, error) {
		api := hl.As(credentials.HighLevelSource(store, hl, tokens.KeyHighLevelAgency(companyID)))
		return api.LocationsByStripe(ctx, highlevel.LocationsByStripeQuery{CompanyID: companyID, CustomerID: customerID, SubscriptionID: subscriptionID})
	}
}

// publicMux is everything the internet may reach; anything else is 404.
func publicMux(gw *gateway, conns []*connector) http.Handler {
	mux := http.NewServeMux()
	gw.routes(mux)
	for _, c := range conns {
		c.publicRoutes(mux)
	}
	return mux
}

// operatorMux is the operator listener: the codec server, which always needs its own
// credentials (CODEC_AUTH_TOKEN or an OIDC JWT), and the rest (metrics, probes, connect
// start pages, the location console), which needs the operator's (OPERATOR_AUTH_TOKEN or
// an OIDC JWT) whenever they are configured.
func operatorMux(cfg config.Starter, d *deps.Deps, conns []*connector, probes, cons http.Handler, logger *zap.Logger) http.Handler {
	oidc := operatorauth.OIDC{Issuer: cfg.OIDC.Issuer, Audience: cfg.OIDC.Audience, JWKSURL: cfg.OIDC.JWKSURL}
	codecAuth := operatorauth.New(operatorauth.Config{Tokens: cfg.CodecTokens, OIDC: oidc})
	if !codecAuth.Configured() {
		logger.Warn("the codec server refuses every request: set CODEC_AUTH_TOKEN or OPERATOR_OIDC_ISSUER to decode payloads in the Web UI")
	}
	rest := http.NewServeMux()
	rest.Handle("GET /metrics", d.Metrics.Handler())
	rest.Handle("/healthz", probes)
	rest.Handle("/readyz", probes)
	for _, c := range conns {
		c.operatorRoutes(rest)
	}
	rest.Handle("/console", cons)
	rest.Handle("/console/", cons)
	var guarded http.Handler = rest
	if auth := operatorauth.New(operatorauth.Config{Tokens: cfg.OperatorTokens, OIDC: oidc}); auth.Configured() {
		guarded = auth.Require(rest)
	}
	mux := http.NewServeMux()
	mux.Handle("/codec/", http.StripPrefix("/codec", payloadcodec.Handler(d.Keys, payloadcodec.HandlerOptions{
		AllowedOrigins: cfg.CodecOrigins, Authenticate: codecAuth.Check,
	})))
	mux.Handle("/", guarded)
	return mux
}

// maxHeaderBytes bounds a request's headers (431 beyond): webhooks and callbacks carry
// a few hundred bytes of them.
const maxHeaderBytes = 32 << 10

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// runListeners serves both listeners until ctx ends or one of them fails.
func runListeners(ctx context.Context, cfg config.Starter, public, operator http.Handler, logger *zap.Logger) error {
	pub, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (STARTER_LISTEN_ADDR): %w", cfg.ListenAddr, err)
	}
	op, err := net.Listen("tcp", cfg.OperatorAddr)
	if err != nil {
		_ = pub.Close()
		return fmt.Errorf("listen on %s (STARTER_OPERATOR_ADDR): %w", cfg.OperatorAddr, err)
	}
	if err := operatorExposure(op.Addr(), cfg.OperatorAuthConfigured()); err != nil {
		_, _ = pub.Close(), op.Close()
		return err
	}
	servers := []*http.Server{newHTTPServer(accessLog(logger, "public", public)), newHTTPServer(accessLog(logger, "operator", operator))}
	errc := make(chan error, len(servers))
	for i, ln := range []net.Listener{pub, op} {
		go func() { errc <- servers[i].Serve(ln) }()
	}
	logger.Info("starter listening", zap.String("addr", pub.Addr().String()), zap.String("operatorAddr", op.Addr().String()),
		zap.String("publicURL", cfg.PublicURL))
	var serveErr error
	select {
	case serveErr = <-errc:
		serveErr = fmt.Errorf("serve: %w", serveErr)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil && serveErr == nil {
			serveErr = fmt.Errorf("shutdown: %w", err)
		}
	}
	logger.Info("starter stopped")
	return serveErr
}

// operatorExposure refuses an operator listener reachable beyond loopback (a routable or
// unspecified address) when nobody can be authenticated on it: it decrypts payloads and
// starts connects.
func operatorExposure(addr net.Addr, authConfigured bool) error {
	if tcp, ok := addr.(*net.TCPAddr); (ok && tcp.IP.IsLoopback()) || authConfigured {
		return nil
	}
	return fmt.Errorf("STARTER_OPERATOR_ADDR %s is reachable beyond loopback and no operator authentication is configured: "+
		"set OPERATOR_AUTH_TOKEN (or OPERATOR_OIDC_ISSUER and OPERATOR_OIDC_AUDIENCE), or bind it to 127.0.0.1", addr)
}

// accessLog logs the listener, method, route pattern (never the path or query: codec
// endpoints carry a token in their path, OAuth callbacks codes in their query) and
// status.
func accessLog(logger *zap.Logger, listener string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		logger.Debug("http request", zap.String("listener", listener), zap.String("method", r.Method), zap.String("route", route),
			zap.Int("status", rec.status), zap.Duration("duration", time.Since(start)))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the connection (the console's live streams
// flush and extend their write deadline).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
