package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/workflows"
)

func onboard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("onboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var in workflows.OnboardingInput
	fs.StringVar(&in.LocationID, "location", "", "HighLevel location (sub-account) id (required)")
	fs.StringVar(&in.CompanyID, "company", "", "HighLevel company (agency) id (default $HIGHLEVEL_COMPANY_ID, else the first of $HIGHLEVEL_COMPANY_IDS)")
	fs.StringVar(&in.PlanID, "plan", "", "SaaS plan id to enable the location on")
	fs.StringVar(&in.PriceID, "price", "", "Stripe price id of the plan (price_…)")
	fs.StringVar(&in.SubscriptionID, "subscription", "", "Stripe subscription id to attach (sub_…)")
	fs.StringVar(&in.CustomerID, "customer", "", "Stripe customer id of the subscription (cus_…)")
	wait := fs.Bool("wait", false, "wait for the onboarding to finish and print its result")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if in.LocationID == "" {
		fmt.Fprintln(stderr, "onboard: --location is required")
		fs.Usage()
		return errUsage
	}

	cfg, err := config.LoadStarter()
	if err != nil {
		return err
	}
	if in.CompanyID == "" {
		in.CompanyID = cfg.DefaultCompany()
	}
	if in.CompanyID == "" {
		return errors.New("onboard: no company: pass --company or set HIGHLEVEL_COMPANY_ID or HIGHLEVEL_COMPANY_IDS")
	}
	in.Trigger = "operator command"

	c, err := dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()

	run, err := workflows.StartOnboarding(ctx, c, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "onboarding %s: workflow %s run %s\n", in.LocationID, run.GetID(), run.GetRunID())
	if !*wait {
		return nil
	}
	var res workflows.OnboardingResult
	if err := run.Get(ctx, &res); err != nil {
		return fmt.Errorf("onboarding %s failed: %w", in.LocationID, err)
	}
	fmt.Fprintf(stdout, "onboarded %s: saasMode=%s plan=%s subscription=%s status=%s alreadyEnabled=%t\n",
		res.LocationID, res.SaaSMode, res.PlanID, res.SubscriptionID, res.SubscriptionStatus, res.AlreadyEnabled)
	return nil
}
