package worker

import (
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"

	"hibobsync/activities"
	"hibobsync/workflows"
)

// Register puts everything the tenant workflow runs on w: the workflow and every activity
// method of acts. The worker, the replay tests and integration tests all register through it,
// so none can forget a piece.
func Register(w sdkworker.Registry, acts *activities.Activities) {
	w.RegisterWorkflow(workflows.TenantWorkflow)
	w.RegisterActivity(acts)
}

// SearchAttributes are the custom search attributes the tenant workflow upserts. A namespace
// must have them registered before a tenant workflow runs (Run checks); the dev server
// registers them at start (devserver.Options.SearchAttributes).
func SearchAttributes() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{workflows.TenantKey, workflows.PhaseKey}
}
