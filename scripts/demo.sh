#!/bin/sh
# The main job on the embedded default: a synthetic camera scene (static
# background with sensor noise, a burnt-in ticking clock, a moving object)
# goes through the elements of the `prune` plugin that exist in this build
# and is encoded to H.264 in MP4, into OUTDIR (default demo-out/).
#
# Usage: scripts/demo.sh [OUTDIR]
#   DEMO_SECONDS=N      length of the scene in seconds (default 60)
#   PRUNE_BUILD_DIR=DIR use an existing build directory as it is (tests)
set -eu
cd "$(dirname "$0")/.."
out=${1:-demo-out}
seconds=${DEMO_SECONDS:-60}
case $seconds in
  ''|*[!0-9]*) echo "demo: DEMO_SECONDS must be a whole number of seconds, got '$seconds'" >&2; exit 2 ;;
esac

build=${PRUNE_BUILD_DIR:-}
if [ -z "$build" ]; then
  build=build
  scripts/build.sh "$build" >/dev/null
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The plugin comes from the build tree (what `meson devenv` also sets up).
GST_PLUGIN_PATH="$(cd "$build" && pwd)/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
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

# Stages provided by this build's elements, in pipeline order.
elements=$(gst gst-inspect-1.0 prune 2>/dev/null |
  awk '/^  [a-z]+: /{sub(":","",$1); print $1}')
gate=""
case " $(echo $elements) " in
  *" staticgate "*) gate="staticgate !" ;;
esac
echo "demo: elements in the prune plugin: ${elements:-none yet}"

fps=10
frames=$((seconds * fps))
file="$out/demo.mp4"
echo "demo: $seconds s synthetic camera scene (640x360, $fps fps) -> $file"
# Scene: a still, textured background (smpte pattern) with per-frame sensor
# noise mixed in, a ball that moves across it, and a ticking clock.
# shellcheck disable=SC2086
gst gst-launch-1.0 -q -e \
  compositor name=mix background=black \
    sink_0::alpha=1.0 sink_1::alpha=0.04 sink_2::alpha=1.0 sink_2::xpos=40 sink_2::ypos=60 \
  ! video/x-raw,format=I420,width=640,height=360,framerate=$fps/1 \
  ! timeoverlay time-mode=running-time font-desc="Sans 14" halignment=right valignment=top \
  ! $gate x264enc speed-preset=veryfast key-int-max=$((fps * 2)) \
  ! h264parse ! mp4mux ! filesink location="$file" \
  videotestsrc pattern=smpte num-buffers=$frames \
    ! video/x-raw,width=640,height=360,framerate=$fps/1 ! mix.sink_0 \
  videotestsrc pattern=snow num-buffers=$frames \
    ! video/x-raw,width=640,height=360,framerate=$fps/1 ! mix.sink_1 \
  videotestsrc pattern=ball motion=wavy num-buffers=$frames \
    ! video/x-raw,width=160,height=120,framerate=$fps/1 ! mix.sink_2

if command -v ffprobe >/dev/null 2>&1; then
  n=$(ffprobe -v error -count_frames -select_streams v:0 \
    -show_entries stream=nb_read_frames -of csv=p=0 "$file")
  echo "demo: wrote $file: $n of $frames frames kept ($(du -h "$file" | cut -f1))"
else
  echo "demo: wrote $file"
fi
