#!/usr/bin/python3
# gst-prune --beats 4 on a live MPEG-TS over UDP (ffmpeg -re: testsrc and
# a click every 0.5 s, a keyframe every 10 s), joined 1 s after the sender
# started. The demuxer shows its streams only at the first keyframe, about
# 9 s in, video and audio together: the audio must still be taken (the
# video waits for it 5 s from when the video stream appeared, not from the
# start). Checks:
#   - exit status 0 after SIGINT, no leaked objects;
#   - the clicks are found: at least 20 beats, median interval 0.5 s.
import json
import os
import subprocess
import time

import clilib as lib
check = lib.check


def main():
    lib.need_tools("ffmpeg", "ffprobe")
    tmp = lib.tmpdir()
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
    gaps = sorted(b - a for a, b in zip(beats, beats[1:]))
    median = gaps[len(gaps) // 2] if gaps else 0.0
    check(len(beats) >= 20 and abs(median - 0.5) <= 0.01,
          f"{len(beats)} beats, median interval {median:.3f} s (clicks 0.5 s "
          f"apart)")
    print("ok: streams that appear late, audio taken")


main()
