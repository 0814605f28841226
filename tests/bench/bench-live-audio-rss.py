#!/usr/bin/python3
# gst-prune recording a live camera with audio: does its memory stay flat
# while the gate is closed?
#
# The camera is tests/helpers/prune-rtsp-server --audio (the "test" scene,
# 320x180 at 10 fps, H.264 over RTSP, with a metronome track as L16): its
# people walk through in the first minute, then the scene stays static.
# gst-prune records it with its defaults (drop mode, the audio kept as
# AAC). VmRSS of the gst-prune process is read every --every seconds; the
# growth is the least-squares slope of those samples after --skip seconds.
#
# Before staticgate sent its stretch end out of band, the encoder kept the
# end until the next stretch, segmentsink held the audio after it, and the
# audio piled up upstream: about 180 KB/s (650 MB an hour) from ~60 s on.
#
# Usage: bench-live-audio-rss.py [--build DIR] [--seconds 300] [--skip 90]
#                                [--every 10] [--max-growth MB_PER_HOUR]
# Exit status 1 when the growth is --max-growth MB per hour or more.
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def slope(ts, ys):
    n = len(ts)
    mt, my = sum(ts) / n, sum(ys) / n
    den = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / den


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--skip", type=float, default=90)
    ap.add_argument("--every", type=float, default=10)
    ap.add_argument("--max-growth", type=float, default=20.0)
    a = ap.parse_args()
    tool = os.path.join(a.build, "tools", "gst-prune", "gst-prune")
    server_bin = os.path.join(a.build, "tests", "helpers", "prune-rtsp-server")
    for p in (tool, server_bin):
        if not os.access(p, os.X_OK):
            print(f"skipped: {p} is not built")
            return 77
    if a.seconds - a.skip < 3 * a.every:
        sys.exit("--seconds must leave at least three samples after --skip")
    tmp = tempfile.mkdtemp(prefix="bench-live-audio.")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    server = subprocess.Popen([server_bin, "--port", str(port), "--audio"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    try:
        if not server.stdout.readline().startswith("ready "):
            sys.exit("the RTSP test server did not start")
        out = os.path.join(tmp, "out")
        prune = subprocess.Popen([tool, f"rtsp://127.0.0.1:{port}/cam", "-o",
                                  out], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        samples = []
        while True:
            t = time.monotonic() - t0
            if t >= a.seconds or prune.poll() is not None:
                break
            m = rss_mb(prune.pid)
            if m is not None:
                samples.append((t, m))
                print(f"{t:6.0f} s  VmRSS {m:7.1f} MB", flush=True)
            time.sleep(a.every - (time.monotonic() - t0 - t))
        if prune.poll() is not None:
            sys.exit(f"gst-prune ended early (status {prune.returncode})")
        prune.send_signal(signal.SIGINT)
        status = prune.wait(timeout=120)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    late = [(t, m) for t, m in samples if t >= a.skip]
    g = slope([t for t, _ in late], [m for _, m in late]) * 3600
    print(f"gst-prune on the RTSP test camera with audio, {a.seconds:.0f} s: "
          f"VmRSS {samples[0][1]:.1f} MB at {samples[0][0]:.0f} s, "
          f"{late[0][1]:.1f} at {late[0][0]:.0f} s, {late[-1][1]:.1f} at "
          f"{late[-1][0]:.0f} s; growth after {a.skip:.0f} s "
          f"{g:+.1f} MB/h (bound {a.max_growth} MB/h); exit status {status}")
    shutil.rmtree(tmp, True)
    return 1 if g >= a.max_growth or status != 0 else 0


sys.exit(main())
