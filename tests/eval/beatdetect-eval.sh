#!/bin/bash
# beatdetect-eval.sh: scores the beat tracking core (gst/prune/beat.h, via
# tests/eval/beat-core-eval) causal and with a lookahead, beside aubiotrack
# measured in the same run, on ../shared/data/beats/openmsx-dev.
# Usage: beatdetect-eval.sh [BUILD_DIR] [CACHE_DIR] [LOOKAHEAD_S]
# Needs: openttd-openmsx fluidsynth fluid-soundfont-gm sox (rendering),
# python3-mir-eval python3-numpy (scoring), aubio-tools (anchor).
# Exits 77 (skip) when ../shared is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=$root/../shared
[ -d "$shared/data/beats/openmsx-dev" ] || { echo "no $shared: skipped"; exit 77; }
build=${1:-$root/build}
cache=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-prune/openmsx}
lookahead=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$shared/tools/render_openmsx.sh" "$cache" >/dev/null
drv=$work/beat-core-eval
g++ -O2 -std=c++20 -I"$root" -I"$build" "$here/beat-core-eval.cpp" -o "$drv" \
  -L"$build/gst/prune" -lgstprune-1.0 -Wl,-rpath,"$build/gst/prune" \
  $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-fft-1.0)

mkdir -p "$work/causal" "$work/lookahead" "$work/aubio"
have_aubio=0
command -v aubiotrack >/dev/null && have_aubio=1
for w in "$cache"/*.wav; do
  n=$(basename "$w" .wav)
  "$drv" --time "$w" >"$work/causal/$n.txt" 2>>"$work/speed.txt"
  "$drv" --lookahead "$lookahead" "$w" >"$work/lookahead/$n.txt"
  [ $have_aubio = 1 ] && aubiotrack -i "$w" >"$work/aubio/$n.txt" 2>/dev/null
done
score() { /usr/bin/python3 "$shared/tools/score_beats.py" "$cache" "$1"; }
score "$work/causal" >"$work/causal.score"
score "$work/lookahead" >"$work/lookahead.score"
echo "== beat core, causal (lookahead 0) | with lookahead ${lookahead} s"
paste -d'|' <(cut -c1-72 "$work/causal.score") <(cut -c31-72 "$work/lookahead.score")
if [ $have_aubio = 1 ]; then
  echo "== aubiotrack (same run)"
  score "$work/aubio"
else
  echo "== aubiotrack not installed (apt-get install aubio-tools): no anchor"
fi
echo "== speed (causal, per file)"
cat "$work/speed.txt"
