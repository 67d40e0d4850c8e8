package store_test

// Tests of what staging classifies and what apply trusts of it: the slow path when another run
// applied in between, duplicates whose other copy a retried batch takes away, and the figures
// the removal count is computed from.

import (
	"context"
	"testing"

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

// A duplicate ID across batches marks both copies; a retried batch without the ID leaves the
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
	require.Equal(t, 2, countRows(t, f.s, `SELECT count(*)::int FROM staged_employees WHERE run_id = $1 AND duplicate`, run.ID))
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 1, p[5:], nil)) // retried, right this time
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
