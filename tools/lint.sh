#!/bin/sh
# The repository's style checks, as the test command runs them: Biome's
# formatter and linter (biome.jsonc) on every file it knows, and no line of
# source over 120 characters (Biome wraps code, not the text inside strings
# and comments), nothing unused (knip), and TypeDoc's API docs of the public
# packages build cleanly.
# `npx biome check --write .` fixes most of what this reports.
set -eu
cd "$(dirname "$0")/.."
MAX_COLUMNS=120
./node_modules/.bin/biome ci --colors=off --reporter=summary .
# Generated and vendored files are exempt: the lockfile, benchmark reports.
long=$(git ls-files -co --exclude-standard -- '*.ts' '*.mts' '*.js' '*.mjs' '*.cjs' '*.sh' \
  | grep -v -E '^packages/bench/results/' \
  | xargs awk -v max="$MAX_COLUMNS" 'length > max { print FILENAME ":" FNR ": " length " columns" }')
if [ -n "$long" ]; then
  echo "lines over $MAX_COLUMNS columns:"
  echo "$long"
  exit 1
fi
# No unused files, exports or dependencies (knip.jsonc names the entries knip cannot see).
./node_modules/.bin/knip --no-progress
# The public packages' API docs build from their TSDoc without a warning (npm run docs writes them).
./node_modules/.bin/typedoc --emit none --logLevel Warn --treatWarningsAsErrors
echo "lint: Biome clean, no line over $MAX_COLUMNS columns, knip clean, API docs build"
