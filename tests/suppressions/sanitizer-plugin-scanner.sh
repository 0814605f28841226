#!/bin/sh
# GStreamer's gst-plugin-scanner, run with the sanitizer runtime preloaded
# so that it can load the instrumented plugin while building a registry.
# scripts/run-tests.sh --sanitize points GST_PLUGIN_SCANNER_1_0 here.
: "${PRUNE_SANITIZER_PRELOAD:?set by scripts/run-tests.sh --sanitize}"
: "${PRUNE_REAL_PLUGIN_SCANNER:?set by scripts/run-tests.sh --sanitize}"
LD_PRELOAD=$PRUNE_SANITIZER_PRELOAD ASAN_OPTIONS=detect_leaks=0 \
  exec "$PRUNE_REAL_PLUGIN_SCANNER" "$@"
