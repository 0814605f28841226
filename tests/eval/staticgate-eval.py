#!/usr/bin/python3
"""Evaluate video gates (staticgate, and ffmpeg mpdecimate as the anchor) on
the labelled camera clips of ../shared/data/video.

For every clip, each gate's kept frames are scored with
../shared/tools/score_gate.py against the clip's labels (keep-recall on
motion, drop-rate on static stretches, kept fraction overall), then checked
against the staticgate targets of ../shared/EVAL.md.

GStreamer side: one decode path, run once per clip for ALL and once per
clip and gate for KEPT,
  filesrc ! decodebin ! videoconvert ! fakesink          -> ALL (every frame)
  filesrc ! decodebin ! videoconvert ! GATE ! fakesink   -> KEPT (gate output)
and the PTS of every buffer reaching fakesink is recorded by a pad probe
(a child process of this script using python3-gi). ffmpeg side (the anchor):
  ffmpeg -i CLIP -vf showinfo            -f null -       -> ALL
  ffmpeg -i CLIP -vf mpdecimate,showinfo -f null -       -> KEPT
so each gate is scored against its own pipeline's frame list.

Exit status: 0 every gate under test meets every target (with --gate none:
the anchor ran; with --self-test: the harness checks hold), 1 a target is
missed or a run failed, 77 skipped (no ../shared data, no python3-gi, or the
default gate 'staticgate' is not built). See tests/eval/README.md.

The main program uses the Python standard library only; GStreamer is driven
in child processes (this same file with the internal --_record/--_check
modes, which import gi).
"""

import argparse
import bisect
import concurrent.futures
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VIDEO_EXTS = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".ts")
DEFAULT_GATE = "staticgate"
ANCHOR = "mpdecimate"  # label of the ffmpeg anchor in tables and JSON

# Targets from ../shared/EVAL.md ("staticgate, defaults, pre-roll 1 s,
# post-roll 2 s"). Clip keys are file-name stems (prefix match).
RECALL_MIN = 0.995
DROP_MIN = 0.97
DROP_CLIPS = ("one-by-one-person-detection", "bottle-detection")
KEEP_ALL_CLIP = "vtest"
KEEP_ALL_MIN = 0.98

# Exit codes of the internal recorder/checker child processes.
REC_RUNTIME_ERROR = 2
REC_NO_ELEMENT = 3
REC_PARSE_ERROR = 4
REC_TIMEOUT = 5
REC_NO_GI = 10


# ---------------------------------------------------------------------------
# Child-process modes (import gi; never used by the main program directly)
# ---------------------------------------------------------------------------

def _import_gst():
    try:
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import Gst
    except (ImportError, ValueError) as e:
        print(f"python3-gi / GStreamer typelib unavailable: {e}",
              file=sys.stderr)
        sys.exit(REC_NO_GI)
    Gst.init(None)
    return Gst


def _pipeline_desc(gate):
    link = f" ! {gate} ! " if gate else " ! "
    return ("filesrc name=sgeval_src ! decodebin ! videoconvert"
            f"{link}fakesink name=sgeval_sink sync=false")


def _parse(Gst, desc):
    """Gst.parse_launch, turning parse errors into child exit codes."""
    from gi.repository import GLib
    try:
        return Gst.parse_launch(desc)
    except GLib.Error as e:
        if e.matches(Gst.parse_error_quark(), Gst.ParseError.NO_SUCH_ELEMENT):
            print(f"no such element: {e.message}", file=sys.stderr)
            sys.exit(REC_NO_ELEMENT)
        print(f"cannot parse pipeline '{desc}': {e.message}", file=sys.stderr)
        sys.exit(REC_PARSE_ERROR)


def check_main(argv):
    """--_check GATE...: can each gate fragment be built? Prints JSON."""
    Gst = _import_gst()
    out = {}
    for gate in argv:
        desc = _pipeline_desc(gate)
        try:
            from gi.repository import GLib
            p = Gst.parse_launch(desc)
            p.set_state(Gst.State.NULL)
            out[gate] = {"ok": True}
        except GLib.Error as e:
            missing = e.matches(Gst.parse_error_quark(),
                                Gst.ParseError.NO_SUCH_ELEMENT)
            out[gate] = {"ok": False, "missing_element": missing,
                         "error": e.message}
    print(json.dumps(out))
    return 0


def record_main(argv):
    """--_record CLIP OUT [--gate FRAG] [--every N]: PTS of every buffer
    reaching the sink, one per line (seconds), summary JSON on stdout."""
    ap = argparse.ArgumentParser(prog="staticgate-eval.py --_record")
    ap.add_argument("clip")
    ap.add_argument("out")
    ap.add_argument("--gate", default="")
    ap.add_argument("--every", type=int, default=0,
                    help="harness self-test: keep only every N-th frame")
    ap.add_argument("--timeout", type=float, default=300.0)
    a = ap.parse_args(argv)
    Gst = _import_gst()

    pipeline = _parse(Gst, _pipeline_desc(a.gate))
    pipeline.get_by_name("sgeval_src").set_property("location", a.clip)
    sinkpad = pipeline.get_by_name("sgeval_sink").get_static_pad("sink")

    pts, state = [], {"seen": 0, "no_pts": 0, "lists": 0, "caps": None}

    def take(buf):
        state["seen"] += 1
        if a.every > 1 and (state["seen"] - 1) % a.every:
            return False
        if buf.pts == Gst.CLOCK_TIME_NONE:
            state["no_pts"] += 1
        else:
            pts.append(buf.pts)
        return True

    def probe(pad, info):
        if state["caps"] is None:
            caps = pad.get_current_caps()
            state["caps"] = caps.to_string() if caps else None
        if info.type & Gst.PadProbeType.BUFFER:
            if not take(info.get_buffer()):
                return Gst.PadProbeReturn.DROP
        elif info.type & Gst.PadProbeType.BUFFER_LIST:
            lst = info.get_buffer_list()
            state["lists"] += 1
            for i in range(lst.length()):
                take(lst.get(i))
        return Gst.PadProbeReturn.OK

    sinkpad.add_probe(
        Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST, probe)

    t0 = time.monotonic()
    code, msg = 0, ""
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        code, msg = REC_RUNTIME_ERROR, "pipeline refused to start"
    bus = pipeline.get_bus()
    deadline = t0 + a.timeout
    while code == 0:
        left = deadline - time.monotonic()
        if left <= 0:
            code, msg = REC_TIMEOUT, f"no EOS after {a.timeout:.0f} s"
            break
        m = bus.timed_pop_filtered(
            int(left * Gst.SECOND),
            Gst.MessageType.EOS | Gst.MessageType.ERROR
            | Gst.MessageType.WARNING)
        if m is None:
            continue
        if m.type == Gst.MessageType.EOS:
            break
        err, dbg = (m.parse_error() if m.type == Gst.MessageType.ERROR
                    else m.parse_warning())
        text = f"{m.src.get_path_string()}: {err.message} ({dbg})"
        if m.type == Gst.MessageType.ERROR:
            code, msg = REC_RUNTIME_ERROR, text
        else:
            print(f"warning: {text}", file=sys.stderr)
    elapsed = time.monotonic() - t0
    pipeline.set_state(Gst.State.NULL)
    if code:
        print(msg, file=sys.stderr)
        return code
    with open(a.out, "w") as f:
        for t in pts:
            f.write(f"{t / 1e9:.9f}\n")
    print(json.dumps({"frames": len(pts), "seen": state["seen"],
                      "no_pts": state["no_pts"],
                      "buffer_lists": state["lists"],
                      "caps": state["caps"], "elapsed_s": elapsed}))
    return 0


# ---------------------------------------------------------------------------
# Main program (stdlib only)
# ---------------------------------------------------------------------------

def stem(path):
    return Path(path).stem


def fmt_num(x, digits=4):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) \
        else f"{x:.{digits}f}"


def clean(x):
    """NaN -> None for JSON."""
    return None if isinstance(x, float) and math.isnan(x) else x


def read_times(path):
    out = []
    with open(path) as f:
        for line in f:
            tok = line.split()
            if tok:
                try:
                    out.append(float(tok[0]))
                except ValueError:
                    pass
    return sorted(out)


def eval_md_clips(shared):
    """Video file names listed in EVAL.md's data table (first column)."""
    try:
        text = (shared / "EVAL.md").read_text(errors="replace")
    except OSError:
        return []
    pat = r"^\|\s*([\w.+-]+(?:%s))\s*\|" % "|".join(
        re.escape(e) for e in VIDEO_EXTS)
    return re.findall(pat, text, flags=re.M)


def discover_clips(shared, only):
    """[(video Path, labels Path or None)] in a stable order."""
    vdir = shared / "data" / "video"
    found = {}
    for lab in sorted((vdir / "labels").glob("*.json")):
        try:
            name = json.loads(lab.read_text()).get("clip")
        except (OSError, ValueError):
            name = None
        cands = [vdir / name] if name else []
        cands += [vdir / (lab.stem + e) for e in VIDEO_EXTS]
        video = next((c for c in cands if c.is_file()), None)
        if video:
            found[video.name] = (video, lab)
    names = eval_md_clips(shared) or [p.name for p in sorted(vdir.iterdir())
                                      if p.suffix.lower() in VIDEO_EXTS]
    for name in names:
        if name not in found and (vdir / name).is_file():
            found[name] = (vdir / name, None)
    clips = list(found.values())
    if only:
        keys = [k.strip() for k in only.split(",") if k.strip()]
        clips = [c for c in clips if any(stem(c[0]).startswith(k) or
                                         c[0].name == k for k in keys)]
    return clips


def gi_python():
    """An interpreter that can import gi (this one, else /usr/bin/python3)."""
    if importlib.util.find_spec("gi") is not None:
        return sys.executable
    for cand in ("/usr/bin/python3", shutil.which("python3")):
        if cand and os.access(cand, os.X_OK):
            r = subprocess.run([cand, "-c", "import gi"],
                               capture_output=True)
            if r.returncode == 0:
                return cand
    return None


def gst_env(build):
    env = dict(os.environ)
    plugins = str(build / "plugins")
    for var in ("GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0"):
        # GST_PLUGIN_PATH_1_0, when set, hides GST_PLUGIN_PATH.
        if var == "GST_PLUGIN_PATH" or var in env:
            old = env.get(var, "")
            env[var] = plugins + (os.pathsep + old if old else "")
    return env


class Runner:
    def __init__(self, args, work, py, env):
        self.args, self.work, self.py, self.env = args, work, py, env

    def gst(self, clip, gate, every, out):
        """Record PTS through the GStreamer decode path (+ gate)."""
        cmd = [self.py, str(Path(__file__).resolve()), "--_record",
               str(clip), str(out), "--timeout", str(self.args.timeout)]
        if gate:
            cmd += ["--gate", gate]
        if every:
            cmd += ["--every", str(every)]
        t0 = time.monotonic()
        try:
            r = subprocess.run(cmd, capture_output=True, text=True,
                               env=self.env, timeout=self.args.timeout + 60)
        except subprocess.TimeoutExpired:
            return {"error": f"recorder killed after {self.args.timeout} s"}
        res = {"elapsed_s": time.monotonic() - t0, "file": str(out),
               "stderr": r.stderr.strip()}
        if r.returncode != 0:
            res["error"] = (r.stderr.strip().splitlines() or
                            [f"recorder exit {r.returncode}"])[-1]
            return res
        try:
            res.update(json.loads(r.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            res["error"] = f"recorder printed no summary: {r.stdout!r}"
        return res

    def ffmpeg(self, clip, vf, out):
        """Record showinfo pts_time of the frames leaving the filter graph."""
        cmd = [self.args.ffmpeg, "-hide_banner", "-nostdin", "-nostats",
               "-loglevel", "info", "-i", str(clip), "-map", "0:v:0",
               "-vf", vf, "-f", "null", "-"]
        t0 = time.monotonic()
        try:
            r = subprocess.run(cmd, capture_output=True, text=True,
                               errors="replace", timeout=self.args.timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"ffmpeg timed out after {self.args.timeout} s"}
        res = {"elapsed_s": time.monotonic() - t0, "file": str(out)}
        if r.returncode != 0:
            res["error"] = (r.stderr.strip().splitlines() or
                            [f"ffmpeg exit {r.returncode}"])[-1]
            return res
        pat = re.compile(r"^\[Parsed_showinfo_\d+ @ [^\]]*\]\s+n:\s*(\d+)\s+"
                         r"pts:\s*(\S+)\s+pts_time:(\S+)")
        times, no_pts = [], 0
        for line in r.stderr.splitlines():
            m = pat.match(line)
            if not m:
                continue
            try:
                times.append(float(m.group(3)))
            except ValueError:  # NOPTS
                no_pts += 1
        with open(out, "w") as f:
            for t in times:
                f.write(f"{t:.9f}\n")
        res.update({"frames": len(times), "no_pts": no_pts})
        if not times:
            res["error"] = "no showinfo lines parsed from ffmpeg output"
        return res


def score(args, scorer, labels, kept_file, all_file):
    cmd = [sys.executable, str(scorer), str(labels), str(kept_file),
           "--all", str(all_file), "--pre-roll", str(args.pre_roll),
           "--post-roll", str(args.post_roll)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return {"error": f"score_gate.py failed: {r.stderr.strip()}"}
    m = re.search(r"keep-recall\s+(\S+)\s+drop-rate\s+(\S+)\s+"
                  r"kept-overall\s+(\S+)", r.stdout)
    if not m:
        return {"error": f"cannot parse score_gate.py output: {r.stdout!r}"}
    out = {"keep_recall": float(m.group(1)), "drop_rate": float(m.group(2)),
           "kept_fraction": float(m.group(3)),
           "scorer_output": r.stdout.strip()}
    m = re.search(r"motion frames (\d+), scored static frames (\d+)",
                  r.stdout)
    if m:
        out["motion_frames"] = int(m.group(1))
        out["static_frames"] = int(m.group(2))
    if r.stderr.strip():
        out["scorer_warnings"] = r.stderr.strip().splitlines()
    return out


def match_kept(all_t, kept_t, tol=1e-6):
    """Map kept times to frame indices of ALL (nearest frame, as
    score_gate.py does). Returns (set of indices, number of kept times that
    are not exactly a frame of ALL: a gate must not re-time frames)."""
    alien = 0
    idx = set()
    for t in kept_t:
        i = bisect.bisect_left(all_t, t)
        cands = [j for j in (i - 1, i) if 0 <= j < len(all_t)]
        if not cands:
            continue
        j = min(cands, key=lambda j: abs(all_t[j] - t))
        idx.add(j)
        if abs(all_t[j] - t) > tol:
            alien += 1
    return idx, alien


def verdicts(rows, gate):
    """[(passed or None, text)] for one gate against EVAL.md's targets."""
    mine = {stem(r["clip"]): r for r in rows
            if r["gate"] == gate and "error" not in r}
    errs = [stem(r["clip"]) for r in rows if r["gate"] == gate and
            "error" in r]
    out = []

    def ok(x, lo):
        return x is not None and not math.isnan(x) and x >= lo

    rec = [(c, r["keep_recall"]) for c, r in mine.items()
           if r.get("labelled") and r.get("motion_frames", 1) > 0]
    detail = ", ".join(f"{c} {fmt_num(v)}" for c, v in rec) or "no clip"
    if errs:
        detail += "; failed runs: " + ", ".join(errs)
    out.append((bool(rec) and not errs and all(ok(v, RECALL_MIN)
                                               for _, v in rec),
                f"keep-recall >= {RECALL_MIN} on every labelled clip: "
                f"{detail}"))

    parts, passed = [], True
    for key in DROP_CLIPS:
        r = next((r for c, r in mine.items() if c.startswith(key)), None)
        if r is None:
            parts.append(f"{key} not measured")
            passed = False
        else:
            parts.append(f"{key} {fmt_num(r.get('drop_rate'))}")
            passed = passed and ok(r.get("drop_rate"), DROP_MIN)
    out.append((passed, f"drop-rate >= {DROP_MIN} on "
                f"{' and '.join(DROP_CLIPS)}: {', '.join(parts)}"))

    r = next((r for c, r in mine.items() if c.startswith(KEEP_ALL_CLIP)),
             None)
    if r is None:
        out.append((False, f"{KEEP_ALL_CLIP} keeps >= {KEEP_ALL_MIN:.0%} of "
                    "all frames: not measured"))
    else:
        kf = r.get("kept_fraction")
        pct = fmt_num(kf * 100 if kf is not None else None, 1)
        out.append((ok(kf, KEEP_ALL_MIN),
                    f"{KEEP_ALL_CLIP} keeps >= {KEEP_ALL_MIN:.0%} of all "
                    f"frames: {pct} %"))
    return out


def self_checks(rows, all_info):
    """Expectations for --self-test: identity keeps all, @every=2 half."""
    out = []

    def near(x, want, tol):
        return x is not None and not math.isnan(x) and abs(x - want) <= tol

    for r in rows:
        c = stem(r["clip"])
        if "error" in r:
            out.append((False, f"{r['gate']} on {c}: {r['error']}"))
            continue
        want, tol = (1.0, 0.0) if r["gate"] == "identity" else (0.5, 0.03)
        checks = [("kept", r.get("kept_fraction"))]
        if r.get("labelled"):
            checks.append(("keep-recall", r.get("keep_recall")))
            if r.get("static_frames"):
                checks.append(("drop-rate", r.get("drop_rate")))
        for name, v in checks:
            w = 1.0 - want if name == "drop-rate" else want
            out.append((near(v, w, tol + 1e-9),
                        f"{r['gate']} on {c}: {name} {fmt_num(v)} "
                        f"(expect {w:.2f}{' ± %.2f' % tol if tol else ''})"))
        if r.get("alien_pts"):
            out.append((False, f"{r['gate']} on {c}: {r['alien_pts']} kept "
                        "PTS are not frames of ALL"))
    for c, info in all_info.items():
        if info.get("label_frames") is not None and \
                info.get("gst_frames") is not None:
            out.append((info["gst_frames"] == info["label_frames"],
                        f"ALL of {c}: {info['gst_frames']} GStreamer frames, "
                        f"labels say {info['label_frames']}"))
    return out


def print_table(rows):
    head = ["clip", "gate", "keep-recall", "drop-rate", "kept %", "frames"]
    body = []
    for r in rows:
        if "error" in r:
            body.append([stem(r["clip"]), r["gate"], "error", "-", "-",
                         "-"])
            continue
        kf = r.get("kept_fraction")
        body.append([stem(r["clip"]), r["gate"],
                     fmt_num(r.get("keep_recall")),
                     fmt_num(r.get("drop_rate")),
                     fmt_num(kf * 100 if kf is not None else None, 1),
                     f"{r['kept_frames']}/{r['all_frames']}"])
    w = [max(len(str(x[i])) for x in [head] + body) for i in range(len(head))]
    line = "-+-".join("-" * n for n in w)
    fmt = " | ".join("{:<%d}" % n if i < 2 else "{:>%d}" % n
                     for i, n in enumerate(w))
    print(fmt.format(*head))
    print(line)
    prev = None
    for b in body:
        if prev is not None and b[0] != prev:
            print(line)
        print(fmt.format(*b))
        prev = b[0]


def main(argv):
    ap = argparse.ArgumentParser(
        description="Score static gates on ../shared/data/video against "
                    "the labels and the EVAL.md targets, with ffmpeg "
                    "mpdecimate as the anchor.")
    ap.add_argument("--shared", metavar="DIR",
                    help="the shared folder (default: ../shared beside the "
                         "repository root)")
    ap.add_argument("--build", metavar="DIR", default="build",
                    help="build directory; DIR/plugins is prepended to "
                         "GST_PLUGIN_PATH (default: build)")
    ap.add_argument("--gate", action="append", metavar="FRAGMENT",
                    help="gate as a gst-launch fragment placed between "
                         "'videoconvert !' and the sink, e.g. 'staticgate "
                         "pre-roll=1000000000'; repeatable; 'none' runs only "
                         "the anchor; '@every=N' keeps every N-th frame "
                         f"(harness check) (default: {DEFAULT_GATE})")
    ap.add_argument("--no-anchor", action="store_true",
                    help="do not run ffmpeg mpdecimate")
    ap.add_argument("--self-test", action="store_true",
                    help="check the harness itself: gates 'identity' (keeps "
                         "everything) and '@every=2' (keeps every other "
                         "frame) with their expected scores; no anchor")
    ap.add_argument("--clips", metavar="LIST",
                    help="comma-separated clip name prefixes (default: all)")
    ap.add_argument("--pre-roll", type=float, default=1.0,
                    help="seconds of allowed pre-roll when scoring "
                         "(default: 1)")
    ap.add_argument("--post-roll", type=float, default=2.0,
                    help="seconds of allowed post-roll when scoring "
                         "(default: 2)")
    ap.add_argument("--json", metavar="FILE", help="write results as JSON")
    ap.add_argument("--keep-files", metavar="DIR",
                    help="write the ALL/KEPT PTS lists to DIR (default: a "
                         "temporary folder, removed)")
    ap.add_argument("-j", "--jobs", type=int,
                    default=max(1, min(2, os.cpu_count() or 1)),
                    help="decoding processes at once (default: 2)")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds allowed per decode (default: 300)")
    ap.add_argument("--ffmpeg", default=shutil.which("ffmpeg") or "ffmpeg",
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    shared = Path(args.shared) if args.shared else REPO.parent / "shared"
    vdir = shared / "data" / "video"
    scorer = shared / "tools" / "score_gate.py"
    if not vdir.is_dir() or not scorer.is_file():
        print(f"staticgate-eval: skipped: ../shared not found (looked for "
              f"{vdir} and {scorer}; pass --shared DIR)")
        return 77

    build = Path(args.build)
    if not build.is_absolute() and not (build / "plugins").is_dir():
        build = REPO / build
    build = build.resolve()

    # Gates: (label, fragment, every-N).
    if args.self_test:
        if args.gate:
            ap.error("--self-test chooses its own gates; drop --gate")
        gates = [("identity", "identity", 0), ("@every=2", "", 2)]
        args.no_anchor = True
    else:
        frags = args.gate or [DEFAULT_GATE]
        gates = []
        for g in frags:
            g = g.strip()
            m = re.fullmatch(r"@every=(\d+)", g)
            if g.lower() == "none":
                continue
            gates.append((g, "", int(m.group(1))) if m else (g, g, 0))
    run_anchor = not args.no_anchor
    if not gates and not run_anchor:
        ap.error("nothing to run (--gate none with --no-anchor)")
    if run_anchor and not shutil.which(args.ffmpeg):
        if not gates:
            print("staticgate-eval: skipped: ffmpeg not found")
            return 77
        print("staticgate-eval: warning: ffmpeg not found, anchor not run",
              file=sys.stderr)
        run_anchor = False

    clips = discover_clips(shared, args.clips)
    if not clips:
        print(f"staticgate-eval: skipped: no clips found in {vdir}")
        return 77

    py = gi_python()
    env = gst_env(build)
    # ALL is always recorded through GStreamer, so gi is always needed.
    if py is None:
        print("staticgate-eval: skipped: python3-gi not found (apt-get "
              "install python3-gi gir1.2-gstreamer-1.0)")
        return 77
    real = [frag for _, frag, _ in gates if frag]
    r = subprocess.run([py, str(Path(__file__).resolve()), "--_check"]
                       + real, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        print("staticgate-eval: skipped: GStreamer Python bindings do "
              f"not work: {r.stderr.strip()}")
        return 77
    status = json.loads(r.stdout)
    bad = {f: s for f, s in status.items() if not s["ok"]}
    if bad:
        for f, s in bad.items():
            print(f"staticgate-eval: gate '{f}': {s['error']}"
                  + (f" (GST_PLUGIN_PATH starts with {build / 'plugins'})"
                     if s["missing_element"] else ""), file=sys.stderr)
        if not args.gate and all(s["missing_element"]
                                 for s in bad.values()):
            print(f"staticgate-eval: skipped: element '{DEFAULT_GATE}' "
                  f"is not built in {build} (run only the anchor with "
                  "--gate none)")
            return 77
        return 1

    if args.keep_files:
        work = Path(args.keep_files)
        work.mkdir(parents=True, exist_ok=True)
        tmp = None
    else:
        tmp = tempfile.TemporaryDirectory(prefix="staticgate-eval-")
        work = Path(tmp.name)

    runner = Runner(args, work, py, env)
    t_start = time.monotonic()
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for video, _ in clips:
            s = stem(video)
            jobs[(s, "gst", None)] = pool.submit(
                runner.gst, video, "", 0, work / f"{s}.gst.ALL.txt")
            for gi_, (label, frag, every) in enumerate(gates):
                slug = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")[:40]
                jobs[(s, "gst", label)] = pool.submit(
                    runner.gst, video, frag, every,
                    work / f"{s}.gate{gi_}-{slug}.KEPT.txt")
            if run_anchor:
                jobs[(s, "ff", None)] = pool.submit(
                    runner.ffmpeg, video, "showinfo",
                    work / f"{s}.ffmpeg.ALL.txt")
                jobs[(s, "ff", ANCHOR)] = pool.submit(
                    runner.ffmpeg, video, "mpdecimate,showinfo",
                    work / f"{s}.ffmpeg-mpdecimate.KEPT.txt")
        res = {k: f.result() for k, f in jobs.items()}
    wall = time.monotonic() - t_start

    rows, all_info = [], {}
    gate_labels = ([ANCHOR] if run_anchor else []) + [g[0] for g in gates]
    for video, labels in clips:
        s = stem(video)
        label_frames = None
        if labels:
            try:
                label_frames = json.loads(labels.read_text()).get("frames")
            except (OSError, ValueError):
                pass
        info = {"label_frames": label_frames, "labels": str(labels)
                if labels else None}
        for side in ("gst", "ff"):
            a = res.get((s, side, None))
            if a and "error" not in a:
                t = read_times(a["file"])
                info[f"{side}_frames"] = len(t)
                info[f"{side}_first_pts"] = t[0] if t else None
                info[f"{side}_last_pts"] = t[-1] if t else None
            elif a:
                info[f"{side}_error"] = a["error"]
        all_info[s] = info
        for label in gate_labels:
            side = "ff" if label == ANCHOR and run_anchor else "gst"
            k, a = res[(s, side, label)], res[(s, side, None)]
            row = {"clip": video.name, "gate": label,
                   "kind": "anchor" if side == "ff" else "gate",
                   "labelled": labels is not None,
                   "elapsed_s": k.get("elapsed_s")}
            err = a.get("error") or k.get("error")
            if err:
                row["error"] = ("ALL: " if a.get("error") else "") + err
                rows.append(row)
                continue
            all_t, kept_t = read_times(a["file"]), read_times(k["file"])
            idx, alien = match_kept(all_t, kept_t)
            row.update({"all_frames": len(all_t), "kept_frames": len(kept_t),
                        "alien_pts": alien,
                        "duplicate_pts": len(kept_t) - len(set(kept_t))})
            if labels:
                sc = score(args, scorer, labels, k["file"], a["file"])
                if "error" in sc:
                    row["error"] = sc["error"]
                row.update(sc)
            else:
                row.update({"keep_recall": float("nan"),
                            "drop_rate": float("nan"),
                            "kept_fraction": len(idx) / len(all_t)
                            if all_t else float("nan")})
            rows.append(row)

    # ---- report ----
    gst_caps = {stem(v): res[(stem(v), "gst", None)].get("caps")
                for v, _ in clips}
    print(f"staticgate-eval: {len(clips)} clips from {vdir}; scoring "
          f"pre-roll {args.pre_roll:g} s, post-roll {args.post_roll:g} s; "
          f"plugins from {build / 'plugins'}")
    print()
    print_table(rows)
    print()
    print("frames per clip (ALL):")
    for s, info in all_info.items():
        parts = []
        if "gst_frames" in info:
            parts.append(f"GStreamer {info['gst_frames']} "
                         f"(first PTS {info['gst_first_pts']:.3f} s)")
        if "ff_frames" in info:
            parts.append(f"ffmpeg {info['ff_frames']} "
                         f"(first PTS {info['ff_first_pts']:.3f} s)")
        parts.append(f"labels {info['label_frames']}"
                     if info["label_frames"] is not None else "no labels")
        print(f"  {s}: " + ", ".join(parts))
    notes = []
    for r in rows:
        c = stem(r["clip"])
        if r.get("alien_pts"):
            notes.append(f"{r['gate']} on {c}: {r['alien_pts']} kept PTS are "
                         "not frames of ALL (the gate re-timed frames; "
                         "scores map them to the nearest frame)")
        if r.get("duplicate_pts"):
            notes.append(f"{r['gate']} on {c}: {r['duplicate_pts']} frames "
                         "passed more than once")
        for w in r.get("scorer_warnings", []):
            notes.append(f"{r['gate']} on {c}: score_gate.py: {w}")
        if "error" in r:
            notes.append(f"{r['gate']} on {c}: error: {r['error']}")
        elif not r.get("labelled"):
            notes.append(f"{r['gate']} on {c}: no labels, kept % only")
    for n in dict.fromkeys(notes):
        print(f"  note: {n}")
    print()

    exit_code = 0
    verdict_out = []
    if args.self_test:
        checks = self_checks(rows, all_info)
        print("harness self-test:")
        for passed, text in checks:
            print(f"  {'PASS' if passed else 'FAIL'}  {text}")
            verdict_out.append({"gate": "self-test", "pass": passed,
                                "target": text})
        exit_code = 0 if all(p for p, _ in checks) else 1
    else:
        for label in gate_labels:
            anchor = label == ANCHOR and run_anchor
            title = (f"anchor ffmpeg {ANCHOR} (defaults; reference only)"
                     if anchor else f"gate '{label}'")
            print(f"targets (EVAL.md) for {title}:")
            for passed, text in verdicts(rows, label):
                print(f"  {'PASS' if passed else 'FAIL'}  {text}")
                verdict_out.append({"gate": label, "pass": passed,
                                    "target": text, "anchor": anchor})
                if not anchor and not passed:
                    exit_code = 1
        if any("error" in r for r in rows):
            exit_code = 1
        if gates:
            print("result: " + ("every gate meets every target"
                                if exit_code == 0 else "targets missed"))
        else:
            print("result: anchor only (--gate none)")
    print(f"wall time {wall:.1f} s ({args.jobs} jobs)")

    if args.json:
        out = {"shared": str(shared), "build": str(build),
               "pre_roll": args.pre_roll, "post_roll": args.post_roll,
               "gates": gate_labels, "clips": all_info,
               "caps": gst_caps,
               "results": [{k: clean(v) for k, v in r.items()
                            if k not in ("scorer_output",)} for r in rows],
               "verdicts": verdict_out, "exit": exit_code,
               "wall_s": wall}
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")
    if tmp:
        tmp.cleanup()
    return exit_code


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_record":
        sys.exit(record_main(sys.argv[2:]))
    if len(sys.argv) > 1 and sys.argv[1] == "--_check":
        sys.exit(check_main(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
