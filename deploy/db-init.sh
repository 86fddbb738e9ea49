#!/bin/sh
# Loads Kamailio's schema into the db service, applies presec's migrations (sql/, in order,
# each once: scripts/db-migrate.sh, so that a database made by an older image gets the new
# ones), makes the role logins (pcscf, scscf, ps, bsf, ap; those missing, so that an older
# database gets the new ones) and provisions the demo subscribers. The role services start
# after it (depends_on). Usage: db-init.sh DB_ADDRESS
set -eu
DB=$1
PW=${PRESEC_DB_PASSWORD:-presec}
SHARE=${PRESEC_SHARE:-/usr/share/presec}
KSCHEMA=${KAMAILIO_SCHEMA:-/usr/share/kamailio/postgres}
export PGPASSWORD="$PW"  # the superuser's, set by db.sh
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$DB" -U postgres "$@"; }
until pg_isready -q -h "$DB" -U postgres; do sleep 1; done
fresh=0
if ! psql_ -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'presec'" | grep -q 1; then
  fresh=1
  psql_ -d postgres -c "CREATE DATABASE presec"
  psql_ -d presec -f "$KSCHEMA/standard-create.sql"
  for f in "$KSCHEMA"/*-create.sql; do
    [ "$f" = "$KSCHEMA/standard-create.sql" ] || psql_ -d presec -f "$f"
  done
fi
PGHOST=$DB PGUSER=postgres PGDATABASE=presec "$SHARE/scripts/db-migrate.sh"
for role in pcscf scscf ps bsf ap; do
  psql_ -d presec -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role')
    THEN CREATE ROLE $role LOGIN PASSWORD '$PW' IN ROLE presec_$role; END IF; END \$\$"
done
if [ $fresh = 1 ]; then
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
