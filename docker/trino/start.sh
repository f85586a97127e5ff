#!/bin/sh
# Trino's entrypoint here: the catalogs of docker/trino/catalog are copied into the writable catalog folder
# at each start (so a change to them takes effect), beside the catalogs that write-audit-publish made.
set -eu
cp /etc/trino/catalog-seed/*.properties /etc/trino/catalog/
exec /usr/lib/trino/bin/run-trino
