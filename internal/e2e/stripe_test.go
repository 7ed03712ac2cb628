package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/stripeevent"
	"github.com/saasbridge/saasbridge/workflows"
)

// stripeEvent is a fixture shaped like Stripe's event (internal/stripeevent/testdata),
// made about one location's subscription.
type stripeEvent struct {
	fixture, id              string
	created                  time.Time
	customer, sub, status    string
	location, price, product string // metadata location ("" for none), the item's price
}

// body renders the event as Stripe would send it: the fixture with this event's ids.
func (e stripeEvent) body(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(), "internal", "stripeevent", "testdata", e.fixture+".json"))
	require.NoError(t, err)
	var ev map[string]any
	require.NoError(t, json.Unmarshal(raw, &ev))
	ev["id"], ev["created"] = e.id, e.created.Unix()
	obj := ev["data"].(map[string]any)["object"].(map[string]any)
	obj["customer"] = e.customer
	meta := map[string]any{}
	if e.location != "" {
		meta["locationId"] = e.location
	}
	if obj["object"] == "subscription" {
		obj["id"], obj["metadata"] = e.sub, meta
		if e.status != "" {
			obj["status"] = e.status
		}
		item := obj["items"].(map[string]any)["data"].([]any)[0].(map[string]any)
		price := item["price"].(map[string]any)
		if e.price != "" {
			price["id"] = e.price
		}
		if e.product != "" {
			price["product"] = e.product
		}
	} else if parent, ok := obj["parent"].(map[string]any); ok { // an invoice, API 2025-03-31 and later
		parent["subscription_details"] = map[string]any{"subscription": e.sub, "metadata": meta}
	} else { // an invoice of an earlier API version
		obj["subscription"], obj["subscription_details"] = e.sub, map[string]any{"metadata": meta}
	}
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

// postStripe sends a body to the starter's Stripe endpoint with a signature header.
func (s *stack) postStripe(ctx context.Context, t testing.TB, body []byte, signature string) int {
	t.Helper()
	code, err := s.sendStripe(ctx, body, signature)
	require.NoError(t, err)
	return code
}

// sendStripe is postStripe for senders that retry a request that got no answer, as
// Stripe does.
func (s *stack) sendStripe(ctx context.Context, body []byte, signature string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.starterURL+"/webhooks/stripe", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(stripeevent.SignatureHeader, signature)
	resp, err := webhookSender.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// sandboxLocation is the location as HighLevel's sandbox has it.
func (s *stack) sandboxLocation(ctx context.Context, t testing.TB, id string) highlevelsim.Location {
	t.Helper()
	st, err := s.admin.State(ctx)
	require.NoError(t, err)
	i := slices.IndexFunc(st.Locations, func(l highlevelsim.Location) bool { return l.ID == id })
	require.GreaterOrEqual(t, i, 0, "location %s in the sandbox", id)
	return st.Locations[i]
}

// plans are an agency's SaaS plans as the sandbox has them.
func (s *stack) plans(ctx context.Context, t testing.TB, company string) []highlevelsim.SaaSPlan {
	t.Helper()
	st, err := s.admin.State(ctx)
	require.NoError(t, err)
	for _, a := range st.Agencies {
		if a.ID == company {
			return a.Plans
		}
	}
	t.Fatalf("agency %s not in the sandbox", company)
	return nil
}

// eventsOf are the owner's recorded outcomes of a location's events, by id.
func eventsOf(ctx context.Context, t testing.TB, known *facts.Store, loc string) map[string]facts.Event {
	t.Helper()
	evs, err := known.Events(ctx, loc, 1000)
	require.NoError(t, err)
	out := map[string]facts.Event{}
	for _, e := range evs {
		out[e.EventID] = e
	}
	return out
}

// TestStripeSignaturesEndToEnd sends events shaped like Stripe's to the starter: the
// well-signed ones (with the current secret, with the old one still listed during a
// rotation, and with both, as Stripe signs while a secret is rolled) reach HighLevel's
// and Actionstep's state; a wrong secret, a stale or future timestamp and a body
// changed by one byte are refused (401) and change nothing.
func TestStripeSignaturesEndToEnd(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	s.mustOnboard(ctx, t, loc)
	cus := s.sandboxLocation(ctx, t, loc).SaaS.CustomerID
	require.NotEmpty(t, cus, "enable-saas made the location a Stripe customer")
	old, current := s.stripeSecrets[0], s.stripeSecrets[1]
	base := time.Now().UTC().Truncate(time.Second)
	price := s.plans(ctx, t, s.companyID)[0].Prices[0].ID // the owner checks the price against the agency's plans
	ev := func(fixture, id, sub string, n int) stripeEvent {
		return stripeEvent{fixture: fixture, id: "evt_1E2E" + id + randHex(6), created: base.Add(time.Duration(n) * time.Second),
			customer: cus, sub: sub, location: loc, price: price}
	}
	send := func(e stripeEvent, at time.Time, secrets ...string) int {
		return s.postStripe(ctx, t, e.body(t), stripeevent.Sign(e.body(t), at, secrets...))
	}
	now := time.Now()

	created := ev("customer.subscription.created", "Created", "sub_e2e_"+loc, 1)
	created.status = "active"
	require.Equal(t, http.StatusOK, send(created, now, current), "signed with the current secret")
	st := s.waitOwner(ctx, t, loc, lastEvent("stripe/"+created.id))
	assert.Equal(t, "sub_e2e_"+loc, st.Subscription.SubscriptionID)

	refused := []struct {
		name  string
		event stripeEvent
		code  func(stripeEvent) int
	}{
		{"wrong secret", ev("customer.subscription.deleted", "WrongSecret", "sub_wrong", 2), func(e stripeEvent) int {
			return send(e, now, "whsec_notthisagencys0123456789abcdef")
		}},
		{"stale", ev("customer.subscription.deleted", "Stale", "sub_stale", 3), func(e stripeEvent) int { return send(e, now.Add(-10*time.Minute), current) }},
		{"future", ev("customer.subscription.deleted", "Future", "sub_future", 4), func(e stripeEvent) int { return send(e, now.Add(10*time.Minute), current) }},
		{"body changed by one byte", ev("customer.subscription.deleted", "OneByte", "sub_onebyte", 5), func(e stripeEvent) int {
			body := e.body(t)
			sig := stripeevent.Sign(body, now, current)
			tampered := bytes.Replace(body, []byte(`"status":"canceled"`), []byte(`"status":"canceleD"`), 1)
			require.NotEqual(t, body, tampered)
			return s.postStripe(ctx, t, tampered, sig)
		}},
	}
	for _, r := range refused {
		assert.Equal(t, http.StatusUnauthorized, r.code(r.event), r.name)
	}

	paused := ev("customer.subscription.paused", "RotationOld", "sub_e2e_"+loc, 6)
	require.Equal(t, http.StatusOK, send(paused, now, old), "the old secret, still listed during a rotation")
	s.waitOwner(ctx, t, loc, lastEvent("stripe/"+paused.id))
	resumed := ev("customer.subscription.resumed", "RotationBoth", "sub_e2e_"+loc, 7)
	require.Equal(t, http.StatusOK, send(resumed, now, old, current), "both, as Stripe signs while a secret is rolled")
	paid := ev("invoice.paid", "Paid", "sub_e2e_"+loc, 8)
	require.Equal(t, http.StatusOK, send(paid, now, current))
	st = s.waitOwner(ctx, t, loc, lastEvent("stripe/"+paid.id))

	// HighLevel and Actionstep hold what the accepted events said, and only that.
	hl := s.sandboxLocation(ctx, t, loc)
	assert.Equal(t, "sub_e2e_"+loc, hl.SaaS.SubscriptionID)
	assert.Equal(t, "active", hl.SaaS.SubscriptionStatus)
	assert.False(t, hl.SaaS.Paused, "paused, then resumed")
	assert.Equal(t, "active", st.Subscription.Status)
	m := s.actionstep(ctx, t).oneEach(t, loc)
	v := s.actionstep(ctx, t)
	assert.Equal(t, "sub_e2e_"+loc, v.values[m.ID]["subscription_id"])
	assert.Equal(t, "active", v.values[m.ID]["status"])
	got := eventsOf(ctx, t, s.facts(t), loc)
	for _, e := range []stripeEvent{created, paused, resumed, paid} {
		assert.Equal(t, facts.OutcomeApplied, got["stripe/"+e.id].Outcome, e.id)
	}
	for _, r := range refused {
		assert.NotContains(t, got, "stripe/"+r.event.id, "%s reached no owner", r.name)
	}
}

// TestStripeEventsFromTheSandboxFindTheirLocation: the sandbox's Stripe account sends
// events without metadata; the starter finds the location through HighLevel's
// locations-by-customer endpoint (once: then from its cache), the owner applies them,
// and HighLevel and Actionstep follow. An event for a customer no location has is kept,
// counted and listed (`starter stripe unmatched`), and re-driven by an operator.
func TestStripeEventsFromTheSandboxFindTheirLocation(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	s.mustOnboard(ctx, t, loc)
	require.NoError(t, s.admin.ResetCalls(ctx))
	base := time.Now().UTC().Truncate(time.Second)
	send := func(req highlevelsim.StripeSendRequest) highlevelsim.SentStripeEvent {
		sent, err := s.admin.SendStripeEvent(ctx, req)
		require.NoError(t, err)
		s.waitDelivered(ctx, t, sent.EventID)
		return sent
	}
	first := send(highlevelsim.StripeSendRequest{Type: highlevelsim.StripeSubscriptionCreated, LocationID: loc, Status: "active", Created: base.Add(time.Second)})
	s.waitOwner(ctx, t, loc, lastEvent("stripe/"+first.EventID))
	// Each agency the starter serves is asked in turn (earlier tests add agencies), so
	// the first event costs one call or more; the next of the customer's, none.
	calls, err := s.admin.Calls(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, calls.Count("GET /saas/locations", http.StatusOK), 1, "the customer's location asked of HighLevel")
	require.NoError(t, s.admin.ResetCalls(ctx))
	paused := send(highlevelsim.StripeSendRequest{Type: highlevelsim.StripeSubscriptionPaused, LocationID: loc, SubscriptionID: first.SubscriptionID, Created: base.Add(2 * time.Second)})
	st := s.waitOwner(ctx, t, loc, lastEvent("stripe/"+paused.EventID))
	assert.True(t, st.Subscription.Paused)
	assert.Equal(t, first.SubscriptionID, st.Subscription.SubscriptionID)
	v := s.actionstep(ctx, t)
	assert.Equal(t, "paused", v.values[v.oneEach(t, loc).ID]["status"])
	calls, err = s.admin.Calls(ctx)
	require.NoError(t, err)
	assert.Zero(t, calls.Count("GET /saas/locations", 0), "the customer's location is asked once, then cached")

	// A customer no location has: kept, counted, listed, re-driven to the location an
	// operator names.
	stray := send(highlevelsim.StripeSendRequest{Type: highlevelsim.StripeInvoicePaid, CompanyID: s.companyID, CustomerID: "cus_strayE2E" + randHex(3),
		SubscriptionID: "sub_1Stray" + randHex(4), Created: base.Add(3 * time.Second)})
	out := s.runStarter(ctx, t, nil, "stripe", "unmatched")
	assert.Contains(t, out, stray.EventID+" invoice.paid customer="+stray.CustomerID)
	assert.Contains(t, out, "no location of the agencies saasbridge serves has Stripe customer "+stray.CustomerID)
	_, metrics := get(ctx, t, s.operatorURL+"/metrics")
	assert.Contains(t, metrics, `saasbridge_webhooks_accepted_total{outcome="unmatched",source="stripe"}`)
	out = s.runStarter(ctx, t, nil, "stripe", "redrive", "--event", stray.EventID, "--location", loc)
	assert.Contains(t, out, "sent to location/"+loc)
	st = s.waitOwner(ctx, t, loc, lastEvent("stripe/"+stray.EventID))
	assert.Equal(t, stray.SubscriptionID, st.Subscription.SubscriptionID)
	assert.False(t, st.Subscription.Paused, "invoice.paid: active")
	assert.Contains(t, s.runStarter(ctx, t, nil, "stripe", "unmatched", "--all"), "re-driven to location "+loc)
}

// waitDelivered waits until the sandbox's delivery of an event ends delivered.
func (s *stack) waitDelivered(ctx context.Context, t testing.TB, id string) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		r, err := s.admin.WebhookDeliveries(ctx)
		if !assert.NoError(c, err) {
			return
		}
		ds := r.Find(id)
		if assert.NotEmpty(c, ds) {
			assert.Equal(c, highlevelsim.OutcomeDelivered, ds[len(ds)-1].Outcome)
		}
	}, time.Minute, 100*time.Millisecond)
}

// TestStripePlanChangesReachHighLevelAndActionstep: a customer moving to another plan
// in Stripe moves the location (HighLevel takes the plan from the subscription's price)
// and its Actionstep matter; a price of no agency plan parks the event with that
// message.
func TestStripePlanChangesReachHighLevelAndActionstep(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	loc := s.addLocations(ctx, t, 1)[0]
	s.mustOnboard(ctx, t, loc)
	growth := s.plans(ctx, t, s.companyID)[1]
	base := time.Now().UTC().Truncate(time.Second)
	sent, err := s.admin.SendStripeEvent(ctx, highlevelsim.StripeSendRequest{Type: highlevelsim.StripeSubscriptionCreated, LocationID: loc,
		PlanID: growth.PlanID, Status: "active", Created: base.Add(time.Second)})
	require.NoError(t, err)
	st := s.waitOwner(ctx, t, loc, lastEvent("stripe/"+sent.EventID))
	assert.Equal(t, growth.PlanID, st.Subscription.PlanID)
	assert.Equal(t, growth.Title, st.Subscription.PlanTitle)
	assert.Equal(t, growth.PlanID, s.sandboxLocation(ctx, t, loc).SaaS.SaaSPlanID)
	v := s.actionstep(ctx, t)
	assert.Equal(t, fmt.Sprintf("%s (%s)", growth.Title, growth.PlanID), v.values[v.oneEach(t, loc).ID]["plan"])

	stray, err := s.admin.SendStripeEvent(ctx, highlevelsim.StripeSendRequest{Type: highlevelsim.StripeSubscriptionUpdated, LocationID: loc,
		SubscriptionID: sent.SubscriptionID, PriceID: "price_1NoPlanOfTheirs", Created: base.Add(2 * time.Second)})
	require.NoError(t, err)
	st = s.waitOwner(ctx, t, loc, func(st workflows.LocationState) bool { return len(st.Parked) == 1 })
	assert.Contains(t, st.Parked[0].Error, "price price_1NoPlanOfTheirs belongs to none of agency "+s.companyID+"'s SaaS plans")
	assert.Equal(t, "stripe/"+stray.EventID, st.Parked[0].Event.EventID)
	_, err = workflows.ResolveParked(ctx, s.temporal, loc, "stripe/"+stray.EventID, true)
	require.NoError(t, err)
}

// TestWebhookOnboardingSetsUpTheInitialPlan: with a worker on the lead-to-client
// template and an initial-plan rule for one agency, an INSTALL webhook onboards that
// agency's location on the agency's plan (the sandbox shows the trialing subscription)
// and hands its business contact to Actionstep with the first task; the stack's own
// agency has no default, so its location gets none, and the facts, the install's
// outcome and the matter's note say so.
func TestWebhookOnboardingSetsUpTheInitialPlan(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	agency := s.newAgency(ctx, t, highlevelsim.AgencySpec{Name: "Plans Agency", LocationCount: 1})
	s.connectAgency(ctx, t, agency.Agency.ID)
	plan := agency.Agency.Plans[0]
	rule := fmt.Sprintf(`{"initialPlan":[{"when":{"location.companyId":%q},"planId":%q}]}`, agency.Agency.ID, plan.PlanID)
	s.restartWorkers(t, 1, "ACTIONSTEP_TEMPLATE=lead-to-client@1", "ACTIONSTEP_MAPPING="+rule)
	defer s.restartWorkers(t, 1)
	withPlan, without := agency.Locations[0].ID, s.addLocations(ctx, t, 1)[0]
	for _, l := range []highlevelsim.WebhookSendRequest{{Type: highlevelsim.EventInstall, LocationID: withPlan}, {Type: highlevelsim.EventInstall, LocationID: without}} {
		_, err := s.admin.SendWebhook(ctx, l)
		require.NoError(t, err)
	}
	isActive := func(st workflows.LocationState) bool { return st.Phase == facts.PhaseActive }
	planned, bare := s.waitOwner(ctx, t, withPlan, isActive), s.waitOwner(ctx, t, without, isActive)
	known := s.facts(t)

	// The default plan: a trialing subscription on it, in the sandbox and in the facts.
	hl := s.sandboxLocation(ctx, t, withPlan)
	assert.Equal(t, plan.PlanID, hl.SaaS.SaaSPlanID)
	assert.Equal(t, "trialing", hl.SaaS.SubscriptionStatus)
	assert.NotEmpty(t, hl.SaaS.SubscriptionID)
	subs, err := s.admin.StripeSubscriptions(ctx)
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(subs, func(sub highlevelsim.StripeSubscription) bool {
		return sub.ID == hl.SaaS.SubscriptionID && sub.Status == "trialing" && sub.PriceID == plan.Prices[0].ID
	}), "the agency's Stripe account has the subscription")
	row, _, err := known.Location(ctx, withPlan)
	require.NoError(t, err)
	assert.Contains(t, row.InitialPlan, fmt.Sprintf("plan %s (%s), price %s, a 14-day trial to ", plan.PlanID, plan.Title, plan.Prices[0].ID))
	assert.Contains(t, row.InitialPlan, "from initialPlan[0] of the mapping (location.companyId = "+agency.Agency.ID+")")
	assert.Equal(t, row.InitialPlan, planned.InitialPlan)

	// lead-to-client: the business contact is the client, the matter has its first task.
	v := s.actionstep(ctx, t)
	m := v.oneEach(t, withPlan)
	client := v.participants[withPlan][0]
	assert.Equal(t, []string{hl.Name, hl.Email, hl.Phone, hl.Website}, []string{client.CompanyName, client.Email, client.Phone1Number, client.Website})
	assert.Equal(t, "trialing", v.values[m.ID]["status"])
	var tasks []string
	for _, task := range v.st.Tasks {
		if task.ActionID == m.ID {
			tasks = append(tasks, task.Name)
		}
	}
	assert.Equal(t, []string{"Welcome call with " + hl.Name}, tasks)

	// No default plan: nothing invented, and said where an operator looks.
	assert.Empty(t, s.sandboxLocation(ctx, t, without).SaaS.SubscriptionID)
	row, _, err = known.Location(ctx, without)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(row.InitialPlan, "none: the install carries no plan or subscription and no default plan applies"), row.InitialPlan)
	assert.Equal(t, row.InitialPlan, bare.InitialPlan)
	install := eventsOf(ctx, t, known, without)
	require.Len(t, install, 1)
	for _, e := range install {
		assert.Equal(t, "initial subscription: "+row.InitialPlan, e.Message)
	}
	notes := v.notes[v.oneEach(t, without).ID]
	require.NotEmpty(t, notes)
	assert.Contains(t, notes[0], "Initial subscription: none")
}
