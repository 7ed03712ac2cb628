package logging

import (
	"errors"
	"testing"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		level, format string
		ok            bool
	}{
		{"info", "json", true},
		{"debug", "console", true},
		{"loud", "json", false},
		{"info", "xml", false},
	} {
		_, err := New(tt.level, tt.format)
		if (err == nil) != tt.ok {
			t.Errorf("New(%q,%q) err=%v", tt.level, tt.format, err)
		}
	}
}

func TestTemporalAdapter(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	var l log.Logger = NewTemporal(zap.New(core))
	l = log.With(l, "WorkflowID", "onboarding/abc")
	l.Info("activity done", "Attempt", 2, "err", errors.New("boom"), "dangling")
	l.Debug("d")
	l.Warn("w")
	l.Error("e")

	entries := logs.All()
	if len(entries) != 4 {
		t.Fatalf("got %d entries", len(entries))
	}
	ctx := entries[0].ContextMap()
	if ctx["WorkflowID"] != "onboarding/abc" || ctx["Attempt"] != int64(2) || ctx["err"] != "boom" || ctx["!BADKEY"] != "dangling" {
		t.Errorf("fields = %v", ctx)
	}
	if entries[3].Level != zap.ErrorLevel {
		t.Errorf("level = %v", entries[3].Level)
	}
}
