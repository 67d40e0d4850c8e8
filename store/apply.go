package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hibobsync/model"
)

// Defaults of the false-delete guard: a run may remove at most 10% of a tenant's employees,
// and never fewer than 5 people, without support's review.
const (
	defaultGuardShare   = 0.10
	defaultGuardMinimum = 5
)

// ApplyOptions tune Apply; the zero value takes the defaults.
type ApplyOptions struct {
	GuardShare   float64
	GuardMinimum int
}

// allowedRemovals is how many removals a run may make unreviewed in a tenant of n employees.
func allowedRemovals(n int, share float64, minimum int) int {
	return max(int(math.Floor(share*float64(n))), minimum)
}

// execer is what both a pool and a transaction offer.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Apply diffs a run's staged employees and history against what the tenant has and applies
// the result in one transaction: new employees inserted, changed ones updated (unchanged rows
// are not written), removals (when the run read everything and the guard allows), history
// rows, the change feed, the outbox, and the run's figures. Applying a run again returns the
// run as it was applied and changes nothing.
//
// The tenant's first applied run is its baseline: everyone is stored and no per-employee
// changes are emitted. A run whose removals trip the guard applies everything else and ends
// guard_tripped; ResolveGuard carries out support's decision.
func (s *Store) Apply(ctx context.Context, runID int64, opts ApplyOptions) (Run, error) {
	if opts.GuardShare <= 0 {
		opts.GuardShare = defaultGuardShare
	}
	if opts.GuardMinimum <= 0 {
		opts.GuardMinimum = defaultGuardMinimum
	}
	var tenant model.TenantKey
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		a := applier{tx: tx, runID: runID, opts: opts}
		if err := a.run(ctx); err != nil {
			return err
		}
		tenant = a.tenant
		return nil
	})
	if err != nil {
		return Run{}, err
	}
	// Staging is disposable once the run is applied; clearing it is not part of the apply.
	if err := s.dropStaging(ctx, s.pool, runID); err != nil {
		return Run{}, err
	}
	return s.Run(ctx, tenant, runID)
}

// applier is one Apply's state inside its transaction.
type applier struct {
	tx    pgx.Tx
	runID int64
	opts  ApplyOptions

	tenant   model.TenantKey
	asOf     time.Time
	fullRead bool
	baseline bool

	counts     Counts
	rejections []model.Rejection
	changes    int
	guard      *Guard
}

func (a *applier) run(ctx context.Context) error {
	var status RunStatus
	err := a.tx.QueryRow(ctx, sqlLockRunForApply, a.runID).Scan(&a.tenant, &status, &a.asOf, &a.fullRead)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("store: apply run %d: %w", a.runID, ErrUnknownRun)
	}
	if err != nil {
		return fmt.Errorf("store: apply run %d: %w", a.runID, err)
	}
	if status != RunRunning {
		return nil // applied (or failed) before: nothing to do, the caller reads the run as it is
	}
	var baselineRun *int64
	if err := a.tx.QueryRow(ctx, sqlLockTenant, a.tenant).Scan(&baselineRun); err != nil {
		return fmt.Errorf("store: apply run %d: lock tenant %q: %w", a.runID, a.tenant, err)
	}
	a.baseline = baselineRun == nil

	steps := []struct {
		what string
		do   func(context.Context) error
	}{
		{"check staging", a.checkStaging},
		{"read rejections", a.readRejections},
		{"take scheduled terminations", a.exec(sqlFillScheduledTerminations, a.runID, a.asOf)},
		{"reject duplicate IDs", a.rejectDuplicates},
		{"keep hidden fields", a.exec(sqlMergeHidden, a.runID, a.tenant)},
		{"count removals", a.countRemovals},
		{"write changes", a.writeChanges},
		{"update changed employees", a.updateChanged},
		{"insert new employees", a.insertNew},
		{"remove employees", a.remove},
		{"store history", a.storeHistory},
		{"write outbox", a.writeOutbox},
		{"finish run", a.finish},
	}
	for _, step := range steps {
		if err := step.do(ctx); err != nil {
			return fmt.Errorf("store: apply run %d of tenant %q: %s: %w", a.runID, a.tenant, step.what, err)
		}
	}
	return nil
}

func (a *applier) exec(sql string, args ...any) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := a.tx.Exec(ctx, sql, args...)
		return err
	}
}

// checkStaging compares what the fetches recorded with what staging holds.
func (a *applier) checkStaging(ctx context.Context) error {
	recorded := map[string]int{}
	recordedRejections := 0
	rows, err := a.tx.Query(ctx, sqlRecordedParts, a.runID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var part string
		var n, rejected int
		if err := rows.Scan(&part, &n, &rejected); err != nil {
			return err
		}
		if part != partListing {
			recorded[part] = n
		}
		recordedRejections += rejected
	}
	if err := rows.Err(); err != nil {
		return err
	}
	staged := map[string]int{}
	rows, err = a.tx.Query(ctx, sqlStagedCounts, a.runID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var part string
		var n int
		if err := rows.Scan(&part, &n); err != nil {
			return err
		}
		staged[part] = n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var lost []string
	for part, n := range recorded {
		if staged[part] != n {
			lost = append(lost, fmt.Sprintf("%s: %d recorded, %d staged", part, n, staged[part]))
		}
	}
	if staged["rejections"] != recordedRejections {
		lost = append(lost, fmt.Sprintf("rejections: %d recorded, %d staged", recordedRejections, staged["rejections"]))
	}
	if len(lost) > 0 {
		sort.Strings(lost)
		return fmt.Errorf("%w (%s): fetch the run again", ErrStagingIncomplete, strings.Join(lost, "; "))
	}
	a.counts.Fetched = staged[partEmployees] + staged["rejections"]
	return nil
}

func (a *applier) readRejections(ctx context.Context) error {
	rows, err := a.tx.Query(ctx, sqlStagedRejections, a.runID)
	if err != nil {
		return err
	}
	a.rejections, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.Rejection, error) {
		var rj model.Rejection
		return rj, r.Scan(&rj.EmployeeID, &rj.Reason)
	})
	return err
}

// rejectDuplicates refuses every copy of an ID HiBob returned more than once in the run: which
// copy is right cannot be known, and the stored row stays as it was (it is not removed either).
func (a *applier) rejectDuplicates(ctx context.Context) error {
	rows, err := a.tx.Query(ctx, sqlMarkDuplicates, a.runID)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		if !seen[id] {
			seen[id] = true
			a.rejections = append(a.rejections, model.Rejection{EmployeeID: id,
				Reason: fmt.Sprintf("HiBob returned employee ID %s %d times in one sync; kept the stored record unchanged", id, n)})
			// The n copies were fetched as one employee: one fetched, one rejected.
			a.counts.Fetched -= n - 1
		}
	}
	return rows.Err()
}

func (a *applier) countRemovals(ctx context.Context) error {
	var wouldRemove, active int
	if err := a.tx.QueryRow(ctx, sqlCountRemovals, a.runID, a.tenant).Scan(&wouldRemove, &active); err != nil {
		return err
	}
	if !a.fullRead || wouldRemove == 0 {
		return nil
	}
	allowed := allowedRemovals(active, a.opts.GuardShare, a.opts.GuardMinimum)
	if wouldRemove > allowed {
		a.guard = &Guard{WouldRemove: wouldRemove, Of: active, Allowed: allowed}
	}
	return nil
}

func (a *applier) writeChanges(ctx context.Context) error {
	if a.baseline {
		return nil
	}
	for _, q := range []string{sqlFieldChanges, sqlNewHireChanges} {
		args := []any{a.runID, a.tenant}
		if q == sqlFieldChanges {
			args = append(args, a.asOf)
		}
		tag, err := a.tx.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		a.changes += int(tag.RowsAffected())
	}
	return nil
}

func (a *applier) updateChanged(ctx context.Context) error {
	tag, err := a.tx.Exec(ctx, sqlUpdateChanged, a.runID, a.tenant)
	a.counts.Updated = int(tag.RowsAffected())
	return err
}

func (a *applier) insertNew(ctx context.Context) error {
	tag, err := a.tx.Exec(ctx, sqlInsertNew, a.runID, a.tenant, a.baseline)
	a.counts.Inserted = int(tag.RowsAffected())
	staged := a.counts.Fetched - len(a.rejections)
	a.counts.Unchanged = staged - a.counts.Inserted - a.counts.Updated
	a.counts.Rejected = len(a.rejections)
	return err
}

func (a *applier) remove(ctx context.Context) error {
	switch {
	case !a.fullRead:
		return nil
	case a.guard != nil:
		_, err := a.tx.Exec(ctx, sqlHoldRemovals, a.runID, a.tenant)
		return err
	}
	tag, err := a.tx.Exec(ctx, sqlRemove, a.runID, a.tenant, a.asOf)
	a.counts.Removed = int(tag.RowsAffected())
	if !a.baseline {
		a.changes += a.counts.Removed
	}
	return err
}

func (a *applier) storeHistory(ctx context.Context) error {
	if _, err := a.tx.Exec(ctx, sqlUpsertHistory, a.runID, a.tenant); err != nil {
		return err
	}
	if !a.fullRead {
		return nil
	}
	var tables []string
	rows, err := a.tx.Query(ctx, `SELECT DISTINCT part FROM sync_run_parts WHERE run_id = $1`, a.runID)
	if err != nil {
		return err
	}
	parts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, t := range model.HistoryTables {
		if slices.Contains(parts, string(t)) {
			tables = append(tables, string(t))
		}
	}
	if len(tables) == 0 {
		return nil
	}
	_, err = a.tx.Exec(ctx, sqlDeleteAbsentHistory, a.runID, a.tenant, tables)
	return err
}

func (a *applier) writeOutbox(ctx context.Context) error {
	if _, err := a.tx.Exec(ctx, sqlOutboxChanges, a.runID); err != nil {
		return err
	}
	payload, err := json.Marshal(map[string]any{
		"runId": a.runID, "status": a.status(), "baseline": a.baseline, "counts": a.counts, "changes": a.changes, "guard": a.guard,
	})
	if err != nil {
		return err
	}
	_, err = a.tx.Exec(ctx, sqlOutboxEvent, a.tenant, "sync.run_finished", fmt.Sprintf("run-finished:%d", a.runID), payload)
	return err
}

func (a *applier) status() RunStatus {
	if a.guard != nil {
		return RunGuardTripped
	}
	return RunApplied
}

func (a *applier) finish(ctx context.Context) error {
	rejections, err := json.Marshal(a.rejections)
	if err != nil {
		return err
	}
	if a.rejections == nil {
		rejections = []byte("[]")
	}
	var wouldRemove, of, allowed *int
	if a.guard != nil {
		wouldRemove, of, allowed = &a.guard.WouldRemove, &a.guard.Of, &a.guard.Allowed
	}
	c := a.counts
	if _, err := a.tx.Exec(ctx, sqlFinishRun, a.runID, a.status(), c.Fetched, c.Inserted, c.Updated, c.Unchanged,
		c.Removed, c.Rejected, a.changes, rejections, wouldRemove, of, allowed); err != nil {
		return err
	}
	if a.baseline {
		_, err = a.tx.Exec(ctx, sqlSetBaseline, a.tenant, a.runID)
	}
	return err
}
