#!/bin/sh
# Loads Kamailio's schema and presec's migrations (sql/, in order) into the db service, makes
# the role logins (pcscf, scscf, ps) and provisions the demo subscribers. Runs once; the role
# services start after it (depends_on). Usage: db-init.sh DB_ADDRESS
set -eu
DB=$1
PW=${PRESEC_DB_PASSWORD:-presec}
export PGPASSWORD="$PW"  # the superuser's, set by db.sh
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$DB" -U postgres "$@"; }
until pg_isready -q -h "$DB" -U postgres; do sleep 1; done
if ! psql_ -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'presec'" | grep -q 1; then
  psql_ -d postgres -c "CREATE DATABASE presec"
  psql_ -d presec -f /usr/share/kamailio/postgres/standard-create.sql
  for f in /usr/share/kamailio/postgres/*-create.sql; do
    [ "$f" = /usr/share/kamailio/postgres/standard-create.sql ] || psql_ -d presec -f "$f"
  done
  for f in /usr/share/presec/sql/*.sql; do psql_ -d presec -f "$f"; done
  for role in pcscf scscf ps; do
    psql_ -d presec -c "CREATE ROLE $role LOGIN PASSWORD '$PW' IN ROLE presec_$role"
  done
  # alice and bob: IMS AKA (K and OP as in the demo) and Ut credentials
  for u in alice bob; do
    psql_ -d presec -c "SELECT presec_provision_subscriber('$u@ims.example',
      ARRAY['sip:$u@ims.example'], encode('demo-aka-key-001', 'hex'),
      encode('presec-demo-op-1', 'hex'), NULL, '8000', 0, ARRAY['AKAv1-MD5'])"
    psql_ -d presec -c "INSERT INTO presec_ut_credential (username, domain, ha1)
      VALUES ('$u', 'ims.example', md5('$u:ims.example:$u-ut'))"
  done
fi
echo "db-init: schema and subscribers ready"
