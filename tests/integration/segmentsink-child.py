#!/usr/bin/python3
# gst-prune: child process of tests/integration/segmentsink.py.
#
# Runs one pipeline (gst-launch syntax) to its end and reports on stdout,
# one JSON object a line: every prune-* element message ({"message": NAME,
# FIELD: VALUE...}), an error ({"error": TEXT, "debug": TEXT, "src": NAME})
# and the end ({"eos": "pipeline"} or, when only segmentsink's own EOS came,
# {"eos": "segmentsink"}). Exit status: 0 EOS, 1 error, 3 timeout.
#
# Options:
#   --fsize BYTES       RLIMIT_FSIZE for this process (SIGXFSZ ignored, so a
#                       write past it fails with EFBIG: a "disk full" that
#                       hits the growing segment, not the small list)
#   --set-after N ELEMENT PROPERTY VALUE
#                       after N buffers left ELEMENT's src pad, set PROPERTY
#   --timeout SECONDS   give up (exit 3)
#   --stop-after SECONDS
#                       stop the PLAYING pipeline after SECONDS (state NULL
#                       without EOS), report {"stopped": SECONDS_IT_TOOK},
#                       exit 0
#
# Usage: segmentsink-child.py [OPTIONS] PIPELINE
import argparse
import json
import resource
import signal
import sys
import time

from testlib import reexec_with_sanitizer

reexec_with_sanitizer()

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fields(s):
    d = {}
    for i in range(s.n_fields()):
        name = s.nth_field_name(i)
        v = s.get_value(name)
        d[name] = v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fsize", type=int, default=0)
    ap.add_argument("--set-after", nargs=4, metavar=("N", "ELEMENT", "PROPERTY", "VALUE"))
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--stop-after", type=float, default=0)
    ap.add_argument("pipeline")
    a = ap.parse_args()
    if a.fsize:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.setrlimit(resource.RLIMIT_FSIZE, (a.fsize, hard))
    Gst.init(None)
    pipeline = Gst.parse_launch(a.pipeline)
    pipeline.set_property("message-forward", True)
    if a.set_after:
        n, name, prop, value = a.set_after
        n = int(n)
        element = pipeline.get_by_name(name)
        count = [0]

        def probe(pad, info):
            count[0] += 1
            if count[0] == n:
                Gst.util_set_object_arg(element, prop, value)
            return Gst.PadProbeReturn.OK

        element.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, probe)
    bus = pipeline.get_bus()
    status = 3
    pipeline.set_state(Gst.State.PLAYING)
    deadline = time.monotonic() + a.timeout
    stop_at = time.monotonic() + a.stop_after if a.stop_after else None
    sink_eos = None
    while True:
        msg = bus.timed_pop(100 * Gst.MSECOND)
        now = time.monotonic()
        if stop_at is not None and now >= stop_at:
            status = 0
            break
        if msg is None:
            if sink_eos is not None and now - sink_eos > 3:
                out({"eos": "segmentsink"})
                status = 0
                break
            if now > deadline:
                out({"timeout": a.timeout})
                break
            continue
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            out({"error": err.message, "debug": debug or "",
                 "src": msg.src.get_name() if msg.src else ""})
            status = 1
            break
        if msg.type == Gst.MessageType.EOS:
            out({"eos": "pipeline"})
            status = 0
            break
        if msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            if s.get_name() == "GstBinForwarded":
                inner = s.get_value("message")
                if inner.type == Gst.MessageType.EOS:
                    sink_eos = now
            elif s.get_name().startswith("prune-"):
                d = fields(s)
                d["message"] = s.get_name()
                out(d)
    # READY first: the sink finishes what it can on the way down, and the
    # bus keeps those messages (it drops everything on the way to NULL)
    t0 = time.monotonic()
    pipeline.set_state(Gst.State.READY)
    if stop_at is not None:
        out({"stopped": time.monotonic() - t0})
    while True:
        msg = bus.pop_filtered(Gst.MessageType.ELEMENT)
        if msg is None:
            break
        s = msg.get_structure()
        if s.get_name().startswith("prune-"):
            d = fields(s)
            d["message"] = s.get_name()
            out(d)
    pipeline.set_state(Gst.State.NULL)
    sys.exit(status)


if __name__ == "__main__":
    main()
