package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/mock"

	"github.com/saasbridge/saasbridge/internal/highlevel"
	"github.com/saasbridge/saasbridge/workflows"
)

// BenchmarkHighLevelWebhookHandler is the gateway's own cost per webhook (verify,
// parse, dedupe, route, log, answer), with Temporal replaced by a mock that returns at
// once: what the endpoint adds on top of the SignalWithStart it makes.
func BenchmarkHighLevelWebhookHandler(b *testing.B) {
	t := &testing.T{}
	f := newGateway(t)
	r := fakeRun(t, "location/x")
	f.tc.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, workflows.LocationSignal, mock.Anything, mock.Anything,
		workflows.LocationWorkflowType, mock.Anything).Return(r, nil)
	bodies := make([][]byte, 4096)
	sigs := make([]string, len(bodies))
	for i := range bodies {
		bodies[i] = webhookBody(highlevel.EventLocationUpdate, fmt.Sprintf("bench-%d", i), gwNow, fmt.Sprintf(`"id":"loc%017d",`, i))
		sigs[i] = highlevel.SignWebhookEd25519(f.edKey, bodies[i])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.gw.seen = newSeenCache(0, 1) // every webhook is new
		req := httptest.NewRequest(http.MethodPost, "/webhooks/highlevel", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(highlevel.HeaderWebhookSignature, sigs[i%len(bodies)])
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		i++
	}
}
