#!/bin/bash
# beatdetect-eval.sh: scores the beatdetect element on the rendered pieces
# of ../shared/data/beats/openmsx-dev, causal and with a lookahead, beside
# aubiotrack run on the same files in the same run, and checks the targets
# of ../shared/EVAL.md.
#
# Usage: beatdetect-eval.sh [options]
#   --build DIR       build directory; its plugins/ goes first in
#                     GST_PLUGIN_PATH (default: build beside the sources)
#   --set NAME        openmsx-dev (default: the pieces EVAL.md's targets are
#                     set on); openmsx-heldout: the 21 other OpenMSX
#                     pieces (used to choose between design options); or
#                     planetblupi: the 10 MIDI pieces of Debian's
#                     planetblupi-music-midi (another composer, 2.7 hours;
#                     used to choose the onset weighing and the rate
#                     weight, nothing else); or mma: accompaniment of 24
#                     bars (C Am F G) in 39 styles of the groove library
#                     of Debian's mma (Musical MIDI Accompaniment: rock,
#                     swing, waltzes, 6/8 marches, latin, ...), one song
#                     per third groove file in name order, at tempi from
#                     a fixed list (never used in development). The beats
#                     of the last three are taken from each file's tempo
#                     map and meter by ../shared/tools/midi_beats.py;
#                     scored and printed alike, their targets are
#                     information only
#   --degrade KIND    score the set's pieces degraded (information only):
#                     cut (joined at 20.13 s: sox trim, the beats shifted),
#                     hiss (2.37 s of white noise at -55 dBFS first, the
#                     beats shifted), reverb (sox reverb 60 50 100 and
#                     compand 0.02,0.2 -60,-60,-30,-15,0,-8 -5) or mp3
#                     (ffmpeg libmp3lame at 96 kbit/s and back); made once
#                     into the cache folder's sibling NAME-KIND
#   --lose P          with --core: each 50 ms block of input is lost with
#                     probability P (beat-core-eval --block 2205 --lose
#                     P: the block goes to process_lost(), as the element
#                     does with audio a stream lost); the same blocks on
#                     every run (--seed N, default 1); information only
#   --cache DIR       rendered WAVs (default: $XDG_CACHE_HOME or ~/.cache,
#                     then gst-prune/openmsx, gst-prune/openmsx-heldout or
#                     gst-prune/planetblupi); rendered there when missing
#   --lookahead S     the second run's lookahead in seconds (default 3)
#   --core            drive the tracking core directly (tests/eval/
#                     beat-core-eval.cpp, compiled against the build's
#                     libgstprune) instead of the element through gst-launch
#   --no-anchor       do not run aubiotrack
#   --keep DIR        keep the beat lists in DIR (causal/, lookahead/, aubio/)
#   --no-targets      exit 0 even when a target is missed
#
# Needs the evaluation packages (scripts/setup.sh --eval): openttd-openmsx
# or planetblupi-music-midi or mma, fluidsynth fluid-soundfont-gm sox (rendering),
# python3-mido (the beats of MIDI files), python3-mir-eval python3-numpy
# (scoring), aubio-tools (the anchor), ffmpeg (--degrade mp3).
# Exit: 0 every target met (any result with another set, --degrade or --lose), 1 a
# target missed or a run failed, 77 skipped (../shared absent, evaluation
# packages missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=$root/../shared
build=$root/build
cache=
set=openmsx-dev
degrade=
lose=
seed=1
lookahead=3
mode=element
anchor=1
keep=
targets=1
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift ;;
    --cache) cache=$2; shift ;;
    --set) set=$2; shift ;;
    --degrade) degrade=$2; shift ;;
    --lose) lose=$2; shift ;;
    --seed) seed=$2; shift ;;
    --lookahead) lookahead=$2; shift ;;
    --core) mode=core ;;
    --no-anchor) anchor=0 ;;
    --keep) keep=$2; shift ;;
    --no-targets) targets=0 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "beatdetect-eval: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
build=$(cd "$build" 2>/dev/null && pwd) || { echo "beatdetect-eval: no build directory" >&2; exit 1; }
if [ -n "$lose" ] && [ $mode != core ]; then
  echo "beatdetect-eval: --lose needs --core (gst-launch cannot lose the same blocks twice)" >&2
  exit 2
fi

# per set: what ../shared must hold, the MIDI package, its folder
dev=$shared/data/beats/openmsx-dev
case $set in
  openmsx-dev|openmsx-heldout) needs=$dev pkg=openttd-openmsx
               mid=/usr/share/games/openttd/baseset/openmsx ;;
  planetblupi) needs=$shared/tools pkg=planetblupi-music-midi
               mid=/usr/share/planetblupi/music ;;
  mma) needs=$shared/tools pkg=mma mid=/usr/share/mma/lib/stdlib ;;
  *) echo "beatdetect-eval: unknown set '$set' (openmsx-dev, openmsx-heldout, planetblupi or mma)" >&2; exit 2 ;;
esac
case $degrade in
  ''|cut|hiss|reverb|mp3) ;;
  *) echo "beatdetect-eval: unknown --degrade '$degrade' (cut, hiss, reverb or mp3)" >&2; exit 2 ;;
esac
# the targets are checked on openmsx-dev as it is; elsewhere they inform
official=0
[ "$set" = openmsx-dev ] && [ -z "$degrade" ] && [ -z "$lose" ] && official=1
cache=${cache:-${XDG_CACHE_HOME:-$HOME/.cache}/gst-prune/${set%-dev}}

skip() { echo "beatdetect-eval: SKIP: $*"; exit 77; }
[ -d "$needs" ] || skip "$needs absent"
missing=
for t in fluidsynth sox; do command -v $t >/dev/null || missing="$missing $t"; done
[ -d "$mid" ] || missing="$missing $pkg"
[ $set != mma ] || command -v mma >/dev/null || missing="$missing mma"
[ $set = openmsx-dev ] || /usr/bin/python3 -c 'import mido' 2>/dev/null ||
  missing="$missing python3-mido"
[ "$degrade" != mp3 ] || ffmpeg -hide_banner -encoders 2>/dev/null | grep libmp3lame >/dev/null ||
  missing="$missing ffmpeg(libmp3lame)"
[ -e /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || missing="$missing fluid-soundfont-gm"
/usr/bin/python3 -c 'import mir_eval, numpy' 2>/dev/null || missing="$missing python3-mir-eval"
[ $anchor = 0 ] || command -v aubiotrack >/dev/null || missing="$missing aubio-tools"
[ -z "$missing" ] || skip "missing:$missing (install with scripts/setup.sh --eval)"

export GST_PLUGIN_PATH=$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
[ -z "${GST_PLUGIN_PATH_1_0:-}" ] || export GST_PLUGIN_PATH_1_0=$build/plugins:$GST_PLUGIN_PATH_1_0
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  work=$(cd "$keep" && pwd)
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

# MIDI files without a beats file in ../shared (Planet Blupi, the OpenMSX
# pieces held out): mono 44.1 kHz WAVs rendered as render_openmsx.sh
# renders, each beside the beats of its tempo map and meter
render_midi() {
  mkdir -p "$cache"
  local m n
  for m in "$@"; do
    n=$(basename "$m" .mid)
    [ -s "$cache/$n.beats" ] ||
      /usr/bin/python3 "$shared/tools/midi_beats.py" "$m" "$cache/$n.beats" \
        >/dev/null 2>&1 || { echo "beatdetect-eval: no beats from $m" >&2; exit 1; }
    [ -s "$cache/$n.wav" ] || {
      # through a temporary name: an interrupted render is not taken as done
      fluidsynth -ni -q -r 44100 -F "$cache/$n.st.wav" \
        /usr/share/sounds/sf2/FluidR3_GM.sf2 "$m" >/dev/null 2>&1 &&
        sox "$cache/$n.st.wav" -c 1 "$cache/$n.part.wav" &&
        mv "$cache/$n.part.wav" "$cache/$n.wav" &&
        rm -f "$cache/$n.st.wav"
    } || { echo "beatdetect-eval: cannot render $m" >&2; exit 1; }
  done
}
# One song per third groove file of MMA's library (name order; the first
# groove the file defines), 24 bars of C Am F G at a tempo from a fixed
# list, made once into $cache/mid.
make_mma_songs() {
  mkdir -p "$cache/mid"
  local tempi=(96 132 108 150 84 120 168 100 140 76 116 160)
  local i=0 f n g song b
  for f in $(find "$mid" -maxdepth 1 -name '*.mma' | sort | awk 'NR % 3 == 1'); do
    n=$(basename "$f" .mma)
    case $n in metronome*|none) continue ;; esac
    g=$(sed -n 's/^[[:space:]]*[Dd][Ee][Ff][Gg][Rr][Oo][Oo][Vv][Ee][[:space:]]\{1,\}\([^[:space:]]\{1,\}\).*/\1/p' "$f" | head -n 1)
    [ -n "$g" ] || continue
    song=$cache/mid/$n.mid
    if [ ! -s "$song" ]; then
      {
        printf 'Tempo %d\nGroove %s\n' "${tempi[$((i % ${#tempi[@]}))]}" "$g"
        for b in $(seq 1 6); do printf 'C\nAm\nF\nG\n'; done
      } > "$cache/mid/$n.mma"
      (cd "$cache/mid" && mma "$n.mma" >/dev/null 2>&1) && [ -s "$song" ] ||
        { echo "beatdetect-eval: mma could not make $n ($g)" >&2; exit 1; }
    fi
    i=$((i + 1))
  done
}
case $set in
  planetblupi) render_midi "$mid"/*.mid ;;
  mma) make_mma_songs; render_midi "$cache"/mid/*.mid ;;
  openmsx-heldout)
    held=()
    for m in "$mid"/*.mid; do
      [ -e "$dev/$(basename "$m" .mid).beats" ] || held+=("$m")
    done
    render_midi "${held[@]}" ;;
  *) "$shared/tools/render_openmsx.sh" "$cache" >/dev/null ;;
esac

# Degraded copies, made once beside the cache (a temporary name until
# each is complete); the beats shift with the audio where it moves.
if [ -n "$degrade" ]; then
  out=$cache-$degrade
  mkdir -p "$out"
  hiss=$out/.hiss.wav
  [ "$degrade" != hiss ] || [ -s "$hiss" ] ||
    sox -R -n -r 44100 -c 1 -b 16 "$hiss" synth 2.37 whitenoise vol 0.003
  for w in "$cache"/*.wav; do
    n=$(basename "$w" .wav)
    b=$cache/$n.beats
    [ -s "$out/$n.wav" ] && [ -s "$out/$n.beats" ] && continue
    tmp=$out/$n.part.wav
    case $degrade in
      cut) sox "$w" "$tmp" trim 20.13 &&
           awk '$1 >= 20.13 { $1 = sprintf("%.4f", $1 - 20.13); print }' OFS='\t' "$b" >"$out/$n.beats" ;;
      hiss) sox "$hiss" "$w" "$tmp" &&
            awk '{ $1 = sprintf("%.4f", $1 + 2.37); print }' OFS='\t' "$b" >"$out/$n.beats" ;;
      reverb) sox "$w" "$tmp" reverb 60 50 100 compand 0.02,0.2 -60,-60,-30,-15,0,-8 -5 2>/dev/null &&
              cp "$b" "$out/$n.beats" ;;
      mp3) ffmpeg -v error -y -i "$w" -c:a libmp3lame -b:a 96k "$out/$n.mp3" &&
           ffmpeg -v error -y -i "$out/$n.mp3" -ac 1 -c:a pcm_s16le -f wav "$tmp" &&
           rm -f "$out/$n.mp3" && cp "$b" "$out/$n.beats" ;;
    esac || { echo "beatdetect-eval: cannot make the $degrade copy of $n" >&2; exit 1; }
    mv "$tmp" "$out/$n.wav"
  done
  rm -f "$hiss"
  cache=$out
fi
ns=$(awk "BEGIN { printf \"%.0f\", $lookahead * 1e9 }")

if [ $mode = core ]; then
  drv=$work/beat-core-eval
  g++ -O2 -std=c++20 -I"$root" -I"$build" "$here/beat-core-eval.cpp" -o "$drv" \
    -L"$build/gst/prune" -lgstprune-1.0 -Wl,-rpath,"$build/gst/prune" \
    $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-fft-1.0)
  name="beat core"
  run() { # WAV OUT LOOKAHEAD_S LOOKAHEAD_NS
    "$drv" --lookahead "$3" ${lose:+--block 2205 --lose "$lose" --seed "$seed"} "$1" >"$2"
  }
else
  gst-inspect-1.0 beatdetect >/dev/null 2>&1 || {
    echo "beatdetect-eval: no beatdetect element in $build/plugins (build first)" >&2
    exit 1
  }
  name=beatdetect
  run() {
    gst-launch-1.0 -q filesrc location="$1" ! wavparse ! audioconvert ! \
      beatdetect lookahead="$4" beats-location="$2" ! fakesink
  }
fi

mkdir -p "$work/causal" "$work/lookahead" "$work/aubio"
now() { date +%s.%N; }
t_causal=0 t_look=0 t_aubio=0 audio=0
add() { awk "BEGIN { printf \"%.3f\", $1 + $3 - $2 }"; }
for w in "$cache"/*.wav; do
  n=$(basename "$w" .wav)
  audio=$(awk "BEGIN { printf \"%.3f\", $audio + $(soxi -D "$w") }")
  t0=$(now)
  run "$w" "$work/causal/$n.txt" 0 0 || { echo "beatdetect-eval: causal run failed on $n" >&2; exit 1; }
  t1=$(now)
  run "$w" "$work/lookahead/$n.txt" "$lookahead" "$ns" ||
    { echo "beatdetect-eval: lookahead run failed on $n" >&2; exit 1; }
  t2=$(now)
  t_causal=$(add "$t_causal" "$t0" "$t1")
  t_look=$(add "$t_look" "$t1" "$t2")
  if [ $anchor = 1 ]; then
    aubiotrack -i "$w" >"$work/aubio/$n.txt" 2>/dev/null
    t_aubio=$(add "$t_aubio" "$t2" "$(now)")
  fi
done

score() { /usr/bin/python3 "$shared/tools/score_beats.py" "$cache" "$1"; }
score "$work/causal" >"$work/causal.score"
score "$work/lookahead" >"$work/lookahead.score"
files=("$work/causal.score" "$work/lookahead.score")
titles=("$name causal" "$name lookahead ${lookahead} s")
if [ $anchor = 1 ]; then
  score "$work/aubio" >"$work/aubio.score"
  files+=("$work/aubio.score")
  titles+=("aubiotrack")
fi

# One row per clip: the clip, then F F0 CMLt AMLt lock bpm% of each run.
awk -v titles="$(IFS='|'; echo "${titles[*]}")" '
  BEGIN { nt = split(titles, title, "|") }
  FNR == 1 { f++; next }
  $1 == "MEAN" { mean[f] = $0; next }
  { if (!($1 in seen)) { seen[$1] = 1; order[++rows] = $1 }
    row[$1, f] = sprintf("%5.3f %5.3f %5.3f %5.3f %5s %6s", $2, $3, $4, $5, $6, $7) }
  END {
    head = sprintf("%-22s", "")
    sub_ = sprintf("%-22s", "clip")
    for (i = 1; i <= nt; i++) {
      head = head sprintf(" | %-36s", title[i])
      sub_ = sub_ sprintf(" | %5s %5s %5s %5s %5s %6s", "F", "F0", "CMLt", "AMLt", "lock", "bpm%")
    }
    print head; print sub_
    for (r = 1; r <= rows; r++) {
      line = sprintf("%-22s", substr(order[r], 1, 22))
      for (i = 1; i <= nt; i++)
        line = line " | " ((order[r], i) in row ? row[order[r], i] : sprintf("%-36s", "(none)"))
      print line
    }
    print ""
    for (i = 1; i <= nt; i++) printf("%-28s %s\n", title[i] ":", mean[i])
  }' "${files[@]}"

# Why each piece misses: metrical level and beat phase of every run, and
# where the audio's own onsets are strongest within the reference beat.
echo
echo "error classes (tests/eval/beat-errors.py: level = tempo / reference tempo;"
echo "phase = share of beats on the beat / on the half beat / elsewhere; columns"
echo "as in the table above; on/half, peak: the audio's onsets on the reference grid;"
echo "harm 3/4: how much the harmony repeats after 3 and after 4 reference beats):"
errs=("$work/causal" "$work/lookahead")
[ $anchor = 0 ] || errs+=("$work/aubio")
/usr/bin/python3 "$here/beat-errors.py" "$cache" "${errs[@]}" ||
  echo "beatdetect-eval: beat-errors.py failed (the scores above stand)" >&2

rt() { awk "BEGIN { printf \"%.0fx\", ($2 > 0) ? $1 / $2 : 0 }"; }
echo
echo "audio ${audio} s; wall time (includes start-up and decoding, machine load):"
echo "  $name causal $t_causal s ($(rt "$audio" "$t_causal") real time), lookahead $t_look s ($(rt "$audio" "$t_look"))"
[ $anchor = 0 ] || echo "  aubiotrack $t_aubio s ($(rt "$audio" "$t_aubio"))"

# Targets (../shared/EVAL.md, beatdetect): causal F >= 0.85, AMLt >= 0.90,
# median lock <= 2 s, none never locks, tempo error <= 0.2 % on every
# clip; with the lookahead F >= 0.90.
echo
verdict=$(awk -v look="$lookahead" '
  function check(ok, what) { printf("%s %s\n", ok ? "PASS" : "FAIL", what); if (!ok) bad = 1 }
  FNR == 1 { f++; next }
  $1 == "MEAN" { F[f] = $4; A[f] = $10; L[f] = $12; N[f] = $15; next }
  f == 1 { e = ($7 == "nan") ? 1e9 : ($7 < 0 ? -$7 : $7); if (e > worst) worst = e }
  END {
    check(F[1] >= 0.85, sprintf("causal F %.3f >= 0.85", F[1]))
    check(A[1] >= 0.90, sprintf("causal AMLt %.3f >= 0.90", A[1]))
    check(L[1] != "nan" && L[1] <= 2.0, sprintf("causal median lock %s s <= 2 s", L[1]))
    check(N[1] == 0, sprintf("causal never-locked %d == 0", N[1]))
    check(worst <= 0.2, sprintf("causal worst tempo error %.2f %% <= 0.2 %%", worst))
    check(F[2] >= 0.90, sprintf("lookahead %s s F %.3f >= 0.90", look, F[2]))
    exit bad
  }' "$work/causal.score" "$work/lookahead.score") && ok=1 || ok=0
if [ $official = 1 ]; then
  echo "$verdict"
else
  echo "$verdict" | sed 's/^/(information) /'
fi
# The tempo where the level is right (the anchor's "tempo biased +1.5-2 %"
# reads so): the pieces within 4 % of the reference tempo. Information
# beside the target above, which counts every piece.
level_tempo() {
  awk 'FNR == 1 || $1 == "MEAN" { next }
    { e = $7 + 0; a = e < 0 ? -e : e
      if ($7 != "nan" && a <= 4) { v[++n] = a; if (a > w) { w = a; c = $1 } } }
    END { if (n == 0) { print "no piece at the reference level"; exit }
      for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
      m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      printf("%d pieces at the reference tempo: worst %.2f %% (%s), median %.2f %%\n", n, w, c, m) }' "$1"
}
echo "tempo error at the reference level, causal: $(level_tempo "$work/causal.score")"
[ $anchor = 0 ] || echo "tempo error at the reference level, aubiotrack: $(level_tempo "$work/aubio.score")"
if [ $anchor = 1 ]; then
  awk 'FNR == 1 { f++ } $1 == "MEAN" { F[f] = $4; A[f] = $10 }
    END { printf("vs aubiotrack (same run): causal F %.3f vs %.3f, AMLt %.3f vs %.3f\n", F[1], F[3], A[1], A[3]) }' \
    "$work/causal.score" "$work/lookahead.score" "$work/aubio.score"
fi
if [ $official = 0 ]; then
  echo "(the targets are set on openmsx-dev as it is; on $set${degrade:+ ($degrade)}${lose:+ (lose $lose, seed $seed)} they are information)"
  exit 0
fi
[ $ok = 1 ] || [ $targets = 0 ] || exit 1
exit 0
