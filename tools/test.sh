#!/bin/sh
# Every test of the repository: each package's unit tests and package checks
# (publint, attw), then the integration tests against a real Kafka broker
# (started here if none runs, and stopped again at the end); the publish test
# (tools/registry) runs once between them and needs no broker.
#
# The integration tests run once per Kafka version in UNIQSTREAM_KAFKA_VERSIONS
# (default "4.4.0 3.9.1": the newest 4.x and the last 3.x), against a broker
# started --secure: the plaintext listener every suite uses by default, and
# the SASL_SSL ones (9094, 9095) for the suites that log in. With a broker
# already running on 127.0.0.1:9092 they run once, against that broker.
#
# Each phase's output is also kept under .cache/test-logs/, and a failing run
# ends with a summary of what failed: CI often shows only the tail of a log.
set -u
cd "$(dirname "$0")/.."
PNPM="sh tools/pnpm"
LOGS=.cache/test-logs
rm -rf "$LOGS" && mkdir -p "$LOGS"
status=0
failed_phases=""

# run_phase NAME COMMAND...: runs the command with its output both shown and
# logged; a failure marks the run failed and remembers the phase.
run_phase() {
  name=$1
  shift
  rc_file="$LOGS/$name.rc"
  { "$@" 2>&1; echo $? > "$rc_file"; } | tee "$LOGS/$name.log"
  if [ "$(cat "$rc_file")" != 0 ]; then
    status=1
    failed_phases="$failed_phases $name"
  fi
}

echo "== unit tests (every package), and publint and attw on each public package =="
run_phase unit $PNPM exec turbo run test lint:package --concurrency=2 --continue --output-logs=new-only

# Once, not per Kafka version: it publishes to a local npm registry and needs no broker.
# No --force: the task itself is never cached, and the builds it needs are turbo's cache hits.
echo "== publish test (changesets, a local npm registry, a project installed with npm) =="
run_phase publish $PNPM exec turbo run test:integration --filter=@uniqstream/registry-local --output-logs=new-only

versions=${UNIQSTREAM_KAFKA_VERSIONS:-4.4.0 3.9.1}
if sh tools/kafka/bin/kafka-local status >/dev/null 2>&1; then
  echo "(a broker already runs on 127.0.0.1:9092: the integration tests run once, against it)"
  versions=running
fi
for version in $versions; do
  started_here=0
  if [ "$version" != running ]; then
    UNIQSTREAM_KAFKA_VERSION=$version
    export UNIQSTREAM_KAFKA_VERSION
    # A second try: one slow start on a loaded machine must not cost a whole leg.
    if ! sh tools/kafka/bin/kafka-local start --secure && ! { echo "(starting Kafka $version again)"; sh tools/kafka/bin/kafka-local start --secure; }; then
      status=1
      failed_phases="$failed_phases kafka-$version-start"
      continue
    fi
    started_here=1
  fi
  echo "== integration tests (real Kafka broker, version $version) =="
  run_phase "integration-kafka-$version" $PNPM exec turbo run test:integration --filter='!@uniqstream/registry-local' \
    --concurrency=1 --continue --output-logs=new-only --force
  if [ "$started_here" = 1 ]; then sh tools/kafka/bin/kafka-local stop || true; fi
done

if [ "$status" = 0 ]; then
  echo "== all tests passed =="
  exit 0
fi
echo "== some tests FAILED: summary (full logs in $LOGS/) =="
for phase in $failed_phases; do
  echo "-- $phase"
  log="$LOGS/$phase.log"
  [ -f "$log" ] || continue
  # turbo's list of failed tasks, vitest's failed files and tests, and the
  # first lines of each assertion or error, without colour codes.
  sed 's/\x1b\[[0-9;]*m//g' "$log" \
    | grep -E 'Failed: |FAIL |✗|×|AssertionError|Error: |expected |Test timed out|ERR_' \
    | grep -v 'Tasks: ' \
    | head -n 60
done
exit 1
