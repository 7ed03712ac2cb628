package main

import (
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
)

// slowWorker takes a while to stop, as a worker waiting for its activities does.
type slowWorker struct {
	worker.Worker
	stop time.Duration
}

func (w slowWorker) Stop() { time.Sleep(w.stop) }

// Point 9: the three workers stop together, so a SIGTERM takes one stop timeout, not
// three in a row.
func TestStopAllStopsTheWorkersTogether(t *testing.T) {
	ws := []worker.Worker{slowWorker{stop: 300 * time.Millisecond}, slowWorker{stop: 300 * time.Millisecond}, slowWorker{stop: 300 * time.Millisecond}}
	start := time.Now()
	stopAll(ws)
	if d := time.Since(start); d >= 850*time.Millisecond {
		t.Fatalf("stopping three workers took %v: one after another", d)
	}
}
