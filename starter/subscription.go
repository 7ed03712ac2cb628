package main

import (
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

// subscriptionChanged is the operator's way to send a subscription change (or, with
// --check, a re-read of HighLevel's state) to a location's subscription workflow.
func subscriptionChanged(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("subscription-changed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		loc, company string
		ev           = workflows.SubscriptionEvent{Kind: workflows.EventChange, Source: "operator command"}
		check        bool
	)
	fs.StringVar(&loc, "location", "", "HighLevel location id (required)")
	fs.StringVar(&company, "company", "", "HighLevel company id (default $HIGHLEVEL_COMPANY_ID, else the first of $HIGHLEVEL_COMPANY_IDS)")
	fs.StringVar(&ev.SubscriptionID, "subscription", "", "Stripe subscription id (sub_…), required for a change")
	fs.StringVar(&ev.CustomerID, "customer", "", "Stripe customer id (cus_…), required for a change")
	fs.StringVar(&ev.PlanID, "plan", "", "SaaS plan id the subscription is on")
	fs.StringVar(&ev.Status, "status", "", "billing status: active, trialing, past_due, paused, canceled, unpaid, incomplete")
	fs.StringVar(&ev.EventID, "event-id", "", "idempotency key: an event id applied before is skipped (default: a new id)")
	fs.BoolVar(&check, "check", false, "only re-read HighLevel's subscription state (no change)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if check {
		ev.Kind = workflows.EventCheck
	}
	switch {
	case loc == "":
		fmt.Fprintln(stderr, "subscription-changed: --location is required")
		return errUsage
	case !check && (ev.SubscriptionID == "" || ev.CustomerID == ""):
		fmt.Fprintln(stderr, "subscription-changed: --subscription and --customer are required (or --check)")
		return errUsage
	}
	if ev.EventID == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		ev.EventID = "operator/" + hex.EncodeToString(b)
	}
	ev.OccurredAt = time.Now().UTC()

	cfg, err := config.LoadStarter()
	if err != nil {
		return err
	}
	if company == "" {
		company = cfg.DefaultCompany()
	}
	if company == "" {
		return errors.New("subscription-changed: no company: pass --company or set HIGHLEVEL_COMPANY_ID or HIGHLEVEL_COMPANY_IDS")
	}
	c, err := dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	run, err := workflows.SignalSubscription(ctx, c, loc, company, ev)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "event %s sent to workflow %s run %s\n", ev.EventID, run.GetID(), run.GetRunID())
	return nil
}
