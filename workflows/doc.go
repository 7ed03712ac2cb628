// Package workflows holds saasbridge's Temporal workflows and everything a client needs
// to start or signal them: task queues, workflow type names, ID helpers, search
// attributes and start options. The starter imports this package; it never spells a
// workflow ID or task queue itself. docs/architecture.md is the map: what happens to an
// event, which workflow owns what, and the invariants each keeps.
//
// The flows, each registered under a pinned type name (names.go, register.go):
//
//   - Location, a location's owner, the only workflow that changes a location:
//     location.go (its loop, updates, continue-as-new), location_handle.go (one event
//     at a time, retries, parking), location_onboard.go and location_plan.go
//     (install), location_subscription.go (change, check), location_offboard.go
//     (uninstall), location_display.go (search attributes, Web UI details),
//     location_types.go; its Actionstep records in actionstep.go and
//     actionstep_task.go.
//   - AgencyOffboarding, an agency's uninstall sent to each owner: agency.go.
//   - Reconcile, what webhooks missed, sent to the owners: reconcile.go.
//   - CredentialUpkeep, refreshing credentials before their refresh tokens lapse:
//     upkeep.go. schedules.go keeps the schedules that run these two.
//   - The first releases' workflows, replaced by the owner and kept for the runs
//     started before it (replay-only, histories in testdata): LegacyOnboarding
//     (legacy_onboarding.go), LegacySubscription (legacy_subscription.go),
//     LegacyOffboarding (legacy_offboarding.go).
//
// Around them: start.go (the start, signal and update helpers the starter uses),
// orchestrator.go (Orchestrator, the activities' way to reach Temporal), options.go
// (every activity's options), activity_refs.go (the activity receivers), steps.go
// (steps the owner shares with the first releases' workflows) and errors.go (the
// error types the workflows fail with).
package workflows
