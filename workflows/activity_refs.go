package workflows

import "github.com/saasbridge/saasbridge/activities"

// The activity receivers, one per type the worker registers (worker/main.go). Workflows
// name an activity by method value (hl.EnableSaaS): these are nil pointers, never
// dereferenced; the SDK takes the activity's type name from the method's name.
var (
	hl         *activities.HighLevel   // HighLevel's API, paced per agency
	as         *activities.Actionstep  // Actionstep's API
	creds      *activities.Credentials // the token store's credentials
	reconciler *activities.Reconciler  // reconciliation's signals to owners
	factsActs  *activities.Facts       // the owners' durable facts
	owners     *activities.Owners      // signals to owners; the first releases' workflows
)
