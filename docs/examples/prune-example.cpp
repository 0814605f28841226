/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * prune-example: embedding the prune elements in a C++ application.
 *
 * A synthetic camera (videotestsrc: a black room where a ball moves for
 * 3 s of every 12 s) goes through staticgate, which drops what does not
 * move, and x264enc into segmentsink, one MP4 file per kept stretch; a
 * click track at 120 bpm goes through beatdetect and an AAC encoder into
 * the same files. The application reacts to the elements' messages
 * (prune-gate, prune-beat, prune-segment-closed) and prints what each says.
 *
 *   prune-example [--seconds N] [--fast] OUTDIR
 *
 * Ctrl-C (SIGINT) or SIGTERM ends the stream: the open file is finished
 * and listed before the program exits; a second Ctrl-C quits at once.
 * Exit status: 0 done, 1 error (or quit without finishing), 2 usage.
 *
 * Build outside the project (after `meson install`):
 *   g++ -std=c++20 prune-example.cpp -o prune-example \
 *       $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-prune-1.0)
 */
#include <gst/prune/names.h>

#include <glib-unix.h>
#include <gst/gst.h>

#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

/* ---------------------------------------------------------------------- */
/* Ownership: every reference this program takes is held by one of these. */

struct ObjectUnref {
  void operator() (gpointer object) const { gst_object_unref (object); }
};
struct MainLoopUnref {
  void operator() (GMainLoop *loop) const { g_main_loop_unref (loop); }
};
struct ErrorFree {
  void operator() (GError *error) const { g_error_free (error); }
};
struct CharFree {
  void operator() (gchar *s) const { g_free (s); }
};

template<typename T>
using ObjectPtr = std::unique_ptr<T, ObjectUnref>;
using MainLoopPtr = std::unique_ptr<GMainLoop, MainLoopUnref>;
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;
using CharPtr = std::unique_ptr<gchar, CharFree>;

/* A GSource attached to the default main context, removed when it goes. */
class SourceGuard {
public:
  explicit SourceGuard (guint id) : id_ (id) {}
  ~SourceGuard ()
  {
    if (id_ != 0)
      g_source_remove (id_);
  }
  SourceGuard (const SourceGuard &) = delete;
  SourceGuard &operator= (const SourceGuard &) = delete;

private:
  guint id_;
};

/* The bus watch of a pipeline, removed when it goes. */
class BusWatch {
public:
  BusWatch (GstBus *bus, GstBusFunc func, gpointer data)
      : bus_ (GST_BUS (gst_object_ref (bus)))
  {
    gst_bus_add_watch (bus_.get (), func, data);
  }
  ~BusWatch () { gst_bus_remove_watch (bus_.get ()); }
  BusWatch (const BusWatch &) = delete;
  BusWatch &operator= (const BusWatch &) = delete;

private:
  ObjectPtr<GstBus> bus_;
};

/* ---------------------------------------------------------------------- */
/* The pipeline                                                            */

constexpr int kFps = 10;
constexpr int kAudioRate = 44100;
constexpr int kAudioBuffersPerSecond = 100;
/* The camera: a ball moves from 3 s to 6 s of every 12 s, the picture is
 * black (static) otherwise. */
constexpr GstClockTime kCycle = 12 * GST_SECOND;
constexpr GstClockTime kMotionStart = 3 * GST_SECOND;
constexpr GstClockTime kMotionEnd = 6 * GST_SECOND;

/* Video: camera -> staticgate -> H.264 without B-frames (tune=zerolatency),
 * so that every kept stretch concatenates cleanly -> segmentsink's video
 * pad. Audio: a click every 0.5 s -> beatdetect -> AAC -> an audio pad.
 * The clicks are made as S16: GStreamer 1.22's tick generator leaves one
 * sample of some ticks unset, which in float can be any value (FFmpeg's
 * AAC encoder then never returns); in S16 it stays a sample in range. */
std::string
pipeline_description (bool live, int seconds)
{
  const int video_buffers = seconds > 0 ? seconds * kFps : -1;
  const int audio_buffers = seconds > 0 ? seconds * kAudioBuffersPerSecond : -1;
  const char *is_live = live ? "true" : "false";
  return std::string ("videotestsrc name=camera pattern=black is-live=") +
         is_live + " num-buffers=" + std::to_string (video_buffers) +
         " ! video/x-raw,format=I420,width=640,height=360,framerate=" +
         std::to_string (kFps) +
         "/1 ! staticgate name=gate"
         " ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=20"
         " ! h264parse ! sink.video "
         "audiotestsrc wave=ticks tick-interval=500000000 volume=0.8"
         " samplesperbuffer=" +
         std::to_string (kAudioRate / kAudioBuffersPerSecond) +
         " is-live=" + is_live +
         " num-buffers=" + std::to_string (audio_buffers) +
         " ! audio/x-raw,format=S16LE,rate=" + std::to_string (kAudioRate) +
         ",channels=1 ! audioconvert ! beatdetect name=beats"
         " ! audioconvert ! avenc_aac ! aacparse ! sink.audio_0 "
         "segmentsink name=sink split-on-gate=true";
}

/* Makes the synthetic camera move at times: switches videotestsrc between
 * the moving ball and a black picture by the time of the frame it just
 * made (the change shows from the next frame on). */
GstPadProbeReturn
on_camera_frame (GstPad *pad, GstPadProbeInfo *info, gpointer)
{
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_PTS_IS_VALID (buffer))
    return GST_PAD_PROBE_OK;
  /* the frame after this one */
  const GstClockTime next = GST_BUFFER_PTS (buffer) + GST_SECOND / kFps;
  const GstClockTime phase = next % kCycle;
  const bool moving = phase >= kMotionStart && phase < kMotionEnd;
  ObjectPtr<GstElement> camera (gst_pad_get_parent_element (pad));
  if (camera)
    gst_util_set_object_arg (G_OBJECT (camera.get ()), "pattern",
                             moving ? "ball" : "black");
  return GST_PAD_PROBE_OK;
}

/* ---------------------------------------------------------------------- */
/* Reacting to the messages                                                */

struct App {
  GMainLoop *loop = nullptr;
  GstElement *pipeline = nullptr;
  bool stopping = false;
  int exit_code = 0;
  guint gates = 0, beats = 0, closed = 0;
};

void
print_line (const std::string &line)
{
  std::fputs (line.c_str (), stdout);
  std::fputc ('\n', stdout);
  std::fflush (stdout);
}

std::string
time_string (GstClockTime t)
{
  if (!GST_CLOCK_TIME_IS_VALID (t))
    return "none";
  CharPtr s (g_strdup_printf ("%" GST_TIME_FORMAT, GST_TIME_ARGS (t)));
  return s.get ();
}

std::string format (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

std::string
format (const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  CharPtr s (g_strdup_vprintf (fmt, args));
  va_end (args);
  return s.get ();
}

/* The prune messages this application reacts to. A message with the right
 * name but fields that do not parse is reported, never ignored. */
void
on_element_message (App &app, GstMessage *msg)
{
  const GstStructure *s = gst_message_get_structure (msg);
  if (prune::has_name<prune::Gate> (s)) {
    auto gate = prune::from_message<prune::Gate> (msg);
    if (!gate) {
      print_line ("bad message: " + gate.error ());
      return;
    }
    app.gates++;
    if (gate->state == prune::GateState::Open)
      print_line (format ("gate open: segment %u from %s (%s, score %.4f)",
                          gate->index,
                          time_string (gate->running_time).c_str (),
                          prune::to_string (gate->reason), gate->score));
    else
      print_line (format ("gate closed: segment %u at %s (%s)", gate->index,
                          time_string (gate->running_time).c_str (),
                          prune::to_string (gate->reason)));
  } else if (prune::has_name<prune::Beat> (s)) {
    auto beat = prune::from_message<prune::Beat> (msg);
    if (!beat) {
      print_line ("bad message: " + beat.error ());
      return;
    }
    app.beats++;
    print_line (format (
        "beat %" G_GUINT64_FORMAT " at %s: %.1f bpm, confidence %.2f, %s%s",
        beat->index, time_string (beat->running_time).c_str (), beat->bpm,
        beat->confidence, prune::to_string (beat->lock_state),
        beat->predicted ? ", predicted" : ""));
  } else if (prune::has_name<prune::SegmentClosed> (s)) {
    auto seg = prune::from_message<prune::SegmentClosed> (msg);
    if (!seg) {
      print_line ("bad message: " + seg.error ());
      return;
    }
    app.closed++;
    print_line (format ("segment closed: %s (index %u, %s long from %s, "
                        "%" G_GUINT64_FORMAT " bytes, %s)",
                        seg->location.c_str (), seg->index,
                        time_string (seg->duration).c_str (),
                        time_string (seg->running_time).c_str (), seg->bytes,
                        prune::to_string (seg->reason)));
  }
}

gboolean
on_bus_message (GstBus *, GstMessage *msg, gpointer data)
{
  App &app = *static_cast<App *> (data);
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      on_element_message (app, msg);
      break;
    case GST_MESSAGE_ERROR: {
      GError *raw_error = nullptr;
      gchar *raw_debug = nullptr;
      gst_message_parse_error (msg, &raw_error, &raw_debug);
      ErrorPtr error (raw_error);
      CharPtr debug (raw_debug);
      std::fprintf (stderr, "prune-example: error from %s: %s\n%s\n",
                    GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), error->message,
                    debug ? debug.get () : "");
      app.exit_code = 1;
      g_main_loop_quit (app.loop);
      break;
    }
    case GST_MESSAGE_EOS:
      /* segmentsink posts EOS after it finished and listed the last file */
      print_line ("end of stream: every file is finished and listed");
      g_main_loop_quit (app.loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* Ctrl-C or SIGTERM: end the stream, so the open file is finished and
 * listed (the EOS message then quits); a second one quits at once. */
gboolean
on_signal (gpointer data)
{
  App &app = *static_cast<App *> (data);
  if (!app.stopping) {
    app.stopping = true;
    print_line ("stopping: finishing the open file (Ctrl-C again to quit "
                "at once)");
    gst_element_send_event (app.pipeline, gst_event_new_eos ());
  } else {
    std::fprintf (stderr, "prune-example: quit without finishing\n");
    app.exit_code = 1;
    g_main_loop_quit (app.loop);
  }
  return G_SOURCE_CONTINUE;
}

/* The plugin comes from GST_PLUGIN_PATH (a build tree or a prefix) or the
 * system; the folder it is installed to is tried last. */
bool
find_plugin ()
{
  const char *needed[] = {"staticgate", "beatdetect", "segmentsink"};
  auto all_found = [&needed] {
    for (const char *name : needed) {
      ObjectPtr<GstElementFactory> f (gst_element_factory_find (name));
      if (!f)
        return false;
    }
    return true;
  };
  if (all_found ())
    return true;
#ifdef PRUNE_PLUGINS_DIR
  gst_registry_scan_path (gst_registry_get (), PRUNE_PLUGINS_DIR);
  if (all_found ())
    return true;
#endif
  std::fprintf (stderr,
                "prune-example: the prune elements (staticgate, beatdetect, "
                "segmentsink) were not found; set GST_PLUGIN_PATH to the "
                "project's build/plugins or to <prefix>/lib/<arch>/"
                "gstreamer-1.0\n");
  return false;
}

int
run (const char *outdir, int seconds, bool live)
{
  if (!find_plugin ())
    return 1;
  if (g_mkdir_with_parents (outdir, 0755) != 0) {
    std::perror (outdir);
    return 1;
  }

  GError *raw_error = nullptr;
  GstElement *raw =
      gst_parse_launch_full (pipeline_description (live, seconds).c_str (),
                             nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &raw_error);
  ErrorPtr error (raw_error);
  if (raw == nullptr) {
    std::fprintf (stderr, "prune-example: %s\n", error->message);
    return 1;
  }
  /* The pipeline may come floating: sink it, so that this one reference is
   * ours. */
  if (g_object_is_floating (raw))
    gst_object_ref_sink (raw);
  ObjectPtr<GstElement> pipeline (raw);

  ObjectPtr<GstElement> sink (
      gst_bin_get_by_name (GST_BIN (pipeline.get ()), "sink"));
  CharPtr location (g_build_filename (outdir, "seg%05d.mp4", nullptr));
  CharPtr playlist (g_build_filename (outdir, "list.ffconcat", nullptr));
  g_object_set (sink.get (), "location", location.get (), "playlist-location",
                playlist.get (), nullptr);

  ObjectPtr<GstElement> camera (
      gst_bin_get_by_name (GST_BIN (pipeline.get ()), "camera"));
  ObjectPtr<GstPad> camera_pad (
      gst_element_get_static_pad (camera.get (), "src"));
  gst_pad_add_probe (camera_pad.get (), GST_PAD_PROBE_TYPE_BUFFER,
                     on_camera_frame, nullptr, nullptr);

  MainLoopPtr loop (g_main_loop_new (nullptr, FALSE));
  App app;
  app.loop = loop.get ();
  app.pipeline = pipeline.get ();
  {
    ObjectPtr<GstBus> bus (gst_element_get_bus (pipeline.get ()));
    BusWatch watch (bus.get (), on_bus_message, &app);
    SourceGuard sigint (g_unix_signal_add (SIGINT, on_signal, &app));
    SourceGuard sigterm (g_unix_signal_add (SIGTERM, on_signal, &app));

    print_line (format ("prune-example: %s camera and click track -> %s%s",
                        live ? "live" : "unpaced", outdir,
                        seconds > 0 ? "" : " (Ctrl-C to stop)"));
    if (gst_element_set_state (pipeline.get (), GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE)
      app.exit_code = 1; /* the error message on the bus says why */
    else
      g_main_loop_run (loop.get ());
    gst_element_set_state (pipeline.get (), GST_STATE_NULL);
    /* messages posted before the state change that were not dispatched */
    while (g_main_context_iteration (nullptr, FALSE)) {
    }
  }
  print_line (format ("prune-example: %u prune-gate, %u prune-beat, %u "
                      "prune-segment-closed messages; list: %s",
                      app.gates, app.beats, app.closed, playlist.get ()));
  return app.exit_code;
}

} // namespace

int
main (int argc, char **argv)
{
  gint seconds = 0;
  gboolean fast = FALSE;
  const GOptionEntry entries[] = {
      {"seconds", 's', 0, G_OPTION_ARG_INT, &seconds,
       "Stop after this many seconds of stream (default: run until Ctrl-C)",
       "N"},
      {"fast", 'f', 0, G_OPTION_ARG_NONE, &fast,
       "Run as fast as possible instead of at the camera's pace", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  std::unique_ptr<GOptionContext, decltype (&g_option_context_free)> context (
      g_option_context_new ("OUTDIR"), g_option_context_free);
  g_option_context_set_summary (
      context.get (),
      "A synthetic camera and a click track through staticgate, beatdetect "
      "and\nsegmentsink; prints the prune-gate, prune-beat and "
      "prune-segment-closed messages.");
  g_option_context_add_main_entries (context.get (), entries, nullptr);
  g_option_context_add_group (context.get (), gst_init_get_option_group ());
  GError *raw_error = nullptr;
  if (!g_option_context_parse (context.get (), &argc, &argv, &raw_error)) {
    ErrorPtr error (raw_error);
    std::fprintf (stderr, "prune-example: %s\n", error->message);
    return 2;
  }
  if (argc != 2 || seconds < 0) {
    std::fprintf (stderr, "usage: prune-example [--seconds N] [--fast] "
                          "OUTDIR\n");
    return 2;
  }
  const int code = run (argv[1], seconds, !fast);
  /* Everything is released: the leaks tracer (GST_TRACERS=leaks) checks. */
  gst_deinit ();
  return code;
}
