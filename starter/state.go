package main

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"

	"github.com/saasbridge/saasbridge/internal/deps"
	"github.com/saasbridge/saasbridge/internal/facts"
	"github.com/saasbridge/saasbridge/internal/metrics"
	"github.com/saasbridge/saasbridge/workflows"
)

// watchState exports, on the operator listener's /metrics, what the alerts watch beyond
// the programs' counters: locations by phase and attention and the events parked (the
// owners' facts), credentials by status (the token store) and the actions the schedules
// skipped (Temporal). The starter exports them, not the workers: one process reads the
// store for them, however many workers run. (The audit entries a process dropped, every
// process exports: deps.Open watches them.)
func watchState(d *deps.Deps) {
	known := facts.New(d.Store.DB())
	d.Metrics.WatchStore(func(ctx context.Context) (metrics.StoreState, error) {
		sum, err := known.Summarize(ctx)
		if err != nil {
			return metrics.StoreState{}, err
		}
		st := metrics.StoreState{
			Locations: map[string]int{facts.PhaseNew: sum.New, facts.PhaseOnboarding: sum.Onboarding, facts.PhaseActive: sum.Active,
				facts.PhasePaused: sum.Paused, facts.PhaseOffboarding: sum.Offboarding, facts.PhaseUninstalled: sum.Uninstalled},
			Attention: map[string]int{}, ParkedEvents: sum.ParkedEvents, Credentials: map[string]map[string]int{},
		}
		for _, reason := range workflows.AttentionReasons() {
			st.Attention[reason] = sum.AttentionBy[reason] // 0 too: a series to alert on from the start
		}
		infos, err := d.Store.List(ctx)
		if err != nil {
			return metrics.StoreState{}, err
		}
		for _, info := range infos {
			kind := string(info.Kind)
			if st.Credentials[kind] == nil {
				st.Credentials[kind] = map[string]int{}
			}
			st.Credentials[kind][string(info.Status)]++
		}
		return st, nil
	})
	d.Metrics.WatchSchedules(func(ctx context.Context) ([]metrics.ScheduleState, error) {
		var out []metrics.ScheduleState
		for _, id := range []string{workflows.ReconcileScheduleID, workflows.UpkeepScheduleID} {
			skipped := map[string]int{"overlap": 0, "missed_catchup_window": 0} // not applied (yet): nothing skipped
			desc, err := d.Temporal.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
			var notFound *serviceerror.NotFound
			switch {
			case errors.As(err, &notFound):
			case err != nil:
				return nil, fmt.Errorf("describe schedule %s: %w", id, err)
			default:
				skipped["overlap"], skipped["missed_catchup_window"] = desc.Info.NumActionsSkippedOverlap, desc.Info.NumActionsMissedCatchupWindow
			}
			out = append(out, metrics.ScheduleState{ID: id, Skipped: skipped})
		}
		return out, nil
	})
}
