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

// Staging's statements all look rows up by key, in tables that grow from empty as the run
// stages (its partitions) or that the planner has no fresh statistics of (the tenant's
// employees after its baseline): the transaction never scans them whole.
const sqlLockRunForStaging = `
SELECT status, tenant_key, as_of, set_config('enable_seqscan', 'off', true) FROM sync_runs WHERE id = $1 FOR SHARE`

const sqlRecordPart = `
INSERT INTO sync_run_parts (run_id, part, seq, rows, rejected, new_rows, same_rows, changed_rows, restored_rows, apply_version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (run_id, part, seq) DO UPDATE
SET (rows, rejected, new_rows, same_rows, changed_rows, restored_rows, apply_version) = (EXCLUDED.rows, EXCLUDED.rejected,
    EXCLUDED.new_rows, EXCLUDED.same_rows, EXCLUDED.changed_rows, EXCLUDED.restored_rows, EXCLUDED.apply_version)`

// The stored rows of a batch's IDs, by primary key, and the tenant's apply_version, in one
// snapshot. $2: the batch's IDs.
const sqlClassifyEmployees = `
SELECT (SELECT apply_version FROM tenants WHERE key = $1),
       coalesce(array_agg(e.employee_id), '{}'), coalesce(array_agg(e.hash), '{}'),
       coalesce(array_agg(e.removed_at IS NOT NULL), '{}')
FROM employees e WHERE e.tenant_key = $1 AND e.employee_id = ANY($2)`

// $2: the history table; $3: the page's employees, each once. A page holds every row of its
// employees, so their stored rows are read by the primary key's prefix: one probe an employee
// rather than one a row.
const sqlClassifyHistory = `
SELECT (SELECT apply_version FROM tenants WHERE key = $1),
       coalesce(array_agg(h.employee_id), '{}'), coalesce(array_agg(h.entry_id), '{}'), coalesce(array_agg(h.hash), '{}')
FROM employee_history h
WHERE h.tenant_key = $1 AND h.history_table = $2 AND h.employee_id = ANY($3)`

// Runs no longer running whose staging partitions are still there.
const sqlLeftoverStaging = `
SELECT r.id FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
JOIN sync_runs r ON r.id = substring(c.relname FROM '^staged_rejections_r([0-9]+)$')::bigint
WHERE i.inhparent = 'staged_rejections'::regclass AND r.status <> 'running'
LIMIT 20`

// Apply, in the order it runs. $1 is always the run, $2 the tenant.

const sqlLockRunForApply = `
SELECT tenant_key, status, as_of, full_read FROM sync_runs WHERE id = $1 FOR UPDATE`

// Locking the tenant serialises its applies, which keeps its change-feed cursors in commit order.
// NO KEY UPDATE leaves the tenant's foreign-key references (new runs, credentials) unblocked.
const sqlLockTenant = `SELECT baseline_run_id FROM tenants WHERE key = $1 FOR NO KEY UPDATE`

const sqlLockTenantForApply = `
SELECT baseline_run_id, apply_version, active_employees FROM tenants WHERE key = $1 FOR NO KEY UPDATE`

// Every write to a tenant's employees or history bumps apply_version, which tells apply whether
// the states staging gave the rows still hold. $2: the change in active employees.
const sqlBumpTenant = `
UPDATE tenants SET apply_version = apply_version + 1, active_employees = active_employees + $2 WHERE key = $1`

// The run's parts, each with whether staging still holds it: a Postgres crash empties whole
// UNLOGGED tables, so one row of a part (found by index) proves the part whole.
const sqlCheckParts = `
SELECT p.part, p.rows, p.rejected, p.new_rows, p.same_rows, p.changed_rows, p.restored_rows, p.apply_version,
       CASE WHEN p.rows = 0 OR p.part = 'listing' THEN true
            WHEN p.part = 'employees' THEN EXISTS (SELECT 1 FROM {E} s WHERE s.seq = p.seq)
            ELSE EXISTS (SELECT 1 FROM {H} h WHERE h.history_table = p.part AND h.seq = p.seq) END,
       p.rejected = 0 OR EXISTS (SELECT 1 FROM {R} r WHERE r.part = p.part AND r.seq = p.seq),
       p.seq
FROM sync_run_parts p WHERE p.run_id = $1
ORDER BY p.part, p.seq`

// The slow path: the tenant changed since staging classified the rows (another run applied in
// between), so every row is classified again, set-based, and the parts' figures recounted.
// $1 is the tenant here.
var sqlReclassify = []string{
	`UPDATE {E} s SET state = 'new'
WHERE s.state <> 'new' AND NOT EXISTS (SELECT 1 FROM employees e WHERE e.tenant_key = $1 AND e.employee_id = s.employee_id)`,
	`UPDATE {E} s
SET state = CASE WHEN e.removed_at IS NOT NULL THEN 'restored' WHEN e.hash = s.hash THEN 'same' ELSE 'changed' END
FROM employees e
WHERE e.tenant_key = $1 AND e.employee_id = s.employee_id
  AND s.state <> CASE WHEN e.removed_at IS NOT NULL THEN 'restored' WHEN e.hash = s.hash THEN 'same' ELSE 'changed' END`,
	`UPDATE {H} s SET state = 'new'
WHERE s.state <> 'new' AND NOT EXISTS (SELECT 1 FROM employee_history h WHERE h.tenant_key = $1
    AND h.history_table = s.history_table AND h.employee_id = s.employee_id AND h.entry_id = s.entry_id)`,
	`UPDATE {H} s SET state = CASE WHEN h.hash = s.hash THEN 'same' ELSE 'changed' END
FROM employee_history h
WHERE h.tenant_key = $1 AND h.history_table = s.history_table AND h.employee_id = s.employee_id AND h.entry_id = s.entry_id
  AND s.state <> CASE WHEN h.hash = s.hash THEN 'same' ELSE 'changed' END`,
}

// $1 the run, $2 the tenant's apply_version now.
const sqlRecountParts = `
WITH c AS (
    SELECT 'employees' AS part, seq, count(*) FILTER (WHERE state = 'new') AS n, count(*) FILTER (WHERE state = 'same') AS s,
           count(*) FILTER (WHERE state = 'changed') AS c, count(*) FILTER (WHERE state = 'restored') AS r
    FROM {E} GROUP BY seq
    UNION ALL
    SELECT history_table, seq, count(*) FILTER (WHERE state = 'new'), count(*) FILTER (WHERE state = 'same'),
           count(*) FILTER (WHERE state = 'changed'), 0
    FROM {H} GROUP BY history_table, seq)
UPDATE sync_run_parts p
SET new_rows = coalesce(c.n, 0), same_rows = coalesce(c.s, 0), changed_rows = coalesce(c.c, 0),
    restored_rows = coalesce(c.r, 0), apply_version = $2
FROM sync_run_parts p2 LEFT JOIN c ON c.part = p2.part AND c.seq = p2.seq
WHERE p.run_id = $1 AND p2.run_id = $1 AND p2.part = p.part AND p2.seq = p.seq`

// Every copy of an ID the run staged more than once (in one batch or in several) is a
// duplicate, and no other row is: staging marks only the copies within one batch, because the
// batches stage side by side and none sees the rows of another that has not committed. It reads
// every staged row (about 150 ms for 100,000), so apply runs it only when the batches' ID
// hashes show a duplicate (markDuplicates).
const sqlMarkDuplicates = `
UPDATE {E} s SET duplicate = d.copies > 1
FROM (SELECT employee_id, count(*) AS copies FROM {E} GROUP BY employee_id
      HAVING count(*) > 1 OR bool_or(duplicate)) d
WHERE s.employee_id = d.employee_id AND s.duplicate <> (d.copies > 1)`

const sqlStagedRejections = `
SELECT coalesce(employee_id, ''), reason FROM {R} ORDER BY part, seq, employee_id`

// A termination HiBob has scheduled shows as a future Terminated row of the lifecycle table
// before (or without) internal.terminationDate; the employee takes its date, and its hash
// changes with it, so the diff sees the termination the day it is scheduled. The current row
// counts too: on the day itself internal.terminationDate may still be empty, and the date
// already announced must not read as withdrawn. Staging marked those rows (terminates). The
// rows it fills are classified again against the stored employee. $1 is the tenant.
const sqlFillScheduledTerminations = `
UPDATE {E} s
SET termination_date = h.effective_date,
    hash = sha256(s.hash || convert_to(h.effective_date::text, 'UTF8')),
    state = CASE WHEN e.employee_id IS NULL THEN 'new' WHEN e.removed_at IS NOT NULL THEN 'restored'
                 WHEN e.hash = sha256(s.hash || convert_to(h.effective_date::text, 'UTF8')) THEN 'same'
                 ELSE 'changed' END
FROM (SELECT employee_id, min(effective_date) AS effective_date FROM {H} WHERE terminates GROUP BY employee_id) h
LEFT JOIN employees e ON e.tenant_key = $1 AND e.employee_id = h.employee_id
    AND e.employee_id = ANY (ARRAY(SELECT employee_id FROM {H} WHERE terminates))
WHERE s.employee_id = h.employee_id AND s.termination_date IS NULL
  AND s.employee_id = ANY (ARRAY(SELECT employee_id FROM {H} WHERE terminates))`

// The IDs the run returned more than once: how many times, and how many copies were of an
// employee the tenant has active (same or changed).
const sqlDuplicates = `
SELECT employee_id, count(*)::int, (count(*) FILTER (WHERE state IN ('same', 'changed')))::int
FROM {E} WHERE duplicate GROUP BY employee_id ORDER BY employee_id`

// sqlMergeHidden keeps the stored value of every column the service user could not see this
// time, so a revoked permission never reads as "the address was deleted". Only rows that will
// be written need it.
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
	return `UPDATE {E_changed} s SET ` + strings.Join(sets, ", ") + `
FROM employees e
WHERE cardinality(s.hidden) > 0 AND e.tenant_key = $1 AND e.employee_id = s.employee_id
  AND e.employee_id = ANY (ARRAY(SELECT employee_id FROM {E_changed} WHERE cardinality(hidden) > 0))`
}()

// Active employees of the tenant that the run did not stage but refused (by ID, at the listing
// or the fetch): they are not removed.
const sqlRejectedActive = `
SELECT count(DISTINCT r.employee_id)::int FROM {R} r
JOIN employees e ON e.tenant_key = $1 AND e.employee_id = r.employee_id AND e.removed_at IS NULL
WHERE NOT EXISTS (SELECT 1 FROM {E} s WHERE s.employee_id = r.employee_id)`

// Removal candidates: employees the tenant has that this full read neither returned nor refused,
// and that its listing did not name either. A listed employee whose object came back unusable
// (without an ID, so its rejection names nobody) is still in HiBob: only a listing that no
// longer names someone removes them. $1 is the run, $2 the tenant.
const removalCandidates = `
e.tenant_key = $2 AND e.removed_at IS NULL
AND NOT EXISTS (SELECT 1 FROM {E} s WHERE s.employee_id = e.employee_id)
AND NOT EXISTS (SELECT 1 FROM {R} r WHERE r.employee_id = e.employee_id)
AND e.employee_id NOT IN (SELECT unnest(b.employee_ids) FROM sync_run_batches b WHERE b.run_id = $1)`

// sqlCountRemovalCandidates counts them exactly, for runs whose staged figures say someone goes.
const sqlCountRemovalCandidates = `SELECT count(*)::int FROM employees e WHERE ` + removalCandidates

// The statements below that join the run's changed rows to the tenant's employees also name
// the employees by ID (= ANY (ARRAY(…))): whatever order the planner joins them in, it reads
// only those employees by primary key, even when its statistics of the tenant are stale (just
// after the baseline, the tenant's 100,000 employees look like a few hundred to it).

// sqlFieldChanges writes the change feed for employees whose content changed, before they are
// updated (it needs the old values). $3 is as_of.
const sqlFieldChanges = `
INSERT INTO changes (tenant_key, run_id, employee_id, kind, field, old_value, new_value, effective_date)
SELECT $2, $1, s.employee_id, c.kind, c.field, c.old_value, c.new_value, c.effective_date
FROM {E_changed} s
JOIN employees e ON e.tenant_key = $2 AND e.employee_id = s.employee_id
    AND e.employee_id = ANY (ARRAY(SELECT employee_id FROM {E_changed}))
LEFT JOIN LATERAL (
    SELECT h.effective_date FROM {H} h
    WHERE h.history_table = 'lifecycle' AND h.employee_id = s.employee_id AND h.is_current
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
WHERE NOT s.duplicate AND (e.hash <> s.hash OR e.removed_at IS NOT NULL) AND c.fires`

// New employees after the baseline are hires, announced at once even when they start later.
// Someone who appears already terminated is nobody to welcome.
const sqlNewHireChanges = `
INSERT INTO changes (tenant_key, run_id, employee_id, kind, field, old_value, new_value, effective_date)
SELECT $2, $1, s.employee_id, 'hired', 'lifecycle_status', NULL, s.lifecycle_class, s.start_date
FROM {E_new} s
WHERE NOT s.duplicate AND s.lifecycle_class IS DISTINCT FROM 'Terminated'`

// Returns how many rows it updated and how many of them were restored.
var sqlUpdateChanged = fmt.Sprintf(`
WITH u AS (
    UPDATE employees e
    SET (%s, hidden, raw, hash, hire_announced, last_run_id, removed_at, removed_run_id)
      = (%s, s.hidden, coalesce(s.raw, s.raw_text::jsonb), s.hash, e.hire_announced OR s.lifecycle_class IS DISTINCT FROM 'Hired', $1, NULL, NULL)
    FROM {E_changed} s
    WHERE NOT s.duplicate AND e.tenant_key = $2 AND e.employee_id = s.employee_id
      AND e.employee_id = ANY (ARRAY(SELECT employee_id FROM {E_changed}))
      AND (e.hash <> s.hash OR e.removed_at IS NOT NULL)
    RETURNING s.state)
SELECT count(*)::int, (count(*) FILTER (WHERE state = 'restored'))::int FROM u`,
	strings.Join(employeeColumnNames(""), ", "), strings.Join(employeeColumnNames("s"), ", "))

// In the baseline a future starter is not yet announced: Gifted hears "hired" when they start.
// After it, a new employee is announced by sqlNewHireChanges. $3 is "this run is the baseline".
// Staging found no stored row for these IDs and no apply has run since (apply_version), so a
// conflict here is a bug, not a race: it fails the apply.
var sqlInsertNew = fmt.Sprintf(`
INSERT INTO employees (tenant_key, employee_id, %s, hidden, raw, hash, hire_announced, first_run_id, last_run_id)
SELECT $2, s.employee_id, %s, s.hidden, coalesce(s.raw, s.raw_text::jsonb), s.hash,
       NOT $3::boolean OR s.lifecycle_class IS DISTINCT FROM 'Hired', $1, $1
FROM {E_new} s
WHERE NOT s.duplicate`,
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

// historyValues are historyColumns of a staged row, whose raw object is text when it was staged
// as the same as the stored row.
const historyValues = `effective_date, end_effective_date, is_current, status, lifecycle_class, employee_status, reason,
    title, department, site, reports_to_id, employment_type, contract, coalesce(raw, raw_text::jsonb), hash`

// Only new and changed rows are written. An entry staged more than once (on pages that shifted
// under the read) is taken from the latest page, and written only when that copy differs.
const sqlUpsertHistory = `
INSERT INTO employee_history (tenant_key, history_table, employee_id, entry_id, ` + historyColumns + `, last_run_id)
SELECT $2::text, history_table, employee_id, entry_id, ` + historyValues + `, $1::bigint
FROM {H_pending} WHERE NOT repeated
UNION ALL
SELECT $2::text, history_table, employee_id, entry_id, ` + historyValues + `, $1::bigint
FROM (SELECT DISTINCT ON (history_table, employee_id, entry_id) * FROM {H} WHERE repeated
      ORDER BY history_table, employee_id, entry_id, seq DESC) latest
WHERE state <> 'same'
ON CONFLICT (tenant_key, history_table, employee_id, entry_id) DO UPDATE
SET (` + historyColumns + `, last_run_id) = (
    EXCLUDED.effective_date, EXCLUDED.end_effective_date, EXCLUDED.is_current, EXCLUDED.status,
    EXCLUDED.lifecycle_class, EXCLUDED.employee_status, EXCLUDED.reason, EXCLUDED.title, EXCLUDED.department,
    EXCLUDED.site, EXCLUDED.reports_to_id, EXCLUDED.employment_type, EXCLUDED.contract, EXCLUDED.raw,
    EXCLUDED.hash, EXCLUDED.last_run_id)
WHERE employee_history.hash <> EXCLUDED.hash`

// How many rows the tenant has in a history table, and whether the run staged an entry of it
// more than once. $1 the tenant, $2 the table.
const sqlHistoryCount = `
SELECT (SELECT count(*)::int FROM employee_history WHERE tenant_key = $1 AND history_table = $2),
       EXISTS (SELECT 1 FROM {H} WHERE repeated AND history_table = $2)`

// $1: the tenant; $2: a history table this run read in full; its stored rows the run did not return go.
const sqlDeleteAbsentHistory = `
DELETE FROM employee_history h
WHERE h.tenant_key = $1 AND h.history_table = $2
  AND NOT EXISTS (SELECT 1 FROM {H} s WHERE s.history_table = h.history_table
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
