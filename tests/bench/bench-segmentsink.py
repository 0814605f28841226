#!/usr/bin/python3
# gst-prune: CPU and peak memory of segmentsink against splitmuxsink.
#
# Encodes a test stream once (H.264, 640x360 at 30 fps, a keyframe every
# second, Matroska), then writes it into segments with
#   filesrc ! matroskademux ! h264parse ! segmentsink max-size-time=X
#   filesrc ! matroskademux ! h264parse ! splitmuxsink max-size-time=X
#       muxer-factory=mp4mux muxer-properties="properties,fragment-duration=500,
#           fragment-mode=first-moov-then-finalise"
# (the same muxer and fragments as segmentsink's default) for each X, each
# run in its own child process, several times, alternating. Reports the
# median user+sys CPU and peak RSS of the children (os.wait4), also net of
# a baseline child that only demuxes and parses into fakesink, and the
# ratio segmentsink / splitmuxsink. EVAL.md target: CPU overhead <= 1.10x.
#
# segmentsink fsyncs every file, the list and the directory (splitmuxsink
# does not): that costs wall time (also reported) more than CPU. Each child
# starts after os.sync(), so the previous child's deletions are not charged
# to it.
#
# Usage: bench-segmentsink.py [--build DIR] [--seconds N] [--repeat N]
#                             [--times 1,30]
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MB = 1024 * 1024


def child(desc, timeout):
    """Runs @desc to EOS (segmentsink's own EOS counts: its pipeline EOS may
    never come, see the segmentsink integration test)."""
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    p = Gst.parse_launch(desc)
    p.set_property("message-forward", True)
    bus = p.get_bus()
    t0 = time.monotonic()
    p.set_state(Gst.State.PLAYING)
    deadline = t0 + timeout
    sink_eos = None
    status = 3
    while True:
        msg = bus.timed_pop(20 * Gst.MSECOND)
        now = time.monotonic()
        if msg is None:
            if sink_eos is not None and now - sink_eos > 0.5:
                status = 0
                now = sink_eos
                break
            if now > deadline:
                print("timeout", file=sys.stderr)
                break
            continue
        if msg.type == Gst.MessageType.ERROR:
            print(msg.parse_error(), file=sys.stderr)
            status = 1
            break
        if msg.type == Gst.MessageType.EOS:
            status = 0
            break
        if msg.type == Gst.MessageType.ELEMENT and \
                msg.get_structure().get_name() == "GstBinForwarded":
            inner = msg.get_structure().get_value("message")
            if inner.type == Gst.MessageType.EOS and \
                    inner.src.get_factory().get_name() == "segmentsink":
                sink_eos = now
    p.set_state(Gst.State.NULL)
    print(f"wall {now - t0:.6f}")
    sys.exit(status)


def measure(desc, env, timeout=300):
    """(user+sys CPU s, peak RSS bytes, wall s from PLAYING to EOS) of one
    child."""
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", desc,
                             "--timeout", str(timeout)], env=env, stdout=subprocess.PIPE,
                            text=True)
    text = proc.stdout.read()
    _, status, ru = os.wait4(proc.pid, 0)
    if status != 0:
        sys.exit(f"failed ({status}): {desc}")
    wall = float(text.split("wall ")[1].split()[0])
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024, wall, ru.ru_stime


def main():
    ap = argparse.ArgumentParser(description="segmentsink vs splitmuxsink CPU and memory")
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=int, default=300, help="length of the test stream")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--times", default="1,30", help="max-size-time values in seconds")
    ap.add_argument("--child")
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.timeout)
        return
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.abspath(os.path.join(a.build, "plugins"))
    env.pop("GST_TRACERS", None)
    tmp = tempfile.mkdtemp(prefix="bench-segmentsink.")
    try:
        src = os.path.join(tmp, "input.mkv")
        n = a.seconds * 30
        t0 = time.monotonic()
        subprocess.run(
            ["gst-launch-1.0", "-q", "-e", "videotestsrc", f"num-buffers={n}", "pattern=ball",
             "!", "video/x-raw,format=I420,width=640,height=360,framerate=30/1", "!",
             "timeoverlay", "!",
             "x264enc", "key-int-max=30", "speed-preset=ultrafast", "bitrate=1500", "!",
             "h264parse", "!", "matroskamux", "!", "filesink", f"location={src}"],
            env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"input: {a.seconds} s of 640x360 30 fps H.264, keyframe every 1 s, "
              f"{os.path.getsize(src) / MB:.1f} MB (encoded in {time.monotonic() - t0:.1f} s)")
        head = f"filesrc location={src} ! matroskademux ! h264parse ! "
        out = os.path.join(tmp, "out")
        rows = []
        base = [measure(head + "fakesink", env) for _ in range(a.repeat)]
        base_cpu = statistics.median(x[0] for x in base)
        base_rss = statistics.median(x[1] for x in base)
        print(f"baseline (demux + parse into fakesink): {base_cpu:.3f} s CPU, "
              f"{base_rss / MB:.1f} MB peak RSS")
        for x in (float(v) for v in a.times.split(",")):
            ns = int(x * 1e9)
            sinks = {
                "segmentsink": (f"segmentsink max-size-time={ns} "
                                f"location={out}/seg%05d.mp4 "
                                f"playlist-location={out}/list.ffconcat"),
                "splitmuxsink": (f"splitmuxsink max-size-time={ns} muxer-factory=mp4mux "
                                 "muxer-properties=\"properties,fragment-duration=500,fragment-mode=first-moov-then-finalise\" "
                                 f"location={out}/split%05d.mp4"),
            }
            got = {k: [] for k in sinks}
            files = {}
            for _ in range(a.repeat):
                for name, sink in sinks.items():  # alternate: drift hits both
                    shutil.rmtree(out, ignore_errors=True)
                    os.makedirs(out)
                    # the deletions' journal work (and on a `discard` mount
                    # their TRIMs) is done now, not charged to the next
                    # child's first fsync
                    os.sync()
                    got[name].append(measure(head + sink, env))
                    files[name] = len([f for f in os.listdir(out) if f.endswith(".mp4")])
            for name in sinks:
                cpu = statistics.median(v[0] for v in got[name])
                rss = statistics.median(v[1] for v in got[name])
                wall = statistics.median(v[2] for v in got[name])
                sys_cpu = statistics.median(v[3] for v in got[name])
                rows.append((x, name, cpu, cpu - base_cpu, rss, wall, files[name], sys_cpu))
        print()
        print(f"median of {a.repeat} runs each; net = minus the baseline child")
        print(f"{'split':>6}  {'sink':<13} {'CPU s':>7} {'(sys)':>7} {'net CPU s':>9} "
              f"{'peak RSS MB':>11} {'wall s':>7} {'files':>5}")
        for i in range(0, len(rows), 2):
            seg, spl = rows[i], rows[i + 1]
            for r in (seg, spl):
                print(f"{r[0]:>5g}s  {r[1]:<13} {r[2]:7.3f} {r[7]:7.3f} {r[3]:9.3f} "
                      f"{r[4] / MB:11.1f} {r[5]:7.2f} {r[6]:5d}")
            net = seg[3] / spl[3] if spl[3] > 0 else float("nan")
            print(f"{'':>6}  {'ratio':<13} {seg[2] / spl[2]:6.2f}x {seg[7] / spl[7]:6.2f}x "
                  f"{net:8.2f}x {seg[4] / spl[4]:10.2f}x {seg[5] / spl[5]:6.2f}x"
                  "   (target CPU <= 1.10x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
