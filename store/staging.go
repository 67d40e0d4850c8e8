package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hibobsync/model"
)

// Parts of a run that staging records, beside the history table names.
const (
	partEmployees = "employees"
	partListing   = "listing"
)

// States staging gives a row, against the tenant's stored rows (see migration 00003).
const (
	stateNew      = "new"
	stateSame     = "same"
	stateChanged  = "changed"
	stateRestored = "restored"
)

// Staging is per run. Each staging table is LIST-partitioned by run_id; a run's partition is
// itself partitioned by the row's state, so that apply reads only the rows that change
// something, and the planner sees those partitions' true sizes:
//
//	staged_employees_r<ID>          → _same, _new, _changed (changed and restored)
//	staged_history_r<ID>            → _same, _pending (new and changed)
//	staged_rejections_r<ID>
//	staged_batches_r<ID>            one row per employee batch: its IDs' hashes
//
// The leaves are UNLOGGED: a Postgres crash empties them, which apply detects from the logged
// sync_run_parts. Dropping a run's staging drops its partitions.
type staging struct {
	employees, employeesSame, employeesNew, employeesChanged string
	history, historySame, historyPending                     string
	rejections, batches                                      string
}

func stagingOf(runID int64) staging {
	e := fmt.Sprintf("staged_employees_r%d", runID)
	h := fmt.Sprintf("staged_history_r%d", runID)
	return staging{
		employees: e, employeesSame: e + "_same", employeesNew: e + "_new", employeesChanged: e + "_changed",
		history: h, historySame: h + "_same", historyPending: h + "_pending",
		rejections: fmt.Sprintf("staged_rejections_r%d", runID),
		batches:    fmt.Sprintf("staged_batches_r%d", runID),
	}
}

// sql fills a statement's table placeholders ({E}, {E_same}, {E_new}, {E_changed}, {H},
// {H_same}, {H_pending}, {R}, {B}) with the run's partitions.
func (st staging) sql(q string) string {
	return strings.NewReplacer("{E}", st.employees, "{E_same}", st.employeesSame, "{E_new}", st.employeesNew,
		"{E_changed}", st.employeesChanged, "{H}", st.history, "{H_same}", st.historySame,
		"{H_pending}", st.historyPending, "{R}", st.rejections, "{B}", st.batches).Replace(q)
}

// The run ID is a bigint, so the names and the partition bounds need no quoting. Autovacuum
// leaves the leaves alone: they live minutes, are read through their indexes, and a vacuum or
// analyze of them would only hold up their drop.
const sqlCreateStaging = `
CREATE TABLE IF NOT EXISTS {E} PARTITION OF staged_employees FOR VALUES IN ({ID}) PARTITION BY LIST (state);
CREATE UNLOGGED TABLE IF NOT EXISTS {E_same} PARTITION OF {E} FOR VALUES IN ('same') WITH (autovacuum_enabled = off);
CREATE UNLOGGED TABLE IF NOT EXISTS {E_new} PARTITION OF {E} FOR VALUES IN ('new') WITH (autovacuum_enabled = off);
CREATE UNLOGGED TABLE IF NOT EXISTS {E_changed} PARTITION OF {E} FOR VALUES IN ('changed', 'restored') WITH (autovacuum_enabled = off);
CREATE TABLE IF NOT EXISTS {H} PARTITION OF staged_history FOR VALUES IN ({ID}) PARTITION BY LIST (state);
CREATE UNLOGGED TABLE IF NOT EXISTS {H_same} PARTITION OF {H} FOR VALUES IN ('same') WITH (autovacuum_enabled = off);
CREATE UNLOGGED TABLE IF NOT EXISTS {H_pending} PARTITION OF {H} FOR VALUES IN ('new', 'changed') WITH (autovacuum_enabled = off);
CREATE UNLOGGED TABLE IF NOT EXISTS {R} PARTITION OF staged_rejections FOR VALUES IN ({ID}) WITH (autovacuum_enabled = off);
CREATE UNLOGGED TABLE IF NOT EXISTS {B} PARTITION OF staged_batches FOR VALUES IN ({ID}) WITH (autovacuum_enabled = off);`

// createStaging makes the run's partitions, idempotently. Creating a partition locks its
// parent briefly; partitions that exist already are skipped without taking that lock.
func createStaging(ctx context.Context, tx pgx.Tx, runID int64) error {
	st := stagingOf(runID)
	have := func() (bool, error) {
		var ok bool
		err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL`,
			st.employeesChanged, st.rejections, st.batches).Scan(&ok)
		return ok, err
	}
	// The run's lock only while creating: once they exist, the parts of a run stage side by side.
	if ok, err := have(); err != nil || ok {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, runID); err != nil {
		return err
	}
	if ok, err := have(); err != nil || ok {
		return err
	}
	_, err := tx.Exec(ctx, strings.ReplaceAll(st.sql(sqlCreateStaging), "{ID}", fmt.Sprint(runID)), pgx.QueryExecModeSimpleProtocol)
	return err
}

// ensureStaging creates a running run's partitions when they are missing (a run started before
// staging was partitioned, or before it recorded the batches' IDs, say).
func (s *Store) ensureStaging(ctx context.Context, runID int64) error {
	var missing bool
	st := stagingOf(runID)
	err := s.pool.QueryRow(ctx, `SELECT status = 'running' AND (to_regclass($2) IS NULL OR to_regclass($3) IS NULL) FROM sync_runs WHERE id = $1`,
		runID, st.rejections, st.batches).Scan(&missing)
	if err != nil || !missing {
		return nil // an unknown run is reported by the caller
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return createStaging(ctx, tx, runID) })
}

// StageEmployees stores one fetched batch of a run (seq is the batch number), with the rows
// the fetch refused. Staging the same batch again replaces it, so a retried fetch activity
// leaves exactly one copy, even when it overlaps the attempt it retries. A run's batches stage
// side by side.
//
// Each row is classified here, against the tenant's stored employees (by primary key, for the
// batch's IDs only): new, same, changed or restored. An ID the batch holds more than once marks
// every copy a duplicate; an ID two batches hold is marked by apply (markDuplicates), which
// refuses every copy.
func (s *Store) StageEmployees(ctx context.Context, runID int64, seq int, employees []model.Employee, rejected []model.Rejection) error {
	return s.stagePart(ctx, runID, partEmployees, seq, len(employees), rejected, func(ctx context.Context, tx pgx.Tx, r stagingRun) (partCounts, error) {
		return stageEmployeeRows(ctx, tx, r, seq, employees)
	})
}

// planNow makes a staging statement planned for its arguments each time, never from a cached
// generic plan: the tables it reads grow from empty while a run stages (its partition) or
// between runs (the tenant's employees), and a plan made when they were empty scans them.
const planNow = pgx.QueryExecModeExec

// stagingRun is what a staging transaction knows of its run.
type stagingRun struct {
	id     int64
	tenant model.TenantKey
	asOf   time.Time
	st     staging
}

// partCounts are a staged part's figures, recorded in sync_run_parts.
type partCounts struct {
	new, same, changed, restored int
	version                      *int64 // the tenant's apply_version the rows were classified against
}

func stageEmployeeRows(ctx context.Context, tx pgx.Tx, r stagingRun, seq int, employees []model.Employee) (partCounts, error) {
	var pc partCounts
	ids := make([]string, len(employees))
	for i := range employees {
		ids[i] = employees[i].ID
	}
	// The stored rows and the version they are at, in one statement (one snapshot): an apply
	// committing after it bumps the version, and apply then reclassifies.
	var version int64
	var storedIDs []string
	var storedHashes [][]byte
	var storedRemoved []bool
	if err := tx.QueryRow(ctx, sqlClassifyEmployees, planNow, r.tenant, ids).Scan(&version, &storedIDs, &storedHashes, &storedRemoved); err != nil {
		return pc, fmt.Errorf("classify: %w", err)
	}
	pc.version = &version
	// The hashes of the batch's IDs, for apply to tell whether two batches hold one
	// (markDuplicates).
	hashes := make([]int64, len(ids))
	for i, id := range ids {
		hashes[i] = idHash(id)
	}
	if _, err := tx.Exec(ctx, r.st.sql(`
INSERT INTO {B} (run_id, seq, id_hashes) VALUES ($1, $2, $3)
ON CONFLICT (run_id, seq) DO UPDATE SET id_hashes = EXCLUDED.id_hashes`), planNow, r.id, int32(seq), hashes); err != nil {
		return pc, fmt.Errorf("record the batch's IDs: %w", err)
	}
	if len(employees) == 0 {
		return pc, nil
	}
	type storedRow struct {
		hash    []byte
		removed bool
	}
	stored := make(map[string]storedRow, len(storedIDs))
	for i, id := range storedIDs {
		stored[id] = storedRow{storedHashes[i], storedRemoved[i]}
	}
	// Duplicates within the batch. Those across batches are apply's to find: the batches stage
	// concurrently, and neither of two sees the other's rows before it commits.
	copies := make(map[string]int, len(ids))
	for _, id := range ids {
		copies[id]++
	}

	out := make([][]any, len(employees))
	for i := range employees {
		e := &employees[i]
		hash := employeeHash(e)
		state := stateNew
		if st, ok := stored[e.ID]; ok {
			switch {
			case st.removed:
				state = stateRestored
			case bytes.Equal(st.hash, hash):
				state = stateSame
			default:
				state = stateChanged
			}
		}
		pc.count(state)
		row := make([]any, 0, len(employeeColumns)+8)
		row = append(row, r.id, int32(seq), e.ID)
		for _, c := range employeeColumns {
			row = append(row, c.value(e))
		}
		hidden := e.Hidden
		if hidden == nil {
			hidden = []string{}
		}
		raw := e.Raw
		if len(raw) == 0 {
			raw = []byte("{}")
		}
		rawJSON, rawText := stagedRaw(raw, state)
		out[i] = append(row, hidden, rawJSON, rawText, hash, state, copies[e.ID] > 1)
	}
	columns := append([]string{"run_id", "seq", "employee_id"}, employeeColumnNames("")...)
	columns = append(columns, "hidden", "raw", "raw_text", "hash", "state", "duplicate")
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{r.st.employees}, columns, pgx.CopyFromRows(out)); err != nil {
		return pc, err
	}
	return pc, nil
}

// idHash is an employee ID's 64-bit FNV-1a hash, as staged_batches records it. Two IDs that
// share one (about one run in 10^9 of 100,000 employees) only make apply count the staged rows.
func idHash(id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return int64(h.Sum64())
}

// stagedRaw is a staged row's raw object: jsonb (raw) when apply will write the row, text
// (raw_text) when the row is the same as the stored one. Postgres parses jsonb on the way in
// (about a third of a resync's staging time, with raw objects of 1.4 KB), and apply writes a
// same row only when it turns out changed after all, casting its raw_text then.
func stagedRaw(raw []byte, state string) (rawJSON, rawText any) {
	if state == stateSame {
		return nil, string(raw)
	}
	return string(raw), nil
}

func (pc *partCounts) count(state string) {
	switch state {
	case stateNew:
		pc.new++
	case stateSame:
		pc.same++
	case stateChanged:
		pc.changed++
	case stateRestored:
		pc.restored++
	}
}

// StageHistory stores one fetched page of a history table (seq is the page number). Each row
// is classified against the tenant's stored history rows (by primary key): new, same or changed.
func (s *Store) StageHistory(ctx context.Context, runID int64, table model.HistoryTable, seq int, entries []model.HistoryEntry) error {
	if !slices.Contains(model.HistoryTables, table) {
		return fmt.Errorf("store: %q is not a history table the sync reads", table)
	}
	for i := range entries {
		if entries[i].Table != table {
			return fmt.Errorf("store: run %d: a %s row staged as %s", runID, entries[i].Table, table)
		}
	}
	return s.stagePart(ctx, runID, string(table), seq, len(entries), nil, func(ctx context.Context, tx pgx.Tx, r stagingRun) (partCounts, error) {
		return stageHistoryRows(ctx, tx, r, table, seq, entries)
	})
}

type historyKey struct {
	employee string
	entry    int64
}

func stageHistoryRows(ctx context.Context, tx pgx.Tx, r stagingRun, table model.HistoryTable, seq int, entries []model.HistoryEntry) (partCounts, error) {
	var pc partCounts
	employees := make([]string, len(entries))
	entryIDs := make([]int64, len(entries))
	copies := make(map[historyKey]int, len(entries))
	for i := range entries {
		employees[i], entryIDs[i] = entries[i].EmployeeID, entries[i].EntryID
		copies[historyKey{employees[i], entryIDs[i]}]++
	}
	pageEmployees := slices.Compact(slices.Sorted(slices.Values(employees)))
	var version int64
	var storedEmployees []string
	var storedEntries []int64
	var storedHashes [][]byte
	if err := tx.QueryRow(ctx, sqlClassifyHistory, planNow, r.tenant, string(table), pageEmployees).Scan(
		&version, &storedEmployees, &storedEntries, &storedHashes); err != nil {
		return pc, fmt.Errorf("classify: %w", err)
	}
	pc.version = &version
	if len(entries) == 0 {
		return pc, nil
	}
	stored := make(map[historyKey][]byte, len(storedEntries))
	for i := range storedEntries {
		stored[historyKey{storedEmployees[i], storedEntries[i]}] = storedHashes[i]
	}
	// The same entry on another page of the run (HiBob's pages shifted under the read): every
	// copy is marked, and apply keeps the latest page's. HiBob pages in employee order, so a
	// page whose employees all come after every employee staged so far repeats nothing, and
	// one look at the largest staged ID spares the lookup of each row (IDs are 19 digits, so
	// Postgres orders them as Go does).
	var lastStaged *string
	if err := tx.QueryRow(ctx, r.st.sql(`SELECT max(employee_id) FROM {H} WHERE history_table = $1`), planNow, string(table)).Scan(&lastStaged); err != nil {
		return pc, err
	}
	var elsewhere []historyKey
	if lastStaged != nil && pageEmployees[0] <= *lastStaged {
		rows, err := tx.Query(ctx, r.st.sql(`
SELECT h.employee_id, h.entry_id FROM {H} h
JOIN unnest($2::text[], $3::bigint[]) k(employee_id, entry_id) ON h.employee_id = k.employee_id AND h.entry_id = k.entry_id
WHERE h.history_table = $1`), planNow, string(table), employees, entryIDs)
		if err != nil {
			return pc, err
		}
		if elsewhere, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (historyKey, error) {
			var k historyKey
			return k, row.Scan(&k.employee, &k.entry)
		}); err != nil {
			return pc, err
		}
	}
	if len(elsewhere) > 0 {
		ke := make([]string, len(elsewhere))
		kn := make([]int64, len(elsewhere))
		for i, k := range elsewhere {
			ke[i], kn[i] = k.employee, k.entry
			copies[k]++
		}
		if _, err := tx.Exec(ctx, r.st.sql(`
UPDATE {H} h SET repeated = true
FROM unnest($2::text[], $3::bigint[]) k(employee_id, entry_id)
WHERE h.history_table = $1 AND h.employee_id = k.employee_id AND h.entry_id = k.entry_id AND NOT h.repeated`),
			planNow, string(table), ke, kn); err != nil {
			return pc, err
		}
	}
	asOf := model.DateOf(r.asOf)
	out := make([][]any, len(entries))
	for i := range entries {
		h := &entries[i]
		raw := h.Raw
		if len(raw) == 0 {
			raw = []byte("{}")
		}
		hash := historyHash(h)
		state := stateNew
		if old, ok := stored[historyKey{h.EmployeeID, h.EntryID}]; ok {
			state = stateChanged
			if bytes.Equal(old, hash) {
				state = stateSame
			}
		}
		pc.count(state)
		class := model.ClassifyLifecycle(h.Status)
		rawJSON, rawText := stagedRaw(raw, state)
		terminates := table == model.Lifecycle && class == model.StatusTerminated &&
			!h.EffectiveDate.IsZero() && (h.EffectiveDate.After(asOf) || h.IsCurrent)
		out[i] = []any{r.id, int32(seq), string(table), h.EmployeeID, h.EntryID, date(h.EffectiveDate), date(h.EndEffectiveDate),
			h.IsCurrent, text(h.Status), text(string(class)), text(h.EmployeeStatus), text(h.Reason),
			text(h.Title), text(h.Department), text(h.Site), text(h.ReportsToID), text(h.EmploymentType), text(h.Contract),
			rawJSON, rawText, hash, state, copies[historyKey{h.EmployeeID, h.EntryID}] > 1, terminates}
	}
	columns := []string{"run_id", "seq", "history_table", "employee_id", "entry_id", "effective_date", "end_effective_date",
		"is_current", "status", "lifecycle_class", "employee_status", "reason", "title", "department", "site",
		"reports_to_id", "employment_type", "contract", "raw", "raw_text", "hash", "state", "repeated", "terminates"}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{r.st.history}, columns, pgx.CopyFromRows(out)); err != nil {
		return pc, err
	}
	return pc, nil
}

// RecordListing stores how many employees the run's ID listing found and the entries it refused.
func (s *Store) RecordListing(ctx context.Context, runID int64, listed int, rejected []model.Rejection) error {
	return s.stagePart(ctx, runID, partListing, 0, listed, rejected, nil)
}

// stageRows stages a part's rows inside stagePart's transaction and returns what it classified.
type stageRows func(ctx context.Context, tx pgx.Tx, r stagingRun) (partCounts, error)

// stagePart replaces one part of a run's staging in one transaction and records its size in
// the logged sync_run_parts, which is how apply tells complete staging from staging lost to a
// Postgres crash (UNLOGGED tables are emptied by one).
func (s *Store) stagePart(ctx context.Context, runID int64, part string, seq, size int, rejected []model.Rejection, stage stageRows) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r := stagingRun{id: runID, st: stagingOf(runID)}
		var status RunStatus
		if err := tx.QueryRow(ctx, sqlLockRunForStaging, runID).Scan(&status, &r.tenant, &r.asOf, nil); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("store: stage %s %d of run %d: %w", part, seq, runID, ErrUnknownRun)
			}
			return fmt.Errorf("store: stage %s %d of run %d: %w", part, seq, runID, err)
		}
		if status != RunRunning {
			return fmt.Errorf("store: stage %s %d of run %d (%s): %w", part, seq, runID, status, ErrRunFinished)
		}
		if err := createStaging(ctx, tx, runID); err != nil {
			return fmt.Errorf("store: staging of run %d: %w", runID, err)
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, $2))`, stagingLockKey(part, seq), runID); err != nil {
			return fmt.Errorf("store: stage %s %d of run %d: %w", part, seq, runID, err)
		}
		if err := unstagePart(ctx, tx, r.st, part, seq); err != nil {
			return fmt.Errorf("store: clear %s %d of run %d: %w", part, seq, runID, err)
		}
		var pc partCounts
		if stage != nil {
			var err error
			if pc, err = stage(ctx, tx, r); err != nil {
				return fmt.Errorf("store: stage %s %d of run %d: %w", part, seq, runID, err)
			}
		}
		if len(rejected) > 0 {
			rows := make([][]any, len(rejected))
			for i, rj := range rejected {
				rows[i] = []any{runID, part, int32(seq), text(rj.EmployeeID), rj.Reason}
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{r.st.rejections}, []string{"run_id", "part", "seq", "employee_id", "reason"},
				pgx.CopyFromRows(rows)); err != nil {
				return fmt.Errorf("store: stage the rejections of run %d: %w", runID, err)
			}
		}
		if _, err := tx.Exec(ctx, sqlRecordPart, runID, part, seq, size, len(rejected),
			pc.new, pc.same, pc.changed, pc.restored, pc.version); err != nil {
			return fmt.Errorf("store: record %s %d of run %d: %w", part, seq, runID, err)
		}
		return nil
	})
}

// stagingLockKey names the advisory lock (with the run ID) a staging transaction holds until
// it commits, so that two stagings of the same part never interleave (a retried activity
// overlapping the attempt it retries): the second waits, then replaces the first's rows.
//
// An employee batch locks only itself: the batches of a run stage side by side, and apply finds
// the IDs that two of them hold. A history table locks the whole table: its pages are staged
// one after another by one activity, but a retried activity overlapping its predecessor
// stages pages of the same table at once, and an entry on two pages (pages that shifted under
// the read) is only marked repeated when each page's staging sees the pages staged before it.
func stagingLockKey(part string, seq int) string {
	if part == partEmployees {
		return fmt.Sprintf("staging/%s/%d", part, seq)
	}
	return "staging/" + part
}

// unstagePart deletes what an earlier staging of the part left. Staging marks only the copies
// of an ID within one batch, so no mark outlives the batch it was made for; the marks across
// batches are apply's, made from the rows staging then holds.
func unstagePart(ctx context.Context, tx pgx.Tx, st staging, part string, seq int) error {
	if _, err := tx.Exec(ctx, st.sql(`DELETE FROM {R} WHERE part = $1 AND seq = $2`), planNow, part, seq); err != nil {
		return err
	}
	switch {
	case part == partEmployees:
		_, err := tx.Exec(ctx, st.sql(`DELETE FROM {E} WHERE seq = $1`), planNow, seq)
		return err
	case part != partListing:
		// A repeated entry stays marked: the mark only makes apply take the careful way.
		_, err := tx.Exec(ctx, st.sql(`DELETE FROM {H} WHERE history_table = $1 AND seq = $2`), planNow, part, seq)
		return err
	}
	return nil
}

// dropStagingLockTimeout bounds how long dropping a run's partitions waits for the parent
// tables' lock (held briefly by every transaction's first touch of a partition). A drop that
// times out is left to sweepStaging.
const dropStagingLockTimeout = "2s"

// DropStaging releases a finished run's staging partitions. A drop that cannot get its lock
// within a moment is left to the next StartRun's sweep, so callers may treat it as best effort.
func (s *Store) DropStaging(ctx context.Context, runID int64) error {
	st := stagingOf(runID)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '`+dropStagingLockTimeout+`'`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DROP TABLE IF EXISTS `+st.employees+`, `+st.history+`, `+st.rejections+`, `+st.batches)
		return err
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55P03" { // lock_not_available
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: drop staging of run %d: %w", runID, err)
	}
	return nil
}

// sweepStaging drops the partitions of finished runs that a timed-out drop left behind.
func (s *Store) sweepStaging(ctx context.Context) {
	rows, err := s.pool.Query(ctx, sqlLeftoverStaging)
	if err != nil {
		return
	}
	runs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return
	}
	for _, id := range runs {
		_ = s.DropStaging(ctx, id)
	}
}
