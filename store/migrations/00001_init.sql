-- +goose Up

-- One row per customer connection. The key is model.TenantKey: the company name normalised,
-- without the "Service User" suffix.
CREATE TABLE tenants (
    key                 text PRIMARY KEY,
    company_name        text        NOT NULL,
    service_user_suffix boolean     NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- The run that stored the tenant's first full picture; NULL until then. Runs after it diff.
    baseline_run_id     bigint
);

-- Service-user credentials, versioned per tenant. The token is sealed with AES-256-GCM; key_id
-- names the key so keys can rotate. No plaintext token is stored anywhere.
CREATE TABLE credentials (
    tenant_key      text        NOT NULL REFERENCES tenants (key),
    version         integer     NOT NULL,
    service_user_id text        NOT NULL,
    key_id          text        NOT NULL,
    sealed_token    bytea       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_key, version)
);

CREATE TABLE sync_runs (
    id              bigserial   PRIMARY KEY,
    tenant_key      text        NOT NULL REFERENCES tenants (key),
    -- Who asked for the run, unique per tenant, so that a retried "start run" finds its run.
    request_key     text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('initial', 'scheduled', 'manual')),
    -- The date the run reads HiBob as of: what "future-dated" and "has started" are measured against.
    as_of           date        NOT NULL,
    full_read       boolean     NOT NULL DEFAULT true,
    status          text        NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'applied', 'guard_tripped', 'failed')),
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    fetched         integer     NOT NULL DEFAULT 0,
    inserted        integer     NOT NULL DEFAULT 0,
    updated         integer     NOT NULL DEFAULT 0,
    unchanged       integer     NOT NULL DEFAULT 0,
    removed         integer     NOT NULL DEFAULT 0,
    rejected        integer     NOT NULL DEFAULT 0,
    changes         integer     NOT NULL DEFAULT 0,
    -- [{"employeeId": …, "reason": …}] for rows refused by this run.
    rejections      jsonb       NOT NULL DEFAULT '[]',
    -- Set when the false-delete guard held removals back: how many, out of how many.
    guard_would_remove integer,
    guard_of           integer,
    guard_allowed      integer,
    guard_resolution   text CHECK (guard_resolution IN ('removed', 'kept')),
    error           text,
    UNIQUE (tenant_key, request_key)
);
CREATE INDEX sync_runs_tenant ON sync_runs (tenant_key, id);

-- What each fetch activity staged, logged, so apply can tell a complete run from one whose
-- UNLOGGED staging a Postgres crash emptied.
CREATE TABLE sync_run_parts (
    run_id     bigint  NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    part       text    NOT NULL, -- 'employees' or a history table name
    seq        integer NOT NULL, -- batch or page number
    rows       integer NOT NULL,
    rejected   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, part, seq)
);

-- Staging: UNLOGGED (fast, and disposable: sync_run_parts tells when it was lost).
CREATE UNLOGGED TABLE staged_employees (
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
    duplicate              boolean NOT NULL DEFAULT false
);
CREATE INDEX staged_employees_run ON staged_employees (run_id, employee_id);

CREATE UNLOGGED TABLE staged_rejections (
    run_id      bigint  NOT NULL,
    part        text    NOT NULL,
    seq         integer NOT NULL,
    employee_id text,
    reason      text    NOT NULL
);
CREATE INDEX staged_rejections_run ON staged_rejections (run_id);

CREATE UNLOGGED TABLE staged_history (
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
    hash               bytea   NOT NULL
);
CREATE INDEX staged_history_run ON staged_history (run_id, history_table, employee_id, entry_id);

-- The tenant's employees as of its last applied run.
CREATE TABLE employees (
    tenant_key             text        NOT NULL REFERENCES tenants (key),
    employee_id            text        NOT NULL,
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
    hidden                 text[]      NOT NULL DEFAULT '{}',
    raw                    jsonb       NOT NULL,
    hash                   bytea       NOT NULL,
    -- Whether Gifted has been told of this employment ("hired"): a future starter in the
    -- baseline is told when the start date arrives.
    hire_announced         boolean     NOT NULL,
    first_run_id           bigint      NOT NULL,
    -- The run that last wrote the row. A run that changes nothing writes no row, so "seen" is
    -- the tenant's last applied full run for every row that is not removed.
    last_run_id            bigint      NOT NULL,
    removed_at             timestamptz,
    removed_run_id         bigint,
    PRIMARY KEY (tenant_key, employee_id)
);

CREATE TABLE employee_history (
    tenant_key         text    NOT NULL REFERENCES tenants (key),
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
    last_run_id        bigint  NOT NULL,
    PRIMARY KEY (tenant_key, history_table, employee_id, entry_id)
);

-- The change feed Gifted reads: one row per change, cursor strictly increasing in commit order
-- per tenant (applies of one tenant are serialised on its tenants row).
CREATE TABLE changes (
    cursor         bigserial   PRIMARY KEY,
    tenant_key     text        NOT NULL REFERENCES tenants (key),
    run_id         bigint      NOT NULL REFERENCES sync_runs (id),
    employee_id    text        NOT NULL,
    kind           text        NOT NULL,
    field          text        NOT NULL,
    old_value      text,
    new_value      text,
    effective_date date,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, employee_id, kind, field)
);
CREATE INDEX changes_tenant_cursor ON changes (tenant_key, cursor);

-- Removals the false-delete guard held back, until support decides.
CREATE TABLE guarded_removals (
    run_id      bigint NOT NULL REFERENCES sync_runs (id),
    tenant_key  text   NOT NULL,
    employee_id text   NOT NULL,
    PRIMARY KEY (run_id, employee_id)
);

-- Events for Gifted, written in the transaction of the data they describe; a relay publishes them.
CREATE TABLE outbox (
    id           bigserial   PRIMARY KEY,
    tenant_key   text        NOT NULL,
    event_type   text        NOT NULL,
    -- What makes the event unique, so a replayed writer cannot emit it twice.
    dedup_key    text        NOT NULL UNIQUE,
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- +goose Down
DROP TABLE outbox, guarded_removals, changes, employee_history, employees, staged_history,
    staged_rejections, staged_employees, sync_run_parts, sync_runs, credentials, tenants;
