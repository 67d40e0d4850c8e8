#!/bin/sh
# Creates Temporal's two databases (temporal, temporal_visibility) on the compose file's Postgres
# and brings their schemas up to date. Run by the temporal-admin-tools service; safe to re-run
# (create fails harmlessly on an existing database, the schema steps are idempotent).
set -eu
: "${POSTGRES_SEEDS:=postgresql}" "${DB_PORT:=5432}" "${POSTGRES_USER:=temporal}"
export SQL_PASSWORD="${POSTGRES_PWD:?POSTGRES_PWD is required}"

echo "Waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT}..."
until nc -z -w 2 "$POSTGRES_SEEDS" "$DB_PORT"; do sleep 1; done

for db in temporal temporal_visibility; do
  case $db in
    temporal) schema=temporal ;;
    *) schema=visibility ;;
  esac
  tool="temporal-sql-tool --plugin postgres12 --ep $POSTGRES_SEEDS -p $DB_PORT -u $POSTGRES_USER --db $db"
  $tool create || echo "database $db exists"
  $tool setup-schema -v 0.0
  $tool update-schema -d "/etc/temporal/schema/postgresql/v12/$schema/versioned"
done
echo "Temporal's PostgreSQL schemas are up to date"
