#!/bin/sh
# Regenerates docs/reference/: what gst-inspect-1.0 prints for the `prune`
# plugin and for each of its elements, from the build tree. The snapshot is
# the plugin's interface (properties, ranges, defaults, pads, signals);
# review its diff like code.
#
# Usage: scripts/update-reference.sh [--check] [BUILD_DIR]
#   --check  compare instead of writing; exit 1 and show the diff when the
#            committed snapshot differs from the build (CI runs this)
set -eu
cd "$(dirname "$0")/.."
mode=write
[ "${1:-}" = "--check" ] && { mode=check; shift; }
build=$(cd "${1:-build}" && pwd)
[ -f "$build/plugins/libgstprune.so" ] ||
  { echo "update-reference: $build/plugins/libgstprune.so not built; run scripts/build.sh" >&2; exit 1; }

out=$(mktemp -d "${TMPDIR:-/tmp}/prune-ref.XXXXXX")
trap 'rm -rf "$out"' EXIT

# Only this build's plugin plus the system ones, in a throwaway registry.
export GST_PLUGIN_PATH_1_0="$build/plugins"
export GST_REGISTRY_1_0="$out/registry.bin"
export GST_INSPECT_NO_COLORS=1 PAGER=cat LC_ALL=C.UTF-8
unset GST_PLUGIN_PATH GST_TRACERS
inspect() {
  if [ -n "${PRUNE_SANITIZER_PRELOAD:-}" ]; then
    LD_PRELOAD=$PRUNE_SANITIZER_PRELOAD gst-inspect-1.0 --no-colors "$@"
  else
    gst-inspect-1.0 --no-colors "$@"
  fi
}

# The build path and the package metadata vary between machines and
# configurations; everything else is the interface.
normalize() {
  sed -e "s|^\(  Filename *\).*|\1(build)/plugins/libgstprune.so|" \
      -e "s|^\(  Binary package *\).*|\1(package-name)|" \
      -e "s|^\(  Origin URL *\).*|\1(package-origin)|"
}

mkdir -p "$out/reference"
inspect prune | normalize >"$out/reference/prune.txt"
for element in $(inspect prune | awk '/^  [a-z0-9]+: /{sub(":","",$1); print $1}'); do
  inspect "$element" | normalize >"$out/reference/$element.txt"
done

if [ $mode = write ]; then
  rm -f docs/reference/*.txt
  mkdir -p docs/reference
  cp "$out"/reference/*.txt docs/reference/
  echo "update-reference: wrote $(ls "$out/reference" | wc -l) file(s) to docs/reference/"
elif diff -ru docs/reference "$out/reference" -x README.md; then
  echo "update-reference: docs/reference/ matches the build"
else
  echo "update-reference: docs/reference/ differs from the build (above);" \
       "run scripts/update-reference.sh and commit the result" >&2
  exit 1
fi
