// Package drills holds the fault drills of issue 6: the whole system (Temporal's dev server,
// Postgres, the simulated HiBob over HTTP, a worker in process or as a process) put through a
// fault in the middle of a sync, after which the employees table and the change feed must
// match the simulator's truth exactly, and the leak battery must find no token or personal
// data anywhere it must not be.
//
// Every drill takes the same path: connect a company of a few thousand employees, approve it,
// let the baseline sync apply, make HR changes in the simulated Bob, and sync again under the
// fault. The second sync's change feed must hold exactly the HR changes, once each.
package drills

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"hibobsync/activities"
	"hibobsync/devserver"
	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
	"hibobsync/store"
	"hibobsync/store/storetest"
	"hibobsync/systemtest"
	"hibobsync/workflows"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// Size of the drills' company: 10 batches of 200 employees, so a fetch slowed by the
// simulator's latency lasts a few seconds, long enough to strike in its middle.
const employees = 2000

// Short timeouts for the drills that kill workers: a lost fetch attempt is retried after the
// heartbeat timeout, a lost apply after the apply timeout (the defaults: a minute, ten).
const (
	drillHeartbeatTimeout = 4 * time.Second
	drillApplyTimeout     = 8 * time.Second
)

// drill is one drill's system and the tenant it syncs.
type drill struct {
	*systemtest.System
	t      *testing.T
	user   simulator.ServiceUser
	tenant model.TenantKey
	// tokens are every token the service user had; pii every personal value the company had.
	tokens []string
	pii    []string
	// processes are the worker processes started, whose output the leak battery searches.
	processes []*systemtest.Process
	// runs are the IDs of the runs applied so far.
	runs    []int64
	started time.Time
}

// newDrill builds the system: with a worker in process (inProcess), or without one for a drill
// that runs the worker as a process. dev configures the dev server.
func newDrill(t *testing.T, inProcess bool, dev devserver.Options) *drill {
	t.Helper()
	sys := systemtest.Build(t, systemtest.Options{Company: "Drill Co", Employees: employees, Seed: 6, LogLevel: slog.LevelDebug}, dev)
	if inProcess {
		sys.StartWorker(t)
	}
	d := &drill{System: sys, t: t, started: time.Now()}
	d.user = sys.Company.AddServiceUser(simulator.FullAccess())
	d.tokens = append(d.tokens, d.user.Token)
	d.pii = systemtest.PIIOf(sys.Company.Truth())
	d.debugOnFailure()
	return d
}

// connect does what Gifted's backend does (see workflows' integration test): store the
// credentials sealed and start the tenant's workflow, here with the drills' short timeouts.
func (d *drill) connect() {
	d.t.Helper()
	ctx := context.Background()
	tenant, _, err := d.Store.EnsureTenant(ctx, d.Company.Name())
	require.NoError(d.t, err)
	version, err := d.Store.SaveCredentials(ctx, tenant.Key, hibob.NewCredentials(d.user.ID, d.user.Token))
	require.NoError(d.t, err)
	_, err = d.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.WorkflowID(tenant.Key), TaskQueue: activities.TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.TenantKey.ValueSet(string(tenant.Key))),
		StaticSummary:         "HiBob connection of " + d.Company.Name(),
	}, workflows.TenantWorkflow, workflows.TenantInput{Tenant: tenant.Key, Company: d.Company.Name(), CredentialVersion: version,
		HeartbeatTimeout: drillHeartbeatTimeout, ApplyTimeout: drillApplyTimeout})
	require.NoError(d.t, err)
	d.tenant = tenant.Key
}

// status queries the workflow, giving up after a few seconds (no worker, no server).
func (d *drill) status() (workflows.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return d.QueryStatus(ctx, d.tenant)
}

func (d *drill) waitFor(what string, within time.Duration, ok func(workflows.Status) bool) workflows.Status {
	d.t.Helper()
	return systemtest.WaitFor(d.t, what, within, d.status, ok)
}

func (d *drill) update(name string, args ...any) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := d.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(d.tenant), UpdateName: name, Args: args, WaitForStage: client.WorkflowUpdateStageCompleted})
	require.NoError(d.t, err, name)
	var ack workflows.Ack
	require.NoError(d.t, h.Get(ctx, &ack), name)
}

// baseline connects, approves and waits for the baseline sync: everyone stored, no changes.
func (d *drill) baseline() {
	d.t.Helper()
	d.connect()
	d.waitFor("awaiting_review", time.Minute, func(st workflows.Status) bool { return st.Phase == model.PhaseAwaitingReview })
	d.update(workflows.UpdateApprove, workflows.ApproveRequest{Reviewer: "drills@gifted", Note: "drill"})
	st := d.waitApplied("the baseline sync", time.Minute)
	require.True(d.t, st.LastSync.Baseline)
	d.requireExact(nil)
	d.t.Logf("%s: baseline applied (run %d)", d.since(), st.LastSync.RunID)
}

// since is the time since the drill started, for its log.
func (d *drill) since() time.Duration { return time.Since(d.started).Round(10 * time.Millisecond) }

// waitApplied waits for a sync applied after the runs seen so far, and records its run.
func (d *drill) waitApplied(what string, within time.Duration) workflows.Status {
	d.t.Helper()
	st := d.waitFor(what+" applied", within, func(st workflows.Status) bool {
		return st.Phase == model.PhaseActive && st.LastSync != nil && st.LastSync.Outcome == string(store.RunApplied) &&
			!slices.Contains(d.runs, st.LastSync.RunID)
	})
	d.runs = append(d.runs, st.LastSync.RunID)
	return st
}

// event is one expected entry of the change feed.
type event struct {
	employee string
	kind     model.ChangeKind
	field    string
}

func sortEvents(e []event) {
	slices.SortFunc(e, func(a, b event) int {
		return cmp.Or(cmp.Compare(a.employee, b.employee), cmp.Compare(a.kind, b.kind), cmp.Compare(a.field, b.field))
	})
}

// hrChanges changes the company in the simulated Bob — a hire, a scheduled termination, a
// birth date corrected, twenty people moving house, someone deleted — and returns the change
// feed the next sync must write.
func (d *drill) hrChanges() []event {
	d.t.Helper()
	c := d.Company
	truth := c.Truth()
	managers := map[string]bool{}
	for _, e := range truth {
		managers[e.ManagerID] = true
	}
	// Plain employees, nobody's manager, so that no change ripples to someone else.
	var plain []model.Employee
	for _, e := range truth {
		if model.ClassifyLifecycle(e.LifecycleStatus.Value) == model.StatusEmployed && e.TerminationDate.IsZero() && !managers[e.ID] {
			plain = append(plain, e)
		}
	}
	require.Greater(d.t, len(plain), 30)
	var want []event
	hired, err := c.Hire(simulator.NewHire{FirstName: "Noa", Surname: "Levi-Drill", WorkEmail: "noa.levi.drill@drills.example.com",
		BirthDate: model.MustDate("1994-02-28"), StartDate: model.DateOf(time.Now()).AddDays(14),
		Home: model.Address{Line1: "12 Dizengoff St", City: "Tel Aviv-Yafo", PostCode: "6433222", Country: model.ListValue{Value: "Israel"}}})
	require.NoError(d.t, err)
	want = append(want, event{hired, model.ChangeHired, "lifecycle_status"})

	leaving := plain[0]
	require.NoError(d.t, c.Terminate(leaving.ID, model.DateOf(time.Now()).AddDays(30)))
	want = append(want, event{leaving.ID, model.ChangeTerminated, "termination_date"})

	birthday := plain[1]
	newBirth := model.MustDate("1988-02-29")
	if birthday.BirthDate == newBirth {
		newBirth = model.MustDate("1987-03-01")
	}
	require.NoError(d.t, c.CorrectBirthDate(birthday.ID, newBirth))
	want = append(want, event{birthday.ID, model.ChangeBirthday, "birthday"})

	for i, e := range plain[2:22] {
		require.NoError(d.t, c.SetHomeAddress(e.ID, model.Address{Line1: fmt.Sprintf("%d Drill Lane", 100+i), City: "Drilltown",
			PostCode: fmt.Sprintf("DR%03d", i), Country: model.ListValue{Value: "United Kingdom"}}))
		want = append(want, event{e.ID, model.ChangeHomeAddress, "home_address"})
	}

	deleted := plain[len(plain)-1]
	require.NoError(d.t, c.Delete(deleted.ID))
	want = append(want, event{deleted.ID, model.ChangeRemoved, "employee"})

	d.pii = append(d.pii, systemtest.PIIOf(c.Truth())...)
	return want
}

// requireExact compares the tenant's employees with the simulator's truth, field by field,
// and the change feed with want: exactly these events, written once each by the last run
// applied (nil: no change at all), and every run but the failed ones applied exactly once.
func (d *drill) requireExact(want []event) {
	d.t.Helper()
	ctx := context.Background()
	stored, err := d.Store.Employees(ctx, d.tenant, store.EmployeeQuery{Limit: 2 * employees})
	require.NoError(d.t, err)
	truth := d.Company.Truth()
	require.Len(d.t, stored, len(truth), "employees stored")
	for i, w := range truth {
		got := stored[i].Employee
		got.Hidden, got.Raw = nil, nil
		require.Equal(d.t, w, got, "employee %s", w.ID)
	}

	changes, _, err := d.Store.Changes(ctx, d.tenant, 0, 10000)
	require.NoError(d.t, err)
	type key struct {
		run             int64
		employee, field string
		kind            model.ChangeKind
	}
	seen := map[key]bool{}
	var got []event
	last := d.runs[len(d.runs)-1]
	for _, c := range changes {
		k := key{c.RunID, c.EmployeeID, c.Field, c.Kind}
		require.False(d.t, seen[k], "the change %+v is in the feed twice", k)
		seen[k] = true
		require.Equal(d.t, last, c.RunID, "a change of another run than the last applied: %+v", k)
		got = append(got, event{c.EmployeeID, c.Kind, c.Field})
	}
	sortEvents(got)
	want = slices.Clone(want)
	sortEvents(want)
	if want == nil {
		want = []event{}
	}
	if got == nil {
		got = []event{}
	}
	require.Equal(d.t, want, got, "the change feed")

	// Exactly once: one applied run per cycle, and no run left running.
	rows, err := d.Store.Pool().Query(ctx, `SELECT id, status FROM sync_runs WHERE tenant_key = $1 ORDER BY id`, d.tenant)
	require.NoError(d.t, err)
	type runRow struct {
		ID     int64
		Status string
	}
	runs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[runRow])
	require.NoError(d.t, err)
	var applied []int64
	for _, r := range runs {
		require.NotEqual(d.t, string(store.RunRunning), r.Status, "run %d is still running", r.ID)
		if r.Status == string(store.RunApplied) {
			applied = append(applied, r.ID)
		}
	}
	require.Equal(d.t, d.runs, applied, "the applied runs")
}

// syncUnder makes the HR changes, runs before, starts a sync, runs strike while it runs, and
// checks that the sync applied exactly. strike returns when the fault is over.
func (d *drill) syncUnder(within time.Duration, before, strike func()) workflows.Status {
	d.t.Helper()
	want := d.hrChanges()
	before()
	d.update(workflows.UpdateSyncNow)
	d.t.Logf("%s: sync started", d.since())
	strike()
	d.t.Logf("%s: fault over", d.since())
	st := d.waitApplied("the sync under the fault", within)
	require.Equal(d.t, store.RunManual, st.LastSync.Kind)
	d.requireExact(want)
	d.t.Logf("%s: sync applied exactly (run %d, %d changes)", d.since(), st.LastSync.RunID, len(want))
	return st
}

// searches is how many people searches (the listing and the batches) the simulator answered.
func (d *drill) searches() int64 { return d.Sim.Stats().ByEndpoint[simulator.EndpointSearch] }

// waitSearches waits until the simulator has answered at least n people searches.
func (d *drill) waitSearches(n int64, within time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(within)
	for d.searches() < n {
		if time.Now().After(deadline) {
			d.t.Fatalf("waiting for %d people searches: %d after %s", n, d.searches(), within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// leaks runs the leak battery over everything the drill touched.
func (d *drill) leaks() {
	d.t.Helper()
	var logs []string
	for _, p := range d.processes {
		logs = append(logs, p.Output.String())
	}
	d.RequireNoLeaks(d.t, systemtest.Secrets{Tokens: d.tokens, PII: d.pii}, logs...)
	d.t.Logf("%s: leak battery done", d.since())
}

// startWorkerProcess runs a worker process and keeps its output for the leak battery.
func (d *drill) startWorkerProcess(bin string) *systemtest.Process {
	d.t.Helper()
	p := d.StartWorkerProcess(d.t, bin)
	d.processes = append(d.processes, p)
	return p
}

// lockTenant holds the tenant's row as apply locks it (FOR NO KEY UPDATE), so that an apply
// blocks inside its transaction until release; the listing, staging and outbox writes are not
// blocked. conn is the holding connection, inside the transaction.
func (d *drill) lockTenant() (tx pgx.Tx, release func()) {
	d.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, d.DatabaseURL)
	require.NoError(d.t, err)
	tx, err = conn.Begin(ctx)
	require.NoError(d.t, err)
	_, err = tx.Exec(ctx, `SELECT 1 FROM tenants WHERE key = $1 FOR NO KEY UPDATE`, d.tenant)
	require.NoError(d.t, err)
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		_ = tx.Rollback(ctx)
		_ = conn.Close(ctx)
	}
	d.t.Cleanup(release)
	return tx, release
}

// waitApplyBlocked waits until an apply waits for the tenant's lock, and returns its backend.
func (d *drill) waitApplyBlocked(tx pgx.Tx, within time.Duration) int {
	d.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var pid int
		// pg_stat_activity is read once per transaction unless the snapshot is cleared.
		_, err := tx.Exec(context.Background(), `SELECT pg_stat_clear_snapshot()`)
		require.NoError(d.t, err)
		err = tx.QueryRow(context.Background(), `
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
  AND query LIKE '%apply_version, active_employees FROM tenants%'`).Scan(&pid)
		if err == nil {
			return pid
		}
		require.ErrorIs(d.t, err, pgx.ErrNoRows)
		if time.Now().After(deadline) {
			d.t.Fatalf("no apply waited for the tenant's lock within %s", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// debugOnFailure writes the SDK's log lines to $DRILLS_DEBUG_DIR when the test fails.
func (d *drill) debugOnFailure() {
	d.t.Cleanup(func() {
		dir := os.Getenv("DRILLS_DEBUG_DIR")
		if !d.t.Failed() || dir == "" {
			return
		}
		_ = os.WriteFile(filepath.Join(dir, "sdk.log"), []byte(d.Logs.String()), 0o644)
		for i, p := range d.processes {
			_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("worker%d.log", i+1)), []byte(p.Output.String()), 0o644)
		}
		st := d.Sim.Stats()
		d.t.Logf("simulator stats: %+v", st)
	})
}
