#!/usr/bin/env bash
# Runs the README's first command as a new user does: ./sluice standalone with an empty Sluice cache
# (SLUICE_CACHE_DIR) and an empty home (SLUICE_HOME), both fresh temporary folders. Waits, bounded,
# for the first successful run (hello_sluice; with --lakehouse, the first sp500_daily gold row in
# Trino; with --kafka, that and the first successful sp500_stream run), runs the commands that standalone's banner prints as they stand, stops it with SIGTERM
# (what docker stop and supervisors send) and checks that it exits cleanly and leaves no process
# behind, its Postgres and Trino included. Prints how long each step took.
#
# Usage: .ci/standalone-smoke.sh [--lakehouse | --kafka]
#   --lakehouse  the default standalone (Trino, dbt, the S&P 500 pipeline); else --no-lakehouse
#   --kafka      standalone --kafka: the lakehouse with a local Kafka, the stream producer and sp500_stream
set -euo pipefail
cd "$(dirname "$0")/.."

lakehouse=false
kafka=false
case "${1:-}" in
  --lakehouse) lakehouse=true ;;
  --kafka) kafka=true ;;
  "") ;;
  *) echo "usage: $0 [--lakehouse | --kafka]" >&2; exit 2 ;;
esac

work=$(mktemp -d -t sluice-smoke-XXXXXX)
export SLUICE_CACHE_DIR="$work/cache" SLUICE_HOME="$work/home"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
SLUICE_API_PORT=$(free_port)
SLUICE_POSTGRES_PORT=$(free_port)
export SLUICE_API_PORT SLUICE_POSTGRES_PORT SLUICE_SERVER="http://127.0.0.1:$SLUICE_API_PORT"
log="$work/standalone.log"

started=$(date +%s)
touch "$work/started"
elapsed() { echo "$(($(date +%s) - started)) s"; }
fail() {
  echo "FAILED: $*" >&2
  echo "--- the last 80 lines of $log:" >&2
  tail -n 80 "$log" >&2 || true
  # The JVM's command line does not name the work folder (SLUICE_HOME is in its environment); the
  # servers it started do.
  [ -z "${pid:-}" ] || kill -KILL "$pid" 2>/dev/null || true
  pkill -KILL -f -- "$work" 2>/dev/null || true
  exit 1
}

if $kafka; then
  echo "standalone smoke: ./sluice standalone --kafka (the lakehouse, Kafka, sp500_stream) with an empty cache and home in $work"
  ./sluice standalone --kafka >"$log" 2>&1 &
  deadline=1200
elif $lakehouse; then
  echo "standalone smoke: ./sluice standalone (Trino, dbt, sp500_daily) with an empty cache and home in $work"
  ./sluice standalone >"$log" 2>&1 &
  deadline=1200
else
  echo "standalone smoke: ./sluice standalone --no-lakehouse with an empty cache and home in $work"
  ./sluice standalone --no-lakehouse >"$log" 2>&1 &
  deadline=300
fi
# The launcher execs Java, so this is the JVM once it has started.
pid=$!

# Waits until the command succeeds, while standalone is alive, within the deadline; exit status 42
# from the command means it never will (the CLI's own codes are 0 to 3).
wait_for() {
  local what=$1
  shift
  local status
  while true; do
    status=0
    "$@" >"$work/check-output" 2>&1 || status=$?
    [ "$status" -ne 0 ] || break
    [ "$status" -ne 42 ] || fail "no $what: $(cat "$work/check-output")"
    kill -0 "$pid" 2>/dev/null || fail "standalone exited before $what"
    [ $(($(date +%s) - started)) -lt "$deadline" ] || fail "no $what within $deadline s"
    sleep 2
  done
  echo "  $what after $(elapsed)"
}

# Whether DAG $1 has a successful run, whose logical date starts with $2 if given.
succeeded() {
  ./sluice runs list --dag "$1" --output json | python3 -c '
import json, sys
date = sys.argv[1] if len(sys.argv) > 1 else ""
runs = [run for run in json.load(sys.stdin)["items"] if run["logicalDate"].startswith(date)]
if any(run["state"] == "failed" for run in runs):
    print("run failed:", [run["runId"] for run in runs if run["state"] == "failed"])
    sys.exit(42)
sys.exit(0 if any(run["state"] == "success" for run in runs) else 1)' "${@:2}"
}
gold_rows() {
  ./sluice trino "SELECT 'gold rows: ' || CAST(count(*) AS varchar) FROM iceberg.sp500_gold.gold_sector_daily" \
    | grep -q 'gold rows: [1-9]'
}

wait_for "the API" ./sluice dags list
wait_for "a successful hello_sluice run" succeeded hello_sluice
if $lakehouse || $kafka; then
  # The first day of the backfill that standalone starts on its first start.
  wait_for "the successful sp500_daily run of 2013-02-08" succeeded sp500_daily 2013-02-08
  wait_for "the first gold row" gold_rows
fi
if $kafka; then
  # The latest interval before the start: its load waits for the stream to pass its end and a minute.
  wait_for "a successful sp500_stream run" succeeded sp500_stream
fi

# Every command the banner offers, pasted as it stands (--watch ones follow a backfill to its end).
grep -a -E '^  (\./sluice|psql) ' "$log" | grep -v -- '--watch' | sed 's/^  //' >"$work/banner-commands"
[ -s "$work/banner-commands" ] || fail "the banner offers no command to try"
if ! command -v psql >/dev/null; then
  sed -i '/^psql /d' "$work/banner-commands"
fi
while IFS= read -r command; do
  bash -c "$command" >"$work/banner-output" 2>&1 </dev/null || fail "the banner's command failed: $command: $(cat "$work/banner-output")"
  echo "  ran the banner's: ${command:0:80}"
done <"$work/banner-commands"

kill -TERM "$pid"
stopping=$(date +%s)
status=0
wait "$pid" || status=$?
echo "  stopped by SIGTERM in $(($(date +%s) - stopping)) s, exit status $status"
# 143 is 128 + SIGTERM: the JVM ran its shutdown hooks and exited as signalled.
[ "$status" -eq 0 ] || [ "$status" -eq 143 ] || fail "standalone exited with status $status after SIGTERM"
! grep -a -q "stopping failed" "$log" || fail "a part of standalone failed to stop"
left=$(pgrep -a -f -- "$work" || true)
[ -z "$left" ] || fail "processes left behind: $left"
echo "standalone smoke passed in $(elapsed); nothing left running. Its steps, as logged:"
if [ scheduler/target/build.log -nt "$work/started" ]; then
  sed -n 's/^\[INFO\] Total time: */  the launcher built Sluice in /p' scheduler/target/build.log
fi
grep -a -E 'Postgres listening|downloaded |unpacked |dbt virtualenv|starting Trino|Sluice standalone is running' "$log" \
  | sed -E 's/^([0-9:.]+) +[A-Z]+ +(\[[^]]*\] )?[^ ]+ - /  \1 /; s/^Sluice/  Sluice/' || true
rm -rf "$work"
