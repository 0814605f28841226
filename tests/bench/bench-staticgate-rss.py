#!/usr/bin/python3
# gst-prune: peak memory of staticgate's pre-roll.
#
# Runs `videotestsrc ! staticgate pre-roll=2s ! fakesink` at 1080p30 I420 on
# a static picture (the gate stays closed and holds its pre-roll window the
# whole time) and the same pipeline without the gate, in child processes,
# and compares their peak RSS. The gate may hold pre-roll + min-motion + one
# run gap of frames (2.45 s = 74 frames of 3,110,400 bytes = 230 MB); with
# max-preroll-bytes=64 MiB it must stay within 64 MiB. Also a moving picture
# (the gate stays open and holds nothing).
#
# Usage: bench-staticgate-rss.py [--build DIR] [--seconds N]
import argparse
import os
import resource
import subprocess
import sys

FRAME = 1920 * 1080 * 3 // 2
MB = 1024 * 1024


def measure(pipeline, env):
    code = ("import resource,subprocess,sys;"
            "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,check=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    r = subprocess.run([sys.executable, "-c", code, "gst-launch-1.0", "-q", *pipeline.split()],
                       env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {pipeline}\n{r.stderr}")
    return int(r.stdout.strip()) * 1024


def main():
    ap = argparse.ArgumentParser(description="peak memory of staticgate pre-roll")
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=int, default=20)
    a = ap.parse_args()
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.abspath(os.path.join(a.build, "plugins"))
    n = a.seconds * 30
    src = (f"videotestsrc num-buffers={n} pattern={{pattern}} ! "
           "video/x-raw,format=I420,width=1920,height=1080,framerate=30/1")
    rows = []
    base = measure(src.format(pattern="smpte") + " ! fakesink", env)
    hold = int((2.0 + 0.3 + 0.15) * 30 + 1)
    cases = [
        ("static, pre-roll=2s", "smpte", "pre-roll=2000000000", hold * FRAME),
        ("static, pre-roll=2s, max-preroll-bytes=64MiB", "smpte",
         f"pre-roll=2000000000 max-preroll-bytes={64 * MB}", 64 * MB),
        ("moving (gate open), pre-roll=2s", "ball", "pre-roll=2000000000", hold * FRAME),
    ]
    print(f"peak RSS, 1080p30 I420, {a.seconds} s, one process per row")
    print(f"{'pipeline':48} {'peak RSS MB':>12} {'over no-gate MB':>16} {'bound MB':>10}  verdict")
    print(f"{'videotestsrc ! fakesink (no gate)':48} {base / MB:12.1f} {0:16.1f} {'':>10}")
    ok = True
    for name, pattern, props, bound in cases:
        rss = measure(src.format(pattern=pattern) + f" ! staticgate {props} ! fakesink", env)
        over = rss - base
        # allow one frame and the gate's own pool/bookkeeping beyond the bound
        good = over <= bound + FRAME + 8 * MB
        ok &= good
        print(f"{name:48} {rss / MB:12.1f} {over / MB:16.1f} {bound / MB:10.1f}  "
              f"{'within' if good else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
