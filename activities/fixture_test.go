package activities_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"hibobsync/activities"
	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
	"hibobsync/store"
	"hibobsync/store/storetest"
)

// TestMain gives the package's tests their Postgres server (see storetest) and stops it after.
func TestMain(m *testing.M) { storetest.Main(m) }

// fixture is one tenant connected to a simulated HiBob over real HTTP, with its credentials in
// a real Postgres, and the activities under test.
type fixture struct {
	t       *testing.T
	store   *store.Store
	sim     *simulator.Server
	company *simulator.Company
	user    simulator.ServiceUser
	url     string
	tenant  model.TenantKey
	ref     activities.CredentialsRef
	acts    *activities.Activities
	runs    int
}

type fixtureOptions struct {
	sim       simulator.Options
	employees int
	limits    map[hibob.Endpoint]hibob.Limit // the factory's; nil: hibob.DefaultLimits
	maxWait   time.Duration
}

func newFixture(t *testing.T, o fixtureOptions) *fixture {
	t.Helper()
	ctx := context.Background()
	sim := simulator.New(o.sim)
	company := sim.AddCompany("Acme Service User", o.employees, 11)
	user := company.AddServiceUser(simulator.FullAccess())
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	s := storetest.NewStore(t)
	tn, _, err := s.EnsureTenant(ctx, "Acme Service User")
	require.NoError(t, err)
	version, err := s.SaveCredentials(ctx, tn.Key, hibob.NewCredentials(user.ID, user.Token))
	require.NoError(t, err)

	f := &fixture{t: t, store: s, sim: sim, company: company, user: user, url: srv.URL + "/v1", tenant: tn.Key,
		ref: activities.CredentialsRef{Tenant: tn.Key, Version: version}}
	f.acts = f.activities(o.limits, o.maxWait)
	return f
}

// activities are a fresh set of activities (and so fresh pacers) for the fixture's tenant.
func (f *fixture) activities(limits map[hibob.Endpoint]hibob.Limit, maxWait time.Duration) *activities.Activities {
	return &activities.Activities{
		Store:         f.store,
		Clients:       activities.NewClientFactory(f.url, nil, limits),
		MaxInlineWait: maxWait,
	}
}

// env is a fresh activity environment running f.acts.
func (f *fixture) env() *testsuite.TestActivityEnvironment {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(f.acts)
	return env
}

// run executes one activity in a fresh environment and decodes its result into out (if any).
func (f *fixture) run(out any, fn any, args ...any) error {
	return runIn(f.env(), out, fn, args...)
}

func runIn(env *testsuite.TestActivityEnvironment, out any, fn any, args ...any) error {
	val, err := env.ExecuteActivity(fn, args...)
	if err != nil {
		return err
	}
	if out != nil {
		return val.Get(out)
	}
	return nil
}

func (f *fixture) startRun() int64 {
	f.t.Helper()
	f.runs++
	var res activities.StartRunResult
	require.NoError(f.t, f.run(&res, f.acts.StartRun, activities.StartRunInput{Tenant: f.tenant,
		RequestKey: fmt.Sprintf("test/%d", f.runs), Kind: store.RunInitial, AsOf: model.DateOf(time.Now().UTC())}))
	require.NotZero(f.t, res.RunID)
	return res.RunID
}

func (f *fixture) list(runID int64) activities.ListResult {
	f.t.Helper()
	var res activities.ListResult
	require.NoError(f.t, f.run(&res, f.acts.ListEmployees, activities.ListInput{Credentials: f.ref, RunID: runID}))
	require.Zero(f.t, res.ResumeAt)
	return res
}

func (f *fixture) fetch(runID int64, from, to int) (activities.FetchResult, error) {
	var res activities.FetchResult
	err := f.run(&res, f.acts.FetchEmployees, activities.FetchInput{Credentials: f.ref, RunID: runID, From: from, To: to, Batches: to})
	return res, err
}

// history pages table to its end, waiting out rate limits as the workflow would.
func (f *fixture) history(runID int64, table model.HistoryTable) int {
	f.t.Helper()
	in := activities.HistoryInput{Credentials: f.ref, RunID: runID, Table: table}
	rows := 0
	for range 100 {
		var res activities.HistoryResult
		require.NoError(f.t, f.run(&res, f.acts.FetchHistory, in))
		rows += res.Rows
		if res.Done {
			return rows
		}
		in.Cursor, in.Seq = res.Cursor, res.Seq
		time.Sleep(time.Until(res.ResumeAt))
	}
	f.t.Fatalf("%s history did not end", table)
	return 0
}

func (f *fixture) apply(runID int64) (activities.RunSummary, error) {
	var res activities.RunSummary
	err := f.run(&res, f.acts.ApplyRun, activities.ApplyInput{Tenant: f.tenant, RunID: runID})
	return res, err
}

// stagedBatches are the batch numbers staged for a run, with their employee counts.
func (f *fixture) stagedBatches(runID int64) map[int]int {
	f.t.Helper()
	rows, err := f.store.Pool().Query(context.Background(),
		`SELECT seq, count(*) FROM staged_employees WHERE run_id = $1 GROUP BY seq`, runID)
	require.NoError(f.t, err)
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var seq, n int
		require.NoError(f.t, rows.Scan(&seq, &n))
		out[seq] = n
	}
	require.NoError(f.t, rows.Err())
	return out
}

// requireAppError asserts err is a non-retryable ApplicationError of type typ.
func requireAppError(t *testing.T, err error, typ string) *temporal.ApplicationError {
	t.Helper()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an ApplicationError, got %T: %v", err, err)
	require.Equal(t, typ, appErr.Type(), "error: %v", err)
	require.True(t, appErr.NonRetryable(), "error: %v", err)
	return appErr
}
