#!/usr/bin/python3
# gst-prune on a file with audio: 20 s of the "test" scene (320x180, one
# person at 8-14 s) with a metronome track (audiotestsrc wave=ticks, one
# tick a second; generated as S16: in float the 1.22 generator leaves one
# sample of some ticks unset, which can send avenc_aac into an endless loop)
# muxed into MP4 by gst-launch-1.0. Checks:
#   - the kept segment files hold video and AAC audio, and in each the
#     audio lasts as long as the video (within 0.1 s): audio kept in sync;
#   - with --beats 2 the ticks are found (prune-beat) and files are cut on
#     beats inside the kept stretch (list reasons "beats" in the report),
#     each file cut by a beat holding two beats, and every one after the
#     first ending on the frame nearest to its second (the video waits
#     before the encoder until the audio's beats are known; the encoder
#     is asked for the keyframe),
#     the first sound taken as a beat (report: "start-is-beat": true);
#   - --mode mark: each file's audio starts with its video (pre-rolled);
#   - --container ts with --merge: the joined file has every video and
#     audio frame of the list;
#   - --no-audio leaves the audio out;
#   - a stretch, then ten minutes of a static scene (PCM audio, made by
#     ffmpeg): the job ends within 2 minutes, its file's audio ends with
#     the video. The encoder keeps the gate's stretch end (in stream order)
#     until its next frame, so segmentsink learns of it out of band; before
#     that the audio waited in the sink for as long as the gate stayed
#     closed and piled up upstream: this job hung, and on a live camera
#     memory grew by 180 KB/s.
import json
import os
import subprocess

import clilib as lib
from testlib import BEAT_CUT_TOLERANCE
check, fail, run = lib.check, lib.fail, lib.run


def make_input(tmp):
    scene = os.path.join(os.environ["PRUNE_BUILD_ROOT"], "tools", "prune-scene",
                         "prune-scene")
    if not os.access(scene, os.X_OK):
        lib.skip("prune-scene is not built")
    path = os.path.join(tmp, "in.mp4")
    args = ["--preset", "test", "--seconds", "20", "--width", "320",
            "--height", "180"]
    caps = subprocess.run([scene] + args + ["--info"], capture_output=True,
                          text=True, check=True).stdout.strip()
    frames = subprocess.Popen([scene] + args, stdout=subprocess.PIPE)
    env = dict(os.environ)
    if os.environ.get("PRUNE_SANITIZER_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["PRUNE_SANITIZER_PRELOAD"]
    launch = subprocess.run(
        ["gst-launch-1.0", "-q", "-e", "fdsrc", "!", caps, "!",
         "rawvideoparse", "use-sink-caps=true", "!", "videoconvert", "!",
         "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "!",
         "h264parse", "!", "mp4mux", "name=m", "!", "filesink",
         f"location={path}", "audiotestsrc", "wave=ticks", "num-buffers=861",
         "samplesperbuffer=1024", "!", "audio/x-raw,format=S16LE,rate=44100,channels=1",
         "!", "audioconvert", "!", "avenc_aac", "!", "aacparse", "!", "m."],
        stdin=frames.stdout, capture_output=True, text=True, env=env,
        timeout=300)
    frames.stdout.close()
    frames.wait()
    if launch.returncode != 0:
        fail(f"cannot make the input: {launch.stderr}")
    return path


def durations(path):
    info = lib.ffprobe_streams(path)
    d = {}
    for s in info["streams"]:
        if "duration" in s:
            d[s["codec_type"]] = float(s["duration"])
    return d


def main():
    lib.need_tools("ffmpeg", "ffprobe", "gst-launch-1.0")
    tmp = lib.tmpdir()
    src = make_input(tmp)

    out = os.path.join(tmp, "av")
    run([src, "-o", out], expect=0)
    entries = lib.read_list(os.path.join(out, "list.ffconcat"))
    check(len(entries) >= 1, f"{len(entries)} file(s) kept")
    for path, _ in entries:
        d = durations(path)
        check("video" in d and "audio" in d,
              f"{os.path.basename(path)} has video and audio: {d}")
        check(abs(d["audio"] - d["video"]) <= 0.1,
              f"{os.path.basename(path)}: audio {d['audio']:.3f} s for "
              f"video {d['video']:.3f} s")
        check(lib.ffmpeg_errors(["-i", path]) == [],
              f"{os.path.basename(path)} decodes without errors")

    # mark mode: the file starts up to --pre-roll before the motion, from
    # segmentsink's ring of encoded video; the audio of that pre-roll comes
    # from its own ring, so it starts with the video (within an AAC frame)
    out = os.path.join(tmp, "mark")
    run([src, "-o", out, "--mode", "mark"], expect=0)
    entries = lib.read_list(os.path.join(out, "list.ffconcat"))
    check(len(entries) >= 1, f"--mode mark: {len(entries)} file(s) kept")
    for path, _ in entries:
        starts = {st["codec_type"]: float(st["start_time"])
                  for st in lib.ffprobe_streams(path)["streams"]
                  if "start_time" in st}
        check("audio" in starts and "video" in starts and
              abs(starts["audio"] - starts["video"]) <= 0.05,
              f"--mode mark: {os.path.basename(path)}: audio from "
              f"{starts.get('audio')} s, video from {starts.get('video')} s")

    out = os.path.join(tmp, "beats")
    run([src, "-o", out, "--beats", "2"], expect=0)
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    check(rep["beats-total"] >= 10,
          f"{rep['beats-total']} beats found in 20 s of one tick a second")
    reasons = [s["reason"] for s in rep["segments"]]
    check("beats" in reasons, f"files cut on beats: {reasons}")
    # every file a beat cut holds two beats and ends on the frame nearest
    # to the second (10 fps: within 0.05 s). Before the beats reached
    # segmentsink ahead of the audio, every cut came 0.2-0.3 s after its
    # beat; before the gate's stretch start did too, the first could (its
    # keyframe was asked for when the file opened, after a 2 s stall of
    # the video waiting for audio that waited in the sink: +0.211 s once
    # in CI).
    cut = [s for s in rep["segments"] if s["reason"] == "beats"]
    for seg in cut:
        end = seg["start"] + seg["duration"]
        # (a beat within half a frame of a cut is the file's that it ends)
        tol = BEAT_CUT_TOLERANCE
        inside = [b for b in rep["beats"]
                  if seg["start"] + tol < b <= end + tol]
        check(len(inside) == 2 and abs(end - inside[-1]) <= tol,
              f"the file {seg['start']:.2f}-{end:.2f} s holds the beats "
              f"{inside}" + (f", cut {end - inside[-1]:+.3f} s from the last"
                             if inside else ""))
    check(rep["settings"].get("start-is-beat") is True,
          "a file starts with its audio: start-is-beat true in the report")

    # MPEG-TS with audio, merged (--merge reads each file through queues:
    # one demuxer thread feeds both streams)
    out, merged = os.path.join(tmp, "ts"), os.path.join(tmp, "merged.ts")
    run([src, "-o", out, "--container", "ts", "--segment-time", "2",
         "--merge", merged], expect=0)
    files = [f for f, _ in lib.read_list(os.path.join(out, "list.ffconcat"))]
    for kind in ("v:0", "a:0"):
        want = sum(lib.ffprobe_frames(f, kind) for f in files)
        got = lib.ffprobe_frames(merged, kind)
        check(got == want > 0, f"--merge of {len(files)} MPEG-TS files: "
              f"{got} frames of {want} in stream {kind}")

    still = os.path.join(tmp, "still.mkv")
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=3",
         "-f", "lavfi", "-i", "color=c=gray:s=64x48:r=10:d=600",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050:d=603",
         "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]",
         "-map", "[v]", "-map", "2:a", "-c:v", "libx264", "-preset",
         "ultrafast", "-g", "10", "-c:a", "pcm_s16le", still],
        check=True, timeout=300)
    out = os.path.join(tmp, "still")
    try:
        run([still, "-o", out], expect=0, timeout=120)
    except subprocess.TimeoutExpired:
        fail("a stretch then 10 min static: gst-prune did not end in 2 min")
    entries = lib.read_list(os.path.join(out, "list.ffconcat"))
    check(len(entries) == 1, f"a stretch then 10 min static: {len(entries)} "
          "file(s) kept")
    d = durations(entries[0][0])
    check("audio" in d and abs(d["audio"] - d["video"]) <= 0.1,
          f"a stretch then 10 min static: audio and video of the file {d}")

    out = os.path.join(tmp, "mute")
    run([src, "-o", out, "--no-audio"], expect=0)
    for path, _ in lib.read_list(os.path.join(out, "list.ffconcat")):
        check("audio" not in durations(path),
              f"--no-audio: {os.path.basename(path)} has no audio")
    print("ok: audio kept in sync (drop and mark mode), beats, --no-audio")


main()
