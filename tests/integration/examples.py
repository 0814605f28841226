#!/usr/bin/python3
# gst-prune: the embedding examples of docs/examples/ run as real processes.
#
# For the C++ program (built with the project) and the Python one:
#   unpaced   --fast --seconds 26: the synthetic camera moves twice (3-6 s
#             and 15-18 s), so the program must print two gate openings
#             and closings (the same ones from both programs), beats of the
#             120 bpm click track, and two closed segments; every file it
#             names exists, has H.264 video and AAC audio of the duration the
#             message gave, and the ffconcat list parses with ffprobe and
#             lasts the sum of the files; the summary line counts what was
#             printed; exit 0, no leaked GStreamer objects (leaks tracer).
#   Ctrl-C    a live run gets SIGINT when its gate opens, long before the
#             gate would close by itself: it must end the
#             stream (gate closed with reason eos), finish and list the open
#             file, exit 0.
# Exit 77 (skip) when an element or ffprobe is missing.
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading

from testlib import check, fail, reexec_with_sanitizer, skip

# The Python example gets the same re-run; the C++ example is instrumented
# itself and runs with the original settings (leak checks on).
reexec_with_sanitizer()

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

SOURCE = os.environ["PRUNE_SOURCE_ROOT"]
BUILD = os.environ["PRUNE_BUILD_ROOT"]
CXX_EXAMPLE = os.path.join(BUILD, "docs", "examples", "prune-example")
PY_EXAMPLE = os.path.join(SOURCE, "docs", "examples", "prune-example.py")
NEEDED = ("videotestsrc", "audiotestsrc", "x264enc", "h264parse", "avenc_aac",
          "aacparse", "audioconvert", "staticgate", "beatdetect",
          "segmentsink")
SECONDS = 26
TIME = r"(\d+):(\d\d):(\d\d)\.(\d{9})"


def seconds_of(h, m, s, ns):
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ns) / 1e9


def command(kind, *args):
    if kind == "C++":
        return [CXX_EXAMPLE, *args]
    return ["/usr/bin/python3", PY_EXAMPLE, *args]


def environment(kind):
    env = dict(os.environ)
    if kind == "C++" and "PRUNE_ORIGINAL_ASAN_OPTIONS" in env:
        env.pop("LD_PRELOAD", None)
        env["ASAN_OPTIONS"] = env.pop("PRUNE_ORIGINAL_ASAN_OPTIONS")
    return env


def ffprobe(*args):
    r = subprocess.run(["ffprobe", "-v", "error", *args], capture_output=True,
                       text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def check_output(kind, out, err, outdir, expect_segments, min_beats):
    """What every finished run must have printed and written. Returns the
    gate lines."""
    lines = out.splitlines()
    check("Leaks detected" not in err, f"{kind}: no leaked GStreamer objects",
          err[-2000:])
    check(not any(line.startswith("bad message") for line in lines),
          f"{kind}: every prune message parsed")
    gates = [line for line in lines if line.startswith("gate ")]
    opened = [g for g in gates if g.startswith("gate open: ")]
    closed = [g for g in gates if g.startswith("gate closed: ")]
    check(len(opened) >= 1 and len(opened) == len(closed),
          f"{kind}: prune-gate messages, {len(opened)} open and "
          f"{len(closed)} closed", "\n".join(gates))

    beats = [line for line in lines if line.startswith("beat ")]
    bpms = [float(m.group(1)) for b in beats
            if (m := re.search(r": ([0-9.]+) bpm", b))]
    check(len(beats) >= min_beats and len(bpms) == len(beats),
          f"{kind}: {len(beats)} prune-beat messages, at least {min_beats}")
    if min_beats > 0:
        last = bpms[-min_beats:]
        check(all(115 <= b <= 125 for b in last), f"{kind}: the last beats "
              "are at the click track's 120 bpm", str(last))

    segments = []
    for line in lines:
        m = re.match(r"segment closed: (.+) \(index (\d+), " + TIME +
                     r" long from " + TIME + r", (\d+) bytes, ([a-z-]+)\)$",
                     line)
        if line.startswith("segment closed: "):
            check(m is not None, f"{kind}: segment line has every field", line)
            segments.append((m.group(1), seconds_of(*m.group(3, 4, 5, 6)),
                             int(m.group(11))))
    check(len(segments) == expect_segments,
          f"{kind}: {len(segments)} prune-segment-closed messages, "
          f"{expect_segments} expected")

    summary = [line for line in lines
               if re.match(r"prune-example: \d+ prune-gate", line)]
    check(len(summary) == 1, f"{kind}: a summary line")
    counts = [int(n) for n in re.findall(r"(\d+) prune-", summary[0])]
    check(counts == [len(gates), len(beats), len(segments)],
          f"{kind}: the summary counts what was printed", summary[0])

    total = 0.0
    for location, duration, size in segments:
        check(os.path.isfile(location) and os.path.getsize(location) == size,
              f"{kind}: {os.path.basename(location)} exists with the size "
              "of its message")
        rc, so, se = ffprobe("-show_entries", "stream=codec_name,duration",
                             "-of", "csv=p=0", location)
        streams = dict(line.split(",")[:2] for line in so.split())
        check(rc == 0 and set(streams) == {"h264", "aac"},
              f"{kind}: {os.path.basename(location)} parses with H.264 and "
              "AAC", so + se)
        video = float(streams["h264"])
        check(abs(video - duration) < 0.11,
              f"{kind}: its video lasts {video:.3f} s, the message said "
              f"{duration:.3f} s")
        total += duration

    playlist = os.path.join(outdir, "list.ffconcat")
    rc, so, se = ffprobe("-f", "concat", "-safe", "0", "-i", playlist,
                         "-show_entries", "format=duration", "-of", "csv=p=0")
    check(rc == 0 and abs(float(so.strip() or "nan") - total) < 0.05,
          f"{kind}: the list parses and lasts the sum of its files "
          f"({so.strip()} s)", se)
    return gates


def unpaced(kind, tmp):
    outdir = os.path.join(tmp, f"{kind}-unpaced")
    r = subprocess.run(command(kind, "--fast", "--seconds", str(SECONDS),
                               outdir),
                       env=environment(kind), capture_output=True, text=True,
                       timeout=120)
    print(f"--- {kind} example, {SECONDS} s unpaced:\n" +
          "\n".join(line for line in r.stdout.splitlines()
                    if not line.startswith("beat ")), flush=True)
    check(r.returncode == 0, f"{kind}: exit 0", r.stderr[-3000:])
    gates = check_output(kind, r.stdout, r.stderr, outdir, 2, 10)
    check(len(gates) == 4, f"{kind}: the camera moved twice: two kept "
          "segments", "\n".join(gates))
    return gates


def interrupted(kind, tmp):
    """A live run stopped with Ctrl-C while the gate is open."""
    outdir = os.path.join(tmp, f"{kind}-live")
    proc = subprocess.Popen(command(kind, outdir), env=environment(kind),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines = []
    err = []
    opened = threading.Event()

    def read_out():
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("gate open: "):
                opened.set()

    def read_err():
        err.append(proc.stderr.read())

    readers = [threading.Thread(target=read_out),
               threading.Thread(target=read_err)]
    for t in readers:
        t.start()
    if not opened.wait(60):
        proc.kill()
        proc.wait()
        for t in readers:
            t.join()
        fail(f"{kind}: the live run opened no gate in 60 s: "
             f"{''.join(lines)}{''.join(err)[-2000:]}")
    # The gate opened (at 2 s: the pre-roll before the ball moves at 3 s;
    # its message comes at about 3.3 s) and stays open until 8 s (the
    # post-roll after the ball stops at 6 s): stop it now.
    proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        rc = None
    for t in readers:
        t.join()
    out = "".join(lines)
    print(f"--- {kind} example, live, Ctrl-C while recording:\n" +
          "\n".join(line for line in out.splitlines()
                    if not line.startswith("beat ")), flush=True)
    check(rc == 0, f"{kind}: Ctrl-C ends the stream and exits 0 (rc {rc})",
          "".join(err)[-3000:])
    check("stopping: finishing the open file" in out,
          f"{kind}: Ctrl-C is handled")
    check(re.search(r"^gate closed: segment 0 at .* \(eos\)$", out, re.M),
          f"{kind}: the gate closes with reason eos at Ctrl-C")
    check_output(kind, out, "".join(err), outdir, 1, 0)


def main():
    Gst.init(None)
    for element in NEEDED:
        if Gst.ElementFactory.find(element) is None:
            skip(f"element {element} is not available")
    if shutil.which("ffprobe") is None:
        skip("ffprobe is not installed (scripts/setup.sh installs it)")
    if not os.path.isfile(CXX_EXAMPLE):
        fail(f"{CXX_EXAMPLE} was not built")
    tmp = tempfile.mkdtemp(prefix="prune-examples.")
    try:
        gates = {}
        for kind in ("C++", "Python"):
            gates[kind] = unpaced(kind, tmp)
        check(gates["C++"] == gates["Python"],
              "both programs saw the same gate openings and closings")
        for kind in ("C++", "Python"):
            interrupted(kind, tmp)
    finally:
        if os.environ.get("PRUNE_KEEP_TMP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
