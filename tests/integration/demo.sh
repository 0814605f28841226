#!/bin/sh
# The README's main job (scripts/demo.sh) runs end to end on 25 s of the demo
# scene (one person walks through from 12 s to 20 s) and writes an MP4 that
# ffprobe and ffmpeg decode completely, holding the motion (80 frames) and
# at most the default pre-roll (1 s) and post-roll (2 s) around it: 80 to
# 110 frames.
. "$(dirname "$0")/lib.sh"
need ffprobe
need ffmpeg

DEMO_SECONDS=25 PRUNE_BUILD_DIR=$PRUNE_BUILD_ROOT \
  "$PRUNE_SOURCE_ROOT/scripts/demo.sh" "$tmp/out" >"$tmp/demo.log" 2>&1 ||
  { cat "$tmp/demo.log"; fail "scripts/demo.sh"; }
cat "$tmp/demo.log"
file="$tmp/out/demo.mp4"
[ -s "$file" ] || fail "no $file"

frames=$(ffprobe -v error -count_frames -select_streams v:0 \
  -show_entries stream=nb_read_frames -of csv=p=0 "$file")
codec=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 "$file")
[ "$codec" = h264 ] || fail "codec $codec, expected h264"
[ "$frames" -ge 80 ] && [ "$frames" -le 110 ] ||
  fail "decoded $frames frames, expected 80..110 (motion 12-20 s, 1 s pre-roll, 2 s post-roll)"
errors=$(ffmpeg -v error -i "$file" -f null - 2>&1 | wc -l)
[ "$errors" = 0 ] || fail "ffmpeg reported $errors decode errors"
grep -q "demo: wrote $file: $frames of 250 frames kept, [0-9]* % pruned" "$tmp/demo.log" ||
  fail "demo summary does not match the file"
grep -q "^  12.000000 20.000000$" "$tmp/demo.log" || fail "ground truth not printed"
echo "ok: demo kept $frames of 250 frames"
