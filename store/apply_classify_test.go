package store_test

// Tests of what staging classifies and what apply trusts of it: the slow path when another run
// applied in between, duplicates whose other copy a retried batch takes away, and the figures
// the removal count is computed from.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/model"
	"hibobsync/store"
)

// activeFigureHolds checks the tenant's active_employees figure, which the removal count starts
// from, against its employees.
func activeFigureHolds(t *testing.T, f *syncFixture) {
	t.Helper()
	require.Equal(t,
		countRows(t, f.s, `SELECT count(*)::int FROM employees WHERE tenant_key = $1 AND removed_at IS NULL`, f.tenant),
		countRows(t, f.s, `SELECT active_employees FROM tenants WHERE key = $1`, f.tenant))
}

// Two runs staged against the same state of the tenant; the first applied changes it, so the
// second's staged states are stale and apply classifies again: it must come out as if it had
// been staged after the first.
func TestApplyReclassifiesWhenAnotherRunAppliedSinceStaging(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	f.sync(people(30))
	activeFigureHolds(t, f)

	first := people(30)[:29] // person 29 removed
	first[0].WorkEmail = "first@acme.example.com"
	first = append(first, person(40)) // hired
	second := people(30)              // person 29 back (restored), person 40 gone again (removed)
	second[0].WorkEmail = "first@acme.example.com"
	second[1].Surname = "Second"
	second = append(second, person(41))

	a := f.stage(first, nil, nil)
	b := f.stage(second, []model.HistoryEntry{lifecycleRow(second[1].ID, 1, "Employed", second[1].StartDate, true)}, nil)
	got := applyRun(f, a.ID, store.ApplyOptions{})
	require.Equal(t, store.Counts{Fetched: 30, Inserted: 1, Updated: 1, Unchanged: 28, Removed: 1}, got.Counts)
	activeFigureHolds(t, f)

	got = applyRun(f, b.ID, store.ApplyOptions{})
	require.Equal(t, store.RunApplied, got.Status)
	// person 0 unchanged now; person 1 renamed; person 29 restored; 40 removed; 41 hired.
	require.Equal(t, store.Counts{Fetched: 31, Inserted: 1, Updated: 2, Unchanged: 28, Removed: 1}, got.Counts)
	require.Equal(t, []chg{
		{person(1).ID, "name_changed", "name", "First1 Sur1", "First1 Second", ""},
		{person(29).ID, "restored", "employee", "", "", ""},
		{person(40).ID, "removed", "employee", "", "", f.day.String()},
		{person(41).ID, "hired", "lifecycle_status", "", "Employed", person(41).StartDate.String()},
	}, compact(f.changes(b.ID)))
	require.Equal(t, ids(second), activeIDs(f))
	require.Equal(t, 1, countRows(t, f.s, `SELECT count(*)::int FROM employee_history WHERE tenant_key = $1`, f.tenant))
	activeFigureHolds(t, f)

	// And a run staged after both applies takes the fast path and finds nothing to do.
	run := f.sync(second, lifecycleRow(second[1].ID, 1, "Employed", second[1].StartDate, true))
	require.Equal(t, store.Counts{Fetched: 31, Unchanged: 31}, run.Counts)
	require.Empty(t, f.changes(run.ID))
	_, err := f.s.Run(ctx, f.tenant, run.ID)
	require.NoError(t, err)
}

// A duplicate ID across batches is two staged copies; a retried batch without the ID leaves the
// other copy alone again, staged and applied like any row.
func TestRetriedBatchTakesADuplicateAway(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	f.sync(people(10))
	p := people(10)
	p[3].WorkEmail = "new@acme.example.com"
	run := startRun(f, true)
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 0, p[:5], nil))
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 1, append([]model.Employee{p[3]}, p[5:]...), nil))
	copies := `SELECT count(*)::int FROM staged_employees WHERE run_id = $1 AND employee_id = $2`
	require.Equal(t, 2, countRows(t, f.s, copies, run.ID, p[3].ID))
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 1, p[5:], nil)) // retried, right this time
	require.Equal(t, 1, countRows(t, f.s, copies, run.ID, p[3].ID))
	require.Zero(t, countRows(t, f.s, `SELECT count(*)::int FROM staged_employees WHERE run_id = $1 AND duplicate`, run.ID))

	got := applyRun(f, run.ID, store.ApplyOptions{})
	require.Equal(t, store.Counts{Fetched: 10, Updated: 1, Unchanged: 9}, got.Counts)
	require.Empty(t, got.Rejections)
	require.Equal(t, []chg{{p[3].ID, "work_email_changed", "work_email", person(3).WorkEmail, "new@acme.example.com", ""}},
		compact(f.changes(run.ID)))
	activeFigureHolds(t, f)
}

// The removal count comes from staged figures, not from reading the tenant: check it against
// the rows in the cases that make it up (duplicates of active and new IDs, refused IDs that were
// also staged, refused IDs of removed employees, restored employees).
func TestRemovalCountFromStagedFigures(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	f.sync(people(40))
	f.sync(people(39)) // person 39 removed
	activeFigureHolds(t, f)

	p := people(45)
	run := startRun(f, true)
	// Staged: 0–29 and 39 (restored), 40 (new); 5 and 40 twice. Refused by ID: 30 (active,
	// not staged), 31 (active, not staged), 0 (active and staged), 39 (staged). Not returned:
	// 32–38, 7 people: removed.
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 0, append(p[:30:30], p[39], p[40], p[5]),
		[]model.Rejection{{EmployeeID: p[30].ID, Reason: "bad"}, {EmployeeID: p[0].ID, Reason: "bad"}}))
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 1, []model.Employee{p[40]}, nil))
	require.NoError(t, f.s.RecordListing(ctx, run.ID, 40, []model.Rejection{{EmployeeID: p[31].ID, Reason: "bad"},
		{EmployeeID: p[39].ID, Reason: "bad"}}))
	got := applyRun(f, run.ID, store.ApplyOptions{GuardMinimum: 10})
	require.Equal(t, store.RunApplied, got.Status)
	require.Equal(t, 7, got.Counts.Removed)
	want := ids(append(p[:32:32], p[39]))
	require.Equal(t, want, activeIDs(f))
	activeFigureHolds(t, f)
}

// holdPartRecords begins a transaction that records the given employee batches of a run
// without committing: a staging of one of them copies its rows, then waits at its own record
// (the same key) until release rolls the holder back. It shows what staging transactions do
// side by side, each blind to the other's rows.
func holdPartRecords(t *testing.T, f *syncFixture, runID int64, seqs ...int) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := f.s.Pool().Begin(ctx)
	require.NoError(t, err)
	for _, seq := range seqs {
		_, err := tx.Exec(ctx, `INSERT INTO sync_run_parts (run_id, part, seq, rows) VALUES ($1, 'employees', $2, 0)`, runID, seq)
		require.NoError(t, err)
	}
	released := false
	release = func() {
		if !released {
			released = true
			require.NoError(t, tx.Rollback(ctx))
		}
	}
	t.Cleanup(release)
	return release
}

// waitingOn waits until n sessions of the test's database wait for the lock event (a Postgres
// wait_event: "transactionid" for another transaction's row, "advisory" for an advisory lock).
func waitingOn(t *testing.T, f *syncFixture, event string, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		return countRows(t, f.s, `SELECT count(*)::int FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = $1`, event) == n
	}, 10*time.Second, 10*time.Millisecond, "%d sessions waiting on %s", n, event)
}

// Two batches of a run that share IDs stage at the same time, neither seeing the other's rows
// (both wait at their record with their rows copied): apply still finds every copy. An active
// employee returned twice (the copies differ) keeps its stored row and is not removed; a new
// employee returned twice is not inserted; each ID is one rejection. The removal count, made
// from the staged figures, still finds the one employee the run did not return.
func TestBatchesStagedConcurrentlyShareAnID(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	f.sync(people(10))
	p := people(11)
	copy3 := p[3]
	copy3.Surname = "Other"
	run := startRun(f, true)
	batches := [][]model.Employee{
		{p[0], p[1], p[2], p[3], p[4], p[10]},
		{copy3, p[5], p[6], p[7], p[8], p[10]}, // person 9 is gone
	}

	release := holdPartRecords(t, f, run.ID, 0, 1)
	errs := make([]error, len(batches))
	var wg sync.WaitGroup
	for seq, batch := range batches {
		wg.Go(func() { errs[seq] = f.s.StageEmployees(ctx, run.ID, seq, batch, nil) })
	}
	waitingOn(t, f, "transactionid", len(batches)) // both past their lock, rows copied, uncommitted
	release()
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}

	got := applyRun(f, run.ID, store.ApplyOptions{})
	require.Equal(t, store.RunApplied, got.Status)
	require.Equal(t, store.Counts{Fetched: 10, Unchanged: 8, Removed: 1, Rejected: 2}, got.Counts)
	require.Len(t, got.Rejections, 2)
	for i, id := range []string{p[3].ID, p[10].ID} {
		require.Equal(t, id, got.Rejections[i].EmployeeID)
		require.Contains(t, got.Rejections[i].Reason, "2 times")
	}
	require.Equal(t, 4, countRows(t, f.s, `SELECT count(*)::int FROM staged_employees WHERE run_id = $1 AND duplicate`, run.ID),
		"every copy refused")
	require.Equal(t, person(3), stored(f, p[3].ID).Employee, "the stored row is unchanged")
	require.Equal(t, ids(people(9)), activeIDs(f), "the duplicated employee stays; person 9 is removed")
	_, err := f.s.Employee(ctx, f.tenant, p[10].ID)
	require.ErrorIs(t, err, store.ErrUnknownEmployee, "a duplicated new ID is not inserted")
	require.Equal(t, []chg{{p[9].ID, "removed", "employee", "", "", f.day.String()}}, compact(f.changes(run.ID)))
	activeFigureHolds(t, f)
}

// The same batch staged twice at once (a retried activity overlapping the attempt it retries):
// the second waits for the first, then replaces it, so one copy of each row stays, and apply
// sees no duplicate.
func TestSameBatchStagedConcurrentlyLeavesOneCopy(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	p := people(5)
	retried := people(5)
	retried[2].WorkEmail = "retried@acme.example.com"
	run := startRun(f, true)

	release := holdPartRecords(t, f, run.ID, 0)
	var first, second error
	var wg sync.WaitGroup
	wg.Go(func() { first = f.s.StageEmployees(ctx, run.ID, 0, p, nil) })
	waitingOn(t, f, "transactionid", 1) // the first has copied its rows
	wg.Go(func() { second = f.s.StageEmployees(ctx, run.ID, 0, retried, nil) })
	waitingOn(t, f, "advisory", 1) // the second waits for the first
	release()
	wg.Wait()
	require.NoError(t, first)
	require.NoError(t, second)

	require.Equal(t, 5, countRows(t, f.s, `SELECT count(*)::int FROM staged_employees WHERE run_id = $1`, run.ID))
	require.Equal(t, 5, countRows(t, f.s, `SELECT count(DISTINCT employee_id)::int FROM staged_employees WHERE run_id = $1`, run.ID))
	require.Equal(t, 5, countRows(t, f.s, `SELECT rows FROM sync_run_parts WHERE run_id = $1 AND part = 'employees' AND seq = 0`, run.ID))
	got := applyRun(f, run.ID, store.ApplyOptions{})
	require.Equal(t, store.Counts{Fetched: 5, Inserted: 5}, got.Counts)
	require.Empty(t, got.Rejections)
	require.Equal(t, "retried@acme.example.com", stored(f, p[2].ID).WorkEmail, "the later staging replaced the earlier")
}

// Apply tells from the batches' ID hashes whether any ID was staged twice, and if so, or when a
// batch has no hashes (staged by an earlier version), marks the copies from the staged rows;
// either way a mark that does not hold (left by an earlier version's staging) is taken away.
func TestDuplicateMarksAreApplys(t *testing.T) {
	for _, tc := range []struct {
		name             string
		duplicate, known bool
	}{
		{"a duplicate, hashes recorded", true, true},
		{"a duplicate, hashes missing", true, false},
		{"no duplicate, hashes recorded", false, true},
		{"no duplicate, hashes missing", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newSyncFixture(t, nil, "Acme")
			f.sync(people(10))
			p := people(10)
			run := startRun(f, true)
			second := p[5:]
			if tc.duplicate {
				second = append([]model.Employee{p[3]}, second...)
			}
			stageBatches(f, run.ID, p[:5], second)
			_, err := f.s.Pool().Exec(ctx, `UPDATE staged_employees SET duplicate = true WHERE run_id = $1 AND employee_id = $2`, run.ID, p[7].ID)
			require.NoError(t, err)
			if !tc.known {
				_, err := f.s.Pool().Exec(ctx, `DELETE FROM staged_batches WHERE run_id = $1 AND seq = 1`, run.ID)
				require.NoError(t, err)
			}
			got := applyRun(f, run.ID, store.ApplyOptions{})
			if tc.duplicate {
				require.Equal(t, store.Counts{Fetched: 10, Unchanged: 9, Rejected: 1}, got.Counts)
				require.Len(t, got.Rejections, 1)
				require.Equal(t, p[3].ID, got.Rejections[0].EmployeeID)
			} else {
				require.Equal(t, store.Counts{Fetched: 10, Unchanged: 10}, got.Counts)
				require.Empty(t, got.Rejections)
			}
			require.Equal(t, ids(p), activeIDs(f))
			activeFigureHolds(t, f)
		})
	}
}

// A row staged as the same as the stored one keeps its raw object as text; when apply writes it
// after all (another run applied since, or a scheduled termination changes it), the object it
// stores is the staged one.
func TestRawOfRowsStagedAsSameIsStoredWhenWritten(t *testing.T) {
	f := newSyncFixture(t, nil, "Acme")
	withRaw := func(es []model.Employee, v int) []model.Employee {
		out := slices.Clone(es)
		for i := range out {
			out[i].Raw = json.RawMessage(fmt.Sprintf(`{"id": %q, "v": %d}`, out[i].ID, v))
		}
		return out
	}
	p := people(3)
	entry := func(surname string, v int) model.HistoryEntry {
		h := lifecycleRow(p[1].ID, 1, "Employed", p[1].StartDate, true)
		h.Reason = surname
		h.Raw = json.RawMessage(fmt.Sprintf(`{"entry": 1, "v": %d}`, v))
		return h
	}
	f.sync(withRaw(p, 1), entry("", 1))

	// Run b stages person 1 and the entry as they are stored; run a, applied first, changes both.
	changed := slices.Clone(p)
	changed[1].Surname = "Changed"
	a := f.stage(withRaw(changed, 2), []model.HistoryEntry{entry("changed", 2)}, nil)
	b := f.stage(withRaw(p, 3), []model.HistoryEntry{entry("", 3)}, nil)
	require.Equal(t, 3, countRows(t, f.s, `SELECT count(*)::int FROM staged_employees WHERE run_id = $1 AND raw_text IS NOT NULL`, b.ID))
	applyRun(f, a.ID, store.ApplyOptions{})
	got := applyRun(f, b.ID, store.ApplyOptions{})
	require.Equal(t, store.Counts{Fetched: 3, Updated: 1, Unchanged: 2}, got.Counts)

	raw := func(sql string, args ...any) map[string]any {
		var m map[string]any
		require.NoError(t, f.s.Pool().QueryRow(context.Background(), sql, args...).Scan(&m))
		return m
	}
	employeeRaw := func(id string) map[string]any {
		return raw(`SELECT raw FROM employees WHERE tenant_key = $1 AND employee_id = $2`, f.tenant, id)
	}
	require.Equal(t, map[string]any{"id": p[1].ID, "v": 3.0}, employeeRaw(p[1].ID), "reclassified as changed")
	require.Equal(t, map[string]any{"id": p[0].ID, "v": 1.0}, employeeRaw(p[0].ID), "the same in every run: never written again")
	require.Equal(t, map[string]any{"entry": 1.0, "v": 3.0},
		raw(`SELECT raw FROM employee_history WHERE tenant_key = $1 AND employee_id = $2`, f.tenant, p[1].ID))

	// A scheduled termination: staged as same, changed by the terminating lifecycle row.
	due := f.day.AddDays(30)
	f.sync(withRaw(p, 4), entry("", 3), lifecycleRow(p[2].ID, 2, "Terminated", due, false))
	require.Equal(t, due, stored(f, p[2].ID).TerminationDate)
	require.Equal(t, map[string]any{"id": p[2].ID, "v": 4.0}, employeeRaw(p[2].ID))
}
