package model

// Phase is where a tenant's connection stands: the tenant workflow's state, its HibobPhase
// search attribute and the first word of its status.
type Phase string

const (
	PhaseValidatingCredentials Phase = "validating_credentials"
	PhaseAuditingPermissions   Phase = "auditing_permissions"
	PhaseAwaitingReview        Phase = "awaiting_review"
	PhaseInitialSync           Phase = "initial_sync"
	PhaseActive                Phase = "active"
	// Waiting phases: the connection needs someone to act (new credentials, more permissions,
	// support's decision on held removals) or keeps retrying (sync_failing).
	PhaseCredentialsInvalid Phase = "credentials_invalid"
	PhasePermissionsMissing Phase = "permissions_missing"
	PhaseSyncFailing        Phase = "sync_failing"
	PhaseRemovalsOnHold     Phase = "removals_on_hold"
	PhasePaused             Phase = "paused"
	// Ends: the workflow completes.
	PhaseRejected     Phase = "rejected"
	PhaseDisconnected Phase = "disconnected"
)

// Phases lists every phase, in the order a connection meets them.
var Phases = []Phase{
	PhaseValidatingCredentials, PhaseAuditingPermissions, PhaseAwaitingReview, PhaseInitialSync, PhaseActive,
	PhaseCredentialsInvalid, PhasePermissionsMissing, PhaseSyncFailing, PhaseRemovalsOnHold, PhasePaused,
	PhaseRejected, PhaseDisconnected,
}

// Ended reports a phase the connection never leaves.
func (p Phase) Ended() bool { return p == PhaseRejected || p == PhaseDisconnected }
