#!/usr/bin/python3
# gst-prune: segmentsink with real muxers, checked with real ffmpeg/ffprobe.
#
# One function per scenario (EVAL.md "segmentsink" targets), all run:
#   gate       prune-scene -> staticgate -> x264enc -> segmentsink
#              split-on-gate: the concat of the list rebuilds exactly the
#              frames the gate passed (count and duration), no
#              "Non-monotonous DTS", every file starts on a keyframe; the
#              same with B-frames; time splits (max-size-time) on a plain
#              stream
#   audio      video + AAC audio: a/v drift < 1 ms per boundary after concat
#   crash      a live gst-launch-1.0 killed with SIGKILL at 20 random moments:
#              the list parses, every listed file decodes to its end with the
#              frame count of its duration line, the open file is readable
#   retention  max-files, max-total-bytes (prune-segment-deleted messages,
#              files gone, names never reused) and resuming into an old list
#   errors     a segment write failing mid-file (RLIMIT_FSIZE: "disk full")
#              and unwritable directories
#   names      spaces, quotes, a backslash and UTF-8 in file names, the list
#              beside the files, above them and elsewhere (absolute paths)
#   mark       staticgate mode=mark, segmentsink pre-roll=2s with audio: files
#              start at the newest keyframe 2 s before the gate start, audio
#              pre-rolled with the video
#   stop       a live a/v pipeline set to NULL while PLAYING (no EOS): the
#              open file is finished, listed, with its audio
#   launch     gst-launch-1.0 with an a/v file through decodebin into
#              segmentsink, 30 runs: each ends by itself (1 in 6 to 3 in 10
#              hung at the end without the sink's preroll: GstBin 1.22
#              race). Not in the default set: meson runs it alone
#              (segmentsink-launch), as other tests beside it make the
#              race's remaining window likelier (1 run in 30 hung so)
#   beatcut    the beat-cutting gst-launch-1.0 pipeline of
#              docs/elements/segmentsink.md on a file with a tick a second:
#              every file a beat cut ends on the frame nearest to its beat
#              (10 fps: within half a frame), at least half of them (on a
#              loaded machine some come late: nothing makes the video wait
#              for the analysis in such a pipeline). beatdetect sends
#              each beat out of band too, and a queue after it lets it
#              analyse ahead of the sink, which holds the audio until the
#              video reaches it; with the beats in stream order only, every
#              cut came 0.21 s (two frames) late
#   many       2,100 one-frame segments (1,000 under AddressSanitizer) with
#              max-files=50: RSS flat; and unpaced: files listed in order,
#              no pile-up of unfinished files
#
# Prints one line per check; exits 1 at the first failure, 77 when a needed
# element or tool is missing. The checks that found bugs (known_bug) fail the
# test when a fixed one comes back; STILL_OPEN lists those still chased.
# Arguments: scenario names to run only those (default: all).
# Environment: PRUNE_TEST_SEED (crash moments), PRUNE_KEEP_TMP=1 (keep files).
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from testlib import BEAT_CUT_TOLERANCE, check, fail, reexec_with_sanitizer, skip

SANITIZED = reexec_with_sanitizer()

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CHILD = os.path.join(HERE, "segmentsink-child.py")
SEC = Gst.SECOND
KNOWN = {}  # known element bugs seen in this run: key -> text


# ---------------------------------------------------------------- output

# Bugs seen again after their fix, still being chased: printed as TODO, not
# fatal. Every other known_bug() is a regression and fails the test.
STILL_OPEN: set = set()


def known_bug(key, text):
    """A bug this test found before: fatal once fixed (a regression)."""
    KNOWN.setdefault(key, text)
    if key in STILL_OPEN:
        print(f"TODO: known segmentsink bug [{key}] (expected failure): {text}", flush=True)
        return
    fail(f"regression [{key}]: {text}")


# ---------------------------------------------------------------- tools

def run(cmd, **kw):
    """Runs a tool that does not load our plugin (ffmpeg, ffprobe; the child
    script re-executes itself with the sanitizer runtime): without the
    sanitizer preload, which only slows it down."""
    env = dict(os.environ)
    if SANITIZED:
        env.pop("LD_PRELOAD", None)
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=env, **kw)


def launch(args, **kw):
    """gst-launch-1.0 @args, which loads our plugin: with the environment
    as it is (under a sanitizer, its runtime preloaded)."""
    return subprocess.run(["gst-launch-1.0"] + args, capture_output=True,
                          text=True, errors="replace", **kw)


def concat_args(path):
    return ["-f", "concat", "-safe", "0", "-i", path]


def input_args(path):
    return concat_args(path) if path.endswith(".ffconcat") else ["-i", path]


def probe_streams(path):
    """{codec_type: {frames, duration, start}} with decoded frame counts."""
    r = run(["ffprobe", "-v", "error", *input_args(path), "-count_frames",
             "-show_entries", "stream=codec_type,nb_read_frames,duration,start_time",
             "-of", "json"])
    if r.returncode != 0:
        return None, r.stderr.strip()
    out = {}
    for s in json.loads(r.stdout).get("streams", []):
        def num(k, conv):
            v = s.get(k)
            return conv(v) if v not in (None, "N/A") else None
        out.setdefault(s["codec_type"], {
            "frames": num("nb_read_frames", int),
            "duration": num("duration", float),
            "start": num("start_time", float),
        })
    return out, r.stderr.strip()


def probe_packets(path, stream="v"):
    """[(pts, duration, flags, dts)] in seconds, in demuxer order."""
    r = run(["ffprobe", "-v", "error", *input_args(path), "-select_streams", stream,
             "-show_entries", "packet=pts_time,dts_time,duration_time,flags", "-of", "json"])
    if r.returncode != 0:
        fail(f"ffprobe packets of {path}: {r.stderr.strip()}")
    pkts = []
    for p in json.loads(r.stdout).get("packets", []):
        def t(k):
            v = p.get(k)
            return float(v) if v not in (None, "N/A") else None
        pkts.append((t("pts_time"), t("duration_time") or 0.0, p.get("flags", ""),
                     t("dts_time")))
    return pkts


def first_frame(path):
    """(key_frame, pict_type) of the first decoded video frame."""
    r = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_frames",
             "-read_intervals", "%+#1", "-show_entries", "frame=key_frame,pict_type",
             "-of", "json", path])
    frames = json.loads(r.stdout or "{}").get("frames", [])
    if r.returncode != 0 or not frames:
        return None, r.stderr.strip()
    return frames[0]["key_frame"] == 1, frames[0].get("pict_type")


def decode_errors(path):
    """Decodes everything; returns ffmpeg's error output ('' when clean)."""
    r = run(["ffmpeg", "-nostdin", "-v", "error", *input_args(path), "-f", "null", "-"])
    text = r.stderr.strip()
    if r.returncode != 0 and not text:
        text = f"exit status {r.returncode}"
    return text


def concat_copy(listpath, out):
    """ffmpeg -f concat -safe 0 -i LIST -c copy OUT; returns its warnings."""
    r = run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "warning", "-y",
             *concat_args(listpath), "-c", "copy", out])
    if r.returncode != 0:
        fail(f"ffmpeg concat of {listpath} failed: {r.stderr.strip()}")
    return r.stderr.strip()


def unquote_ffconcat(token):
    """ffmpeg's av_get_token: '...' literal, backslash escapes outside."""
    out, i = [], 0
    while i < len(token):
        c = token[i]
        if c == "'":
            j = token.index("'", i + 1)
            out.append(token[i + 1:j])
            i = j + 1
        elif c == "\\" and i + 1 < len(token):
            out.append(token[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_ffconcat(path):
    """Strict reader: [{'file': absolute path, 'duration': float|None}],
    next-index from the comment line."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    if lines[0].strip() != "ffconcat version 1.0":
        fail(f"{path}: first line is {lines[0]!r}, not 'ffconcat version 1.0'")
    if not text.endswith("\n"):
        fail(f"{path}: last line not terminated (torn write?)")
    base = os.path.dirname(os.path.abspath(path))
    entries, next_index = [], None
    for line in lines[1:]:
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = re.search(r"next-index (\d+)", line)
            if m:
                next_index = int(m.group(1))
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "file":
            name = unquote_ffconcat(rest.strip())
            entries.append({"file": os.path.normpath(os.path.join(base, name)),
                            "duration": None})
        elif keyword == "duration" and entries:
            entries[-1]["duration"] = float(rest)
        else:
            fail(f"{path}: unexpected line {line!r}")
    return entries, next_index


def file_index(path):
    m = re.search(r"(\d+)\.[a-z0-9]+$", path)
    return int(m.group(1)) if m else None


def vmrss_kib(pid="self"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- pipelines

class Result:
    def __init__(self):
        self.msgs = []       # (name, fields) of prune-* element messages
        self.error = None    # (message, debug, source name)
        self.eos = None      # "pipeline", "segmentsink" (only its own) or None
        self.seconds = 0.0

    def named(self, name):
        return [f for n, f in self.msgs if n == name]


def fields(s):
    d = {}
    for i in range(s.n_fields()):
        name = s.nth_field_name(i)
        d[name] = s.get_value(name)
    return d


def run_pipeline(pipeline, timeout=120, on_message=None, keep=True):
    """Runs to EOS or error, collecting prune-* messages (@keep). segmentsink's
    own EOS is seen through message-forward, so a pipeline EOS that never
    comes (a bug fixed in 96e7515) fails the test instead of hanging it."""
    if isinstance(pipeline, str):
        pipeline = Gst.parse_launch(pipeline)
    pipeline.set_property("message-forward", True)
    res = Result()
    bus = pipeline.get_bus()
    t0 = time.monotonic()
    ret = pipeline.set_state(Gst.State.PLAYING)
    if ret == Gst.StateChangeReturn.FAILURE:
        msg = bus.pop_filtered(Gst.MessageType.ERROR)
        pipeline.set_state(Gst.State.NULL)
        fail(f"pipeline did not start: {msg.parse_error() if msg else ret}")
    deadline = t0 + timeout
    sink_eos = None
    grace = 1.0  # the pipeline's EOS follows at once when it comes at all
    while True:
        msg = bus.timed_pop(50 * Gst.MSECOND)
        now = time.monotonic()
        if msg is None:
            if sink_eos is not None and now - sink_eos > grace:
                res.eos = "segmentsink"
                break
            if now > deadline:
                break
            continue
        t = msg.type
        if t == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            res.error = (err.message, debug or "", msg.src.get_name() if msg.src else "")
            break
        if t == Gst.MessageType.EOS:
            res.eos = "pipeline"
            break
        if t == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            name = s.get_name()
            if name == "GstBinForwarded":
                inner = s.get_value("message")
                if inner.type == Gst.MessageType.EOS and inner.src is not None and \
                        inner.src.get_factory() is not None and \
                        inner.src.get_factory().get_name() == "segmentsink":
                    sink_eos = now
                continue
            if name.startswith("prune-"):
                f = fields(s)
                if keep:
                    res.msgs.append((name, f))
                if on_message:
                    on_message(name, f)
    res.seconds = time.monotonic() - t0
    pipeline.set_state(Gst.State.NULL)
    return res


def expect_eos(res, what):
    if res.error:
        fail(f"{what}: error {res.error[0]} ({res.error[1]})")
    if res.eos is None:
        fail(f"{what}: no EOS after {res.seconds:.1f} s (hang)")
    if res.eos == "segmentsink":
        fail(f"{what}: segmentsink posted EOS after {res.seconds:.1f} s but the pipeline "
             "never did (does the bin keep GST_ELEMENT_FLAG_SINK after its last internal "
             "filesink is removed? GstBin's is_eos() needs a sink)")
    else:
        print(f"ok: {what}: pipeline EOS after {res.seconds:.1f} s", flush=True)


def make_sink_pipeline(desc, **props):
    """Parses @desc (with a segmentsink named 'sink') and sets its
    properties (any characters in locations)."""
    p = Gst.parse_launch(desc)
    sink = p.get_by_name("sink")
    for k, v in props.items():
        sink.set_property(k.replace("_", "-"), v)
    return p, sink


# ---------------------------------------------------------------- shared checks

def check_list_files(listpath, fps, what, count_tolerance=0):
    """Every listed file exists, starts on a keyframe, decodes cleanly, has
    round(duration * fps) frames and video DTS that step by about one frame.
    Returns the entries, each with its 'frames'."""
    entries, next_index = parse_ffconcat(listpath)
    check(len(entries) > 0, f"{what}: list parses, {len(entries)} entries, next-index {next_index}")
    bad_key, bad_count, bad_decode, bad_dts = [], [], [], []
    for e in entries:
        if not os.path.exists(e["file"]):
            fail(f"{what}: listed file {e['file']} does not exist")
        key, ptype = first_frame(e["file"])
        if not key:
            bad_key.append((os.path.basename(e["file"]), ptype))
        streams, _ = probe_streams(e["file"])
        frames = streams["video"]["frames"] if streams and "video" in streams else None
        want = round(e["duration"] * fps) if e["duration"] is not None else None
        e["frames"] = frames
        if frames is None or want is None or abs(frames - want) > count_tolerance:
            bad_count.append((os.path.basename(e["file"]), frames, e["duration"]))
        err = decode_errors(e["file"])
        if err:
            bad_decode.append((os.path.basename(e["file"]), err[:200]))
        dts = [p[3] for p in probe_packets(e["file"], "v:0")]
        steps = [b - a for a, b in zip(dts, dts[1:]) if a is not None and b is not None]
        if steps and (min(steps) <= 0 or max(steps) > 2.5 / fps):
            bad_dts.append((os.path.basename(e["file"]), round(min(steps), 4),
                            round(max(steps), 4)))
    check(not bad_key, f"{what}: every listed file starts on a keyframe", str(bad_key))
    check(not bad_decode, f"{what}: every listed file decodes without errors", str(bad_decode))
    check(not bad_dts, f"{what}: in every file the video DTS step by about one frame",
          "(file, min step, max step) " + str(bad_dts))
    tol = "" if count_tolerance == 0 else f" (+-{count_tolerance})"
    check(not bad_count, f"{what}: every file's frame count matches its duration line{tol}",
          "(file, frames, duration) " + str(bad_count))
    return entries


def check_concat(listpath, want_frames, want_seconds, tmpdir, what, fps):
    out = os.path.join(tmpdir, "concat.mp4")
    warnings = concat_copy(listpath, out)
    check("Non-monotonous" not in warnings and "non monotonically" not in warnings,
          f"{what}: ffmpeg -f concat -c copy without Non-monotonous DTS",
          warnings[:500])
    if warnings:
        print(f"note: {what}: ffmpeg warnings: {warnings[:300]}")
    streams, err = probe_streams(out)
    check(streams is not None and "video" in streams, f"{what}: concat output probes", err)
    v = streams["video"]
    check(v["frames"] == want_frames,
          f"{what}: concat has {v['frames']} frames, kept {want_frames}")
    check(v["duration"] is not None and abs(v["duration"] - want_seconds) <= 0.001,
          f"{what}: concat video duration {v['duration']} s, kept {want_seconds:.3f} s")
    err = decode_errors(listpath)
    check(not err, f"{what}: the list decodes through the concat demuxer without errors",
          err[:300])
    return out


# ---------------------------------------------------------------- (a) gate

def gate_run(ctx, d, x264, seconds=None):
    scene_args = [ctx["scene"], "--preset", "test"]
    if seconds:
        scene_args += ["--seconds", str(seconds)]
    proc = subprocess.Popen(scene_args, stdout=subprocess.PIPE)
    desc = (f"fdsrc fd={proc.stdout.fileno()} ! "
            "rawvideoparse format=i420 width=640 height=360 framerate=10/1 ! "
            f"staticgate name=gate ! x264enc name=enc {x264} ! h264parse name=parse ! "
            "segmentsink name=sink split-on-gate=true")
    p, sink = make_sink_pipeline(desc, location=f"{d}/seg%03d.mp4",
                                 playlist_location=f"{d}/list.ffconcat",
                                 index_location=f"{d}/index.json")
    kept = [0]

    def count(pad, info):
        kept[0] += 1
        return Gst.PadProbeReturn.OK

    p.get_by_name("enc").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, count)
    # what reaches the sink: for each prune-segment-start, how many frames
    # came before the first keyframe (the encoder's answer to the gate's
    # force-key-unit) and that keyframe's running time
    segs = []
    late = []  # running times of frames that reached the sink after their segment ended
    last_end = [None]

    def watch(pad, info):
        if info.type & Gst.PadProbeType.BUFFER:
            buf = info.get_buffer()
            seg = pad.get_sticky_event(Gst.EventType.SEGMENT, 0).parse_segment()
            rt = seg.to_running_time(Gst.Format.TIME, buf.pts)
            if last_end[0] is not None and rt < last_end[0]:
                late.append(rt)
            elif segs and segs[-1]["key"] is None:
                if buf.get_flags() & Gst.BufferFlags.DELTA_UNIT:
                    segs[-1]["before_key"] += 1
                else:
                    segs[-1]["key"] = rt
        else:
            ev = info.get_event()
            st = ev.get_structure()
            custom = ev.type == Gst.EventType.CUSTOM_DOWNSTREAM
            if custom and st.get_name() == "prune-segment-start":
                segs.append({"open": st.get_uint64("running-time")[1], "before_key": 0,
                             "key": None})
            elif custom and st.get_name() == "prune-segment-end" and segs:
                last_end[0] = st.get_uint64("running-time")[1]
        return Gst.PadProbeReturn.OK

    p.get_by_name("parse").get_static_pad("src").add_probe(
        Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM, watch)
    gate_msgs = []
    bus = p.get_bus()
    bus.enable_sync_message_emission()

    def on_sync(bus, msg):
        if msg.get_structure().get_name() == "prune-gate":
            gate_msgs.append(fields(msg.get_structure()))

    handler = bus.connect("sync-message::element", on_sync)
    gate = p.get_by_name("gate")
    res = run_pipeline(p, timeout=240)
    passed = gate.get_property("stats").get_uint64("frames-passed")[1]
    bus.disconnect(handler)
    bus.disable_sync_message_emission()
    proc.stdout.close()
    proc.wait()
    return res, kept[0], passed, gate_msgs, segs, late


def scenario_gate(ctx):
    # the test preset's people walk at about 7-16, 24-29 and 39-54 s
    for label, x264, seconds in (
            ("gate", "key-int-max=30 speed-preset=ultrafast", None),
            ("gate, B-frames", "key-int-max=30 speed-preset=superfast bframes=2", 32)):
        d = os.path.join(ctx["tmp"], label.replace(", ", "-").replace(" ", ""))
        os.makedirs(d)
        res, kept, passed, gate_msgs, segs, late = gate_run(ctx, d, x264, seconds)
        expect_eos(res, label)
        check(kept == passed and kept > 0,
              f"{label}: staticgate passed {passed} frames, {kept} reached the encoder")
        opens = [g for g in gate_msgs if g["state"] == "open"]
        closes = [g for g in gate_msgs if g["state"] == "closed"]
        listpath = os.path.join(d, "list.ffconcat")
        entries = check_list_files(listpath, 10, label)
        check(len(entries) == len(opens) == len(closes) == len(segs),
              f"{label}: one file per kept segment ({len(entries)} files, "
              f"{len(opens)} gate openings)")
        late = [(round(s["open"] / SEC, 3), round(s["key"] / SEC, 3), s["before_key"])
                for s in segs if s["before_key"]]
        if late:
            known_bug("late-keyframe", "the encoder answered the gate's force-key-unit "
                      f"late (open, keyframe, frames before it): {late}; segmentsink drops "
                      "those frames, so the files hold fewer frames than the gate passed. "
                      "Cause: GstVideoEncoder 1.22 records x264enc's first forced key "
                      "unit at running time 1000:00:00 (its min-pts offset) and ignores "
                      "the next force-key-unit event as already requested "
                      "(GST_DEBUG=videoencoder:6: 'Not requesting another key unit'); "
                      "the keyframe comes only from segmentsink's own upstream request")
        want = kept
        total = sum(e["duration"] for e in entries)
        check(abs(total - want / 10) < 1e-6 * (len(entries) + 1),
              f"{label}: the durations in the list add up to {total:.6f} s = "
              f"{want} frames, all kept")
        with open(os.path.join(d, "index.json")) as f:
            index = json.load(f)
        segments = index["segments"]
        check([os.path.abspath(os.path.join(d, s["location"])) for s in segments] == [e["file"] for e in entries],
              f"{label}: the JSON index lists the same files")
        starts = [s["start-running-time"] for s in segments]
        want_starts = [s["key"] for s in segs]
        durs = [s["duration"] for s in segments]
        want_durs = [c["running-time"] - s["key"] for s, c in zip(segs, closes)]
        check(starts == want_starts and durs == want_durs,
              f"{label}: files start at the first keyframe of each kept segment and "
              f"end at the gate's closing ({[round(x / SEC, 1) for x in starts]} s)",
              f"index {starts} {durs}, want {want_starts} {want_durs}")
        check(all(s["reason"] == "gate" for s in segments), f"{label}: split reason 'gate'")
        check_concat(listpath, want, want / 10, d, label, 10)
        if "B-frames" in label:
            pkts = probe_packets(entries[0]["file"])
            check(any(b[0] < a[0] for a, b in zip(pkts, pkts[1:])),
                  f"{label}: the stream really has B-frames (reordered PTS)")
        else:
            # plain relative names: the default -safe 1 must accept the list
            r = run(["ffmpeg", "-nostdin", "-v", "error", "-f", "concat", "-i", listpath,
                     "-c", "copy", "-f", "null", "-"])
            check(r.returncode == 0 and not r.stderr.strip(),
                  f"{label}: the list also reads with the default -safe 1", r.stderr[:300])

    # time splits on a plain stream
    d = os.path.join(ctx["tmp"], "time")
    os.makedirs(d)
    proc = subprocess.Popen([ctx["scene"], "--preset", "test", "--seconds", "20"],
                            stdout=subprocess.PIPE)
    desc = (f"fdsrc fd={proc.stdout.fileno()} ! "
            "rawvideoparse format=i420 width=640 height=360 framerate=10/1 ! "
            "x264enc key-int-max=30 speed-preset=ultrafast ! h264parse ! "
            "segmentsink name=sink max-size-time=4000000000")
    p, _ = make_sink_pipeline(desc, location=f"{d}/seg%03d.mp4",
                              playlist_location=f"{d}/list.ffconcat")
    res = run_pipeline(p, timeout=240)
    proc.stdout.close()
    proc.wait()
    expect_eos(res, "time splits")
    listpath = os.path.join(d, "list.ffconcat")
    entries = check_list_files(listpath, 10, "time splits")
    durs = [e["duration"] for e in entries]
    # the encoder is asked ahead for a keyframe at the cut's running time,
    # so the cut lands on it exactly (asked when due: one encoder latency
    # later, 4.4 s files here)
    check(all(abs(x - 4.0) < 1e-6 for x in durs[:-1]) and len(entries) >= 3,
          f"time splits: max-size-time=4s, GOP 3 s: files of {durs} s, each exactly 4 s")
    reasons = [f["reason"] for f in res.named("prune-segment-closed")]
    check(reasons[:-1] == ["max-size-time"] * (len(reasons) - 1) and reasons[-1] == "eos",
          f"time splits: split reasons {sorted(set(reasons))}")
    check(abs(sum(durs) - 20.0) < 1e-5, f"time splits: durations add up to {sum(durs):.6f} s")
    check_concat(listpath, 200, 20.0, d, "time splits", 10)


# ---------------------------------------------------------------- (b) audio

def av_run(ctx, d, max_time, mux, ext, frames=250, fps=25, size=(320, 240),
           venc="x264enc key-int-max=25 speed-preset=ultrafast ! h264parse",
           aenc="{aac} ! aacparse", pattern="smpte", timeout=120):
    """@frames of video and as long a 440 Hz tone (20 ms buffers at 48 kHz)
    through @venc and @aenc ({aac}: the AAC encoder found) into segmentsink
    in @d; the result of run_pipeline()."""
    desc = (f"videotestsrc num-buffers={frames} pattern={pattern} ! "
            f"video/x-raw,format=I420,width={size[0]},height={size[1]},"
            f"framerate={fps}/1 ! {venc} ! "
            f"segmentsink name=sink max-size-time={max_time} muxer-factory={mux} "
            f"audiotestsrc num-buffers={frames * 50 // fps} samplesperbuffer=960 "
            "wave=sine freq=440 ! audio/x-raw,rate=48000,channels=2 ! "
            f"{aenc.format(aac=ctx['aac'])} ! sink.audio_0")
    p, _ = make_sink_pipeline(desc, location=f"{d}/seg%03d.{ext}",
                              playlist_location=f"{d}/list.ffconcat")
    return run_pipeline(p, timeout=timeout)


def av_case(ctx, mux, ext, resolution):
    """10 s of 25 fps video and 48 kHz AAC, one file (reference) and split
    every 2 s; the concat must hold the same audio packets at the same
    times. @resolution: the container's timestamp step (s)."""
    label = f"a/v {mux}"
    ref = os.path.join(ctx["tmp"], f"av-ref-{mux}")
    os.makedirs(ref)
    res = av_run(ctx, ref, 0, mux, ext)
    expect_eos(res, f"{label}: reference, one file")
    ref_entries, _ = parse_ffconcat(os.path.join(ref, "list.ffconcat"))
    check(len(ref_entries) == 1, f"{label}: reference: one file listed")
    ref_file = ref_entries[0]["file"]
    ref_streams, err = probe_streams(ref_file)
    check(ref_streams and "video" in ref_streams, f"{label}: reference: one file", err)
    if "audio" not in ref_streams:
        known_bug(f"av-no-audio-{mux}", f"with {mux} the first file sometimes has no audio "
                  "track at all (only video), so the concat of the list has no audio: "
                  "a race at the first file's start (seen in about half of the runs)")
        return
    check(True, f"{label}: reference: the file has audio and video")
    ref_apkts = probe_packets(ref_file, "a")
    print(f"{label}: reference: {len(ref_apkts)} AAC packets from "
          f"{ref_apkts[0][0]:.6f} s")

    d = os.path.join(ctx["tmp"], f"av-{mux}")
    os.makedirs(d)
    res = av_run(ctx, d, 2 * SEC, mux, ext)
    expect_eos(res, f"{label}, max-size-time=2s")
    listpath = os.path.join(d, "list.ffconcat")
    entries = check_list_files(listpath, 25, label)
    check(len(entries) >= 4, f"{label}: {len(entries)} files for 10 s at 2 s each")
    out = os.path.join(d, "concat.mp4")
    warnings = concat_copy(listpath, out)
    check("Non-monotonous" not in warnings,
          f"{label}: ffmpeg -f concat -c copy without Non-monotonous DTS (audio or video)",
          warnings[:500])
    streams, err = probe_streams(out)
    check(streams["video"]["frames"] == 250 and abs(streams["video"]["duration"] - 10.0) <= 0.001,
          f"{label}: concat video {streams['video']['frames']} frames, "
          f"{streams['video']['duration']} s")
    first, _ = probe_streams(entries[0]["file"])
    if "audio" not in first:
        known_bug(f"av-no-audio-{mux}", f"with {mux} the first file sometimes has no audio "
                  "track at all (only video), so the concat of the list has no audio: "
                  "a race at the first file's start (seen in about half of the runs)")
        return
    apkts = probe_packets(listpath, "a")
    if len(apkts) != len(ref_apkts):
        counts = []
        for e in entries:
            counts.append(len(probe_packets(e["file"], "a")))
        known_bug(f"av-packets-{mux}", f"with {mux} the concat has {len(apkts)} AAC packets, "
                  f"the same stream in one file {len(ref_apkts)}: per file {counts}; the "
                  "first file gets 93 or 94 packets from run to run (the packet before "
                  "the first video frame is kept or dropped depending on thread timing)")
    else:
        check(True, f"{label}: concat has the {len(apkts)} AAC packets of the one-file "
              "reference")
    # audio against the one-file reference, packet by packet, in the concat
    # demuxer's timeline: the cut must not move the audio (a container may
    # shorten the last packet of a file to the file's end with an edit list,
    # so packet durations say nothing; the start times do)
    if len(apkts) != len(ref_apkts):
        return
    bounds, t = [], 0.0
    for e in entries[:-1]:
        t += e["duration"]
        bounds.append(t)
    err = [c[0] - r[0] for c, r in zip(apkts, ref_apkts)]
    steps = []
    for b in bounds:
        i = next((i for i, c in enumerate(apkts) if c[0] >= b - 1e-6), len(apkts) - 1)
        steps.append(err[i] - err[i - 1] if i > 0 else err[i])
    worst = max(err, key=abs)
    text = ", ".join(f"{1000 * x:+.3f}" for x in steps)
    line = (f"{label}: audio moved against the video by {text} ms at the {len(bounds)} "
            f"boundaries; every packet within {1000 * abs(worst):.3f} ms of the reference")
    tol = 0.001 + resolution
    if all(abs(x) < tol for x in steps) and abs(worst) < tol:
        check(True, line + f" (< {1000 * tol:g} ms)")
    elif all(abs(x) < 0.0214 + resolution for x in steps):
        print("note: " + line)
        known_bug(f"av-drift-{mux}", f"with {mux} the audio of every new file starts at the "
                  "file's start instead of (first audio running time - video cut): the "
                  "AAC frame that crossed the cut moves the next file's audio by up to "
                  f"21 ms: {text} ms at the boundaries (target < 1 ms)")
    else:
        fail(line)


def scenario_audio(ctx):
    av_case(ctx, "mp4mux", "mp4", 0.0)
    av_case(ctx, "matroskamux", "mkv", 0.001)


# ---------------------------------------------------------------- (c) crash

class CrashFailure(Exception):
    pass


def crash_check(d, run_no, moment):
    """Checks one killed run's directory; returns (line, stats) or raises
    CrashFailure."""
    def bad(msg):
        raise CrashFailure(f"crash run {run_no} (killed at {moment:.2f} s): {msg}")

    st = {"listed": 0, "empty": 0, "frames": [], "unreadable": []}
    listpath = os.path.join(d, "list.ffconcat")
    names = os.listdir(d)
    files = sorted(f for f in names if f.endswith(".mp4"))
    others = sorted(f for f in names if not f.endswith(".mp4") and
                    f not in ("list.ffconcat", "gst-launch.log"))
    listed = []
    if os.path.exists(listpath):
        entries, _ = parse_ffconcat(listpath)
        listed = [os.path.basename(e["file"]) for e in entries]
        if entries:
            r = run(["ffmpeg", "-nostdin", "-v", "error", *concat_args(listpath), "-c", "copy",
                     "-f", "null", "-"])
            if r.returncode != 0 or r.stderr.strip():
                bad(f"the list does not parse: {r.stderr.strip()[:300]}")
        for e in entries:
            name = os.path.basename(e["file"])
            if not os.path.exists(e["file"]):
                bad(f"listed {name} is missing")
            err = decode_errors(e["file"])
            if err:
                bad(f"listed {name} does not decode cleanly: {err[:300]}")
            streams, _ = probe_streams(e["file"])
            frames = streams["video"]["frames"] if streams and "video" in streams else None
            want = e["duration"] * 30 if e["duration"] is not None else None
            if frames is None or want is None or abs(frames - want) > 1:
                bad(f"listed {name}: {frames} frames, duration line {e['duration']} s = "
                    f"{want} frames")
            st["listed"] += 1
    elif len(files) > 2:
        bad(f"no list but {len(files)} files")
    unlisted = [f for f in files if f not in listed]
    if listed and unlisted and min(map(file_index, unlisted)) < max(map(file_index, listed)):
        bad(f"unlisted {unlisted} older than the listed {listed[-1]}")
    if len(unlisted) > 2:
        bad(f"{len(unlisted)} unlisted files {unlisted}")
    notes = []
    for f in unlisted:
        path = os.path.join(d, f)
        size = os.path.getsize(path)
        if size == 0:
            notes.append(f"{f} empty")
            st["empty"] += 1
            continue
        streams, err = probe_streams(path)
        if streams is None and not ({"moov", "moof"} & set(top_boxes(path))):
            # killed before the muxer finished the file's first fragment:
            # nothing of it was written to be read yet
            notes.append(f"{f} {size} B, no fragment yet")
            st["empty"] += 1
            continue
        if streams is None:
            notes.append(f"{f} {size} B unreadable")
            st["unreadable"].append((run_no, f, size, err[-200:]))
            continue
        frames = streams.get("video", {}).get("frames") or 0
        notes.append(f"{f} {size} B: {frames} frames")
        st["frames"].append(frames)
    stray = [o for o in others if not o.startswith(".list.ffconcat.tmp")]
    if stray:
        bad(f"unexpected files {stray}")
    if others:
        notes.append(f"temp file {others}")
    line = (f"crash run {run_no:2d}: killed at {moment:.2f} s: {len(listed)} listed files "
            f"decode fully; open: {'; '.join(notes) or 'none'}")
    return line, st


def top_boxes(path):
    """The types of an MP4 file's top-level boxes, as far as they are whole."""
    types = []
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        pos = 0
        while pos + 8 <= size:
            f.seek(pos)
            head = f.read(16)
            n = int.from_bytes(head[0:4], "big")
            kind = head[4:8].decode("latin-1")
            if n == 1 and len(head) == 16:
                n = int.from_bytes(head[8:16], "big")
            elif n == 0:
                n = size - pos
            if n < 8 or pos + n > size:
                break
            types.append(kind)
            pos += n
    return types


def crash_one(ctx, run_no, moment):
    d = os.path.join(ctx["tmp"], f"crash{run_no:02d}")
    os.makedirs(d)
    cmd = ["gst-launch-1.0", "-q",
           "videotestsrc", "is-live=true", "!",
           "video/x-raw,format=I420,width=320,height=240,framerate=30/1", "!",
           "x264enc", "tune=zerolatency", "key-int-max=10", "speed-preset=ultrafast", "!",
           "h264parse", "!",
           # 1.5 s files, 0.5 s fragments: kills land before a file's
           # first fragment and after it
           "segmentsink", "max-size-time=1500000000", f"location={d}/seg%05d.mp4",
           f"playlist-location={d}/list.ffconcat"]
    env = dict(os.environ)
    env.pop("GST_TRACERS", None)  # killed anyway: no leak report
    logpath = os.path.join(d, "gst-launch.log")
    with open(logpath, "w") as log:
        child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        # the moment counts from the first file on disk (after startup)
        t0 = time.monotonic()
        while not any(f.endswith(".mp4") for f in os.listdir(d)):
            if child.poll() is not None or time.monotonic() - t0 > 30:
                break
            time.sleep(0.01)
        time.sleep(moment)
        try:
            os.kill(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        status = child.wait()
    if status != -signal.SIGKILL:
        with open(logpath) as f:
            text = f.read()
        raise CrashFailure(f"crash run {run_no}: gst-launch-1.0 ended by itself with status "
                           f"{status} before the kill at {moment:.2f} s: {text[-1500:]}")
    return crash_check(d, run_no, moment)


def scenario_crash(ctx):
    from concurrent.futures import ThreadPoolExecutor
    seed = int(os.environ.get("PRUNE_TEST_SEED", time.time_ns() % 1000000))
    rng = random.Random(seed)
    moments = [rng.uniform(0.3, 4.0) for _ in range(20)]
    print(f"crash: seed {seed} (PRUNE_TEST_SEED={seed} repeats these moments)")
    # three runs at a time (a live 320x240 stream needs little CPU)
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(crash_one, ctx, i, m) for i, m in enumerate(moments)]
        results = []
        for fut in futures:
            try:
                line, st = fut.result()
            except CrashFailure as e:
                for other in futures:
                    other.cancel()
                fail(str(e))
            print(f"ok: {line}", flush=True)
            results.append(st)
    listed = sum(r["listed"] for r in results)
    frames = [f for r in results for f in r["frames"]]
    empty = sum(r["empty"] for r in results)
    unreadable = [u for r in results for u in r["unreadable"]]
    print(f"crash: 20 kills, {listed} listed files all complete; open files: "
          f"{len(frames)} readable ({min(frames) if frames else 0}.."
          f"{max(frames) if frames else 0} frames), {empty} empty (no fragment yet), "
          f"{len(unreadable)} unreadable")
    check(frames and min(frames) > 0,
          f"crash: {len(frames)} open files killed after their first fragment decode "
          "up to it", f"frames {frames}")
    if unreadable:
        known_bug("crash-open-file", "after kill -9 an open segment file is not readable "
                  f"by ffprobe: {unreadable[:3]}")


# ---------------------------------------------------------------- (d) retention

def retention_run(d, seconds, index=True, **props):
    desc = (f"videotestsrc is-live=false num-buffers={30 * seconds} ! "
            "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
            "x264enc key-int-max=15 speed-preset=ultrafast ! h264parse ! "
            "segmentsink name=sink max-size-time=1000000000")
    if index:
        props["index_location"] = f"{d}/index.json"
    p, _ = make_sink_pipeline(desc, location=f"{d}/seg%05d.mp4",
                              playlist_location=f"{d}/list.ffconcat", **props)
    return run_pipeline(p, timeout=120)


def check_deleted(res, d, what, reason):
    closed = res.named("prune-segment-closed")
    deleted = res.named("prune-segment-deleted")
    idx = [c["index"] for c in closed]
    check(idx == sorted(set(idx)), f"{what}: indices strictly increase {idx}")
    by_index = {c["index"]: c for c in closed}
    bad = [x for x in deleted if x["index"] not in by_index or
           x["location"] != by_index[x["index"]]["location"] or x["reason"] != reason or
           x["bytes"] != by_index[x["index"]]["bytes"]]
    check(deleted and not bad,
          f"{what}: {len(deleted)} prune-segment-deleted messages, locations, bytes and "
          f"reason '{reason}' right", str(bad))
    order = [x["index"] for x in deleted]
    check(order == idx[:len(order)], f"{what}: oldest deleted first {order}")
    left = [x["location"] for x in deleted if os.path.exists(x["location"])]
    check(not left, f"{what}: deleted files are gone", str(left))
    return closed, deleted


def scenario_retention(ctx):
    d = os.path.join(ctx["tmp"], "max-files")
    os.makedirs(d)
    res = retention_run(d, 10, max_files=3)
    expect_eos(res, "max-files=3")
    closed, deleted = check_deleted(res, d, "max-files=3", "max-files")
    listpath = os.path.join(d, "list.ffconcat")
    entries = check_list_files(listpath, 30, "max-files=3")
    check(len(closed) >= 9 and [e["file"] for e in entries] ==
          [c["location"] for c in closed[-3:]],
          f"max-files=3: {len(closed)} files written, the list holds the newest 3")
    on_disk = sorted(f for f in os.listdir(d) if f.endswith(".mp4"))
    check(on_disk == sorted(os.path.basename(e["file"]) for e in entries),
          f"max-files=3: only the listed files remain on disk {on_disk}")
    mean_bytes = sum(c["bytes"] for c in closed) / len(closed)

    d2 = os.path.join(ctx["tmp"], "max-total-bytes")
    os.makedirs(d2)
    limit = int(2.5 * mean_bytes)
    res = retention_run(d2, 10, index=False, max_total_bytes=limit)
    expect_eos(res, f"max-total-bytes={limit}")
    closed2, _ = check_deleted(res, d2, f"max-total-bytes={limit}", "max-total-bytes")
    entries2, _ = parse_ffconcat(os.path.join(d2, "list.ffconcat"))
    total = sum(os.path.getsize(e["file"]) for e in entries2)
    check(total <= limit or len(entries2) == 1,
          f"max-total-bytes={limit}: {len(entries2)} files of {total} bytes listed")
    on_disk = sorted(f for f in os.listdir(d2) if f.endswith(".mp4"))
    check(on_disk == sorted(os.path.basename(e["file"]) for e in entries2),
          "max-total-bytes: only the listed files remain on disk")

    # resume: the same list again, without retention
    for what, dd, index, old in (("resume (JSON index)", d, True, entries),
                                 ("resume (list only)", d2, False, entries2)):
        before = {e["file"]: e["duration"] for e in old}
        res = retention_run(dd, 5, index=index)
        expect_eos(res, what)
        new = res.named("prune-segment-closed")
        last_old = max(file_index(f) for f in before)
        check(new and new[0]["index"] == last_old + 1,
              f"{what}: numbering continues at {new[0]['index'] if new else None} "
              f"after {last_old}")
        entries3 = check_list_files(os.path.join(dd, "list.ffconcat"), 30, what)
        files3 = [e["file"] for e in entries3]
        check(files3 == list(before) + [c["location"] for c in new],
              f"{what}: list = {len(before)} kept entries + {len(new)} appended")
        check(all(e["duration"] == before[e["file"]] for e in entries3[:len(before)]),
              f"{what}: the kept entries are unchanged")


# ---------------------------------------------------------------- (e) errors

def scenario_errors(ctx):
    d = os.path.join(ctx["tmp"], "disk-full")
    os.makedirs(d)
    limit = 400 * 1024
    desc = ("videotestsrc name=src is-live=false num-buffers=300 pattern=smpte ! "
            "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
            "x264enc key-int-max=30 speed-preset=ultrafast pass=quant quantizer=18 ! "
            "h264parse ! "
            f"segmentsink max-size-time=1000000000 location={d}/seg%05d.mp4 "
            f"playlist-location={d}/list.ffconcat index-location={d}/index.json")
    # static test card for 3.2 s (small files), then snow: the 4th file grows
    # past RLIMIT_FSIZE
    r = run([sys.executable, CHILD, "--fsize", str(limit), "--set-after", "96", "src",
             "pattern", "snow", "--timeout", "60", desc])
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    errors = [x for x in lines if "error" in x]
    closed = [x for x in lines if x.get("message") == "prune-segment-closed"]
    check(r.returncode == 1 and errors,
          f"disk full (RLIMIT_FSIZE {limit} B): the pipeline stops with an error",
          f"exit {r.returncode}, {r.stdout[-500:]} {r.stderr[-500:]}")
    text = errors[0]["error"] + " " + errors[0]["debug"]
    print(f"disk full: error: {errors[0]['error']} ({errors[0]['debug'].splitlines()[-1][:200]})")
    check("seg00003.mp4" in text and errors[0]["src"] == "segmentsink0",
          "disk full: the error comes from segmentsink and names the segment being written")
    listpath = os.path.join(d, "list.ffconcat")
    entries, _ = parse_ffconcat(listpath)
    names = [os.path.basename(e["file"]) for e in entries]
    if "seg00003.mp4" in names:
        size = os.path.getsize(os.path.join(d, "seg00003.mp4"))
        err = decode_errors(os.path.join(d, "seg00003.mp4"))
        reason = [c.get("reason") for c in closed if c["index"] == 3]
        known_bug("disk-full-listed", "after the write error the truncated file is listed "
                  f"anyway (seg00003.mp4, {size} B, cut at RLIMIT_FSIZE, closed reason "
                  f"{reason}, ffmpeg: {err.splitlines()[0] if err else 'no error'}): on the "
                  "error, stop() pushes EOS into the failed muxer and finish_file() lists "
                  "whatever is on disk")
        # the rest must still be intact: check a list without it
        trimmed = os.path.join(d, "complete.ffconcat")
        with open(listpath) as f:
            text = f.read()
        with open(trimmed, "w") as f:
            f.write(re.sub(r"file 'seg00003\.mp4'\n(duration [0-9.]+\n)?", "", text))
        listpath = trimmed
    entries = check_list_files(listpath, 30, "disk full")
    names = [os.path.basename(e["file"]) for e in entries]
    check(names == ["seg00000.mp4", "seg00001.mp4", "seg00002.mp4"],
          f"disk full: the 3 files finished before the failure are listed and intact {names}")
    check([c["index"] for c in closed][:3] == [0, 1, 2],
          "disk full: the earlier files got their closed messages, in order",
          f"closed {[c['index'] for c in closed]}")

    # unwritable places: the state change to PAUSED fails, naming the path
    reg = os.path.join(ctx["tmp"], "regular-file")
    with open(reg, "w") as f:
        f.write("x")
    cases = [
        ("missing directory", {"location": f"{ctx['tmp']}/no/such/dir/seg%05d.mp4"},
         f"{ctx['tmp']}/no/such/dir"),
        ("/proc", {"location": "/proc/seg%05d.mp4"}, "/proc"),
        ("under a regular file", {"location": f"{reg}/seg%05d.mp4"}, reg),
        ("list in /proc", {"location": f"{ctx['tmp']}/ok%05d.mp4",
                           "playlist_location": "/proc/list.ffconcat"}, "/proc"),
    ]
    for what, props, path in cases:
        props.setdefault("playlist_location", f"{ctx['tmp']}/unwritable.ffconcat")
        p, sink = make_sink_pipeline(
            "videotestsrc num-buffers=10 ! x264enc ! h264parse ! segmentsink name=sink", **props)
        ret = p.set_state(Gst.State.PAUSED)
        msg = p.get_bus().pop_filtered(Gst.MessageType.ERROR)
        p.set_state(Gst.State.NULL)
        check(ret == Gst.StateChangeReturn.FAILURE and msg is not None,
              f"unwritable ({what}): going to PAUSED fails with an error")
        err, debug = msg.parse_error()
        check(path in err.message and re.search(r":\s*\S", err.message),
              f"unwritable ({what}): '{err.message}' names the path and why", debug)
    check(not os.path.exists(f"{ctx['tmp']}/unwritable.ffconcat"),
          "unwritable: no list written")


# ---------------------------------------------------------------- (3) mark mode

def scenario_mark(ctx):
    """staticgate in mark mode (every frame reaches the encoder, events mark
    the kept segments) into segmentsink split-on-gate with pre-roll=2s: each
    file starts at the newest keyframe at or before (gate start - 2 s), with
    its audio from there too; nothing between segments is written."""
    d = os.path.join(ctx["tmp"], "mark")
    os.makedirs(d)
    seconds = 32
    proc = subprocess.Popen([ctx["scene"], "--preset", "test", "--seconds", str(seconds)],
                            stdout=subprocess.PIPE)
    desc = (f"fdsrc fd={proc.stdout.fileno()} ! "
            "rawvideoparse format=i420 width=640 height=360 framerate=10/1 ! "
            "staticgate name=gate mode=mark ! "
            "x264enc key-int-max=10 speed-preset=ultrafast ! h264parse name=parse ! "
            "segmentsink name=sink split-on-gate=true pre-roll=2000000000 "
            f"audiotestsrc num-buffers={seconds * 48000 // 1024} samplesperbuffer=1024 ! "
            f"audio/x-raw,rate=48000,channels=2 ! {ctx['aac']} ! aacparse ! sink.audio_0")
    p, _ = make_sink_pipeline(desc, location=f"{d}/seg%03d.mp4",
                              playlist_location=f"{d}/list.ffconcat",
                              index_location=f"{d}/index.json")
    starts, keys = [], []

    def watch(pad, info):
        if info.type & Gst.PadProbeType.BUFFER:
            buf = info.get_buffer()
            if not buf.get_flags() & Gst.BufferFlags.DELTA_UNIT:
                seg = pad.get_sticky_event(Gst.EventType.SEGMENT, 0).parse_segment()
                keys.append(seg.to_running_time(Gst.Format.TIME, buf.pts))
        else:
            st = info.get_event().get_structure()
            if st is not None and st.get_name() == "prune-segment-start":
                starts.append(st.get_uint64("running-time")[1])
        return Gst.PadProbeReturn.OK

    p.get_by_name("parse").get_static_pad("src").add_probe(
        Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM, watch)
    res = run_pipeline(p, timeout=240)
    proc.stdout.close()
    proc.wait()
    expect_eos(res, "mark")
    entries = check_list_files(os.path.join(d, "list.ffconcat"), 10, "mark")
    with open(os.path.join(d, "index.json")) as f:
        segments = json.load(f)["segments"]
    check(len(entries) == len(starts) == len(segments) >= 2,
          f"mark: one file per kept segment ({len(entries)} files, {len(starts)} starts)")
    prev_end = 0
    for e, s, g in zip(entries, segments, starts):
        name = os.path.basename(e["file"])
        begin = s["start-running-time"]
        # the newest keyframe at or before g - 2 s, unless the previous file
        # still covered that time: then the first keyframe after it
        cands = [k for k in keys if k <= g - 2 * SEC and k >= prev_end]
        want = max(cands) if cands else min(k for k in keys if k >= prev_end)
        check(begin == want and begin < g,
              f"mark: {name} starts {(g - begin) / SEC:.1f} s before its gate start "
              f"{g / SEC:.1f} s, at the keyframe {want / SEC:.1f} s",
              f"starts at {begin / SEC:.3f} s")
        streams, _ = probe_streams(e["file"])
        check(streams and "audio" in streams and
              0 <= streams["audio"]["start"] - streams["video"]["start"] < 0.0214,
              f"mark: {name} has its audio from its first frame (pre-rolled audio too)",
              f"{streams}")
        prev_end = begin + s["duration"]
    check_concat(os.path.join(d, "list.ffconcat"), sum(e["frames"] for e in entries),
                 sum(e["duration"] for e in entries), d, "mark", 10)


# ---------------------------------------------------------------- stop

def scenario_stop(ctx):
    """A live a/v pipeline stopped without EOS (set_state NULL while
    PLAYING): the open file is finished and listed like the others."""
    d = os.path.join(ctx["tmp"], "stop")
    os.makedirs(d)
    desc = ("videotestsrc is-live=true ! "
            "video/x-raw,format=I420,width=320,height=240,framerate=25/1 ! "
            "x264enc tune=zerolatency key-int-max=25 speed-preset=ultrafast ! h264parse ! "
            f"segmentsink name=sink max-size-time=1000000000 location={d}/seg%05d.mp4 "
            f"playlist-location={d}/list.ffconcat "
            "audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! "
            f"{ctx['aac']} ! aacparse ! sink.audio_0")
    try:
        r = run([sys.executable, CHILD, "--stop-after", "2.5", "--timeout", "60", desc],
                timeout=90)
    except subprocess.TimeoutExpired:
        fail("stop: set_state(NULL) on a PLAYING pipeline hangs (child killed after 90 s)")
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    stopped = [x["stopped"] for x in lines if "stopped" in x]
    check(r.returncode == 0 and stopped, "stop: the PLAYING pipeline went to NULL",
          f"exit {r.returncode}: {r.stdout[-500:]} {r.stderr[-500:]}")
    print(f"stop: going to READY took {stopped[0]:.2f} s")
    opened = [x["index"] for x in lines if x.get("message") == "prune-segment-opened"]
    closed = [x for x in lines if x.get("message") == "prune-segment-closed"]
    check(opened and [c["index"] for c in closed] == opened,
          f"stop: every opened file was closed, the open one with reason "
          f"'{closed[-1]['reason'] if closed else None}'", f"opened {opened}, closed {closed}")
    check(closed[-1]["reason"] == "stop", "stop: the last file's split reason is 'stop'")
    entries = check_list_files(os.path.join(d, "list.ffconcat"), 25, "stop",
                               count_tolerance=1)
    check(len(entries) == len(opened), f"stop: all {len(opened)} files listed")
    for e in entries:
        streams, _ = probe_streams(e["file"])
        check(streams and "audio" in streams,
              f"stop: {os.path.basename(e['file'])} has its audio")


# ---------------------------------------------------------------- launch

def scenario_launch(ctx):
    """gst-launch-1.0, as a user runs it, on an a/v file through decodebin
    into segmentsink: every run ends by itself. Before the sink prerolled
    (async), 3 runs in 10 hung after the last file was finished: the
    pipeline never posted the EOS of its sink (GstBin 1.22 records after
    posting that the pipeline is not PLAYING, and gst-launch sets PLAYING
    as soon as it reads that post; splitmuxsink hangs so too)."""
    d = os.path.join(ctx["tmp"], "launch")
    os.makedirs(d)
    src = os.path.join(d, "in.mp4")
    r = run(["ffmpeg", "-loglevel", "error", "-y",
             "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=4",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=4",
             "-c:v", "libx264", "-g", "25", "-c:a", "aac", "-shortest", src])
    check(r.returncode == 0, "launch: the a/v input is made", r.stderr[-500:])
    runs, hung = 30, []
    for i in range(runs):
        out = os.path.join(d, f"run{i:02d}")
        os.makedirs(out)
        cmd = ["gst-launch-1.0", "-q", "-e",
               "filesrc", f"location={src}", "!", "decodebin", "name=d",
               "d.", "!", "queue", "!", "videoconvert", "!",
               "x264enc", "tune=zerolatency", "speed-preset=ultrafast",
               "key-int-max=25", "!", "h264parse", "!", "sink.video",
               "d.", "!", "queue", "!", "audioconvert", "!", ctx["aac"], "!",
               "aacparse", "!", "sink.audio_0",
               "segmentsink", "name=sink", "max-size-time=2000000000",
               f"location={out}/seg%05d.mp4",
               f"playlist-location={out}/list.ffconcat"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=30)
            ok = p.returncode == 0
            if not ok:
                hung.append(f"run {i}: exit {p.returncode}: {p.stderr[-300:]}")
        except subprocess.TimeoutExpired:
            ok = False
            hung.append(f"run {i}: still running after 30 s")
        if ok:
            entries = parse_ffconcat(os.path.join(out, "list.ffconcat"))[0]
            if len(entries) != 2:
                hung.append(f"run {i}: {len(entries)} files listed, not 2")
    check(not hung, f"launch: all {runs} gst-launch-1.0 runs ended by "
          "themselves, 2 files listed each", "; ".join(hung))


def scenario_beatcut(ctx):
    if Gst.ElementFactory.find("beatdetect") is None:
        print("beatcut: skipped (this build has no beatdetect)")
        return
    d = os.path.join(ctx["tmp"], "beatcut")
    os.makedirs(d)
    src = os.path.join(d, "in.mp4")
    # 14 s at 10 fps, a tick a second (S16: in float the 1.22 generator
    # leaves one sample of some ticks unset, which can send avenc_aac into
    # an endless loop)
    r = launch(["-q", "-e",
                "videotestsrc", "pattern=ball", "num-buffers=140", "!",
                "video/x-raw,width=320,height=180,framerate=10/1", "!",
                "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "!",
                "h264parse", "!", "mp4mux", "name=m", "!", "filesink",
                f"location={src}",
                "audiotestsrc", "wave=ticks", "num-buffers=603",
                "samplesperbuffer=1024", "!",
                "audio/x-raw,format=S16LE,rate=44100,channels=1", "!",
                "audioconvert", "!", ctx["aac"], "!", "aacparse", "!", "m."],
               timeout=120)
    check(r.returncode == 0, "beatcut: the input is made", r.stderr[-500:])
    out = os.path.join(d, "out")
    os.makedirs(out)
    beats_path = os.path.join(out, "beats.txt")
    listpath = os.path.join(out, "list.ffconcat")
    r = launch(["-q", "-e",
                "filesrc", f"location={src}", "!", "decodebin", "name=d",
                "d.", "!", "queue", "min-threshold-time=500000000", "!",
                "videoconvert", "!",
                "x264enc", "tune=zerolatency", "key-int-max=5", "!",
                "h264parse", "!", "sink.video",
                "d.", "!", "queue", "!", "audioconvert", "!", "beatdetect",
                f"beats-location={beats_path}", "!", "queue", "!", ctx["aac"],
                "!", "aacparse", "!", "sink.audio_0",
                "segmentsink", "name=sink", "split-on-beats=2",
                f"location={out}/beat%05d.mp4", f"playlist-location={listpath}"],
               timeout=120)
    check(r.returncode == 0, "beatcut: gst-launch-1.0 ends with 0",
          r.stderr[-500:])
    with open(beats_path) as f:
        beats = [float(line) for line in f if line.strip()]
    check(len(beats) >= 6, f"beatcut: {len(beats)} beats in 14 s of one "
          "tick a second")
    entries = parse_ffconcat(listpath)[0]
    # the last file ends with the input
    cuts = list(itertools.accumulate(e["duration"] for e in entries))[:-1]
    check(len(cuts) >= 3, f"beatcut: {len(entries)} files, "
          f"{len(cuts)} cut on beats")
    tol = BEAT_CUT_TOLERANCE
    # each cut after the beat it was made for (the latest one up to it)
    lags = [c - max((b for b in beats if b <= c + tol), default=0.0)
            for c in cuts]
    off = [f"{c:.3f} s ({lag:+.3f} s)" for c, lag in zip(cuts, lags)
           if abs(lag) > tol]
    # Nothing in a gst-launch pipeline makes the video wait for the
    # analysis (gst-prune's video does): the queue's threshold gives the
    # audio a 0.5 s start, but on a loaded machine (CI, tests beside it;
    # under AddressSanitizer) a cut may still come late: one of four
    # 0.511 s, once 0.711 s. Without the copies out of band, or without
    # the queue after beatdetect, every cut is late; so at least half of
    # them must be on their frame, and none early.
    check(2 * len(off) <= len(cuts) and all(lag >= -tol for lag in lags),
          f"beatcut: {len(cuts) - len(off)} of the {len(cuts)} cuts on the "
          "frame nearest to their beat, at least half",
          f"cuts away from their beats: {off}; "
          f"beats {[round(b, 3) for b in beats]}")
    if off:
        print(f"note: beatcut: cuts late: {off}", flush=True)


# ---------------------------------------------------------------- (f) names

def scenario_names(ctx):
    for what, sub, listname in (("same directory", "names", "list.ffconcat"),
                                ("list in the parent directory", "names2/sub dir 'x'",
                                 "../list.ffconcat"),
                                ("list elsewhere: absolute paths", "names3/a",
                                 "../b 'y'/list.ffconcat")):
        d = os.path.join(ctx["tmp"], sub)
        os.makedirs(d)
        location = os.path.join(d, "my seg 'q' é \"dq\" back\\slash %03d.mp4")
        listpath = os.path.normpath(os.path.join(d, listname))
        os.makedirs(os.path.dirname(listpath), exist_ok=True)
        desc = ("videotestsrc num-buffers=90 ! "
                "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
                "x264enc key-int-max=15 speed-preset=ultrafast ! h264parse ! "
                "segmentsink name=sink max-size-time=1000000000")
        p, _ = make_sink_pipeline(desc, location=location, playlist_location=listpath)
        res = run_pipeline(p, timeout=60)
        expect_eos(res, f"names ({what})")
        entries = check_list_files(listpath, 30, f"names ({what})")
        check(all(os.path.basename(e["file"]).startswith("my seg 'q' é \"dq\" back\\slash ")
                  for e in entries) and len(entries) == 3,
              f"names ({what}): {len(entries)} files named like "
              f"{os.path.relpath(entries[0]['file'], os.path.dirname(listpath))!r}")
        check_concat(listpath, 90, 3.0, os.path.dirname(listpath), f"names ({what})", 30)


# ---------------------------------------------------------------- (g) many

def many_run(d, n, paced):
    """n one-frame segments (64x48, every frame a keyframe, max-files=50).
    @paced: a probe holds each frame until all files but the newest are
    closed (no backlog of unfinished files; files finish in order)."""
    desc = (f"videotestsrc is-live=false num-buffers={n} ! "
            "video/x-raw,format=I420,width=64,height=48,framerate=100/1 ! "
            "x264enc key-int-max=1 speed-preset=ultrafast tune=zerolatency ! "
            "h264parse name=parse ! "
            "segmentsink name=sink max-size-time=10000000 max-files=50")
    p, _ = make_sink_pipeline(desc, location=f"{d}/seg%06d.mp4",
                              playlist_location=f"{d}/list.ffconcat")
    import threading
    cond = threading.Condition()
    st = {"opened": 0, "closed": 0, "pushed": 0, "backlog": 0, "samples": {}}
    t0 = time.monotonic()

    def on_sync(bus, msg):
        name = msg.get_structure().get_name()
        with cond:
            if name == "prune-segment-opened":
                st["opened"] += 1
                st["backlog"] = max(st["backlog"], st["opened"] - st["closed"])
            elif name == "prune-segment-closed":
                st["closed"] += 1
                if st["closed"] in (100, 500, 1000, 1500, 2000) or st["closed"] == n:
                    st["samples"][st["closed"]] = (vmrss_kib(), time.monotonic() - t0)
            cond.notify_all()

    def pace(pad, info):
        with cond:
            # frame k (from 0) opens file k and sends EOS to file k-1: wait
            # until file k-2 is closed
            cond.wait_for(lambda: st["closed"] >= st["pushed"] - 1, timeout=30)
            st["pushed"] += 1
        return Gst.PadProbeReturn.OK

    bus = p.get_bus()
    bus.enable_sync_message_emission()
    handler = bus.connect("sync-message::element", on_sync)
    if paced:
        p.get_by_name("parse").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, pace)
    res = run_pipeline(p, timeout=600, keep=False)
    bus.disconnect(handler)
    bus.disable_sync_message_emission()
    return res, st


def scenario_many(ctx):
    # memory: 2,100 segments, paced so that files finish in order
    d = os.path.join(ctx["tmp"], "many")
    os.makedirs(d)
    # under AddressSanitizer (3x slower, RSS not comparable) 1,000 are enough
    n = 1000 if SANITIZED else 2100
    res, st = many_run(d, n, paced=True)
    samples = st["samples"]
    rate = st["closed"] / max(1e-3, res.seconds)
    print(f"many: {st['closed']} segments in {res.seconds:.1f} s ({rate:.0f} segments/s); "
          "VmRSS " + ", ".join(f"{k}: {v[0] / 1024:.1f} MB" for k, v in sorted(samples.items())))
    if res.error and "below the next free index" in res.error[0]:
        known_bug("finish-order", f"also with paced input: '{res.error[0]}'")
    else:
        expect_eos(res, f"many: {n} one-frame segments")
        check(st["closed"] == n, f"many: {st['closed']} segments closed and listed in order")
        entries, next_index = parse_ffconcat(os.path.join(d, "list.ffconcat"))
        on_disk = [f for f in os.listdir(d) if f.endswith(".mp4")]
        check(len(entries) == 50 and len(on_disk) == 50 and next_index == n,
              f"many: list holds 50 entries, 50 files on disk, next-index {next_index}")
        growth = (samples[n][0] - samples[500][0]) / 1024
        if SANITIZED:
            print(f"note: many: RSS growth 500 -> {n} segments {growth:+.2f} MB "
                  "(not checked under AddressSanitizer: its quarantine holds freed memory)")
        else:
            check(growth < 2.0, f"many: RSS growth from segment 500 to {n} is {growth:+.2f} MB "
                  "(< 2 MB)")

    # as fast as the source goes: files must still finish and be listed in
    # order, and the unfinished ones must not pile up
    d = os.path.join(ctx["tmp"], "many-fast")
    os.makedirs(d)
    n = 400
    res, st = many_run(d, n, paced=False)
    print(f"many, unpaced: {st['closed']} of {n} segments closed in {res.seconds:.1f} s, "
          f"up to {st['backlog']} files open at once")
    if res.error and "below the next free index" in res.error[0]:
        known_bug("finish-order", "files are listed in the order their muxers deliver EOS "
                  "(each mp4mux has its own thread), not in file order: with short segments "
                  f"a newer file finishes first and the older one is refused: "
                  f"'{res.error[0]}' after {st['closed']} segments; then set_state(NULL) "
                  "blocks 10 s ('file(s) did not finish in time')")
    else:
        expect_eos(res, f"many, unpaced: {n} one-frame segments")
        check(st["closed"] == n, f"many, unpaced: {st['closed']} segments closed")
        # segmentsink waits while more than 4 cut files are unfinished: the
        # current one, 4 finishing and the next being opened
        if st["backlog"] > 6:
            known_bug("backlog", f"no backpressure: up to {st['backlog']} files were open "
                      "at once (each with its muxer, filesink, fd and buffers) while the "
                      "worker fsync'ed older ones: memory grows with the backlog")
        else:
            check(True, f"many, unpaced: at most {st['backlog']} files open at once")


# ---------------------------------------------------------------- main

# ---------------------------------------------------------------- codecs

# (label, video encoder ! parser, muxer, extension, audio encoder ! parser,
#  needed elements). mp4mux does not take MJPEG (qtmux does); VP9 is left
# out: vp9enc at real-time settings drops and hides frames, so its frame
# counts do not compare.
CODECS = [
    ("H.265 + AAC, mp4mux",
     "x265enc key-int-max=10 speed-preset=ultrafast ! h265parse", "mp4mux", "mp4",
     "{aac} ! aacparse", ("x265enc", "h265parse")),
    ("VP8 + Opus, matroskamux",
     "vp8enc keyframe-max-dist=10 deadline=1", "matroskamux", "mkv",
     "opusenc ! opusparse", ("vp8enc", "opusenc", "opusparse", "matroskamux")),
    ("AV1 + MP3, mp4mux",
     "av1enc keyframe-max-dist=10 usage-profile=realtime cpu-used=8 ! av1parse",
     "mp4mux", "mp4", "lamemp3enc ! mpegaudioparse",
     ("av1enc", "av1parse", "lamemp3enc", "mpegaudioparse")),
    ("MJPEG + MP3, matroskamux", "jpegenc", "matroskamux", "mkv",
     "lamemp3enc ! mpegaudioparse",
     ("jpegenc", "lamemp3enc", "mpegaudioparse", "matroskamux")),
    ("MJPEG + AAC, qtmux", "jpegenc", "qtmux", "mov", "{aac} ! aacparse",
     ("jpegenc", "qtmux")),
    ("H.264 + AAC, mpegtsmux",
     "x264enc key-int-max=10 speed-preset=ultrafast ! h264parse", "mpegtsmux", "ts",
     "{aac} ! aacparse", ("mpegtsmux",)),
]


def scenario_codecs(ctx):
    """Each codec pair through its muxer: 5 s at 10 fps cut every 2 s; the
    list and its concat hold all 50 frames and the audio. H.265 needs the
    sink to answer caps queries with the muxer's caps (h265parse then
    converts byte-stream to hvc1 for mp4mux)."""
    for n, (label, venc, mux, ext, aenc, needs) in enumerate(CODECS):
        missing = [e for e in needs if Gst.ElementFactory.find(e) is None]
        if missing:
            print(f"note: {label}: skipped, {missing} not installed")
            continue
        d = os.path.join(ctx["tmp"], f"codecs-{n}")
        os.makedirs(d)
        res = av_run(ctx, d, 2 * SEC, mux, ext, frames=50, fps=10,
                     size=(160, 120), venc=venc, aenc=aenc, pattern="ball",
                     timeout=180)
        expect_eos(res, label)
        listpath = os.path.join(d, "list.ffconcat")
        entries = check_list_files(listpath, 10, label)
        check(len(entries) == 3, f"{label}: 3 files for 5 s at 2 s each "
              f"({[e['duration'] for e in entries]})")
        out = os.path.join(d, "concat." + ext)
        warnings = concat_copy(listpath, out)
        check("Non-monotonous" not in warnings and "non monotonically" not in warnings,
              f"{label}: ffmpeg -f concat -c copy without Non-monotonous DTS",
              warnings[:500])
        streams, err = probe_streams(out)
        check(streams is not None and "video" in streams and "audio" in streams,
              f"{label}: the concat has video and audio", err)
        check(streams["video"]["frames"] == 50,
              f"{label}: the concat has {streams['video']['frames']} of 50 frames")
        err = decode_errors(listpath)
        check(not err, f"{label}: the list decodes through the concat demuxer "
              "without errors", err[:300])


# run only when asked for by name (meson: a test of their own, alone)
ALONE = {"launch"}

SCENARIOS = [
    ("gate", scenario_gate),
    ("audio", scenario_audio),
    ("crash", scenario_crash),
    ("mark", scenario_mark),
    ("stop", scenario_stop),
    ("launch", scenario_launch),
    ("beatcut", scenario_beatcut),
    ("retention", scenario_retention),
    ("errors", scenario_errors),
    ("names", scenario_names),
    ("many", scenario_many),
    ("codecs", scenario_codecs),
]


def main():
    Gst.init(None)
    for element in ("segmentsink", "staticgate", "rawvideoparse", "videotestsrc",
                    "audiotestsrc", "x264enc", "h264parse", "aacparse", "mp4mux",
                    "filesink", "fdsrc"):
        if Gst.ElementFactory.find(element) is None:
            skip(f"element {element} is not available")
    aac = next((e for e in ("avenc_aac", "voaacenc", "fdkaacenc")
                if Gst.ElementFactory.find(e) is not None), None)
    if aac is None:
        skip("no AAC encoder (avenc_aac, voaacenc or fdkaacenc)")
    for tool in ("ffmpeg", "ffprobe", "gst-launch-1.0"):
        if shutil.which(tool) is None:
            skip(f"{tool} is not installed")
    build = os.environ.get("PRUNE_BUILD_ROOT")
    if not build:
        skip("run through meson test (PRUNE_BUILD_ROOT is not set)")
    scene = os.path.join(build, "tools", "prune-scene", "prune-scene")
    if not os.access(scene, os.X_OK):
        skip(f"{scene} is not built")
    wanted = sys.argv[1:] or [name for name, _ in SCENARIOS if name not in ALONE]
    unknown = set(wanted) - {name for name, _ in SCENARIOS}
    if unknown:
        fail(f"unknown scenario(s) {sorted(unknown)}; known: {[n for n, _ in SCENARIOS]}")
    tmp = tempfile.mkdtemp(prefix="prune-segmentsink.")
    ctx = {"tmp": tmp, "scene": scene, "aac": aac}
    t_all = time.monotonic()
    try:
        for name, fn in SCENARIOS:
            if name in wanted:
                t0 = time.monotonic()
                print(f"== {name}", flush=True)
                fn(ctx)
                print(f"== {name}: {time.monotonic() - t0:.1f} s", flush=True)
    finally:
        if os.environ.get("PRUNE_KEEP_TMP"):
            print(f"files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    for key, text in KNOWN.items():
        print(f"TODO: known segmentsink bug [{key}] (expected failure): {text}")
    print(f"ok ({time.monotonic() - t_all:.1f} s, {len(KNOWN)} known bug(s))")


if __name__ == "__main__":
    main()
