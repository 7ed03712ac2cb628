package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/workflows"
)

const eventsUsage = `usage:
  starter events parked [--location ID]            list parked events (every owner, or one)
  starter events redrive --location ID --event ID  apply a parked event again, print its outcome
  starter events discard --location ID --event ID  drop a parked event for good`

// events lists, re-drives and discards the events parked by the locations' owners.
func events(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, eventsUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("events "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	loc := fs.String("location", "", "HighLevel location id")
	eventID := fs.String("event", "", "the parked event's id (redrive, discard)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	op := args[0]
	if (op == "redrive" || op == "discard") && (*loc == "" || *eventID == "") || (op != "parked" && op != "redrive" && op != "discard") {
		fmt.Fprintln(stderr, eventsUsage)
		return errUsage
	}
	c, err := dialOperator(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if op == "parked" {
		return listParked(ctx, c, *loc, stdout)
	}
	res, err := workflows.ResolveParked(ctx, c, *loc, *eventID, op == "discard")
	if err != nil {
		return err
	}
	printResult(stdout, *loc, res)
	return nil
}

func dialOperator(ctx context.Context) (client.Client, error) {
	cfg, err := config.LoadStarter()
	if err != nil {
		return nil, err
	}
	return dial(ctx, cfg)
}

// listParked prints the parked events of one owner, or of every owner that has some.
func listParked(ctx context.Context, c client.Client, loc string, stdout io.Writer) error {
	ids := []string{workflows.LocationWorkflowID(loc)}
	if loc == "" {
		var err error
		query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND %s = 'parked'",
			workflows.LocationWorkflowType, workflows.NeedsAttentionAttr.GetName())
		if ids, err = runningOwners(ctx, c, query); err != nil {
			return err
		}
	}
	for _, id := range ids {
		v, err := c.QueryWorkflow(ctx, id, "", workflows.StatusQuery)
		if err != nil {
			return fmt.Errorf("query %s: %w", id, err)
		}
		var st workflows.LocationState
		if err := v.Get(&st); err != nil {
			return fmt.Errorf("decode the state of %s: %w", id, err)
		}
		for _, p := range st.Parked {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\n", st.LocationID, p.Event.EventID, p.Event.Kind, p.ParkedAt.Format("2006-01-02T15:04:05Z07:00"), p.Error)
		}
	}
	return nil
}

// runningOwners lists the workflow ids a visibility query matches, page by page.
func runningOwners(ctx context.Context, c client.Client, query string) ([]string, error) {
	var ids []string
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list owners (%s): %w", query, err)
		}
		for _, e := range resp.GetExecutions() {
			ids = append(ids, executionID(e))
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return ids, nil
		}
	}
}

func executionID(e *workflowpb.WorkflowExecutionInfo) string { return e.GetExecution().GetWorkflowId() }

// ownersCmd asks every running owner to continue as new at its next quiet point, so
// that it runs the code of the latest deploy (a GetVersion branch is fixed for a run).
func ownersCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || args[0] != "upgrade" {
		fmt.Fprintln(stderr, "usage: starter owners upgrade")
		return errUsage
	}
	c, err := dialOperator(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	ids, err := runningOwners(ctx, c, fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", workflows.LocationWorkflowType))
	if err != nil {
		return err
	}
	asked := 0
	for _, id := range ids {
		if err := c.SignalWorkflow(ctx, id, "", workflows.UpgradeSignal, nil); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", id, err)
			continue
		}
		asked++
	}
	fmt.Fprintf(stdout, "asked %d of %d running owners to continue as new at their next quiet point\n", asked, len(ids))
	if asked < len(ids) {
		return fmt.Errorf("%d owners could not be signalled", len(ids)-asked)
	}
	return nil
}
