package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"hibobsync/activities"
	"hibobsync/model"
	"hibobsync/store"
)

// fetchChunk is how many batches of 200 employees one fetch activity takes on. Larger chunks
// mean fewer history events and fewer pauses while one activity drains its requests in flight
// and the next starts; the activity heartbeats per batch, so a retry loses little. At HiBob's
// real limits an activity returns long before its chunk ends, as soon as the budget is spent.
// (The loop below advances by each result's Next, never by this constant, so a history
// recorded with another chunk size replays the same commands.)
const fetchChunk = 250

// syncCycle runs one sync and moves the connection on according to its outcome.
func (t *tenant) syncCycle(ctx workflow.Context, kind store.RunKind) error {
	t.st.Cycle++
	started := workflow.Now(ctx)
	t.st.SyncStartedAt = started
	workflow.SetCurrentDetails(ctx, t.describe())
	runID, res, err := t.sync(ctx, kind)
	t.st.SyncStartedAt = time.Time{}
	now := workflow.Now(ctx)
	t.st.NextSyncAt = now.Add(t.in.SyncInterval)
	report := &SyncReport{RunID: runID, Kind: kind, StartedAt: started, FinishedAt: now}

	if err != nil {
		report.Outcome = "failed"
		t.st.LastSync = report
		if runID != 0 {
			t.failRun(ctx, runID, reason(err))
		}
		switch {
		case isApplicationError(err, activities.ErrCredentialsInvalid):
			t.st.LastError = "HiBob refused the service user ID and token (401) during a sync. Enter the credentials again."
			t.setPhase(ctx, model.PhaseCredentialsInvalid, "HiBob refused the credentials during a sync")
		case isApplicationError(err, activities.ErrPermissionsMissing):
			t.st.LastError = "HiBob refused a read during a sync (403): a permission was taken away. Checking the permissions again."
			t.setPhase(ctx, model.PhaseAuditingPermissions, "HiBob refused a read during a sync")
		default:
			t.st.Failures++
			t.st.LastError = fmt.Sprintf("The sync failed (%d in a row): %s. The next sync is at %s.",
				t.st.Failures, reason(err), t.st.NextSyncAt.UTC().Format(time.RFC3339))
			t.setPhase(ctx, model.PhaseSyncFailing, "sync failed: "+reason(err))
		}
		return nil
	}

	report.Outcome, report.Baseline, report.Counts, report.Changes = string(res.Status), res.Baseline, res.Counts, res.Changes
	t.st.LastSync, t.st.Failures, t.st.LastError = report, 0, ""
	if res.Guard != nil {
		t.st.Hold = &Hold{RunID: runID, WouldRemove: res.Guard.WouldRemove, Of: res.Guard.Of, Allowed: res.Guard.Allowed, Since: now}
		t.setPhase(ctx, model.PhaseRemovalsOnHold, fmt.Sprintf("run %d would remove %d of %d employees: held for support",
			runID, res.Guard.WouldRemove, res.Guard.Of))
		return nil
	}
	t.setPhase(ctx, model.PhaseActive, fmt.Sprintf("run %d applied: %d employees, %d changes", runID, res.Counts.Fetched, res.Changes))
	return nil
}

// sync reads the tenant from HiBob into the run's staging and applies it. If Postgres lost
// the staging before apply (a crash empties UNLOGGED tables), it fetches once more.
func (t *tenant) sync(ctx workflow.Context, kind store.RunKind) (int64, activities.RunSummary, error) {
	var a *activities.Activities
	var run activities.StartRunResult
	in := activities.StartRunInput{Tenant: t.in.Tenant, Kind: kind, AsOf: model.DateOf(workflow.Now(ctx).UTC()),
		RequestKey: fmt.Sprintf("%s/%d", workflow.GetInfo(ctx).FirstRunID, t.st.Cycle)}
	if err := workflow.ExecuteActivity(withStoreOptions(ctx, fmt.Sprintf("start %s run (cycle %d)", kind, t.st.Cycle)),
		a.StartRun, in).Get(ctx, &run); err != nil {
		return 0, activities.RunSummary{}, err
	}
	for attempt := 1; ; attempt++ {
		if err := t.fetch(ctx, run.RunID); err != nil {
			return run.RunID, activities.RunSummary{}, err
		}
		var res activities.RunSummary
		err := workflow.ExecuteActivity(t.applyOptions(ctx, fmt.Sprintf("apply run %d", run.RunID)),
			a.ApplyRun, activities.ApplyInput{Tenant: t.in.Tenant, RunID: run.RunID}).Get(ctx, &res)
		if isApplicationError(err, activities.ErrStagingIncomplete) && attempt == 1 {
			t.logger.Warn("staging lost before apply; fetching the run again", "run", run.RunID)
			continue
		}
		return run.RunID, res, err
	}
}

// fetch lists the tenant's employees, then fetches them in batches while it pages the three
// history tables, each on its own rate-limit budget.
func (t *tenant) fetch(ctx workflow.Context, runID int64) error {
	var a *activities.Activities
	creds := t.credentials()
	var list activities.ListResult
	for {
		list = activities.ListResult{} // a result decodes over the last one: an absent resumeAt must read as zero
		if err := workflow.ExecuteActivity(t.fetchOptions(ctx, fmt.Sprintf("list employees of run %d", runID)),
			a.ListEmployees, activities.ListInput{Credentials: creds, RunID: runID}).Get(ctx, &list); err != nil {
			return err
		}
		if list.ResumeAt.IsZero() {
			break
		}
		if err := t.waitForRateLimit(ctx, list.ResumeAt, "list employees"); err != nil {
			return err
		}
	}

	fetchCtx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	var first error // the first failure, not the cancellations it causes in the others
	running := 0
	start := func(f func(workflow.Context) error) {
		running++
		workflow.Go(fetchCtx, func(ctx workflow.Context) {
			if err := f(ctx); err != nil && first == nil {
				first = err
				cancel() // the run fails as a whole and is fetched anew next time
			}
			running--
		})
	}
	start(func(ctx workflow.Context) error { return t.fetchEmployees(ctx, runID, list.Batches) })
	for _, table := range model.HistoryTables {
		start(func(ctx workflow.Context) error { return t.fetchHistory(ctx, runID, table) })
	}
	if err := workflow.Await(ctx, func() bool { return running == 0 }); err != nil {
		return err
	}
	return first
}

func (t *tenant) fetchEmployees(ctx workflow.Context, runID int64, batches int) error {
	var a *activities.Activities
	for from := 0; from < batches; {
		to := min(from+fetchChunk, batches)
		var res activities.FetchResult
		summary := fmt.Sprintf("fetch batches %d-%d of %d", from+1, to, batches)
		if err := workflow.ExecuteActivity(t.fetchOptions(ctx, summary), a.FetchEmployees, activities.FetchInput{
			Credentials: t.credentials(), RunID: runID, From: from, To: to, Batches: batches}).Get(ctx, &res); err != nil {
			return err
		}
		from = res.Next
		if !res.ResumeAt.IsZero() {
			if err := t.waitForRateLimit(ctx, res.ResumeAt, fmt.Sprintf("fetch batch %d of %d", from+1, batches)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *tenant) fetchHistory(ctx workflow.Context, runID int64, table model.HistoryTable) error {
	var a *activities.Activities
	in := activities.HistoryInput{Credentials: t.credentials(), RunID: runID, Table: table}
	for {
		var res activities.HistoryResult
		summary := fmt.Sprintf("page %s history from page %d", table, in.Seq+1)
		if err := workflow.ExecuteActivity(t.fetchOptions(ctx, summary), a.FetchHistory, in).Get(ctx, &res); err != nil {
			return err
		}
		if res.Done {
			return nil
		}
		in.Cursor, in.Seq = res.Cursor, res.Seq
		if !res.ResumeAt.IsZero() {
			if err := t.waitForRateLimit(ctx, res.ResumeAt, fmt.Sprintf("%s history page %d", table, in.Seq+1)); err != nil {
				return err
			}
		}
	}
}

// waitForRateLimit sleeps, durably, until HiBob's rate-limit window resets: a timer in the
// workflow rather than an activity idling on a worker.
func (t *tenant) waitForRateLimit(ctx workflow.Context, until time.Time, what string) error {
	d := until.Sub(workflow.Now(ctx))
	if d <= 0 {
		return nil
	}
	return workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: "HiBob rate limit: " + what + " resumes at " +
		until.UTC().Format(time.TimeOnly)}).Get(ctx, nil)
}

func (t *tenant) failRun(ctx workflow.Context, runID int64, why string) {
	var a *activities.Activities
	if err := workflow.ExecuteActivity(withStoreOptions(ctx, fmt.Sprintf("close failed run %d", runID)),
		a.FailRun, activities.FailRunInput{RunID: runID, Reason: why}).Get(ctx, nil); err != nil {
		t.logger.Error("record failed run", "run", runID, "error", err)
	}
}
