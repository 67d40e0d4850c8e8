package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"hibobsync/model"
)

// ResolveGuard carries out support's decision on removals the false-delete guard held back in
// a run: remove them (emitting "removed" changes) or keep everyone. It refuses when a later
// run has been applied since, because the held list no longer describes the tenant.
func (s *Store) ResolveGuard(ctx context.Context, tenant model.TenantKey, runID int64, remove bool) (Run, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status RunStatus
		var resolution *string
		var asOf any
		err := tx.QueryRow(ctx, `SELECT status, guard_resolution, as_of FROM sync_runs WHERE id = $1 AND tenant_key = $2 FOR UPDATE`,
			runID, tenant).Scan(&status, &resolution, &asOf)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("store: run %d of tenant %q: %w", runID, tenant, ErrUnknownRun)
		}
		if err != nil {
			return err
		}
		if status != RunGuardTripped || resolution != nil {
			return fmt.Errorf("store: run %d of tenant %q is %s: %w", runID, tenant, status, ErrNoGuardPending)
		}
		// Lock first: an apply of a later run waiting on this lock must be seen below.
		if err := tx.QueryRow(ctx, sqlLockTenant, tenant).Scan(new(*int64)); err != nil {
			return err
		}
		var later bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sync_runs WHERE tenant_key = $1 AND id > $2 AND status IN ('applied', 'guard_tripped'))`,
			tenant, runID).Scan(&later); err != nil {
			return err
		}
		if later {
			return fmt.Errorf("store: run %d of tenant %q: a later sync has been applied; decide on that run's removals instead: %w", runID, tenant, ErrStaleGuard)
		}
		decision := "kept"
		removed := 0
		if remove {
			decision = "removed"
			tag, err := tx.Exec(ctx, sqlRemoveHeld, runID, tenant, asOf)
			if err != nil {
				return err
			}
			removed = int(tag.RowsAffected())
			if _, err := tx.Exec(ctx, sqlBumpTenant, tenant, -removed); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, sqlOutboxChanges, runID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE sync_runs SET guard_resolution = $2, removed = $3, changes = changes + $3 WHERE id = $1`,
			runID, decision, removed); err != nil {
			return err
		}
		payload, _ := json.Marshal(map[string]any{"runId": runID, "decision": decision, "removed": removed})
		_, err = tx.Exec(ctx, sqlOutboxEvent, tenant, "sync.removals_"+decision, fmt.Sprintf("guard:%d", runID), payload)
		return err
	})
	if err != nil {
		return Run{}, fmt.Errorf("store: resolve held removals: %w", err)
	}
	return s.Run(ctx, tenant, runID)
}
