#!/bin/sh
# The minio-init job: the lakehouse bucket and the access key that Sluice, Trino, Nessie, the metastore
# and Dremio use, with read-write rights on it. Safe to run again.
set -eu
mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "local/$S3_BUCKET"
if ! mc admin user info local "$S3_ACCESS_KEY" >/dev/null 2>&1; then
  mc admin user add local "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
fi
mc admin policy attach local readwrite --user "$S3_ACCESS_KEY" >/dev/null 2>&1 || true
echo "bucket $S3_BUCKET and access key $S3_ACCESS_KEY ready"
