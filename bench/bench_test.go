package bench

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"hibobsync/activities"
	"hibobsync/devserver"
	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
	"hibobsync/starter"
	"hibobsync/store"
	"hibobsync/store/storetest"
	"hibobsync/worker"
	"hibobsync/workflows"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// The scenario's sizes.
var bigEmployees = envInt("HIBOBSYNC_BENCH_EMPLOYEES", 100_000)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

var manyTenants = envInt("HIBOBSYNC_BENCH_TENANTS", 200)

const (
	bigSeed       = 61
	changeEvery   = 100 // every 100th employee changes: 1%
	searchLimit   = 50  // people searches per window in the rate-limited run
	limitWindow   = time.Second
	manyEmployees = 1_000
)

// The targets of issue 6. Timing targets that are missed are reported in the table, not failed
// (timings depend on the machine); wrong data fails the benchmark.
const (
	targetSyncVsFloors = 1.5
	targetPacing       = 1.10
	targetApplyShare   = 0.10
	targetRSS          = 500 << 20
	targetEvents       = 2000
	targetPayload      = 64 << 10
)

// benchTimeout bounds the whole run; it takes about 5 minutes on a 2-core machine.
const benchTimeout = 14 * time.Minute

// BenchmarkEndToEnd measures what issue 6 asks of the whole system in one run and prints one
// table (see the package documentation). Run it once:
//
//	go test -run '^$' -bench BenchmarkEndToEnd -benchtime 1x -timeout 20m ./bench/
func BenchmarkEndToEnd(b *testing.B) {
	if testing.Short() {
		b.Skip("the end-to-end benchmark syncs a 100,000-employee tenant and 200 small ones")
	}
	for range b.N {
		runEndToEnd(b)
	}
}

// env is everything real the benchmark drives.
type env struct {
	b       *testing.B
	ctx     context.Context
	dev     *devserver.Server
	tc      client.Client
	sim     *simulator.Server
	simURL  string // the simulator's API root, ".../v1"
	dbURL   string
	secret  string // the keyring as HIBOBSYNC_SECRET_KEY spells it
	st      *store.Store
	starter *starter.Starter
}

func newEnv(b *testing.B, ctx context.Context) *env {
	e := &env{b: b, ctx: ctx}
	// The worker runs in this process: give the process the worker's garbage-collection target,
	// as `hibobsync worker` does (the simulator, in the same process, shares it).
	worker.TuneGC(os.Getenv)
	e.dev = devserver.StartForTest(b, devserver.Options{SearchAttributes: worker.SearchAttributes()})
	e.tc = e.dev.Client()
	// Every endpoint unlimited to begin with; the rate-limited run limits people search.
	e.sim = simulator.New(simulator.Options{Window: limitWindow, Limits: map[simulator.Endpoint]int{}})
	srv := httptest.NewServer(e.sim)
	b.Cleanup(srv.Close)
	e.simURL = srv.URL + "/v1"

	e.dbURL = storetest.NewDatabase(b)
	if os.Getenv(envExplain) != "" {
		e.explain()
	}
	keys, spec, err := store.GenerateKeyring()
	e.noError(err, "generate a keyring")
	e.secret = spec
	e.st, err = store.Open(ctx, e.dbURL, keys)
	e.noError(err, "open the store")
	b.Cleanup(e.st.Close)
	e.starter = starter.New(e.tc, e.st)
	return e
}

func (e *env) noError(err error, what string) {
	e.b.Helper()
	if err != nil {
		e.b.Fatalf("%s: %v", what, err)
	}
}

// startWorker runs a worker in this process, as production configures one, with HiBob clients
// paced to limits (an empty map: no pacing). The returned function stops it.
func (e *env) startWorker(limits map[hibob.Endpoint]hibob.Limit) (stop func()) {
	w := sdkworker.New(e.tc, activities.TaskQueue, sdkworker.Options{
		MaxConcurrentActivityExecutionSize:     worker.DefaultMaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: worker.DefaultMaxConcurrentWorkflowTasks,
	})
	worker.Register(w, &activities.Activities{Store: e.st, Clients: activities.NewClientFactory(e.simURL, nil, limits)})
	e.noError(w.Start(), "start the worker")
	var once sync.Once
	stop = func() { once.Do(w.Stop) }
	e.b.Cleanup(stop)
	return stop
}

// connect connects a simulated company as Gifted's backend does.
func (e *env) connect(company *simulator.Company, user simulator.ServiceUser) model.TenantKey {
	conn, err := e.starter.Connect(e.ctx, starter.ConnectRequest{Company: company.Name(), ServiceUserID: user.ID, Token: user.Token})
	e.noError(err, "connect "+company.Name())
	return conn.Tenant
}

// waitStatus polls the tenant's status until ok holds of it.
func (e *env) waitStatus(tenant model.TenantKey, what string, within time.Duration, ok func(workflows.Status) bool) workflows.Status {
	e.b.Helper()
	deadline := time.Now().Add(within)
	var last workflows.Status
	var lastErr error
	for time.Now().Before(deadline) {
		st, err := e.starter.Status(e.ctx, tenant)
		if err == nil {
			if ok(st) {
				return st
			}
			last = st
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	e.b.Fatalf("%s: waited %s for %s; last status %+v (error %v)\n%s", tenant, within, what, last, lastErr, e.pending(tenant))
	return last
}

// pending describes the tenant workflow's running activities, for a wait that timed out.
func (e *env) pending(tenant model.TenantKey) string {
	d, err := e.tc.DescribeWorkflowExecution(e.ctx, workflows.WorkflowID(tenant), "")
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, a := range d.GetPendingActivities() {
		fmt.Fprintf(&b, "pending %s: state %s, attempt %d, last heartbeat %s, last failure %v\n", a.GetActivityType().GetName(),
			a.GetState(), a.GetAttempt(), a.GetLastHeartbeatTime().AsTime().Format(time.TimeOnly), a.GetLastFailure().GetMessage())
	}
	h := e.history(workflows.WorkflowID(tenant), d.GetWorkflowExecutionInfo().GetExecution().GetRunId())
	for _, a := range h.acts {
		fmt.Fprintf(&b, "%-20s scheduled %s started %s closed %s\n", a.name, a.scheduled.Format("15:04:05.000"),
			a.started.Format("15:04:05.000"), a.closed.Format("15:04:05.000"))
	}
	return b.String()
}

// envExplain, when set, logs the plan of every statement of the benchmark's database that
// takes 200 ms or more to the Postgres server's log (auto_explain, with ANALYZE).
const envExplain = "HIBOBSYNC_BENCH_EXPLAIN"

func (e *env) explain() {
	pool, err := pgxpool.New(e.ctx, e.dbURL)
	e.noError(err, envExplain)
	defer pool.Close()
	var db string
	e.noError(pool.QueryRow(e.ctx, "SELECT current_database()").Scan(&db), envExplain)
	for _, set := range []string{"session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 200",
		"auto_explain.log_analyze = on", "auto_explain.log_nested_statements = on", "log_min_duration_statement = 200"} {
		_, err := pool.Exec(e.ctx, "ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" SET "+set)
		e.noError(err, envExplain+": "+set)
	}
	progress("%s: plans of statements over 200 ms go to the Postgres server's log (database %s)", envExplain, db)
}

// analyzeIfNoAutovacuum runs ANALYZE on the database when the server's autovacuum is off, as
// autovacuum would have after the baseline multiplied the tenant's rows. Without statistics the
// planner takes employee_history for empty and classifies every staged history page by scanning
// the tenant's whole history (measured: about 200 ms a page, over 5 minutes for the resync of
// 100,000 employees), which no server with autovacuum on sees a day after the baseline.
func (e *env) analyzeIfNoAutovacuum() bool {
	var on string
	e.noError(e.st.Pool().QueryRow(e.ctx, "SHOW autovacuum").Scan(&on), "SHOW autovacuum")
	if on == "on" {
		return false
	}
	start := time.Now()
	_, err := e.st.Pool().Exec(e.ctx, "ANALYZE")
	e.noError(err, "ANALYZE")
	progress("autovacuum is off on this server: ANALYZE run in its place (%s)", secs(time.Since(start)))
	return true
}

// progress tells the person waiting what the benchmark is doing (stderr: the table is stdout).
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

// currentRun is the run ID of the tenant workflow's running execution.
func (e *env) currentRun(tenant model.TenantKey) string {
	d, err := e.tc.DescribeWorkflowExecution(e.ctx, workflows.WorkflowID(tenant), "")
	e.noError(err, "describe the workflow of "+string(tenant))
	return d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
}

// cycle is one sync cycle: the run the workflow did it in, closed by continue-as-new, and the
// report it left in the status.
type cycle struct {
	runID  string // the workflow run (execution) that did the sync
	report workflows.SyncReport
	hist   runHistory
}

// syncCycle triggers a sync of the tenant (approve, sync now) and waits until it is applied and
// its workflow run has continued as new, so the run's history is complete.
func (e *env) syncCycle(tenant model.TenantKey, what string, within time.Duration, trigger func() error) cycle {
	e.b.Helper()
	before := e.currentRun(tenant)
	var prev int64
	// Retried until it answers: right after a worker change the query can fail.
	if st := e.waitStatus(tenant, "the status", time.Minute, func(workflows.Status) bool { return true }); st.LastSync != nil {
		prev = st.LastSync.RunID
	}
	e.noError(trigger(), what+": trigger")
	st := e.waitStatus(tenant, what+" applied", within, func(st workflows.Status) bool {
		if st.LastSync == nil || st.LastSync.RunID == prev {
			return false
		}
		if st.LastSync.Outcome != string(store.RunApplied) {
			e.b.Fatalf("%s: the sync ended %s: %s", what, st.LastSync.Outcome, st.LastError)
		}
		return st.Phase == model.PhaseActive
	})
	deadline := time.Now().Add(time.Minute)
	for e.currentRun(tenant) == before {
		if time.Now().After(deadline) {
			e.b.Fatalf("%s: the workflow did not continue as new after the sync", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c := cycle{runID: before, report: *st.LastSync}
	c.hist = e.history(workflows.WorkflowID(tenant), before)
	progress("%s: %s", what, c.hist.breakdown(c.report))
	return c
}

// requireExact compares the tenant's stored employees with the simulator's truth, field by
// field, and fails the benchmark on any difference.
func (e *env) requireExact(tenant model.TenantKey, company *simulator.Company) {
	e.b.Helper()
	if err := e.exact(tenant, company); err != nil {
		e.b.Fatalf("%v", err)
	}
}

func (e *env) exact(tenant model.TenantKey, company *simulator.Company) error {
	truth := company.Truth()
	i := 0
	after := ""
	for {
		page, err := e.st.Employees(e.ctx, tenant, store.EmployeeQuery{AfterID: after, Limit: 5000})
		if err != nil {
			return fmt.Errorf("%s: read the stored employees: %w", tenant, err)
		}
		if len(page) == 0 {
			break
		}
		for _, s := range page {
			got := s.Employee
			got.Hidden, got.Raw = nil, nil
			if i >= len(truth) {
				return fmt.Errorf("%s: more employees stored than HiBob has (%d): %s", tenant, len(truth), got.ID)
			}
			if want := truth[i]; !equalEmployees(got, want) {
				return fmt.Errorf("%s: stored employee %s differs from HiBob's:\n got %+v\nwant %+v", tenant, got.ID, got, want)
			}
			i++
		}
		after = page[len(page)-1].ID
	}
	if i != len(truth) {
		return fmt.Errorf("%s: %d employees stored, HiBob has %d", tenant, i, len(truth))
	}
	return nil
}

func equalEmployees(a, b model.Employee) bool {
	return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

// runEndToEnd is one run of every scenario, and the table.
func runEndToEnd(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	began := time.Now()
	e := newEnv(b, ctx)
	var r results

	// The 100,000-employee tenant.
	start := time.Now()
	big := e.sim.AddCompany("Bench Hundred Thousand", bigEmployees, bigSeed)
	user := big.AddServiceUser(simulator.FullAccess())
	r.generate = time.Since(start)

	// Floor a: the same requests from a plain loop with the hibob client, nothing else.
	progress("%d employees generated in %s", bigEmployees, secs(r.generate))
	r.fetchFloor = e.fetchFloor(user)
	progress("fetch floor: %d requests in %s", r.fetchFloor.requests, secs(r.fetchFloor.elapsed))

	// 1. The initial sync, end to end, nothing rate-limited.
	stopWorker := e.startWorker(map[hibob.Endpoint]hibob.Limit{})
	tenant := e.connect(big, user)
	e.waitStatus(tenant, "awaiting_review", 5*time.Minute, func(st workflows.Status) bool {
		if st.Phase != model.PhaseAwaitingReview && st.LastError != "" {
			b.Fatalf("%s: %s: %s", tenant, st.Phase, st.LastError)
		}
		return st.Phase == model.PhaseAwaitingReview
	})
	r.initial = e.syncCycle(tenant, "initial sync", 5*time.Minute, func() error {
		_, err := e.starter.Approve(ctx, tenant, "bench@gifted", "benchmark")
		return err
	})
	if !r.initial.report.Baseline || r.initial.report.Counts.Fetched != bigEmployees {
		b.Fatalf("initial sync: %+v, want a baseline of %d employees", r.initial.report, bigEmployees)
	}
	e.requireExact(tenant, big)

	// Floor b: a raw COPY of the same rows into an empty table like employees.
	r.copyFloor, r.copyRows = e.copyFloor(tenant)
	progress("COPY floor: %d rows in %s", r.copyRows, secs(r.copyFloor))
	r.analyzed = e.analyzeIfNoAutovacuum()

	// 2 and 3. One resync of the same tenant, with 1% of its employees changed in HiBob
	// (addresses, work emails), people search limited to 50 a second in the simulator and the
	// client's pacer at the same: its fetch measures the pacing, its apply the cost of what changed.
	// (One resync rather than two keeps `make bench` within 15 minutes: a 100,000-employee resync
	// takes minutes here, and the rate limit changes nothing in apply.)
	r.changed = e.changeOnePercent(big)
	stopWorker()
	e.sim.SetLimit(simulator.EndpointSearch, searchLimit)
	stopWorker = e.startWorker(map[hibob.Endpoint]hibob.Limit{hibob.EndpointSearch: {Requests: searchLimit, Per: limitWindow}})
	e.sim.ResetStats()
	r.resync = e.syncCycle(tenant, "1% resync at 50 searches/s", 10*time.Minute, func() error {
		_, err := e.starter.SyncNow(ctx, tenant)
		return err
	})
	stats := e.sim.Stats()
	r.searches = stats.ByEndpoint[simulator.EndpointSearch]
	r.search429 = stats.ByEndpointStatus[simulator.EndpointSearch][429]
	r.all429 = stats.RateLimited
	stopWorker()
	e.sim.SetLimit(simulator.EndpointSearch, 0)
	e.noError(e.st.Pool().QueryRow(ctx, `SELECT count(*) FROM employees WHERE tenant_key = $1 AND last_run_id = $2`,
		tenant, r.resync.report.RunID).Scan(&r.written), "count the rows the 1% resync wrote")
	e.requireExact(tenant, big)
	if r.written != r.changed || r.resync.report.Counts.Updated != r.changed {
		e.printTable(&r, time.Since(began))
		b.Fatalf("1%% resync: %d employee rows written, %d updated, want the %d changed", r.written, r.resync.report.Counts.Updated, r.changed)
	}

	// 4. Many tenants, one worker process.
	if manyTenants > 0 {
		r.many = e.manyTenants()
	}

	e.printTable(&r, time.Since(began))
	r.report(b)
	if r.many.exact != r.many.tenants {
		b.Fatalf("%d of %d tenants ended active with exact data: %s", r.many.exact, manyTenants, r.many.firstProblem)
	}
}

// changeOnePercent changes every 100th employee in HiBob: even ones move house, odd ones get a
// new work email. It returns how many changed.
func (e *env) changeOnePercent(company *simulator.Company) int {
	truth := company.Truth()
	n := 0
	for k := range len(truth) / changeEvery {
		emp := truth[k*changeEvery]
		var err error
		if k%2 == 0 {
			a := emp.HomeAddress
			a.Line1 = fmt.Sprintf("%d Benchmark Road", k+1)
			err = company.SetHomeAddress(emp.ID, a)
		} else {
			err = company.SetWorkEmail(emp.ID, fmt.Sprintf("bench.moved.%d@%s", k, company.Domain()))
		}
		e.noError(err, "change employee "+emp.ID)
		n++
	}
	return n
}

// results are the run's measurements.
type results struct {
	generate   time.Duration
	fetchFloor fetchFloor
	copyFloor  time.Duration
	copyRows   int

	initial cycle

	changed int
	resync  cycle
	written int

	searches  int64
	search429 int64
	all429    int64

	many manyResult

	analyzed bool // the benchmark ran ANALYZE after the baseline: the server's autovacuum is off
}

func (r *results) report(b *testing.B) {
	floors := r.fetchFloor.elapsed + r.copyFloor
	b.ReportMetric(r.initial.report.FinishedAt.Sub(r.initial.report.StartedAt).Seconds()/floors.Seconds(), "sync/floors")
	b.ReportMetric(r.pacing(), "pacing")
	b.ReportMetric(100*r.applyShare(), "resync-apply-%")
	b.ReportMetric(float64(r.many.peakRSS)/(1<<20), "worker-peak-MB")
	b.ReportMetric(float64(max(r.initial.hist.events, r.resync.hist.events)), "history-events")
}

func (r *results) pacing() float64 {
	ideal := float64(r.searches) / searchLimit * limitWindow.Seconds()
	return r.resync.hist.searchSpan().Seconds() / ideal
}

func (r *results) applyShare() float64 {
	base := r.initial.hist.busy("ApplyRun")
	return r.resync.hist.busy("ApplyRun").Seconds() / base.Seconds()
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// printTable prints the run's one table, then where the time of the big syncs went.
func (e *env) printTable(r *results, total time.Duration) {
	var out strings.Builder
	row := func(n, what, figure, against, ratio, target, verdict string) {
		fmt.Fprintf(&out, "%-2s %-52s %-12s %-36s %-9s %-10s %s\n", n, what, figure, against, ratio, target, verdict)
	}
	line := strings.Repeat("-", 132) + "\n"
	fmt.Fprintf(&out, "\nhibobsync end-to-end benchmark (make bench): one run, %s in all\n", secs(total))
	out.WriteString(line)
	row("#", "what", "figure", "floor / measured against", "ratio", "target", "")
	out.WriteString(line)

	// 1.
	sync := r.initial.report.FinishedAt.Sub(r.initial.report.StartedAt)
	floors := r.fetchFloor.elapsed + r.copyFloor
	ratio1 := sync.Seconds() / floors.Seconds()
	row("1", fmt.Sprintf("full sync, %d employees, no rate limit", bigEmployees), secs(sync),
		fmt.Sprintf("fetch %s + COPY %s = %s", secs(r.fetchFloor.elapsed), secs(r.copyFloor), secs(floors)),
		fmt.Sprintf("%.2f×", ratio1), fmt.Sprintf("≤ %.2f×", targetSyncVsFloors), met(ratio1 <= targetSyncVsFloors))

	// 2.
	if r.searches > 0 {
		span := r.resync.hist.searchSpan()
		ideal := time.Duration(float64(r.searches) / searchLimit * float64(limitWindow))
		pacing := r.pacing()
		row("2", fmt.Sprintf("resync fetch at %d searches/s: %d searches", searchLimit, r.searches), secs(span),
			fmt.Sprintf("requests ÷ limit = %s", secs(ideal)), fmt.Sprintf("%.3f", pacing), fmt.Sprintf("≤ %.2f", targetPacing), met(pacing <= targetPacing))
		windows := int64(span/limitWindow) + 1
		row("", "  429 answers (people search; all endpoints)", fmt.Sprintf("%d; %d", r.search429, r.all429),
			fmt.Sprintf("limit windows in the fetch: %d", windows), "", fmt.Sprintf("≤ %d", windows), met(r.all429 <= windows))
		// Whether 50 a second binds at all: the searches per second the initial sync reached unpaced.
		if d := r.initial.hist.searchSpan(); d > 0 {
			row("", "  unpaced search rate of the initial sync (context)", fmt.Sprintf("%.1f/s", float64(bigEmployees/hibob.MaxBatch+1)/d.Seconds()),
				fmt.Sprintf("the limit: %d/s", searchLimit), "", "", "")
		}
	}

	// 3.
	if r.resync.runID != "" {
		row("3", "resync, 1% changed: employee rows written", fmt.Sprintf("%d", r.written),
			fmt.Sprintf("employees changed in HiBob: %d", r.changed), "", "= changes", met(r.written == r.changed))
		share := r.applyShare()
		row("", "  apply time (ApplyRun activity)", secs(r.resync.hist.busy("ApplyRun")),
			fmt.Sprintf("baseline apply %s", secs(r.initial.hist.busy("ApplyRun"))), fmt.Sprintf("%.1f%%", 100*share),
			fmt.Sprintf("≤ %.0f%%", 100*targetApplyShare), met(share <= targetApplyShare))
	}

	// 4.
	if m := r.many; m.tenants > 0 {
		row("4", fmt.Sprintf("%d tenants × %d employees, one worker process", m.tenants, manyEmployees), secs(m.total),
			fmt.Sprintf("connect→review %s, approve→synced %s", secs(m.toReview), secs(m.toSynced)), "", "", "")
		row("", "  worker peak RSS (VmHWM)", fmt.Sprintf("%.0f MB", float64(m.peakRSS)/(1<<20)), "", "",
			fmt.Sprintf("< %d MB", targetRSS>>20), met(m.peakRSS < targetRSS))
		row("", "  tenants active with exact data", fmt.Sprintf("%d / %d", m.exact, m.tenants), "", "", "all", met(m.exact == m.tenants))
	}

	// 5.
	if r.initial.runID != "" {
		events := max(r.initial.hist.events, r.resync.hist.events)
		row("5", "Temporal: history events of one sync cycle (most)", fmt.Sprintf("%d", events),
			fmt.Sprintf("initial %d, resync %d", r.initial.hist.events, r.resync.hist.events),
			"", fmt.Sprintf("< %d", targetEvents), met(events < targetEvents))
		payload, where := r.initial.hist.maxPayload, r.initial.hist.maxPayloadAt
		if h := r.resync.hist; h.maxPayload > payload {
			payload, where = h.maxPayload, h.maxPayloadAt
		}
		row("", "  largest payload in those histories", fmt.Sprintf("%d B", payload), where, "",
			fmt.Sprintf("≤ %d KB", targetPayload>>10), met(payload <= targetPayload))
	}
	out.WriteString(line)

	// Where the time went.
	fmt.Fprintf(&out, "setup: %d employees generated in %s; the fetch floor made %d requests (%d employees, %d history rows); COPY wrote %d rows\n",
		bigEmployees, secs(r.generate), r.fetchFloor.requests, r.fetchFloor.employees, r.fetchFloor.historyRows, r.copyRows)
	for _, c := range []struct {
		name string
		c    cycle
	}{{"initial sync", r.initial}, {"1% resync", r.resync}} {
		if c.c.runID != "" {
			fmt.Fprintf(&out, "%-15s %s\n", c.name+":", c.c.hist.breakdown(c.c.report))
		}
	}
	if r.analyzed {
		out.WriteString("note: this Postgres runs with autovacuum off; the benchmark ran ANALYZE after the baseline, where autovacuum would have\n")
	}
	if r.many.tenants > 0 {
		fmt.Fprintf(&out, "many tenants:   %d companies generated in %s; slowest tenant synced %s after its approval\n",
			r.many.tenants, secs(r.many.generate), secs(r.many.slowest))
	}
	fmt.Print(out.String())
}
