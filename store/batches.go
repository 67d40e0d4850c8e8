package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ErrUnknownBatch: the run has no listed batch with that number (the listing has not been
// saved, or the number is past its end).
var ErrUnknownBatch = errors.New("unknown batch")

// SaveRunBatches stores a run's employee listing split into batches (batch seq is
// batches[seq]). Saving again replaces what was saved, so a retried listing leaves exactly
// the new batches.
func (s *Store) SaveRunBatches(ctx context.Context, runID int64, batches [][]string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sync_run_batches WHERE run_id = $1`, runID); err != nil {
			return err
		}
		rows := make([][]any, len(batches))
		for seq, ids := range batches {
			if ids == nil {
				ids = []string{}
			}
			rows[seq] = []any{runID, seq, ids}
		}
		if len(rows) == 0 {
			return nil
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"sync_run_batches"}, []string{"run_id", "seq", "employee_ids"},
			pgx.CopyFromRows(rows))
		return err
	})
	if isForeignKeyViolation(err) {
		return fmt.Errorf("store: save the batches of run %d: %w", runID, ErrUnknownRun)
	}
	if err != nil {
		return fmt.Errorf("store: save the batches of run %d: %w", runID, err)
	}
	return nil
}

// RunBatch reads the employee IDs of batch seq of a run.
func (s *Store) RunBatch(ctx context.Context, runID int64, seq int) ([]string, error) {
	var ids []string
	err := s.pool.QueryRow(ctx, `SELECT employee_ids FROM sync_run_batches WHERE run_id = $1 AND seq = $2`,
		runID, seq).Scan(&ids)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("store: run %d has no batch %d (list the run's employees first): %w", runID, seq, ErrUnknownBatch)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read batch %d of run %d: %w", seq, runID, err)
	}
	return ids, nil
}
