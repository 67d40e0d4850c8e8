-- +goose Up
-- The access status's label (internal.status with humanReadable), kept beside its machine value
-- like every other list field.
ALTER TABLE employees ADD COLUMN access_status_label text;
ALTER TABLE staged_employees ADD COLUMN access_status_label text;

-- +goose Down
ALTER TABLE staged_employees DROP COLUMN access_status_label;
ALTER TABLE employees DROP COLUMN access_status_label;
