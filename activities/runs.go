package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"

	"hibobsync/model"
	"hibobsync/store"
)

// StartRun starts a full-read sync run, or finds the one already started with the same
// request key (a retried activity, a replayed workflow).
func (a *Activities) StartRun(ctx context.Context, in StartRunInput) (StartRunResult, error) {
	if in.RequestKey == "" {
		return StartRunResult{}, invalidInput("tenant %q: a run needs a request key, so that a retry finds its run", in.Tenant)
	}
	asOf := in.AsOf
	if asOf.IsZero() {
		asOf = model.DateOf(a.now().UTC())
	}
	kind := in.Kind
	if kind == "" {
		kind = store.RunScheduled
	}
	run, err := a.Store.StartRun(ctx, store.RunRequest{Tenant: in.Tenant, RequestKey: in.RequestKey, Kind: kind,
		AsOf: asOf, FullRead: true})
	if err != nil {
		return StartRunResult{}, failure(in.Tenant, "starting a sync run", err, a.now())
	}
	activity.GetLogger(ctx).Info("sync run started", "tenant", in.Tenant, "run", run.ID, "kind", run.Kind,
		"asOf", run.AsOf.String(), "status", run.Status)
	return StartRunResult{RunID: run.ID}, nil
}

// ApplyRun diffs the run's staging against the tenant's employees and applies it in one
// transaction (store.Apply). Applying an applied run changes nothing and returns its figures.
// Staging lost to a Postgres crash is a non-retryable ErrStagingIncomplete: fetch again.
func (a *Activities) ApplyRun(ctx context.Context, in ApplyInput) (RunSummary, error) {
	// The run must be the tenant's: Apply itself only knows run IDs.
	if _, err := a.Store.Run(ctx, in.Tenant, in.RunID); err != nil {
		return RunSummary{}, failure(in.Tenant, fmt.Sprintf("applying run %d", in.RunID), err, a.now())
	}
	run, err := a.Store.Apply(ctx, in.RunID, store.ApplyOptions{})
	if err != nil {
		return RunSummary{}, failure(in.Tenant, fmt.Sprintf("applying run %d", in.RunID), err, a.now())
	}
	if err := a.Store.DropStaging(ctx, in.RunID); err != nil {
		// The next StartRun sweeps what is left; the run itself is applied.
		activity.GetLogger(ctx).Warn("drop staging of an applied run", "tenant", in.Tenant, "run", in.RunID, "error", err)
	}
	if run.Baseline && run.Counts.Inserted > 0 {
		if err := a.Store.RefreshStatistics(ctx); err != nil {
			activity.GetLogger(ctx).Warn("refresh statistics after a baseline", "tenant", in.Tenant, "run", in.RunID, "error", err)
		}
	}
	c := run.Counts
	activity.GetLogger(ctx).Info("sync run applied", "tenant", in.Tenant, "run", run.ID, "status", run.Status,
		"baseline", run.Baseline, "fetched", c.Fetched, "inserted", c.Inserted, "updated", c.Updated,
		"unchanged", c.Unchanged, "removed", c.Removed, "rejected", c.Rejected, "changes", run.Changes,
		"guardTripped", run.Guard != nil && run.Guard.Resolution == "")
	return summaryOf(run), nil
}

// ResolveGuard carries out support's decision on the removals a run's guard held back. Asking
// again for the decision already carried out returns the run as it is.
func (a *Activities) ResolveGuard(ctx context.Context, in ResolveGuardInput) (RunSummary, error) {
	run, err := a.Store.ResolveGuard(ctx, in.Tenant, in.RunID, in.Remove)
	if errors.Is(err, store.ErrNoGuardPending) {
		// A retry after the decision was committed: the run says what was decided.
		if done, rerr := a.Store.Run(ctx, in.Tenant, in.RunID); rerr == nil && done.Guard != nil &&
			done.Guard.Resolution == resolution(in.Remove) {
			return summaryOf(done), nil
		}
	}
	if err != nil {
		return RunSummary{}, failure(in.Tenant, fmt.Sprintf("resolving the held removals of run %d", in.RunID), err, a.now())
	}
	activity.GetLogger(ctx).Info("held removals resolved", "tenant", in.Tenant, "run", run.ID,
		"decision", resolution(in.Remove), "removed", run.Counts.Removed)
	return summaryOf(run), nil
}

// FailRun records that a run ended without applying, with a reason support can read.
func (a *Activities) FailRun(ctx context.Context, in FailRunInput) error {
	if err := a.Store.FailRun(ctx, in.RunID, in.Reason); err != nil {
		return fmt.Errorf("record that run %d failed: %w", in.RunID, err)
	}
	activity.GetLogger(ctx).Info("sync run failed", "run", in.RunID)
	return nil
}

// RecordPhase writes a connection.phase_changed event to the outbox for Gifted, once per Key.
func (a *Activities) RecordPhase(ctx context.Context, in PhaseChange) error {
	if in.Key == "" {
		return invalidInput("tenant %q: a phase change needs a key, so that a retry records it once", in.Tenant)
	}
	payload := struct {
		Phase  model.Phase `json:"phase"`
		Detail string      `json:"detail,omitempty"`
	}{in.Phase, in.Detail}
	if err := a.Store.RecordEvent(ctx, in.Tenant, "connection.phase_changed", "phase:"+in.Key, payload); err != nil {
		return failure(in.Tenant, "recording the phase change", err, a.now())
	}
	activity.GetLogger(ctx).Info("connection phase recorded", "tenant", in.Tenant, "phase", in.Phase)
	return nil
}

func resolution(remove bool) string {
	if remove {
		return "removed"
	}
	return "kept"
}

// summaryOf is a run's figures, without its rejection texts (there can be many).
func summaryOf(r store.Run) RunSummary {
	return RunSummary{RunID: r.ID, Status: r.Status, Baseline: r.Baseline, Counts: r.Counts, Changes: r.Changes, Guard: r.Guard}
}
