package store_test

// More tests of the diff and apply on a real Postgres: every change kind's edge cases, the
// false-delete guard, rejected rows, staging, tenant isolation, history, the outbox, the reads
// and failed runs. They reuse syncFixture, person, people and kinds from apply_test.go.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/model"
	"hibobsync/store"
	"hibobsync/store/storetest"
)

// ---- helpers ----

// chg is a change without the parts a test cannot know in advance (cursor, run, timestamps).
type chg struct {
	ID, Kind, Field, Old, New, Effective string
}

func compact(changes []model.Change) []chg {
	out := []chg{}
	for _, c := range changes {
		eff := ""
		if !c.EffectiveDate.IsZero() {
			eff = c.EffectiveDate.String()
		}
		out = append(out, chg{c.EmployeeID, string(c.Kind), c.Field, c.OldValue, c.NewValue, eff})
	}
	slices.SortFunc(out, func(a, b chg) int {
		return strings.Compare(a.ID+a.Kind+a.Field, b.ID+b.Kind+b.Field)
	})
	return out
}

// startRun starts the fixture's next run (sharing its request-key counter) with a chosen FullRead.
func startRun(f *syncFixture, fullRead bool) store.Run {
	f.t.Helper()
	f.runs++
	run, err := f.s.StartRun(context.Background(), store.RunRequest{Tenant: f.tenant, RequestKey: fmt.Sprintf("run-%d", f.runs),
		Kind: store.RunScheduled, AsOf: f.day, FullRead: fullRead})
	require.NoError(f.t, err)
	return run
}

// stageBatches stages each batch as its own seq (0, 1, …).
func stageBatches(f *syncFixture, runID int64, batches ...[]model.Employee) {
	f.t.Helper()
	for seq, b := range batches {
		require.NoError(f.t, f.s.StageEmployees(context.Background(), runID, seq, b, nil))
	}
}

func applyRun(f *syncFixture, runID int64, opts store.ApplyOptions) store.Run {
	f.t.Helper()
	run, err := f.s.Apply(context.Background(), runID, opts)
	require.NoError(f.t, err)
	return run
}

func lifecycleRow(employeeID string, entry int64, status string, effective model.Date, current bool) model.HistoryEntry {
	return model.HistoryEntry{Table: model.Lifecycle, EmployeeID: employeeID, EntryID: entry, EffectiveDate: effective,
		IsCurrent: current, Status: status}
}

func stored(f *syncFixture, id string) store.StoredEmployee {
	f.t.Helper()
	e, err := f.s.Employee(context.Background(), f.tenant, id)
	require.NoError(f.t, err)
	return e
}

func activeIDs(f *syncFixture) []string {
	f.t.Helper()
	es, err := f.s.Employees(context.Background(), f.tenant, store.EmployeeQuery{Limit: 5000})
	require.NoError(f.t, err)
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func ids(es []model.Employee) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	slices.Sort(out)
	return out
}

func countRows(t *testing.T, s *store.Store, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, s.Pool().QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func employed(p model.Employee) model.Employee {
	p.LifecycleStatus = model.ListValue{Value: "employed", Label: "Employed"}
	return p
}

func withLifecycle(p model.Employee, value, label string) model.Employee {
	p.LifecycleStatus = model.ListValue{Value: value, Label: label}
	return p
}

// ---- 1. a termination seen only in the lifecycle table ----

func TestScheduledTerminationFromLifecycleHistory(t *testing.T) {
	due := model.MustDate("2026-07-31")
	cases := []struct {
		name string
		// prepare sets what every run shows of person 0 (the service user's view).
		prepare func(p model.Employee) model.Employee
		// onTheDay is person 0 as HiBob returns them when the termination takes effect.
		onTheDay func(p model.Employee) model.Employee
		// dateArrivesLate: HiBob fills internal.terminationDate in only the day after; that
		// is no new termination either.
		dateArrivesLate bool
	}{
		{
			name:    "termination date visible",
			prepare: func(p model.Employee) model.Employee { return p },
			onTheDay: func(p model.Employee) model.Employee {
				p = withLifecycle(p, "terminated", "Terminated")
				p.TerminationDate = due
				return p
			},
		},
		{
			name: "termination date hidden from the service user",
			prepare: func(p model.Employee) model.Employee {
				p.Hidden = []string{"internal.terminationDate"}
				return p
			},
			onTheDay: func(p model.Employee) model.Employee { return withLifecycle(p, "terminated", "Terminated") },
		},
		{
			name:            "takes effect without a termination date",
			prepare:         func(p model.Employee) model.Employee { return p },
			onTheDay:        func(p model.Employee) model.Employee { return withLifecycle(p, "terminated", "Terminated") },
			dateArrivesLate: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSyncFixture(t, nil, "Acme")
			team := people(5)
			team[0] = tc.prepare(team[0])
			p0 := team[0].ID
			start := team[0].StartDate
			f.sync(team, lifecycleRow(p0, 1, "Employed", start, true))

			// The termination is scheduled: a future Terminated row, not current, no terminationDate.
			f.day = model.MustDate("2026-06-16")
			scheduled := []model.HistoryEntry{lifecycleRow(p0, 1, "Employed", start, true), lifecycleRow(p0, 2, "Terminated", due, false)}
			run := f.sync(team, scheduled...)
			require.Equal(t, []chg{{p0, "terminated", "termination_date", "", "2026-07-31", "2026-07-31"}}, compact(f.changes(run.ID)))
			require.Equal(t, due, stored(f, p0).TerminationDate)

			// Seen again before the day: nothing new.
			f.day = model.MustDate("2026-06-20")
			run = f.sync(team, scheduled...)
			require.Equal(t, store.Counts{Fetched: 5, Unchanged: 5}, run.Counts)
			require.Empty(t, f.changes(run.ID))

			// The day arrives: the employee is terminated; it was announced already.
			f.day = due
			team[0] = tc.onTheDay(team[0])
			ended := lifecycleRow(p0, 1, "Employed", start, false)
			ended.EndEffectiveDate = due.AddDays(-1)
			run = f.sync(team, ended, lifecycleRow(p0, 2, "Terminated", due, true))
			require.Equal(t, store.RunApplied, run.Status)
			require.Equal(t, []chg{}, compact(f.changes(run.ID)), "the termination was announced when it was scheduled")
			require.Equal(t, "terminated", stored(f, p0).LifecycleStatus.Value)
			if !tc.dateArrivesLate {
				require.Equal(t, due, stored(f, p0).TerminationDate)
				return
			}
			f.day = due.AddDays(1)
			team[0].TerminationDate = due
			run = f.sync(team, ended, lifecycleRow(p0, 2, "Terminated", due, true))
			require.Equal(t, []chg{}, compact(f.changes(run.ID)), "the termination was announced when it was scheduled")
			require.Equal(t, due, stored(f, p0).TerminationDate)
		})
	}
}

// ---- 2. a future-dated termination withdrawn ----

func TestWithdrawnTerminationIsCancelled(t *testing.T) {
	f := newSyncFixture(t, nil, "Acme")
	f.sync(people(5))

	team := people(5)
	team[2].TerminationDate = model.MustDate("2026-08-31")
	run := f.sync(team)
	p2 := team[2].ID
	require.Equal(t, []chg{{p2, "terminated", "termination_date", "", "2026-08-31", "2026-08-31"}}, compact(f.changes(run.ID)))

	f.day = f.day.AddDays(3)
	run = f.sync(people(5))
	require.Equal(t, []chg{{p2, "termination_cancelled", "termination_date", "2026-08-31", "", "2026-08-31"}}, compact(f.changes(run.ID)))
	require.True(t, stored(f, p2).TerminationDate.IsZero())
	require.Equal(t, store.Counts{Fetched: 5, Updated: 1, Unchanged: 4}, run.Counts)

	// And nothing more after that.
	run = f.sync(people(5))
	require.Empty(t, f.changes(run.ID))
}

// ---- 3. leave and return ----

func TestLeaveAndReturnTakeDatesFromLifecycleHistory(t *testing.T) {
	f := newSyncFixture(t, nil, "Acme")
	team := people(4)
	p0, p1 := team[0].ID, team[1].ID
	f.sync(team, lifecycleRow(p0, 1, "Employed", team[0].StartDate, true))

	// Person 0 goes on leave with a lifecycle row; person 1 without history (no date known).
	leaveFrom := model.MustDate("2026-06-10")
	team[0] = withLifecycle(team[0], "parental leave", "Parental leave")
	team[1] = withLifecycle(team[1], "leave", "Leave")
	run := f.sync(team, lifecycleRow(p0, 1, "Employed", team[0].StartDate, false),
		lifecycleRow(p0, 2, "Parental leave", leaveFrom, true))
	require.Equal(t, []chg{
		{p0, "on_leave", "lifecycle_status", "Employed", "Leave", "2026-06-10"},
		{p1, "on_leave", "lifecycle_status", "Employed", "Leave", ""},
	}, compact(f.changes(run.ID)))

	// Both return; person 0's current row is the latest entry.
	back := model.MustDate("2026-09-01")
	team[0], team[1] = employed(team[0]), employed(team[1])
	f.day = back
	run = f.sync(team, lifecycleRow(p0, 1, "Employed", team[0].StartDate, false),
		lifecycleRow(p0, 2, "Parental leave", leaveFrom, false), lifecycleRow(p0, 3, "Employed", back, true))
	require.Equal(t, []chg{
		{p0, "returned", "lifecycle_status", "Leave", "Employed", "2026-09-01"},
		{p1, "returned", "lifecycle_status", "Leave", "Employed", ""},
	}, compact(f.changes(run.ID)))
}

// ---- 4. rehire ----

func TestRehire(t *testing.T) {
	f := newSyncFixture(t, nil, "Acme")
	team := people(4)
	for i := range 2 {
		team[i] = withLifecycle(team[i], "terminated", "Terminated")
		team[i].TerminationDate = model.MustDate("2025-12-31")
	}
	f.sync(team)

	again := model.MustDate("2026-06-01")
	for i := range 2 {
		team[i] = employed(team[i])
		team[i].TerminationDate = model.Date{}
		team[i].StartDate = again.AddDays(i)
	}
	p0, p1 := team[0].ID, team[1].ID
	// Person 0's rehire date comes from the current lifecycle row; person 1 has none: the start date.
	run := f.sync(team, lifecycleRow(p0, 1, "Terminated", model.MustDate("2025-12-31"), false),
		lifecycleRow(p0, 2, "Employed", model.MustDate("2026-05-28"), true))
	require.Equal(t, []chg{
		{p0, "rehired", "lifecycle_status", "Terminated", "Employed", "2026-05-28"},
		{p1, "rehired", "lifecycle_status", "Terminated", "Employed", "2026-06-02"},
	}, compact(f.changes(run.ID)), "a rehire is one change: no start_date_changed, no termination_cancelled, no hired")
	require.Equal(t, again, stored(f, p0).StartDate)
}

// ---- 5. removed, then restored ----

func TestRemovedThenRestored(t *testing.T) {
	f := newSyncFixture(t, nil, "Acme")
	f.sync(people(10))

	f.day = model.MustDate("2026-06-20")
	run := f.sync(people(9))
	p9 := person(9).ID
	require.Equal(t, []chg{{p9, "removed", "employee", "", "", "2026-06-20"}}, compact(f.changes(run.ID)))
	require.Equal(t, 1, run.Counts.Removed)
	require.NotNil(t, stored(f, p9).RemovedAt)
	require.NotContains(t, activeIDs(f), p9)

	// Still gone: not removed twice.
	f.day = model.MustDate("2026-06-21")
	run = f.sync(people(9))
	require.Empty(t, f.changes(run.ID))
	require.Equal(t, store.Counts{Fetched: 9, Unchanged: 9}, run.Counts)

	f.day = model.MustDate("2026-06-22")
	run = f.sync(people(10))
	require.Equal(t, []chg{{p9, "restored", "employee", "", "", ""}}, compact(f.changes(run.ID)))
	require.Equal(t, store.Counts{Fetched: 10, Updated: 1, Unchanged: 9}, run.Counts)
	back := stored(f, p9)
	require.Nil(t, back.RemovedAt)
	require.Equal(t, person(9), back.Employee)
	require.Equal(t, ids(people(10)), activeIDs(f))
}

// ---- 6. birthdays ----

func TestBirthDateCorrections(t *testing.T) {
	cases := []struct {
		name      string
		birthDate string
		want      chg
	}{
		{"year corrected, same month-day", "1991-03-04", chg{Kind: "birthday_changed", Field: "birth_date", Old: "1990-03-04", New: "1991-03-04"}},
		{"month-day changed", "1990-03-05", chg{Kind: "birthday_changed", Field: "birthday", Old: "03-04", New: "03-05"}},
		{"day and year changed", "1989-04-04", chg{Kind: "birthday_changed", Field: "birthday", Old: "03-04", New: "04-04"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSyncFixture(t, nil, "Acme")
			team := people(3)
			team[1].BirthDate = model.MustDate("1990-03-04")
			team[1].Birthday = team[1].BirthDate.MonthDay()
			f.sync(team)

			team[1].BirthDate = model.MustDate(tc.birthDate)
			team[1].Birthday = team[1].BirthDate.MonthDay()
			run := f.sync(team)
			want := tc.want
			want.ID = team[1].ID
			require.Equal(t, []chg{want}, compact(f.changes(run.ID)))
			require.Equal(t, team[1], stored(f, team[1].ID).Employee)
		})
	}
}

// ---- 7. hidden fields ----

func TestHiddenFieldsKeepStoredValues(t *testing.T) {
	f := newSyncFixture(t, nil, "Acme")
	team := people(3)
	f.sync(team)
	p1 := team[1].ID
	address := team[1].HomeAddress

	// The service user loses sight of the home address: HiBob leaves it out.
	hidden := []string{"address.city", "address.country", "address.line1", "address.line2", "address.postCode", "address.usaState"}
	team[1].HomeAddress = model.Address{}
	team[1].Hidden = hidden
	run := f.sync(team)
	require.Empty(t, f.changes(run.ID), "a hidden address is not a deleted address")
	got := stored(f, p1)
	require.Equal(t, address, got.HomeAddress)
	require.Equal(t, hidden, got.Hidden)

	// Partly visible again: the visible parts equal, the rest still hidden.
	team[1].HomeAddress = model.Address{PostCode: address.PostCode, Country: address.Country}
	team[1].Hidden = []string{"address.city", "address.line1"}
	run = f.sync(team)
	require.Empty(t, f.changes(run.ID))
	require.Equal(t, address, stored(f, p1).HomeAddress)

	// Visible again, the same address: still nothing.
	team[1].HomeAddress = address
	team[1].Hidden = nil
	run = f.sync(team)
	require.Empty(t, f.changes(run.ID))
	got = stored(f, p1)
	require.Equal(t, person(1), got.Employee)

	// Visible and changed: one change, from the address kept while hidden.
	team[1].HomeAddress.Line1 = "2 Low Road"
	run = f.sync(team)
	require.Equal(t, []chg{{p1, "home_address_changed", "home_address",
		"1 High Street, London, N1 9GU, United Kingdom", "2 Low Road, London, N1 9GU, United Kingdom", ""}}, compact(f.changes(run.ID)))
}

// ---- 8. the false-delete guard ----

// outboxEvents counts a tenant's outbox rows by event type.
func outboxEvents(t *testing.T, s *store.Store, tenant model.TenantKey) map[string]int {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(), `SELECT event_type, count(*)::int FROM outbox WHERE tenant_key = $1 GROUP BY 1`, tenant)
	require.NoError(t, err)
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		require.NoError(t, rows.Scan(&k, &n))
		out[k] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// tripGuard syncs a baseline of 100, then a run missing the first 11 with one email changed.
func tripGuard(t *testing.T, f *syncFixture) store.Run {
	t.Helper()
	f.sync(people(100))
	f.day = model.MustDate("2026-06-16")
	next := people(100)[11:]
	next[0].WorkEmail = "changed@acme.example.com"
	run := f.sync(next)
	require.Equal(t, store.RunGuardTripped, run.Status)
	require.Equal(t, &store.Guard{WouldRemove: 11, Of: 100, Allowed: 10}, run.Guard)
	require.Equal(t, store.Counts{Fetched: 89, Updated: 1, Unchanged: 88}, run.Counts)
	require.Equal(t, 1, run.Changes)
	require.Equal(t, []chg{{person(11).ID, "work_email_changed", "work_email", person(11).WorkEmail, "changed@acme.example.com", ""}},
		compact(f.changes(run.ID)), "the run's other changes apply")
	require.Equal(t, "changed@acme.example.com", stored(f, person(11).ID).WorkEmail)
	require.Len(t, activeIDs(f), 100, "nobody removed while the guard holds")
	return run
}

func TestGuardHoldsRemovalsUntilSupportDecides(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)

	t.Run("remove", func(t *testing.T) {
		f := newSyncFixture(t, s, "Acme")
		run := tripGuard(t, f)
		resolved, err := s.ResolveGuard(ctx, f.tenant, run.ID, true)
		require.NoError(t, err)
		require.Equal(t, &store.Guard{WouldRemove: 11, Of: 100, Allowed: 10, Resolution: "removed"}, resolved.Guard)
		require.Equal(t, 11, resolved.Counts.Removed)
		require.Equal(t, 12, resolved.Changes)

		var want []chg
		for i := range 11 {
			want = append(want, chg{person(i).ID, "removed", "employee", "", "", "2026-06-16"})
		}
		want = append(want, chg{person(11).ID, "work_email_changed", "work_email", person(11).WorkEmail, "changed@acme.example.com", ""})
		require.Equal(t, want, compact(f.changes(run.ID)))
		require.Equal(t, ids(people(100)[11:]), activeIDs(f))
		require.Equal(t, map[string]int{"employee.removed": 11, "employee.work_email_changed": 1, "sync.run_finished": 2,
			"sync.removals_removed": 1}, outboxEvents(t, s, f.tenant))

		for _, remove := range []bool{true, false} {
			_, err = s.ResolveGuard(ctx, f.tenant, run.ID, remove)
			require.ErrorIs(t, err, store.ErrNoGuardPending)
		}
		require.Equal(t, map[string]int{"employee.removed": 11, "employee.work_email_changed": 1, "sync.run_finished": 2,
			"sync.removals_removed": 1}, outboxEvents(t, s, f.tenant), "a refused second decision emits nothing")
		// The baseline never tripped the guard.
		_, err = s.ResolveGuard(ctx, f.tenant, run.ID-1, true)
		require.ErrorIs(t, err, store.ErrNoGuardPending)
		// Another tenant's key does not reach the run.
		_, err = s.ResolveGuard(ctx, "nobody", run.ID, true)
		require.ErrorIs(t, err, store.ErrUnknownRun)
	})

	t.Run("keep", func(t *testing.T) {
		f := newSyncFixture(t, s, "Beta")
		run := tripGuard(t, f)
		resolved, err := s.ResolveGuard(ctx, f.tenant, run.ID, false)
		require.NoError(t, err)
		require.Equal(t, &store.Guard{WouldRemove: 11, Of: 100, Allowed: 10, Resolution: "kept"}, resolved.Guard)
		require.Zero(t, resolved.Counts.Removed)
		require.Equal(t, 1, resolved.Changes)
		require.Len(t, f.changes(run.ID), 1)
		require.Len(t, activeIDs(f), 100)
		require.Equal(t, map[string]int{"employee.work_email_changed": 1, "sync.run_finished": 2, "sync.removals_kept": 1},
			outboxEvents(t, s, f.tenant))
		_, err = s.ResolveGuard(ctx, f.tenant, run.ID, true)
		require.ErrorIs(t, err, store.ErrNoGuardPending)
		require.Len(t, activeIDs(f), 100)
	})

	t.Run("stale", func(t *testing.T) {
		f := newSyncFixture(t, s, "Gamma")
		run := tripGuard(t, f)
		later := f.sync(people(100))
		require.Equal(t, store.RunApplied, later.Status)
		_, err := s.ResolveGuard(ctx, f.tenant, run.ID, true)
		require.ErrorIs(t, err, store.ErrStaleGuard)
		require.Len(t, activeIDs(f), 100)
		again, err := s.Run(ctx, f.tenant, run.ID)
		require.NoError(t, err)
		require.Equal(t, "", again.Guard.Resolution)
	})
}

func TestGuardThresholds(t *testing.T) {
	cases := []struct {
		name          string
		of, missing   int
		opts          store.ApplyOptions
		tripped       bool
		allowed       int
		wantRemovedOK int
	}{
		{name: "8 employees, 5 missing: the minimum of 5", of: 8, missing: 5},
		{name: "8 employees, 6 missing", of: 8, missing: 6, tripped: true, allowed: 5},
		{name: "100 employees, 10 missing: 10%", of: 100, missing: 10},
		{name: "100 employees, 11 missing", of: 100, missing: 11, tripped: true, allowed: 10},
		{name: "share 0.5, 20 employees, 10 missing", of: 20, missing: 10, opts: store.ApplyOptions{GuardShare: 0.5}},
		{name: "share 0.5, 20 employees, 11 missing", of: 20, missing: 11, opts: store.ApplyOptions{GuardShare: 0.5}, tripped: true, allowed: 10},
		{name: "minimum 2, 10 employees, 3 missing", of: 10, missing: 3, opts: store.ApplyOptions{GuardMinimum: 2}, tripped: true, allowed: 2},
	}
	s := storetest.NewStore(t)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newSyncFixture(t, s, fmt.Sprintf("Tenant %d", i))
			f.sync(people(tc.of))
			run := f.stage(people(tc.of)[tc.missing:], nil, nil)
			got := applyRun(f, run.ID, tc.opts)
			if tc.tripped {
				require.Equal(t, store.RunGuardTripped, got.Status)
				require.Equal(t, &store.Guard{WouldRemove: tc.missing, Of: tc.of, Allowed: tc.allowed}, got.Guard)
				require.Zero(t, got.Counts.Removed)
				require.Len(t, activeIDs(f), tc.of)
				require.Empty(t, f.changes(run.ID))
				return
			}
			require.Equal(t, store.RunApplied, got.Status)
			require.Nil(t, got.Guard)
			require.Equal(t, tc.missing, got.Counts.Removed)
			require.Len(t, f.changes(run.ID), tc.missing)
			require.Equal(t, ids(people(tc.of)[tc.missing:]), activeIDs(f))
		})
	}
}

// A ResolveGuard that checks for a later run before it holds the tenant lock lets an apply that
// is already running slip in between: the held list is then carried out although that later run
// returned everyone.
func TestResolveGuardRacingALaterApply(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	tripped := tripGuard(t, f)
	later := f.stage(people(100), nil, nil)

	// Hold the tenant row as a running apply would, so both calls queue behind it in order.
	tx, err := f.s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `SELECT 1 FROM tenants WHERE key = $1 FOR UPDATE`, f.tenant)
	require.NoError(t, err)
	waiting := func(n int) {
		require.Eventually(t, func() bool {
			return countRows(t, f.s, `SELECT count(*)::int FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'`) == n
		}, 10*time.Second, 10*time.Millisecond)
	}
	var applyErr, resolveErr error
	var wg sync.WaitGroup
	wg.Go(func() { _, applyErr = f.s.Apply(ctx, later.ID, store.ApplyOptions{}) })
	waiting(1)
	wg.Go(func() { _, resolveErr = f.s.ResolveGuard(ctx, f.tenant, tripped.ID, true) })
	waiting(2)
	require.NoError(t, tx.Rollback(ctx))
	wg.Wait()

	require.NoError(t, applyErr)
	require.ErrorIs(t, resolveErr, store.ErrStaleGuard)
	require.Len(t, activeIDs(f), 100, "the later run returned everyone")
}

// ---- 9. rejected rows ----

func TestRejectedRows(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	f.sync(people(10))
	p := people(11)

	run := startRun(f, true)
	changed := p[0]
	changed.WorkEmail = "new@acme.example.com"
	copy3 := p[3]
	copy3.Surname = "Other"
	// Person 3 comes twice (in two batches, the copies differ), new person 10 twice too;
	// person 7 is refused for an impossible date, person 8 by the listing; one row has no ID.
	badDate := model.Rejection{EmployeeID: p[7].ID, Reason: "work.startDate is not a valid date"}
	noID := model.Rejection{Reason: "an employee without an ID"}
	listed := model.Rejection{EmployeeID: p[8].ID, Reason: "the listing entry has no readable record"}
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 0, []model.Employee{changed, p[1], p[2], p[3], p[4], p[10]},
		[]model.Rejection{badDate, noID}))
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 1, []model.Employee{p[5], p[6], copy3, p[9], p[10]}, nil))
	require.NoError(t, f.s.RecordListing(ctx, run.ID, 11, []model.Rejection{listed}))

	got := applyRun(f, run.ID, store.ApplyOptions{})
	require.Equal(t, store.RunApplied, got.Status)
	// 11 staged rows, 3 staged rejections; each duplicated ID counts once, as one rejection.
	require.Equal(t, store.Counts{Fetched: 12, Updated: 1, Unchanged: 6, Rejected: 5}, got.Counts)
	require.Len(t, got.Rejections, 5)
	require.Equal(t, []model.Rejection{badDate, noID, listed}, got.Rejections[:3])
	dups := map[string]string{}
	for _, r := range got.Rejections[3:] {
		dups[r.EmployeeID] = r.Reason
	}
	require.Len(t, dups, 2)
	for _, id := range []string{p[3].ID, p[10].ID} {
		require.Contains(t, dups[id], id, "the reason names the duplicated ID")
		require.Contains(t, dups[id], "2 times")
	}

	require.Equal(t, []chg{{p[0].ID, "work_email_changed", "work_email", p[0].WorkEmail, "new@acme.example.com", ""}},
		compact(f.changes(run.ID)), "the rest of the run applies; a rejected row is neither changed, removed nor hired")
	require.Equal(t, ids(people(10)), activeIDs(f), "rejected rows are not removed")
	for _, i := range []int{3, 7, 8} {
		require.Equal(t, person(i), stored(f, p[i].ID).Employee, "the stored row of %d is unchanged", i)
	}
	_, err := f.s.Employee(ctx, f.tenant, p[10].ID)
	require.ErrorIs(t, err, store.ErrUnknownEmployee, "a duplicated new ID is not inserted")

	again, err := f.s.Run(ctx, f.tenant, run.ID)
	require.NoError(t, err)
	require.Equal(t, got, again)
}

func TestDuplicateIDThreeTimesCountsOnce(t *testing.T) {
	f := newSyncFixture(t, nil, "Acme")
	f.sync(people(10))
	p := people(10)
	run := startRun(f, true)
	stageBatches(f, run.ID, p[:5], []model.Employee{p[3], p[5], p[6]}, []model.Employee{p[3], p[7], p[8], p[9]})
	got := applyRun(f, run.ID, store.ApplyOptions{})
	require.Len(t, got.Rejections, 1)
	require.Contains(t, got.Rejections[0].Reason, "3 times")
	require.Equal(t, store.Counts{Fetched: 10, Unchanged: 9, Rejected: 1}, got.Counts)
}

// ---- 10. staging ----

func TestStagingReplacesBatchesAndRefusesFinishedRuns(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	p := people(20)
	run := startRun(f, true)
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 0, p[:10], nil))
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 1, p[10:15], []model.Rejection{{Reason: "no ID"}}))
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 0, p[:10], nil)) // a retried fetch
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 1, p[10:], nil)) // retried, and this time complete
	rows := []model.HistoryEntry{lifecycleRow(p[0].ID, 1, "Employed", p[0].StartDate, true), lifecycleRow(p[1].ID, 1, "Employed", p[1].StartDate, true)}
	require.NoError(t, f.s.StageHistory(ctx, run.ID, model.Lifecycle, 0, rows))
	require.NoError(t, f.s.StageHistory(ctx, run.ID, model.Lifecycle, 0, rows))
	require.Equal(t, 20, countRows(t, f.s, `SELECT count(*)::int FROM staged_employees WHERE run_id = $1`, run.ID))
	require.Equal(t, 2, countRows(t, f.s, `SELECT count(*)::int FROM staged_history WHERE run_id = $1`, run.ID))
	require.Zero(t, countRows(t, f.s, `SELECT count(*)::int FROM staged_rejections WHERE run_id = $1`, run.ID))

	got := applyRun(f, run.ID, store.ApplyOptions{})
	require.Equal(t, store.Counts{Fetched: 20, Inserted: 20}, got.Counts)
	require.Empty(t, got.Rejections)
	require.Equal(t, 2, countRows(t, f.s, `SELECT count(*)::int FROM employee_history WHERE tenant_key = $1`, f.tenant))
	require.NoError(t, f.s.DropStaging(ctx, run.ID))
	for _, table := range []string{"staged_employees", "staged_history", "staged_rejections"} {
		require.Zero(t, countRows(t, f.s, `SELECT count(*)::int FROM `+table+` WHERE run_id = $1`, run.ID), table)
	}

	require.ErrorIs(t, f.s.StageEmployees(ctx, run.ID, 2, p[:1], nil), store.ErrRunFinished)
	require.ErrorIs(t, f.s.StageHistory(ctx, run.ID, model.Lifecycle, 1, rows), store.ErrRunFinished)
	require.ErrorIs(t, f.s.RecordListing(ctx, run.ID, 20, nil), store.ErrRunFinished)
	require.ErrorIs(t, f.s.StageEmployees(ctx, run.ID+1000, 0, p[:1], nil), store.ErrUnknownRun)
	require.Zero(t, countRows(t, f.s, `SELECT count(*)::int FROM staged_employees`))

	req := store.RunRequest{Tenant: f.tenant, RequestKey: "wf-42", Kind: store.RunManual, AsOf: f.day, FullRead: true}
	first, err := f.s.StartRun(ctx, req)
	require.NoError(t, err)
	second, err := f.s.StartRun(ctx, req)
	require.NoError(t, err)
	require.Equal(t, first, second)
	require.Equal(t, store.RunRunning, first.Status)
	req.Tenant = "nobody"
	_, err = f.s.StartRun(ctx, req)
	require.ErrorIs(t, err, store.ErrUnknownTenant)
}

func TestLostStagingIsNotApplied(t *testing.T) {
	for _, table := range []string{"staged_employees", "staged_history", "staged_rejections"} {
		t.Run(table, func(t *testing.T) {
			ctx := context.Background()
			f := newSyncFixture(t, nil, "Acme")
			f.sync(people(20))

			next := people(20)
			next[0].WorkEmail = "new@acme.example.com"
			history := []model.HistoryEntry{lifecycleRow(next[0].ID, 1, "Employed", next[0].StartDate, true)}
			rejected := []model.Rejection{{Reason: "an employee without an ID"}}
			stageAll := func(runID int64) {
				require.NoError(t, f.s.StageEmployees(ctx, runID, 0, next, rejected))
				require.NoError(t, f.s.StageHistory(ctx, runID, model.Lifecycle, 0, history))
			}
			run := startRun(f, true)
			stageAll(run.ID)
			// A Postgres crash empties the UNLOGGED staging tables.
			_, err := f.s.Pool().Exec(ctx, `DELETE FROM `+table+` WHERE run_id = $1`, run.ID)
			require.NoError(t, err)

			_, err = f.s.Apply(ctx, run.ID, store.ApplyOptions{})
			require.ErrorIs(t, err, store.ErrStagingIncomplete)
			still, err := f.s.Run(ctx, f.tenant, run.ID)
			require.NoError(t, err)
			require.Equal(t, store.RunRunning, still.Status)
			require.Empty(t, f.changes(run.ID))
			require.Equal(t, person(0), stored(f, next[0].ID).Employee)
			require.Zero(t, countRows(t, f.s, `SELECT count(*)::int FROM employee_history`))
			require.Zero(t, countRows(t, f.s, `SELECT count(*)::int FROM outbox WHERE dedup_key = $1`, fmt.Sprintf("run-finished:%d", run.ID)))

			stageAll(run.ID) // the workflow fetches again
			got := applyRun(f, run.ID, store.ApplyOptions{})
			require.Equal(t, store.RunApplied, got.Status)
			require.Equal(t, store.Counts{Fetched: 21, Updated: 1, Unchanged: 19, Rejected: 1}, got.Counts)
			require.Equal(t, []chg{{next[0].ID, "work_email_changed", "work_email", person(0).WorkEmail, "new@acme.example.com", ""}},
				compact(f.changes(run.ID)))
			require.Equal(t, 1, countRows(t, f.s, `SELECT count(*)::int FROM employee_history`))
		})
	}
}

// ---- 11. tenant isolation ----

// isolationFeed is what one tenant's HiBob returns in a round. Both tenants use the same IDs
// with different people behind them. Alpha changes a work email and loses someone each round;
// Beta changes a personal email and hires someone.
func isolationFeed(tenant string, round int) []model.Employee {
	var out []model.Employee
	for i := range 40 {
		p := person(i)
		p.FirstName = tenant + p.FirstName
		p.DisplayName = tenant + p.DisplayName
		p.WorkEmail = strings.ToLower(tenant) + "." + p.WorkEmail
		p.PersonalEmail = strings.ToLower(tenant) + "." + p.PersonalEmail
		if tenant == "Alpha" {
			if i > 30 && i <= 30+round {
				continue
			}
			if i >= 1 && i <= round {
				p.WorkEmail = fmt.Sprintf("alpha.new%d@acme.example.com", i)
			}
		} else if i >= 11 && i <= 10+round {
			p.PersonalEmail = fmt.Sprintf("beta.new%d@mail.example.net", i)
		}
		out = append(out, p)
	}
	if tenant == "Beta" {
		for k := 1; k <= round; k++ {
			p := person(100 + k)
			p.FirstName = "Beta" + p.FirstName
			out = append(out, p)
		}
	}
	return out
}

// syncOnce runs one whole sync without a *testing.T, for goroutines.
func syncOnce(ctx context.Context, s *store.Store, tenant model.TenantKey, key string, asOf model.Date, employees []model.Employee) (store.Run, error) {
	run, err := s.StartRun(ctx, store.RunRequest{Tenant: tenant, RequestKey: key, Kind: store.RunScheduled, AsOf: asOf, FullRead: true})
	if err != nil {
		return store.Run{}, err
	}
	for seq := 0; seq*10 < len(employees); seq++ {
		if err := s.StageEmployees(ctx, run.ID, seq, employees[seq*10:min(len(employees), (seq+1)*10)], nil); err != nil {
			return store.Run{}, err
		}
	}
	return s.Apply(ctx, run.ID, store.ApplyOptions{})
}

func TestTenantIsolationUnderConcurrentApplies(t *testing.T) {
	const rounds = 6
	ctx := context.Background()
	s := storetest.NewStore(t)
	fixtures := map[string]*syncFixture{"Alpha": newSyncFixture(t, s, "Alpha"), "Beta": newSyncFixture(t, s, "Beta")}

	runs := map[string][]store.Run{}
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for name, f := range fixtures {
		wg.Go(func() {
			<-start
			var out []store.Run
			var err error
			for round := range rounds {
				var run store.Run
				run, err = syncOnce(ctx, s, f.tenant, fmt.Sprintf("round-%d", round), f.day.AddDays(round), isolationFeed(name, round))
				if err != nil {
					break
				}
				out = append(out, run)
			}
			mu.Lock()
			defer mu.Unlock()
			runs[name], errs[name] = out, err
		})
	}
	close(start)
	wg.Wait()

	for name, f := range fixtures {
		require.NoError(t, errs[name], name)
		require.Len(t, runs[name], rounds)
		require.True(t, runs[name][0].Baseline)
		for round, run := range runs[name] {
			require.Equal(t, f.tenant, run.Tenant)
			require.Equal(t, store.RunApplied, run.Status, "%s round %d", name, round)
			var want []chg
			switch {
			case round == 0:
			case name == "Alpha":
				want = []chg{
					{person(round).ID, "work_email_changed", "work_email", fmt.Sprintf("alpha.p%d@acme.example.com", round),
						fmt.Sprintf("alpha.new%d@acme.example.com", round), ""},
					{person(30 + round).ID, "removed", "employee", "", "", f.day.AddDays(round).String()},
				}
			default:
				want = []chg{
					{person(10 + round).ID, "personal_email_changed", "personal_email", fmt.Sprintf("beta.p%d@mail.example.net", 10+round),
						fmt.Sprintf("beta.new%d@mail.example.net", 10+round), ""},
					{person(100 + round).ID, "hired", "lifecycle_status", "", "Employed", person(100 + round).StartDate.String()},
				}
			}
			require.Equal(t, compact(toChanges(want)), compact(f.changes(run.ID)), "%s round %d", name, round)
		}

		all, _, err := s.Changes(ctx, f.tenant, 0, 5000)
		require.NoError(t, err)
		require.Len(t, all, 2*(rounds-1))
		for _, c := range all {
			require.Equal(t, f.tenant, c.Tenant)
			require.True(t, slices.ContainsFunc(runs[name], func(r store.Run) bool { return r.ID == c.RunID }))
		}

		stored, err := s.Employees(ctx, f.tenant, store.EmployeeQuery{Limit: 5000})
		require.NoError(t, err)
		var got []model.Employee
		for _, e := range stored {
			got = append(got, e.Employee)
		}
		require.Equal(t, isolationFeed(name, rounds-1), got, "%s holds exactly what it was fed", name)
		require.Equal(t, 2*(rounds-1)+rounds, countRows(t, s, `SELECT count(*)::int FROM outbox WHERE tenant_key = $1`, f.tenant))
	}
}

// toChanges turns expected compact changes back into changes, so both sides go through compact.
func toChanges(cs []chg) []model.Change {
	out := []model.Change{}
	for _, c := range cs {
		ch := model.Change{EmployeeID: c.ID, Kind: model.ChangeKind(c.Kind), Field: c.Field, OldValue: c.Old, NewValue: c.New}
		if c.Effective != "" {
			ch.EffectiveDate = model.MustDate(c.Effective)
		}
		out = append(out, ch)
	}
	return out
}

// ---- 12. history ----

type historyRow struct {
	Table, Employee string
	Entry           int64
	Title, Contract string
	Run             int64
}

func historyRows(t *testing.T, f *syncFixture) []historyRow {
	t.Helper()
	rows, err := f.s.Pool().Query(context.Background(), `
		SELECT history_table, employee_id, entry_id, coalesce(title, ''), coalesce(contract, ''), last_run_id
		FROM employee_history WHERE tenant_key = $1 ORDER BY 1, 2, 3`, f.tenant)
	require.NoError(t, err)
	var out []historyRow
	for rows.Next() {
		var h historyRow
		require.NoError(t, rows.Scan(&h.Table, &h.Employee, &h.Entry, &h.Title, &h.Contract, &h.Run))
		out = append(out, h)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestHistoryRowsFollowFullReads(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	p := people(3)
	p0, p1 := p[0].ID, p[1].ID
	work := func(id string, entry int64, title string) model.HistoryEntry {
		return model.HistoryEntry{Table: model.Work, EmployeeID: id, EntryID: entry, EffectiveDate: model.MustDate("2024-01-01"), IsCurrent: true, Title: title}
	}
	employment := func(id string, entry int64, contract string) model.HistoryEntry {
		return model.HistoryEntry{Table: model.Employment, EmployeeID: id, EntryID: entry, EffectiveDate: model.MustDate("2024-01-01"), IsCurrent: true, Contract: contract}
	}
	lc := lifecycleRow(p0, 1, "Employed", p[0].StartDate, true)

	first := f.sync(p, lc, work(p0, 1, "Engineer"), work(p1, 1, "Designer"), employment(p0, 1, "Full time"), employment(p1, 1, "Part time"))
	second := f.sync(p, lc, work(p0, 1, "Senior Engineer"), work(p1, 2, "Lead Designer"), employment(p0, 1, "Full time"))
	require.Equal(t, []historyRow{
		{"employment", p0, 1, "", "Full time", first.ID},
		{"lifecycle", p0, 1, "", "", first.ID},
		{"work", p0, 1, "Senior Engineer", "", second.ID},
		{"work", p1, 2, "Lead Designer", "", second.ID},
	}, historyRows(t, f), "unchanged rows kept, a changed row updated, a new one added, absent ones deleted")

	// A partial read: only person 0 and one work row. Nobody removed, no history deleted.
	f.day = f.day.AddDays(1)
	partial := startRun(f, false)
	require.NoError(t, f.s.StageEmployees(ctx, partial.ID, 0, p[:1], nil))
	require.NoError(t, f.s.StageHistory(ctx, partial.ID, model.Work, 0, []model.HistoryEntry{work(p0, 1, "Principal Engineer")}))
	got := applyRun(f, partial.ID, store.ApplyOptions{})
	require.False(t, got.FullRead)
	require.Equal(t, store.Counts{Fetched: 1, Unchanged: 1}, got.Counts)
	require.Empty(t, f.changes(partial.ID))
	require.Equal(t, ids(p), activeIDs(f))
	require.Equal(t, []historyRow{
		{"employment", p0, 1, "", "Full time", first.ID},
		{"lifecycle", p0, 1, "", "", first.ID},
		{"work", p0, 1, "Principal Engineer", "", partial.ID},
		{"work", p1, 2, "Lead Designer", "", second.ID},
	}, historyRows(t, f))

	// A partial read does not trip the guard either, however few it returns.
	f.sync(people(20))
	small := startRun(f, false)
	stageBatches(f, small.ID, people(20)[:2])
	got = applyRun(f, small.ID, store.ApplyOptions{})
	require.Equal(t, store.RunApplied, got.Status)
	require.Nil(t, got.Guard)
	require.Len(t, activeIDs(f), 20)
}

// ---- 13. the outbox ----

func TestOutboxOneEventPerChangeAndNoPersonalData(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	base := f.sync(people(20))

	next := people(20)
	next[0].HomeAddress.Line1 = "1 New Road"
	next[1].Surname = "Married"
	next[2].WorkEmail = "new.work@acme.example.com"
	next[3].PersonalEmail = "new.home@mail.example.net"
	next[4].BirthDate = model.MustDate("1985-07-09")
	next[4].Birthday = next[4].BirthDate.MonthDay()
	next = append(next[:19], person(50))
	run := f.sync(next)
	require.Equal(t, 7, run.Changes)

	for _, id := range []int64{base.ID, run.ID} { // applying again emits nothing twice
		_, err := f.s.Apply(ctx, id, store.ApplyOptions{})
		require.NoError(t, err)
	}

	type event struct {
		Type, Dedup string
		Payload     []byte
	}
	rows, err := f.s.Pool().Query(ctx, `SELECT event_type, dedup_key, payload::text FROM outbox WHERE tenant_key = $1 ORDER BY id`, f.tenant)
	require.NoError(t, err)
	var events []event
	for rows.Next() {
		var e event
		var payload string
		require.NoError(t, rows.Scan(&e.Type, &e.Dedup, &payload))
		e.Payload = []byte(payload)
		events = append(events, e)
	}
	require.NoError(t, rows.Err())

	changes, _, err := f.s.Changes(ctx, f.tenant, 0, 5000)
	require.NoError(t, err)
	require.Len(t, changes, 7)
	require.Len(t, events, len(changes)+2)

	type changePayload struct {
		Cursor        int64  `json:"cursor"`
		RunID         int64  `json:"runId"`
		EmployeeID    string `json:"employeeId"`
		Kind          string `json:"kind"`
		Field         string `json:"field"`
		EffectiveDate string `json:"effectiveDate"`
	}
	byDedup := map[string]event{}
	finished := map[string]int{}
	for _, e := range events {
		byDedup[e.Dedup] = e
		if e.Type == "sync.run_finished" {
			finished[e.Dedup]++
		}
	}
	require.Len(t, byDedup, len(events))
	require.Equal(t, map[string]int{fmt.Sprintf("run-finished:%d", base.ID): 1, fmt.Sprintf("run-finished:%d", run.ID): 1}, finished)
	for _, c := range changes {
		e, ok := byDedup[fmt.Sprintf("change:%d", c.Cursor)]
		require.True(t, ok, "an event for change %d", c.Cursor)
		require.Equal(t, "employee."+string(c.Kind), e.Type)
		var got changePayload
		require.NoError(t, json.Unmarshal(e.Payload, &got))
		eff := ""
		if !c.EffectiveDate.IsZero() {
			eff = c.EffectiveDate.String()
		}
		require.Equal(t, changePayload{c.Cursor, run.ID, c.EmployeeID, string(c.Kind), c.Field, eff}, got)
	}

	var summary struct {
		RunID    int64        `json:"runId"`
		Status   string       `json:"status"`
		Baseline bool         `json:"baseline"`
		Counts   store.Counts `json:"counts"`
		Changes  int          `json:"changes"`
	}
	require.NoError(t, json.Unmarshal(byDedup[fmt.Sprintf("run-finished:%d", run.ID)].Payload, &summary))
	require.Equal(t, run.ID, summary.RunID)
	require.Equal(t, "applied", summary.Status)
	require.False(t, summary.Baseline)
	require.Equal(t, run.Counts, summary.Counts)
	require.Equal(t, 7, summary.Changes)

	var pii []string
	for _, e := range append(append(people(20), next...), person(50)) {
		pii = append(pii, e.FirstName, e.Surname, e.DisplayName, e.WorkEmail, e.PersonalEmail, e.HomeAddress.Line1,
			e.HomeAddress.PostCode, e.BirthDate.String())
	}
	for _, e := range events {
		for _, s := range pii {
			if s != "" {
				require.NotContains(t, string(e.Payload), s, "%s payload carries personal data", e.Type)
			}
		}
	}
}

// ---- 14. reads ----

func TestReadsPageEmployeesAndChanges(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	f.sync(people(25))
	next := people(25)
	for i := 10; i < 22; i++ {
		next[i].WorkEmail = fmt.Sprintf("new%d@acme.example.com", i)
	}
	next = slices.Delete(next, 5, 7) // persons 5 and 6 removed
	run := f.sync(next)
	require.Equal(t, 14, run.Changes)

	// Employees, ten at a time.
	var pages []int
	var seen []string
	after := ""
	for {
		page, err := f.s.Employees(ctx, f.tenant, store.EmployeeQuery{AfterID: after, Limit: 10})
		require.NoError(t, err)
		pages = append(pages, len(page))
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			seen = append(seen, e.ID)
			require.Nil(t, e.RemovedAt)
		}
		after = page[len(page)-1].ID
	}
	require.Equal(t, []int{10, 10, 3, 0}, pages)
	require.Equal(t, ids(next), seen)

	all, err := f.s.Employees(ctx, f.tenant, store.EmployeeQuery{IncludeRemoved: true})
	require.NoError(t, err)
	require.Len(t, all, 25)
	for i, e := range all {
		require.Equal(t, person(i).ID, e.ID)
		require.Equal(t, i == 5 || i == 6, e.RemovedAt != nil, "person %d", i)
	}
	withRemoved, err := f.s.Employees(ctx, f.tenant, store.EmployeeQuery{IncludeRemoved: true, AfterID: person(4).ID, Limit: 3})
	require.NoError(t, err)
	require.Equal(t, []string{person(5).ID, person(6).ID, person(7).ID}, []string{withRemoved[0].ID, withRemoved[1].ID, withRemoved[2].ID})

	gone, err := f.s.Employee(ctx, f.tenant, person(5).ID)
	require.NoError(t, err)
	require.NotNil(t, gone.RemovedAt)
	require.Equal(t, person(5), gone.Employee)
	_, err = f.s.Employee(ctx, f.tenant, "3999999999999999999")
	require.ErrorIs(t, err, store.ErrUnknownEmployee)

	// The change feed, four at a time.
	everything, _, err := f.s.Changes(ctx, f.tenant, 0, 0)
	require.NoError(t, err)
	require.Len(t, everything, 14)
	var got []model.Change
	var sizes []int
	cursor := int64(0)
	for {
		page, next, err := f.s.Changes(ctx, f.tenant, cursor, 4)
		require.NoError(t, err)
		sizes = append(sizes, len(page))
		if len(page) == 0 {
			require.Equal(t, cursor, next, "an empty page asks from the same cursor again")
			break
		}
		require.Equal(t, page[len(page)-1].Cursor, next)
		for _, c := range page {
			require.Greater(t, c.Cursor, cursor, "cursors strictly increase")
			cursor = c.Cursor
		}
		got = append(got, page...)
	}
	require.Equal(t, []int{4, 4, 4, 2, 0}, sizes)
	require.Equal(t, everything, got)

	_, err = f.s.Employees(ctx, "nobody", store.EmployeeQuery{})
	require.ErrorIs(t, err, store.ErrUnknownTenant)
	_, next2, err := f.s.Changes(ctx, "nobody", 7, 10)
	require.ErrorIs(t, err, store.ErrUnknownTenant)
	require.Equal(t, int64(7), next2)
}

// ---- 15. failed runs ----

func TestFailedRunIsNeverApplied(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	base := f.sync(people(5))

	next := people(5)[:4]
	next[0].WorkEmail = "new@acme.example.com"
	run := f.stage(next, []model.HistoryEntry{lifecycleRow(next[0].ID, 1, "Employed", next[0].StartDate, true)},
		[]model.Rejection{{Reason: "an employee without an ID"}})
	require.NoError(t, f.s.FailRun(ctx, run.ID, "HiBob answered 503 three times"))
	for _, table := range []string{"staged_employees", "staged_history", "staged_rejections"} {
		require.Zero(t, countRows(t, f.s, `SELECT count(*)::int FROM `+table+` WHERE run_id = $1`, run.ID), table)
	}

	got, err := f.s.Apply(ctx, run.ID, store.ApplyOptions{})
	require.NoError(t, err)
	require.Equal(t, store.RunFailed, got.Status)
	require.Equal(t, "HiBob answered 503 three times", got.Error)
	require.NotNil(t, got.FinishedAt)
	require.Equal(t, store.Counts{}, got.Counts)
	require.Zero(t, got.Changes)
	require.Empty(t, f.changes(run.ID))
	require.Equal(t, ids(people(5)), activeIDs(f))
	require.Equal(t, person(0), stored(f, next[0].ID).Employee)
	require.Zero(t, countRows(t, f.s, `SELECT count(*)::int FROM employee_history`))
	require.Zero(t, countRows(t, f.s, `SELECT count(*)::int FROM outbox WHERE dedup_key = $1`, fmt.Sprintf("run-finished:%d", run.ID)))
	require.ErrorIs(t, f.s.StageEmployees(ctx, run.ID, 0, next, nil), store.ErrRunFinished)

	// An applied run stays applied.
	require.NoError(t, f.s.FailRun(ctx, base.ID, "too late"))
	again, err := f.s.Run(ctx, f.tenant, base.ID)
	require.NoError(t, err)
	require.Equal(t, base, again)
}

// HiBob's history pages can shift under a read: an employee's rows then come on two pages. Each
// entry is stored once, as the later page has it, and nothing is counted absent. A page whose
// employees all come after the ones staged before it (the usual case) skips the lookup; one
// that reaches back does it.
func TestHistoryEntryRepeatedOnTwoPagesIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	f := newSyncFixture(t, nil, "Acme")
	p := people(3)
	work := func(id string, entry int64, title string) model.HistoryEntry {
		return model.HistoryEntry{Table: model.Work, EmployeeID: id, EntryID: entry, EffectiveDate: model.MustDate("2024-01-01"), IsCurrent: true, Title: title}
	}
	ids := []string{p[0].ID, p[1].ID, p[2].ID}
	slices.Sort(ids)
	first, middle, last := ids[0], ids[1], ids[2]

	run := startRun(f, true)
	require.NoError(t, f.s.StageEmployees(ctx, run.ID, 0, p, nil))
	require.NoError(t, f.s.StageHistory(ctx, run.ID, model.Work, 0, []model.HistoryEntry{work(first, 1, "Engineer"), work(middle, 1, "Designer")}))
	// The page shifted: middle again (a newer title), then last. This page reaches back, so
	// staging looks its rows up among the staged ones.
	require.NoError(t, f.s.StageHistory(ctx, run.ID, model.Work, 1, []model.HistoryEntry{work(middle, 1, "Lead Designer"), work(last, 1, "Analyst")}))
	got := applyRun(f, run.ID, store.ApplyOptions{})
	require.Equal(t, store.RunApplied, got.Status)
	require.Equal(t, []historyRow{
		{"work", first, 1, "Engineer", "", run.ID},
		{"work", middle, 1, "Lead Designer", "", run.ID},
		{"work", last, 1, "Analyst", "", run.ID},
	}, historyRows(t, f))

	// Next run: the pages come in order (the second starts past everything staged, so nothing
	// is looked up), nothing repeats, nothing changes.
	f.day = f.day.AddDays(1)
	next := startRun(f, true)
	require.NoError(t, f.s.StageEmployees(ctx, next.ID, 0, p, nil))
	require.NoError(t, f.s.StageHistory(ctx, next.ID, model.Work, 0, []model.HistoryEntry{work(first, 1, "Engineer"), work(middle, 1, "Lead Designer")}))
	require.NoError(t, f.s.StageHistory(ctx, next.ID, model.Work, 1, []model.HistoryEntry{work(last, 1, "Analyst")}))
	got = applyRun(f, next.ID, store.ApplyOptions{})
	require.Equal(t, store.RunApplied, got.Status)
	require.Len(t, historyRows(t, f), 3)
}
