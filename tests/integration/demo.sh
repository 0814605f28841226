#!/bin/sh
# The README's main job (scripts/demo.sh) runs end to end on a short scene
# and writes an MP4 that ffprobe decodes completely.
. "$(dirname "$0")/lib.sh"
need ffprobe

DEMO_SECONDS=3 PRUNE_BUILD_DIR=$PRUNE_BUILD_ROOT \
  "$PRUNE_SOURCE_ROOT/scripts/demo.sh" "$tmp/out" >"$tmp/demo.log" 2>&1 ||
  { cat "$tmp/demo.log"; fail "scripts/demo.sh"; }
cat "$tmp/demo.log"
file="$tmp/out/demo.mp4"
[ -s "$file" ] || fail "no $file"

# Every frame that was written decodes, and no more than were produced.
frames=$(ffprobe -v error -count_frames -select_streams v:0 \
  -show_entries stream=nb_read_frames -of csv=p=0 "$file")
codec=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 "$file")
[ "$codec" = h264 ] || fail "codec $codec, expected h264"
[ "$frames" -ge 1 ] && [ "$frames" -le 30 ] || fail "decoded $frames frames, expected 1..30"
errors=$(ffmpeg -v error -i "$file" -f null - 2>&1 | wc -l)
[ "$errors" = 0 ] || fail "ffmpeg reported $errors decode errors"
grep -q "demo: wrote $file: $frames of 30 frames kept" "$tmp/demo.log" ||
  fail "demo summary does not match the file"
echo "ok: demo wrote $frames decodable frames"
