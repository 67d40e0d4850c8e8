package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hibobsync/model"
)

// RunKind says why a sync ran.
type RunKind string

const (
	RunInitial   RunKind = "initial"
	RunScheduled RunKind = "scheduled"
	RunManual    RunKind = "manual"
)

// RunStatus is where a sync run stands.
type RunStatus string

const (
	RunRunning      RunStatus = "running"
	RunApplied      RunStatus = "applied"
	RunGuardTripped RunStatus = "guard_tripped" // applied, except removals held for support
	RunFailed       RunStatus = "failed"
)

// Counts are a run's figures: what was fetched and what applying it did.
type Counts struct {
	Fetched   int `json:"fetched"`
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Removed   int `json:"removed"`
	Rejected  int `json:"rejected"`
}

// Guard is what the false-delete guard held back: WouldRemove of Of employees, when at most
// Allowed may go without review.
type Guard struct {
	WouldRemove int    `json:"wouldRemove"`
	Of          int    `json:"of"`
	Allowed     int    `json:"allowed"`
	Resolution  string `json:"resolution,omitempty"` // "removed" or "kept" once support decided
}

// Run is one sync of one tenant.
type Run struct {
	ID         int64             `json:"id"`
	Tenant     model.TenantKey   `json:"tenant"`
	Kind       RunKind           `json:"kind"`
	AsOf       model.Date        `json:"asOf"`
	FullRead   bool              `json:"fullRead"`
	Baseline   bool              `json:"baseline"` // the tenant's first applied run: stored, no per-employee changes
	Status     RunStatus         `json:"status"`
	StartedAt  time.Time         `json:"startedAt"`
	FinishedAt *time.Time        `json:"finishedAt,omitempty"`
	Counts     Counts            `json:"counts"`
	Changes    int               `json:"changes"`
	Rejections []model.Rejection `json:"rejections,omitempty"`
	Guard      *Guard            `json:"guard,omitempty"`
	Error      string            `json:"error,omitempty"`
}

// RunRequest asks for a run. RequestKey makes StartRun idempotent: the same key for the same
// tenant returns the run already started (a retried activity), never a second one.
type RunRequest struct {
	Tenant     model.TenantKey
	RequestKey string
	Kind       RunKind
	AsOf       model.Date // the date HiBob is read as of; decides "future-dated" and "started"
	FullRead   bool       // a full read may remove employees it no longer sees
}

func (s *Store) StartRun(ctx context.Context, r RunRequest) (Run, error) {
	if r.RequestKey == "" {
		return Run{}, errors.New("store: a run needs a request key, so that a retried start finds its run")
	}
	if r.AsOf.IsZero() {
		return Run{}, errors.New("store: a run needs the date it reads HiBob as of")
	}
	_, err := s.pool.Exec(ctx, sqlStartRun, r.Tenant, r.RequestKey, r.Kind, r.AsOf.Time(), r.FullRead)
	if err != nil {
		if isForeignKeyViolation(err) {
			return Run{}, fmt.Errorf("store: start a sync run for tenant %q: %w", r.Tenant, ErrUnknownTenant)
		}
		return Run{}, fmt.Errorf("store: start a sync run for tenant %q: %w", r.Tenant, err)
	}
	row := s.pool.QueryRow(ctx, sqlSelectRun+` WHERE tenant_key = $1 AND request_key = $2`, r.Tenant, r.RequestKey)
	run, err := scanRun(row)
	if err != nil || run.Status != RunRunning {
		return run, err
	}
	// The run's staging partitions, made once here rather than by its first fetch; and those
	// of finished runs that a timed-out drop left behind.
	if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return createStaging(ctx, tx, run.ID) }); err != nil {
		return Run{}, fmt.Errorf("store: staging of run %d: %w", run.ID, err)
	}
	s.sweepStaging(ctx)
	return run, nil
}

// Run reads one run of a tenant.
func (s *Store) Run(ctx context.Context, tenant model.TenantKey, id int64) (Run, error) {
	run, err := scanRun(s.pool.QueryRow(ctx, sqlSelectRun+` WHERE tenant_key = $1 AND id = $2`, tenant, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Run{}, fmt.Errorf("store: run %d of tenant %q: %w", id, tenant, ErrUnknownRun)
	}
	return run, err
}

// FailRun records that a run ended without applying, with a reason support can read. A run
// already applied stays applied.
func (s *Store) FailRun(ctx context.Context, id int64, reason string) error {
	if _, err := s.pool.Exec(ctx, sqlFailRun, id, reason); err != nil {
		return fmt.Errorf("store: mark run %d failed: %w", id, err)
	}
	return s.DropStaging(ctx, id)
}

func scanRun(row pgx.Row) (Run, error) {
	var (
		r          Run
		asOf       time.Time
		rejections []byte
		wouldRm    *int
		of         *int
		allowed    *int
		resolution *string
		errText    *string
	)
	err := row.Scan(&r.ID, &r.Tenant, &r.Kind, &asOf, &r.FullRead, &r.Status, &r.StartedAt, &r.FinishedAt,
		&r.Counts.Fetched, &r.Counts.Inserted, &r.Counts.Updated, &r.Counts.Unchanged, &r.Counts.Removed,
		&r.Counts.Rejected, &r.Changes, &rejections, &wouldRm, &of, &allowed, &resolution, &errText, &r.Baseline)
	if err != nil {
		return Run{}, err
	}
	r.AsOf = model.DateOf(asOf)
	if err := json.Unmarshal(rejections, &r.Rejections); err != nil {
		return Run{}, fmt.Errorf("store: run %d rejections: %w", r.ID, err)
	}
	if wouldRm != nil {
		r.Guard = &Guard{WouldRemove: *wouldRm, Of: *of, Allowed: *allowed}
		if resolution != nil {
			r.Guard.Resolution = *resolution
		}
	}
	if errText != nil {
		r.Error = *errText
	}
	return r, nil
}

// RefreshStatistics gathers the planner's statistics of the tables a baseline fills, as
// autovacuum would in time: without them, the first resync after a large baseline plans its
// lookups as if the tenant were empty and scans its whole history for every staged page.
func (s *Store) RefreshStatistics(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `ANALYZE employees, employee_history`); err != nil {
		return fmt.Errorf("store: refresh statistics: %w", err)
	}
	return nil
}
