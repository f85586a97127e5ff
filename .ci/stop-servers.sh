#!/usr/bin/env bash
# Stops the Trino (and its Postgres) that a test run shared between its modules. Safe to run when none runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f servers/target/classes/dev/sluice/servers/LocalTrino.class ]; then
  ./mvnw -q -pl servers exec:java -Dexec.mainClass=dev.sluice.servers.LocalTrino -Dexec.args=stop || true
fi
