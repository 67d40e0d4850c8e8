-- +goose Up

-- A run's employee listing, split into the batches its fetch activities read: logged (not
-- staging), because the batch numbers are what the workflow's progress refers to, and a
-- Postgres crash must not leave a run whose batches point nowhere.
CREATE TABLE sync_run_batches (
    run_id       bigint  NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    seq          integer NOT NULL, -- batch number, from 0
    employee_ids text[]  NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- +goose Down
DROP TABLE sync_run_batches;
