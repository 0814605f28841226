#!/usr/bin/python3
# gst-prune: what one live camera stream costs: CPU (% of one core) and
# memory (RSS) of the recording process, at camera sizes and rates, paced in
# real time as a camera delivers it.
#
# The camera is prune-scene (the demo preset: 180 s, people walking through
# at known times, about a quarter of the time moving) in its own process,
# scaled to each size and rate. The measured process is the gst-launch-1.0
# equivalent of `gst-prune` recording one camera:
#
#   fdsrc ! rawvideoparse ! clocksync ! staticgate ! x264enc ! h264parse !
#   segmentsink split-on-gate=true max-size-time=600s
#
# or, with --decode (a network camera: the stream arrives as H.264 and is
# decoded first), the camera process encodes to MPEG-TS and the measured
# process starts with  fdsrc ! tsdemux ! h264parse ! avdec_h264.
#
# CPU is the measured process's user + system time over the whole run
# divided by the stream's duration (so a run slowed by a busy machine still
# gives the cost of one second of stream); "pace" is stream time over wall
# time (1.00: it kept up with the camera). RSS is sampled every second
# (median after the first --skip seconds, and the peak VmHWM).
#
# Usage: soak-live.py [--build DIR] [--seconds 180] [--skip 15]
#                     [--configs 640x360@10,1280x720@15,1920x1080@25,...]
#                     [--mode drop|mark] [--decode]
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def memory_mb(pid):
    rss = hwm = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    return rss, hwm


def measure(args, scene, width, height, fps, tmp):
    outdir = tempfile.mkdtemp(dir=tmp)
    keyint = 2 * fps
    scene_cmd = [scene, "--preset", "demo", "--seconds", str(args.seconds),
                 "--width", str(width), "--height", str(height),
                 "--fps", f"{fps}/1"]
    raw = (f"rawvideoparse format=i420 width={width} height={height} "
           f"framerate={fps}/1")
    if args.decode:
        camera_cmd = ["gst-launch-1.0", "-q", "fdsrc", "fd=0", "!",
                      *raw.split(), "!", "x264enc", "speed-preset=ultrafast",
                      "tune=zerolatency", f"key-int-max={keyint}", "!",
                      "h264parse", "!", "mpegtsmux", "!", "fdsink", "fd=1"]
        head = "fdsrc fd=0 ! tsdemux ! h264parse ! avdec_h264 ! clocksync"
    else:
        camera_cmd = None
        head = f"fdsrc fd=0 blocksize={width * height * 3 // 2} ! {raw} ! clocksync"
    desc = (f"{head} ! staticgate mode={args.mode} ! x264enc "
            f"speed-preset=veryfast tune=zerolatency key-int-max={keyint} ! "
            "h264parse ! segmentsink split-on-gate=true "
            f"max-size-time=600000000000 location={outdir}/seg%05d.mp4 "
            f"playlist-location={outdir}/list.ffconcat")
    scene_proc = subprocess.Popen(scene_cmd, stdout=subprocess.PIPE)
    feed = scene_proc.stdout
    camera_proc = None
    if camera_cmd:
        camera_proc = subprocess.Popen(camera_cmd, stdin=feed,
                                       stdout=subprocess.PIPE)
        feed.close()
        feed = camera_proc.stdout
    proc = subprocess.Popen(["gst-launch-1.0", "-q", "-e", *desc.split()],
                            stdin=feed, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    feed.close()
    start = time.monotonic()
    rss = []
    hwm = None
    status = None
    while status is None:
        time.sleep(1.0)
        try:
            r, h = memory_mb(proc.pid)
        except (OSError, ValueError, TypeError):
            r = h = None
        if r is not None and time.monotonic() - start >= args.skip:
            rss.append(r)
            hwm = h
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == 0:
            status = None
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    scene_proc.wait()
    if camera_proc:
        camera_proc.wait()
    files = [f for f in os.listdir(outdir) if f.endswith(".mp4")]
    shutil.rmtree(outdir, ignore_errors=True)
    if proc.returncode != 0 or not rss:
        print(f"soak-live: {width}x{height}@{fps} failed (rc "
              f"{proc.returncode}):\n{err[-2000:]}", file=sys.stderr)
        return None
    return {"cpu": 100 * (usage.ru_utime + usage.ru_stime) / args.seconds,
            "rss": statistics.median(rss), "hwm": hwm, "files": len(files),
            "speed": args.seconds / wall}


def main():
    parser = argparse.ArgumentParser(
        description="CPU and RSS of one live camera stream through "
        "staticgate, x264enc and segmentsink")
    parser.add_argument("--build", default="build")
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--skip", type=int, default=15)
    parser.add_argument("--configs",
                        default="640x360@10,1280x720@15,1920x1080@25,"
                        "1920x1080@30")
    parser.add_argument("--mode", choices=("drop", "mark"), default="drop")
    parser.add_argument("--decode", action="store_true")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    scene = os.path.join(build, "tools", "prune-scene", "prune-scene")
    if not os.path.isfile(scene):
        print(f"soak-live: {scene} not built", file=sys.stderr)
        return 2
    os.environ["GST_PLUGIN_PATH"] = os.path.join(build, "plugins") + (
        ":" + os.environ["GST_PLUGIN_PATH"]
        if os.environ.get("GST_PLUGIN_PATH") else "")
    print(f"soak-live: {args.seconds} s of the demo scene per row, live, "
          f"staticgate mode={args.mode}, "
          f"{'H.264 input decoded' if args.decode else 'raw input'}; CPU "
          f"per second of stream, RSS after the first {args.skip} s",
          flush=True)
    print("\n| stream | CPU % of one core | RSS MB (median) | peak RSS MB | "
          "files | pace |\n|---|---|---|---|---|---|", flush=True)
    failed = False
    with tempfile.TemporaryDirectory(prefix="prune-live.") as tmp:
        for config in args.configs.split(","):
            size, fps = config.split("@")
            width, height = (int(v) for v in size.split("x"))
            r = measure(args, scene, width, height, int(fps), tmp)
            if r is None:
                failed = True
                continue
            print(f"| {width}x{height} @ {fps} | {r['cpu']:.1f} | "
                  f"{r['rss']:.1f} | {r['hwm']:.1f} | {r['files']} | "
                  f"{r['speed']:.2f} |",
                  flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
