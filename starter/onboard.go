package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/workflows"
)

// onboard sends an install to a location's owner: it onboards the location unless it
// is onboarded already. With --wait it prints the outcome.
func onboard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("onboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var loc, company string
	ev := workflows.LocationEvent{Kind: workflows.EventInstall, Source: "operator command"}
	fs.StringVar(&loc, "location", "", "HighLevel location (sub-account) id (required)")
	fs.StringVar(&company, "company", "", "HighLevel company (agency) id (default $HIGHLEVEL_COMPANY_ID, else the first of $HIGHLEVEL_COMPANY_IDS)")
	fs.StringVar(&ev.PlanID, "plan", "", "SaaS plan id to enable the location on")
	fs.StringVar(&ev.PriceID, "price", "", "Stripe price id of the plan (price_…)")
	fs.StringVar(&ev.SubscriptionID, "subscription", "", "Stripe subscription id to attach (sub_…)")
	fs.StringVar(&ev.CustomerID, "customer", "", "Stripe customer id of the subscription (cus_…)")
	fs.StringVar(&ev.EventID, "event-id", "", "idempotency key: an event id handled before is skipped (default: a new id)")
	wait := fs.Bool("wait", false, "wait until the install is handled and print its outcome")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	switch {
	case loc == "":
		fmt.Fprintln(stderr, "onboard: --location is required")
		fs.Usage()
		return errUsage
	case (ev.SubscriptionID == "") != (ev.CustomerID == ""):
		fmt.Fprintln(stderr, "onboard: --subscription and --customer go together")
		return errUsage
	}
	return sendEvent(ctx, loc, company, ev, *wait, stdout)
}

// sendEvent delivers an operator's event to the location's owner; with wait, it waits
// for the outcome and prints it.
func sendEvent(ctx context.Context, loc, company string, ev workflows.LocationEvent, wait bool, stdout io.Writer) error {
	if ev.EventID == "" {
		ev.EventID = newOperatorEventID()
	}
	ev.OccurredAt = time.Now().UTC()
	cfg, err := config.LoadStarter()
	if err != nil {
		return err
	}
	if company = cmp.Or(company, cfg.DefaultCompany()); company == "" {
		return errors.New("no company: pass --company or set HIGHLEVEL_COMPANY_ID or HIGHLEVEL_COMPANY_IDS")
	}
	c, err := dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if !wait {
		run, err := workflows.SignalLocation(ctx, c, loc, company, ev)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s event %s sent to workflow %s run %s\n", ev.Kind, ev.EventID, run.GetID(), run.GetRunID())
		return nil
	}
	res, err := workflows.ApplyLocationEvent(ctx, c, loc, company, ev)
	if err != nil {
		return err
	}
	printResult(stdout, loc, res)
	if res.Outcome.Outcome == "parked" {
		return fmt.Errorf("event %s parked: %s", ev.EventID, res.Outcome.Message)
	}
	return nil
}

func printResult(w io.Writer, loc string, r workflows.EventResult) {
	s := r.State
	fmt.Fprintf(w, "%s event %s: %s", orNone(r.Outcome.Kind), r.Outcome.EventID, r.Outcome.Outcome)
	if r.Outcome.Message != "" {
		fmt.Fprintf(w, " (%s)", r.Outcome.Message)
	}
	fmt.Fprintf(w, "\nlocation %s: phase=%s saasMode=%s plan=%s subscription=%s status=%s parked=%d\n",
		loc, s.Phase, orNone(s.Subscription.SaaSMode), orNone(s.Subscription.PlanID), orNone(s.Subscription.SubscriptionID),
		orNone(s.Subscription.Status), len(s.Parked))
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newOperatorEventID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "operator/" + hex.EncodeToString(b)
}
