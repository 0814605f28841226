#!/bin/sh
# Configure (once) and build gst-prune.
#
# Usage: scripts/build.sh [BUILD_DIR [MESON_SETUP_ARGS...]]
#   BUILD_DIR defaults to build/. With CI=true, warnings are errors.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift

for tool in meson ninja pkg-config; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "build: '$tool' is missing; run scripts/setup.sh first (installs every package)" >&2
    exit 1
  }
done

werror=false
[ "${CI:-}" = true ] && werror=true

if [ -f "$dir/build.ninja" ]; then
  meson configure "$dir" -Dwerror=$werror "$@" >/dev/null
else
  meson setup "$dir" -Dwerror=$werror "$@"
fi
meson compile -C "$dir"
