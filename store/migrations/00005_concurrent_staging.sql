-- +goose Up

-- One row per staged employee batch: the 64-bit hashes of its rows' employee IDs (per run, an
-- UNLOGGED partition like the rest of staging; see store/staging.go). The batches of a run stage
-- side by side, so none of them can tell that another holds the same ID; apply tells whether
-- any ID was staged twice from here, reading under 2 KB a batch rather than every staged row.
CREATE TABLE staged_batches (
    run_id    bigint   NOT NULL,
    seq       integer  NOT NULL,
    id_hashes bigint[] NOT NULL, -- one per row, in order, repeats included
    PRIMARY KEY (run_id, seq)
) PARTITION BY LIST (run_id);

-- A row staged as the same as the stored one keeps HiBob's raw object as text (raw_text), not
-- jsonb: parsing it (about 1.4 KB an employee) took about a third of a resync's staging time,
-- and apply writes such a row only when it turns out changed after all (another run applied
-- since, or a scheduled termination), casting it then. New and changed rows, which apply
-- writes, are parsed when staged, as before.
ALTER TABLE staged_employees ALTER COLUMN raw DROP NOT NULL, ADD COLUMN raw_text text,
    ADD CONSTRAINT staged_employees_raw CHECK ((raw IS NULL) <> (raw_text IS NULL));
ALTER TABLE staged_history ALTER COLUMN raw DROP NOT NULL, ADD COLUMN raw_text text,
    ADD CONSTRAINT staged_history_raw CHECK ((raw IS NULL) <> (raw_text IS NULL));

-- +goose Down
ALTER TABLE staged_history DROP CONSTRAINT staged_history_raw;
UPDATE staged_history SET raw = raw_text::jsonb WHERE raw IS NULL;
ALTER TABLE staged_history DROP COLUMN raw_text, ALTER COLUMN raw SET NOT NULL;
ALTER TABLE staged_employees DROP CONSTRAINT staged_employees_raw;
UPDATE staged_employees SET raw = raw_text::jsonb WHERE raw IS NULL;
ALTER TABLE staged_employees DROP COLUMN raw_text, ALTER COLUMN raw SET NOT NULL;
DROP TABLE staged_batches;
