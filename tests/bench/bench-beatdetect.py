#!/usr/bin/python3
# gst-prune: speed and peak memory of beatdetect, beside aubiotrack.
#
# Speed: a music-like 44.1 kHz stereo S16LE WAV (kick, snare, hi-hats, bass
# and chords at 126 BPM; or --input FILE) goes through
#   gst-launch-1.0 filesrc ! wavparse ! audioconvert ! [CAPS !] beatdetect ! fakesink
# and the same pipeline without beatdetect, each pinned to one core
# (taskset -c CPU), one process per run; the CPU time (user + system) of
# each process, the least of --repeat runs, gives the real-time factor of
# the whole pipeline and, from the difference, of the element alone.
# `aubiotrack -i FILE` runs on the same file in the same way as the anchor.
# Rows for S16LE (the WAV's own format) and F32LE (audioconvert in the
# baseline too). Target (../shared/EVAL.md): >= 1,000x real time.
#
# Memory: the pipeline's peak RSS (ru_maxrss of the gst-launch process, the
# least of --repeat runs) for --short and --long minutes of the looped music
# (multifilesrc loop=true ! rawaudioparse) without beatdetect, through
# beatdetect writing only a beats file, and with messages and events too;
# memory must not grow with the length (< 0.5 MB; < 3 MB with messages,
# whose backlog on gst-launch's bus varies from run to run).
#
# Usage: bench-beatdetect.py [--build DIR] [--minutes M] [--input WAV]
#          [--repeat N] [--cpu C] [--short M] [--long M] [--no-speed]
#          [--no-rss] [--no-anchor]
# Exit: 0 measured and within the targets, 1 a target missed or a run
# failed, 77 skipped (no beatdetect in the build, no gst-launch-1.0).
import argparse
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

RATE = 44100
MB = 1024 * 1024


def synth_pattern(bpm=126.0, bars=4, seed=7):
    """Four bars of a drum-and-bass-and-chords loop, as interleaved stereo
    S16LE bytes (pure Python, deterministic)."""
    rng = random.Random(seed)
    beat = 60.0 / bpm
    n = int(round(bars * 4 * beat * RATE))
    left = [0.0] * n
    right = [0.0] * n

    def add(start, length, fn, pan=0.0):
        s0 = int(start * RATE)
        gl, gr = 1.0 - max(pan, 0.0), 1.0 + min(pan, 0.0)
        for i in range(min(length, n - s0)):
            v = fn(i)
            left[s0 + i] += gl * v
            right[s0 + i] += gr * v

    def kick(i):
        t = i / RATE
        return 0.9 * math.exp(-t * 18) * math.sin(2 * math.pi * (45 * t + 60 * (1 - math.exp(-t * 30)) / 30))

    def snare(i):
        t = i / RATE
        return math.exp(-t * 25) * (0.45 * rng.uniform(-1, 1) + 0.3 * math.sin(2 * math.pi * 185 * t))

    def hat(i):
        return 0.18 * math.exp(-i / RATE * 90) * rng.uniform(-1, 1)

    roots = [55.0, 55.0 * 2 ** (8 / 12), 55.0 * 2 ** (3 / 12), 55.0 * 2 ** (10 / 12)]
    for bar in range(bars):
        root = roots[bar % len(roots)]
        for b in range(4):
            t0 = (bar * 4 + b) * beat
            add(t0, int(0.35 * RATE), kick)
            if b % 2 == 1:
                add(t0, int(0.25 * RATE), snare, pan=0.1)
            for half in (0.0, 0.5):
                add(t0 + half * beat, int(0.06 * RATE), hat, pan=-0.4 if half else 0.4)
            f = root * (2 if b == 2 else 1)
            add(t0, int(0.9 * beat * RATE),
                lambda i, f=f: 0.25 * math.exp(-i / RATE * 3) *
                (math.sin(2 * math.pi * f * i / RATE) + 0.3 * math.sin(4 * math.pi * f * i / RATE)))
        chord = [root * 4, root * 4 * 2 ** (4 / 12), root * 4 * 2 ** (7 / 12)]
        add(bar * 4 * beat, int(4 * beat * RATE),
            lambda i, c=chord: 0.05 * sum(math.sin(2 * math.pi * f * i / RATE) for f in c)
            * min(1.0, i / 2000), pan=0.2)
    out = bytearray(4 * n)
    for i in range(n):
        a = max(-32767, min(32767, int(left[i] * 20000)))
        b = max(-32767, min(32767, int(right[i] * 20000)))
        struct.pack_into("<hh", out, 4 * i, a, b)
    return bytes(out)


def write_wav(path, pcm, minutes):
    frames = len(pcm) // 4
    loops = math.ceil(minutes * 60 * RATE / frames)
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        for _ in range(loops):
            w.writeframes(pcm)
    return loops * frames / RATE


def wav_seconds(path):
    r = subprocess.run(["gst-discoverer-1.0", path], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.strip().startswith("Duration:"):
            h, m, s = line.split()[-1].split(":")
            return int(h) * 3600 + int(m) * 60 + float(s)
    with wave.open(path, "rb") as w:
        return w.getnframes() / w.getframerate()


# Runs a command from a fresh, small interpreter and prints its rusage: a
# process's peak RSS includes the RSS of the process that forked it (here
# the generator's big Python heap), so the fork must come from a small one
# (whose RSS at the fork is the floor of what can be measured).
LAUNCHER = """import os, sys
own = [l for l in open("/proc/self/status") if l.startswith("VmRSS:")][0].split()[1]
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), ru.ru_utime + ru.ru_stime, ru.ru_maxrss, own)
"""


def run(argv, env, cpu):
    """CPU seconds (user + system) and peak RSS bytes of one process."""
    launch = ["/usr/bin/python3", "-I", "-S", "-c", LAUNCHER] + argv
    if cpu is not None and shutil.which("taskset"):
        launch = ["taskset", "-c", str(cpu)] + launch
    r = subprocess.run(launch, env=env, capture_output=True, text=True)
    fields = r.stdout.split()
    if r.returncode != 0 or len(fields) != 4 or fields[0] != "0":
        sys.exit(f"failed: {' '.join(argv)}\n{r.stderr}")
    cpu_s, maxrss, floor = float(fields[1]), int(fields[2]), int(fields[3])
    if maxrss <= floor:
        sys.exit(f"peak RSS of {argv[0]} not above the launcher's ({floor} KiB): cannot measure")
    return cpu_s, maxrss * 1024


def best(argv, env, cpu, repeat):
    return min(run(argv, env, cpu)[0] for _ in range(repeat))


def gst(desc):
    return ["gst-launch-1.0", "-q"] + desc.split()


def speed(a, env, path, seconds):
    print(f"== speed: {os.path.basename(path)}, {seconds:.1f} s of audio, "
          f"CPU time (user + system) on core {a.cpu}, least of {a.repeat} runs")
    src = f"filesrc location={path} ! wavparse ! audioconvert"
    rows = []
    for fmt in ("S16LE", "F32LE"):
        caps = f" ! audio/x-raw,format={fmt}"
        base = best(gst(src + caps + " ! fakesink"), env, a.cpu, a.repeat)
        full = best(gst(src + caps + " ! beatdetect ! fakesink"), env, a.cpu, a.repeat)
        rows.append((fmt, base, full))
    aubio = best(["aubiotrack", "-i", path], env, a.cpu, a.repeat) if a.anchor else None

    def rt(t):
        return seconds / t if t > 0 else float("inf")

    print(f"{'run':44} {'CPU s':>8} {'x real time':>12}")
    ok = True
    for fmt, base, full in rows:
        own = max(full - base, 1e-9)
        print(f"{'pipeline without beatdetect, ' + fmt:44} {base:8.3f} {rt(base):12.0f}")
        print(f"{'pipeline with beatdetect, ' + fmt:44} {full:8.3f} {rt(full):12.0f}")
        print(f"{'beatdetect alone (difference), ' + fmt:44} {own:8.3f} {rt(own):12.0f}")
        ok &= rt(own) >= 1000
    if aubio is not None:
        print(f"{'aubiotrack -i FILE':44} {aubio:8.3f} {rt(aubio):12.0f}")
        for fmt, base, full in rows:
            print(f"ratio {fmt}: beatdetect alone {aubio / (full - base):.2f}x aubiotrack's speed, "
                  f"whole pipeline {aubio / full:.2f}x")
    for fmt, base, full in rows:
        print(f"{'PASS' if rt(full - base) >= 1000 else 'FAIL'} beatdetect alone, {fmt}: "
              f"{rt(full - base):.0f}x >= 1000x real time")
    return ok


def rss(a, env, pattern, work):
    raw = os.path.join(work, "loop.raw")
    with open(raw, "wb") as f:
        f.write(pattern)
    loop_s = len(pattern) / 4 / RATE
    beats = os.path.join(work, "beats.txt")
    print(f"\n== peak RSS: the {loop_s:.2f} s loop repeated (multifilesrc loop=true), "
          f"44.1 kHz stereo S16LE, one process per run, least of {a.repeat} runs")
    src = (f"multifilesrc location={raw} loop=true num-buffers={{n}} ! "
           f"rawaudioparse use-sink-caps=false format=pcm pcm-format=s16le "
           f"sample-rate={RATE} num-channels=2 ! audioconvert")
    # Messages wait on gst-launch's bus until its main loop takes them: how
    # many wait at the peak depends on scheduling, not on the length (runs
    # of the same length differ by up to 2.5 MB on a busy machine), hence
    # the strict bound on the row without them and a loose one with them.
    cases = [("without beatdetect", " ! fakesink", None),
             ("beatdetect, beats file only",
              f" ! beatdetect post-messages=false send-events=false "
              f"beats-location={beats} ! fakesink", 0.5 * MB),
             ("beatdetect, messages, events, beats file",
              f" ! beatdetect beats-location={beats} ! fakesink", 3 * MB)]
    res, top = {}, {}
    for minutes in (a.short, a.long):
        n = math.ceil(minutes * 60 / loop_s)
        for name, tail, _ in cases:
            runs = [run(gst(src.format(n=n) + tail), env, a.cpu)[1] for _ in range(a.repeat)]
            res[name, minutes], top[name, minutes] = min(runs), max(runs)
    print(f"{'pipeline':44} {f'{a.short:g} min MB':>10} {f'{a.long:g} min MB':>10} "
          f"{'growth MB':>10} {'ratio':>7} {'bound MB':>9}  (most of any run: short, long)")
    ok = True
    for name, _, bound in cases:
        s, l = res[name, a.short], res[name, a.long]
        good = bound is None or l - s < bound
        ok &= good
        print(f"{name:44} {s / MB:10.2f} {l / MB:10.2f} {(l - s) / MB:10.2f} {l / s:7.3f} "
              f"{'' if bound is None else f'{bound / MB:9.1f}':>9}  "
              f"({top[name, a.short] / MB:.2f}, {top[name, a.long] / MB:.2f}) "
              f"{'' if good else 'GREW'}")
    with open(beats) as f:
        count = sum(1 for _ in f)
    base = cases[0][0]
    for name, _, bound in cases[1:]:
        print(f"{name}: {(res[name, a.short] - res[base, a.short]) / MB:.2f} MB over the "
              f"pipeline without it at {a.short:g} min, "
              f"{(res[name, a.long] - res[base, a.long]) / MB:.2f} MB at {a.long:g} min")
    print(f"({count} beats written in the last {a.long:g} min run)")
    print(f"{'PASS' if ok else 'FAIL'} peak RSS flat from {a.short:g} to {a.long:g} min")
    return ok


def main():
    ap = argparse.ArgumentParser(description="speed and peak memory of beatdetect")
    ap.add_argument("--build", default="build")
    ap.add_argument("--minutes", type=float, default=10, help="length of the speed file")
    ap.add_argument("--input", help="WAV file for the speed runs instead of the generated one")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--short", type=float, default=1)
    ap.add_argument("--long", type=float, default=60)
    ap.add_argument("--no-speed", dest="speed", action="store_false")
    ap.add_argument("--no-rss", dest="rss", action="store_false")
    ap.add_argument("--no-anchor", dest="anchor", action="store_false")
    a = ap.parse_args()
    if not shutil.which("gst-launch-1.0"):
        print("SKIP: no gst-launch-1.0")
        return 77
    env = dict(os.environ)
    plugins = os.path.abspath(os.path.join(a.build, "plugins"))
    env["GST_PLUGIN_PATH"] = plugins + (":" + env["GST_PLUGIN_PATH"] if env.get("GST_PLUGIN_PATH") else "")
    if env.get("GST_PLUGIN_PATH_1_0"):
        env["GST_PLUGIN_PATH_1_0"] = plugins + ":" + env["GST_PLUGIN_PATH_1_0"]
    if subprocess.run(["gst-inspect-1.0", "beatdetect"], env=env,
                      capture_output=True).returncode != 0:
        print(f"SKIP: no beatdetect element in {plugins}")
        return 77
    if a.anchor and not shutil.which("aubiotrack"):
        print("no aubiotrack (scripts/setup.sh --eval installs aubio-tools): no anchor")
        a.anchor = False
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-beatdetect-") as work:
        pattern = synth_pattern()
        if a.speed:
            if a.input:
                path, seconds = os.path.abspath(a.input), wav_seconds(a.input)
            else:
                path = os.path.join(work, "music.wav")
                seconds = write_wav(path, pattern, a.minutes)
            ok &= speed(a, env, path, seconds)
        if a.rss:
            ok &= rss(a, env, pattern, work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
