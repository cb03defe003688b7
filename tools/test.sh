#!/bin/sh
# Every test of the repository: each package's unit tests, then the
# integration tests against a real Kafka broker (started here if none runs,
# and stopped again at the end).
set -eu
cd "$(dirname "$0")/.."
PNPM="sh tools/pnpm"

echo "== unit tests (every package) ==" >&2
$PNPM exec turbo run test --concurrency=2 --output-logs=new-only

echo "== integration tests (real Kafka broker) ==" >&2
started_here=0
if ! sh tools/kafka/bin/kafka-local status >/dev/null 2>&1; then
  sh tools/kafka/bin/kafka-local start
  started_here=1
fi
status=0
$PNPM exec turbo run test:integration --concurrency=1 --output-logs=new-only || status=$?
if [ "$started_here" = 1 ]; then sh tools/kafka/bin/kafka-local stop || true; fi
exit $status
