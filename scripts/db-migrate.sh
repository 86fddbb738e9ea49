#!/bin/sh
# Apply presec's SQL migrations (sql/NNN_*.sql) in order, each once, each in one transaction.
# Run it after Kamailio's own schema is loaded (the migrations grant on Kamailio's tables).
# Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE), as a role that may
# create roles and grant (the database owner or a superuser).
set -eu
dir=$(cd "$(dirname "$0")/../sql" && pwd)
psql_() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
psql_ -c "CREATE TABLE IF NOT EXISTS presec_migrations (
            name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
for f in "$dir"/[0-9][0-9][0-9]_*.sql; do
  [ -e "$f" ] || continue
  name=$(basename "$f")
  done_=$(psql_ -c "SELECT 1 FROM presec_migrations WHERE name = '$name'")
  [ -n "$done_" ] && continue
  echo "db-migrate: applying $name"
  # -1: the file and its bookkeeping row commit together or not at all
  { cat "$f"; echo; echo "INSERT INTO presec_migrations(name) VALUES ('$name');"; } | psql_ -1 -f -
done
