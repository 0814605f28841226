# Shared by the integration test scripts (imported by name: a script's own
# directory is on sys.path): one line per check, meson's exit codes, and the
# re-run under the sanitizer runtime.
import os
import sys


# how far a cut on a beat may be from it: half a frame at the 10 fps of
# the beat-cut tests, plus the rounding to the millisecond of the cut
# (start + duration: two rounded numbers) and of the beat
BEAT_CUT_TOLERANCE = 0.05 + 0.0015

# called by fail() before the test ends: each prints what may tell why
_on_failure = []
_on_failure_last = []


def on_failure(fn, last=False):
    """FN() prints what helps to understand a failure (a log of a live
    run, which cannot be reproduced at will), when a check fails; LAST:
    after the others, right before the failure (what a log viewer that
    shows only the end of the output must not cut off)."""
    (_on_failure_last if last else _on_failure).append(fn)


def fail(msg):
    """Ends the test: the message goes to stdout and stderr (meson shows
    stderr of a failed test), after what on_failure() asked to print."""
    for fn in _on_failure + _on_failure_last:
        try:
            fn()
        except Exception as e:  # the failure itself must still be told
            print(f"(could not print the diagnostics: {e})", flush=True)
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def check(cond, msg, detail=""):
    """One check, one line."""
    if not cond:
        fail(msg + (f" -- {detail}" if detail else ""))
    print(f"ok: {msg}", flush=True)


def skip(msg):
    print(f"SKIP: {msg}", flush=True)
    sys.exit(77)


def reexec_with_sanitizer():
    """Under the project's sanitizer run the instrumented plugin needs the
    ASan runtime loaded first: re-runs this script with it preloaded (leak
    checking off for Python itself, which keeps its objects at exit; the
    original ASAN_OPTIONS stay in PRUNE_ORIGINAL_ASAN_OPTIONS for
    instrumented children). Call before importing gi. Returns whether the
    run is sanitized."""
    preload = os.environ.get("PRUNE_SANITIZER_PRELOAD")
    if preload and preload not in os.environ.get("LD_PRELOAD", ""):
        os.environ["PRUNE_ORIGINAL_ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "")
        os.environ["LD_PRELOAD"] = preload
        os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    return bool(preload)
