package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"hibobsync/model"
	"hibobsync/store"
	"hibobsync/store/storetest"
)

// syncFixture drives one tenant's runs the way the workflow will: start a run, stage its
// batches, apply.
type syncFixture struct {
	t      *testing.T
	s      *store.Store
	tenant model.TenantKey
	day    model.Date
	runs   int
}

func newSyncFixture(t *testing.T, s *store.Store, company string) *syncFixture {
	t.Helper()
	if s == nil {
		s = storetest.NewStore(t)
	}
	tn, _, err := s.EnsureTenant(context.Background(), company)
	require.NoError(t, err)
	return &syncFixture{t: t, s: s, tenant: tn.Key, day: model.MustDate("2026-06-15")}
}

// person is a plain employed employee, different for every i.
func person(i int) model.Employee {
	return model.Employee{
		ID:                fmt.Sprintf("3%018d", i),
		FirstName:         fmt.Sprintf("First%d", i),
		Surname:           fmt.Sprintf("Sur%d", i),
		DisplayName:       fmt.Sprintf("First%d Sur%d", i, i),
		WorkEmail:         fmt.Sprintf("p%d@acme.example.com", i),
		PersonalEmail:     fmt.Sprintf("p%d@mail.example.net", i),
		Birthday:          model.MonthDay{Month: time.Month(1 + i%12), Day: 1 + i%28},
		StartDate:         model.MustDate("2020-01-06").AddDays(i),
		OriginalStartDate: model.MustDate("2020-01-06").AddDays(i),
		Title:             model.ListValue{Value: "101", Label: "Engineer"},
		Department:        model.ListValue{Value: "201", Label: "R&D"},
		Site:              model.ListValue{Value: "301", Label: "London"},
		AccessStatus:      model.ListValue{Value: "Active"},
		LifecycleStatus:   model.ListValue{Value: "employed", Label: "Employed"},
		HomeAddress: model.Address{Line1: fmt.Sprintf("%d High Street", i), City: "London", PostCode: "N1 9GU",
			Country: model.ListValue{Value: "United Kingdom", Label: "United Kingdom"}},
	}
}

func people(n int) []model.Employee {
	out := make([]model.Employee, n)
	for i := range out {
		out[i] = person(i)
	}
	return out
}

// stage starts a run and stages employees in batches of 200, plus history and rejections.
func (f *syncFixture) stage(employees []model.Employee, history []model.HistoryEntry, rejected []model.Rejection) store.Run {
	f.t.Helper()
	ctx := context.Background()
	f.runs++
	run, err := f.s.StartRun(ctx, store.RunRequest{Tenant: f.tenant, RequestKey: fmt.Sprintf("run-%d", f.runs),
		Kind: store.RunScheduled, AsOf: f.day, FullRead: true})
	require.NoError(f.t, err)
	for seq := 0; seq*200 < len(employees) || seq == 0; seq++ {
		batch := employees[seq*200 : min(len(employees), (seq+1)*200)]
		var rej []model.Rejection
		if seq == 0 {
			rej = rejected
		}
		require.NoError(f.t, f.s.StageEmployees(ctx, run.ID, seq, batch, rej))
	}
	byTable := map[model.HistoryTable][]model.HistoryEntry{}
	for _, h := range history {
		byTable[h.Table] = append(byTable[h.Table], h)
	}
	for table, rows := range byTable {
		require.NoError(f.t, f.s.StageHistory(ctx, run.ID, table, 0, rows))
	}
	return run
}

// sync stages and applies one run.
func (f *syncFixture) sync(employees []model.Employee, history ...model.HistoryEntry) store.Run {
	f.t.Helper()
	run := f.stage(employees, history, nil)
	applied, err := f.s.Apply(context.Background(), run.ID, store.ApplyOptions{})
	require.NoError(f.t, err)
	return applied
}

func (f *syncFixture) changes(runID int64) []model.Change {
	f.t.Helper()
	all, _, err := f.s.Changes(context.Background(), f.tenant, 0, 5000)
	require.NoError(f.t, err)
	var out []model.Change
	for _, c := range all {
		if c.RunID == runID {
			out = append(out, c)
		}
	}
	return out
}

type kindField struct {
	kind  model.ChangeKind
	field string
}

func kinds(changes []model.Change) map[string][]kindField {
	out := map[string][]kindField{}
	for _, c := range changes {
		out[c.EmployeeID] = append(out[c.EmployeeID], kindField{c.Kind, c.Field})
	}
	return out
}

func TestBaselineStoresEveryoneAndEmitsNoChanges(t *testing.T) {
	f := newSyncFixture(t, nil, "Acme")
	run := f.sync(people(450))
	require.True(t, run.Baseline)
	require.Equal(t, store.RunApplied, run.Status)
	require.Equal(t, store.Counts{Fetched: 450, Inserted: 450}, run.Counts)
	require.Zero(t, run.Changes)
	require.Empty(t, f.changes(run.ID))

	stored, err := f.s.Employees(context.Background(), f.tenant, store.EmployeeQuery{Limit: 5000})
	require.NoError(t, err)
	require.Len(t, stored, 450)
	want := person(7)
	got := stored[7].Employee
	require.Equal(t, want, got)
}

func TestApplyIsIdempotentAndUnchangedRunsWriteNothing(t *testing.T) {
	f := newSyncFixture(t, nil, "Acme")
	first := f.sync(people(50))
	again, err := f.s.Apply(context.Background(), first.ID, store.ApplyOptions{})
	require.NoError(t, err)
	require.Equal(t, first, again)

	second := f.sync(people(50))
	require.False(t, second.Baseline)
	require.Equal(t, store.Counts{Fetched: 50, Unchanged: 50}, second.Counts)
	var written int
	require.NoError(t, f.s.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM employees WHERE last_run_id = $1`, second.ID).Scan(&written))
	require.Zero(t, written, "a run with nothing changed writes no employee row")
	require.Empty(t, f.changes(second.ID))
}

func TestEveryChangeKind(t *testing.T) {
	f := newSyncFixture(t, nil, "Acme")
	base := people(20)
	futureStarter := person(100)
	futureStarter.LifecycleStatus = model.ListValue{Value: "hired", Label: "Hired"}
	futureStarter.StartDate = f.day.AddDays(10)
	base = append(base, futureStarter)
	f.sync(base)

	next := people(20)
	next[0].HomeAddress.Line1 = "1 New Road"
	next[1].Birthday = model.MonthDay{Month: 2, Day: 29}
	next[2].WorkEmail = "new@acme.example.com"
	next[3].PersonalEmail = "new@mail.example.net"
	next[4].Surname = "Married"
	next[5].StartDate = next[5].StartDate.AddDays(3)
	next[6].LifecycleStatus = model.ListValue{Value: "terminated", Label: "Terminated"}
	next[6].TerminationDate = f.day.AddDays(-1)
	next[7].TerminationDate = f.day.AddDays(30) // scheduled, still employed
	next[8].LifecycleStatus = model.ListValue{Value: "leave", Label: "Leave"}
	// next[19] is gone: removed (1 of 21 is within the guard).
	next = next[:19]
	started := futureStarter
	started.LifecycleStatus = model.ListValue{Value: "employed", Label: "Employed"}
	newHire := person(200)
	next = append(next, started, newHire)
	f.day = f.day.AddDays(11)
	run := f.sync(next)
	require.Equal(t, store.RunApplied, run.Status)

	got := kinds(f.changes(run.ID))
	require.Equal(t, map[string][]kindField{
		person(0).ID:   {{model.ChangeHomeAddress, "home_address"}},
		person(1).ID:   {{model.ChangeBirthday, "birthday"}},
		person(2).ID:   {{model.ChangeWorkEmail, "work_email"}},
		person(3).ID:   {{model.ChangePersonalEmail, "personal_email"}},
		person(4).ID:   {{model.ChangeName, "name"}},
		person(5).ID:   {{model.ChangeStartDate, "start_date"}},
		person(6).ID:   {{model.ChangeTerminated, "termination_date"}},
		person(7).ID:   {{model.ChangeTerminated, "termination_date"}},
		person(8).ID:   {{model.ChangeOnLeave, "lifecycle_status"}},
		person(19).ID:  {{model.ChangeRemoved, "employee"}},
		person(100).ID: {{model.ChangeHired, "lifecycle_status"}},
		person(200).ID: {{model.ChangeHired, "lifecycle_status"}},
	}, got)
	require.Equal(t, store.Counts{Fetched: 21, Inserted: 1, Updated: 10, Unchanged: 10, Removed: 1}, run.Counts)
}
