#!/bin/sh
# Every test of the repository: each package's unit tests, then the
# integration tests against a real Kafka broker (started here if none runs,
# and stopped again at the end).
#
# The integration tests run once per Kafka version in UNIQSTREAM_KAFKA_VERSIONS
# (default "4.4.0 3.9.1": the newest 4.x and the last 3.x). With a broker
# already running on 127.0.0.1:9092 they run once, against that broker.
set -u
cd "$(dirname "$0")/.."
PNPM="sh tools/pnpm"
status=0

echo "== unit tests (every package) ==" >&2
$PNPM exec turbo run test --concurrency=2 --continue --output-logs=new-only || status=1

versions=${UNIQSTREAM_KAFKA_VERSIONS:-4.4.0 3.9.1}
if sh tools/kafka/bin/kafka-local status >/dev/null 2>&1; then
  echo "(a broker already runs on 127.0.0.1:9092: the integration tests run once, against it)" >&2
  versions=running
fi
for version in $versions; do
  started_here=0
  if [ "$version" != running ]; then
    UNIQSTREAM_KAFKA_VERSION=$version
    export UNIQSTREAM_KAFKA_VERSION
    sh tools/kafka/bin/kafka-local start || { status=1; continue; }
    started_here=1
  fi
  echo "== integration tests (real Kafka broker, version $version) ==" >&2
  $PNPM exec turbo run test:integration --concurrency=1 --continue --output-logs=new-only --force || status=1
  if [ "$started_here" = 1 ]; then sh tools/kafka/bin/kafka-local stop || true; fi
done

if [ "$status" = 0 ]; then echo "== all tests passed ==" >&2; else echo "== some tests FAILED (see above) ==" >&2; fi
exit $status
