#!/usr/bin/env bash
# Stops servers that a test run shared between its modules (see servers/README.md). Safe to run when none runs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f servers/target/stop-servers.sh ]; then
  bash servers/target/stop-servers.sh
fi
