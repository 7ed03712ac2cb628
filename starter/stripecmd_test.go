package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/saasbridge/saasbridge/internal/config"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/mapping"
	"github.com/saasbridge/saasbridge/internal/stripeevent"
	"github.com/saasbridge/saasbridge/workflows"
)

// An unmatched event is listed, re-driven once HighLevel knows its customer (or to the
// location an operator names), and resolved; a discarded one is gone.
func TestStripeUnmatchedCommands(t *testing.T) {
	f := newStripeGateway(t)
	for _, name := range []string{"customer.subscription.updated", "customer.subscription.deleted"} {
		r := f.postStripe(stripeBody(t, name, ""), time.Now())
		require.Equal(t, "unmatched", r.reply.Status)
	}
	o := &stripeOperator{cfg: config.Starter{CompanyID: gwCompany}, known: f.known, locator: f.gw.stripeLocations,
		temporal: func() (client.Client, error) { return f.tc, nil }}
	ctx := context.Background()
	var out bytes.Buffer
	require.NoError(t, o.list(ctx, false, &out))
	assert.Contains(t, out.String(), "evt_1QFixtureSubUpdated0001 customer.subscription.updated customer="+stripeCustomer)
	assert.Contains(t, out.String(), "no location of the agencies saasbridge serves has Stripe customer")

	err := o.redrive(ctx, "evt_1QFixtureSubUpdated0001", "", &out)
	assert.ErrorContains(t, err, "still matches no location")

	f.byCustomer[gwCompany] = map[string][]string{stripeCustomer: {gwLocation}}
	f.tc.On("SignalWithStartWorkflow", mock.Anything, workflows.LocationWorkflowID(gwLocation), workflows.LocationSignal,
		mock.MatchedBy(func(ev workflows.LocationEvent) bool {
			return ev.EventID == "stripe/evt_1QFixtureSubUpdated0001" && ev.Status == "active" && ev.OccurredAt.Equal(time.Unix(1765800005, 0))
		}), mock.Anything, workflows.LocationWorkflowType, mock.Anything).Return(fakeRun(t, workflows.LocationWorkflowID(gwLocation)), nil).Once()
	out.Reset()
	require.NoError(t, o.redrive(ctx, "evt_1QFixtureSubUpdated0001", "", &out))
	assert.Contains(t, out.String(), "sent to location/"+gwLocation)
	err = o.redrive(ctx, "evt_1QFixtureSubUpdated0001", "", &out)
	assert.ErrorContains(t, err, "no open unmatched Stripe event", "re-driven once")

	require.NoError(t, o.discard(ctx, "evt_1QFixtureSubDeleted0001", &out))
	assert.Error(t, o.discard(ctx, "evt_1QFixtureSubDeleted0001", &out))
	out.Reset()
	require.NoError(t, o.list(ctx, false, &out))
	assert.Equal(t, "no unmatched Stripe events\n", out.String())
	out.Reset()
	require.NoError(t, o.list(ctx, true, &out))
	assert.Contains(t, out.String(), "re-driven to location "+gwLocation+" (found by highlevel)")
	assert.Contains(t, out.String(), "discarded by an operator")
	var kept []facts.UnmatchedEvent
	kept, err = f.known.UnmatchedEvents(ctx, true, 10)
	require.NoError(t, err)
	var c stripeevent.Change
	require.NoError(t, json.Unmarshal(kept[0].Detail, &c))
	assert.Empty(t, c.LocationID)
}

func TestTemplatesCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	t.Setenv("ACTIONSTEP_TEMPLATE", "lead-to-client")
	require.NoError(t, run(context.Background(), []string{"templates"}, &out, &errOut))
	assert.Contains(t, out.String(), "lead-to-client@1  (in force)\n")
	assert.Contains(t, out.String(), `first task: "Welcome call with {{location.name}}", due in 2 day(s)`)
	assert.Contains(t, out.String(), "standard@1\n")

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"templates", "show", "lead-to-client@1"}, &out, &errOut))
	m, err := mapping.Parse(out.Bytes())
	require.NoError(t, err, "show prints a mapping that parses")
	p, _ := mapping.LookupPreset("lead-to-client@1")
	assert.Equal(t, p.Mapping, m)

	t.Setenv("ACTIONSTEP_TEMPLATE", "nope")
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"templates"}, &out, &errOut))
	assert.True(t, strings.HasSuffix(out.String(), "ACTIONSTEP_TEMPLATE: mapping: no template \"nope\" (there are lead-to-client@1, standard@1); the worker refuses to start with it.\n"), out.String())
	assert.ErrorIs(t, run(context.Background(), []string{"templates", "show"}, &out, &errOut), errUsage)
}
