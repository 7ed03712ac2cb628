// Command starter turns the outside world into workflow starts: it serves HighLevel's
// webhooks, Stripe and billing events and the OAuth "connect" flow, and offers operator
// commands. The main ones (`starter help` lists them all):
//
//	starter serve                                  HTTP server (public and operator listeners)
//	starter onboard --location ID [--plan ID] ...  start (or join) one onboarding
//	starter events parked|redrive|discard          the events owners parked for an operator
//	starter schedules apply                        the reconciliation and upkeep schedules
//	starter store reencrypt                        re-seal stored tokens with the current key
//	starter migrate status|up                      the store's schema migrations
//	starter audit [--location ID] … | verify       print or verify the audit trail
//	starter doctor                                 check a running deployment
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/saasbridge/saasbridge/workflows"
)

const usage = `usage: starter <command> [flags]

commands:
  serve     serve webhooks, Stripe and billing events and the OAuth callbacks (public listener),
            and the codec server, metrics, readiness and connect pages (operator listener)
  onboard   send an install to a location's owner (onboards it unless it is)
  subscription-changed
            send a subscription change (or a check) to a location's owner
  events parked|redrive|discard
            list the events owners parked, apply one again or drop it
  owners upgrade
            ask every owner to continue as new at its next quiet point
  search-attributes
            print the custom search attributes (Name=Type) a namespace needs
  schedules apply
            create or update the reconciliation and credential-upkeep schedules
  store reencrypt
            re-seal every stored token sealed with an old key (STORE_ENCRYPTION_OLD_KEYS)
            with the current one (STORE_ENCRYPTION_KEY)
  migrate status|up
            list the store's schema migrations, or apply the pending ones
  audit [--location ID] [--since T] [--until T] [--kind K] [--format jsonl|csv]
            print the audit trail (credentials, API calls, subscription changes,
            Actionstep records); "audit verify" checks its hash chain
  setup actionstep [--dry-run]
            check the connected Actionstep organisation and create the data
            collection fields the mapping needs
  doctor    check a running deployment, item by item, with a fix for each failure
  templates [show NAME]
            list the shipped Actionstep mapping templates (ACTIONSTEP_TEMPLATE), or print one
  stripe unmatched|redrive|discard
            list the Stripe events no location matched, send one to its location, or drop it

Run "starter <command> -h" for a command's flags. Settings come from the environment
(see .env.example).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "onboard":
		return onboard(ctx, args[1:], stdout, stderr)
	case "subscription-changed":
		return subscriptionChanged(ctx, args[1:], stdout, stderr)
	case "schedules":
		return schedules(ctx, args[1:], stdout, stderr)
	case "events":
		return events(ctx, args[1:], stdout, stderr)
	case "owners":
		return ownersCmd(ctx, args[1:], stdout, stderr)
	case "store":
		return store(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], stdout, stderr)
	case "audit":
		return auditCmd(ctx, args[1:], stdout, stderr)
	case "setup":
		return setup(ctx, args[1:], stdout, stderr)
	case "doctor":
		return doctor(ctx, args[1:], stdout, stderr)
	case "templates":
		return templates(args[1:], stdout, stderr)
	case "stripe":
		return stripeCmd(ctx, args[1:], stdout, stderr)
	case "search-attributes":
		for _, name := range slices.Sorted(maps.Keys(workflows.SearchAttributes())) {
			fmt.Fprintf(stdout, "%s=%s\n", name, workflows.SearchAttributes()[name])
		}
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}
