#!/usr/bin/python3
# gst-prune: embedding the prune elements in a Python application (PyGObject,
# Debian package python3-gst-1.0).
#
# A synthetic camera (videotestsrc: a black room where a ball moves for 3 s
# of every 12 s) goes through staticgate, which drops what does not move,
# and x264enc into segmentsink, one MP4 file per kept stretch; a click track
# at 120 bpm goes through beatdetect and an AAC encoder into the same files.
# The application reacts to the elements' messages (prune-gate, prune-beat,
# prune-segment-closed) and prints what each says.
#
#   prune-example.py [--seconds N] [--fast] OUTDIR
#
# Ctrl-C (SIGINT) or SIGTERM ends the stream: the open file is finished and
# listed before the program exits; a second Ctrl-C quits at once.
# Exit status: 0 done, 1 error (or quit without finishing), 2 usage.
#
# The plugin is found through GST_PLUGIN_PATH (the project's build/plugins,
# or <prefix>/lib/<arch>/gstreamer-1.0 after `meson install`), else in the
# default install folder /usr/local/lib/<arch>/gstreamer-1.0.
import argparse
import os
import signal
import sys
import sysconfig

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import GLib, Gst  # noqa: E402

FPS = 10
AUDIO_RATE = 44100
AUDIO_BUFFERS_PER_SECOND = 100
# The camera: a ball moves from 3 s to 6 s of every 12 s, the picture is
# black (static) otherwise.
CYCLE = 12 * Gst.SECOND
MOTION_START = 3 * Gst.SECOND
MOTION_END = 6 * Gst.SECOND
NEEDED = ("staticgate", "beatdetect", "segmentsink")


def pipeline_description(live, seconds):
    """Video: camera -> staticgate -> H.264 without B-frames
    (tune=zerolatency), so every kept stretch concatenates cleanly ->
    segmentsink's video pad. Audio: a click every 0.5 s -> beatdetect ->
    AAC -> an audio pad. The clicks are made as S16: GStreamer 1.22's tick
    generator leaves one sample of some ticks unset, which in float can be
    any value (FFmpeg's AAC encoder then never returns); in S16 it stays a
    sample in range."""
    video_buffers = seconds * FPS if seconds > 0 else -1
    audio_buffers = seconds * AUDIO_BUFFERS_PER_SECOND if seconds > 0 else -1
    is_live = "true" if live else "false"
    return (
        f"videotestsrc name=camera pattern=black is-live={is_live}"
        f" num-buffers={video_buffers}"
        f" ! video/x-raw,format=I420,width=640,height=360,framerate={FPS}/1"
        " ! staticgate name=gate"
        " ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=20"
        " ! h264parse ! sink.video "
        "audiotestsrc wave=ticks tick-interval=500000000 volume=0.8"
        f" samplesperbuffer={AUDIO_RATE // AUDIO_BUFFERS_PER_SECOND}"
        f" is-live={is_live} num-buffers={audio_buffers}"
        f" ! audio/x-raw,format=S16LE,rate={AUDIO_RATE},channels=1"
        " ! audioconvert"
        " ! beatdetect name=beats ! audioconvert ! avenc_aac ! aacparse"
        " ! sink.audio_0 "
        "segmentsink name=sink split-on-gate=true")


def on_camera_frame(pad, info):
    """Makes the synthetic camera move at times: switches videotestsrc
    between the moving ball and a black picture by the time of the frame it
    just made (the change shows from the next frame on)."""
    buf = info.get_buffer()
    if buf is None or buf.pts == Gst.CLOCK_TIME_NONE:
        return Gst.PadProbeReturn.OK
    phase = (buf.pts + Gst.SECOND // FPS) % CYCLE
    moving = MOTION_START <= phase < MOTION_END
    Gst.util_set_object_arg(pad.get_parent_element(), "pattern",
                            "ball" if moving else "black")
    return Gst.PadProbeReturn.OK


def time_string(t):
    if t == Gst.CLOCK_TIME_NONE:
        return "none"
    return "%d:%02d:%02d.%09d" % (t // (3600 * Gst.SECOND),
                                  t // (60 * Gst.SECOND) % 60,
                                  t // Gst.SECOND % 60, t % Gst.SECOND)


def field(s, getter, name):
    """One field of a prune message; a missing or mistyped field raises
    (names.md lists every field and its type)."""
    ok, value = getattr(s, getter)(name)
    if not ok:
        raise ValueError(f"{s.get_name()}: field '{name}' is missing or "
                         "not of the expected type")
    return value


def text(s, name):
    value = s.get_string(name)
    if value is None:
        raise ValueError(f"{s.get_name()}: field '{name}' is missing or "
                         "not a string")
    return value


class App:
    def __init__(self, pipeline, loop):
        self.pipeline = pipeline
        self.loop = loop
        self.stopping = False
        self.exit_code = 0
        self.counts = {"prune-gate": 0, "prune-beat": 0,
                       "prune-segment-closed": 0}

    # ------------------------------------------------------------ messages

    def on_element(self, _bus, msg):
        s = msg.get_structure()
        name = s.get_name() if s is not None else ""
        try:
            if name == "prune-gate":
                line = self.gate(s)
            elif name == "prune-beat":
                line = self.beat(s)
            elif name == "prune-segment-closed":
                line = self.segment_closed(s)
            else:
                return
        except ValueError as e:
            print(f"bad message: {e}", flush=True)
            return
        self.counts[name] += 1
        print(line, flush=True)

    @staticmethod
    def gate(s):
        state = text(s, "state")
        index = field(s, "get_uint", "index")
        at = time_string(field(s, "get_uint64", "running-time"))
        reason = text(s, "reason")
        if state == "open":
            score = field(s, "get_double", "score")
            return (f"gate open: segment {index} from {at} ({reason}, "
                    f"score {score:.4f})")
        return f"gate closed: segment {index} at {at} ({reason})"

    @staticmethod
    def beat(s):
        index = field(s, "get_uint64", "index")
        at = time_string(field(s, "get_uint64", "running-time"))
        bpm = field(s, "get_double", "bpm")
        confidence = field(s, "get_double", "confidence")
        lock = text(s, "lock-state")
        predicted = ", predicted" if field(s, "get_boolean", "predicted") else ""
        return (f"beat {index} at {at}: {bpm:.1f} bpm, confidence "
                f"{confidence:.2f}, {lock}{predicted}")

    @staticmethod
    def segment_closed(s):
        location = text(s, "location")
        index = field(s, "get_uint", "index")
        start = time_string(field(s, "get_uint64", "running-time"))
        duration = time_string(field(s, "get_uint64", "duration"))
        size = field(s, "get_uint64", "bytes")
        reason = text(s, "reason")
        return (f"segment closed: {location} (index {index}, {duration} long "
                f"from {start}, {size} bytes, {reason})")

    def on_error(self, _bus, msg):
        err, debug = msg.parse_error()
        print(f"prune-example: error from {msg.src.get_name()}: "
              f"{err.message}\n{debug or ''}", file=sys.stderr, flush=True)
        self.exit_code = 1
        self.loop.quit()

    def on_eos(self, _bus, _msg):
        # segmentsink posts EOS after it finished and listed the last file
        print("end of stream: every file is finished and listed", flush=True)
        self.loop.quit()

    # ------------------------------------------------------------- signals

    def on_signal(self):
        """Ctrl-C or SIGTERM: end the stream, so the open file is finished
        and listed (the EOS message then quits); a second one quits at
        once."""
        if not self.stopping:
            self.stopping = True
            print("stopping: finishing the open file (Ctrl-C again to quit "
                  "at once)", flush=True)
            self.pipeline.send_event(Gst.Event.new_eos())
        else:
            print("prune-example: quit without finishing", file=sys.stderr,
                  flush=True)
            self.exit_code = 1
            self.loop.quit()
        return GLib.SOURCE_CONTINUE


def find_plugin():
    if all(Gst.ElementFactory.find(n) for n in NEEDED):
        return True
    arch = sysconfig.get_config_var("MULTIARCH") or ""
    installed = os.path.join("/usr/local/lib", arch, "gstreamer-1.0")
    if os.path.isdir(installed):
        Gst.Registry.get().scan_path(installed)
    if all(Gst.ElementFactory.find(n) for n in NEEDED):
        return True
    print("prune-example: the prune elements (staticgate, beatdetect, "
          "segmentsink) were not found; set GST_PLUGIN_PATH to the project's "
          "build/plugins or to <prefix>/lib/<arch>/gstreamer-1.0",
          file=sys.stderr)
    return False


def main():
    parser = argparse.ArgumentParser(
        description="A synthetic camera and a click track through "
        "staticgate, beatdetect and segmentsink; prints the prune-gate, "
        "prune-beat and prune-segment-closed messages.")
    parser.add_argument("outdir", metavar="OUTDIR")
    parser.add_argument("-s", "--seconds", type=int, default=0,
                        help="stop after this many seconds of stream "
                        "(default: run until Ctrl-C)")
    parser.add_argument("-f", "--fast", action="store_true",
                        help="run as fast as possible instead of at the "
                        "camera's pace")
    args = parser.parse_args()
    if args.seconds < 0:
        parser.error("--seconds must be >= 0")

    Gst.init(None)
    if not find_plugin():
        return 1
    os.makedirs(args.outdir, exist_ok=True)
    live = not args.fast
    try:
        pipeline = Gst.parse_launch(pipeline_description(live, args.seconds))
    except GLib.Error as e:
        print(f"prune-example: {e.message}", file=sys.stderr)
        return 1
    sink = pipeline.get_by_name("sink")
    playlist = os.path.join(args.outdir, "list.ffconcat")
    sink.set_property("location", os.path.join(args.outdir, "seg%05d.mp4"))
    sink.set_property("playlist-location", playlist)
    camera = pipeline.get_by_name("camera")
    camera.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER,
                                           on_camera_frame)

    loop = GLib.MainLoop()
    app = App(pipeline, loop)
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message::element", app.on_element)
    bus.connect("message::error", app.on_error)
    bus.connect("message::eos", app.on_eos)
    signal_sources = [GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum,
                                           app.on_signal)
                      for signum in (signal.SIGINT, signal.SIGTERM)]

    print(f"prune-example: {'live' if live else 'unpaced'} camera and click "
          f"track -> {args.outdir}"
          f"{'' if args.seconds > 0 else ' (Ctrl-C to stop)'}", flush=True)
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        app.exit_code = 1  # the error message on the bus says why
    else:
        loop.run()
    pipeline.set_state(Gst.State.NULL)
    # messages posted before the state change that were not dispatched
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass
    for source in signal_sources:
        GLib.source_remove(source)
    bus.remove_signal_watch()
    c = app.counts
    print(f"prune-example: {c['prune-gate']} prune-gate, {c['prune-beat']} "
          f"prune-beat, {c['prune-segment-closed']} prune-segment-closed "
          f"messages; list: {playlist}", flush=True)
    return app.exit_code


if __name__ == "__main__":
    sys.exit(main())
