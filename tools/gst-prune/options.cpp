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

#include "options.h"

#include <glib/gstdio.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>
#include <sys/stat.h>

namespace gstprune {

std::string
Options::muxer () const
{
  if (container == "mkv")
    return "matroskamux";
  if (container == "ts")
    return "mpegtsmux";
  return "mp4mux";
}

std::string
Options::extension () const
{
  return container;
}

bool
parse_size (const std::string &s, guint64 &out)
{
  if (s.empty ())
    return false;
  char *end = nullptr;
  const double v = g_ascii_strtod (s.c_str (), &end);
  if (end == s.c_str () || !std::isfinite (v) || v < 0)
    return false;
  double mult = 1;
  std::string suffix (end);
  if (!suffix.empty () && (suffix.back () == 'B' || suffix.back () == 'b'))
    suffix.pop_back ();
  if (suffix.size () == 2 && (suffix[1] == 'i' || suffix[1] == 'I'))
    suffix.pop_back (); /* "GiB" */
  if (suffix.empty ())
    mult = 1;
  else if (suffix == "k" || suffix == "K")
    mult = 1024.0;
  else if (suffix == "m" || suffix == "M")
    mult = 1024.0 * 1024;
  else if (suffix == "g" || suffix == "G")
    mult = 1024.0 * 1024 * 1024;
  else if (suffix == "t" || suffix == "T")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else
    return false;
  const double bytes = v * mult;
  if (bytes >= 1.8e19)
    return false;
  out = guint64 (bytes);
  return true;
}

namespace {

/* Values as strings: each is parsed and range-checked below with a message
 * that names the option and what it expects. */
struct Raw {
  gchar *output = nullptr;
  gboolean demo = FALSE;
  gchar *demo_seconds = nullptr;
  gboolean realtime = FALSE;
  gboolean no_audio = FALSE;
  gchar *threshold = nullptr;
  gchar *min_area = nullptr;
  gchar *min_motion = nullptr;
  gchar *pre_roll = nullptr;
  gchar *post_roll = nullptr;
  gchar *mask = nullptr;
  gchar *mode = nullptr;
  gchar *encoder = nullptr;
  gchar *container = nullptr;
  gchar *segment_time = nullptr;
  gchar *max_files = nullptr;
  gchar *max_disk = nullptr;
  gchar *beats = nullptr;
  gchar *stall_timeout = nullptr;
  gboolean reconnect = FALSE;
  gboolean no_reconnect = FALSE;
  gchar *reconnect_max = nullptr;
  gchar *report = nullptr;
  gchar *timeline = nullptr;
  gchar *merge = nullptr;
  gboolean quiet = FALSE;
  gboolean version = FALSE;
  gchar **rest = nullptr;

  ~Raw ()
  {
    for (gchar *p :
         {output,        demo_seconds,  threshold, min_area, min_motion,
          pre_roll,      post_roll,     mask,      mode,     encoder,
          container,     segment_time,  max_files, max_disk, beats,
          stall_timeout, reconnect_max, report,    timeline, merge})
      g_free (p);
    g_strfreev (rest);
  }
};

constexpr char kSummary[] =
    "Keeps what moves in a video and drops the long static stretches: decodes\n"
    "INPUT, gates it with staticgate, encodes the kept stretches (H.264) and\n"
    "writes them as segment files with an ffmpeg concat list (list.ffconcat),\n"
    "a JSON index (index.json), a run report (report.json) and a picture of\n"
    "the run (timeline.svg) into OUTDIR.\n"
    "\n"
    "INPUT is a file, a URI (file://, rtsp://, http(s)://, anything "
    "GStreamer's\n"
    "uridecodebin opens), a V4L2 device (/dev/video0), or --demo: a built-in\n"
    "synthetic camera scene (3 minutes of a still room with sensor noise, a\n"
    "ticking clock and people walking through at known times).";

constexpr char kDescription[] =
    "Examples:\n"
    "  gst-prune --demo -o demo-out\n"
    "      the built-in scene, as fast as it runs; prints when people walked\n"
    "      through and what was kept\n"
    "  gst-prune cam.mp4 -o kept --merge kept.mp4\n"
    "      a file; the kept stretches also joined into one file (no "
    "re-encode)\n"
    "  gst-prune rtsp://user:pass@camera/stream -o /srv/cam1 \\\n"
    "      --segment-time 300 --max-disk 50G --stall-timeout 5\n"
    "      a camera, recorded until Ctrl-C; at most 5-minute files, the "
    "oldest\n"
    "      deleted beyond 50 GiB, reconnecting when the stream stops\n"
    "  gst-prune /dev/video0 -o webcam --mask '0,0,100%,10%' --threshold 8\n"
    "  gst-prune concert.mkv -o cuts --beats 4 --mode mark\n"
    "  gst-prune --merge all.mp4 -o kept\n"
    "      only join what an earlier run wrote into kept/\n"
    "\n"
    "Running again into the same OUTDIR continues the numbering and the list;\n"
    "nothing is overwritten. Ctrl-C (or SIGTERM) finishes the open segment "
    "and\n"
    "the list and exits 0 with the summary; a second Ctrl-C aborts (exit 130;\n"
    "the list still names only complete files).\n"
    "\n"
    "Exit status: 0 done; 1 failed while running (input unreachable or\n"
    "unreadable, disk full, a missing plugin); 2 the command line cannot work\n"
    "as written (unknown option, bad value, missing input file, OUTDIR not\n"
    "writable); 130 aborted by a second Ctrl-C.\n"
    "\n"
    "More: docs/gst-prune.md, docs/elements/staticgate.md,\n"
    "docs/elements/segmentsink.md.";

[[noreturn]] void
bad (const std::string &msg)
{
  throw UsageError (msg);
}

/* A finite number from @lo to @hi; @noun and @unit name it in the
 * messages ("a number" + " (luma levels)", "a number of seconds" + "
 * seconds"). */
double
parse_number (const char *opt, const char *s, double lo, double hi,
              const std::string &noun, const std::string &unit)
{
  char *end = nullptr;
  const double v = g_ascii_strtod (s, &end);
  if (end == s || *end != '\0' || !std::isfinite (v))
    bad (std::string (opt) + ": '" + s + "' is not " + noun);
  if (v < lo || v > hi) {
    char buf[200];
    std::snprintf (buf, sizeof buf, "%s: %s is out of range; use %g to %g%s",
                   opt, s, lo, hi, unit.c_str ());
    bad (buf);
  }
  return v;
}

double
seconds_value (const char *opt, const char *s, double lo, double hi)
{
  return parse_number (opt, s, lo, hi, "a number of seconds (e.g. 1.5)",
                       " seconds");
}

double
number_value (const char *opt, const char *s, double lo, double hi,
              const char *what)
{
  return parse_number (opt, s, lo, hi, std::string ("a number (") + what + ")",
                       std::string (" (") + what + ")");
}

guint
count_value (const char *opt, const char *s, guint lo, guint hi,
             const char *what)
{
  char *end = nullptr;
  errno = 0;
  const guint64 v = g_ascii_strtoull (s, &end, 10);
  if (end == s || *end != '\0' || errno != 0 || s[0] == '-')
    bad (std::string (opt) + ": '" + s + "' is not a whole number (" + what +
         ")");
  if (v < lo || v > hi)
    bad (std::string (opt) + ": " + s + " is out of range; use " +
         std::to_string (lo) + " to " + std::to_string (hi) + " (" + what +
         ")");
  return guint (v);
}

bool
is_char_device (const std::string &path)
{
  GStatBuf st;
  return g_stat (path.c_str (), &st) == 0 && S_ISCHR (st.st_mode);
}

} // namespace

Options
parse_options (int argc, char **argv, bool &exit_now)
{
  exit_now = false;
  Raw r;
  const GOptionEntry entries[] = {
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &r.output,
       "Folder for the segments, list, index, report and timeline (created "
       "if needed; an existing one is continued)",
       "OUTDIR"},
      {"demo", 0, 0, G_OPTION_ARG_NONE, &r.demo,
       "Use the built-in synthetic camera scene as INPUT (ends by itself)",
       nullptr},
      {"demo-seconds", 0, 0, G_OPTION_ARG_STRING, &r.demo_seconds,
       "Length of the --demo scene (default 180)", "SECONDS"},
      {"realtime", 0, 0, G_OPTION_ARG_NONE, &r.realtime,
       "Play --demo at its real speed, like a live camera (default: as fast "
       "as it runs)",
       nullptr},
      {"threshold", 't', 0, G_OPTION_ARG_STRING, &r.threshold,
       "Luma levels a block must change by, above its learned noise "
       "(0.5-255, default 5; raise to 8-12 for noisy night pictures)",
       "LEVELS"},
      {"min-area", 'a', 0, G_OPTION_ARG_STRING, &r.min_area,
       "Changed fraction of the picture that counts as motion (0-1, default "
       "0.0025; raise to 0.01-0.03 for swaying trees)",
       "FRACTION"},
      {"min-motion", 0, 0, G_OPTION_ARG_STRING, &r.min_motion,
       "How long motion must last to count (0-60, default 0.3)", "SECONDS"},
      {"mask", 'm', 0, G_OPTION_ARG_STRING, &r.mask,
       "Regions to ignore, ';'-separated: x,y,w,h rectangles in pixels or % "
       "of the frame and/or a grayscale image whose non-black pixels are "
       "ignored (e.g. '0,0,100%,10%')",
       "REGIONS"},
      {"pre-roll", 0, 0, G_OPTION_ARG_STRING, &r.pre_roll,
       "Kept before motion starts (0-600, default 1)", "SECONDS"},
      {"post-roll", 0, 0, G_OPTION_ARG_STRING, &r.post_roll,
       "Kept after motion stops (0-3600, default 2)", "SECONDS"},
      {"mode", 0, 0, G_OPTION_ARG_STRING, &r.mode,
       "drop (default): static frames are never encoded; mark: every frame "
       "is encoded and the pre-roll is kept as encoded video (less memory "
       "for long pre-rolls and large pictures, more CPU)",
       "drop|mark"},
      {"encoder", 'e', 0, G_OPTION_ARG_STRING, &r.encoder,
       "Video encoder as a gst-launch element description (default: x264enc "
       "speed-preset=veryfast tune=zerolatency key-int-max=60; in drop mode "
       "one that keeps no frames, e.g. 'x264enc tune=zerolatency "
       "bitrate=4000')",
       "'ELEMENT [PROP=VALUE...]'"},
      {"container", 'c', 0, G_OPTION_ARG_STRING, &r.container,
       "Segment file format: mp4 (default, fragmented: readable after a "
       "crash), mkv or ts",
       "mp4|mkv|ts"},
      {"segment-time", 's', 0, G_OPTION_ARG_STRING, &r.segment_time,
       "Also split a kept stretch into files of at most this long (default 0: "
       "one file per kept stretch)",
       "SECONDS"},
      {"max-files", 0, 0, G_OPTION_ARG_STRING, &r.max_files,
       "Keep at most N finished files; the oldest are deleted (default 0: no "
       "limit)",
       "N"},
      {"max-disk", 0, 0, G_OPTION_ARG_STRING, &r.max_disk,
       "Keep the finished files under this size in all, e.g. 500M, 20G "
       "(default: no limit)",
       "SIZE"},
      {"beats", 'b', 0, G_OPTION_ARG_STRING, &r.beats,
       "Also cut a new file every N musical beats found in the input's audio "
       "(default 0: off)",
       "N"},
      {"no-audio", 0, 0, G_OPTION_ARG_NONE, &r.no_audio,
       "Leave the input's audio out (default: the first audio stream is kept, "
       "in sync, as AAC)",
       nullptr},
      {"stall-timeout", 0, 0, G_OPTION_ARG_STRING, &r.stall_timeout,
       "Live input: no data for this long counts as lost (1-3600, default 10)",
       "SECONDS"},
      {"reconnect", 0, 0, G_OPTION_ARG_NONE, &r.reconnect,
       "Live input: reconnect when it errors or stalls, waiting 1, 2, 4... "
       "seconds up to --reconnect-max (the default)",
       nullptr},
      {"no-reconnect", 0, 0, G_OPTION_ARG_NONE, &r.no_reconnect,
       "Live input: stop (exit 1) when it errors or stalls", nullptr},
      {"reconnect-max", 0, 0, G_OPTION_ARG_STRING, &r.reconnect_max,
       "Longest wait between reconnection attempts (1-3600, default 30)",
       "SECONDS"},
      {"report", 'r', 0, G_OPTION_ARG_FILENAME, &r.report,
       "Write the run report here (default OUTDIR/report.json)", "FILE.json"},
      {"timeline", 0, 0, G_OPTION_ARG_FILENAME, &r.timeline,
       "Draw the run here: motion score, kept stretches, segment boundaries, "
       "beats (default OUTDIR/timeline.svg)",
       "FILE.svg"},
      {"merge", 0, 0, G_OPTION_ARG_FILENAME, &r.merge,
       "At the end, join every file of the list into one (stream copy, no "
       "re-encode; .mp4, .mov, .mkv or .ts). Without INPUT: only join what "
       "OUTDIR holds",
       "OUT.mp4"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &r.quiet,
       "No progress and no summary; errors only", nullptr},
      {"version", 0, 0, G_OPTION_ARG_NONE, &r.version, "Print the version",
       nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &r.rest, nullptr,
       "INPUT"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};

  GOptionContext *ctx = g_option_context_new ("[INPUT] -o OUTDIR");
  g_option_context_set_summary (ctx, kSummary);
  g_option_context_set_description (ctx, kDescription);
  g_option_context_add_main_entries (ctx, entries, nullptr);
  GError *err = nullptr;
  const gboolean ok = g_option_context_parse (ctx, &argc, &argv, &err);
  g_option_context_free (ctx);
  if (!ok) {
    std::string msg = err->message;
    g_error_free (err);
    bad (msg);
  }
  if (r.version) {
    std::printf ("gst-prune %s\n", VERSION);
    exit_now = true;
    return {};
  }

  Options o;
  std::vector<std::string> rest;
  for (gchar **p = r.rest; p != nullptr && *p != nullptr; p++)
    rest.emplace_back (*p);

  if (r.output == nullptr)
    bad ("no output folder: add -o OUTDIR (e.g. gst-prune --demo -o "
         "demo-out)");
  o.outdir = r.output;
  if (o.outdir.empty ())
    bad ("-o: the output folder name is empty");

  if (r.demo) {
    if (!rest.empty ())
      bad ("--demo takes no INPUT, but '" + rest[0] +
           "' was given: drop one of them");
    o.kind = InputKind::Demo;
    o.input = "demo";
  } else if (rest.empty ()) {
    if (r.merge == nullptr)
      bad ("no INPUT: give a file, a URI, a device such as /dev/video0, or "
           "--demo");
    o.merge_only = true;
  } else if (rest.size () > 1) {
    bad ("one INPUT at a time, got '" + rest[0] + "' and '" + rest[1] +
         "' (run one gst-prune per input)");
  } else {
    o.input = rest[0];
    if (o.input.find ("://") != std::string::npos) {
      o.kind = InputKind::Uri;
      o.uri = o.input;
    } else if (g_str_has_prefix (o.input.c_str (), "/dev/video") ||
               is_char_device (o.input)) {
      if (!g_file_test (o.input.c_str (), G_FILE_TEST_EXISTS))
        bad ("no video device '" + o.input +
             "': check the name with 'ls /dev/video*'");
      o.kind = InputKind::Device;
      o.uri = "v4l2://" + o.input;
    } else {
      if (!g_file_test (o.input.c_str (), G_FILE_TEST_EXISTS))
        bad ("input file '" + o.input +
             "' does not exist: check the path (or give a URI such as "
             "rtsp://camera/stream)");
      if (g_file_test (o.input.c_str (), G_FILE_TEST_IS_DIR))
        bad ("input '" + o.input +
             "' is a folder: give one video file, a URI or a device");
      GError *e = nullptr;
      gchar *uri = g_filename_to_uri (
          std::unique_ptr<gchar, decltype (&g_free)> (
              g_canonicalize_filename (o.input.c_str (), nullptr), g_free)
              .get (),
          nullptr, &e);
      if (uri == nullptr) {
        std::string msg = e->message;
        g_error_free (e);
        bad ("input file '" + o.input + "': " + msg);
      }
      o.uri = uri;
      g_free (uri);
      o.kind = InputKind::File;
    }
  }

  if (r.demo_seconds != nullptr) {
    if (!r.demo)
      bad ("--demo-seconds only applies with --demo");
    o.demo_seconds =
        seconds_value ("--demo-seconds", r.demo_seconds, 0.1, 86400);
  }
  if (r.realtime && !r.demo)
    bad ("--realtime only applies with --demo (live inputs are always real "
         "time)");
  o.realtime = r.realtime;
  o.no_audio = r.no_audio;

  if (r.threshold != nullptr)
    o.threshold = number_value ("--threshold", r.threshold, 0.5, 255,
                                "luma levels, default 5");
  if (r.min_area != nullptr)
    o.min_area = number_value ("--min-area", r.min_area, 0, 1,
                               "a fraction of the picture, default 0.0025");
  if (r.min_motion != nullptr)
    o.min_motion = seconds_value ("--min-motion", r.min_motion, 0, 60);
  if (r.pre_roll != nullptr)
    o.pre_roll = seconds_value ("--pre-roll", r.pre_roll, 0, 600);
  if (r.post_roll != nullptr)
    o.post_roll = seconds_value ("--post-roll", r.post_roll, 0, 3600);
  if (r.mask != nullptr)
    o.mask = r.mask;
  if (r.mode != nullptr) {
    if (std::strcmp (r.mode, "mark") == 0)
      o.mark = true;
    else if (std::strcmp (r.mode, "drop") != 0)
      bad (std::string ("--mode: '") + r.mode +
           "' is not a mode; use drop or mark");
  }
  if (r.encoder != nullptr) {
    o.encoder = r.encoder;
    if (o.encoder.find ('!') != std::string::npos)
      bad ("--encoder: give one element with its properties, without '!' "
           "(e.g. 'x264enc tune=zerolatency bitrate=4000')");
  }
  if (r.container != nullptr) {
    o.container = r.container;
    if (o.container == "matroska")
      o.container = "mkv";
    if (o.container != "mp4" && o.container != "mkv" && o.container != "ts")
      bad ("--container: '" + o.container +
           "' is not known; use mp4, mkv or ts");
  }
  if (r.segment_time != nullptr) {
    o.segment_time =
        seconds_value ("--segment-time", r.segment_time, 0, 7 * 86400);
    if (o.segment_time > 0 && o.segment_time < 0.5)
      bad ("--segment-time: files shorter than 0.5 s are not useful; use 0 "
           "(off) or 0.5 and more");
  }
  if (r.max_files != nullptr)
    o.max_files = count_value ("--max-files", r.max_files, 0, G_MAXUINT,
                               "files, 0 = no limit");
  if (r.max_disk != nullptr && !parse_size (r.max_disk, o.max_disk))
    bad (std::string ("--max-disk: '") + r.max_disk +
         "' is not a size; use e.g. 500M, 20G or a number of bytes");
  if (r.beats != nullptr) {
    o.beats =
        count_value ("--beats", r.beats, 0, 100000, "beats per file, 0 = off");
    if (o.beats > 0 && (r.demo || r.no_audio))
      bad (std::string ("--beats needs the input's audio, and ") +
           (r.demo ? "--demo has none" : "--no-audio leaves it out"));
  }
  if (r.stall_timeout != nullptr)
    o.stall_timeout =
        seconds_value ("--stall-timeout", r.stall_timeout, 1, 3600);
  if (r.reconnect && r.no_reconnect)
    bad ("--reconnect and --no-reconnect exclude each other: keep one");
  o.reconnect = !r.no_reconnect;
  if (r.reconnect_max != nullptr)
    o.reconnect_max =
        seconds_value ("--reconnect-max", r.reconnect_max, 1, 3600);

  o.report =
      r.report != nullptr ? std::string (r.report) : o.outdir + "/report.json";
  o.timeline = r.timeline != nullptr ? std::string (r.timeline)
                                     : o.outdir + "/timeline.svg";
  if (r.merge != nullptr) {
    o.merge = r.merge;
    const char *dot = std::strrchr (r.merge, '.');
    std::string ext = dot != nullptr ? dot : "";
    for (char &c : ext)
      c = g_ascii_tolower (c);
    if (ext != ".mp4" && ext != ".m4v" && ext != ".mov" && ext != ".mkv" &&
        ext != ".ts")
      bad (std::string ("--merge: '") + r.merge +
           "' needs a known extension: .mp4, .mov, .mkv or .ts");
  }
  o.quiet = r.quiet;
  return o;
}

} // namespace gstprune
