// Command sandbox runs the API simulators used by `make dev` and the
// end-to-end tests: the HighLevel simulator (package highlevelsim) and, when
// its client id and secret are given, the Actionstep simulator (package
// actionstepsim), each on its own listener. It prints "sandbox <name>
// listening on http://ADDR" once each listener accepts connections, and stops
// gracefully on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

// simulator is one API simulator on its own listener.
type simulator struct {
	name    string // appears in the ready line
	addr    string
	handler http.Handler
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	ascfg, args, err := parseActionstepConfig(args, getenv)
	if err != nil {
		return err
	}
	cfg, err := parseConfig(args, getenv)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.logFormat, cfg.logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	hl, err := newHighLevel(cfg, log.Named("highlevel"))
	if err != nil {
		return err
	}
	defer hl.Close() // stops webhook deliveries after the listeners
	sims, err := withActionstep([]simulator{{name: "highlevel", addr: cfg.addr, handler: hl}}, ascfg, cfg.autoConsent, cfg.requirePKCE, log.Named("actionstep"))
	if err != nil {
		return err
	}
	return serve(ctx, log, stdout, sims)
}

// newHighLevel builds the HighLevel simulator and seeds the demo agency.
func newHighLevel(cfg config, log *zap.Logger) (*highlevelsim.Server, error) {
	s := highlevelsim.New(highlevelsim.Options{
		ClientID:       cfg.clientID,
		ClientSecret:   cfg.clientSecret,
		RateLimit:      cfg.rate,
		AutoConsent:    cfg.autoConsent,
		RequirePKCE:    cfg.requirePKCE,
		WebhookRSABits: cfg.webhookRSABits,
		Logger:         log,
	})
	// Faults go through SetFaults, not Options, so that a bad SANDBOX_FAULTS
	// is an error message rather than a panic.
	if _, err := s.SetFaults(cfg.faults); err != nil {
		return nil, fmt.Errorf("SANDBOX_FAULTS: %w", err)
	}
	if _, err := s.SetWebhookConfig(cfg.webhooks); err != nil {
		return nil, fmt.Errorf("SANDBOX_WEBHOOK_*: %w", err)
	}
	if _, err := s.SetStripeConfig(cfg.stripe); err != nil {
		return nil, fmt.Errorf("SANDBOX_STRIPE_WEBHOOK_*: %w", err)
	}
	if cfg.seedAgencyID == "" && cfg.seedLocations == 0 {
		return s, nil
	}
	created, err := s.CreateAgency(highlevelsim.AgencySpec{ID: cfg.seedAgencyID, Name: "Demo Agency", LocationCount: cfg.seedLocations})
	if err != nil {
		return nil, fmt.Errorf("seeding the demo agency: %w", err)
	}
	log.Info("demo agency seeded", zap.String("companyId", created.Agency.ID), zap.Strings("locationIds", created.Agency.LocationIDs))
	return s, nil
}

// serve runs every simulator until ctx ends or one of them fails, then
// shuts them all down.
func serve(ctx context.Context, log *zap.Logger, stdout io.Writer, sims []simulator) error {
	errc := make(chan error, len(sims))
	servers := make([]*http.Server, 0, len(sims))
	for _, sim := range sims {
		ln, err := net.Listen("tcp", sim.addr)
		if err != nil {
			shutdown(servers)
			return fmt.Errorf("%s: %w", sim.name, err)
		}
		srv := &http.Server{Handler: sim.handler, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		go func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", sim.name, err)
			}
		}()
		fmt.Fprintf(stdout, "sandbox %s listening on http://%s\n", sim.name, ln.Addr())
	}
	var err error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err = <-errc:
	}
	shutdown(servers)
	return err
}

func shutdown(servers []*http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(ctx) // after the timeout, remaining connections are simply cut
	}
}

func newLogger(format, level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("SANDBOX_LOG_LEVEL: %w", err)
	}
	zc := zap.NewProductionConfig()
	if format == "console" {
		zc = zap.NewDevelopmentConfig()
	}
	zc.Level = zap.NewAtomicLevelAt(lvl)
	return zc.Build()
}
