#!/bin/sh
# The PostgreSQL service of deploy/docker-compose.yml: a cluster in the container, reachable
# from the compose network with passwords (scram-sha-256).
set -eu
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DATA=/var/lib/presec-db
if [ ! -s "$DATA/PG_VERSION" ]; then
  install -d -o postgres -g postgres "$DATA"
  # the superuser's password is the deployment's: db-init connects over the network
  PWFILE=$(mktemp); chown postgres "$PWFILE"
  printf '%s\n' "${PRESEC_DB_PASSWORD:-presec}" > "$PWFILE"
  runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C \
    --pwfile="$PWFILE"
  rm -f "$PWFILE"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$DATA/pg_hba.conf"
fi
install -d -o postgres -g postgres /run/postgresql
exec runuser -u postgres -- "$PGBIN/postgres" -D "$DATA" -c listen_addresses='*'
