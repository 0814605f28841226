# Helpers for the integration tests (sourced). meson sets PRUNE_SOURCE_ROOT,
# PRUNE_BUILD_ROOT and the GStreamer environment of tests/meson.build.
set -eu
: "${PRUNE_SOURCE_ROOT:?run through meson test}"
: "${PRUNE_BUILD_ROOT:?run through meson test}"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
need() {
  command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (scripts/setup.sh installs it)"
}

# Runs a program we did not build (gst-launch-1.0, gst-inspect-1.0) that
# loads our plugin; the sanitizer run preloads the runtime it needs.
gst() {
  if [ -n "${PRUNE_SANITIZER_PRELOAD:-}" ]; then
    LD_PRELOAD=$PRUNE_SANITIZER_PRELOAD "$@"
  else
    "$@"
  fi
}

# gst-launch-1.0 ARGS...: runs the pipeline, fails the test on an error and
# on objects the leaks tracer finds alive at exit.
launch() {
  if ! gst gst-launch-1.0 "$@" >"$tmp/launch.out" 2>"$tmp/launch.err"; then
    cat "$tmp/launch.out" "$tmp/launch.err" >&2
    fail "gst-launch-1.0 $*"
  fi
  if grep -q "Leaks detected" "$tmp/launch.err"; then
    cat "$tmp/launch.err" >&2
    fail "leaked objects (rerun with GST_DEBUG=GST_TRACER:7 to list them)"
  fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/prune-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
