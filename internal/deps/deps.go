// Package deps opens what the worker and the starter's server both run on, the same way
// for both: the logger, the metrics registry, the token store and the audit trail in its
// database, the HighLevel and Actionstep API clients (every call observed by the metrics
// and the trail), the payload encryption keys and the Temporal client. Close closes them
// in the reverse order.
package deps

import (
	"context"
	"fmt"
	"net/http"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/saasbridge/saasbridge/internal/actionstep"
	"github.com/saasbridge/saasbridge/internal/audit"
	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/health"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/httpapi"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/metrics"
	"github.com/saasbridge/saasbridge/internal/payloadcodec"
	"github.com/saasbridge/saasbridge/internal/temporalclient"
	"github.com/saasbridge/saasbridge/internal/tokens"
)

// Deps are a process's open dependencies.
type Deps struct {
	Logger     *zap.Logger
	Metrics    *metrics.Metrics
	Store      *tokens.Store
	Trail      *audit.Log
	HighLevel  *highlevel.Client
	Actionstep *actionstep.Client
	// Keys encrypt payloads: the Temporal client's data converter and the starter's
	// codec server use them.
	Keys payloadcodec.Keys
	// Temporal is nil until DialTemporal or LazyTemporal.
	Temporal client.Client

	temporal config.Temporal
	closers  []func()
}

// Open opens every dependency but the Temporal client, which each program opens its
// own way (DialTemporal, LazyTemporal). auditOpts add to the audit trail's options. On
// an error what was opened is closed again.
func Open(ctx context.Context, s config.Common, auditOpts ...audit.Option) (*Deps, error) {
	logger, err := logging.New(s.Log.Level, s.Log.Format)
	if err != nil {
		return nil, err
	}
	d := &Deps{Logger: logger, temporal: s.Temporal}
	if err := d.open(ctx, s, auditOpts); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Deps) open(ctx context.Context, s config.Common, auditOpts []audit.Option) error {
	d.Metrics = metrics.New(metrics.WithLogger(d.Logger))
	d.onClose(func() { _ = d.Metrics.Close() })
	if err := d.openStore(ctx, s.Store, auditOpts); err != nil {
		return err
	}
	if err := d.newAPIClients(s.HighLevel, s.Actionstep); err != nil {
		return err
	}
	keys, err := temporalclient.PayloadKeys(s.Payloads)
	if err != nil {
		return err
	}
	d.Keys = keys
	return nil
}

// openStore opens the token store, its refreshes counted, and the audit trail that
// appends to its database.
func (d *Deps) openStore(ctx context.Context, s config.Store, auditOpts []audit.Option) error {
	store, err := OpenStore(ctx, s, d.Logger,
		tokens.WithRefreshObserver(func(kind tokens.Kind, outcome string) { d.Metrics.TokenRefresh(string(kind), outcome) }))
	if err != nil {
		return err
	}
	d.Store = store
	d.onClose(func() { _ = d.Store.Close() })
	d.Trail = audit.NewLog(store.DB(), append([]audit.Option{audit.WithLogger(d.Logger)}, auditOpts...)...)
	d.onClose(func() { _ = d.Trail.Close() })
	d.Metrics.WatchAuditDrops(d.Trail.Dropped)
	return nil
}

// newAPIClients builds the HighLevel and Actionstep clients; the metrics and the audit
// trail observe every call they make.
func (d *Deps) newAPIClients(h config.HighLevel, a config.Actionstep) error {
	var err error
	d.HighLevel, err = highlevel.New(h.BaseURL, h.ClientID, h.ClientSecret,
		highlevel.WithHTTPClient(&http.Client{Timeout: h.RequestTimeout}),
		highlevel.WithObserver(httpapi.Tee(d.Metrics.HighLevelObserver(), d.Trail.HighLevelObserver())))
	if err != nil {
		return err
	}
	d.Actionstep, err = actionstep.New(a.TokenURL, a.ClientID, a.ClientSecret,
		actionstep.WithHTTPClient(&http.Client{Timeout: a.CallTimeout}),
		actionstep.WithObserver(httpapi.Tee(d.Metrics.ActionstepObserver(), d.Trail.ActionstepObserver())))
	return err
}

// OpenStore opens the token store with its key ring; opts come after the key ring's
// options. The starter's one-shot commands open it alone.
func OpenStore(ctx context.Context, s config.Store, logger *zap.Logger, opts ...tokens.Option) (*tokens.Store, error) {
	opts = append([]tokens.Option{tokens.WithKeyID(s.EncryptionKey.ID), tokens.WithOldKeys(s.OldKeys()), tokens.WithLogger(logger)}, opts...)
	store, err := tokens.Open(ctx, s.DSN, s.EncryptionKey.Key, opts...)
	if err != nil {
		return nil, fmt.Errorf("open token store: %w", err)
	}
	return store, nil
}

// DialTemporal connects to Temporal and checks the connection once, so that a wrong
// address fails at start: the worker has nothing to do without Temporal.
func (d *Deps) DialTemporal(ctx context.Context) error {
	c, err := temporalclient.Dial(ctx, d.temporal, d.Logger, d.temporalDeps())
	if err != nil {
		return err
	}
	d.setTemporal(c)
	return nil
}

// LazyTemporal creates a Temporal client that connects on first use: the starter's
// server comes up, and answers webhooks with 429, even while Temporal is down.
func (d *Deps) LazyTemporal() error {
	c, err := temporalclient.Lazy(d.temporal, d.Logger, d.temporalDeps())
	if err != nil {
		return err
	}
	d.setTemporal(c)
	return nil
}

func (d *Deps) temporalDeps() temporalclient.Deps {
	return temporalclient.Deps{DataConverter: payloadcodec.DataConverter(d.Keys), Metrics: d.Metrics.TemporalHandler()}
}

func (d *Deps) setTemporal(c client.Client) {
	d.Temporal = c
	d.onClose(c.Close)
}

// Checks are the readiness checks (/readyz) of what the process cannot work without:
// Temporal and the token store.
func (d *Deps) Checks() map[string]health.Check {
	return map[string]health.Check{"temporal": health.TemporalCheck(d.Temporal), "token_store": health.PingCheck(d.Store)}
}

func (d *Deps) onClose(f func()) { d.closers = append(d.closers, f) }

// Close closes what Open and DialTemporal or LazyTemporal opened, the last opened first
// (the audit trail writes what waits before the store closes), and flushes the log.
func (d *Deps) Close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
	d.closers = nil
	_ = d.Logger.Sync()
}
