package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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
	// A running run staged before staging was partitioned has no partitions: make them, so
	// apply finds its staging empty (and says so) rather than missing.
	if err := s.ensureStaging(ctx, runID); err != nil {
		return Run{}, fmt.Errorf("store: apply run %d: %w", runID, err)
	}
	var tenant model.TenantKey
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		a := applier{tx: tx, runID: runID, opts: opts, st: stagingOf(runID)}
		if err := a.run(ctx); err != nil {
			return err
		}
		tenant = a.tenant
		return nil
	})
	if err != nil {
		return Run{}, err
	}
	// The run's staging stays until DropStaging (the caller's, once it has the result) or the
	// next StartRun's sweep: dropping partitions waits on locks that are no part of applying.
	return s.Run(ctx, tenant, runID)
}

// applier is one Apply's state inside its transaction.
type applier struct {
	tx    pgx.Tx
	runID int64
	opts  ApplyOptions
	st    staging

	tenant   model.TenantKey
	asOf     time.Time
	fullRead bool
	baseline bool
	version  int64 // the tenant's apply_version
	active   int   // the tenant's active employees before this apply

	parts      []stagedPart
	counts     Counts
	restored   int
	rejections []model.Rejection
	// Duplicated IDs: copies beyond the first of each, and how many of the IDs are active
	// employees staged as same or changed (activeDupRows of their copies).
	extraCopies, activeDupIDs, activeDupRows int
	wouldRemove                              int
	changes                                  int
	guard                                    *Guard
}

// stagedPart is a row of sync_run_parts.
type stagedPart struct {
	part                         string
	seq                          int
	rows, rejected               int
	new, same, changed, restored int
	version                      *int64
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
	if err := a.tx.QueryRow(ctx, sqlLockTenantForApply, a.tenant).Scan(&baselineRun, &a.version, &a.active); err != nil {
		return fmt.Errorf("store: apply run %d: lock tenant %q: %w", a.runID, a.tenant, err)
	}
	a.baseline = baselineRun == nil

	steps := []struct {
		what string
		do   func(context.Context) error
	}{
		{"check staging", a.checkStaging},
		{"classify again", a.reclassify},
		{"mark duplicate IDs", a.markDuplicates},
		{"read rejections", a.readRejections},
		{"take scheduled terminations", a.fillScheduledTerminations},
		{"reject duplicate IDs", a.rejectDuplicates},
		{"keep hidden fields", a.exec(sqlMergeHidden, a.tenant)},
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
		_, err := a.tx.Exec(ctx, a.st.sql(sql), args...)
		return err
	}
}

// checkStaging reads what the fetches recorded and checks, part by part and without reading
// the staged rows, that staging still holds it: a Postgres crash empties whole UNLOGGED
// tables, so a part that left one row left all of them.
func (a *applier) checkStaging(ctx context.Context) error {
	rows, err := a.tx.Query(ctx, a.st.sql(sqlCheckParts), a.runID)
	if err != nil {
		return err
	}
	var lost []string
	for rows.Next() {
		var p stagedPart
		var rowsThere, rejectionsThere bool
		if err := rows.Scan(&p.part, &p.rows, &p.rejected, &p.new, &p.same, &p.changed, &p.restored, &p.version,
			&rowsThere, &rejectionsThere, &p.seq); err != nil {
			return err
		}
		if !rowsThere {
			lost = append(lost, fmt.Sprintf("%s %d: %d rows recorded, none staged", p.part, p.seq, p.rows))
		}
		if !rejectionsThere {
			lost = append(lost, fmt.Sprintf("%s %d: %d rejections recorded, none staged", p.part, p.seq, p.rejected))
		}
		a.parts = append(a.parts, p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(lost) > 0 {
		return fmt.Errorf("%w (%s): fetch the run again", ErrStagingIncomplete, strings.Join(lost, "; "))
	}
	for _, p := range a.parts {
		if p.part == partEmployees {
			a.counts.Fetched += p.rows
		}
		a.counts.Fetched += p.rejected
	}
	return nil
}

// reclassify is the slow path: when a part was classified against another state of the tenant
// than the current one (another run applied since), every staged row is classified again.
func (a *applier) reclassify(ctx context.Context) error {
	current := true
	for _, p := range a.parts {
		if p.part != partListing && (p.version == nil || *p.version != a.version) {
			current = false
		}
	}
	if current {
		return nil
	}
	if _, err := a.tx.Exec(ctx, `SET LOCAL work_mem = '`+slowPathWorkMem+`'`); err != nil {
		return err
	}
	for _, q := range sqlReclassify {
		if _, err := a.tx.Exec(ctx, a.st.sql(q), a.tenant); err != nil {
			return err
		}
	}
	if _, err := a.tx.Exec(ctx, a.st.sql(sqlRecountParts), a.runID, a.version); err != nil {
		return err
	}
	// The steps after this read the partitions by state: give the planner their statistics.
	if _, err := a.tx.Exec(ctx, `ANALYZE `+a.st.employees+`, `+a.st.history); err != nil {
		return err
	}
	a.parts = nil
	a.counts.Fetched = 0
	return a.checkStaging(ctx)
}

// slowPathWorkMem lets the slow path's whole-run joins hash in memory.
const slowPathWorkMem = "256MB"

// markDuplicates marks every staged copy of an ID the run staged more than once, in one batch
// or in several, and unmarks any other row: the steps after it read the marks (rejectDuplicates,
// the removal count, the writes). Staging marked the copies within a batch; the batches staged
// side by side, so those across batches are found here.
//
// The hashes of the batches' IDs (staged_batches, under 2 KB a batch) tell, without reading the
// staged rows, that no ID was staged twice, which is the rule: then no row is a duplicate.
// Otherwise (or when a batch's hashes are missing: staged by an earlier version) the marks are
// set from every staged row.
func (a *applier) markDuplicates(ctx context.Context) error {
	recorded := map[int]int{} // seq → hashes
	seen := make(map[int64]struct{}, a.counts.Fetched)
	twice := false
	rows, err := a.tx.Query(ctx, a.st.sql(`SELECT seq, id_hashes FROM {B}`))
	if err != nil {
		return err
	}
	var seq int
	var hashes []int64
	if _, err := pgx.ForEachRow(rows, []any{&seq, &hashes}, func() error {
		recorded[seq] = len(hashes)
		for _, h := range hashes {
			if _, ok := seen[h]; ok {
				twice = true
			}
			seen[h] = struct{}{}
		}
		return nil
	}); err != nil {
		return err
	}
	for _, p := range a.parts {
		if n, ok := recorded[p.seq]; p.part == partEmployees && p.rows > 0 && (!ok || n != p.rows) {
			twice = true // not known: count the rows
		}
	}
	if twice {
		_, err := a.tx.Exec(ctx, a.st.sql(sqlMarkDuplicates), planNow)
		return err
	}
	// No duplicate: a mark is one an earlier version's staging left.
	_, err = a.tx.Exec(ctx, a.st.sql(`UPDATE {E} SET duplicate = false WHERE duplicate`), planNow)
	return err
}

func (a *applier) readRejections(ctx context.Context) error {
	rows, err := a.tx.Query(ctx, a.st.sql(sqlStagedRejections))
	if err != nil {
		return err
	}
	a.rejections, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.Rejection, error) {
		var rj model.Rejection
		return rj, r.Scan(&rj.EmployeeID, &rj.Reason)
	})
	return err
}

func (a *applier) fillScheduledTerminations(ctx context.Context) error {
	var any bool
	if err := a.tx.QueryRow(ctx, a.st.sql(`SELECT EXISTS (SELECT 1 FROM {H} WHERE terminates)`)).Scan(&any); err != nil || !any {
		return err
	}
	_, err := a.tx.Exec(ctx, a.st.sql(sqlFillScheduledTerminations), a.tenant)
	return err
}

// rejectDuplicates refuses every copy of an ID HiBob returned more than once in the run: which
// copy is right cannot be known, and the stored row stays as it was (it is not removed either).
// Staging marked the copies.
func (a *applier) rejectDuplicates(ctx context.Context) error {
	rows, err := a.tx.Query(ctx, a.st.sql(sqlDuplicates))
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var n, active int
		if err := rows.Scan(&id, &n, &active); err != nil {
			return err
		}
		a.rejections = append(a.rejections, model.Rejection{EmployeeID: id,
			Reason: fmt.Sprintf("HiBob returned employee ID %s %d times in one sync; kept the stored record unchanged", id, n)})
		// The n copies were fetched as one employee: one fetched, one rejected.
		a.extraCopies += n - 1
		if active > 0 {
			a.activeDupIDs++
			a.activeDupRows += active
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	a.counts.Fetched -= a.extraCopies
	return nil
}

// countRemovals counts, without reading the tenant's employees, who a full read would remove:
// the tenant's active employees less those the run staged (as same or changed, once per ID)
// and those it refused by ID without staging them.
func (a *applier) countRemovals(ctx context.Context) error {
	if !a.fullRead {
		return nil
	}
	staged := 0
	for _, p := range a.parts {
		if p.part == partEmployees {
			staged += p.same + p.changed
		}
	}
	staged += a.activeDupIDs - a.activeDupRows
	var rejected int
	if err := a.tx.QueryRow(ctx, a.st.sql(sqlRejectedActive), a.tenant).Scan(&rejected); err != nil {
		return err
	}
	a.wouldRemove = a.active - staged - rejected
	if a.wouldRemove < 0 {
		return fmt.Errorf("%d active employees, %d staged and %d refused: the tenant's figures are inconsistent", a.active, staged, rejected)
	}
	if a.wouldRemove == 0 {
		return nil
	}
	// Someone seems gone: count exactly, which also spares employees the listing named but
	// whose object came back unusable.
	if err := a.tx.QueryRow(ctx, a.st.sql(sqlCountRemovalCandidates), a.runID, a.tenant).Scan(&a.wouldRemove); err != nil {
		return err
	}
	if a.wouldRemove == 0 {
		return nil
	}
	allowed := allowedRemovals(a.active, a.opts.GuardShare, a.opts.GuardMinimum)
	if a.wouldRemove > allowed {
		a.guard = &Guard{WouldRemove: a.wouldRemove, Of: a.active, Allowed: allowed}
	}
	return nil
}

// has says whether a partition holds a row that is no duplicate.
func (a *applier) has(ctx context.Context, table string) (bool, error) {
	var ok bool
	err := a.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE NOT duplicate)`).Scan(&ok)
	return ok, err
}

func (a *applier) writeChanges(ctx context.Context) error {
	if a.baseline {
		return nil
	}
	for _, q := range []struct {
		table, sql string
	}{{a.st.employeesChanged, sqlFieldChanges}, {a.st.employeesNew, sqlNewHireChanges}} {
		if ok, err := a.has(ctx, q.table); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		args := []any{a.runID, a.tenant}
		if q.sql == sqlFieldChanges {
			args = append(args, a.asOf)
		}
		tag, err := a.tx.Exec(ctx, a.st.sql(q.sql), args...)
		if err != nil {
			return err
		}
		a.changes += int(tag.RowsAffected())
	}
	return nil
}

func (a *applier) updateChanged(ctx context.Context) error {
	if ok, err := a.has(ctx, a.st.employeesChanged); err != nil || !ok {
		return err
	}
	return a.tx.QueryRow(ctx, a.st.sql(sqlUpdateChanged), a.runID, a.tenant).Scan(&a.counts.Updated, &a.restored)
}

func (a *applier) insertNew(ctx context.Context) error {
	staged := a.counts.Fetched - len(a.rejections)
	a.counts.Rejected = len(a.rejections)
	defer func() { a.counts.Unchanged = staged - a.counts.Inserted - a.counts.Updated }()
	if ok, err := a.has(ctx, a.st.employeesNew); err != nil || !ok {
		return err
	}
	tag, err := a.tx.Exec(ctx, a.st.sql(sqlInsertNew), a.runID, a.tenant, a.baseline)
	a.counts.Inserted = int(tag.RowsAffected())
	return err
}

func (a *applier) remove(ctx context.Context) error {
	switch {
	case !a.fullRead || a.wouldRemove == 0:
		return nil
	}
	if a.guard != nil {
		_, err := a.tx.Exec(ctx, a.st.sql(sqlHoldRemovals), a.runID, a.tenant)
		return err
	}
	tag, err := a.tx.Exec(ctx, a.st.sql(sqlRemove), a.runID, a.tenant, a.asOf)
	a.counts.Removed = int(tag.RowsAffected())
	if !a.baseline {
		a.changes += a.counts.Removed
	}
	return err
}

// storeHistory writes the run's new and changed history rows and, for each history table the
// run read in full, deletes the stored rows it no longer returned: only when there are any,
// which the staged figures tell without reading the tenant's rows.
func (a *applier) storeHistory(ctx context.Context) error {
	type tableFigures struct {
		existing int // staged rows that match a stored row (same or changed)
	}
	read := map[string]*tableFigures{}
	pending := false
	for _, p := range a.parts {
		if p.part == partEmployees || p.part == partListing {
			continue
		}
		if read[p.part] == nil {
			read[p.part] = &tableFigures{}
		}
		read[p.part].existing += p.same + p.changed
		pending = pending || p.new+p.changed > 0
	}
	var absent []string
	if a.fullRead {
		for _, t := range model.HistoryTables {
			f := read[string(t)]
			if f == nil {
				continue
			}
			var stored int
			var repeated bool
			if err := a.tx.QueryRow(ctx, a.st.sql(sqlHistoryCount), a.tenant, string(t)).Scan(&stored, &repeated); err != nil {
				return err
			}
			if repeated || stored != f.existing {
				absent = append(absent, string(t))
			}
		}
	}
	if pending {
		if _, err := a.tx.Exec(ctx, a.st.sql(sqlUpsertHistory), a.runID, a.tenant); err != nil {
			return err
		}
	}
	for _, t := range absent {
		if _, err := a.tx.Exec(ctx, a.st.sql(sqlDeleteAbsentHistory), a.tenant, t); err != nil {
			return err
		}
	}
	return nil
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
		if _, err := a.tx.Exec(ctx, sqlSetBaseline, a.tenant, a.runID); err != nil {
			return err
		}
	}
	_, err = a.tx.Exec(ctx, sqlBumpTenant, a.tenant, a.counts.Inserted+a.restored-a.counts.Removed)
	return err
}
