package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"hibobsync/hibob"
	"hibobsync/hibob/simulator"
	"hibobsync/model"
)

// fetchFloor is the first floor of the full sync: the requests a sync makes, from a plain loop.
type fetchFloor struct {
	elapsed     time.Duration
	requests    int
	employees   int
	historyRows int
}

// fetchFloor fetches what a sync fetches with the hibob client over HTTP, one request after
// another, unpaced, keeping nothing: the employee listing, every batch of 200, and the three
// history tables paged to the end.
func (e *env) fetchFloor(user simulator.ServiceUser) fetchFloor {
	c, err := hibob.New(hibob.NewCredentials(user.ID, user.Token), hibob.WithBaseURL(e.simURL), hibob.WithPacer(nil))
	e.noError(err, "fetch floor: make a client")
	var f fetchFloor
	start := time.Now()
	listing, err := c.ListEmployeeIDs(e.ctx)
	e.noError(err, "fetch floor: list the employees")
	f.requests++
	for _, batch := range hibob.Batches(listing.IDs, hibob.MaxBatch) {
		got, err := c.FetchEmployees(e.ctx, batch)
		e.noError(err, "fetch floor: fetch a batch")
		f.requests++
		f.employees += len(got.Employees)
	}
	for _, t := range model.HistoryTables {
		for page, err := range c.History(e.ctx, t, hibob.HistoryQuery{Limit: hibob.MaxHistoryLimit}) {
			e.noError(err, "fetch floor: page the "+string(t)+" history")
			f.requests++
			f.historyRows += len(page.Entries)
		}
	}
	f.elapsed = time.Since(start)
	if f.employees != bigEmployees {
		e.b.Fatalf("fetch floor: %d employees fetched, want %d", f.employees, bigEmployees)
	}
	return f
}

// copyFloor is the second floor: a raw COPY of every row the sync stored for the tenant — its
// employees and their history rows — each table by one pgx CopyFrom into an empty table like it
// (indexes included). It returns the COPYs' time and the rows copied.
func (e *env) copyFloor(tenant model.TenantKey) (time.Duration, int) {
	var elapsed time.Duration
	rows := 0
	for _, table := range []string{"employees", "employee_history"} {
		d, n := e.copyTable(table, tenant)
		if table == "employees" && n != bigEmployees {
			e.b.Fatalf("COPY floor: %d employee rows, want %d", n, bigEmployees)
		}
		elapsed += d
		rows += n
	}
	return elapsed, rows
}

// copyTable times one COPY of the tenant's rows of table into an empty copy of it.
func (e *env) copyTable(table string, tenant model.TenantKey) (time.Duration, int) {
	pool := e.st.Pool()
	rows, err := pool.Query(e.ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	e.noError(err, "COPY floor: read the "+table+" columns")
	var cols, exprs []string
	for rows.Next() {
		var name, typ string
		e.noError(rows.Scan(&name, &typ), "COPY floor: read the "+table+" columns")
		cols = append(cols, name)
		expr := pgx.Identifier{name}.Sanitize()
		if typ == "jsonb" { // as text, the bytes a COPY sends
			expr += "::text"
		}
		exprs = append(exprs, expr)
	}
	e.noError(rows.Err(), "COPY floor: read the "+table+" columns")

	rows, err = pool.Query(e.ctx, fmt.Sprintf("SELECT %s FROM %s WHERE tenant_key = $1", strings.Join(exprs, ", "), table), tenant)
	e.noError(err, "COPY floor: read the "+table+" rows")
	var data [][]any
	for rows.Next() {
		v, err := rows.Values()
		e.noError(err, "COPY floor: read the "+table+" rows")
		data = append(data, v)
	}
	e.noError(rows.Err(), "COPY floor: read the "+table+" rows")
	if len(data) == 0 {
		e.b.Fatalf("COPY floor: the sync stored no %s rows", table)
	}

	floor := "bench_copy_floor_" + table
	_, err = pool.Exec(e.ctx, fmt.Sprintf("CREATE TABLE %s (LIKE %s INCLUDING ALL)", floor, table))
	e.noError(err, "COPY floor: create "+floor)
	_, _ = pool.Exec(e.ctx, "CHECKPOINT") // no checkpoint of earlier writes inside the timing (needs a superuser)
	start := time.Now()
	n, err := pool.CopyFrom(e.ctx, pgx.Identifier{floor}, cols, pgx.CopyFromRows(data))
	elapsed := time.Since(start)
	e.noError(err, "COPY floor: COPY into "+floor)
	_, err = pool.Exec(e.ctx, "DROP TABLE "+floor)
	e.noError(err, "COPY floor: drop "+floor)
	if int(n) != len(data) {
		e.b.Fatalf("COPY floor: %d of %d %s rows copied", n, len(data), table)
	}
	return elapsed, int(n)
}
