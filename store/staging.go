package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"hibobsync/model"
)

// Parts of a run that staging records, beside the history table names.
const (
	partEmployees = "employees"
	partListing   = "listing"
)

// StageEmployees stores one fetched batch of a run (seq is the batch number), with the rows
// the fetch refused. Staging the same batch again replaces it, so a retried fetch activity
// leaves exactly one copy.
func (s *Store) StageEmployees(ctx context.Context, runID int64, seq int, employees []model.Employee, rejected []model.Rejection) error {
	rows := make([][]any, len(employees))
	for i := range employees {
		e := &employees[i]
		row := make([]any, 0, len(employeeColumns)+6)
		row = append(row, runID, seq, e.ID)
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
		rows[i] = append(row, hidden, string(raw), employeeHash(e))
	}
	columns := append([]string{"run_id", "seq", "employee_id"}, employeeColumnNames("")...)
	columns = append(columns, "hidden", "raw", "hash")
	return s.stagePart(ctx, runID, partEmployees, seq, len(rows), &stagedRows{"staged_employees", columns, rows}, rejected)
}

// StageHistory stores one fetched page of a history table (seq is the page number).
func (s *Store) StageHistory(ctx context.Context, runID int64, table model.HistoryTable, seq int, entries []model.HistoryEntry) error {
	if !slices.Contains(model.HistoryTables, table) {
		return fmt.Errorf("store: %q is not a history table the sync reads", table)
	}
	rows := make([][]any, len(entries))
	for i := range entries {
		h := &entries[i]
		if h.Table != table {
			return fmt.Errorf("store: run %d: a %s row staged as %s", runID, h.Table, table)
		}
		raw := h.Raw
		if len(raw) == 0 {
			raw = []byte("{}")
		}
		rows[i] = []any{runID, seq, string(table), h.EmployeeID, h.EntryID, date(h.EffectiveDate), date(h.EndEffectiveDate),
			h.IsCurrent, text(h.Status), text(string(model.ClassifyLifecycle(h.Status))), text(h.EmployeeStatus), text(h.Reason),
			text(h.Title), text(h.Department), text(h.Site), text(h.ReportsToID), text(h.EmploymentType), text(h.Contract),
			string(raw), historyHash(h)}
	}
	columns := []string{"run_id", "seq", "history_table", "employee_id", "entry_id", "effective_date", "end_effective_date",
		"is_current", "status", "lifecycle_class", "employee_status", "reason", "title", "department", "site",
		"reports_to_id", "employment_type", "contract", "raw", "hash"}
	return s.stagePart(ctx, runID, string(table), seq, len(rows), &stagedRows{"staged_history", columns, rows}, nil)
}

// RecordListing stores how many employees the run's ID listing found and the entries it refused.
func (s *Store) RecordListing(ctx context.Context, runID int64, listed int, rejected []model.Rejection) error {
	return s.stagePart(ctx, runID, partListing, 0, listed, nil, rejected)
}

// stagedRows are rows for COPY into a staging table.
type stagedRows struct {
	table   string
	columns []string
	rows    [][]any
}

// stagePart replaces one part of a run's staging in one transaction and records its size in
// the logged sync_run_parts, which is how apply tells complete staging from staging lost to a
// Postgres crash (UNLOGGED tables are emptied by one).
func (s *Store) stagePart(ctx context.Context, runID int64, part string, seq, size int, rows *stagedRows, rejected []model.Rejection) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status RunStatus
		if err := tx.QueryRow(ctx, sqlLockRunForStaging, runID).Scan(&status); err != nil {
			if err == pgx.ErrNoRows {
				return fmt.Errorf("store: stage %s %d of run %d: %w", part, seq, runID, ErrUnknownRun)
			}
			return fmt.Errorf("store: stage %s %d of run %d: %w", part, seq, runID, err)
		}
		if status != RunRunning {
			return fmt.Errorf("store: stage %s %d of run %d (%s): %w", part, seq, runID, status, ErrRunFinished)
		}
		if _, err := tx.Exec(ctx, sqlUnstagePart, runID, part, seq); err != nil {
			return fmt.Errorf("store: clear %s %d of run %d: %w", part, seq, runID, err)
		}
		if rows != nil && len(rows.rows) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{rows.table}, rows.columns, pgx.CopyFromRows(rows.rows)); err != nil {
				return fmt.Errorf("store: stage %s %d of run %d: %w", part, seq, runID, err)
			}
		}
		for _, r := range rejected {
			if _, err := tx.Exec(ctx, sqlStageRejection, runID, part, seq, text(r.EmployeeID), r.Reason); err != nil {
				return fmt.Errorf("store: stage a rejection of run %d: %w", runID, err)
			}
		}
		if _, err := tx.Exec(ctx, sqlRecordPart, runID, part, seq, size, len(rejected)); err != nil {
			return fmt.Errorf("store: record %s %d of run %d: %w", part, seq, runID, err)
		}
		return nil
	})
}

func (s *Store) dropStaging(ctx context.Context, db execer, runID int64) error {
	for _, q := range []string{sqlDropStagedEmployees, sqlDropStagedHistory, sqlDropStagedRejections} {
		if _, err := db.Exec(ctx, q, runID); err != nil {
			return fmt.Errorf("store: drop staging of run %d: %w", runID, err)
		}
	}
	return nil
}
