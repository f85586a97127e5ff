#!/bin/sh
# The dremio-init job, through Dremio's REST API: the first admin user, then two sources, the lakehouse's
# Nessie catalog (its files in MinIO) and the MinIO bucket itself. Safe to run again: an existing user or
# source is left as it is (HTTP 409 or 400 on creation).
set -eu
dremio=http://dremio:9047
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$dremio/apiv2/bootstrap/firstuser" \
  -H 'Content-Type: application/json' \
  -d "{\"userName\":\"$DREMIO_ADMIN_USER\",\"firstName\":\"Dremio\",\"lastName\":\"Admin\",\"email\":\"dremio@nemo.example\",\"createdAt\":0,\"password\":\"$DREMIO_ADMIN_PASSWORD\"}")
echo "first user: HTTP $status"
token=$(curl -fsS -X POST "$dremio/apiv2/login" -H 'Content-Type: application/json' \
  -d "{\"userName\":\"$DREMIO_ADMIN_USER\",\"password\":\"$DREMIO_ADMIN_PASSWORD\"}" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "Dremio login failed" >&2; exit 1; }
source() {
  status=$(curl -s -o /tmp/answer -w '%{http_code}' -X POST "$dremio/api/v3/catalog" \
    -H "Authorization: _dremio$token" -H 'Content-Type: application/json' -d "$2")
  case "$status" in
    200) echo "source $1 created" ;;
    409|400) echo "source $1: HTTP $status, left as it is: $(cat /tmp/answer)" ;;
    *) echo "source $1: HTTP $status: $(cat /tmp/answer)" >&2; exit 1 ;;
  esac
}
s3_properties='[{"name":"fs.s3a.path.style.access","value":"true"},{"name":"fs.s3a.endpoint","value":"minio:9000"},{"name":"dremio.s3.compat","value":"true"}]'
source nessie "{\"entityType\":\"source\",\"name\":\"nessie\",\"type\":\"NESSIE\",\"config\":{
  \"nessieEndpoint\":\"http://nessie:19120/api/v2\",\"nessieAuthType\":\"NONE\",
  \"credentialType\":\"ACCESS_KEY\",\"awsAccessKey\":\"$S3_ACCESS_KEY\",\"awsAccessSecret\":\"$S3_SECRET_KEY\",
  \"awsRootPath\":\"/datalake\",\"secure\":false,\"propertyList\":$s3_properties}}"
source minio "{\"entityType\":\"source\",\"name\":\"minio\",\"type\":\"S3\",\"config\":{
  \"credentialType\":\"ACCESS_KEY\",\"accessKey\":\"$S3_ACCESS_KEY\",\"accessSecret\":\"$S3_SECRET_KEY\",
  \"secure\":false,\"compatibilityMode\":true,\"rootPath\":\"/\",\"propertyList\":$s3_properties}}"
