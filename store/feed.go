package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"hibobsync/model"
)

// StoredEmployee is an employee as the store holds it, with when the sync first and last wrote
// it and, for someone no longer returned by HiBob, when they were removed.
type StoredEmployee struct {
	model.Employee
	FirstRunID int64      `json:"firstRunId"`
	LastRunID  int64      `json:"lastRunId"`
	RemovedAt  *time.Time `json:"removedAt,omitempty"`
}

// EmployeeQuery pages a tenant's employees by ID.
type EmployeeQuery struct {
	IncludeRemoved bool
	AfterID        string // the last ID of the previous page
	Limit          int    // 0 → 500; at most 5,000
}

const (
	defaultPage = 500
	maxPage     = 5000
)

var sqlSelectEmployees = func() string {
	exprs := make([]string, len(employeeColumns))
	for i, c := range employeeColumns {
		exprs[i] = c.selectExpr("e")
	}
	return `SELECT e.employee_id, ` + strings.Join(exprs, ", ") + `, e.hidden, e.first_run_id, e.last_run_id, e.removed_at
FROM employees e`
}()

// Employees lists a tenant's employees in ID order, a page at a time.
func (s *Store) Employees(ctx context.Context, tenant model.TenantKey, q EmployeeQuery) ([]StoredEmployee, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, sqlSelectEmployees+`
WHERE e.tenant_key = $1 AND e.employee_id > $2 AND ($3 OR e.removed_at IS NULL)
ORDER BY e.employee_id LIMIT $4`, tenant, q.AfterID, q.IncludeRemoved, pageSize(q.Limit))
	if err != nil {
		return nil, fmt.Errorf("store: list employees of tenant %q: %w", tenant, err)
	}
	out, err := pgx.CollectRows(rows, scanEmployee)
	if err != nil {
		return nil, fmt.Errorf("store: list employees of tenant %q: %w", tenant, err)
	}
	return out, nil
}

// Employee reads one employee of a tenant, removed or not.
func (s *Store) Employee(ctx context.Context, tenant model.TenantKey, id string) (StoredEmployee, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return StoredEmployee{}, err
	}
	rows, err := s.pool.Query(ctx, sqlSelectEmployees+` WHERE e.tenant_key = $1 AND e.employee_id = $2`, tenant, id)
	if err != nil {
		return StoredEmployee{}, fmt.Errorf("store: read employee %s of tenant %q: %w", id, tenant, err)
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanEmployee)
	if errors.Is(err, pgx.ErrNoRows) {
		return StoredEmployee{}, fmt.Errorf("store: tenant %q has no employee %s: %w", tenant, id, ErrUnknownEmployee)
	}
	if err != nil {
		return StoredEmployee{}, fmt.Errorf("store: read employee %s of tenant %q: %w", id, tenant, err)
	}
	return e, nil
}

func scanEmployee(row pgx.CollectableRow) (StoredEmployee, error) {
	var e StoredEmployee
	texts := make([]string, len(employeeColumns))
	dest := make([]any, 0, len(employeeColumns)+5)
	dest = append(dest, &e.ID)
	for i := range texts {
		dest = append(dest, &texts[i])
	}
	dest = append(dest, &e.Hidden, &e.FirstRunID, &e.LastRunID, &e.RemovedAt)
	if err := row.Scan(dest...); err != nil {
		return e, err
	}
	for i, c := range employeeColumns {
		if err := c.load(&e.Employee, texts[i]); err != nil {
			return e, err
		}
	}
	if len(e.Hidden) == 0 {
		e.Hidden = nil
	}
	return e, nil
}

// Changes reads a tenant's change feed after a cursor, oldest first; next is the cursor to ask
// from for the following page (the last one returned, or after itself when there is none).
func (s *Store) Changes(ctx context.Context, tenant model.TenantKey, after int64, limit int) (changes []model.Change, next int64, err error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, after, err
	}
	rows, err := s.pool.Query(ctx, `
SELECT cursor, tenant_key, run_id, employee_id, kind, field, coalesce(old_value, ''), coalesce(new_value, ''),
       coalesce(to_char(effective_date, 'YYYY-MM-DD'), ''), created_at
FROM changes WHERE tenant_key = $1 AND cursor > $2 ORDER BY cursor LIMIT $3`, tenant, after, pageSize(limit))
	if err != nil {
		return nil, after, fmt.Errorf("store: read the change feed of tenant %q: %w", tenant, err)
	}
	changes, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (model.Change, error) {
		var c model.Change
		var effective string
		if err := row.Scan(&c.Cursor, &c.Tenant, &c.RunID, &c.EmployeeID, &c.Kind, &c.Field, &c.OldValue, &c.NewValue,
			&effective, &c.CreatedAt); err != nil {
			return c, err
		}
		if effective != "" {
			d, err := model.ParseDate(effective)
			if err != nil {
				return c, err
			}
			c.EffectiveDate = d
		}
		return c, nil
	})
	if err != nil {
		return nil, after, fmt.Errorf("store: read the change feed of tenant %q: %w", tenant, err)
	}
	next = after
	if len(changes) > 0 {
		next = changes[len(changes)-1].Cursor
	}
	return changes, next, nil
}

func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return defaultPage
	case limit > maxPage:
		return maxPage
	}
	return limit
}
