#!/usr/bin/python3
# gst-prune --beats 4 on the RTSP test camera with its metronome track
# (tests/helpers/prune-rtsp-server --audio: a tick a second) for 15 s. A
# live stream is joined wherever its music is, so beatdetect must not take
# the first sound it hears as a beat. Checks:
#   - exit status 0 after SIGINT, no leaked objects;
#   - the report says "start-is-beat": false (and true for a file, in
#     gst-prune-audio.py);
#   - the ticks are found over RTSP: beats a second apart (median within
#     1 %), at least 5 in the ~15 s run;
#   - a file is cut on the 4th beat of the stretch the gate keeps (from
#     about 7 s), on the frame nearest to that beat (10 fps: within half a
#     frame): the beats reach segmentsink ahead of the audio, and the video
#     waits for the audio before the encoder.
import json
import os

import clilib as lib
from testlib import BEAT_CUT_TOLERANCE
check = lib.check


def main():
    tmp, _, uri, epoch, server = lib.rtsp_camera(extra=["--audio"])
    out = os.path.join(tmp, "cam")
    run = lib.LiveRun([uri, "-o", out, "--beats", "4"], tmp)
    try:
        lib.wait_until(epoch + 15.0)
        run.interrupt()
    finally:
        run.kill()
        lib.stop_rtsp_server(server)
    run.output()
    check(run.status == 0, f"exit status {run.status} after SIGINT")

    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    check(rep["live"] and rep["settings"].get("start-is-beat") is False,
          f"report: live, start-is-beat {rep['settings'].get('start-is-beat')}")
    beats = rep["beats"]
    median = lib.median_interval(beats)
    check(len(beats) >= 5 and abs(median - 1.0) <= 0.01,
          f"{len(beats)} beats, median interval {median:.3f} s (ticks 1 s "
          f"apart)", lib.report_summary(rep))
    cuts = [s["start"] + s["duration"] for s in rep["segments"]
            if s["reason"] == "beats"]
    off = [min((c - b for b in beats), key=abs) for c in cuts]
    check(cuts and all(abs(d) <= BEAT_CUT_TOLERANCE for d in off),
          f"beat cuts at {cuts}, from the nearest beat {off}")
    print("ok: beats over RTSP, phase from the audio alone, cuts on beats")


main()
