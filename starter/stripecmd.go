package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/deps"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/logging"
	"github.com/saasbridge/saasbridge/internal/stripeevent"
	"github.com/saasbridge/saasbridge/workflows"
)

const stripeUsage = `usage:
  starter stripe unmatched [--all]                    list the Stripe events no location matched (--all: resolved ones too)
  starter stripe redrive --event ID [--location ID]   match it again (or send it to that location) and send it to the owner
  starter stripe discard --event ID                   drop it for good`

// stripeCmd lists, re-drives and discards the Stripe events the gateway kept because no
// location matched them.
func stripeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, stripeUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("stripe "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	all := fs.Bool("all", false, "unmatched: list resolved events too")
	eventID := fs.String("event", "", "the Stripe event id (evt_…)")
	loc := fs.String("location", "", "redrive: the location to send it to, when HighLevel cannot tell")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	op := args[0]
	if (op != "unmatched" && op != "redrive" && op != "discard") || (op != "unmatched" && *eventID == "") {
		fmt.Fprintln(stderr, stripeUsage)
		return errUsage
	}
	o, closeAll, err := openStripeOperator(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	switch op {
	case "unmatched":
		return o.list(ctx, *all, stdout)
	case "discard":
		return o.discard(ctx, *eventID, stdout)
	}
	return o.redrive(ctx, *eventID, *loc, stdout)
}

// stripeOperator is what the commands need: the facts, the gateway's locator, Temporal.
type stripeOperator struct {
	cfg      config.Starter
	known    *facts.Store
	locator  *stripeLocator
	temporal func() (client.Client, error)
}

func openStripeOperator(ctx context.Context) (*stripeOperator, func(), error) {
	cfg, err := config.LoadStarter()
	if err != nil {
		return nil, nil, err
	}
	logger, err := logging.New(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return nil, nil, err
	}
	store, err := deps.OpenStore(ctx, cfg.Store, logger)
	if err != nil {
		return nil, nil, err
	}
	hl, err := highlevel.New(cfg.HighLevel.BaseURL, cfg.HighLevel.ClientID, cfg.HighLevel.ClientSecret,
		highlevel.WithHTTPClient(&http.Client{Timeout: cfg.HighLevel.RequestTimeout}))
	if err != nil {
		_ = store.Close()
		return nil, nil, err
	}
	known := facts.New(store.DB())
	var c client.Client
	o := &stripeOperator{cfg: cfg, known: known,
		locator: newStripeLocator(known, companyFromStore(known, store, cfg.DefaultCompany()), cfg.Companies(), agencyLookup(hl, store)),
		temporal: func() (client.Client, error) {
			if c == nil {
				c, err = dial(ctx, cfg)
			}
			return c, err
		}}
	return o, func() {
		if c != nil {
			c.Close()
		}
		_ = store.Close()
	}, nil
}

func (o *stripeOperator) list(ctx context.Context, all bool, w io.Writer) error {
	evs, err := o.known.UnmatchedEvents(ctx, all, 1000)
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		fmt.Fprintln(w, "no unmatched Stripe events")
		return nil
	}
	for _, u := range evs {
		fmt.Fprintf(w, "%s %s customer=%s subscription=%s occurred=%s received=%s deliveries=%d\n  %s\n",
			u.EventID, u.Type, orNone(u.CustomerID), orNone(u.SubscriptionID), u.OccurredAt.Format(time.RFC3339),
			u.ReceivedAt.Format(time.RFC3339), u.Deliveries, u.Reason)
		if !u.Open() {
			fmt.Fprintf(w, "  resolved %s: %s\n", u.ResolvedAt.Format(time.RFC3339), u.Resolution)
		}
	}
	return nil
}

func (o *stripeOperator) discard(ctx context.Context, eventID string, w io.Writer) error {
	ok, err := o.known.ResolveUnmatched(ctx, sourceStripe, eventID, "discarded by an operator")
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no open unmatched Stripe event %s", eventID)
	}
	fmt.Fprintf(w, "%s discarded\n", eventID)
	return nil
}

// redrive matches an unmatched event again (or takes the operator's location) and
// sends it to the owner, which orders it by its time and deduplicates it as any other.
func (o *stripeOperator) redrive(ctx context.Context, eventID, loc string, w io.Writer) error {
	u, ok, err := o.known.UnmatchedEvent(ctx, sourceStripe, eventID)
	switch {
	case err != nil:
		return err
	case !ok || !u.Open():
		return fmt.Errorf("no open unmatched Stripe event %s", eventID)
	}
	var c stripeevent.Change
	if err := json.Unmarshal(u.Detail, &c); err != nil {
		return fmt.Errorf("read unmatched event %s: %w", eventID, err)
	}
	c.LocationID = cmp.Or(loc, c.LocationID)
	found, err := o.locator.locate(ctx, c)
	var unmatched *unmatchedError
	switch {
	case errors.As(err, &unmatched):
		return fmt.Errorf("%s still matches no location: %s", eventID, unmatched.reason)
	case err != nil:
		return err
	case !newAllowlist(o.cfg.Companies())[found.companyID]:
		return fmt.Errorf("%s belongs to location %s of company %s, which saasbridge does not serve", eventID, found.locationID, found.companyID)
	}
	tc, err := o.temporal()
	if err != nil {
		return err
	}
	run, err := workflows.SignalLocation(ctx, tc, found.locationID, found.companyID, stripeLocationEvent(stripeEventPrefix+c.EventID, c))
	if err != nil {
		return err
	}
	if _, err := o.known.ResolveUnmatched(ctx, sourceStripe, eventID, fmt.Sprintf("re-driven to location %s (found by %s)", found.locationID, found.via)); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s sent to %s run %s\n", eventID, run.GetID(), run.GetRunID())
	return nil
}
