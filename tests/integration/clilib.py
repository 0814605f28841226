# Helpers for the gst-prune command-line tests (gst-prune-*.py, which
# import it): run the tool as a real process, read its list and report, ask
# ffprobe/ffmpeg.
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from testlib import check, fail, on_failure, skip  # noqa: F401 (re-exported)

TOOL = os.environ.get("PRUNE_GST_PRUNE", "")
RTSP_SERVER = os.environ.get("PRUNE_RTSP_SERVER", "")
SANITIZED = bool(os.environ.get("PRUNE_SANITIZER_PRELOAD"))


def need_tools(*names):
    if not TOOL or not os.access(TOOL, os.X_OK):
        skip("gst-prune is not built (PRUNE_GST_PRUNE)")
    for n in names:
        if shutil.which(n) is None:
            skip(f"{n} is not installed (scripts/setup.sh installs it)")


def tmpdir():
    d = tempfile.mkdtemp(prefix="gst-prune-test.")
    if not os.environ.get("PRUNE_KEEP_TMP"):
        import atexit
        atexit.register(shutil.rmtree, d, True)
    else:
        print(f"keeping {d}")
    return d


def no_leaks(stderr, what):
    if "Leaks detected" in stderr:
        print(stderr, file=sys.stderr)
        fail(f"{what}: the leaks tracer found GStreamer objects alive at exit")


def run(args, timeout=300, expect=None, what=None, cwd=None):
    """Runs gst-prune ARGS (in the directory CWD); returns the
    CompletedProcess."""
    p = subprocess.run([TOOL] + args, capture_output=True, text=True,
                       timeout=timeout, cwd=cwd)
    what = what or "gst-prune " + " ".join(args)
    no_leaks(p.stderr, what)
    if expect is not None and p.returncode != expect:
        print(p.stdout)
        print(p.stderr, file=sys.stderr)
        fail(f"{what}: exit status {p.returncode}, expected {expect}")
    return p


def read_list(path):
    """[(file path, duration)] from an ffconcat list (what segmentsink
    writes: one quoted name per 'file' line)."""
    out = []
    base = os.path.dirname(path)
    with open(path) as f:
        lines = f.read().splitlines()
    if not lines or lines[0] != "ffconcat version 1.0":
        fail(f"{path}: not an ffconcat list: {lines[:1]}")
    for line in lines[1:]:
        if line.startswith("file "):
            name = line[5:].strip()
            assert name[0] == "'" and name[-1] == "'", line
            name = name[1:-1].replace("'\\''", "'")
            out.append([name if os.path.isabs(name) else os.path.join(base, name), None])
        elif line.startswith("duration "):
            out[-1][1] = float(line.split()[1])
    return out


def ffprobe_frames(path, stream="v:0"):
    """Frames (packets decoded) of PATH's STREAM (an ffprobe specifier)."""
    r = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", stream,
         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path],
        capture_output=True, text=True, timeout=120)
    try:
        return int(r.stdout.strip().split("\n")[0])
    except ValueError:
        fail(f"ffprobe cannot count the frames of {path}: {r.stderr}")


def ffprobe_streams(path):
    r = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "stream=codec_type,codec_name,duration,start_time:format=duration",
         "-of", "json",
         path], capture_output=True, text=True, timeout=120)
    return json.loads(r.stdout)


def ffmpeg_errors(args):
    """Lines ffmpeg prints at level error while decoding ARGS to null.
    Frames keep their own timestamps (live input has jitter: 80-100 ms
    steps at 10 fps, under a sanitizer; ffmpeg's default 1/fps output time
    base would round two of them to one tick and report the rounding as
    non-monotonous DTS)."""
    r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error"] + args +
                       ["-fps_mode", "passthrough", "-enc_time_base", "-1",
                        "-f", "null", "-"], capture_output=True, text=True,
                       timeout=300)
    return [l for l in r.stderr.splitlines() if l.strip()]


def median_interval(times):
    """The median of the intervals between sorted TIMES (0 for fewer than
    two)."""
    gaps = sorted(b - a for a, b in zip(times, times[1:]))
    return gaps[len(gaps) // 2] if gaps else 0.0


def covered(intervals, a, b):
    """[a, b] lies inside the union of the intervals."""
    t = a
    for s, e in sorted(intervals):
        if s <= t + 1e-6 and e > t:
            t = e
        if t >= b:
            return True
    return t >= b


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def need_rtsp_server():
    if not RTSP_SERVER or not os.access(RTSP_SERVER, os.X_OK):
        skip("the RTSP test server is not built (needs "
             "libgstrtspserver-1.0-dev, scripts/setup.sh)")


def start_rtsp_server(port, epoch, tmp, n, extra=()):
    """Starts tests/helpers/prune-rtsp-server (EXTRA: more options); waits
    for its 'ready' line (retries while the port is still held by a killed
    one)."""
    env = dict(os.environ)
    env.setdefault("GST_DEBUG", "2,rtspclient:4,rtspmedia:4")
    env["GST_DEBUG_NO_COLOR"] = "1"
    for attempt in range(10):
        log = open(os.path.join(tmp, f"server{n}.{attempt}.log"), "w")
        p = subprocess.Popen([RTSP_SERVER, "--port", str(port), "--epoch",
                              repr(epoch)] + list(extra),
                             stdout=subprocess.PIPE, stderr=log, text=True,
                             env=env)
        line = p.stdout.readline()
        if line.startswith("ready "):
            on_failure(lambda: print_log_tail(
                log.name, "the RTSP server", 20,
                keep=("received a request", "media position", " WARN ",
                      " ERROR ")))
            return p
        p.wait(timeout=10)
        time.sleep(0.5)
    fail("the RTSP test server does not start")


def rtsp_camera(scene_time=0.0, extra=()):
    """The RTSP test camera for a gst-prune test (skips without it or
    ffmpeg), its scene at SCENE_TIME now: (tmp dir, port, uri, epoch,
    server)."""
    need_tools("ffmpeg", "ffprobe")
    need_rtsp_server()
    tmp = tmpdir()
    port = free_port()
    epoch = time.time() - scene_time
    server = start_rtsp_server(port, epoch, tmp, 1, extra)
    return tmp, port, f"rtsp://127.0.0.1:{port}/cam", epoch, server


def stop_rtsp_server(server):
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def wait_until(t):
    """Sleeps until the wall clock reads T (unix seconds)."""
    d = t - time.time()
    if d > 0:
        time.sleep(d)


# what a live run logs (GST_DEBUG) to a file: how the input connects and
# its streams appear, and what the elements decide
LIVE_DEBUG = ("2,rtspsrc:4,uridecodebin:4,decodebin:4,udpsrc:4,gst-prune:5,"
              "staticgate:4,segmentsink:4,beatdetect:4")


def print_log_tail(path, what, lines=120, keep=None):
    """The last LINES lines of the file PATH, then (last, as a log viewer
    may show only the end of the output) its lines that contain one of
    the strings KEEP (the last 200), headed by WHAT."""
    if not os.path.exists(path):
        return
    with open(path, errors="replace") as f:
        text = f.readlines()
    tail = text[-lines:]
    print(f"--- {what}: the last {len(tail)} lines of {path}")
    print("".join(tail), end="")
    if keep:
        picked = [ln for ln in text if any(k in ln for k in keep)][-200:]
        print(f"--- {what}: lines with {', '.join(keep)}")
        print("".join(picked), end="")
    print(f"--- end of {what}", flush=True)


def report_summary(rep):
    """What a live run's report says about its course, on one line (run
    time in seconds): for a failure message."""
    def r(x):
        return round(x, 2)
    return (f"frames {rep['frames']}, input {r(rep['input-duration'])} s, "
            f"kept {[[r(a), r(b)] for a, b in rep['kept']]}, files "
            f"{[(r(s['start']), r(s['duration']), s['reason']) for s in rep['segments']]}, "
            f"reconnects {[(r(c['at']), c['reason']) for c in rep['reconnects']]}")


class LiveRun:
    """gst-prune ARGS as a background process (a live input), its output
    in files under TMP; interrupt() ends it as Ctrl-C does. A live run
    cannot be repeated exactly: it logs (LIVE_DEBUG, unless GST_DEBUG is
    set), and a failing check prints the log's end."""

    def __init__(self, args, tmp):
        self.out = open(os.path.join(tmp, "prune.out"), "w+")
        self.err = open(os.path.join(tmp, "prune.err"), "w+")
        env = dict(os.environ)
        self.log = None
        if "GST_DEBUG" not in env:
            self.log = os.path.join(tmp, "prune.log")
            env.update(GST_DEBUG=LIVE_DEBUG, GST_DEBUG_NO_COLOR="1",
                       GST_DEBUG_FILE=self.log)
            on_failure(lambda: print_log_tail(
                self.log, "gst-prune's log", 60,
                keep=(" gst-prune ", " rtspsrc ", " staticgate ",
                      " segmentsink ", " ERROR ")), last=True)
        self.proc = subprocess.Popen([TOOL] + args, stdout=self.out,
                                     stderr=self.err, text=True, env=env)
        self.status = None

    def interrupt(self):
        if self.proc.poll() is not None:  # say why it ended
            print(f"gst-prune ended by itself with status {self.proc.returncode}")
            self.output()
        check(self.proc.poll() is None, "gst-prune still runs before the SIGINT")
        self.proc.send_signal(signal.SIGINT)
        self.status = self.proc.wait(timeout=120)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()

    def output(self):
        """(stdout, stderr), printed; fails on leaked objects."""
        self.out.seek(0)
        self.err.seek(0)
        stdout, stderr = self.out.read(), self.err.read()
        print(stdout)
        print(stderr)
        no_leaks(stderr, "gst-prune")
        return stdout, stderr
