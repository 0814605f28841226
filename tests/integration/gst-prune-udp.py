#!/usr/bin/python3
# gst-prune on live MPEG-TS over UDP, streams that come late or never:
#   late    --beats 4 on ffmpeg -re (testsrc and a click every 0.5 s, a
#           keyframe every 10 s), joined 1 s after the sender started. The
#           demuxer shows its streams only at the first keyframe, about 9 s
#           in, video and audio together: the audio must still be taken (the
#           video waits for it 5 s from when the video stream appeared, not
#           from the start). Exit status 0 after SIGINT, no leaked objects,
#           the clicks found: at least 20 beats, median interval 0.5 s.
#   silent  Ctrl-C while nothing has come yet: exit status 0 at once (not
#           after the 10 s wait for an EOS the source cannot give), and the
#           summary says no list was written.
import json
import os
import subprocess
import sys
import time

import clilib as lib
check = lib.check


def late(tmp):
    port = lib.free_port()
    sender = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
         "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25", "-f", "lavfi",
         "-i", "aevalsrc='if(lt(mod(t,0.5),0.01),sin(2*PI*2000*t),0)':s=44100",
         "-t", "60", "-c:v", "libx264", "-preset", "ultrafast", "-g", "250",
         "-keyint_min", "250", "-sc_threshold", "0", "-c:a", "aac",
         "-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"],
        stderr=open(os.path.join(tmp, "ffmpeg.log"), "w"))
    out = os.path.join(tmp, "live")
    try:
        time.sleep(1.0)
        run = lib.LiveRun([f"udp://127.0.0.1:{port}", "-o", out, "--beats",
                           "4"], tmp)
        try:
            time.sleep(24.0)
            run.interrupt()
        finally:
            run.kill()
    finally:
        sender.kill()
        sender.wait()
    _, stderr = run.output()
    check(run.status == 0, f"exit status {run.status} after SIGINT",
          stderr.strip().splitlines()[-1:] if stderr.strip() else "")
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    beats = rep["beats"]
    median = lib.median_interval(beats)
    check(len(beats) >= 20 and abs(median - 0.5) <= 0.01,
          f"{len(beats)} beats, median interval {median:.3f} s (clicks 0.5 s "
          f"apart)")
    print("ok: streams that appear late, audio taken")


def silent(tmp):
    out = os.path.join(tmp, "silent")
    run = lib.LiveRun([f"udp://127.0.0.1:{lib.free_port()}", "-o", out], tmp)
    try:
        time.sleep(2.0)
        t0 = time.monotonic()
        run.interrupt()
        took = time.monotonic() - t0
    finally:
        run.kill()
    stdout, _ = run.output()
    check(run.status == 0, f"exit status {run.status} after SIGINT")
    check(took < 5.0, f"stopped {took:.1f} s after SIGINT")
    check("stopped (Ctrl-C)" in stdout and "list      none" in stdout,
          "the summary says it was stopped and no list was written")
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    check(rep["stopped-by"] == "interrupt" and rep["exit-status"] == 0,
          f"report: stopped by {rep['stopped-by']}, exit {rep['exit-status']}")


def main():
    lib.need_tools("ffmpeg", "ffprobe")
    only = set(sys.argv[1:])
    if not only or "silent" in only:
        silent(lib.tmpdir())
    if not only or "late" in only:
        late(lib.tmpdir())


main()
