package workflows

import "go.temporal.io/sdk/temporal"

// The search attributes a tenant workflow keeps, so support and engineers can filter tenants
// in the Temporal UI and ListConnections can query them: `HibobPhase = "awaiting_review"`.
// The dev server and production namespaces must register both as Keyword.
var (
	TenantKey = temporal.NewSearchAttributeKeyKeyword("HibobTenant")
	PhaseKey  = temporal.NewSearchAttributeKeyKeyword("HibobPhase")
)
