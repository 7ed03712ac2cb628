package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/internal/stripeevent"
	"github.com/saasbridge/saasbridge/workflows"
)

// BenchmarkWebhookGateway measures the starter's webhook endpoints (HighLevel's and
// Stripe's) against the real dev server, side by side with the ceiling: a bare SDK
// client doing the same SignalWithStarts to distinct workflows. All run with the same
// concurrency, in alternating rounds, with the workers stopped so only the start path
// is measured. The Stripe events are customer.subscription.updated naming their
// location in the subscription's metadata, signed with the endpoint's current secret
// (two secrets configured, as during a rotation): verification, parsing, the
// location's company from the store, the signal.
// `make bench` prints the table and writes it to build/bench-gateway.md.
func BenchmarkWebhookGateway(b *testing.B) {
	s := need(b)
	const (
		perRound    = 500
		rounds      = 4
		concurrency = 32
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, w := range s.workers {
		w.stop(10 * time.Second)
	}
	s.workers = nil

	var raw, gw, st []sample
	for b.Loop() {
		for r := range rounds {
			raw = append(raw, s.loadRaw(ctx, b, perRound, concurrency, fmt.Sprintf("raw%d", r)))
			gw = append(gw, s.loadGateway(ctx, b, perRound, concurrency, fmt.Sprintf("gw%d", r)))
			st = append(st, s.loadStripe(ctx, b, perRound, concurrency, fmt.Sprintf("st%d", r)))
		}
	}
	rawSum, gwSum, stSum := summarize(raw), summarize(gw), summarize(st)
	report := fmt.Sprintf(`| path (concurrency %d, %d × %d requests) | accepted/s | p50 | p99 | errors |
|---|---|---|---|---|
| bare SDK SignalWithStart (ceiling) | %.0f | %s | %s | %d |
| POST /webhooks/highlevel (LocationUpdate → SignalWithStart) | %.0f | %s | %s | %d |
| gateway / ceiling | %.1f%% of the rate | | %.2f× the p99 | |
| POST /webhooks/stripe (customer.subscription.updated, location in metadata, 2 secrets → SignalWithStart) | %.0f | %s | %s | %d |
| Stripe / ceiling | %.1f%% of the rate | | %.2f× the p99 | |
`, concurrency, rounds, perRound,
		rawSum.rate, rawSum.p50, rawSum.p99, rawSum.errors,
		gwSum.rate, gwSum.p50, gwSum.p99, gwSum.errors,
		100*gwSum.rate/rawSum.rate, float64(gwSum.p99)/float64(rawSum.p99),
		stSum.rate, stSum.p50, stSum.p99, stSum.errors,
		100*stSum.rate/rawSum.rate, float64(stSum.p99)/float64(rawSum.p99))
	writeReport(b, "bench-gateway.md", report)
	b.ReportMetric(gwSum.rate, "webhooks/s")
	b.ReportMetric(stSum.rate, "stripe-events/s")
	b.ReportMetric(rawSum.rate, "raw-signals/s")
	b.ReportMetric(float64(gwSum.p99.Microseconds())/1000, "webhook-p99-ms")
	b.ReportMetric(float64(rawSum.p99.Microseconds())/1000, "raw-p99-ms")
}

type sample struct {
	n         int
	errors    int
	wall      time.Duration
	latencies []time.Duration
}

type summary struct {
	rate     float64
	p50, p99 time.Duration
	errors   int
}

func summarize(ss []sample) summary {
	var all []time.Duration
	var wall time.Duration
	var n, errs int
	for _, s := range ss {
		all = append(all, s.latencies...)
		wall += s.wall
		n += s.n - s.errors
		errs += s.errors
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	return summary{rate: float64(n) / wall.Seconds(), p50: pct(0.50).Round(100 * time.Microsecond), p99: pct(0.99).Round(100 * time.Microsecond), errors: errs}
}

// drive runs n calls of do over `concurrency` goroutines and times each.
func drive(n, concurrency int, do func(i int) error) sample {
	lat := make([]time.Duration, n)
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := do(i); err != nil {
					errs.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return sample{n: n, errors: int(errs.Load()), wall: time.Since(start), latencies: lat}
}

func benchLocation(prefix string, i int) string {
	return fmt.Sprintf("%s%08d%06d", prefix, i, rand.IntN(1_000_000))[:20]
}

func (s *stack) loadRaw(ctx context.Context, b *testing.B, n, concurrency int, prefix string) sample {
	return drive(n, concurrency, func(i int) error {
		loc := benchLocation("bench"+prefix, i)
		_, err := workflows.SignalLocation(ctx, s.temporal, loc, s.companyID, workflows.LocationEvent{
			EventID: "bench/" + loc, Kind: workflows.EventCheck, Source: "bench",
		})
		return err
	})
}

func (s *stack) loadGateway(ctx context.Context, b *testing.B, n, concurrency int, prefix string) sample {
	// Bodies and signatures are prepared up front: the sender's cost is not measured.
	bodies := make([][]byte, n)
	sigs := make([]string, n)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for i := range n {
		loc := benchLocation("bench"+prefix, i)
		bodies[i] = fmt.Appendf(nil, `{"type":"LocationUpdate","id":%q,"companyId":%q,"name":"Bench %d","timestamp":%q,"webhookId":"bench-%s-%d"}`,
			loc, s.companyID, i, now, prefix, i)
		sigs[i] = highlevel.SignWebhookEd25519(s.testEd25519Key, bodies[i])
	}
	return drive(n, concurrency, func(i int) error {
		status, err := s.postWebhook(ctx, bodies[i], sigs[i])
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("status %d", status)
		}
		return nil
	})
}

// loadStripe sends n Stripe events, each about a location of its own, prepared and
// signed up front as loadGateway's are.
func (s *stack) loadStripe(ctx context.Context, b *testing.B, n, concurrency int, prefix string) sample {
	price := s.plans(ctx, b, s.companyID)[0].Prices[0].ID
	bodies := make([][]byte, n)
	sigs := make([]string, n)
	now := time.Now()
	for i := range n {
		loc := benchLocation("bench"+prefix, i)
		bodies[i] = stripeEvent{fixture: stripeevent.TypeSubscriptionUpdated, id: fmt.Sprintf("evt_1Bench%s%d", prefix, i), created: now,
			customer: "cus_" + loc, sub: "sub_" + loc, status: "active", location: loc, price: price}.body(b)
		sigs[i] = stripeevent.Sign(bodies[i], now, s.stripeSecrets[1])
	}
	return drive(n, concurrency, func(i int) error {
		if status := s.postStripe(ctx, b, bodies[i], sigs[i]); status != http.StatusOK {
			return fmt.Errorf("status %d", status)
		}
		return nil
	})
}
