#!/usr/bin/env bash
# Validates the compose stack without a Docker engine: docker-compose.yml loaded by Docker Compose's own
# loader with .env.example, the stack's rules (a health check on every service but one-shot jobs, a
# condition on every depends_on, pinned images, no host port twice), the Dockerfiles linted by BuildKit's
# linter (docker build --check) plus a non-root user and a health check, and the scripts' shell syntax.
# The checker is the Go program in docker/compose-check, built with the Go toolchain from the Go module
# proxy's modules (cached in Go's module and build caches).
set -euo pipefail
cd "$(dirname "$0")/.."
go=$(command -v go || true)
if [ -z "$go" ] && [ -x /usr/local/go/bin/go ]; then
  go=/usr/local/go/bin/go
fi
if [ -z "$go" ]; then
  echo "compose-check: Go 1.26.8 or newer is needed (go on the PATH or /usr/local/go)" >&2
  exit 1
fi
bin="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/compose-check"
mkdir -p "$bin"
(cd docker/compose-check && GOTOOLCHAIN=local GOFLAGS=-mod=readonly "$go" build -o "$bin/compose-check" .)
for script in docker/*/*.sh; do
  case "$(head -1 "$script")" in
    *bash*) bash -n "$script" ;;
    *) sh -n "$script" ;;
  esac
done
"$bin/compose-check" -compose docker-compose.yml -env-file .env.example \
  -dockerfile Dockerfile -dockerfile docker/superset/Dockerfile
