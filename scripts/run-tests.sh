#!/bin/sh
# Build gst-prune and run the whole test suite (unit, check, integration,
# lint), then print one line: "N passed, N failed, N skipped".
#
# Usage: scripts/run-tests.sh [--sanitize | --valgrind] [MESON_TEST_ARGS...]
#   (none)      build/ and `meson test`
#   --sanitize  build-asan/ with AddressSanitizer + UndefinedBehaviorSanitizer
#               (LeakSanitizer included); the same tests, lint excepted
#   --valgrind  build/ and `meson test --setup valgrind` (compiled tests under
#               valgrind memcheck, with tests/suppressions)
# Extra arguments go to `meson test` (e.g. a suite: --suite unit, or a test name).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

mode=plain
case "${1:-}" in
  --sanitize) mode=sanitize; shift ;;
  --valgrind) mode=valgrind; shift ;;
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

set --  --print-errorlogs "$@"
case $mode in
  plain)
    dir=build
    scripts/build.sh "$dir"
    ;;
  sanitize)
    dir=build-asan
    # b_lundef=false: the plugin links against the sanitizer runtime that the
    # executable (or LD_PRELOAD, for gst-launch-1.0) provides.
    scripts/build.sh "$dir" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
    supp="$root/tests/suppressions"
    # Full unwinding on malloc: GLib has no frame pointers, and suppressions
    # need whole stacks (tests/suppressions/lsan.supp).
    export ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:halt_on_error=1:detect_odr_violation=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    # Programs we do not build (gst-launch-1.0 in integration tests) get the
    # runtime preloaded through this variable; see tests/integration/lib.sh.
    PRUNE_SANITIZER_PRELOAD=$(gcc -print-file-name=libasan.so)
    export PRUNE_SANITIZER_PRELOAD
    # The plugin scanner (a separate, uninstrumented program) needs it too.
    PRUNE_REAL_PLUGIN_SCANNER=$(pkg-config --variable=pluginscannerdir gstreamer-1.0)/gst-plugin-scanner
    export PRUNE_REAL_PLUGIN_SCANNER
    export GST_PLUGIN_SCANNER_1_0="$supp/sanitizer-plugin-scanner.sh"
    set -- "$@" --no-suite lint
    ;;
  valgrind)
    dir=build
    scripts/build.sh "$dir"
    set -- "$@" --setup valgrind
    ;;
esac

log=testlog.json
[ $mode = valgrind ] && log=testlog-valgrind.json
rm -f "$dir/meson-logs/$log"
# Fresh registries: a plugin that once failed to load stays blacklisted in
# a cached registry until the file changes.
rm -f "$dir"/tests/*.registry
status=0
meson test -C "$dir" "$@" || status=$?

# One plain summary line from meson's own log of this run.
python3 - "$dir/meson-logs/$log" <<'PY'
import json, os, sys
path = sys.argv[1] if os.path.exists(sys.argv[1]) else None
counts = {"passed": 0, "failed": 0, "skipped": 0}
for line in open(path) if path else []:
    r = json.loads(line).get("result", "")
    key = {"OK": "passed", "EXPECTEDFAIL": "passed", "SKIP": "skipped"}.get(r, "failed")
    counts[key] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
PY
exit $status
