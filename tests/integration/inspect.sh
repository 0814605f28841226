#!/bin/sh
# The plugin loads from the build tree with gst-inspect-1.0, both through the
# test environment and through `meson devenv` (the documented way).
. "$(dirname "$0")/lib.sh"

gst gst-inspect-1.0 prune >"$tmp/inspect.txt" 2>"$tmp/inspect.err" ||
  { cat "$tmp/inspect.err"; fail "gst-inspect-1.0 prune"; }
grep -q "^  Name *prune$" "$tmp/inspect.txt" || fail "no plugin name in: $(cat "$tmp/inspect.txt")"
grep -q "^  License *LGPL$" "$tmp/inspect.txt" || fail "license missing"
grep -q "^  Filename *$PRUNE_BUILD_ROOT/plugins/libgstprune.so$" "$tmp/inspect.txt" ||
  fail "plugin not loaded from the build tree"
if grep -q "Leaks detected\|CRITICAL\|WARNING" "$tmp/inspect.err"; then
  cat "$tmp/inspect.err"
  fail "gst-inspect-1.0 printed warnings"
fi

# The elements the build enabled are the features the plugin lists.
expected=$(echo "$PRUNE_BUILT_ELEMENTS" | tr ',' '\n' | sed '/^$/d' | wc -l)
grep -q "^  $expected features:$" "$tmp/inspect.txt" ||
  fail "expected $expected features: $(grep features: "$tmp/inspect.txt")"

# `meson devenv -C build gst-inspect-1.0 prune` from a clean environment.
need meson
env -u GST_PLUGIN_PATH -u GST_PLUGIN_PATH_1_0 -u GST_PLUGIN_SYSTEM_PATH_1_0 \
  ASAN_OPTIONS=detect_leaks=0 \
  meson devenv -C "$PRUNE_BUILD_ROOT" sh -c '
    if [ -n "${PRUNE_SANITIZER_PRELOAD:-}" ]; then export LD_PRELOAD=$PRUNE_SANITIZER_PRELOAD; fi
    exec gst-inspect-1.0 prune' >"$tmp/devenv.txt" 2>&1 ||
  { cat "$tmp/devenv.txt"; fail "meson devenv gst-inspect-1.0 prune"; }
grep -q "^  Name *prune$" "$tmp/devenv.txt" || fail "devenv: $(cat "$tmp/devenv.txt")"
echo "ok: plugin loads with $expected element(s)"
