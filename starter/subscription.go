package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/saasbridge/saasbridge/workflows"
)

// subscriptionChanged is the operator's way to send a subscription change (or, with
// --check, a re-read of HighLevel's state) to a location's owner.
func subscriptionChanged(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("subscription-changed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		loc, company string
		ev           = workflows.LocationEvent{Kind: workflows.EventChange, Source: "operator command"}
		check, wait  bool
	)
	fs.StringVar(&loc, "location", "", "HighLevel location id (required)")
	fs.StringVar(&company, "company", "", "HighLevel company id (default $HIGHLEVEL_COMPANY_ID, else the first of $HIGHLEVEL_COMPANY_IDS)")
	fs.StringVar(&ev.SubscriptionID, "subscription", "", "Stripe subscription id (sub_…)")
	fs.StringVar(&ev.CustomerID, "customer", "", "Stripe customer id (cus_…), with --subscription")
	fs.StringVar(&ev.PlanID, "plan", "", "SaaS plan id the subscription is on")
	fs.StringVar(&ev.Status, "status", "", "billing status: active, trialing, past_due, paused, canceled, unpaid, incomplete")
	fs.StringVar(&ev.EventID, "event-id", "", "idempotency key: an event id handled before is skipped (default: a new id)")
	fs.BoolVar(&check, "check", false, "only re-read HighLevel's subscription state (no change)")
	fs.BoolVar(&wait, "wait", false, "wait until the event is handled and print its outcome")
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
	case (ev.SubscriptionID == "") != (ev.CustomerID == ""):
		fmt.Fprintln(stderr, "subscription-changed: --subscription and --customer go together")
		return errUsage
	case !check && ev.SubscriptionID == "" && ev.Status == "":
		fmt.Fprintln(stderr, "subscription-changed: give --subscription and --customer, or --status (or --check)")
		return errUsage
	}
	return sendEvent(ctx, loc, company, ev, wait, stdout)
}
