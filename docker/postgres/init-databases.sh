#!/bin/bash
# Runs once, on the first start of the platform Postgres (docker-entrypoint-initdb.d): a database and an
# owner for each service that keeps its state here. Passwords come from the container's environment.
set -euo pipefail
create() {
  local database=$1 user=$2 password=$3
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v user="$user" -v password="$password" -v database="$database" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"user";
SQL
}
create sluice sluice "$SLUICE_DB_PASSWORD"
create nessie nessie "$NESSIE_DB_PASSWORD"
create metastore metastore "$METASTORE_DB_PASSWORD"
create superset superset "$SUPERSET_DB_PASSWORD"
