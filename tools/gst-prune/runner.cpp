/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "runner.h"
#include "beatsync.h"
#include "merge.h"
#include "record.h"
#include "util.h"

#include <gst/prune/names.h>
#include <gst/prune/scene.h>

#include <gst/app/app.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include <sys/ioctl.h>
#include <unistd.h>

namespace gstprune {

namespace {

constexpr char kDefaultEncoder[] =
    "x264enc speed-preset=veryfast tune=zerolatency key-int-max=60";
constexpr char kDefaultEncoderMark[] =
    "x264enc speed-preset=veryfast tune=zerolatency key-int-max=30";

/* Which Debian package holds a factory (for "install ..." hints). */
const char *
package_of (const std::string &factory)
{
  if (factory == "x264enc")
    return "gstreamer1.0-plugins-ugly";
  if (factory == "avenc_aac" || g_str_has_prefix (factory.c_str (), "avdec"))
    return "gstreamer1.0-libav";
  if (factory == "mp4mux" || factory == "qtmux" || factory == "matroskamux" ||
      factory == "rtspsrc" || factory == "v4l2src")
    return "gstreamer1.0-plugins-good";
  if (factory == "mpegtsmux" || factory == "h264parse" ||
      factory == "h265parse")
    return "gstreamer1.0-plugins-bad";
  return "gstreamer1.0-plugins-base";
}

bool
factory_exists (const char *name)
{
  GstElementFactory *f = gst_element_factory_find (name);
  if (f == nullptr)
    return false;
  gst_object_unref (f);
  return true;
}

/* One element from a gst-launch description ("x264enc bitrate=2000"). */
GstElement *
element_from_description (const std::string &desc, std::string &error)
{
  GError *err = nullptr;
  GstElement *e = gst_parse_launch_full (desc.c_str (), nullptr,
                                         GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (e == nullptr || err != nullptr) {
    error = err != nullptr ? err->message : "cannot create it";
    g_clear_error (&err);
    if (e != nullptr)
      gst_object_unref (gst_object_ref_sink (e));
    return nullptr;
  }
  if (GST_IS_PIPELINE (e)) {
    error = "give one element, not a pipeline";
    gst_object_unref (gst_object_ref_sink (e));
    return nullptr;
  }
  return e;
}

/* How many frames the encoder @desc keeps before it gives one out, from
 * its LATENCY at 25 fps on a small test picture (a video encoder reports
 * at least one frame); -1 when the probe does not run (the job's own
 * pipeline then says why). */
int
encoder_delay_frames (const std::string &desc)
{
  const std::string launch =
      "videotestsrc num-buffers=250 ! video/x-raw,format=I420,width=320,"
      "height=240,framerate=25/1 ! " +
      desc + " ! fakesink name=out";
  GError *err = nullptr;
  auto pipeline = adopt (gst_parse_launch (launch.c_str (), &err));
  g_clear_error (&err);
  if (!pipeline)
    return -1;
  int frames = -1;
  /* prerolled: the encoder has its caps, and so its latency */
  if (gst_element_set_state (pipeline.get (), GST_STATE_PAUSED) !=
          GST_STATE_CHANGE_FAILURE &&
      gst_element_get_state (pipeline.get (), nullptr, nullptr,
                             10 * GST_SECOND) == GST_STATE_CHANGE_SUCCESS) {
    Ref<GstElement> out (
        gst_bin_get_by_name (GST_BIN (pipeline.get ()), "out"));
    Ref<GstPad> pad (gst_element_get_static_pad (out.get (), "sink"));
    GstQuery *q = gst_query_new_latency ();
    GstClockTime min = 0;
    if (gst_pad_peer_query (pad.get (), q)) {
      gst_query_parse_latency (q, nullptr, &min, nullptr);
      frames = int (std::lround (double (min) / (GST_SECOND / 25))) - 1;
    }
    gst_query_unref (q);
  }
  gst_element_set_state (pipeline.get (), GST_STATE_NULL);
  return frames;
}

/* The parser that goes after an encoder, from its source caps ("" if none
 * is needed). */
std::string
parser_for (GstElement *encoder)
{
  GstElementFactory *f = gst_element_get_factory (encoder);
  if (f == nullptr)
    return "";
  for (const GList *l = gst_element_factory_get_static_pad_templates (f);
       l != nullptr; l = l->next) {
    auto *t = static_cast<GstStaticPadTemplate *> (l->data);
    if (t->direction != GST_PAD_SRC)
      continue;
    GstCaps *caps = gst_static_caps_get (&t->static_caps);
    const char *parser = nullptr;
    for (guint i = 0; i < gst_caps_get_size (caps) && parser == nullptr; i++)
      parser = parser_of (gst_caps_get_structure (caps, i));
    gst_caps_unref (caps);
    if (parser != nullptr)
      return parser;
  }
  return "";
}

bool
live_scheme (const std::string &uri)
{
  for (const char *s : {"rtsp", "rtsps", "rtspt", "rtspu", "rtmp", "rtmps",
                        "srt", "udp", "rtp", "v4l2", "tcp"})
    if (g_str_has_prefix (uri.c_str (), (std::string (s) + "://").c_str ()))
      return true;
  return false;
}

/* A camera, a network stream or a device: live, and running before the
 * run joined it, so its first sound is no beat (beatdetect's
 * start-is-beat). The demo played in real time is live but starts with
 * the run. */
bool
joins_running_source (const Options &o)
{
  return o.kind == InputKind::Device ||
         (o.kind == InputKind::Uri && live_scheme (o.uri));
}

/* Highest index of an existing seg%05d.* file in @dir, or -1. */
gint64
highest_existing_index (const std::string &dir)
{
  gint64 best = -1;
  GDir *d = g_dir_open (dir.c_str (), 0, nullptr);
  if (d == nullptr)
    return best;
  while (const gchar *name = g_dir_read_name (d)) {
    if (!g_str_has_prefix (name, "seg"))
      continue;
    const char *p = name + 3;
    char *end = nullptr;
    if (!g_ascii_isdigit (*p))
      continue;
    const guint64 v = g_ascii_strtoull (p, &end, 10);
    if (end != nullptr && *end == '.' && v < G_MAXUINT)
      best = std::max<gint64> (best, gint64 (v));
  }
  g_dir_close (d);
  return best;
}

/* ------------------------------------------------------------------ */
/* Progress output on stderr                                           */

class Progress {
public:
  explicit Progress (bool quiet)
      : quiet_ (quiet), tty_ (isatty (STDERR_FILENO) != 0)
  {}
  bool tty () const { return tty_; }
  bool quiet () const { return quiet_; }

  /* the live line; on a terminal redrawn in place, else printed as a
   * plain line at most every @period_us */
  void show (const std::string &line, gint64 period_us = 10 * G_USEC_PER_SEC)
  {
    if (quiet_)
      return;
    const gint64 now = g_get_monotonic_time ();
    if (tty_) {
      std::string l = line;
      const std::size_t w = width ();
      if (w > 4 && l.size () > w - 1)
        l.resize (w - 1);
      std::fprintf (stderr, "\r%s\033[K", l.c_str ());
      std::fflush (stderr);
      drawn_ = true;
    } else if (last_ == 0 || now - last_ >= period_us) {
      std::fprintf (stderr, "%s\n", line.c_str ());
      std::fflush (stderr);
      last_ = now;
    }
  }
  /* a message of its own (the live line is cleared first) */
  void say (const std::string &msg, bool even_quiet = false)
  {
    if (quiet_ && !even_quiet)
      return;
    clear ();
    std::fprintf (stderr, "%s\n", msg.c_str ());
    std::fflush (stderr);
  }
  void clear ()
  {
    if (drawn_) {
      std::fprintf (stderr, "\r\033[K");
      std::fflush (stderr);
      drawn_ = false;
    }
  }

private:
  static std::size_t width ()
  {
    struct winsize ws;
    if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
      return ws.ws_col;
    return 80;
  }
  bool quiet_, tty_;
  bool drawn_ = false;
  gint64 last_ = 0;
};

/* ------------------------------------------------------------------ */
/* The run                                                             */

class Job {
public:
  explicit Job (const Options &o) : o_ (o), progress_ (o.quiet) {}
  ~Job ();
  int run ();

private:
  /* state shared with streaming threads, under lock */
  struct Shared {
    std::mutex lock;
    gint64 last_data_us = 0;
    GstClockTime last_rt = GST_CLOCK_TIME_NONE;
    guint64 frames = 0;
    GstSegment segment;
    bool have_segment = false;
    bool video_linked = false;
    gint64 video_linked_us = 0; /* when the video pad was linked */
    bool audio_linked = false;
    bool video_flowing = false; /* the block was lifted */
    std::vector<std::string> other_streams;
  };

  struct Session {
    Ref<GstElement> pipeline;
    GstElement *source = nullptr; /* uridecodebin or appsrc */
    GstElement *vhead = nullptr;  /* first element of the video branch */
    GstElement *gate = nullptr;
    GstElement *sink = nullptr;
    Ref<GstPad> block_pad;
    gulong block_id = 0;
    guint bus_watch = 0;
    gint64 started_us = 0;
    double offset = 0;
    bool offset_known = false;
    bool live = false;
    bool got_data = false;
    bool eos_seen = false;
    GstClockTime duration = GST_CLOCK_TIME_NONE;
    /* where an EOS ends each branch (video, audio) at teardown; the audio
     * one is set by a streaming thread, under Shared::lock */
    Ref<GstPad> video_entry;
    Ref<GstPad> audio_entry;
    /* --beats with an input that may have audio: beat cuts on their beat */
    std::unique_ptr<BeatSync> beat_sync;
  };

  /* building */
  bool start_session ();
  bool build_pipeline (Session &s, std::string &error);
  bool build_audio_branch (GstPad *pad);
  void teardown_session ();
  void drain_bus (GstBus *bus);

  /* following */
  static gboolean on_bus (GstBus *, GstMessage *msg, gpointer self);
  void handle_message (GstMessage *msg);
  void handle_element_message (GstMessage *msg);
  void handle_error (GstMessage *msg);
  static void on_pad_added (GstElement *, GstPad *pad, gpointer self);
  static void on_no_more_pads (GstElement *, gpointer self);
  static void on_source_setup (GstElement *, GstElement *src, gpointer self);
  static GstPadProbeReturn on_video_data (GstPad *, GstPadProbeInfo *info,
                                          gpointer self);
  static GstPadProbeReturn on_block (GstPad *, GstPadProbeInfo *, gpointer)
  {
    return GST_PAD_PROBE_OK;
  }
  void lift_block ();
  /* Whether a video frame has reached the gate in this session (any
   * thread). */
  bool had_video ();
  static void on_need_data (GstAppSrc *src, guint, gpointer self);
  static gboolean on_tick (gpointer self);
  void tick ();
  static gboolean on_signal (gpointer self);
  static gboolean on_reconnect_timer (gpointer self);
  static gboolean on_eos_watchdog (gpointer self);

  /* decisions */
  void reconnect (const std::string &why);
  void finish (int status, const std::string &stopped_by,
               const std::string &error = "");
  double to_run_time (GstClockTime rt);
  void update_offset ();
  double now_run_time () const;
  std::string hint_for_source () const;

  /* output */
  void write_outputs ();
  void print_summary ();

  const Options &o_;
  Progress progress_;
  Record rec_;
  GMainLoop *loop_ = nullptr;
  std::unique_ptr<Session> session_;
  Shared shared_;
  std::optional<prune::scene::Scene> scene_;
  std::atomic<gint64> demo_next_{0};
  prune::scene::I420Layout layout_;
  gint64 run_start_us_ = 0; /* monotonic */
  guint start_index_ = 0;
  guint tick_id_ = 0, sigint_id_ = 0, sigterm_id_ = 0;
  guint reconnect_id_ = 0, watchdog_id_ = 0;
  double backoff_ = 1;
  bool ever_had_data_ = false;
  bool interrupted_ = false;
  bool finished_ = false;
  bool gate_open_ = false;
  guint warnings_ = 0;
  std::string missing_plugin_;
  std::string first_file_, last_file_;
};

Job::~Job ()
{
  for (guint id :
       {tick_id_, sigint_id_, sigterm_id_, reconnect_id_, watchdog_id_})
    if (id != 0)
      g_source_remove (id);
  teardown_session ();
  if (loop_ != nullptr)
    g_main_loop_unref (loop_);
}

double
Job::now_run_time () const
{
  return double (g_get_monotonic_time () - run_start_us_) / G_USEC_PER_SEC;
}

/* Places running time @rt of the current session on the run's time line. */
double
Job::to_run_time (GstClockTime rt)
{
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return NAN;
  update_offset ();
  const double off = session_ ? session_->offset : 0;
  return off + double (rt) / GST_SECOND;
}

/* A live pipeline's running time 0 is when it started playing: find where
 * that is on the run's time line (the clock may be any clock). */
void
Job::update_offset ()
{
  Session *s = session_.get ();
  if (s == nullptr || s->offset_known || !s->live)
    return;
  GstClock *clock = gst_pipeline_get_clock (GST_PIPELINE (s->pipeline.get ()));
  if (clock == nullptr)
    return;
  const GstClockTime base = gst_element_get_base_time (s->pipeline.get ());
  const GstClockTime now_clock = gst_clock_get_time (clock);
  const gint64 now_us = g_get_monotonic_time ();
  gst_object_unref (clock);
  GstState state = GST_STATE_NULL, pending = GST_STATE_NULL;
  gst_element_get_state (s->pipeline.get (), &state, &pending, 0);
  if (state != GST_STATE_PLAYING && pending != GST_STATE_PLAYING)
    return;
  const double running =
      now_clock > base ? double (now_clock - base) / GST_SECOND : 0;
  s->offset = double (now_us - run_start_us_) / G_USEC_PER_SEC - running;
  s->offset_known = true;
}

std::string
Job::hint_for_source () const
{
  switch (o_.kind) {
    case InputKind::File:
      return "check that it is a video file GStreamer can play "
             "(gst-discoverer-1.0 '" +
             o_.input + "')";
    case InputKind::Device:
      return "check the device (v4l2-ctl --list-devices) and that no other "
             "program is using it";
    case InputKind::Uri:
      if (g_str_has_prefix (o_.uri.c_str (), "rtsp"))
        return "check the address, port, path, user and password, and that "
               "the camera answers (ffprobe '" +
               o_.input + "')";
      return "check the address and that it answers (gst-discoverer-1.0 '" +
             o_.input + "')";
    default:
      return "";
  }
}

/* ---------------------------------------------------------------- */

bool
Job::build_pipeline (Session &s, std::string &error)
{
  s.pipeline.reset (
      GST_ELEMENT (gst_object_ref_sink (gst_pipeline_new ("gst-prune"))));
  GstBin *bin = GST_BIN (s.pipeline.get ());
  auto make = [&] (const char *factory, const char *name) -> GstElement * {
    GstElement *e = gst_element_factory_make (factory, name);
    if (e == nullptr) {
      if (error.empty ())
        error = std::string ("the GStreamer element '") + factory +
                "' is missing: install " + package_of (factory) +
                " (scripts/setup.sh installs everything)";
      return nullptr;
    }
    gst_bin_add (bin, e);
    return e;
  };

  /* the sink */
  s.sink = make ("segmentsink", "sink");
  if (s.sink == nullptr)
    return false;
  const std::string pattern = o_.outdir + "/seg%05d." + o_.extension ();
  g_object_set (s.sink, "location", pattern.c_str (), "playlist-location",
                rec_.playlist.c_str (), "index-location", rec_.index.c_str (),
                "muxer-factory", o_.muxer ().c_str (), "split-on-gate", TRUE,
                "start-index", start_index_, "max-size-time",
                guint64 (o_.segment_time * GST_SECOND), "max-files",
                o_.max_files, "max-total-bytes", o_.max_disk, "split-on-beats",
                o_.beats, nullptr);
  if (o_.mark)
    g_object_set (s.sink, "pre-roll", guint64 (o_.pre_roll * GST_SECOND),
                  nullptr);

  /* the gate */
  s.gate = make ("staticgate", "gate");
  if (s.gate == nullptr)
    return false;
  g_object_set (s.gate, "threshold", o_.threshold, "min-area", o_.min_area,
                "min-motion", guint64 (o_.min_motion * GST_SECOND), "post-roll",
                guint64 (o_.post_roll * GST_SECOND), "pre-roll",
                guint64 (o_.mark ? 0 : o_.pre_roll * GST_SECOND), "post-scores",
                TRUE, nullptr);
  /* the encoder after the gate would keep every GAP until its next frame
   * (about 0.5 KB a static frame), and segmentsink learns nothing from
   * them that the next frame does not tell it */
  g_object_set (s.gate, "send-gaps", FALSE, nullptr);
  if (!o_.mask.empty ())
    g_object_set (s.gate, "mask", o_.mask.c_str (), nullptr);
  gst_util_set_object_arg (G_OBJECT (s.gate), "mode",
                           o_.mark ? "mark" : "drop");

  /* the encoder and its parser */
  std::string enc_error;
  const std::string desc = !o_.encoder.empty () ? o_.encoder
                           : o_.mark            ? kDefaultEncoderMark
                                                : kDefaultEncoder;
  GstElement *enc = element_from_description (desc, enc_error);
  if (enc == nullptr) {
    error = "--encoder '" + desc + "': " + enc_error;
    return false;
  }
  gst_bin_add (bin, enc);
  GstElement *tail = enc;
  const std::string parser = parser_for (enc);
  if (!parser.empty ()) {
    GstElement *p = make (parser.c_str (), nullptr);
    if (p == nullptr)
      return false;
    if (!gst_element_link (enc, p)) {
      error = "cannot link the encoder to " + parser;
      return false;
    }
    tail = p;
  }
  GstElement *vq = make ("queue", "video-out");
  if (vq == nullptr)
    return false;
  g_object_set (vq, "max-size-time", guint64 (0), "max-size-bytes", 0u,
                "max-size-buffers", 0u, nullptr);
  GstPad *vsink = gst_element_request_pad_simple (s.sink, "video");
  GstPad *vqsrc = gst_element_get_static_pad (vq, "src");
  const bool linked = vsink != nullptr && gst_element_link (tail, vq) &&
                      gst_pad_link (vqsrc, vsink) == GST_PAD_LINK_OK;
  gst_object_unref (vqsrc);
  if (vsink != nullptr)
    gst_object_unref (vsink);
  if (!linked) {
    error = "cannot link the encoder ('" + desc +
            "') to segmentsink: choose an encoder whose output the " +
            o_.container + " container takes";
    return false;
  }

  /* the input */
  GstElement *convert = make ("videoconvert", nullptr);
  if (convert == nullptr)
    return false;
  if (o_.kind == InputKind::Demo) {
    const auto &c = scene_->config ();
    GstElement *src = make ("appsrc", "demo");
    if (src == nullptr)
      return false;
    GstCaps *caps = gst_caps_new_simple (
        "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
        c.width, "height", G_TYPE_INT, c.height, "framerate", GST_TYPE_FRACTION,
        c.fps_n, c.fps_d, nullptr);
    g_object_set (
        src, "caps", caps, "format", GST_FORMAT_TIME, "is-live", o_.realtime,
        "max-bytes", guint64 (layout_.size * 2), "duration",
        GstClockTime (scene_->frame_pts (scene_->n_frames ())), nullptr);
    gst_caps_unref (caps);
    GstAppSrcCallbacks cb = {};
    cb.need_data = on_need_data;
    gst_app_src_set_callbacks (GST_APP_SRC (src), &cb, this, nullptr);
    GstElement *first = src;
    if (o_.realtime) {
      GstElement *sync = make ("clocksync", nullptr);
      if (sync == nullptr || !gst_element_link (src, sync))
        return false;
      first = sync;
    }
    if (!gst_element_link (first, convert)) {
      error = "cannot link the demo source";
      return false;
    }
    s.source = src;
    s.vhead = src;
  } else {
    GstElement *dec = make ("uridecodebin", "input");
    GstElement *q = make ("queue", "video-in");
    if (dec == nullptr || q == nullptr)
      return false;
    g_object_set (dec, "uri", o_.uri.c_str (), nullptr);
    g_signal_connect (dec, "pad-added", G_CALLBACK (on_pad_added), this);
    g_signal_connect (dec, "no-more-pads", G_CALLBACK (on_no_more_pads), this);
    g_signal_connect (dec, "source-setup", G_CALLBACK (on_source_setup), this);
    gst_element_link (q, convert);
    s.source = dec;
    s.vhead = q;
    if (!o_.no_audio) {
      /* hold the video until every stream is known, so that the audio pad
       * of segmentsink exists before its first file opens */
      s.block_pad.reset (gst_element_get_static_pad (q, "src"));
      s.block_id = gst_pad_add_probe (s.block_pad.get (),
                                      GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
                                      on_block, nullptr, nullptr);
    }
  }
  if (!gst_element_link_many (convert, s.gate, enc, nullptr)) {
    error = "cannot link the gate to the encoder ('" + desc +
            "'): it must take raw video";
    return false;
  }
  if (o_.beats > 0 && o_.kind != InputKind::Demo && !o_.no_audio) {
    s.beat_sync = std::make_unique<BeatSync> ();
    GstPad *enc_sink = gst_element_get_static_pad (enc, "sink");
    s.beat_sync->watch_video (enc_sink);
    gst_object_unref (enc_sink);
  }

  s.video_entry.reset (gst_element_get_static_pad (convert, "sink"));

  /* watch what reaches the gate: position, stall detection */
  GstPad *gsink = gst_element_get_static_pad (s.gate, "sink");
  gst_pad_add_probe (gsink,
                     GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER |
                                      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                     on_video_data, this, nullptr);
  gst_object_unref (gsink);
  return true;
}

/* An audio stream appeared (streaming thread): queue ! audioconvert !
 * audioresample ! [beatdetect] ! audioconvert ! AAC ! aacparse ! queue !
 * segmentsink.audio_%u. */
bool
Job::build_audio_branch (GstPad *pad)
{
  Session &s = *session_;
  const char *aac = nullptr;
  for (const char *f : {"avenc_aac", "fdkaacenc", "voaacenc"})
    if (factory_exists (f)) {
      aac = f;
      break;
    }
  if (aac == nullptr) {
    progress_.say ("gst-prune: warning: no AAC encoder, the audio is left out "
                   "(install gstreamer1.0-libav)");
    return false;
  }
  std::vector<const char *> chain = {"queue", "audioconvert", "audioresample"};
  if (o_.beats > 0)
    chain.push_back ("beatdetect");
  chain.push_back ("audioconvert");
  chain.push_back (aac);
  chain.push_back ("aacparse");
  chain.push_back ("queue");
  std::vector<GstElement *> els;
  GstElement *detector = nullptr;
  for (const char *f : chain) {
    GstElement *e = gst_element_factory_make (f, nullptr);
    if (e != nullptr && std::strcmp (f, "beatdetect") == 0) {
      g_object_set (e, "start-is-beat", !joins_running_source (o_), nullptr);
      detector = e;
    }
    if (e == nullptr) {
      for (GstElement *x : els)
        gst_object_unref (gst_object_ref_sink (x));
      progress_.say (std::string ("gst-prune: warning: ") + f +
                     " is missing, the audio is left out (install " +
                     package_of (f) + ")");
      return false;
    }
    els.push_back (e);
  }
  /* the last queue holds the encoded audio while the video's decisions
   * catch up (segmentsink waits for them): pre-roll + min-motion + margin */
  g_object_set (els.back (), "max-size-time",
                guint64 ((o_.pre_roll + o_.min_motion + 5) * GST_SECOND),
                "max-size-bytes", 0u, "max-size-buffers", 0u, nullptr);
  for (GstElement *e : els)
    gst_bin_add (GST_BIN (s.pipeline.get ()), e);
  bool ok = true;
  for (std::size_t i = 0; i + 1 < els.size () && ok; i++)
    ok = gst_element_link (els[i], els[i + 1]);
  GstPad *sinkpad =
      ok ? gst_element_request_pad_simple (s.sink, "audio_%u") : nullptr;
  GstPad *tail = gst_element_get_static_pad (els.back (), "src");
  ok = ok && sinkpad != nullptr &&
       gst_pad_link (tail, sinkpad) == GST_PAD_LINK_OK;
  gst_object_unref (tail);
  if (sinkpad != nullptr)
    gst_object_unref (sinkpad);
  for (GstElement *e : els)
    gst_element_sync_state_with_parent (e);
  if (ok && s.beat_sync && detector != nullptr) {
    /* the video waits for beatdetect's analysis (BeatSync) */
    GstPad *bsrc = gst_element_get_static_pad (detector, "src");
    GstPad *vpad = gst_element_get_static_pad (s.sink, "video");
    if (bsrc != nullptr && vpad != nullptr)
      s.beat_sync->watch_audio (bsrc, vpad);
    for (GstPad *x : {bsrc, vpad})
      if (x != nullptr)
        gst_object_unref (x);
  }
  GstPad *head = gst_element_get_static_pad (els.front (), "sink");
  ok = ok && gst_pad_link (pad, head) == GST_PAD_LINK_OK;
  if (ok) {
    std::lock_guard<std::mutex> lk (shared_.lock);
    s.audio_entry.reset (GST_PAD (gst_object_ref (head)));
  }
  gst_object_unref (head);
  return ok;
}

void
Job::on_source_setup (GstElement *, GstElement *src, gpointer data)
{
  auto *self = static_cast<Job *> (data);
  GstElementFactory *f = gst_element_get_factory (src);
  if (f != nullptr && std::strcmp (GST_OBJECT_NAME (f), "rtspsrc") == 0) {
    /* a dead server must not hold a reconnection up for long */
    const guint64 tcp_us =
        guint64 (std::min (self->o_.stall_timeout, 10.0) * G_USEC_PER_SEC);
    g_object_set (src, "tcp-timeout", tcp_us, nullptr);
  }
}

void
Job::on_pad_added (GstElement *, GstPad *pad, gpointer data)
{
  auto *self = static_cast<Job *> (data);
  Session &s = *self->session_;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (caps == nullptr)
    caps = gst_pad_query_caps (pad, nullptr);
  const std::string name =
      gst_caps_is_empty (caps)
          ? "unknown"
          : gst_structure_get_name (gst_caps_get_structure (caps, 0));
  gst_caps_unref (caps);
  bool use_video = false, use_audio = false;
  {
    std::lock_guard<std::mutex> lk (self->shared_.lock);
    Shared &sh = self->shared_;
    const bool audio_wanted =
        name == "audio/x-raw" && !sh.audio_linked && !self->o_.no_audio;
    if (name == "video/x-raw" && !sh.video_linked) {
      use_video = sh.video_linked = true;
      sh.video_linked_us = g_get_monotonic_time ();
    } else if (audio_wanted && !sh.video_flowing) {
      use_audio = sh.audio_linked = true;
    } else {
      sh.other_streams.push_back (
          audio_wanted ? name + " (came over 5 s after the video)" : name);
    }
  }
  GST_INFO ("input pad %s:%s, %s: %s", GST_DEBUG_PAD_NAME (pad), name.c_str (),
            use_video   ? "the video"
            : use_audio ? "the audio"
                        : "not used");
  if (use_video) {
    GstPad *sink = gst_element_get_static_pad (s.vhead, "sink");
    gst_pad_link (pad, sink);
    gst_object_unref (sink);
    return;
  }
  if (use_audio && self->build_audio_branch (pad))
    return;
  /* anything else is consumed, so that it never stops the decoder */
  GstElement *fake = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (fake, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add (GST_BIN (s.pipeline.get ()), fake);
  gst_element_sync_state_with_parent (fake);
  GstPad *sink = gst_element_get_static_pad (fake, "sink");
  gst_pad_link (pad, sink);
  gst_object_unref (sink);
}

void
Job::on_no_more_pads (GstElement *, gpointer data)
{
  auto *self = static_cast<Job *> (data);
  bool video, audio;
  std::string others;
  {
    std::lock_guard<std::mutex> lk (self->shared_.lock);
    video = self->shared_.video_linked;
    audio = self->shared_.audio_linked;
    for (const auto &n : self->shared_.other_streams)
      others += (others.empty () ? "" : ", ") + n;
  }
  GST_INFO ("no more input pads: video %d, audio %d, others '%s'", video, audio,
            others.c_str ());
  if (video && !audio && self->o_.beats > 0) {
    /* --beats cannot be done: the job ends before any file is written
     * (the video stays held) */
    gst_element_post_message (
        self->session_->source,
        gst_message_new_application (
            GST_OBJECT (self->session_->source),
            gst_structure_new ("gst-prune-no-audio", "streams", G_TYPE_STRING,
                               others.c_str (), nullptr)));
    return;
  }
  self->lift_block ();
  if (!video) {
    GstStructure *st =
        gst_structure_new ("gst-prune-no-video", "streams", G_TYPE_STRING,
                           others.c_str (), nullptr);
    gst_element_post_message (
        self->session_->source,
        gst_message_new_application (GST_OBJECT (self->session_->source), st));
  }
}

bool
Job::had_video ()
{
  std::lock_guard<std::mutex> lk (shared_.lock);
  return shared_.last_data_us != 0;
}

/* Any thread: lets the video flow (once). */
void
Job::lift_block ()
{
  Session &s = *session_;
  gulong id;
  {
    std::lock_guard<std::mutex> lk (shared_.lock);
    shared_.video_flowing = true;
    id = std::exchange (s.block_id, 0);
  }
  if (id != 0) {
    GST_INFO ("the video is let through");
    gst_pad_remove_probe (s.block_pad.get (), id);
  }
}

GstPadProbeReturn
Job::on_video_data (GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *self = static_cast<Job *> (data);
  Shared &sh = self->shared_;
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT) {
      const GstSegment *seg = nullptr;
      gst_event_parse_segment (ev, &seg);
      std::lock_guard<std::mutex> lk (sh.lock);
      gst_segment_copy_into (seg, &sh.segment);
      sh.have_segment = true;
    }
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  std::lock_guard<std::mutex> lk (sh.lock);
  sh.last_data_us = g_get_monotonic_time ();
  if (sh.frames++ == 0)
    GST_INFO ("the first frame reaches the gate, pts %" GST_TIME_FORMAT,
              GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
  if (sh.have_segment && GST_BUFFER_PTS_IS_VALID (buf)) {
    GstClockTime end = GST_BUFFER_PTS (buf);
    if (GST_BUFFER_DURATION_IS_VALID (buf))
      end += GST_BUFFER_DURATION (buf);
    const GstClockTime rt =
        gst_segment_to_running_time (&sh.segment, GST_FORMAT_TIME, end);
    if (GST_CLOCK_TIME_IS_VALID (rt))
      sh.last_rt = rt;
  }
  return GST_PAD_PROBE_OK;
}

void
Job::on_need_data (GstAppSrc *src, guint, gpointer data)
{
  auto *self = static_cast<Job *> (data);
  const auto &scene = *self->scene_;
  const gint64 i = self->demo_next_.fetch_add (1);
  if (i >= scene.n_frames ()) {
    if (i == scene.n_frames ())
      gst_app_src_end_of_stream (src);
    return;
  }
  GstBuffer *buf =
      gst_buffer_new_allocate (nullptr, self->layout_.size, nullptr);
  GstMapInfo map;
  if (gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    scene.render_i420 (i, map.data);
    gst_buffer_unmap (buf, &map);
  }
  GST_BUFFER_PTS (buf) = scene.frame_pts (i);
  GST_BUFFER_DURATION (buf) = scene.frame_pts (i + 1) - scene.frame_pts (i);
  GST_BUFFER_OFFSET (buf) = guint64 (i);
  gst_app_src_push_buffer (src, buf);
}

/* ---------------------------------------------------------------- */

bool
Job::start_session ()
{
  auto s = std::make_unique<Session> ();
  {
    std::lock_guard<std::mutex> lk (shared_.lock);
    shared_.last_data_us = 0;
    shared_.last_rt = GST_CLOCK_TIME_NONE;
    shared_.have_segment = false;
    shared_.video_linked = false;
    shared_.video_linked_us = 0;
    shared_.audio_linked = false;
    shared_.video_flowing = o_.kind == InputKind::Demo || o_.no_audio;
    shared_.other_streams.clear ();
  }
  session_ = std::move (s);
  Session &ss = *session_;
  /* the list decides the numbering of a resumed run; the files on disk
   * too, so that nothing is ever overwritten */
  start_index_ = guint (highest_existing_index (o_.outdir) + 1);
  std::string error;
  if (!build_pipeline (ss, error)) {
    teardown_session ();
    finish (kExitRuntime, "error", error);
    return false;
  }
  ss.live =
      (o_.kind == InputKind::Demo && o_.realtime) || joins_running_source (o_);
  rec_.live = rec_.live || ss.live;
  Ref<GstBus> bus (gst_element_get_bus (ss.pipeline.get ()));
  ss.bus_watch = gst_bus_add_watch (bus.get (), on_bus, this);
  ss.started_us = g_get_monotonic_time ();
  const GstStateChangeReturn ret =
      gst_element_set_state (ss.pipeline.get (), GST_STATE_PLAYING);
  if (ret == GST_STATE_CHANGE_NO_PREROLL)
    ss.live = rec_.live = true;
  if (ret == GST_STATE_CHANGE_FAILURE) {
    /* the bus says why; handle it now */
    GstMessage *m;
    while (!finished_ && session_ &&
           (m = gst_bus_pop_filtered (bus.get (), GST_MESSAGE_ERROR)) !=
               nullptr) {
      handle_message (m);
      gst_message_unref (m);
    }
    if (!finished_ && session_ && session_.get () == &ss) {
      if (ss.live && ever_had_data_ && o_.reconnect)
        reconnect ("the input could not start");
      else
        finish (kExitRuntime, "error",
                "cannot start reading '" + o_.input +
                    "': " + hint_for_source ());
    }
    return false;
  }
  return true;
}

void
Job::drain_bus (GstBus *bus)
{
  GstMessage *m;
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != nullptr) {
    handle_element_message (m);
    gst_message_unref (m);
  }
}

/* Stops the current pipeline; segmentsink finishes and lists its open file
 * on the way to READY, and its messages are still read. */
void
Job::teardown_session ()
{
  if (!session_)
    return;
  Session &s = *session_;
  if (s.bus_watch != 0) {
    g_source_remove (s.bus_watch);
    s.bus_watch = 0;
  }
  if (s.pipeline) {
    {
      std::lock_guard<std::mutex> lk (shared_.lock);
      shared_.video_flowing = true;
    }
    if (s.block_id != 0)
      lift_block ();
    Ref<GstBus> bus (gst_element_get_bus (s.pipeline.get ()));
    GstState state = GST_STATE_NULL;
    gst_element_get_state (s.pipeline.get (), &state, nullptr, 0);
    if (!s.eos_seen && state >= GST_STATE_PAUSED && had_video ()) {
      /* end every branch with EOS, whatever the source does, so that the
       * encoder drains and segmentsink finishes and lists its open file
       * before the pipeline stops; bounded wait (none when no frame came:
       * no file is open) */
      Ref<GstPad> audio;
      {
        std::lock_guard<std::mutex> lk (shared_.lock);
        if (s.audio_entry)
          audio.reset (GST_PAD (gst_object_ref (s.audio_entry.get ())));
      }
      for (GstPad *pad : {s.video_entry.get (), audio.get ()})
        if (pad != nullptr)
          gst_pad_send_event (pad, gst_event_new_eos ());
      const gint64 until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
      while (true) {
        const gint64 left = until - g_get_monotonic_time ();
        if (left <= 0)
          break;
        GstMessage *m = gst_bus_timed_pop_filtered (
            bus.get (), GstClockTime (left) * 1000,
            GstMessageType (GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
                            GST_MESSAGE_ELEMENT));
        if (m == nullptr)
          break;
        /* errors here are the failing source's, already handled */
        const GstMessageType type = GST_MESSAGE_TYPE (m);
        if (type == GST_MESSAGE_ELEMENT)
          handle_element_message (m);
        gst_message_unref (m);
        if (type == GST_MESSAGE_EOS)
          break;
      }
    }
    if (s.beat_sync)
      s.beat_sync->stop (); /* no frame waits for the audio any more */
    gst_element_set_state (s.pipeline.get (), GST_STATE_READY);
    drain_bus (bus.get ());
    gst_element_set_state (s.pipeline.get (), GST_STATE_NULL);
    gst_bus_set_flushing (bus.get (), TRUE);
  }
  /* the position seen last, for the summary */
  {
    std::lock_guard<std::mutex> lk (shared_.lock);
    rec_.frames = shared_.frames;
    if (GST_CLOCK_TIME_IS_VALID (shared_.last_rt))
      rec_.input_end = std::max (
          rec_.input_end, s.offset + double (shared_.last_rt) / GST_SECOND);
  }
  if (rec_.open_since >= 0)
    rec_.gate_closed (rec_.input_end);
  gate_open_ = false;
  session_.reset ();
}

/* ---------------------------------------------------------------- */

gboolean
Job::on_bus (GstBus *, GstMessage *msg, gpointer data)
{
  static_cast<Job *> (data)->handle_message (msg);
  return G_SOURCE_CONTINUE;
}

void
Job::handle_element_message (GstMessage *msg)
{
  const GstStructure *st = gst_message_get_structure (msg);
  if (st == nullptr)
    return;
  if (gst_is_missing_plugin_message (msg)) {
    gchar *d = gst_missing_plugin_message_get_description (msg);
    missing_plugin_ = d != nullptr ? d : "a plugin";
    g_free (d);
    return;
  }
  if (prune::has_name<prune::Score> (st)) {
    if (auto sc = prune::from_message<prune::Score> (msg)) {
      const double t = to_run_time (sc->running_time);
      rec_.scores.add (t, sc->score);
    }
  } else if (prune::has_name<prune::Gate> (st)) {
    if (auto g = prune::from_message<prune::Gate> (msg)) {
      const double t = to_run_time (g->running_time);
      if (g->state == prune::GateState::Open) {
        rec_.gate_open (t);
        gate_open_ = true;
      } else {
        rec_.gate_closed (t);
        gate_open_ = false;
      }
    }
  } else if (prune::has_name<prune::SegmentClosed> (st)) {
    if (auto c = prune::from_message<prune::SegmentClosed> (msg)) {
      SegmentInfo si;
      si.index = c->index;
      si.location = c->location;
      si.start = to_run_time (c->running_time);
      si.duration = to_seconds (c->duration);
      si.bytes = c->bytes;
      si.reason = prune::to_string (c->reason);
      if (first_file_.empty ())
        first_file_ = c->location;
      last_file_ = c->location;
      rec_.add_segment (std::move (si));
    }
  } else if (prune::has_name<prune::SegmentDeleted> (st)) {
    if (auto d = prune::from_message<prune::SegmentDeleted> (msg)) {
      rec_.deleted++;
      rec_.deleted_bytes += d->bytes;
    }
  } else if (prune::has_name<prune::PlaylistUpdated> (st)) {
    if (auto p = prune::from_message<prune::PlaylistUpdated> (msg)) {
      rec_.list_entries = p->entries;
      rec_.list_duration = to_seconds (p->duration);
    }
  } else if (prune::has_name<prune::Beat> (st)) {
    if (auto b = prune::from_message<prune::Beat> (msg))
      rec_.add_beat (to_run_time (b->running_time));
  } else if (prune::has_name<prune::Tempo> (st)) {
    if (auto t = prune::from_message<prune::Tempo> (msg))
      rec_.tempo = t->bpm;
  }
}

void
Job::handle_message (GstMessage *msg)
{
  if (finished_)
    return;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      handle_element_message (msg);
      break;
    case GST_MESSAGE_ERROR:
      handle_error (msg);
      break;
    case GST_MESSAGE_WARNING: {
      if (warnings_++ >= 5)
        break;
      GError *e = nullptr;
      gst_message_parse_warning (msg, &e, nullptr);
      progress_.say (std::string ("gst-prune: warning from ") +
                     GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)) + ": " +
                     e->message);
      g_error_free (e);
      break;
    }
    case GST_MESSAGE_APPLICATION: {
      const GstStructure *st = gst_message_get_structure (msg);
      /* a stream the job needs is not in the input (on_no_more_pads) */
      const bool no_audio =
          st != nullptr && gst_structure_has_name (st, "gst-prune-no-audio");
      const bool no_video =
          st != nullptr && gst_structure_has_name (st, "gst-prune-no-video");
      if (no_audio || no_video) {
        const char *streams = gst_structure_get_string (st, "streams");
        std::string why =
            no_audio ? "--beats needs the input's audio, and '" + o_.input +
                           "' has none that can be decoded"
                     : "'" + o_.input + "' has no video that can be decoded";
        if (streams != nullptr && *streams != '\0')
          why += std::string (no_audio ? " (other streams: " : " (streams: ") +
                 streams + ")";
        if (!missing_plugin_.empty ())
          why += "; missing: " + missing_plugin_ +
                 " (install gstreamer1.0-libav and gstreamer1.0-plugins-bad, "
                 "or run scripts/setup.sh)";
        else if (no_video)
          why += "; gst-prune needs a video stream";
        if (no_audio)
          why += "; leave --beats out to cut by the gate alone";
        finish (kExitRuntime, "error", why);
      }
      break;
    }
    case GST_MESSAGE_EOS:
      if (session_)
        session_->eos_seen = true;
      if (interrupted_)
        finish (kExitOk, "interrupt");
      else if (session_ && session_->live && o_.kind != InputKind::Demo &&
               o_.reconnect && ever_had_data_)
        reconnect ("the input ended");
      else
        finish (kExitOk, "end");
      break;
    default:
      break;
  }
}

void
Job::handle_error (GstMessage *msg)
{
  GError *e = nullptr;
  gchar *dbg = nullptr;
  gst_message_parse_error (msg, &e, &dbg);
  const std::string text = e->message;
  const std::string debug = dbg != nullptr ? dbg : "";
  const bool settings_error =
      e->domain == GST_RESOURCE_ERROR && e->code == GST_RESOURCE_ERROR_SETTINGS;
  g_error_free (e);
  g_free (dbg);
  if (!session_) {
    finish (kExitRuntime, "error", text);
    return;
  }
  Session &s = *session_;
  GstObject *src = GST_MESSAGE_SRC (msg);
  const bool from_gate = src == GST_OBJECT (s.gate);
  const bool from_sink = src == GST_OBJECT (s.sink) ||
                         gst_object_has_as_ancestor (src, GST_OBJECT (s.sink));
  const bool from_source =
      src == GST_OBJECT (s.source) ||
      gst_object_has_as_ancestor (src, GST_OBJECT (s.source)) ||
      src == GST_OBJECT (s.vhead);
  if (from_gate && settings_error) {
    finish (kExitUsage, "error", "--mask: " + text);
    return;
  }
  if (from_source && s.live && o_.kind != InputKind::Demo && o_.reconnect &&
      ever_had_data_ && !interrupted_) {
    reconnect (text);
    return;
  }
  if (from_source && interrupted_) {
    /* the input failed while it was being stopped: what was recorded is
     * finished as for any stop */
    progress_.say ("gst-prune: the input failed while stopping (" + text + ")");
    finish (kExitOk, "interrupt");
    return;
  }
  std::string msg_text;
  if (from_sink)
    msg_text = "cannot write the segments into '" + o_.outdir + "': " + text +
               " (free some space, or choose another -o)";
  else if (from_source) {
    msg_text = "cannot read '" + o_.input + "': " + text;
    if (!missing_plugin_.empty ())
      msg_text += "; missing: " + missing_plugin_ +
                  " (install gstreamer1.0-libav and gstreamer1.0-plugins-bad, "
                  "or run scripts/setup.sh)";
    else
      msg_text += "; " + hint_for_source ();
  } else {
    msg_text = std::string (GST_OBJECT_NAME (src)) + ": " + text;
  }
  if (!debug.empty () && g_getenv ("GST_PRUNE_DEBUG") != nullptr)
    msg_text += "\n  (" + debug + ")";
  finish (kExitRuntime, "error", msg_text);
}

/* ---------------------------------------------------------------- */

void
Job::reconnect (const std::string &why)
{
  const double at = now_run_time ();
  GST_INFO ("input lost at %.3f s (%s): reconnecting", at, why.c_str ());
  teardown_session ();
  rec_.reconnects.emplace_back (at, why);
  const double wait = backoff_;
  backoff_ = std::min (backoff_ * 2, o_.reconnect_max);
  char buf[64];
  std::snprintf (buf, sizeof buf, "%.0f", wait);
  progress_.say ("gst-prune: input lost (" + why + "); reconnecting in " + buf +
                 " s");
  reconnect_id_ = g_timeout_add (guint (wait * 1000), on_reconnect_timer, this);
}

gboolean
Job::on_reconnect_timer (gpointer data)
{
  auto *self = static_cast<Job *> (data);
  self->reconnect_id_ = 0;
  if (!self->finished_)
    self->start_session ();
  return G_SOURCE_REMOVE;
}

void
Job::finish (int status, const std::string &stopped_by,
             const std::string &error)
{
  if (finished_)
    return;
  finished_ = true;
  GST_INFO ("finished (%s), exit status %d%s%s", stopped_by.c_str (), status,
            error.empty () ? "" : ": ", error.c_str ());
  rec_.exit_status = status;
  rec_.stopped_by = stopped_by;
  rec_.error = error;
  if (reconnect_id_ != 0) {
    g_source_remove (reconnect_id_);
    reconnect_id_ = 0;
  }
  teardown_session ();
  if (loop_ != nullptr)
    g_main_loop_quit (loop_);
}

gboolean
Job::on_signal (gpointer data)
{
  auto *self = static_cast<Job *> (data);
  if (self->finished_)
    return G_SOURCE_CONTINUE;
  if (!self->interrupted_) {
    self->interrupted_ = true;
    /* nothing reached the gate, so no file is open: an EOS could wait
     * long for a source that is still connecting */
    if (!self->session_ || !self->had_video ()) {
      self->finish (kExitOk, "interrupt");
      return G_SOURCE_CONTINUE;
    }
    self->progress_.say ("gst-prune: stopping: finishing the open segment "
                         "and the list (Ctrl-C again to abort)");
    gst_element_send_event (self->session_->pipeline.get (),
                            gst_event_new_eos ());
    /* a stuck source must not keep us: stop anyway after a while (the
     * sink still finishes the open file when it stops) */
    self->watchdog_id_ = g_timeout_add_seconds (20, on_eos_watchdog, self);
    return G_SOURCE_CONTINUE;
  }
  /* abort: leave now, as after a crash: the list names only complete
   * files, the open one is readable up to its last fragment */
  self->progress_.say ("gst-prune: aborted; the list names the files "
                       "finished so far",
                       true);
  self->rec_.exit_status = kExitAborted;
  self->rec_.stopped_by = "abort";
  self->rec_.time_taken = self->now_run_time ();
  self->write_outputs ();
  std::fflush (nullptr);
  _exit (kExitAborted);
}

gboolean
Job::on_eos_watchdog (gpointer data)
{
  auto *self = static_cast<Job *> (data);
  self->watchdog_id_ = 0;
  self->progress_.say ("gst-prune: the input did not end within 20 s; "
                       "stopping it");
  self->finish (kExitOk, "interrupt");
  return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------------- */

gboolean
Job::on_tick (gpointer data)
{
  static_cast<Job *> (data)->tick ();
  return G_SOURCE_CONTINUE;
}

void
Job::tick ()
{
  if (finished_)
    return;
  const gint64 now = g_get_monotonic_time ();
  Session *s = session_.get ();
  gint64 last_data = 0, video_linked_us = 0;
  GstClockTime last_rt = GST_CLOCK_TIME_NONE;
  guint64 frames = 0;
  {
    std::lock_guard<std::mutex> lk (shared_.lock);
    last_data = shared_.last_data_us;
    last_rt = shared_.last_rt;
    frames = shared_.frames;
    video_linked_us = shared_.video_linked_us;
  }
  rec_.frames = frames;
  if (s != nullptr) {
    if (last_data != 0 && !s->got_data) {
      s->got_data = ever_had_data_ = true;
      backoff_ = 1; /* the input works again */
    }
    /* the audio pad has had its chance: 5 s after the video pad (a live
     * stream may show its pads only at its first keyframe, seconds after
     * the start) */
    if (s->block_id != 0 && video_linked_us != 0 &&
        now - video_linked_us > 5 * G_USEC_PER_SEC) {
      GST_INFO ("no audio pad 5 s after the video pad: the video goes on");
      lift_block ();
    }
    if (GST_CLOCK_TIME_IS_VALID (last_rt))
      rec_.input_end = std::max (rec_.input_end, to_run_time (last_rt));
    if (s->live && o_.kind != InputKind::Demo && !interrupted_) {
      const gint64 since = last_data != 0 ? last_data : s->started_us;
      const double silent = double (now - since) / G_USEC_PER_SEC;
      /* before the first frame, connecting may take a little longer */
      const double limit =
          last_data != 0 ? o_.stall_timeout : std::max (o_.stall_timeout, 20.0);
      if (silent > limit) {
        char buf[96];
        std::snprintf (buf, sizeof buf, "no data for %.0f s", silent);
        if (ever_had_data_ && o_.reconnect)
          reconnect (buf);
        else
          finish (kExitRuntime, "error",
                  "no video from '" + o_.input + "' " +
                      (last_data != 0 ? "for " : "within ") +
                      std::to_string (int (silent)) + " s (--stall-timeout); " +
                      hint_for_source ());
        return;
      }
    }
    if (!GST_CLOCK_TIME_IS_VALID (s->duration) && !s->live) {
      gint64 d = -1;
      if (o_.kind == InputKind::Demo)
        s->duration = scene_->frame_pts (scene_->n_frames ());
      else {
        GstPad *pad = gst_element_get_static_pad (s->vhead, "sink");
        if (gst_pad_peer_query_duration (pad, GST_FORMAT_TIME, &d) && d > 0)
          s->duration = GstClockTime (d);
        gst_object_unref (pad);
      }
    }
  }
  if (progress_.quiet ())
    return;

  const double elapsed = double (now - run_start_us_) / G_USEC_PER_SEC;
  const double pos = rec_.input_end;
  const double kept = rec_.kept_duration (pos);
  const std::size_t files = rec_.segments.size () + rec_.segments_dropped;
  char line[512];
  if (s != nullptr && !s->live && GST_CLOCK_TIME_IS_VALID (s->duration)) {
    const double dur = double (s->duration) / GST_SECOND;
    const double frac = std::clamp (dur > 0 ? pos / dur : 0.0, 0.0, 1.0);
    const double speed = elapsed > 0.2 ? pos / elapsed : 0;
    const double eta = speed > 0 ? (dur - pos) / speed : NAN;
    constexpr int kBar = 24;
    const int filled = int (frac * kBar);
    std::string bar (std::size_t (filled), '#');
    bar += std::string (std::size_t (kBar - filled), '-');
    std::snprintf (line, sizeof line,
                   "[%s] %3.0f%%  %5.1fx  ETA %s  kept %s (%.0f%%)  %zu "
                   "file%s",
                   bar.c_str (), frac * 100, speed,
                   std::isfinite (eta) ? format_duration (eta).c_str () : "?",
                   format_duration (kept).c_str (),
                   pos > 0 ? 100 * kept / pos : 0.0, files,
                   files == 1 ? "" : "s");
  } else {
    std::snprintf (
        line, sizeof line, "%s %s  kept %s (%.0f%%)  %zu file%s  gate %s%s",
        rec_.live ? "live" : "running", format_duration (elapsed).c_str (),
        format_duration (kept).c_str (), pos > 0 ? 100 * kept / pos : 0.0,
        files, files == 1 ? "" : "s",
        s == nullptr ? "-"
        : gate_open_ ? "OPEN"
                     : "closed",
        rec_.reconnects.empty ()
            ? ""
            : ("  reconnects " + std::to_string (rec_.reconnects.size ()))
                  .c_str ());
  }
  progress_.show (line);
}

/* ---------------------------------------------------------------- */

void
Job::write_outputs ()
{
  std::string err;
  if (!write_file_atomically (rec_.report, rec_.to_json (), err))
    progress_.say ("gst-prune: " + err, true);
  if (!write_file_atomically (rec_.timeline, rec_.to_svg (), err))
    progress_.say ("gst-prune: " + err, true);
}

void
Job::print_summary ()
{
  if (o_.quiet)
    return;
  const double kept = rec_.kept_duration (rec_.input_end);
  const std::size_t files = rec_.segments.size () + rec_.segments_dropped;
  std::string out;
  char buf[512];
  const char *how = rec_.stopped_by == "interrupt" ? "stopped (Ctrl-C)"
                    : rec_.stopped_by == "abort"   ? "aborted"
                    : rec_.stopped_by == "error"   ? "failed"
                                                   : "done";
  std::snprintf (buf, sizeof buf, "gst-prune: %s in %s", how,
                 format_duration (rec_.time_taken).c_str ());
  out += buf;
  if (!rec_.live && rec_.time_taken > 0 && rec_.input_end > 0) {
    std::snprintf (buf, sizeof buf, " (%.1fx real time)",
                   rec_.input_end / rec_.time_taken);
    out += buf;
  }
  out += "\n";
  std::snprintf (buf, sizeof buf, "  input     %s%s (%llu frames)\n",
                 format_duration (rec_.input_end).c_str (),
                 rec_.live ? " of live input" : "",
                 (unsigned long long)rec_.frames);
  out += buf;
  std::snprintf (buf, sizeof buf,
                 "  kept      %s in %zu stretch%s, %.0f %% pruned\n",
                 format_duration (kept).c_str (), rec_.kept_stretches (),
                 rec_.kept_stretches () == 1 ? "" : "es",
                 rec_.input_end > 0 ? 100 * (1 - kept / rec_.input_end) : 0.0);
  out += buf;
  if (files > 0) {
    gchar *a = g_path_get_basename (first_file_.c_str ());
    gchar *b = g_path_get_basename (last_file_.c_str ());
    std::snprintf (buf, sizeof buf, "  files     %zu new (%s%s%s, %s)", files,
                   a, files > 1 ? " to " : "", files > 1 ? b : "",
                   format_bytes (rec_.segment_bytes).c_str ());
    g_free (a);
    g_free (b);
    out += buf;
    if (rec_.deleted > 0)
      out += ", " + std::to_string (rec_.deleted) +
             " old deleted (--max-files/--max-disk)";
    out += "\n";
  } else {
    out += "  files     none new: nothing moved\n";
  }
  if (g_file_test (rec_.playlist.c_str (), G_FILE_TEST_EXISTS)) {
    std::snprintf (buf, sizeof buf, "  list      %s (%u file%s, %s)\n",
                   rec_.playlist.c_str (), rec_.list_entries,
                   rec_.list_entries == 1 ? "" : "s",
                   format_duration (rec_.list_duration).c_str ());
    out += buf;
  } else {
    /* segmentsink writes the list with its first file (an empty list is
     * not one ffmpeg reads) */
    out += "  list      none: no file was finished\n";
  }
  if (!rec_.reconnects.empty ())
    out += "  reconnects " + std::to_string (rec_.reconnects.size ()) + "\n";
  if (o_.beats > 0) {
    std::snprintf (buf, sizeof buf, "  beats     %llu (tempo %.0f BPM)\n",
                   (unsigned long long)rec_.beats_total, rec_.tempo);
    out += buf;
  }
  out += "  report    " + rec_.report + "\n";
  out += "  timeline  " + rec_.timeline + "\n";
  if (o_.kind == InputKind::Demo) {
    out += "  people walked through at (seconds, ground truth):";
    for (const auto &[a, b] : rec_.truth) {
      std::snprintf (buf, sizeof buf, " %.0f-%.0f", a, b);
      out += buf;
    }
    out += "\n";
  }
  std::fputs (out.c_str (), stdout);
  std::fflush (stdout);
}

int
Job::run ()
{
  run_start_us_ = g_get_monotonic_time ();
  rec_.started_real_us = g_get_real_time ();
  rec_.input = o_.input;
  rec_.input_kind = o_.kind == InputKind::Demo     ? "demo"
                    : o_.kind == InputKind::File   ? "file"
                    : o_.kind == InputKind::Device ? "device"
                                                   : "uri";
  rec_.outdir = o_.outdir;
  rec_.playlist = o_.outdir + "/list.ffconcat";
  rec_.index = o_.outdir + "/index.json";
  rec_.report = o_.report;
  rec_.timeline = o_.timeline;
  rec_.merge = o_.merge;
  rec_.min_area = o_.min_area;
  auto num = [] (double v) {
    return json_number (v, 4);
  };
  rec_.settings = {
      {"threshold", num (o_.threshold)},
      {"min-area", num (o_.min_area)},
      {"min-motion", num (o_.min_motion)},
      {"pre-roll", num (o_.pre_roll)},
      {"post-roll", num (o_.post_roll)},
      {"mask", json_string (o_.mask)},
      {"mode", json_string (o_.mark ? "mark" : "drop")},
      {"encoder", json_string (!o_.encoder.empty () ? o_.encoder
                               : o_.mark            ? kDefaultEncoderMark
                                                    : kDefaultEncoder)},
      {"container", json_string (o_.container)},
      {"segment-time", num (o_.segment_time)},
      {"max-files", std::to_string (o_.max_files)},
      {"max-disk", std::to_string (o_.max_disk)},
      {"beats", std::to_string (o_.beats)},
      {"audio", o_.no_audio ? "false" : "true"},
      {"stall-timeout", num (o_.stall_timeout)},
      {"reconnect", o_.reconnect ? "true" : "false"},
      {"reconnect-max", num (o_.reconnect_max)},
  };
  if (o_.beats > 0)
    rec_.settings.emplace_back ("start-is-beat",
                                joins_running_source (o_) ? "false" : "true");
  if (o_.kind == InputKind::Demo) {
    auto c = prune::scene::Config::preset (prune::scene::kPresetDemo);
    c.seconds = o_.demo_seconds;
    scene_.emplace (c);
    layout_ = prune::scene::i420_layout (c.width, c.height);
    rec_.truth = scene_->motion_intervals ();
    rec_.settings.emplace_back ("demo-seconds", num (o_.demo_seconds));
    rec_.settings.emplace_back ("realtime", o_.realtime ? "true" : "false");
  }

  loop_ = g_main_loop_new (nullptr, FALSE);
  sigint_id_ = g_unix_signal_add (SIGINT, on_signal, this);
  sigterm_id_ = g_unix_signal_add (SIGTERM, on_signal, this);
  tick_id_ = g_timeout_add (progress_.tty () ? 200 : 500, on_tick, this);
  if (!progress_.quiet ()) {
    std::string what =
        o_.kind == InputKind::Demo
            ? "the demo scene (" + format_duration (o_.demo_seconds) +
                  (o_.realtime ? ", real time)" : ", as fast as it runs)")
            : "'" + o_.input + "'";
    progress_.say ("gst-prune: " + what + " -> staticgate -> " +
                   (o_.encoder.empty () ? "x264enc" : o_.encoder) + " -> " +
                   o_.outdir + "/" + (rec_.live ? "  (Ctrl-C to stop)" : ""));
  }
  if (start_session ())
    g_main_loop_run (loop_);
  else if (!finished_)
    g_main_loop_run (loop_); /* a reconnection is pending */
  tick ();
  progress_.clear ();
  if (watchdog_id_ != 0) {
    g_source_remove (watchdog_id_);
    watchdog_id_ = 0;
  }
  rec_.time_taken = now_run_time ();
  int status = rec_.exit_status;
  if (!rec_.error.empty ())
    progress_.say ("gst-prune: error: " + rec_.error, true);

  if (status == kExitOk && !o_.merge.empty ()) {
    MergeResult mr;
    std::string err;
    if (merge_list (rec_.playlist, o_.merge, mr, err)) {
      char buf[256];
      std::snprintf (buf, sizeof buf,
                     "gst-prune: merged %u file%s into %s (%llu frames, %s, "
                     "no re-encode)",
                     mr.files, mr.files == 1 ? "" : "s", o_.merge.c_str (),
                     (unsigned long long)mr.video_frames,
                     format_duration (mr.duration).c_str ());
      progress_.say (buf);
    } else {
      progress_.say ("gst-prune: error: --merge: " + err, true);
      rec_.error = "--merge: " + err;
      status = rec_.exit_status = kExitRuntime;
    }
  }
  write_outputs ();
  if (status != kExitUsage)
    print_summary ();
  if (status == kExitOk && !o_.quiet && rec_.list_entries > 0) {
    std::printf ("next: watch   ffplay -f concat -safe 0 -i %s\n"
                 "      join    gst-prune --merge joined.mp4 -o %s\n"
                 "      look    %s (open it in a web browser)\n",
                 rec_.playlist.c_str (), o_.outdir.c_str (),
                 rec_.timeline.c_str ());
    std::fflush (stdout);
  }
  return status;
}

} // namespace

int
run_job (const Options &o)
{
  Job job (o);
  return job.run ();
}

int
run_merge_only (const Options &o)
{
  const std::string list = o.outdir + "/list.ffconcat";
  if (!g_file_test (list.c_str (), G_FILE_TEST_EXISTS)) {
    std::fprintf (stderr,
                  "gst-prune: nothing to merge: '%s' does not exist (run "
                  "gst-prune INPUT -o %s first)\n",
                  list.c_str (), o.outdir.c_str ());
    return kExitUsage;
  }
  MergeResult mr;
  std::string err;
  if (!merge_list (list, o.merge, mr, err)) {
    std::fprintf (stderr, "gst-prune: error: --merge: %s\n", err.c_str ());
    return kExitRuntime;
  }
  if (!o.quiet)
    std::printf ("gst-prune: merged %u file%s into %s (%llu frames, %s, no "
                 "re-encode)\n",
                 mr.files, mr.files == 1 ? "" : "s", o.merge.c_str (),
                 (unsigned long long)mr.video_frames,
                 format_duration (mr.duration).c_str ());
  return kExitOk;
}

std::string
check_with_gstreamer (Options &o)
{
  if (o.kind == InputKind::Uri) {
    if (!gst_uri_is_valid (o.uri.c_str ()))
      throw UsageError ("'" + o.input +
                        "' is not a valid URI (expected scheme://..., e.g. "
                        "rtsp://camera/stream)");
    gchar *proto = gst_uri_get_protocol (o.uri.c_str ());
    const std::string scheme = proto != nullptr ? proto : "";
    g_free (proto);
    if (!gst_uri_protocol_is_supported (GST_URI_SRC, scheme.c_str ()))
      throw UsageError ("no GStreamer source reads '" + scheme +
                        "://' URIs: check the address (file://, rtsp://, "
                        "http:// ...) or install the plugin that reads it");
    if (scheme == "file") {
      gchar *path = g_filename_from_uri (o.uri.c_str (), nullptr, nullptr);
      const bool exists =
          path != nullptr && g_file_test (path, G_FILE_TEST_EXISTS);
      g_free (path);
      if (!exists)
        throw UsageError ("input file '" + o.input +
                          "' does not exist: check the path");
    }
  }
  if (o.merge_only)
    return "";
  if (!o.encoder.empty ()) {
    std::string err;
    GstElement *e = element_from_description (o.encoder, err);
    if (e == nullptr)
      throw UsageError ("--encoder '" + o.encoder + "': " + err +
                        " (list encoders with: gst-inspect-1.0 | grep -i "
                        "enc)");
    gst_object_unref (gst_object_ref_sink (e));
    /* drop mode: the encoder gets no frame while the gate is closed, so
     * frames it keeps would stay in it until the next stretch (the
     * stretch's file unfinished, its audio and the input waiting) */
    if (!o.mark) {
      const int held = encoder_delay_frames (o.encoder);
      if (held > 0)
        throw UsageError (
            "--encoder '" + o.encoder + "' keeps " + std::to_string (held) +
            " frames before it gives one out: the last frames of a kept "
            "stretch would stay in it while the gate is closed; give it "
            "no delay (x264enc: tune=zerolatency) or use --mode mark");
    }
  } else if (!factory_exists ("x264enc")) {
    return "the H.264 encoder x264enc is missing: install "
           "gstreamer1.0-plugins-ugly (scripts/setup.sh), or choose one with "
           "--encoder";
  }
  const std::string mux = o.muxer ();
  if (!factory_exists (mux.c_str ()))
    return "the muxer " + mux + " for --container " + o.container +
           " is missing: install " + package_of (mux);
  if (o.beats > 0 && !factory_exists ("beatdetect"))
    return "--beats needs the beatdetect element, which this build of the "
           "prune plugin does not have (meson configure -Dbeatdetect=enabled)";
  return "";
}

std::string
find_prune_plugin (const char *argv0)
{
  (void)argv0;
  GstRegistry *reg = gst_registry_get ();
  auto have = [] {
    return factory_exists ("staticgate") && factory_exists ("segmentsink");
  };
  if (have ())
    return "";
  std::vector<std::string> dirs;
  /* running from the build tree: that build's plugin */
  gchar *exe = g_file_read_link ("/proc/self/exe", nullptr);
  if (exe != nullptr &&
      g_str_has_prefix (exe, PRUNE_BUILD_ROOT G_DIR_SEPARATOR_S))
    dirs.emplace_back (PRUNE_BUILD_ROOT G_DIR_SEPARATOR_S "plugins");
  g_free (exe);
  dirs.emplace_back (PRUNE_PLUGIN_INSTALL_DIR);
  for (const std::string &d : dirs) {
    if (g_file_test (d.c_str (), G_FILE_TEST_IS_DIR))
      gst_registry_scan_path (reg, d.c_str ());
    if (have ())
      return "";
  }
  std::string where;
  for (const std::string &d : dirs)
    where += (where.empty () ? "" : ", ") + d;
  return "the prune plugin (staticgate, segmentsink) was not found (looked "
         "on the GStreamer plugin path and in " +
         where +
         "): run scripts/setup.sh --install, or set GST_PLUGIN_PATH to the "
         "folder "
         "that holds libgstprune.so";
}

} // namespace gstprune
