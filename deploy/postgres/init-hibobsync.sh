#!/bin/sh
# Runs once, when the Postgres volume is first initialised (docker-entrypoint-initdb.d): the
# application's own role and database, apart from Temporal's temporal/temporal_visibility.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v app_password="$HIBOBSYNC_DB_PASSWORD" <<'SQL'
CREATE ROLE hibobsync LOGIN PASSWORD :'app_password';
CREATE DATABASE hibobsync OWNER hibobsync;
SQL
