package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saasbridge/saasbridge/internal/sandbox/actionstepsim"
	"github.com/saasbridge/saasbridge/internal/sandbox/highlevelsim"
	"github.com/saasbridge/saasbridge/internal/stripeevent"
	"github.com/saasbridge/saasbridge/workflows"
)

// TestInterleavingAudit sends every location a random, seeded life (installs, a
// LocationCreate beside the INSTALL, LocationUpdates, billing changes and Stripe
// events delivered shuffled, late and twice, operator commands, uninstalls, late events after them and
// re-installs), interleaved across locations through the real gateway, while HighLevel
// and Actionstep go down for longer than a step's budget, a worker is killed with
// SIGKILL and the dev server restarts. Then it audits the end state against the seed's
// ground truth (see auditInterleaving). SAASBRIDGE_AUDIT_SEED replays one seed;
// `make chaos` runs 200 locations with 5 seeds, `make test` 20 with one.
func TestInterleavingAudit(t *testing.T) {
	s := need(t)
	n, seeds := 20, []uint64{uint64(time.Now().UnixNano())}
	if chaosScale() > 1 {
		n, seeds = 10*chaosScale(), nil
		for range 5 {
			seeds = append(seeds, rand.Uint64())
		}
	}
	if v := os.Getenv("SAASBRIDGE_AUDIT_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "SAASBRIDGE_AUDIT_SEED")
		seeds = []uint64{seed}
	}
	// Steps give up quickly, so an outage of a few seconds outlasts a step's budget.
	s.restartWorkers(t, 2, "STEP_BUDGET="+auditStepBudget.String())
	defer s.restartWorkers(t, 1)
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("replay with SAASBRIDGE_AUDIT_SEED=%d", seed)
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(6+n/20)*time.Minute)
			defer cancel()
			a := newAudit(ctx, t, s, seed, n)
			start := time.Now()
			a.run()
			a.settle()
			a.report(time.Since(start))
			a.check()
		})
	}
}

// auditStepBudget is the workers' STEP_BUDGET during the audit; outages last longer.
const auditStepBudget = 6 * time.Second

// plannedEvent is one event of a location's life. at is when it happens in the world
// (its occurredAt is the audit's base time plus at); it is delivered at deliver, and
// again at redeliver when that is set.
type plannedEvent struct {
	loc       string
	kind      string // INSTALL, LocationCreate, LocationUpdate, UNINSTALL, billing, stripe, operator-change, operator-check
	id        string
	at        time.Duration
	deliver   time.Duration
	redeliver time.Duration
	sub       string
	status    string
	// world is what the event does to HighLevel's own state when it happens:
	// "install", "uninstall" or "".
	world string
}

// eventID is the id the owner sees.
func (e plannedEvent) eventID() string {
	switch e.kind {
	case "billing":
		return "billing/" + e.id
	case "stripe":
		return "stripe/" + e.id
	case "operator-change", "operator-check":
		return e.id
	}
	return "highlevel/" + e.id
}

type audit struct {
	ctx  context.Context
	t    *testing.T
	s    *stack
	rng  *rand.Rand
	base time.Time
	locs []string
	plan []plannedEvent
	mu   sync.Mutex
	// accepted are the events the gateway (or Temporal) took, by event id.
	accepted map[string]plannedEvent
	faults   []string
	// plan is a SaaS plan of the stack's agency: the owner checks an event's plan (or
	// Stripe price) against the agency's plans and parks one it does not have.
	saasPlan highlevelsim.SaaSPlan
}

func newAudit(ctx context.Context, t *testing.T, s *stack, seed uint64, n int) *audit {
	a := &audit{ctx: ctx, t: t, s: s, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), accepted: map[string]plannedEvent{}}
	require.NoError(t, s.admin.ResetCalls(ctx))
	a.saasPlan = s.plans(ctx, t, s.companyID)[0]
	a.locs = s.addLocations(ctx, t, n)
	for _, loc := range a.locs {
		a.plan = append(a.plan, a.life(loc)...)
	}
	return a
}

// life draws one location's events: an install (and often a LocationCreate), billing
// changes and Stripe events, LocationUpdates, operator commands, maybe an uninstall
// with a late change after it and a re-install.
func (a *audit) life(loc string) []plannedEvent {
	r := a.rng
	at := time.Duration(r.IntN(8000)) * time.Millisecond
	step := func() time.Duration { at += time.Duration(100+r.IntN(1500)) * time.Millisecond; return at }
	var evs []plannedEvent
	add := func(kind string, when time.Duration, mod func(*plannedEvent)) {
		e := plannedEvent{loc: loc, kind: kind, id: fmt.Sprintf("%s-%d-%s", loc, len(evs), strings.ToLower(kind[:3])), at: when}
		if mod != nil {
			mod(&e)
		}
		evs = append(evs, e)
	}
	statuses := []string{"active", "active", "trialing", "past_due", "unpaid", "paused", "canceled"}
	change := func(kind string) {
		when := step()
		if kind == "stripe" {
			// Stripe's created is in whole seconds: the event happens on one, after the
			// location's earlier events, so the newest change stays well defined.
			when = (when/time.Second + 1) * time.Second
			at = when
		}
		add(kind, when, func(e *plannedEvent) {
			e.sub, e.status = fmt.Sprintf("sub_%s_%d", loc, len(evs)), statuses[r.IntN(len(statuses))]
			if kind == "stripe" {
				e.id = fmt.Sprintf("evt_1Audit%s%d", loc, len(evs))
			}
		})
	}
	// a subscription change comes from the generic billing endpoint or from Stripe.
	billingOrStripe := func() string { return []string{"billing", "stripe"}[r.IntN(2)] }
	if r.IntN(5) == 0 { // a change made just before the install
		change(billingOrStripe())
	}
	add("INSTALL", step(), nil)
	if r.IntN(2) == 0 {
		add("LocationCreate", at+5*time.Millisecond, nil)
	}
	for range 1 + r.IntN(4) {
		switch r.IntN(6) {
		case 0:
			add("LocationUpdate", step(), nil)
		case 1:
			change("operator-change")
		default:
			change(billingOrStripe())
		}
	}
	if r.IntN(8) == 0 {
		add("operator-check", step(), nil)
	}
	if r.IntN(3) == 0 {
		add("UNINSTALL", step(), func(e *plannedEvent) { e.world = "uninstall" })
		uninstalledAt := at
		if r.IntN(2) == 0 { // a change from before the uninstall, delivered after it
			add("billing", uninstalledAt-time.Duration(50+r.IntN(500))*time.Millisecond, func(e *plannedEvent) {
				e.sub, e.status, e.deliver = "sub_"+loc+"_late", "active", uninstalledAt+2*time.Second
			})
		}
		if r.IntN(2) == 0 {
			add("INSTALL", step(), func(e *plannedEvent) { e.world = "install" })
			change(billingOrStripe())
		}
	}
	for i := range evs {
		e := &evs[i]
		if e.deliver == 0 {
			e.deliver = e.at + time.Duration(r.IntN(2500))*time.Millisecond
			if r.IntN(7) == 0 { // delivered late: after later events
				e.deliver += time.Duration(3000+r.IntN(9000)) * time.Millisecond
			}
		}
		if r.IntN(5) == 0 {
			e.redeliver = e.deliver + time.Duration(100+r.IntN(8000))*time.Millisecond
		}
	}
	return evs
}

// run plays the plan in real time: the world's own changes at their time, each
// delivery at its own (in parallel, each retried until accepted, as HighLevel and a
// billing system do on 429 and 503), and the faults in between.
func (a *audit) run() {
	// On a whole second, so that a Stripe event's created (seconds) is its occurredAt.
	a.base = time.Now().UTC().Truncate(time.Second)
	var actions []timed
	// A location's world changes apply in their order: an uninstall and the re-install
	// a few hundred milliseconds after it would otherwise race on a loaded machine and
	// leave HighLevel uninstalled, against the seed's truth.
	worldDone := map[string]chan struct{}{}
	for _, e := range a.plan {
		if e.world != "" {
			prev, done := worldDone[e.loc], make(chan struct{})
			worldDone[e.loc] = done
			actions = append(actions, timed{e.at, func() {
				defer close(done)
				if prev != nil {
					<-prev
				}
				a.world(e)
			}})
		}
		actions = append(actions, timed{e.deliver, func() { a.deliver(e) }})
		if e.redeliver > 0 {
			actions = append(actions, timed{e.redeliver, func() { a.deliver(e) }})
		}
	}
	actions = append(actions, a.faultPlan()...)
	slices.SortStableFunc(actions, func(x, y timed) int { return int(x.at - y.at) })
	var wg sync.WaitGroup
	start := time.Now()
	for _, act := range actions {
		time.Sleep(time.Until(start.Add(act.at)))
		wg.Go(act.do)
	}
	wg.Wait()
}

// world applies an event to HighLevel's own state (the sandbox).
func (a *audit) world(e plannedEvent) {
	installed := e.world == "install"
	_, err := a.s.admin.UpdateLocation(a.ctx, e.loc, highlevelsim.LocationPatch{Installed: &installed})
	assert.NoError(a.t, err, "world: %s %s", e.world, e.loc)
}

// deliver sends one event until it is accepted, as its sender would: again after a
// refusal that asks for it (429, 503, Temporal unreachable; Stripe retries any non-2xx,
// the audit only these); a rejection is a failure.
func (a *audit) deliver(e plannedEvent) {
	for attempt := 0; ; attempt++ {
		ok, retry, err := a.send(e)
		if ok {
			a.mu.Lock()
			a.accepted[e.eventID()] = e
			a.mu.Unlock()
			return
		}
		if !retry || a.ctx.Err() != nil {
			a.t.Errorf("event %s not accepted: %v", e.eventID(), err)
			return
		}
		time.Sleep(time.Duration(min(200*(attempt+1), 2000)) * time.Millisecond)
	}
}

func (a *audit) occurredAt(e plannedEvent) time.Time { return a.base.Add(e.at) }

// send delivers an event once: ok when it was accepted, retry when the sender should
// try again.
func (a *audit) send(e plannedEvent) (ok, retry bool, err error) {
	when := a.occurredAt(e)
	switch e.kind {
	case "billing":
		code, err := a.s.sendBilling(a.ctx, map[string]any{"eventId": e.id, "locationId": e.loc, "subscriptionId": e.sub,
			"customerId": "cus_" + e.loc, "planId": a.saasPlan.PlanID, "status": e.status, "occurredAt": when.Format(time.RFC3339Nano)})
		if err != nil {
			return false, true, err // no answer: the billing system sends it again
		}
		ok = code == http.StatusAccepted || code == http.StatusOK
		return ok, code == http.StatusServiceUnavailable, fmt.Errorf("billing answered %d", code)
	case "stripe":
		body := a.stripeEvent(e).body(a.t)
		code, err := a.s.sendStripe(a.ctx, body, stripeevent.Sign(body, time.Now(), a.s.stripeSecrets[1]))
		if err != nil {
			return false, true, err // no answer: Stripe sends it again
		}
		return code == http.StatusOK, code == http.StatusServiceUnavailable, fmt.Errorf("stripe answered %d", code)
	case "operator-change", "operator-check":
		ev := workflows.LocationEvent{EventID: e.id, Kind: workflows.EventChange, Source: "operator command", OccurredAt: when,
			SubscriptionID: e.sub, CustomerID: "cus_" + e.loc, Status: e.status}
		if e.kind == "operator-check" {
			ev = workflows.LocationEvent{EventID: e.id, Kind: workflows.EventCheck, Source: "operator command", OccurredAt: when}
		}
		_, err := workflows.SignalLocation(a.ctx, a.s.temporal, e.loc, a.s.companyID, ev)
		return err == nil, true, err
	}
	// HighLevel's webhooks, signed and delivered by the sandbox (which redelivers on
	// 429 by itself): accepted once the delivery's outcome is final.
	sent, err := a.s.admin.SendWebhook(a.ctx, highlevelsim.WebhookSendRequest{Type: e.kind, LocationID: e.loc, CompanyID: a.companyFor(e),
		Overrides: map[string]any{"webhookId": e.id, "timestamp": when.Format(time.RFC3339Nano)}})
	if err != nil {
		return false, true, err
	}
	return a.delivered(sent.WebhookID)
}

// stripeEvent is a Stripe event saying what a planned change says: a subscription
// event on the agency's plan's price, or an invoice event, by status.
func (a *audit) stripeEvent(e plannedEvent) stripeEvent {
	se := stripeEvent{id: e.id, created: a.occurredAt(e), customer: "cus_" + e.loc, sub: e.sub, status: e.status, location: e.loc,
		price: a.saasPlan.Prices[0].ID}
	switch e.status {
	case "canceled":
		se.fixture = stripeevent.TypeSubscriptionDeleted
	case "paused":
		se.fixture = stripeevent.TypeSubscriptionPaused
	case "past_due":
		se.fixture = stripeevent.TypeInvoicePaymentFail
	case "active":
		// a paid invoice (no price: no plan to check) as often as an updated subscription
		se.fixture = []string{stripeevent.TypeInvoicePaid, stripeevent.TypeSubscriptionUpdated}[len(e.id)%2]
	default:
		se.fixture = stripeevent.TypeSubscriptionUpdated
	}
	return se
}

// companyFor: a location UNINSTALL names only the location, as HighLevel's does.
func (a *audit) companyFor(e plannedEvent) string {
	if e.kind == "UNINSTALL" {
		return ""
	}
	return a.s.companyID
}

// delivered waits for the sandbox's delivery of a webhook to end. A delivery that got
// no answer at all is lost, as HighLevel loses it (it redelivers on 429 only); the
// audit sends it again, as reconciliation would find what it missed.
func (a *audit) delivered(webhookID string) (ok, retry bool, err error) {
	for a.ctx.Err() == nil {
		report, err := a.s.admin.WebhookDeliveries(a.ctx)
		if err != nil {
			return false, true, err
		}
		for _, d := range report.Find(webhookID) {
			switch d.Outcome {
			case highlevelsim.OutcomeDelivered:
				return true, false, nil
			case highlevelsim.OutcomePending:
			case highlevelsim.OutcomeTransportError:
				return false, true, fmt.Errorf("webhook %s: no answer", webhookID)
			default:
				return false, false, fmt.Errorf("webhook %s: %s", webhookID, d.Outcome)
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	return false, false, a.ctx.Err()
}

// timed is something the audit does at a time after its start.
type timed struct {
	at time.Duration
	do func()
}

// faultPlan: a HighLevel outage and an Actionstep outage, each longer than a step's
// budget; a worker killed with SIGKILL (and a new one started); a dev-server restart.
func (a *audit) faultPlan() []timed {
	outage := auditStepBudget + 4*time.Second
	at := func() time.Duration { return time.Duration(3000+a.rng.IntN(12000)) * time.Millisecond }
	fs := []timed{
		{at(), func() {
			a.note("HighLevel down for %v", outage)
			// Every API endpoint; the OAuth token endpoint is exempt, so the outage
			// tests the steps, not credential loss (the chaos scenarios do that).
			_, err := a.s.admin.SetFaults(a.ctx, highlevelsim.Faults{Seed: 1, ErrorRate: 1, ErrorStatuses: []int{503}})
			assert.NoError(a.t, err)
			time.Sleep(outage)
			assert.NoError(a.t, a.s.admin.ClearFaults(a.ctx))
		}},
		{at(), func() {
			a.note("Actionstep down for %v", outage)
			_, err := a.s.asAdmin.SetFaults(a.ctx, actionstepsim.Faults{Seed: 1, ErrorRate: 1, ErrorStatuses: []int{503}})
			assert.NoError(a.t, err)
			time.Sleep(outage)
			assert.NoError(a.t, a.s.asAdmin.ClearFaults(a.ctx))
		}},
		{at(), func() {
			a.note("kill -9 a worker")
			a.s.killWorker(a.ctx, a.t, "STEP_BUDGET="+auditStepBudget.String())
		}},
	}
	if a.s.temporalDB() != "" {
		fs = append(fs, timed{at() + 10*time.Second, func() {
			a.note("dev server restart")
			a.s.restartTemporal(a.ctx, a.t)
		}})
	}
	return fs
}

func (a *audit) note(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults = append(a.faults, fmt.Sprintf("%s at +%v", fmt.Sprintf(format, args...), time.Since(a.base).Round(time.Second)))
}

// report writes the figures of one seed to the test log and build/interleaving-audit.md.
func (a *audit) report(wall time.Duration) {
	unique := len(a.accepted)
	deliveries := 0
	for _, e := range a.plan {
		deliveries++
		if e.redeliver > 0 {
			deliveries++
		}
	}
	line := fmt.Sprintf("| %d | %d | %d | %s | %v |", len(a.locs), unique, deliveries, strings.Join(a.faults, "; "), wall.Round(time.Second))
	kinds := map[string]int{}
	for _, e := range a.accepted {
		kinds[e.kind]++
	}
	a.t.Logf("interleaving audit: locations %d, events %d %v (deliveries %d), faults: %s, wall %v", len(a.locs), unique, kinds, deliveries,
		strings.Join(a.faults, "; "), wall.Round(time.Second))
	path := filepath.Join(repoRoot(), "build", "interleaving-audit.md")
	_ = os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err == nil {
		_, _ = fmt.Fprintln(f, line)
		_ = f.Close()
	}
}
