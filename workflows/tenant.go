// Package workflows holds the tenant workflow: one per customer connection, owning it for its
// whole life — validate the credentials, audit the permissions, wait for support's review,
// sync, and keep syncing.
//
// Nothing personal travels through workflow history: activities exchange tenant keys, run IDs,
// counts, cursors and timestamps; employee records stay in Postgres and the token in the
// sealed credentials table.
package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"hibobsync/activities"
	"hibobsync/model"
	"hibobsync/store"
)

// Timing of a connection's life, per design.md and the 48-72 hour promise to customers.
const (
	DefaultSyncInterval     = 24 * time.Hour
	ReviewReminderAfter     = 48 * time.Hour
	ReviewDueAfter          = 72 * time.Hour
	PermissionRecheckPeriod = 6 * time.Hour
)

// WorkflowID names the one workflow of a tenant.
func WorkflowID(tenant model.TenantKey) string { return "hibob-tenant/" + string(tenant) }

// TenantInput starts a tenant's workflow, or continues it (State set) after continue-as-new.
type TenantInput struct {
	Tenant            model.TenantKey `json:"tenant"`
	Company           string          `json:"company"`           // as the customer entered it
	CredentialVersion int             `json:"credentialVersion"` // stored by the caller; the token never comes here
	SyncInterval      time.Duration   `json:"syncInterval,omitempty"`
	// HeartbeatTimeout of the fetch activities and ApplyTimeout (start-to-close) of the apply
	// activity: how soon an attempt lost with its worker is retried elsewhere. Zero keeps the
	// defaults (a minute; ten minutes); the fault drills shorten them to kill workers quickly.
	HeartbeatTimeout time.Duration `json:"heartbeatTimeout,omitempty"`
	ApplyTimeout     time.Duration `json:"applyTimeout,omitempty"`
	State            *TenantState  `json:"state,omitempty"`
}

// TenantState is everything the workflow carries across continue-as-new: small and PII-free.
type TenantState struct {
	Phase       model.Phase             `json:"phase"`
	PhaseSince  time.Time               `json:"phaseSince"`
	Credentials int                     `json:"credentials"`
	Approved    bool                    `json:"approved"` // support approved the connection once
	Audit       *activities.AuditResult `json:"audit,omitempty"`
	Review      *Review                 `json:"review,omitempty"`
	Decisions   []Decision              `json:"decisions,omitempty"` // support's answers, newest last
	LastSync    *SyncReport             `json:"lastSync,omitempty"`
	NextSyncAt  time.Time               `json:"nextSyncAt,omitzero"`
	// SyncStartedAt is set while a sync runs.
	SyncStartedAt time.Time   `json:"syncStartedAt,omitzero"`
	LastError     string      `json:"lastError,omitempty"`
	Failures      int         `json:"failures,omitempty"` // sync cycles failed in a row
	Hold          *Hold       `json:"hold,omitempty"`
	PausedFrom    model.Phase `json:"pausedFrom,omitempty"`
	Cycle         int         `json:"cycle"`  // sync cycles started: names each run's request key
	Events        int         `json:"events"` // phase events recorded: names their outbox keys
	Pending       Pending     `json:"pending"`
}

// Review is the support review of a new connection: when it was asked for, the reminder after
// 48 hours, the SLA breach after 72.
type Review struct {
	RequestedAt  time.Time `json:"requestedAt"`
	ReminderAt   time.Time `json:"reminderAt"`
	DueAt        time.Time `json:"dueAt"`
	ReminderSent bool      `json:"reminderSent"`
	Breached     bool      `json:"breached"`
}

// Decision is support's answer to a review or to removals on hold.
type Decision struct {
	Approved bool      `json:"approved"`
	Reviewer string    `json:"reviewer"`
	Note     string    `json:"note,omitempty"`
	At       time.Time `json:"at"`
	About    string    `json:"about"` // "connection" or "removals of run N"
}

// SyncReport is the last sync's outcome, as status shows it.
type SyncReport struct {
	RunID      int64         `json:"runId"`
	Kind       store.RunKind `json:"kind"`
	StartedAt  time.Time     `json:"startedAt"`
	FinishedAt time.Time     `json:"finishedAt"`
	Outcome    string        `json:"outcome"` // applied, guard_tripped, failed
	Baseline   bool          `json:"baseline,omitempty"`
	Counts     store.Counts  `json:"counts"`
	Changes    int           `json:"changes"`
}

// Hold is a run whose removals the false-delete guard held back for support.
type Hold struct {
	RunID       int64     `json:"runId"`
	WouldRemove int       `json:"wouldRemove"`
	Of          int       `json:"of"`
	Allowed     int       `json:"allowed"`
	Since       time.Time `json:"since"`
}

// Pending holds requests the update handlers accepted and the main loop has not acted on yet.
type Pending struct {
	Decision       *Decision `json:"decision,omitempty"`
	NewCredentials int       `json:"newCredentials,omitempty"`
	Recheck        bool      `json:"recheck,omitempty"`
	SyncNow        bool      `json:"syncNow,omitempty"`
	Pause          bool      `json:"pause,omitempty"`
	Resume         bool      `json:"resume,omitempty"`
	Disconnect     bool      `json:"disconnect,omitempty"`
}

// ErrInvalidInput is the workflow's refusal of a start it cannot run.
var ErrInvalidInput = errors.New("invalid tenant workflow input")

// TenantWorkflow owns one tenant's connection for its whole life.
func TenantWorkflow(ctx workflow.Context, in TenantInput) error {
	t, err := newTenant(ctx, in)
	if err != nil {
		return err
	}
	return t.run(ctx)
}

// tenant is one execution of the workflow: its input, state and logger.
type tenant struct {
	in     TenantInput
	st     *TenantState
	logger log.Logger
}

func newTenant(ctx workflow.Context, in TenantInput) (*tenant, error) {
	if in.Tenant == "" || (in.State == nil && in.CredentialVersion <= 0) {
		return nil, fmt.Errorf("%w: a tenant key and a stored credential version are required", ErrInvalidInput)
	}
	if in.SyncInterval <= 0 {
		in.SyncInterval = DefaultSyncInterval
	}
	t := &tenant{in: in, st: in.State, logger: log.With(workflow.GetLogger(ctx), "tenant", in.Tenant)}
	if t.st == nil {
		t.st = &TenantState{Phase: model.PhaseValidatingCredentials, PhaseSince: workflow.Now(ctx), Credentials: in.CredentialVersion}
	}
	t.in.State = nil
	if err := t.registerHandlers(ctx); err != nil {
		return nil, err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, TenantKey.ValueSet(string(in.Tenant)), PhaseKey.ValueSet(string(t.st.Phase))); err != nil {
		return nil, err
	}
	workflow.SetCurrentDetails(ctx, t.describe())
	return t, nil
}

// run moves the connection through its phases until it ends, continuing as new after every
// sync cycle so history stays bounded whatever the tenant's size and age.
func (t *tenant) run(ctx workflow.Context) error {
	for {
		if t.st.Phase.Ended() {
			return t.finish(ctx)
		}
		if t.takeInterruptions(ctx) {
			continue
		}
		synced, err := t.step(ctx)
		if err != nil {
			return err
		}
		if synced || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return t.continueAsNew(ctx)
		}
	}
}

// step runs the current phase until it moves on; synced reports a finished sync cycle.
func (t *tenant) step(ctx workflow.Context) (synced bool, err error) {
	switch t.st.Phase {
	case model.PhaseValidatingCredentials:
		return false, t.validate(ctx)
	case model.PhaseAuditingPermissions:
		return false, t.audit(ctx)
	case model.PhaseAwaitingReview:
		return false, t.awaitReview(ctx)
	case model.PhaseInitialSync:
		return true, t.syncCycle(ctx, store.RunInitial)
	case model.PhaseActive, model.PhaseSyncFailing:
		kind, due, err := t.awaitNextSync(ctx)
		if err != nil || !due {
			return false, err
		}
		return true, t.syncCycle(ctx, kind)
	case model.PhaseCredentialsInvalid:
		return false, t.await(ctx, 0, "", t.interrupted)
	case model.PhasePermissionsMissing:
		return false, t.awaitPermissions(ctx)
	case model.PhaseRemovalsOnHold:
		return false, t.awaitRemovalDecision(ctx)
	case model.PhasePaused:
		// New credentials wait for the resume; only resume and disconnect end a pause.
		return false, t.await(ctx, 0, "", func() bool { return t.st.Pending.Resume || t.st.Pending.Disconnect })
	}
	return false, fmt.Errorf("tenant %s: unknown phase %q", t.in.Tenant, t.st.Phase)
}

// takeInterruptions acts on requests that apply in any phase: disconnect, pause, resume and
// new credentials. It reports whether the phase changed.
func (t *tenant) takeInterruptions(ctx workflow.Context) bool {
	p := &t.st.Pending
	switch {
	case p.Disconnect:
		*p = Pending{}
		t.setPhase(ctx, model.PhaseDisconnected, "disconnected at the customer's or Gifted's request")
	case p.Pause:
		p.Pause = false
		t.st.PausedFrom = t.st.Phase
		t.setPhase(ctx, model.PhasePaused, "paused: no syncs until resumed")
	case p.Resume:
		p.Resume = false
		from := t.st.PausedFrom
		t.st.PausedFrom = ""
		if p.NewCredentials > 0 || from == "" {
			from = model.PhaseValidatingCredentials
		}
		t.setPhase(ctx, from, "resumed")
	case p.NewCredentials > 0 && t.st.Phase != model.PhasePaused:
		t.st.Credentials, p.NewCredentials = p.NewCredentials, 0
		t.setPhase(ctx, model.PhaseValidatingCredentials, fmt.Sprintf("checking new credentials (version %d)", t.st.Credentials))
	default:
		return false
	}
	return true
}

// interrupts reports a request that takeInterruptions acts on.
func (p Pending) interrupts() bool {
	return p.Disconnect || p.Pause || p.NewCredentials > 0
}

// await blocks until cond holds or d passes; d <= 0 waits without a deadline.
func (t *tenant) await(ctx workflow.Context, d time.Duration, timer string, cond func() bool) error {
	_, err := t.awaitTimeout(ctx, d, timer, cond)
	return err
}

// awaitTimeout is await reporting whether the deadline passed before cond held. The timer's
// summary names what the wait is for in the UI.
func (t *tenant) awaitTimeout(ctx workflow.Context, d time.Duration, timer string, cond func() bool) (timedOut bool, err error) {
	if d <= 0 {
		return false, workflow.Await(ctx, cond)
	}
	ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: d, TimerOptions: workflow.TimerOptions{Summary: timer}}, cond)
	return !ok, err
}

func (t *tenant) finish(ctx workflow.Context) error {
	// Let update handlers finish so no caller is left without an answer.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	t.logger.Info("tenant workflow ended", "phase", t.st.Phase)
	return nil
}

func (t *tenant) continueAsNew(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	next := t.in
	next.State = t.st
	return workflow.NewContinueAsNewError(ctx, TenantWorkflow, next)
}

// setPhase moves the connection to p: state, search attribute, UI details, and an outbox
// event for Gifted.
func (t *tenant) setPhase(ctx workflow.Context, p model.Phase, detail string) {
	if p == t.st.Phase {
		workflow.SetCurrentDetails(ctx, t.describe())
		return
	}
	t.logger.Info("phase changed", "from", t.st.Phase, "to", p, "detail", detail)
	t.st.Phase, t.st.PhaseSince = p, workflow.Now(ctx)
	if err := workflow.UpsertTypedSearchAttributes(ctx, PhaseKey.ValueSet(string(p))); err != nil {
		t.logger.Error("upsert phase search attribute", "error", err)
	}
	workflow.SetCurrentDetails(ctx, t.describe())
	t.recordEvent(ctx, p, detail)
}

// recordEvent tells Gifted (through the outbox) what happened to the connection. It is best
// effort for the workflow: a failure is logged, never a reason to stop the connection.
func (t *tenant) recordEvent(ctx workflow.Context, p model.Phase, detail string) {
	t.st.Events++
	in := activities.PhaseChange{Tenant: t.in.Tenant, Phase: p, Detail: detail,
		Key: fmt.Sprintf("%s/%d", WorkflowID(t.in.Tenant), t.st.Events)}
	var a *activities.Activities
	if err := workflow.ExecuteActivity(withStoreOptions(ctx, "record phase "+string(p)), a.RecordPhase, in).Get(ctx, nil); err != nil {
		t.logger.Error("record phase event", "phase", p, "error", err)
	}
}

// interrupted is the wait condition of phases that only interruptions end.
func (t *tenant) interrupted() bool { return t.st.Pending.interrupts() }
