#!/bin/sh
# Trino's entrypoint here:
# - the catalogs of docker/trino/catalog are copied into the writable catalog folder at each start (so a
#   change to them takes effect), beside the catalogs that write-audit-publish made;
# - config.properties is docker/trino's config.properties followed by its secure.properties (HTTPS with
#   the trino-tls job's key pair, Keycloak's tokens), the two files LocalTrino starts its Trino on too.
set -eu
cp /etc/trino/catalog-seed/*.properties /etc/trino/catalog/
mkdir -p /tmp/trino
cat /etc/trino/config-seed/config.properties /etc/trino/config-seed/secure.properties > /tmp/trino/config.properties
exec /usr/lib/trino/bin/run-trino --config=/tmp/trino/config.properties
