#!/bin/sh
# The sluice-demo job: once the DAGs are loaded, a backfill of February 2013 of sp500_daily, as the first
# start of `sluice standalone` makes, unless the DAG has a backfill already. It signs in as the realm's
# sluice-service client (client credentials), through Keycloak's address inside the stack.
set -eu
api=http://sluice-scheduler:8080/api/v1
token() {
  curl -fsS -X POST "http://keycloak:8080/realms/nemo/protocol/openid-connect/token" \
    -d grant_type=client_credentials -d client_id=sluice-service --data-urlencode "client_secret=$SLUICE_SERVICE_SECRET" \
    | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
attempt=0
until curl -fsS -o /dev/null -H "Authorization: Bearer $(token)" "$api/dags/sp500_daily"; do
  attempt=$((attempt + 1))
  [ "$attempt" -lt 60 ] || { echo "sp500_daily was not loaded within 5 minutes" >&2; exit 1; }
  sleep 5
done
if curl -fsS -H "Authorization: Bearer $(token)" "$api/backfills?dagId=sp500_daily" | grep -q '"dagId"'; then
  echo "sp500_daily has a backfill already"
  exit 0
fi
curl -fsS -X POST -H "Authorization: Bearer $(token)" -H 'Content-Type: application/json' "$api/backfills" \
  -d '{"dagId":"sp500_daily","from":"2013-02-08","to":"2013-03-08"}'
echo
echo "backfill of sp500_daily for February 2013 created"
