#!/bin/sh
# The main job on the embedded default: a synthetic camera scene (a still
# room with sensor noise, a ticking burnt-in clock, light changes and people
# walking through at known times; tools/prune-scene) goes through
# staticgate, which drops what does not move, and x264 into MP4 in OUTDIR
# (default demo-out/). Prints what moved (the ground truth) and what was kept.
#
# Usage: scripts/demo.sh [OUTDIR]
#   DEMO_SECONDS=N      length of the scene in seconds (default 180)
#   PRUNE_BUILD_DIR=DIR use an existing build directory as it is (tests)
set -eu
cd "$(dirname "$0")/.."
out=${1:-demo-out}
seconds=${DEMO_SECONDS:-180}
case $seconds in
  ''|*[!0-9]*|0) echo "demo: DEMO_SECONDS must be a whole number of seconds > 0, got '$seconds'" >&2; exit 2 ;;
esac

build=${PRUNE_BUILD_DIR:-}
if [ -z "$build" ]; then
  build=build
  scripts/build.sh "$build" >/dev/null
fi
build=$(cd "$build" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The plugin comes from the build tree (what `meson devenv` also sets up).
GST_PLUGIN_PATH="$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_PLUGIN_PATH
# Under the project's sanitizer test run, tools we did not build need the
# sanitizer runtime preloaded to load the instrumented plugin.
gst() {
  if [ -n "${PRUNE_SANITIZER_PRELOAD:-}" ]; then
    LD_PRELOAD=$PRUNE_SANITIZER_PRELOAD "$@"
  else
    "$@"
  fi
}

scene="$build/tools/prune-scene/prune-scene"
file="$out/demo.mp4"
truth="$out/truth.txt"
caps=$("$scene" --preset demo --info)
echo "demo: ${seconds} s synthetic camera scene ($caps) -> staticgate -> x264 -> $file"
"$scene" --preset demo --seconds "$seconds" --truth "$truth" |
  gst gst-launch-1.0 -q -e fdsrc ! "$caps" ! rawvideoparse use-sink-caps=true \
    ! staticgate name=gate \
    ! x264enc speed-preset=veryfast key-int-max=20 \
    ! h264parse ! mp4mux ! filesink location="$file"

echo "demo: people walked through at (seconds, ground truth):"
grep -v '^#' "$truth" | sed 's/^/  /'
total=$(awk -v s="$seconds" 'BEGIN { print s * 10 }')
if [ ! -s "$file" ]; then
  echo "demo: nothing moved, nothing kept"
  exit 0
fi
if command -v ffprobe >/dev/null 2>&1; then
  n=$(ffprobe -v error -count_frames -select_streams v:0 \
    -show_entries stream=nb_read_frames -of csv=p=0 "$file")
  pct=$(awk -v n="$n" -v t="$total" 'BEGIN { printf "%.0f", 100 * (t - n) / t }')
  echo "demo: wrote $file: $n of $total frames kept, $pct % pruned ($(du -h "$file" | cut -f1))"
else
  echo "demo: wrote $file"
fi
echo "demo: try  ffplay $file   or   gst-play-1.0 $file"
