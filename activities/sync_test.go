package activities_test

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"hibobsync/activities"
	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
	"hibobsync/store"
)

func TestFullRunMatchesTheSimulatorsTruth(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 1000})
	ctx := context.Background()
	runID := f.startRun()

	list := f.list(runID)
	require.Equal(t, activities.ListResult{Employees: 1000, Batches: 5}, list)
	ids, err := f.store.RunBatch(ctx, runID, 4)
	require.NoError(t, err)
	require.Len(t, ids, 200)

	res, err := f.fetch(runID, 0, list.Batches)
	require.NoError(t, err)
	require.Equal(t, activities.FetchResult{Next: 5, Fetched: 1000}, res)

	rows := map[model.HistoryTable]int{}
	for _, table := range model.HistoryTables {
		rows[table] = f.history(runID, table)
	}

	sum, err := f.apply(runID)
	require.NoError(t, err)
	require.Equal(t, store.RunApplied, sum.Status)
	require.True(t, sum.Baseline)
	require.Equal(t, store.Counts{Fetched: 1000, Inserted: 1000}, sum.Counts)
	require.Nil(t, sum.Guard)

	stored, err := f.store.Employees(ctx, f.tenant, store.EmployeeQuery{Limit: 5000})
	require.NoError(t, err)
	truth := f.company.Truth()
	require.Len(t, stored, len(truth))
	for i, want := range truth {
		got := stored[i].Employee
		got.Hidden, got.Raw = nil, nil
		require.Equal(t, want, got, "employee %d (%s)", i, want.ID)
	}

	for _, table := range model.HistoryTables {
		want := f.company.HistoryTruth(table)
		got := storedHistory(t, f, table)
		sortHistory(want)
		require.Len(t, got, len(want), table)
		require.Equal(t, len(want), rows[table], "rows the activities reported for %s", table)
		for i := range want {
			want[i].Raw = nil
			require.Equal(t, want[i], got[i], "%s row %d", table, i)
		}
	}

	stats := f.sim.Stats()
	require.Zero(t, stats.Unauthorized+stats.Forbidden+stats.RateLimited)
	require.EqualValues(t, 6, stats.ByEndpoint[simulator.EndpointSearch], "1 listing + 5 batches")
}

func sortHistory(rows []model.HistoryEntry) {
	slices.SortFunc(rows, func(a, b model.HistoryEntry) int {
		return cmp.Or(cmp.Compare(a.EmployeeID, b.EmployeeID), cmp.Compare(a.EntryID, b.EntryID))
	})
}

// storedHistory reads the tenant's stored rows of a history table.
func storedHistory(t *testing.T, f *fixture, table model.HistoryTable) []model.HistoryEntry {
	t.Helper()
	rows, err := f.store.Pool().Query(context.Background(), `
		SELECT employee_id, entry_id, effective_date, end_effective_date, is_current,
		       coalesce(status, ''), coalesce(employee_status, ''), coalesce(reason, ''), coalesce(title, ''),
		       coalesce(department, ''), coalesce(site, ''), coalesce(reports_to_id, ''),
		       coalesce(employment_type, ''), coalesce(contract, '')
		FROM employee_history WHERE tenant_key = $1 AND history_table = $2`, f.tenant, table)
	require.NoError(t, err)
	defer rows.Close()
	var out []model.HistoryEntry
	for rows.Next() {
		h := model.HistoryEntry{Table: table}
		var eff, end *time.Time
		require.NoError(t, rows.Scan(&h.EmployeeID, &h.EntryID, &eff, &end, &h.IsCurrent, &h.Status, &h.EmployeeStatus,
			&h.Reason, &h.Title, &h.Department, &h.Site, &h.ReportsToID, &h.EmploymentType, &h.Contract))
		if eff != nil {
			h.EffectiveDate = model.DateOf(*eff)
		}
		if end != nil {
			h.EndEffectiveDate = model.DateOf(*end)
		}
		out = append(out, h)
	}
	require.NoError(t, rows.Err())
	sortHistory(out)
	return out
}

func TestFetchTwiceStagesOneCopy(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 1000})
	runID := f.startRun()
	f.list(runID)
	f.list(runID) // listing again replaces the batches and the listing record
	for range 2 {
		res, err := f.fetch(runID, 0, 5)
		require.NoError(t, err)
		require.Equal(t, activities.FetchResult{Next: 5, Fetched: 1000}, res)
	}
	// An overlapping range, as a retry from an older heartbeat would fetch.
	res, err := f.fetch(runID, 2, 5)
	require.NoError(t, err)
	require.Equal(t, activities.FetchResult{Next: 5, Fetched: 600}, res)
	require.Equal(t, map[int]int{0: 200, 1: 200, 2: 200, 3: 200, 4: 200}, f.stagedBatches(runID))
	for _, table := range model.HistoryTables {
		f.history(runID, table)
		f.history(runID, table)
	}
	sum, err := f.apply(runID)
	require.NoError(t, err)
	require.Equal(t, store.Counts{Fetched: 1000, Inserted: 1000}, sum.Counts)

	// Applying again changes nothing and says the same.
	again, err := f.apply(runID)
	require.NoError(t, err)
	require.Equal(t, sum, again)
}

// fetchUntilDone calls FetchEmployees from where each call stopped, sleeping until ResumeAt as
// the workflow's timer would, and returns the results.
func fetchUntilDone(t *testing.T, f *fixture, runID int64, to int) []activities.FetchResult {
	t.Helper()
	var results []activities.FetchResult
	for from := 0; from < to; {
		res, err := f.fetch(runID, from, to)
		require.NoError(t, err)
		require.GreaterOrEqual(t, res.Next, from)
		results = append(results, res)
		if res.Next < to {
			require.False(t, res.ResumeAt.IsZero(), "stopped at %d of %d without a ResumeAt", res.Next, to)
			require.Less(t, time.Until(res.ResumeAt), 3*time.Second, "a one-second window")
		} else {
			require.Zero(t, res.ResumeAt)
		}
		from = res.Next
		time.Sleep(time.Until(res.ResumeAt))
		require.Less(t, len(results), 40, "no progress")
	}
	return results
}

func TestFetchStopsWhenThePacerWouldWait(t *testing.T) {
	t.Parallel()
	// HiBob's budget compressed to 3 people searches a second, and the worker told so: the
	// pacer sees the budget spent and the activity hands the wait to the workflow.
	f := newFixture(t, fixtureOptions{
		sim:       simulator.Options{Window: time.Second, Limits: map[simulator.Endpoint]int{simulator.EndpointSearch: 3}},
		employees: 1000,
		limits:    map[hibob.Endpoint]hibob.Limit{hibob.EndpointSearch: {Requests: 3, Per: time.Second}},
		maxWait:   activities.NoInlineWait,
	})
	runID := f.startRun()
	f.list(runID)
	results := fetchUntilDone(t, f, runID, 5)
	require.Greater(t, len(results), 1)
	require.Less(t, results[0].Next, 5)
	fetched := 0
	for _, r := range results {
		fetched += r.Fetched
	}
	require.Equal(t, 1000, fetched, "each batch counted once over the calls")
	require.Equal(t, map[int]int{0: 200, 1: 200, 2: 200, 3: 200, 4: 200}, f.stagedBatches(runID))
}

func TestFetchStopsAt429(t *testing.T) {
	t.Parallel()
	// The worker believes HiBob's usual 50 a minute, HiBob allows 3 a second: the burst of
	// batches in flight meets 429s (or a spent budget reported in the headers), and the
	// activity returns HiBob's reset time instead of failing.
	f := newFixture(t, fixtureOptions{
		sim:       simulator.Options{Window: time.Second, Limits: map[simulator.Endpoint]int{simulator.EndpointSearch: 3}},
		employees: 2000,
		maxWait:   activities.NoInlineWait,
	})
	runID := f.startRun()
	list := f.list(runID)
	require.Equal(t, 10, list.Batches)
	results := fetchUntilDone(t, f, runID, 10)
	require.Less(t, results[0].Next, 10)
	require.Greater(t, len(results), 1)
	require.NotZero(t, f.sim.Stats().RateLimited, "the burst met HiBob's limit")
	require.Len(t, f.stagedBatches(runID), 10)
	for _, table := range model.HistoryTables {
		f.history(runID, table)
	}
	sum, err := f.apply(runID)
	require.NoError(t, err)
	require.Equal(t, store.Counts{Fetched: 2000, Inserted: 2000}, sum.Counts)
}

func TestFetchWaitsInlineForShortWaits(t *testing.T) {
	t.Parallel()
	// With the default MaxInlineWait (2 s) a one-second window is sat out inside the activity.
	f := newFixture(t, fixtureOptions{
		sim:       simulator.Options{Window: time.Second, Limits: map[simulator.Endpoint]int{simulator.EndpointSearch: 3}},
		employees: 1000,
		limits:    map[hibob.Endpoint]hibob.Limit{hibob.EndpointSearch: {Requests: 3, Per: time.Second}},
	})
	runID := f.startRun()
	f.list(runID)
	res, err := f.fetch(runID, 0, 5)
	require.NoError(t, err)
	require.Equal(t, activities.FetchResult{Next: 5, Fetched: 1000}, res)
}

func TestFetchResumesFromItsHeartbeat(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 1000})
	runID := f.startRun()
	f.list(runID)
	f.sim.ResetStats()

	env := f.env()
	env.SetHeartbeatDetails(activities.FetchProgress{Next: 3, Fetched: 600})
	var mu sync.Mutex
	var beats []activities.FetchProgress
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var p activities.FetchProgress
		require.NoError(t, details.Get(&p))
		mu.Lock()
		beats = append(beats, p)
		mu.Unlock()
	})
	var res activities.FetchResult
	require.NoError(t, runIn(env, &res, f.acts.FetchEmployees,
		activities.FetchInput{Credentials: f.ref, RunID: runID, From: 0, To: 5, Batches: 5}))
	require.Equal(t, activities.FetchResult{Next: 5, Fetched: 1000}, res)
	require.EqualValues(t, 2, f.sim.Stats().ByEndpoint[simulator.EndpointSearch], "only batches 3 and 4")
	require.Equal(t, map[int]int{3: 200, 4: 200}, f.stagedBatches(runID))
	// The SDK sends throttled heartbeats (the last one only when an attempt fails), so only
	// what it sent is checked: progress from the heartbeat on, batch by batch.
	mu.Lock()
	for _, b := range beats {
		require.GreaterOrEqual(t, b.Next, 3)
		require.Equal(t, b.Next*200, b.Fetched)
	}
	mu.Unlock()

	// A heartbeat that does not fit the range (another activity's) is ignored.
	env = f.env()
	env.SetHeartbeatDetails(activities.FetchProgress{Next: 9})
	require.NoError(t, runIn(env, &res, f.acts.FetchEmployees,
		activities.FetchInput{Credentials: f.ref, RunID: runID, From: 0, To: 5, Batches: 5}))
	require.Equal(t, activities.FetchResult{Next: 5, Fetched: 1000}, res)
	require.Len(t, f.stagedBatches(runID), 5)
}

func TestHistoryResumesFromItsHeartbeat(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 1000})
	runID := f.startRun()
	client, err := hibob.New(hibob.NewCredentials(f.user.ID, f.user.Token), hibob.WithBaseURL(f.url))
	require.NoError(t, err)
	first, err := client.HistoryPage(context.Background(), model.Work, hibob.HistoryQuery{Limit: 200})
	require.NoError(t, err)
	require.NotEmpty(t, first.NextCursor)
	f.sim.ResetStats()

	env := f.env()
	env.SetHeartbeatDetails(activities.HistoryProgress{Cursor: first.NextCursor, Seq: 1, Rows: len(first.Entries)})
	var res activities.HistoryResult
	require.NoError(t, runIn(env, &res, f.acts.FetchHistory,
		activities.HistoryInput{Credentials: f.ref, RunID: runID, Table: model.Work}))
	require.True(t, res.Done)
	require.Equal(t, 5, res.Seq)
	require.Equal(t, len(f.company.HistoryTruth(model.Work)), res.Rows)
	require.EqualValues(t, 4, f.sim.Stats().ByEndpoint[simulator.EndpointBulkWork], "pages 2-5 only")
	var pages []int
	require.NoError(t, f.store.Pool().QueryRow(context.Background(),
		`SELECT array_agg(DISTINCT seq ORDER BY seq) FROM staged_history WHERE run_id = $1`, runID).Scan(&pages))
	require.Equal(t, []int{1, 2, 3, 4}, pages)
}

func TestHistoryStopsWhenThePacerWouldWait(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{
		employees: 1000,
		limits:    map[hibob.Endpoint]hibob.Limit{hibob.EndpointBulkLifecycle: {Requests: 2, Per: time.Hour}},
		maxWait:   activities.NoInlineWait,
	})
	runID := f.startRun()
	var res activities.HistoryResult
	in := activities.HistoryInput{Credentials: f.ref, RunID: runID, Table: model.Lifecycle}
	require.NoError(t, f.run(&res, f.acts.FetchHistory, in))
	require.False(t, res.Done)
	require.Equal(t, 2, res.Seq)
	require.NotEmpty(t, res.Cursor)
	require.WithinDuration(t, time.Now().Add(time.Hour), res.ResumeAt, 5*time.Minute)

	// The workflow comes back later (a worker with budget left, here) from the result.
	f.acts = f.activities(nil, 0)
	in.Cursor, in.Seq = res.Cursor, res.Seq
	res = activities.HistoryResult{}
	require.NoError(t, f.run(&res, f.acts.FetchHistory, in))
	require.True(t, res.Done)
	require.Equal(t, 5, res.Seq)
	require.Zero(t, res.ResumeAt)
}

func TestStagingLostMakesApplyFailNonRetryably(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 400})
	runID := f.startRun()
	f.list(runID)
	_, err := f.fetch(runID, 0, 2)
	require.NoError(t, err)
	// What a Postgres crash does to UNLOGGED staging.
	_, err = f.store.Pool().Exec(context.Background(), `TRUNCATE staged_employees`)
	require.NoError(t, err)
	_, err = f.apply(runID)
	requireAppError(t, err, activities.ErrStagingIncomplete)

	// Fetching again mends it.
	_, err = f.fetch(runID, 0, 2)
	require.NoError(t, err)
	sum, err := f.apply(runID)
	require.NoError(t, err)
	require.Equal(t, store.RunApplied, sum.Status)
}

func TestFetchInputErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{employees: 10})
	runID := f.startRun()
	_, err := f.fetch(runID, 3, 1)
	requireAppError(t, err, activities.ErrInvalidInput)
	// No listing saved: the batch is unknown.
	_, err = f.fetch(runID, 0, 1)
	requireAppError(t, err, activities.ErrInvalidInput)
	// An empty range is done at once.
	res, err := f.fetch(runID, 1, 1)
	require.NoError(t, err)
	require.Equal(t, activities.FetchResult{Next: 1}, res)

	err = f.run(nil, f.acts.FetchHistory, activities.HistoryInput{Credentials: f.ref, RunID: runID, Table: "payroll"})
	requireAppError(t, err, activities.ErrInvalidInput)
	err = f.run(nil, f.acts.FetchHistory, activities.HistoryInput{Credentials: f.ref, RunID: runID, Table: model.Work, Seq: 2})
	requireAppError(t, err, activities.ErrInvalidInput)
}
