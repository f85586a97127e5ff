#!/bin/sh
# The superset-init job: the metadata schema, the admin login, the roles, and the stack's databases as
# Superset connections (Trino's iceberg catalog, and Dremio over Arrow Flight). Safe to run again:
# set_database_uri updates a connection that exists.
set -eu
superset db upgrade
superset fab create-admin --username "$SUPERSET_ADMIN_USER" --password "$SUPERSET_ADMIN_PASSWORD" \
  --firstname Superset --lastname Admin --email admin@nemo.example || true
superset init
superset set_database_uri --database_name "Trino iceberg" --uri "trino://superset@trino:8080/iceberg"
superset set_database_uri --database_name "Dremio" \
  --uri "dremio+flight://$DREMIO_ADMIN_USER:$DREMIO_ADMIN_PASSWORD@dremio:32010/dremio?UseEncryption=false"
