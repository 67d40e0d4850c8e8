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

// copyFloor is the second floor: one pgx CopyFrom of the tenant's employee rows, as the sync
// stored them, into an empty table like employees (its indexes included). It returns the COPY's
// time and the rows copied.
func (e *env) copyFloor(tenant model.TenantKey) (time.Duration, int) {
	pool := e.st.Pool()
	rows, err := pool.Query(e.ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'employees' ORDER BY ordinal_position`)
	e.noError(err, "COPY floor: read the employees columns")
	var cols, exprs []string
	for rows.Next() {
		var name, typ string
		e.noError(rows.Scan(&name, &typ), "COPY floor: read the employees columns")
		cols = append(cols, name)
		expr := pgx.Identifier{name}.Sanitize()
		if typ == "jsonb" { // as text, the bytes a COPY sends
			expr += "::text"
		}
		exprs = append(exprs, expr)
	}
	e.noError(rows.Err(), "COPY floor: read the employees columns")

	rows, err = pool.Query(e.ctx, fmt.Sprintf("SELECT %s FROM employees WHERE tenant_key = $1", strings.Join(exprs, ", ")), tenant)
	e.noError(err, "COPY floor: read the rows")
	var data [][]any
	for rows.Next() {
		v, err := rows.Values()
		e.noError(err, "COPY floor: read the rows")
		data = append(data, v)
	}
	e.noError(rows.Err(), "COPY floor: read the rows")

	const table = "bench_copy_floor"
	_, err = pool.Exec(e.ctx, "CREATE TABLE "+table+" (LIKE employees INCLUDING ALL)")
	e.noError(err, "COPY floor: create the table")
	_, _ = pool.Exec(e.ctx, "CHECKPOINT") // no checkpoint of earlier writes inside the timing (needs a superuser)
	start := time.Now()
	n, err := pool.CopyFrom(e.ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(data))
	elapsed := time.Since(start)
	e.noError(err, "COPY floor: COPY")
	_, err = pool.Exec(e.ctx, "DROP TABLE "+table)
	e.noError(err, "COPY floor: drop the table")
	if int(n) != len(data) || len(data) != bigEmployees {
		e.b.Fatalf("COPY floor: %d of %d rows copied, want %d", n, len(data), bigEmployees)
	}
	return elapsed, int(n)
}
