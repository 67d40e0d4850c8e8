package store

import (
	"fmt"
	"strings"
)

// The store's SQL, in one place. Statements over the gifting columns are assembled from
// employeeColumns once, at package load, so the column list cannot drift between them.

const sqlSelectRun = `
SELECT r.id, r.tenant_key, r.kind, r.as_of, r.full_read, r.status, r.started_at, r.finished_at,
       r.fetched, r.inserted, r.updated, r.unchanged, r.removed, r.rejected, r.changes, r.rejections,
       r.guard_would_remove, r.guard_of, r.guard_allowed, r.guard_resolution, r.error,
       t.baseline_run_id IS NOT DISTINCT FROM r.id
FROM sync_runs r JOIN tenants t ON t.key = r.tenant_key`

const sqlStartRun = `
INSERT INTO sync_runs (tenant_key, request_key, kind, as_of, full_read)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_key, request_key) DO NOTHING`

const sqlFailRun = `
UPDATE sync_runs SET status = 'failed', error = $2, finished_at = now()
WHERE id = $1 AND status = 'running'`

const sqlLockRunForStaging = `SELECT status FROM sync_runs WHERE id = $1 FOR SHARE`

const sqlUnstagePart = `
WITH e AS (DELETE FROM staged_employees WHERE run_id = $1 AND $2 = 'employees' AND seq = $3),
     h AS (DELETE FROM staged_history WHERE run_id = $1 AND history_table = $2 AND seq = $3)
DELETE FROM staged_rejections WHERE run_id = $1 AND part = $2 AND seq = $3`

const sqlStageRejection = `
INSERT INTO staged_rejections (run_id, part, seq, employee_id, reason) VALUES ($1, $2, $3, $4, $5)`

const sqlRecordPart = `
INSERT INTO sync_run_parts (run_id, part, seq, rows, rejected) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (run_id, part, seq) DO UPDATE SET rows = EXCLUDED.rows, rejected = EXCLUDED.rejected`

const (
	sqlDropStagedEmployees  = `DELETE FROM staged_employees WHERE run_id = $1`
	sqlDropStagedHistory    = `DELETE FROM staged_history WHERE run_id = $1`
	sqlDropStagedRejections = `DELETE FROM staged_rejections WHERE run_id = $1`
)

// Apply, in the order it runs. $1 is always the run, $2 the tenant.

const sqlLockRunForApply = `
SELECT tenant_key, status, as_of, full_read FROM sync_runs WHERE id = $1 FOR UPDATE`

// Locking the tenant serialises its applies, which keeps its change-feed cursors in commit order.
// NO KEY UPDATE leaves the tenant's foreign-key references (new runs, credentials) unblocked.
const sqlLockTenant = `SELECT baseline_run_id FROM tenants WHERE key = $1 FOR NO KEY UPDATE`

const sqlRecordedParts = `
SELECT part, sum(rows)::int, sum(rejected)::int FROM sync_run_parts WHERE run_id = $1 GROUP BY part`

const sqlStagedCounts = `
SELECT 'employees', count(*)::int FROM staged_employees WHERE run_id = $1
UNION ALL
SELECT history_table, count(*)::int FROM staged_history WHERE run_id = $1 GROUP BY history_table
UNION ALL
SELECT 'rejections', count(*)::int FROM staged_rejections WHERE run_id = $1`

const sqlStagedRejections = `
SELECT coalesce(employee_id, ''), reason FROM staged_rejections WHERE run_id = $1 ORDER BY part, seq, employee_id`

// A termination HiBob has scheduled shows as a future Terminated row of the lifecycle table
// before (or without) internal.terminationDate; the employee takes its date, and its hash
// changes with it, so the diff sees the termination the day it is scheduled. The current row
// counts too: on the day itself internal.terminationDate may still be empty, and the date
// already announced must not read as withdrawn. $2 is as_of here.
const sqlFillScheduledTerminations = `
UPDATE staged_employees s
SET termination_date = h.effective_date,
    hash = sha256(s.hash || convert_to(h.effective_date::text, 'UTF8'))
FROM (SELECT employee_id, min(effective_date) AS effective_date
      FROM staged_history
      WHERE run_id = $1 AND history_table = 'lifecycle' AND lifecycle_class = 'Terminated'
        AND (effective_date > $2 OR is_current)
      GROUP BY employee_id) h
WHERE s.run_id = $1 AND s.employee_id = h.employee_id AND s.termination_date IS NULL`

const sqlMarkDuplicates = `
UPDATE staged_employees s SET duplicate = true
FROM (SELECT employee_id, count(*)::int AS n FROM staged_employees WHERE run_id = $1
      GROUP BY employee_id HAVING count(*) > 1) d
WHERE s.run_id = $1 AND s.employee_id = d.employee_id
RETURNING s.employee_id, d.n`

// sqlMergeHidden keeps the stored value of every column the service user could not see this
// time, so a revoked permission never reads as "the address was deleted".
var sqlMergeHidden = func() string {
	sets := make([]string, len(employeeColumns))
	for i, c := range employeeColumns {
		keep := "e." + c.name
		if c.filledFromHistory {
			keep = fmt.Sprintf("coalesce(s.%s, e.%s)", c.name, c.name)
		}
		sets[i] = fmt.Sprintf("%s = CASE WHEN s.hidden @> '{%s}' THEN %s ELSE s.%s END",
			c.name, strings.Join(c.hiddenWhen, ","), keep, c.name)
	}
	return `UPDATE staged_employees s SET ` + strings.Join(sets, ", ") + `
FROM employees e
WHERE s.run_id = $1 AND cardinality(s.hidden) > 0 AND e.tenant_key = $2 AND e.employee_id = s.employee_id`
}()

// Removal candidates: employees the tenant has that this full read neither returned nor refused.
const removalCandidates = `
e.tenant_key = $2 AND e.removed_at IS NULL
AND NOT EXISTS (SELECT 1 FROM staged_employees s WHERE s.run_id = $1 AND s.employee_id = e.employee_id)
AND NOT EXISTS (SELECT 1 FROM staged_rejections r WHERE r.run_id = $1 AND r.employee_id = e.employee_id)`

const sqlCountRemovals = `
SELECT count(*) FILTER (WHERE ` + removalCandidates + `)::int, count(*) FILTER (WHERE e.removed_at IS NULL)::int
FROM employees e WHERE e.tenant_key = $2`

// sqlFieldChanges writes the change feed for employees whose content changed, before they are
// updated (it needs the old values). $3 is as_of.
const sqlFieldChanges = `
INSERT INTO changes (tenant_key, run_id, employee_id, kind, field, old_value, new_value, effective_date)
SELECT $2, $1, s.employee_id, c.kind, c.field, c.old_value, c.new_value, c.effective_date
FROM staged_employees s
JOIN employees e ON e.tenant_key = $2 AND e.employee_id = s.employee_id
LEFT JOIN LATERAL (
    SELECT h.effective_date FROM staged_history h
    WHERE h.run_id = $1 AND h.history_table = 'lifecycle' AND h.employee_id = s.employee_id AND h.is_current
    ORDER BY h.entry_id DESC LIMIT 1) lc ON true
CROSS JOIN LATERAL (VALUES
    ('restored'::text, 'employee'::text, NULL::text, NULL::text, NULL::date,
        e.removed_at IS NOT NULL),
    ('hired', 'lifecycle_status', e.lifecycle_class, s.lifecycle_class, s.start_date,
        NOT e.hire_announced AND s.lifecycle_class = 'Employed'),
    ('rehired', 'lifecycle_status', e.lifecycle_class, s.lifecycle_class, coalesce(lc.effective_date, s.start_date),
        e.lifecycle_class = 'Terminated' AND s.lifecycle_class IN ('Hired', 'Employed', 'Leave')),
    ('terminated', 'termination_date', e.termination_date::text, s.termination_date::text, coalesce(s.termination_date, $3),
        (s.termination_date IS NOT NULL AND s.termination_date IS DISTINCT FROM e.termination_date
            AND (s.lifecycle_class = 'Terminated' OR s.termination_date > $3))
        OR (s.lifecycle_class = 'Terminated' AND e.lifecycle_class IS DISTINCT FROM 'Terminated' AND s.termination_date IS NULL)),
    ('termination_cancelled', 'termination_date', e.termination_date::text, NULL, e.termination_date,
        e.termination_date IS NOT NULL AND s.termination_date IS NULL
            AND e.lifecycle_class IS DISTINCT FROM 'Terminated' AND s.lifecycle_class IS DISTINCT FROM 'Terminated'),
    ('on_leave', 'lifecycle_status', e.lifecycle_class, s.lifecycle_class, lc.effective_date,
        s.lifecycle_class = 'Leave' AND e.lifecycle_class IN ('Hired', 'Employed')),
    ('returned', 'lifecycle_status', e.lifecycle_class, s.lifecycle_class, lc.effective_date,
        e.lifecycle_class = 'Leave' AND s.lifecycle_class = 'Employed'),
    ('birthday_changed', 'birthday', e.birthday, s.birthday, NULL,
        e.birthday IS DISTINCT FROM s.birthday),
    ('birthday_changed', 'birth_date', e.birth_date::text, s.birth_date::text, NULL,
        e.birthday IS NOT DISTINCT FROM s.birthday AND e.birth_date IS DISTINCT FROM s.birth_date),
    ('start_date_changed', 'start_date', e.start_date::text, s.start_date::text, s.start_date,
        e.start_date IS DISTINCT FROM s.start_date
            AND NOT (e.lifecycle_class = 'Terminated' AND s.lifecycle_class IS DISTINCT FROM 'Terminated')),
    ('home_address_changed', 'home_address',
        concat_ws(', ', e.home_line1, e.home_line2, e.home_city, e.home_post_code, e.home_state, e.home_country),
        concat_ws(', ', s.home_line1, s.home_line2, s.home_city, s.home_post_code, s.home_state, s.home_country), NULL,
        (e.home_line1, e.home_line2, e.home_city, e.home_post_code, e.home_state, e.home_country)
            IS DISTINCT FROM (s.home_line1, s.home_line2, s.home_city, s.home_post_code, s.home_state, s.home_country)),
    ('work_email_changed', 'work_email', e.work_email, s.work_email, NULL,
        e.work_email IS DISTINCT FROM s.work_email),
    ('personal_email_changed', 'personal_email', e.personal_email, s.personal_email, NULL,
        e.personal_email IS DISTINCT FROM s.personal_email),
    ('name_changed', 'name', concat_ws(' ', e.first_name, e.surname), concat_ws(' ', s.first_name, s.surname), NULL,
        (e.first_name, e.surname, e.display_name) IS DISTINCT FROM (s.first_name, s.surname, s.display_name))
) AS c(kind, field, old_value, new_value, effective_date, fires)
WHERE s.run_id = $1 AND NOT s.duplicate AND (e.hash <> s.hash OR e.removed_at IS NOT NULL) AND c.fires`

// New employees after the baseline are hires, announced at once even when they start later.
// Someone who appears already terminated is nobody to welcome.
const sqlNewHireChanges = `
INSERT INTO changes (tenant_key, run_id, employee_id, kind, field, old_value, new_value, effective_date)
SELECT $2, $1, s.employee_id, 'hired', 'lifecycle_status', NULL, s.lifecycle_class, s.start_date
FROM staged_employees s
WHERE s.run_id = $1 AND NOT s.duplicate AND s.lifecycle_class IS DISTINCT FROM 'Terminated'
  AND NOT EXISTS (SELECT 1 FROM employees e WHERE e.tenant_key = $2 AND e.employee_id = s.employee_id)`

var sqlUpdateChanged = fmt.Sprintf(`
UPDATE employees e
SET (%s, hidden, raw, hash, hire_announced, last_run_id, removed_at, removed_run_id)
  = (%s, s.hidden, s.raw, s.hash, e.hire_announced OR s.lifecycle_class IS DISTINCT FROM 'Hired', $1, NULL, NULL)
FROM staged_employees s
WHERE s.run_id = $1 AND NOT s.duplicate AND e.tenant_key = $2 AND e.employee_id = s.employee_id
  AND (e.hash <> s.hash OR e.removed_at IS NOT NULL)`,
	strings.Join(employeeColumnNames(""), ", "), strings.Join(employeeColumnNames("s"), ", "))

// In the baseline a future starter is not yet announced: Gifted hears "hired" when they start.
// After it, a new employee is announced by sqlNewHireChanges. $3 is "this run is the baseline".
var sqlInsertNew = fmt.Sprintf(`
INSERT INTO employees (tenant_key, employee_id, %s, hidden, raw, hash, hire_announced, first_run_id, last_run_id)
SELECT $2, s.employee_id, %s, s.hidden, s.raw, s.hash,
       NOT $3::boolean OR s.lifecycle_class IS DISTINCT FROM 'Hired', $1, $1
FROM staged_employees s
WHERE s.run_id = $1 AND NOT s.duplicate
  AND NOT EXISTS (SELECT 1 FROM employees e WHERE e.tenant_key = $2 AND e.employee_id = s.employee_id)`,
	strings.Join(employeeColumnNames(""), ", "), strings.Join(employeeColumnNames("s"), ", "))

// $3 is as_of, the removal's effective date.
const sqlRemove = `
WITH gone AS (
    UPDATE employees e SET removed_at = now(), removed_run_id = $1, last_run_id = $1
    WHERE ` + removalCandidates + `
    RETURNING e.employee_id)
INSERT INTO changes (tenant_key, run_id, employee_id, kind, field, effective_date)
SELECT $2, $1, employee_id, 'removed', 'employee', $3 FROM gone`

// Held removals are carried out only for employees still not seen and not removed since.
const sqlRemoveHeld = `
WITH gone AS (
    UPDATE employees e SET removed_at = now(), removed_run_id = $1, last_run_id = $1
    FROM guarded_removals g
    WHERE g.run_id = $1 AND e.tenant_key = $2 AND e.employee_id = g.employee_id
      AND e.removed_at IS NULL AND e.last_run_id <= $1
    RETURNING e.employee_id)
INSERT INTO changes (tenant_key, run_id, employee_id, kind, field, effective_date)
SELECT $2, $1, employee_id, 'removed', 'employee', $3 FROM gone`

const sqlHoldRemovals = `
INSERT INTO guarded_removals (run_id, tenant_key, employee_id)
SELECT $1, $2, e.employee_id FROM employees e WHERE ` + removalCandidates + `
ON CONFLICT DO NOTHING`

const historyColumns = `effective_date, end_effective_date, is_current, status, lifecycle_class, employee_status, reason,
    title, department, site, reports_to_id, employment_type, contract, raw, hash`

// A row re-staged by a retried page appears once: DISTINCT ON keeps the latest page's copy.
const sqlUpsertHistory = `
INSERT INTO employee_history (tenant_key, history_table, employee_id, entry_id, ` + historyColumns + `, last_run_id)
SELECT DISTINCT ON (history_table, employee_id, entry_id)
       $2, history_table, employee_id, entry_id, ` + historyColumns + `, $1
FROM staged_history WHERE run_id = $1
ORDER BY history_table, employee_id, entry_id, seq DESC
ON CONFLICT (tenant_key, history_table, employee_id, entry_id) DO UPDATE
SET (` + historyColumns + `, last_run_id) = (
    EXCLUDED.effective_date, EXCLUDED.end_effective_date, EXCLUDED.is_current, EXCLUDED.status,
    EXCLUDED.lifecycle_class, EXCLUDED.employee_status, EXCLUDED.reason, EXCLUDED.title, EXCLUDED.department,
    EXCLUDED.site, EXCLUDED.reports_to_id, EXCLUDED.employment_type, EXCLUDED.contract, EXCLUDED.raw,
    EXCLUDED.hash, EXCLUDED.last_run_id)
WHERE employee_history.hash <> EXCLUDED.hash`

// $3: the history tables this run read in full.
const sqlDeleteAbsentHistory = `
DELETE FROM employee_history h
WHERE h.tenant_key = $2 AND h.history_table = ANY($3)
  AND NOT EXISTS (SELECT 1 FROM staged_history s WHERE s.run_id = $1 AND s.history_table = h.history_table
                  AND s.employee_id = h.employee_id AND s.entry_id = h.entry_id)`

// Gifted's events carry no personal data: the consumer reads the change feed by cursor.
const sqlOutboxChanges = `
INSERT INTO outbox (tenant_key, event_type, dedup_key, payload)
SELECT tenant_key, 'employee.' || kind, 'change:' || cursor,
       jsonb_build_object('cursor', cursor, 'runId', run_id, 'employeeId', employee_id, 'kind', kind,
                          'field', field, 'effectiveDate', effective_date)
FROM changes WHERE run_id = $1
ON CONFLICT (dedup_key) DO NOTHING`

const sqlOutboxEvent = `
INSERT INTO outbox (tenant_key, event_type, dedup_key, payload) VALUES ($1, $2, $3, $4)
ON CONFLICT (dedup_key) DO NOTHING`

const sqlFinishRun = `
UPDATE sync_runs
SET status = $2, finished_at = now(), fetched = $3, inserted = $4, updated = $5, unchanged = $6,
    removed = $7, rejected = $8, changes = $9, rejections = $10,
    guard_would_remove = $11, guard_of = $12, guard_allowed = $13
WHERE id = $1`

const sqlSetBaseline = `UPDATE tenants SET baseline_run_id = $2 WHERE key = $1 AND baseline_run_id IS NULL`
