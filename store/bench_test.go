package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"hibobsync/model"
	"hibobsync/store"
	"hibobsync/store/storetest"
)

// BenchmarkApply measures, in one run on one fresh database, what issue 3 asks of the store with
// a 100,000-employee tenant whose raw HiBob objects are about 1 KB each:
//
//   - the floor: one pgx CopyFrom of the rows into an empty copy of the employees table;
//   - a naive loop: one INSERT … ON CONFLICT DO UPDATE per employee, in one transaction;
//   - the baseline run: staging (batches of 200) and Apply, timed apart;
//   - a run with 1% changed (address, email, name, birthday), then a run with nothing changed;
//   - a resync's staging (every row stored), one batch at a time and 4 batches at a time.
//
// It prints one table and checks the targets (baseline Apply ≤ 2× the floor and ≥ 7× faster than
// the naive loop; the 1%-changed Apply ≤ 10% of the baseline Apply; the unchanged run writes no
// employee row). A missed timing target is reported, not failed: timings depend on the machine.
// Run it once:
//
//	go test -run '^$' -bench BenchmarkApply -benchtime 1x ./store/
func BenchmarkApply(b *testing.B) {
	if testing.Short() {
		b.Skip("the store benchmark loads 100,000 employees several times")
	}
	s := storetest.NewStore(b)
	for i := 0; i < b.N; i++ {
		benchApplyOnce(b, s, i)
	}
}

const (
	benchEmployees = 100_000
	benchBatch     = 200   // employees per StageEmployees call, as the workflow fetches them
	benchChanged   = 1_000 // 1%
	benchStagers   = 4     // batches staged at once, as the fetch activity keeps 4 requests in flight
)

// benchTimeout bounds the whole scenario; it takes one and a half to two minutes on a 2-core machine.
const benchTimeout = 5 * time.Minute

type benchLine struct {
	what    string
	rows    int
	elapsed time.Duration
}

func benchApplyOnce(b *testing.B, s *store.Store, iter int) {
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	pool := s.Pool()
	b.StopTimer()

	tn, _, err := s.EnsureTenant(ctx, fmt.Sprintf("Bench %d", iter))
	benchNoError(b, err, "ensure tenant")
	tenant := tn.Key
	benchCheckColumns(b, ctx, pool)
	if os.Getenv(benchEnvExplain) != "" {
		benchExplain(b, ctx, pool)
	}

	day := model.MustDate("2026-06-15")
	baseline := benchPeople(day)
	var rawBytes int
	for i := range baseline {
		rawBytes += len(baseline[i].Raw)
	}

	var lines []benchLine
	add := func(what string, rows int, d time.Duration) { lines = append(lines, benchLine{what, rows, d}) }

	// a. The floor: COPY of the same rows, raw jsonb included, into an empty employees-shaped table.
	floorTable := fmt.Sprintf("bench_floor_%d", iter)
	naiveTable := fmt.Sprintf("bench_naive_%d", iter)
	for _, t := range []string{floorTable, naiveTable} {
		_, err := pool.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (LIKE employees INCLUDING ALL)", t))
		benchNoError(b, err, "create "+t)
	}
	rows := make([][]any, len(baseline))
	for i := range baseline {
		rows[i] = benchRow(tenant, &baseline[i])
	}
	columns := benchAllColumns()
	benchCheckpoint(ctx, pool)
	b.StartTimer()
	start := time.Now()
	n, err := pool.CopyFrom(ctx, pgx.Identifier{floorTable}, columns, pgx.CopyFromRows(rows))
	floor := time.Since(start)
	b.StopTimer()
	benchNoError(b, err, "COPY the floor")
	if n != benchEmployees {
		b.Fatalf("COPY wrote %d rows, want %d", n, benchEmployees)
	}
	add("raw COPY into an empty table (floor)", benchEmployees, floor)

	// b. The naive loop: one upsert per employee, one transaction.
	sets := make([]string, 0, len(columns))
	params := make([]string, len(columns))
	for i, c := range columns {
		params[i] = fmt.Sprintf("$%d", i+1)
		if c != "tenant_key" && c != "employee_id" {
			sets = append(sets, c+" = EXCLUDED."+c)
		}
	}
	upsert := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (tenant_key, employee_id) DO UPDATE SET %s",
		naiveTable, strings.Join(columns, ", "), strings.Join(params, ", "), strings.Join(sets, ", "))
	benchCheckpoint(ctx, pool)
	b.StartTimer()
	start = time.Now()
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, row := range rows {
			if _, err := tx.Exec(ctx, upsert, row...); err != nil {
				return err
			}
		}
		return nil
	})
	naive := time.Since(start)
	b.StopTimer()
	benchNoError(b, err, "naive loop")
	add("naive loop: INSERT … ON CONFLICT per row", benchEmployees, naive)
	rows = nil
	for _, t := range []string{floorTable, naiveTable} {
		_, err := pool.Exec(ctx, "DROP TABLE "+t)
		benchNoError(b, err, "drop "+t)
	}

	// c, d, e. The store's runs: baseline, 1% changed, nothing changed. Every run reads HiBob on a
	// later day, so the volatile parts of every raw object (tenure, age, avatar URL) differ.
	type runResult struct {
		run          store.Run
		stage, apply time.Duration
	}
	syncRun := func(name string, key string, employees []model.Employee, asOf model.Date) runResult {
		benchCheckpoint(ctx, pool)
		b.StartTimer()
		start := time.Now()
		run, err := s.StartRun(ctx, store.RunRequest{Tenant: tenant, RequestKey: key, Kind: store.RunScheduled, AsOf: asOf, FullRead: true})
		benchNoError(b, err, name+": start run")
		for seq := 0; seq*benchBatch < len(employees); seq++ {
			batch := employees[seq*benchBatch : min(len(employees), (seq+1)*benchBatch)]
			benchNoError(b, s.StageEmployees(ctx, run.ID, seq, batch, nil), name+": stage")
		}
		stage := time.Since(start)
		b.StopTimer()
		benchCheckpoint(ctx, pool)
		b.StartTimer()
		start = time.Now()
		applied, err := s.Apply(ctx, run.ID, store.ApplyOptions{})
		apply := time.Since(start)
		b.StopTimer()
		benchNoError(b, err, name+": apply")
		add(name+": stage", len(employees), stage)
		add(name+": apply", len(employees), apply)
		add(name+": stage + apply", len(employees), stage+apply)
		return runResult{applied, stage, apply}
	}

	base := syncRun("baseline", fmt.Sprintf("bench-%d-baseline", iter), baseline, day)
	benchExpect(b, "baseline", base.run, store.Counts{Fetched: benchEmployees, Inserted: benchEmployees}, 0)
	if !base.run.Baseline {
		b.Fatalf("the first run is not the baseline")
	}

	day = day.AddDays(1)
	changed := benchPeople(day)
	wantKinds := map[string]int{}
	for k := range benchChanged {
		i := k * (benchEmployees / benchChanged)
		e := &changed[i]
		switch k % 4 {
		case 0:
			e.HomeAddress.Line1 = fmt.Sprintf("%d New Road", i)
			wantKinds[string(model.ChangeHomeAddress)]++
		case 1:
			e.WorkEmail = fmt.Sprintf("p%d.new@acme.example.com", i)
			wantKinds[string(model.ChangeWorkEmail)]++
		case 2:
			e.Surname = fmt.Sprintf("Married%d", i)
			e.DisplayName = e.FirstName + " " + e.Surname
			wantKinds[string(model.ChangeName)]++
		case 3:
			e.Birthday.Month = e.Birthday.Month%12 + 1
			wantKinds[string(model.ChangeBirthday)]++
		}
		e.Raw = benchRaw(e, day)
	}
	one := syncRun("1% changed", fmt.Sprintf("bench-%d-changed", iter), changed, day)
	benchExpect(b, "1% changed", one.run, store.Counts{Fetched: benchEmployees, Updated: benchChanged, Unchanged: benchEmployees - benchChanged}, benchChanged)
	gotKinds := map[string]int{}
	kindRows, err := pool.Query(ctx, `SELECT kind, count(*)::int FROM changes WHERE run_id = $1 GROUP BY kind`, one.run.ID)
	benchNoError(b, err, "count changes by kind")
	for kindRows.Next() {
		var kind string
		var n int
		benchNoError(b, kindRows.Scan(&kind, &n), "count changes by kind")
		gotKinds[kind] = n
	}
	benchNoError(b, kindRows.Err(), "count changes by kind")
	if !maps.Equal(gotKinds, wantKinds) {
		b.Fatalf("1%% changed: changes by kind %v, want %v", gotKinds, wantKinds)
	}

	day = day.AddDays(1)
	same := benchPeople(day)
	for k := range benchChanged { // the 1% run's values, now unchanged
		i := k * (benchEmployees / benchChanged)
		same[i] = changed[i]
		same[i].Raw = benchRaw(&same[i], day)
	}
	none := syncRun("nothing changed", fmt.Sprintf("bench-%d-unchanged", iter), same, day)
	benchExpect(b, "nothing changed", none.run, store.Counts{Fetched: benchEmployees, Unchanged: benchEmployees}, 0)
	var written, changes int
	benchNoError(b, pool.QueryRow(ctx, `SELECT count(*) FROM employees WHERE tenant_key = $1 AND last_run_id = $2`,
		tenant, none.run.ID).Scan(&written), "count written rows")
	benchNoError(b, pool.QueryRow(ctx, `SELECT count(*) FROM changes WHERE run_id = $1`, none.run.ID).Scan(&changes),
		"count changes")

	// f. Staging a resync (every row stored, nearly all "same") in batches of 200, one after
	// another and then from benchStagers goroutines, as the fetch activity keeps several batches
	// in flight. The first run is failed unapplied; the second is applied, and must find
	// nothing to do.
	day = day.AddDays(1)
	resync := benchPeople(day)
	for k := range benchChanged {
		i := k * (benchEmployees / benchChanged)
		resync[i] = changed[i]
		resync[i].Raw = benchRaw(&resync[i], day)
	}
	batches := (len(resync) + benchBatch - 1) / benchBatch
	stageResync := func(name, key string, stagers int) (store.Run, time.Duration) {
		run, err := s.StartRun(ctx, store.RunRequest{Tenant: tenant, RequestKey: key, Kind: store.RunScheduled, AsOf: day, FullRead: true})
		benchNoError(b, err, name+": start run")
		benchCheckpoint(ctx, pool)
		seqs := make(chan int, batches)
		for seq := range batches {
			seqs <- seq
		}
		close(seqs)
		errs := make([]error, stagers)
		var wg sync.WaitGroup
		b.StartTimer()
		start := time.Now()
		for g := range stagers {
			wg.Go(func() {
				for seq := range seqs {
					batch := resync[seq*benchBatch : min(len(resync), (seq+1)*benchBatch)]
					if err := s.StageEmployees(ctx, run.ID, seq, batch, nil); err != nil {
						errs[g] = err
						return
					}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		for _, err := range errs {
			benchNoError(b, err, name+": stage")
		}
		add(fmt.Sprintf("%s (%.0f batches/s)", name, float64(batches)/elapsed.Seconds()), len(resync), elapsed)
		return run, elapsed
	}
	serialRun, serial := stageResync("resync: stage, 1 at a time", fmt.Sprintf("bench-%d-resync-serial", iter), 1)
	benchNoError(b, s.FailRun(ctx, serialRun.ID, "benchmark: staged only"), "fail the serially staged run")
	parallelRun, parallel := stageResync(fmt.Sprintf("resync: stage, %d at a time", benchStagers),
		fmt.Sprintf("bench-%d-resync-parallel", iter), benchStagers)
	resynced, err := s.Apply(ctx, parallelRun.ID, store.ApplyOptions{})
	benchNoError(b, err, "resync: apply")
	benchExpect(b, "resync", resynced, store.Counts{Fetched: benchEmployees, Unchanged: benchEmployees}, 0)
	benchNoError(b, s.DropStaging(ctx, parallelRun.ID), "resync: drop staging")

	// The table and the targets.
	var out strings.Builder
	fmt.Fprintf(&out, "store apply benchmark: %d employees, raw jsonb %.0f bytes each on average, staged in batches of %d\n",
		benchEmployees, float64(rawBytes)/benchEmployees, benchBatch)
	fmt.Fprintf(&out, "%-44s %8s %9s %10s %9s\n", "what", "rows", "seconds", "rows/s", "× floor")
	for _, l := range lines {
		fmt.Fprintf(&out, "%-44s %8d %9.3f %10.0f %9.2f\n", l.what, l.rows, l.elapsed.Seconds(),
			float64(l.rows)/l.elapsed.Seconds(), l.elapsed.Seconds()/floor.Seconds())
	}
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	applyVsFloor := base.apply.Seconds() / floor.Seconds()
	naiveVsApply := naive.Seconds() / base.apply.Seconds()
	oneVsBase := one.apply.Seconds() / base.apply.Seconds()
	fmt.Fprintf(&out, "resync staging: %.0f batches/s %d at a time, %.0f one at a time (%.2f× faster)\n",
		float64(batches)/parallel.Seconds(), benchStagers, float64(batches)/serial.Seconds(), serial.Seconds()/parallel.Seconds())
	out.WriteString("targets:\n")
	fmt.Fprintf(&out, "  baseline Apply ≤ 2× raw COPY:                 %.2f× (%.3fs vs %.3fs)  %s\n",
		applyVsFloor, base.apply.Seconds(), floor.Seconds(), met(applyVsFloor <= 2))
	fmt.Fprintf(&out, "  baseline Apply ≥ 7× faster than naive loop:  %.1f× faster (%.3fs vs %.3fs)  %s\n",
		naiveVsApply, base.apply.Seconds(), naive.Seconds(), met(naiveVsApply >= 7))
	fmt.Fprintf(&out, "  1%%-changed Apply ≤ 10%% of baseline Apply:    %.1f%% (%.3fs vs %.3fs)  %s\n",
		100*oneVsBase, one.apply.Seconds(), base.apply.Seconds(), met(oneVsBase <= 0.10))
	fmt.Fprintf(&out, "  nothing-changed run writes 0 employee rows:  %d rows written, %d changes  %s\n",
		written, changes, met(written == 0 && changes == 0))
	fmt.Print("\n" + out.String())

	b.ReportMetric(floor.Seconds(), "floor-s")
	b.ReportMetric(base.apply.Seconds(), "baseline-apply-s")
	b.ReportMetric(applyVsFloor, "apply/floor")
	b.ReportMetric(naiveVsApply, "naive/apply")
	b.ReportMetric(100*oneVsBase, "changed-apply-%")
	b.ReportMetric(none.apply.Seconds(), "unchanged-apply-s")
	b.ReportMetric(float64(batches)/serial.Seconds(), "serial-batches/s")
	b.ReportMetric(float64(batches)/parallel.Seconds(), "parallel-batches/s")
	if written != 0 || changes != 0 {
		b.Fatalf("the nothing-changed run wrote %d employee rows and %d changes, want none", written, changes)
	}
}

// benchPeople is the tenant as HiBob returns it on day: person(i) with a raw object of about 1 KB.
func benchPeople(day model.Date) []model.Employee {
	out := make([]model.Employee, benchEmployees)
	for i := range out {
		out[i] = person(i)
		out[i].Raw = benchRaw(&out[i], day)
	}
	return out
}

// benchRaw is an employee object shaped like HiBob's /people/search answer with humanReadable:
// nested sections, "/section/field" keys, the humanReadable mirror, and the values HiBob
// computes from the clock (tenure, age, a signed avatar URL), which change every day.
func benchRaw(e *model.Employee, day model.Date) json.RawMessage {
	tenureDays := int(day.Time().Sub(e.StartDate.Time()).Hours() / 24)
	years := tenureDays / 365
	sig := sha256.Sum256([]byte(e.ID + day.String()))
	raw := fmt.Sprintf(`{"id":%q,"firstName":%q,"surname":%q,"email":%q,"displayName":%q,`+
		`"companyId":636192,"creationDateTime":"2024-03-27T09:12:25.002884",`+
		`"avatarUrl":"https://media.hibob.com/avatars/%s.png?sig=%x",`+
		`"work":{"startDate":%q,"originalStartDate":%q,"manager":"3332883909410030364","department":%q,"title":%q,`+
		`"site":%q,"siteId":2510068,"isManager":false,"tenureYears":%d,"yearsOfService":%.3f,`+
		`"tenureDuration":{"periodISO":"P%dY","sortFactor":%d,"humanize":"%d years"}},`+
		`"personal":{"shortBirthDate":%q,"age":%d},"home":{"privateEmail":%q,"mobilePhone":null},`+
		`"address":{"line1":%q,"city":%q,"postCode":%q,"country":%q},`+
		`"internal":{"status":%q,"lifecycleStatus":%q,"terminationDate":null},`+
		`"/root/id":{"value":%q},"/root/email":{"value":%q},"/work/startDate":{"value":%q},`+
		`"/address/line1":{"value":%q},`+
		`"humanReadable":{"id":%q,"displayName":%q,"email":%q,"work":{"department":%q,"site":%q,"startDate":%q},`+
		`"internal":{"status":%q,"lifecycleStatus":%q},"address":{"country":%q}}}`,
		e.ID, e.FirstName, e.Surname, e.WorkEmail, e.DisplayName,
		e.ID, sig[:8],
		e.StartDate, e.OriginalStartDate, e.Department.Value, e.Title.Value,
		e.Site.Value, years, float64(tenureDays)/365, years, tenureDays, years,
		e.Birthday.String(), 30+years, e.PersonalEmail,
		e.HomeAddress.Line1, e.HomeAddress.City, e.HomeAddress.PostCode, e.HomeAddress.Country.Value,
		e.AccessStatus.Value, e.LifecycleStatus.Value,
		e.ID, e.WorkEmail, e.StartDate, e.HomeAddress.Line1,
		e.ID, e.DisplayName, e.WorkEmail, e.Department.Label, e.Site.Label,
		e.StartDate.Time().Format("02/01/2006"), e.AccessStatus.Value, e.LifecycleStatus.Label,
		e.HomeAddress.Country.Label)
	return json.RawMessage(raw)
}

// benchColumns are the employees table's gifting columns with the value each stores, as
// StageEmployees stores them (empty as NULL). benchCheckColumns keeps the list honest.
var benchColumns = []struct {
	name  string
	value func(e *model.Employee) any
}{
	{"first_name", func(e *model.Employee) any { return benchText(e.FirstName) }},
	{"surname", func(e *model.Employee) any { return benchText(e.Surname) }},
	{"display_name", func(e *model.Employee) any { return benchText(e.DisplayName) }},
	{"work_email", func(e *model.Employee) any { return benchText(e.WorkEmail) }},
	{"personal_email", func(e *model.Employee) any { return benchText(e.PersonalEmail) }},
	{"birthday", func(e *model.Employee) any { return benchText(e.Birthday.String()) }},
	{"birth_date", func(e *model.Employee) any { return benchDate(e.BirthDate) }},
	{"start_date", func(e *model.Employee) any { return benchDate(e.StartDate) }},
	{"original_start_date", func(e *model.Employee) any { return benchDate(e.OriginalStartDate) }},
	{"title", func(e *model.Employee) any { return benchText(e.Title.Value) }},
	{"title_label", func(e *model.Employee) any { return benchText(e.Title.Label) }},
	{"department", func(e *model.Employee) any { return benchText(e.Department.Value) }},
	{"department_label", func(e *model.Employee) any { return benchText(e.Department.Label) }},
	{"site", func(e *model.Employee) any { return benchText(e.Site.Value) }},
	{"site_label", func(e *model.Employee) any { return benchText(e.Site.Label) }},
	{"manager_id", func(e *model.Employee) any { return benchText(e.ManagerID) }},
	{"access_status", func(e *model.Employee) any { return benchText(e.AccessStatus.Value) }},
	{"access_status_label", func(e *model.Employee) any { return benchText(e.AccessStatus.Label) }},
	{"lifecycle_status", func(e *model.Employee) any { return benchText(e.LifecycleStatus.Value) }},
	{"lifecycle_status_label", func(e *model.Employee) any { return benchText(e.LifecycleStatus.Label) }},
	{"lifecycle_class", func(e *model.Employee) any {
		return benchText(string(model.ClassifyLifecycle(e.LifecycleStatus.Value)))
	}},
	{"termination_date", func(e *model.Employee) any { return benchDate(e.TerminationDate) }},
	{"last_day_of_work", func(e *model.Employee) any { return benchDate(e.LastDayOfWork) }},
	{"home_line1", func(e *model.Employee) any { return benchText(e.HomeAddress.Line1) }},
	{"home_line2", func(e *model.Employee) any { return benchText(e.HomeAddress.Line2) }},
	{"home_city", func(e *model.Employee) any { return benchText(e.HomeAddress.City) }},
	{"home_post_code", func(e *model.Employee) any { return benchText(e.HomeAddress.PostCode) }},
	{"home_state", func(e *model.Employee) any { return benchText(e.HomeAddress.State) }},
	{"home_country", func(e *model.Employee) any { return benchText(e.HomeAddress.Country.Value) }},
	{"home_country_label", func(e *model.Employee) any { return benchText(e.HomeAddress.Country.Label) }},
	{"site_line1", func(e *model.Employee) any { return benchText(e.SiteAddress.Line1) }},
	{"site_line2", func(e *model.Employee) any { return benchText(e.SiteAddress.Line2) }},
	{"site_city", func(e *model.Employee) any { return benchText(e.SiteAddress.City) }},
	{"site_post_code", func(e *model.Employee) any { return benchText(e.SiteAddress.PostCode) }},
	{"site_state", func(e *model.Employee) any { return benchText(e.SiteAddress.State) }},
	{"site_country", func(e *model.Employee) any { return benchText(e.SiteAddress.Country.Value) }},
	{"site_country_label", func(e *model.Employee) any { return benchText(e.SiteAddress.Country.Label) }},
}

// benchBookkeeping are the employees table's other columns the floor and the naive loop fill
// (removed_at and removed_run_id stay NULL, as for a new employee).
var benchBookkeeping = []string{"hidden", "raw", "hash", "hire_announced", "first_run_id", "last_run_id"}

func benchAllColumns() []string {
	cols := []string{"tenant_key", "employee_id"}
	for _, c := range benchColumns {
		cols = append(cols, c.name)
	}
	return append(cols, benchBookkeeping...)
}

// benchRow is the employees row of e, in benchAllColumns' order, with what Apply would store.
func benchRow(tenant model.TenantKey, e *model.Employee) []any {
	row := make([]any, 0, len(benchColumns)+8)
	row = append(row, string(tenant), e.ID)
	for _, c := range benchColumns {
		row = append(row, c.value(e))
	}
	hidden := e.Hidden
	if hidden == nil {
		hidden = []string{}
	}
	c := *e
	c.Raw = nil
	content, _ := json.Marshal(c)
	hash := sha256.Sum256(content)
	return append(row, hidden, string(e.Raw), hash[:], true, int64(1), int64(1))
}

// benchCheckColumns fails when the employees table has columns the benchmark does not fill, so
// the floor keeps measuring the rows Apply writes.
func benchCheckColumns(b *testing.B, ctx context.Context, pool *pgxpool.Pool) {
	rows, err := pool.Query(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'employees'`)
	benchNoError(b, err, "read the employees columns")
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	benchNoError(b, err, "read the employees columns")
	want := append(benchAllColumns(), "removed_at", "removed_run_id")
	slices.Sort(have)
	slices.Sort(want)
	if !slices.Equal(have, want) {
		b.Fatalf("the employees table has columns %v; the benchmark fills %v: update benchColumns", have, want)
	}
}

// benchEnvExplain, when set, logs the plan and timing of every statement of the benchmark that
// takes 50 ms or more (auto_explain, with ANALYZE and BUFFERS) to the Postgres server's log.
const benchEnvExplain = "HIBOBSYNC_BENCH_EXPLAIN"

func benchExplain(b *testing.B, ctx context.Context, pool *pgxpool.Pool) {
	var db string
	benchNoError(b, pool.QueryRow(ctx, "SELECT current_database()").Scan(&db), "read the database name")
	for _, set := range []string{"session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 50",
		"auto_explain.log_analyze = on", "auto_explain.log_buffers = on", "auto_explain.log_nested_statements = on",
		"log_min_duration_statement = 50"} {
		_, err := pool.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" SET "+set)
		benchNoError(b, err, benchEnvExplain+": "+set)
	}
	pool.Reset() // new connections take the settings
	fmt.Printf("%s: plans of statements over 50 ms go to the server's log (database %s)\n", benchEnvExplain, db)
}

// benchCheckpoint flushes what earlier steps wrote, so no step pays for another's checkpoint.
// It needs a superuser; without one the timings are only noisier.
func benchCheckpoint(ctx context.Context, pool *pgxpool.Pool) {
	_, _ = pool.Exec(ctx, "CHECKPOINT")
}

func benchExpect(b *testing.B, name string, run store.Run, counts store.Counts, changes int) {
	b.Helper()
	if run.Status != store.RunApplied || run.Counts != counts || run.Changes != changes {
		b.Fatalf("%s run: status %s, counts %+v, %d changes; want applied, %+v, %d changes",
			name, run.Status, run.Counts, run.Changes, counts, changes)
	}
}

func benchNoError(b *testing.B, err error, what string) {
	b.Helper()
	if err != nil {
		b.Fatalf("%s: %v", what, err)
	}
}

func benchText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func benchDate(d model.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.Time()
}
