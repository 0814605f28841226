#!/usr/bin/python3
# gst-prune, the command-line tool, as a real process (no RTSP here; see
# gst-prune-rtsp.py):
#   demo      --demo on 25 s of the demo scene (one person 12-20 s): exit 0,
#             a list ffmpeg reads without errors, files that decode, a kept
#             stretch covering the ground truth, a report whose figures
#             match the list, an SVG timeline, the summary
#   resume    a second run into the same OUTDIR continues the numbering and
#             the list, leaves the first run's files untouched, and merges
#             (--merge) at the end
#   moved     an OUTDIR given as a relative path, resumed from another
#             working directory and after the folder was moved: the list
#             and the index still name its files
#   merge     --merge (without INPUT) equals `ffmpeg -f concat -c copy` in
#             frames and duration, and decodes without errors; a run in
#             MPEG-TS merges into MPEG-TS
#   options   --segment-time, --container mkv, --max-files reach the
#             elements: short files, Matroska, old files deleted
#   static    a static input 15 times longer needs no more memory (peak
#             RSS within 8 MB): the gate sends no GAP events for the
#             encoder to keep (it kept every one until its next frame:
#             +20 MB over 42,000 static frames)
#   errors    bad option values, an unknown option, a missing file, a URI
#             nobody reads, an unreachable camera, an unwritable OUTDIR, a
#             bad mask, a file that is not video, an encoder that keeps
#             frames (drop mode): the right exit status and a message that
#             says what to do
# Arguments: scenario names to run only those (default: all).
import json
import os
import shutil
import subprocess
import sys

import clilib as lib
check, fail, run = lib.check, lib.fail, lib.run

TMP = None


def demo():
    out = os.path.join(TMP, "demo")
    p = run(["--demo", "--demo-seconds", "25", "-o", out], expect=0)
    print(p.stdout)
    entries = lib.read_list(os.path.join(out, "list.ffconcat"))
    check(len(entries) >= 1, f"the list names {len(entries)} file(s)")
    for path, dur in entries:
        check(os.path.exists(path) and dur is not None and dur > 0,
              f"{os.path.basename(path)} exists, listed with {dur} s")
        check(lib.ffmpeg_errors(["-i", path]) == [],
              f"{os.path.basename(path)} decodes without errors")
    errs = lib.ffmpeg_errors(["-f", "concat", "-safe", "0", "-i",
                              os.path.join(out, "list.ffconcat")])
    check(errs == [], "ffmpeg concat reads the list without errors",
          "\n".join(errs[:5]))
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    check(rep["exit-status"] == 0 and rep["stopped-by"] == "end",
          "report: ended by itself, exit 0")
    check(abs(rep["input-duration"] - 25.0) < 0.2,
          f"report: input {rep['input-duration']} s of 25 s")
    check(rep["truth"] == [[12.0, 20.0]], f"report: ground truth {rep['truth']}")
    check(lib.covered(rep["kept"], 12.0, 20.0),
          f"kept {rep['kept']} covers the motion 12-20 s")
    kept = rep["kept-duration"]
    check(8.0 <= kept <= 8.0 + 1.0 + 2.0 + 0.5,
          f"kept {kept:.2f} s: the motion (8 s) plus at most the pre-roll "
          f"(1 s) and post-roll (2 s)")
    listed = sum(d for _, d in entries)
    check(abs(listed - kept) < 0.25,
          f"the list's durations ({listed:.2f} s) match the kept time")
    frames = sum(lib.ffprobe_frames(p) for p, _ in entries)
    check(abs(frames - kept * 10) <= 2,
          f"{frames} frames in the files for {kept:.2f} s at 10 fps")
    check(len(rep["segments"]) == len(entries) and
          rep["segments-written"] == len(entries),
          "report: one segment entry per listed file")
    check(30 <= rep["pruned-percent"] <= 70,
          f"report: {rep['pruned-percent']} % pruned")
    with open(os.path.join(out, "timeline.svg")) as f:
        svg = f.read()
    check(svg.startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>"),
          "timeline.svg is an SVG document")
    check("<path d=\"" in svg and "#c8ecc8" in svg and "motion (truth)" in svg,
          "the timeline draws the score, the kept stretch and the truth")
    check("people walked through at" in p.stdout and "12-20" in p.stdout and
          "pruned" in p.stdout, "the summary shows the truth and the pruning")
    return out, entries


def resume(out, first):
    before = {p: open(p, "rb").read() for p, _ in first}
    merged = os.path.join(TMP, "run-merged.mp4")
    p = run(["--demo", "--demo-seconds", "25", "-o", out, "--merge", merged],
            expect=0)
    entries = lib.read_list(os.path.join(out, "list.ffconcat"))
    check(len(entries) == 2 * len(first),
          f"the list goes on: {len(first)} + {len(entries) - len(first)} files")
    check([e[0] for e in entries[:len(first)]] == [e[0] for e in first],
          "the first run's entries stay first")
    for path, data in before.items():
        check(open(path, "rb").read() == data,
              f"{os.path.basename(path)} is untouched")
    new = [os.path.basename(e[0]) for e in entries[len(first):]]
    old = [os.path.basename(e[0]) for e in first]
    check(min(new) > max(old), f"numbering continues: {old} then {new}")
    check(os.path.exists(merged) and "merged" in p.stderr,
          "--merge at the end of a run writes the joined file")
    check(lib.ffprobe_frames(merged) ==
          sum(lib.ffprobe_frames(e[0]) for e in entries),
          "the joined file has every frame of the list")


def moved():
    a, b = os.path.join(TMP, "cwd-a"), os.path.join(TMP, "cwd-b")
    os.makedirs(a)
    os.makedirs(b)
    demo = ["--demo", "--demo-seconds", "25", "--quiet"]
    run(demo + ["-o", "rel"], expect=0, cwd=a)
    n = len(lib.read_list(os.path.join(a, "rel", "list.ffconcat")))
    out = os.path.join(b, "moved")
    shutil.move(os.path.join(a, "rel"), out)
    # from the folder's grandparent, then from inside it
    run(demo + ["-o", os.path.join("cwd-b", "moved")], expect=0, cwd=TMP)
    run(demo + ["-o", "."], expect=0, cwd=out)
    entries = lib.read_list(os.path.join(out, "list.ffconcat"))
    check(len(entries) == 3 * n >= 3,
          f"three runs listed: {len(entries)} files, {n} per run")
    missing = [p for p, _ in entries if not os.path.exists(p)]
    check(missing == [], "every listed file is in the moved folder", missing)
    errs = lib.ffmpeg_errors(["-f", "concat", "-safe", "0", "-i",
                              os.path.join(out, "list.ffconcat")])
    check(errs == [], "ffmpeg concat reads the list", "\n".join(errs[:5]))
    with open(os.path.join(out, "index.json")) as f:
        locs = [s["location"] for s in json.load(f)["segments"]]
    check(locs == [os.path.basename(p) for p, _ in entries],
          "the index names the files relative to itself", locs)


def merge(out):
    mine = os.path.join(TMP, "merged.mp4")
    ref = os.path.join(TMP, "ffmpeg.mp4")
    run(["--merge", mine, "-o", out], expect=0)
    lst = os.path.join(out, "list.ffconcat")
    r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f",
                        "concat", "-safe", "0", "-i", lst, "-c", "copy", ref],
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, "ffmpeg concat -c copy", r.stderr)
    fm, fr = lib.ffprobe_frames(mine), lib.ffprobe_frames(ref)
    check(fm == fr and fm > 0, f"--merge: {fm} frames, ffmpeg concat: {fr}")
    dm = float(lib.ffprobe_streams(mine)["format"]["duration"])
    dr = float(lib.ffprobe_streams(ref)["format"]["duration"])
    check(abs(dm - dr) <= 0.101,
          f"--merge: {dm:.3f} s, ffmpeg concat: {dr:.3f} s (within a frame)")
    check(lib.ffmpeg_errors(["-i", mine]) == [],
          "the merged file decodes without errors")
    # MPEG-TS in and out (mpegtsmux has sink_%d pads and takes H.264 as
    # byte-stream only)
    ts, merged_ts = os.path.join(TMP, "ts"), os.path.join(TMP, "merged.ts")
    run(["--demo", "--demo-seconds", "25", "-o", ts, "--container", "ts",
         "--merge", merged_ts, "--quiet"], expect=0)
    listed = sum(lib.ffprobe_frames(f) for f, _ in
                 lib.read_list(os.path.join(ts, "list.ffconcat")))
    check(lib.ffprobe_frames(merged_ts) == listed > 0,
          f"--merge into MPEG-TS: {lib.ffprobe_frames(merged_ts)} frames of "
          f"{listed}")
    p = run(["--merge", os.path.join(TMP, "m.mp4"), "-o",
             os.path.join(TMP, "nothing-here")], expect=2)
    check("nothing to merge" in p.stderr, "--merge of a folder without a list")


def options():
    out = os.path.join(TMP, "opts")
    p = run(["--demo", "--demo-seconds", "25", "-o", out, "--segment-time",
             "2", "--container", "mkv", "--max-files", "3", "--quiet"],
            expect=0)
    check(p.stdout == "" and p.stderr == "", "--quiet prints nothing",
          p.stdout + p.stderr)
    entries = lib.read_list(os.path.join(out, "list.ffconcat"))
    files = sorted(f for f in os.listdir(out) if f.startswith("seg"))
    check(len(entries) == 3 and len(files) == 3,
          f"--max-files 3: {len(entries)} listed, {len(files)} on disk")
    check(all(f.endswith(".mkv") for f in files), f"--container mkv: {files}")
    check(all(d <= 2.0 + 0.15 for _, d in entries),
          f"--segment-time 2: durations {[d for _, d in entries]}")
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    check(rep["segments-written"] >= 5 and rep["segments-deleted"] ==
          rep["segments-written"] - 3,
          f"{rep['segments-written']} written, {rep['segments-deleted']} "
          f"deleted by --max-files")


def errors():
    out = os.path.join(TMP, "err-out")
    notes = os.path.join(TMP, "notes.txt")
    with open(notes, "w") as f:
        f.write("not a video\n")
    # a video without audio, for --beats
    silent = os.path.join(TMP, "silent.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=160x120:rate=10:duration=2", "-c:v",
                    "libx264", silent], check=True)
    cases = [
        # (arguments, exit status, text the message must contain)
        (["--bogus", "--demo", "-o", out], 2, "Unknown option --bogus"),
        (["--demo"], 2, "add -o OUTDIR"),
        ([], 2, "-o OUTDIR"),
        (["-o", out], 2, "no INPUT"),
        (["--demo", "-o", out, "--threshold", "abc"], 2,
         "--threshold: 'abc' is not a number"),
        (["--demo", "-o", out, "--threshold", "999"], 2,
         "--threshold: 999 is out of range; use 0.5 to 255"),
        (["--demo", "-o", out, "--min-area", "2"], 2, "--min-area"),
        (["--demo", "-o", out, "--pre-roll", "-1"], 2, "--pre-roll"),
        (["--demo", "-o", out, "--mode", "sideways"], 2, "use drop or mark"),
        (["--demo", "-o", out, "--container", "avi"], 2, "use mp4, mkv or ts"),
        (["--demo", "-o", out, "--max-disk", "12Q"], 2, "--max-disk"),
        (["--demo", "-o", out, "--segment-time", "0.1"], 2, "--segment-time"),
        (["--demo", "-o", out, "--merge", "x.avi"], 2, "known extension"),
        (["--demo", "-o", out, "--encoder", "nosuchenc"], 2, "--encoder"),
        # drop mode: frames an encoder keeps would stay in it while the
        # gate is closed (with audio the job stalled)
        (["--demo", "-o", out, "--encoder", "x264enc"], 2,
         "keeps 46 frames before it gives one out"),
        (["--demo", "-o", out, "--beats", "4"], 2, "--demo has none"),
        (["--demo", "--demo-seconds", "5", "-o", out, "--mask", "1,,3,4"], 2,
         "--mask"),
        ([os.path.join(TMP, "missing.mp4"), "-o", out], 2, "does not exist"),
        (["file://" + os.path.join(TMP, "missing.mp4"), "-o", out], 2,
         "does not exist"),
        (["foo://camera/stream", "-o", out], 2,
         "no GStreamer source reads 'foo://'"),
        (["--demo", "-o", notes + "/out"], 2, "cannot create the output folder"),
        (["--demo", "-o", "/proc/gst-prune-test"], 2,
         "cannot create the output folder"),
        ([notes, "-o", out], 1, "cannot read"),
        ([silent, "-o", out, "--beats", "4"], 1,
         "--beats needs the input's audio, and"),
        ([f"rtsp://127.0.0.1:{lib.free_port()}/nothing", "-o", out,
          "--no-reconnect"], 1, "check the address"),
    ]
    for args, status, text in cases:
        p = run(args, timeout=120, expect=status)
        check(text in p.stderr and p.stderr.count("\n") <= 3,
              f"gst-prune {' '.join(args)} -> {status}: '{text}'",
              p.stderr)
    p = run(["--help"], expect=0)
    check("Examples:" in p.stdout and "--threshold" in p.stdout and
          "Exit status" in p.stdout, "--help explains options and examples")
    p = run(["--version"], expect=0)
    check(p.stdout.startswith("gst-prune "), "--version")


def peak_rss_kb(args):
    """Runs gst-prune ARGS; its peak RSS in KB."""
    p = subprocess.Popen([lib.TOOL] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    stderr = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    lib.no_leaks(stderr, "gst-prune " + " ".join(args))
    if p.returncode != 0:
        print(stderr, file=sys.stderr)
        fail(f"gst-prune {' '.join(args)}: exit status {p.returncode}")
    return usage.ru_maxrss


def static():
    if os.environ.get("PRUNE_SANITIZER_PRELOAD"):
        print("static: skipped under the sanitizers (their allocator "
              "decides the RSS)")
        return
    peaks = []
    for n in (3000, 45000):
        path = os.path.join(TMP, f"static{n}.mp4")
        subprocess.run(
            ["gst-launch-1.0", "-q", "videotestsrc", "pattern=solid-color",
             f"num-buffers={n}", "!",
             "video/x-raw,width=160,height=120,framerate=30/1", "!",
             "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "!",
             "mp4mux", "!", "filesink", f"location={path}"],
            check=True, timeout=300)
        peaks.append(peak_rss_kb([path, "-o", os.path.join(TMP, f"s{n}")]))
    check(peaks[1] - peaks[0] < 8 * 1024,
          f"static input: peak RSS {peaks[0] // 1024} MB for 100 s, "
          f"{peaks[1] // 1024} MB for 25 min")


def main():
    global TMP
    lib.need_tools("ffmpeg", "ffprobe")
    TMP = lib.tmpdir()
    only = set(sys.argv[1:])
    out = entries = None
    if not only or only & {"demo", "resume", "merge"}:
        out, entries = demo()
    if not only or "resume" in only:
        resume(out, entries)
    if not only or "moved" in only:
        moved()
    if not only or "merge" in only:
        merge(out)
    if not only or "options" in only:
        options()
    if not only or "static" in only:
        static()
    if not only or "errors" in only:
        errors()
    print("ok: all gst-prune command-line checks passed")


main()
