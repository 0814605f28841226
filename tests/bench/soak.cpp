/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Soak: the whole recording pipeline for a simulated day, as fast as it
 * runs, with the memory of the process sampled every simulated 10 minutes.
 *
 *   synthetic camera (gst/prune/scene.h, appsrc) -> staticgate ->
 *   x264enc -> h264parse -> segmentsink (split-on-gate, 10-minute files,
 *   max-files retention, ffconcat list and JSON index)
 *
 * Usage: bench-soak [--hours 24] [--width 640 --height 360] [--fps 10]
 *                   [--motion-every 300] [--warmup-hours H] [--keep DIR]
 *
 * The camera is the scene generator's still room (texture, sensor noise,
 * a burnt-in clock, a slow light ramp) with a person walking through every
 * --motion-every seconds (8 s each) and, every 3 hours, 25 minutes of
 * people crossing one after another (slowly: about 2 pixels per frame at
 * 640x360, 10 fps, which staticgate keeps only in parts; see the soak
 * section of docs/benchmarks.md). Frames come from a buffer pool, as from
 * a capture device; nothing syncs to a clock.
 *
 * Every --sample-minutes of stream time the appsrc thread reads VmRSS and
 * RssAnon from /proc/self/status. At the end the table is printed with the
 * growth after the warm-up: the least-squares slope of VmRSS over the
 * samples from --warmup-hours on, in MB per simulated hour.
 * Exit status: 0 growth below --max-growth (1 MB/h), 1 growth at or above
 * it, 2 usage or pipeline error.
 */
#include <gst/prune/scene.h>

#include <gst/app/gstappsrc.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

using prune::scene::Config;
using prune::scene::Object;
using prune::scene::Scene;

struct ObjectUnref {
  void operator() (gpointer object) const { gst_object_unref (object); }
};
template<typename T>
using ObjectPtr = std::unique_ptr<T, ObjectUnref>;
struct ErrorFree {
  void operator() (GError *error) const { g_error_free (error); }
};
using ErrorPtr = std::unique_ptr<GError, ErrorFree>;
struct CharFree {
  void operator() (gchar *s) const { g_free (s); }
};
using CharPtr = std::unique_ptr<gchar, CharFree>;

/* ---------------------------------------------------------------------- */
/* Options                                                                 */

gdouble opt_hours = 24;
gint opt_width = 640;
gint opt_height = 360;
gint opt_fps = 10;
gdouble opt_motion_every = 300;
gdouble opt_sample_minutes = 10;
gdouble opt_segment_minutes = 10;
gint opt_max_files = 20;
gdouble opt_warmup_hours = -1;
gdouble opt_max_growth = 1.0;
gchar *opt_keep = nullptr;
gchar *opt_encoder = nullptr;

const GOptionEntry kEntries[] = {
    {"hours", 0, 0, G_OPTION_ARG_DOUBLE, &opt_hours,
     "Simulated stream length in hours (default 24)", "H"},
    {"width", 'W', 0, G_OPTION_ARG_INT, &opt_width, "Frame width (640)", "PX"},
    {"height", 'H', 0, G_OPTION_ARG_INT, &opt_height, "Frame height (360)",
     "PX"},
    {"fps", 'f', 0, G_OPTION_ARG_INT, &opt_fps, "Frame rate (10)", "N"},
    {"motion-every", 0, 0, G_OPTION_ARG_DOUBLE, &opt_motion_every,
     "A person walks through every this many seconds (300)", "S"},
    {"sample-minutes", 0, 0, G_OPTION_ARG_DOUBLE, &opt_sample_minutes,
     "Read the RSS every this many minutes of stream (10)", "MIN"},
    {"segment-minutes", 0, 0, G_OPTION_ARG_DOUBLE, &opt_segment_minutes,
     "segmentsink max-size-time in minutes (10)", "MIN"},
    {"max-files", 0, 0, G_OPTION_ARG_INT, &opt_max_files,
     "segmentsink max-files retention (20)", "N"},
    {"warmup-hours", 0, 0, G_OPTION_ARG_DOUBLE, &opt_warmup_hours,
     "Samples before this are left out of the growth (default: a quarter "
     "of the run, at most 2 h)",
     "H"},
    {"max-growth", 0, 0, G_OPTION_ARG_DOUBLE, &opt_max_growth,
     "Fail when VmRSS grows this many MB per simulated hour or more (1.0)",
     "MB"},
    {"keep", 0, 0, G_OPTION_ARG_FILENAME, &opt_keep,
     "Write the files into DIR and keep them (default: a temporary folder, "
     "removed at the end)",
     "DIR"},
    {"encoder", 0, 0, G_OPTION_ARG_STRING, &opt_encoder,
     "Encoder description (default x264enc speed-preset=veryfast "
     "tune=zerolatency key-int-max=2 s of frames)",
     "DESC"},
    {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};

/* ---------------------------------------------------------------------- */
/* The camera                                                              */

/* A person crossing the room (in 640x360 coordinates; Config::resize
 * scales them): left to right or back, at one of three depths. */
Object
walker (double start, double duration, uint32_t n)
{
  Object o;
  o.start = start;
  o.end = start + duration;
  const int depth = int (n % 3);
  o.w = 40 + 12 * depth;
  o.h = 100 + 30 * depth;
  o.y0 = o.y1 = 200 - 30 * depth;
  const bool rightwards = n % 2 == 0;
  o.x0 = rightwards ? 60 : 560 - o.w;
  o.x1 = rightwards ? 560 - o.w : 60;
  o.seed = 1000 + n;
  return o;
}

/* The scene: still room, noise, clock, slow light ramp; a walker every
 * @every seconds; 25 minutes of continuous activity every 3 hours. */
Config
camera_config (double seconds)
{
  Config c;
  c.width = 640;
  c.height = 360;
  c.fps_n = opt_fps;
  c.fps_d = 1;
  c.seconds = seconds;
  c.seed = 11;
  c.noise = 2.0;
  c.clock = true;
  c.light_ramp = true;
  c.ramp_amplitude = 0.10;
  c.ramp_period = 1800;
  uint32_t n = 0;
  const double busy_every = 3 * 3600, busy_start = 5400, busy_len = 25 * 60;
  for (double t = opt_motion_every / 2; t < seconds; t += opt_motion_every) {
    const double in_cycle = std::fmod (t, busy_every);
    if (in_cycle >= busy_start - 60 && in_cycle < busy_start + busy_len + 60)
      continue; /* the busy stretch covers it */
    c.objects.push_back (walker (t, 8, n++));
  }
  for (double b = busy_start; b < seconds; b += busy_every)
    for (double t = b; t < b + busy_len && t < seconds; t += 15)
      c.objects.push_back (walker (t, 20, n++));
  c.resize (opt_width, opt_height);
  return c;
}

/* ---------------------------------------------------------------------- */
/* Memory samples                                                          */

struct Sample {
  double stream_hours = 0;
  double wall_seconds = 0;
  double rss_mb = 0;
  double anon_mb = 0;
  guint64 frames_passed = 0;
  guint closed = 0, deleted = 0;
};

/* VmRSS and RssAnon of this process, in MB. */
void
read_rss (double &rss_mb, double &anon_mb)
{
  std::ifstream status ("/proc/self/status");
  std::string line;
  rss_mb = anon_mb = NAN;
  while (std::getline (status, line)) {
    long kb = 0;
    if (std::sscanf (line.c_str (), "VmRSS: %ld kB", &kb) == 1)
      rss_mb = kb / 1024.0;
    else if (std::sscanf (line.c_str (), "RssAnon: %ld kB", &kb) == 1)
      anon_mb = kb / 1024.0;
  }
}

struct Soak {
  std::unique_ptr<Scene> scene;
  GstBufferPool *pool = nullptr; /* owned by main () */
  GstElement *gate = nullptr;    /* owned by the pipeline */
  int64_t n_frames = 0;
  int64_t next = 0;
  int64_t frames_per_sample = 0;
  std::chrono::steady_clock::time_point start;
  std::atomic<guint> closed{0}, deleted{0};
  std::mutex lock;
  std::vector<Sample> samples;
  bool failed = false;
};

void
take_sample (Soak &soak, int64_t frame)
{
  Sample s;
  s.stream_hours = soak.scene->frame_time (frame) / 3600.0;
  s.wall_seconds = std::chrono::duration<double> (
                       std::chrono::steady_clock::now () - soak.start)
                       .count ();
  read_rss (s.rss_mb, s.anon_mb);
  GstStructure *stats = nullptr;
  g_object_get (soak.gate, "stats", &stats, nullptr);
  if (stats != nullptr) {
    gst_structure_get_uint64 (stats, "frames-passed", &s.frames_passed);
    gst_structure_free (stats);
  }
  s.closed = soak.closed.load ();
  s.deleted = soak.deleted.load ();
  std::lock_guard<std::mutex> g (soak.lock);
  soak.samples.push_back (s);
}

/* appsrc wants a frame: render the next one into a pool buffer. */
void
on_need_data (GstAppSrc *src, guint, gpointer data)
{
  Soak &soak = *static_cast<Soak *> (data);
  if (soak.next >= soak.n_frames) {
    take_sample (soak, soak.n_frames);
    gst_app_src_end_of_stream (src);
    return;
  }
  const int64_t i = soak.next++;
  if (i % soak.frames_per_sample == 0)
    take_sample (soak, i);
  GstBuffer *buffer = nullptr;
  if (gst_buffer_pool_acquire_buffer (soak.pool, &buffer, nullptr) !=
      GST_FLOW_OK) {
    soak.failed = true;
    gst_app_src_end_of_stream (src);
    return;
  }
  GstMapInfo map;
  if (gst_buffer_map (buffer, &map, GST_MAP_WRITE)) {
    soak.scene->render_i420 (i, map.data);
    gst_buffer_unmap (buffer, &map);
  }
  GST_BUFFER_PTS (buffer) = soak.scene->frame_pts (i);
  GST_BUFFER_DURATION (buffer) =
      soak.scene->frame_pts (i + 1) - GST_BUFFER_PTS (buffer);
  gst_app_src_push_buffer (src, buffer);
}

/* ---------------------------------------------------------------------- */
/* Report                                                                  */

/* Least-squares slope of VmRSS (MB) over stream hours. */
double
slope (const std::vector<Sample> &v)
{
  if (v.size () < 2)
    return NAN;
  double mx = 0, my = 0;
  for (const Sample &s : v) {
    mx += s.stream_hours;
    my += s.rss_mb;
  }
  mx /= v.size ();
  my /= v.size ();
  double sxy = 0, sxx = 0;
  for (const Sample &s : v) {
    sxy += (s.stream_hours - mx) * (s.rss_mb - my);
    sxx += (s.stream_hours - mx) * (s.stream_hours - mx);
  }
  return sxx > 0 ? sxy / sxx : NAN;
}

std::string
hm (double hours)
{
  const long minutes = std::lround (hours * 60);
  return std::to_string (minutes / 60) + ":" + (minutes % 60 < 10 ? "0" : "") +
         std::to_string (minutes % 60);
}

int
report (const Soak &soak, double warmup)
{
  std::printf ("\n| stream time | wall s | x real time | VmRSS MB | RssAnon MB "
               "| frames kept | files closed | files deleted |\n"
               "|---|---|---|---|---|---|---|---|\n");
  for (const Sample &s : soak.samples)
    std::printf ("| %s | %.0f | %.0f | %.1f | %.1f | %" G_GUINT64_FORMAT
                 " | %u | %u |\n",
                 hm (s.stream_hours).c_str (), s.wall_seconds,
                 s.wall_seconds > 0 ? s.stream_hours * 3600 / s.wall_seconds
                                    : 0.0,
                 s.rss_mb, s.anon_mb, s.frames_passed, s.closed, s.deleted);
  std::vector<Sample> after;
  for (const Sample &s : soak.samples)
    if (s.stream_hours >= warmup - 1e-9)
      after.push_back (s);
  if (after.size () < 3) {
    std::printf ("\nsoak: too few samples after the %.2f h warm-up to "
                 "measure growth\n",
                 warmup);
    return 2;
  }
  const double growth = slope (after);
  auto [lo, hi] = std::minmax_element (
      after.begin (), after.end (),
      [] (const Sample &a, const Sample &b) { return a.rss_mb < b.rss_mb; });
  const Sample &last = soak.samples.back ();
  std::printf (
      "\nsoak: %s of %dx%d at %d fps in %.0f s (%.0fx real time); VmRSS "
      "%.1f MB at %s, %.1f..%.1f MB after it, %.1f MB at the end\n",
      hm (last.stream_hours).c_str (), opt_width, opt_height, opt_fps,
      last.wall_seconds, last.stream_hours * 3600 / last.wall_seconds,
      after.front ().rss_mb, hm (warmup).c_str (), lo->rss_mb, hi->rss_mb,
      last.rss_mb);
  std::printf ("soak: growth after the warm-up: %+.3f MB per stream hour "
               "(least squares over %zu samples); limit %.2f MB/h: %s\n",
               growth, after.size (), opt_max_growth,
               growth < opt_max_growth ? "met" : "NOT met");
  return growth < opt_max_growth ? 0 : 1;
}

void
remove_tree (const std::string &dir)
{
  GDir *d = g_dir_open (dir.c_str (), 0, nullptr);
  if (d != nullptr) {
    while (const gchar *name = g_dir_read_name (d)) {
      CharPtr path (g_build_filename (dir.c_str (), name, nullptr));
      g_remove (path.get ());
    }
    g_dir_close (d);
  }
  g_rmdir (dir.c_str ());
}

} // namespace

int
main (int argc, char **argv)
{
  std::unique_ptr<GOptionContext, decltype (&g_option_context_free)> context (
      g_option_context_new (""), g_option_context_free);
  g_option_context_set_summary (
      context.get (), "Soak: camera -> staticgate -> x264enc -> segmentsink "
                      "for a simulated day, RSS sampled.");
  g_option_context_add_main_entries (context.get (), kEntries, nullptr);
  g_option_context_add_group (context.get (), gst_init_get_option_group ());
  GError *raw_error = nullptr;
  if (!g_option_context_parse (context.get (), &argc, &argv, &raw_error)) {
    ErrorPtr error (raw_error);
    std::fprintf (stderr, "soak: %s\n", error->message);
    return 2;
  }
  if (!(opt_hours > 0) || opt_fps < 1 || opt_width < 16 || opt_height < 16 ||
      !(opt_motion_every > 0) || !(opt_sample_minutes > 0) ||
      opt_max_files < 1 || !(opt_segment_minutes >= 0)) {
    std::fprintf (stderr, "soak: invalid option value (see --help)\n");
    return 2;
  }
  const double warmup =
      opt_warmup_hours >= 0 ? opt_warmup_hours : std::min (2.0, opt_hours / 4);

  std::string outdir;
  if (opt_keep != nullptr) {
    outdir = opt_keep;
    g_mkdir_with_parents (outdir.c_str (), 0755);
  } else {
    CharPtr tmp (g_dir_make_tmp ("prune-soak-XXXXXX", nullptr));
    if (!tmp) {
      std::fprintf (stderr, "soak: cannot make a temporary folder\n");
      return 2;
    }
    outdir = tmp.get ();
  }

  int code = 2;
  {
    Soak soak;
    soak.scene = std::make_unique<Scene> (camera_config (opt_hours * 3600));
    soak.n_frames = soak.scene->n_frames ();
    soak.frames_per_sample =
        std::max<int64_t> (1, std::llround (opt_sample_minutes * 60 * opt_fps));

    const std::string encoder =
        opt_encoder != nullptr
            ? std::string (opt_encoder)
            : "x264enc speed-preset=veryfast tune=zerolatency key-int-max=" +
                  std::to_string (2 * opt_fps);
    const std::string desc =
        "appsrc name=src format=time is-live=false ! "
        "staticgate name=gate ! " +
        encoder + " ! h264parse ! segmentsink name=sink split-on-gate=true";
    GError *err = nullptr;
    GstElement *raw = gst_parse_launch_full (desc.c_str (), nullptr,
                                             GST_PARSE_FLAG_FATAL_ERRORS, &err);
    ErrorPtr error (err);
    if (raw == nullptr) {
      std::fprintf (stderr, "soak: %s\n", error->message);
      return 2;
    }
    if (g_object_is_floating (raw))
      gst_object_ref_sink (raw);
    ObjectPtr<GstElement> pipeline (raw);

    GstCaps *caps = gst_caps_new_simple (
        "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
        opt_width, "height", G_TYPE_INT, opt_height, "framerate",
        GST_TYPE_FRACTION, opt_fps, 1, nullptr);
    const auto frame_size =
        prune::scene::i420_layout (opt_width, opt_height).size;
    ObjectPtr<GstBufferPool> pool (gst_buffer_pool_new ());
    GstStructure *config = gst_buffer_pool_get_config (pool.get ());
    gst_buffer_pool_config_set_params (config, caps, guint (frame_size), 4, 0);
    gst_buffer_pool_set_config (pool.get (), config);
    gst_buffer_pool_set_active (pool.get (), TRUE);
    soak.pool = pool.get ();

    ObjectPtr<GstElement> src (
        gst_bin_get_by_name (GST_BIN (pipeline.get ()), "src"));
    /* at most two frames wait in appsrc */
    g_object_set (src.get (), "caps", caps, "max-bytes",
                  guint64 (2 * frame_size), "block", FALSE, nullptr);
    gst_caps_unref (caps);
    GstAppSrcCallbacks callbacks = {};
    callbacks.need_data = on_need_data;
    gst_app_src_set_callbacks (GST_APP_SRC (src.get ()), &callbacks, &soak,
                               nullptr);
    ObjectPtr<GstElement> gate (
        gst_bin_get_by_name (GST_BIN (pipeline.get ()), "gate"));
    soak.gate = gate.get ();
    ObjectPtr<GstElement> sink (
        gst_bin_get_by_name (GST_BIN (pipeline.get ()), "sink"));
    CharPtr location (
        g_build_filename (outdir.c_str (), "seg%06d.mp4", nullptr));
    CharPtr playlist (
        g_build_filename (outdir.c_str (), "list.ffconcat", nullptr));
    CharPtr index (g_build_filename (outdir.c_str (), "index.json", nullptr));
    g_object_set (sink.get (), "location", location.get (), "playlist-location",
                  playlist.get (), "index-location", index.get (),
                  "max-size-time",
                  guint64 (opt_segment_minutes * 60 * GST_SECOND), "max-files",
                  guint (opt_max_files), nullptr);

    std::printf ("soak: %s of %dx%d at %d fps (%" PRId64
                 " frames), %zu walkers; RSS every %.0f min; warm-up %.2f h; "
                 "files in %s\n",
                 hm (opt_hours).c_str (), opt_width, opt_height, opt_fps,
                 soak.n_frames, soak.scene->config ().objects.size (),
                 opt_sample_minutes, warmup, outdir.c_str ());
    std::printf ("soak: appsrc ! staticgate ! %s ! h264parse ! segmentsink "
                 "split-on-gate=true max-size-time=%.0fmin max-files=%d\n",
                 encoder.c_str (), opt_segment_minutes, opt_max_files);
    std::fflush (stdout);

    soak.start = std::chrono::steady_clock::now ();
    ObjectPtr<GstBus> bus (gst_element_get_bus (pipeline.get ()));
    bool ok = gst_element_set_state (pipeline.get (), GST_STATE_PLAYING) !=
              GST_STATE_CHANGE_FAILURE;
    double next_progress = 1;
    while (ok) {
      GstMessage *msg = gst_bus_timed_pop (bus.get (), GST_SECOND);
      if (msg == nullptr)
        continue;
      bool done = false;
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
        GError *e = nullptr;
        gchar *dbg = nullptr;
        gst_message_parse_error (msg, &e, &dbg);
        ErrorPtr ep (e);
        CharPtr dp (dbg);
        std::fprintf (stderr, "soak: error: %s\n%s\n", e->message,
                      dbg != nullptr ? dbg : "");
        ok = false;
      } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
        done = true;
      } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
        const GstStructure *s = gst_message_get_structure (msg);
        if (gst_structure_has_name (s, "prune-segment-closed"))
          soak.closed++;
        else if (gst_structure_has_name (s, "prune-segment-deleted"))
          soak.deleted++;
      }
      gst_message_unref (msg);
      if (done)
        break;
      std::lock_guard<std::mutex> g (soak.lock);
      if (!soak.samples.empty () &&
          soak.samples.back ().stream_hours >= next_progress) {
        const Sample &s = soak.samples.back ();
        std::fprintf (stderr, "soak: %s, %.0f s, VmRSS %.1f MB\n",
                      hm (s.stream_hours).c_str (), s.wall_seconds, s.rss_mb);
        next_progress = std::floor (s.stream_hours) + 1;
      }
    }
    gst_element_set_state (pipeline.get (), GST_STATE_NULL);
    gst_buffer_pool_set_active (pool.get (), FALSE);
    if (ok && !soak.failed)
      code = report (soak, warmup);
  }
  if (opt_keep == nullptr)
    remove_tree (outdir);
  g_free (opt_keep);
  g_free (opt_encoder);
  return code;
}
