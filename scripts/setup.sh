#!/bin/sh
# Install every Debian 12 package gst-prune needs to build, run and test.
#
# Usage: scripts/setup.sh [--install] [--eval] [--dry-run]
#   --install  then build gst-prune (in build/) and install it into
#              /usr/local: the gst-prune command, the plugin, the library
#   --eval     also the evaluation tools: FluidSynth and the OpenMSX MIDI
#              pieces (beat ground truth), Planet Blupi's MIDI pieces and
#              mma (more music), mir_eval, aubio (anchor), sox
#   --dry-run  print the package list and exit
#
# Safe to run again: packages already present are left as they are.
# Needs root for apt-get; as another user it re-runs itself through sudo
# when sudo exists, and otherwise says what to run.
set -eu

# Build: compiler, Meson, GStreamer headers (core, base, check, RTSP server).
BUILD="g++ meson ninja-build pkg-config git
libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
libgstrtspserver-1.0-dev"
# Run: the GStreamer tools and plugins the elements and pipelines use
# (x264enc is in -ugly, avdec_h264 in -libav, mp4mux in -good, the
# clock and time overlays in -x, which needs a font).
RUN="gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
gstreamer1.0-x fonts-dejavu-core"
# Test and CI: real ffmpeg/ffprobe, valgrind, the formatter, Python bindings.
TEST="ffmpeg valgrind clang-format python3 python3-gi python3-gst-1.0
gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 procps"

# Evaluation (tests/eval, benchmarks with anchors): not needed to build or
# run the test suite.
EVAL="python3-numpy python3-mir-eval python3-mido openttd-openmsx fluidsynth
fluid-soundfont-gm sox aubio-tools planetblupi-music-midi mma"

PACKAGES=$(echo $BUILD $RUN $TEST)
dry=no
install=no
for arg in "$@"; do
  case $arg in
    --install) install=yes ;;
    --eval) PACKAGES=$(echo $PACKAGES $EVAL) ;;
    --dry-run) dry=yes ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
if [ $dry = yes ]; then
  echo "$PACKAGES"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    echo "setup: not root; re-running through sudo to install Debian packages" >&2
    exec sudo "$0" "$@"
  fi
  echo "setup: installing Debian packages needs root, and sudo is not installed." >&2
  echo "setup: as root, run:  apt-get update && apt-get install -y $PACKAGES" >&2
  exit 1
fi

if ! grep -q 'bookworm\|VERSION_ID="12"' /etc/os-release 2>/dev/null; then
  echo "setup: warning: this is not Debian 12 (bookworm); package names may differ" >&2
fi

# Skip apt entirely when everything is present (fast re-runs, offline machines).
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "setup: all $(echo $PACKAGES | wc -w) packages already installed"
else
  echo "setup: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
  echo "setup: done"
fi

# --install: build as the user who ran us (not as root when we came in
# through sudo, so build/ stays theirs), install as root.
if [ $install = yes ]; then
  src=$(cd "$(dirname "$0")/.." && pwd)
  echo "setup: building gst-prune in $src/build (a few minutes the first time)"
  if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
    sudo -u "$SUDO_USER" "$src/scripts/build.sh" "$src/build" >/dev/null
  else
    "$src/scripts/build.sh" "$src/build" >/dev/null
  fi
  meson install -C "$src/build" --quiet
  ldconfig
  echo "setup: installed $(command -v gst-prune || echo /usr/local/bin/gst-prune); try: gst-prune --demo -o demo-out"
fi
