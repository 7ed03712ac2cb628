// Package activities holds saasbridge's Temporal activities: one method per external
// endpoint, grouped by API. Each returns errors already classified for Temporal
// (errors.go: classify, and one constructor per error type this package decides itself)
// so retry behaviour is decided in one place.
//
// The worker registers one value of each receiver; an activity's type name is its
// method's name, so a method is never renamed (recorded histories name it). The
// receivers, and the files of their methods:
//
//   - HighLevel: HighLevel's API with an agency's (company's) token, paced to the
//     agency's budget: highlevel.go (the receiver, reading a location),
//     highlevel_token.go (location tokens), highlevel_saas.go (SaaS mode,
//     subscription, pause, plan), highlevel_plans.go (the agency's plans, the initial
//     plan), highlevel_profile.go, highlevel_lists.go (reconciliation's listings).
//   - Actionstep: Actionstep's API, paced to the organisation's adaptive rate:
//     actionstep.go (the receiver, setup, the client), actionstep_matter.go,
//     actionstep_data.go (data record, values, file notes), actionstep_task.go.
//   - Credentials: the token store's credentials: credentials.go.
//   - Facts: the location owners' durable facts: facts.go.
//   - Owners: signals to owners, adopting the first releases' workflows: owners.go.
//   - Reconciler: reconciliation's signals from HighLevel's state: reconciler.go.
//
// Owners and Reconciler reach Temporal through the Orchestrator interface
// (orchestrator.go), which workflows.Orchestrator implements: this package cannot
// import workflows.
package activities
