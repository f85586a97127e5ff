#!/bin/sh
# The superset-init job: the metadata schema, the admin login, the roles; then the dashboards as code of
# dashboards/ (the connection "Trino iceberg", datasets on the gold tables, charts, the dashboard "S&P 500
# gold"), which LocalSuperset imports too, with its own Trino's URI in place of the bundle's; and Dremio
# over Arrow Flight. Safe to run again: the import overwrites the dashboard, set_database_uri updates a
# connection that exists.
set -eu
superset db upgrade
superset fab create-admin --username "$SUPERSET_ADMIN_USER" --password "$SUPERSET_ADMIN_PASSWORD" \
  --firstname Superset --lastname Admin --email admin@nemo.example || true
superset init
# Superset imports a zip with the bundle's folder at its root.
(cd /app/docker/dashboards && python -m zipfile -c /tmp/sp500_gold.zip sp500_gold/)
superset import-dashboards --path /tmp/sp500_gold.zip --username "$SUPERSET_ADMIN_USER"
superset set_database_uri --database_name "Dremio" \
  --uri "dremio+flight://$DREMIO_ADMIN_USER:$DREMIO_ADMIN_PASSWORD@dremio:32010/dremio?UseEncryption=false"
