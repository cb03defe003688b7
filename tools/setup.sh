#!/bin/sh
# Installs everything a fresh clone needs, with nothing but Node 20 and npm on
# the machine: a pinned pnpm (kept in .cache, not installed globally), the
# workspace's dependencies, and a build of every package.
set -eu
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
PNPM_HOME_DIR=".cache/pnpm-$PNPM_VERSION"
PNPM="$PNPM_HOME_DIR/node_modules/.bin/pnpm"

if [ ! -x "$PNPM" ]; then
  echo "setup: installing pnpm $PNPM_VERSION into $PNPM_HOME_DIR" >&2
  npm install --silent --no-audit --no-fund --prefix "$PNPM_HOME_DIR" "pnpm@$PNPM_VERSION" >&2
fi
# turbo runs each package's scripts with `pnpm`: the pinned one comes first.
PATH="$(pwd)/$PNPM_HOME_DIR/node_modules/.bin:$PATH"
export PATH

# node-gyp cannot download Node headers on this network; the system ones match.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_version.h ]; then
  npm_config_nodedir=/usr
  export npm_config_nodedir
fi

if [ -f pnpm-lock.yaml ]; then
  "$PNPM" install --frozen-lockfile --reporter=append-only >&2
else
  "$PNPM" install --reporter=append-only >&2
fi
"$PNPM" exec turbo run build --output-logs=errors-only >&2
