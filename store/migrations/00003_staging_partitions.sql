-- +goose Up

-- Staging becomes per run: each table is LIST-partitioned by run_id, and StartRun creates the
-- run's partitions (see store/staging.go), themselves partitioned by the state staging gave each
-- row, so that apply reads only what changed and dropping a run's staging is a DROP TABLE.
-- Staging is disposable: nothing is migrated. A run staged before this migration finds its
-- staging gone, which sync_run_parts tells apply, and is fetched again.
DROP TABLE staged_employees, staged_history, staged_rejections;

CREATE TABLE staged_employees (
    run_id                 bigint  NOT NULL,
    seq                    integer NOT NULL,
    employee_id            text    NOT NULL,
    first_name             text,
    surname                text,
    display_name           text,
    work_email             text,
    personal_email         text,
    birthday               text,
    birth_date             date,
    start_date             date,
    original_start_date    date,
    title                  text,
    title_label            text,
    department             text,
    department_label       text,
    site                   text,
    site_label             text,
    manager_id             text,
    access_status          text,
    lifecycle_status       text,
    lifecycle_status_label text,
    lifecycle_class        text,
    termination_date       date,
    last_day_of_work       date,
    home_line1             text,
    home_line2             text,
    home_city              text,
    home_post_code         text,
    home_state             text,
    home_country           text,
    home_country_label     text,
    site_line1             text,
    site_line2             text,
    site_city              text,
    site_post_code         text,
    site_state             text,
    site_country           text,
    site_country_label     text,
    hidden                 text[]  NOT NULL DEFAULT '{}',
    raw                    jsonb   NOT NULL,
    hash                   bytea   NOT NULL,
    -- What the row is to the tenant's employees when it was staged (or reclassified by apply):
    -- new (no such employee), same (hash equal, not removed), changed, restored (was removed).
    state                  text    NOT NULL CHECK (state IN ('new', 'same', 'changed', 'restored')),
    -- The run returned the ID more than once: every copy is refused.
    duplicate              boolean NOT NULL DEFAULT false
) PARTITION BY LIST (run_id);
CREATE INDEX staged_employees_seq ON staged_employees (seq);
CREATE INDEX staged_employees_id ON staged_employees (employee_id);
CREATE INDEX staged_employees_duplicate ON staged_employees (employee_id) WHERE duplicate;

CREATE TABLE staged_history (
    run_id             bigint  NOT NULL,
    seq                integer NOT NULL,
    history_table      text    NOT NULL,
    employee_id        text    NOT NULL,
    entry_id           bigint  NOT NULL,
    effective_date     date,
    end_effective_date date,
    is_current         boolean NOT NULL,
    status             text,
    lifecycle_class    text,
    employee_status    text,
    reason             text,
    title              text,
    department         text,
    site               text,
    reports_to_id      text,
    employment_type    text,
    contract           text,
    raw                jsonb   NOT NULL,
    hash               bytea   NOT NULL,
    -- new (no such stored row), same (hash equal) or changed.
    state              text    NOT NULL CHECK (state IN ('new', 'same', 'changed')),
    -- The run staged the same entry more than once (a page re-read at another offset).
    repeated           boolean NOT NULL DEFAULT false,
    -- A lifecycle row announcing a termination (Terminated, future-dated or current as of the run).
    terminates         boolean NOT NULL DEFAULT false
) PARTITION BY LIST (run_id);
CREATE INDEX staged_history_seq ON staged_history (history_table, seq);
CREATE INDEX staged_history_key ON staged_history (history_table, employee_id, entry_id);
CREATE INDEX staged_history_terminates ON staged_history (employee_id) WHERE terminates;
CREATE INDEX staged_history_repeated ON staged_history (history_table) WHERE repeated;

CREATE TABLE staged_rejections (
    run_id      bigint  NOT NULL,
    part        text    NOT NULL,
    seq         integer NOT NULL,
    employee_id text,
    reason      text    NOT NULL
) PARTITION BY LIST (run_id);
CREATE INDEX staged_rejections_part ON staged_rejections (part, seq);

-- What staging classified per part, and against which state of the tenant: apply trusts the
-- staged states only when every part saw the tenant's current apply_version.
ALTER TABLE sync_run_parts
    ADD COLUMN new_rows      integer NOT NULL DEFAULT 0,
    ADD COLUMN same_rows     integer NOT NULL DEFAULT 0,
    ADD COLUMN changed_rows  integer NOT NULL DEFAULT 0,
    ADD COLUMN restored_rows integer NOT NULL DEFAULT 0,
    ADD COLUMN apply_version bigint;

-- apply_version: bumped by every apply and every guard resolution that removes, i.e. by every
-- write to the tenant's employees or history. active_employees: its employees not removed.
ALTER TABLE tenants
    ADD COLUMN apply_version    bigint  NOT NULL DEFAULT 0,
    ADD COLUMN active_employees integer NOT NULL DEFAULT 0;
UPDATE tenants t SET active_employees = (
    SELECT count(*) FROM employees e WHERE e.tenant_key = t.key AND e.removed_at IS NULL);

-- +goose Down
ALTER TABLE tenants DROP COLUMN apply_version, DROP COLUMN active_employees;
ALTER TABLE sync_run_parts DROP COLUMN new_rows, DROP COLUMN same_rows, DROP COLUMN changed_rows,
    DROP COLUMN restored_rows, DROP COLUMN apply_version;
DROP TABLE staged_employees, staged_history, staged_rejections;
CREATE UNLOGGED TABLE staged_employees (
    run_id bigint NOT NULL, seq integer NOT NULL, employee_id text NOT NULL,
    first_name text, surname text, display_name text, work_email text, personal_email text,
    birthday text, birth_date date, start_date date, original_start_date date, title text,
    title_label text, department text, department_label text, site text, site_label text,
    manager_id text, access_status text, lifecycle_status text, lifecycle_status_label text,
    lifecycle_class text, termination_date date, last_day_of_work date, home_line1 text,
    home_line2 text, home_city text, home_post_code text, home_state text, home_country text,
    home_country_label text, site_line1 text, site_line2 text, site_city text, site_post_code text,
    site_state text, site_country text, site_country_label text,
    hidden text[] NOT NULL DEFAULT '{}', raw jsonb NOT NULL, hash bytea NOT NULL,
    duplicate boolean NOT NULL DEFAULT false
);
CREATE INDEX staged_employees_run ON staged_employees (run_id, employee_id);
CREATE UNLOGGED TABLE staged_rejections (
    run_id bigint NOT NULL, part text NOT NULL, seq integer NOT NULL, employee_id text, reason text NOT NULL
);
CREATE INDEX staged_rejections_run ON staged_rejections (run_id);
CREATE UNLOGGED TABLE staged_history (
    run_id bigint NOT NULL, seq integer NOT NULL, history_table text NOT NULL, employee_id text NOT NULL,
    entry_id bigint NOT NULL, effective_date date, end_effective_date date, is_current boolean NOT NULL,
    status text, lifecycle_class text, employee_status text, reason text, title text, department text,
    site text, reports_to_id text, employment_type text, contract text, raw jsonb NOT NULL, hash bytea NOT NULL
);
CREATE INDEX staged_history_run ON staged_history (run_id, history_table, employee_id, entry_id);
