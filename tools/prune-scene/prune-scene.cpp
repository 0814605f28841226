/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * prune-scene: writes the synthetic camera scene of gst/prune/scene.h as
 * raw I420 frames (GStreamer's default layout) to stdout, as fast as the
 * reader takes them:
 *
 *   prune-scene --seconds 60 | gst-launch-1.0 fdsrc ! \
 *     rawvideoparse format=i420 width=640 height=360 framerate=10/1 ! ...
 *
 * Exit status: 0 done (also when the reader closes the pipe), 1 I/O error,
 * 2 usage error.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/prune/scene.h>

#include <glib.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include <unistd.h>

namespace {

using prune::scene::Config;
using prune::scene::Scene;

constexpr int kExitOk = 0;
constexpr int kExitIo = 1;
constexpr int kExitUsage = 2;
constexpr char kDefaultSteps[] = "40:1.2,80:1";

/* Options; -1 / NAN / nullptr: not given, the preset's value stays. */
gchar *opt_preset = nullptr;
gint opt_width = -1;
gint opt_height = -1;
gchar *opt_fps = nullptr;
gdouble opt_seconds = NAN;
gint64 opt_seed = -1;
gdouble opt_noise = NAN;
gboolean opt_no_clock = FALSE;
gboolean opt_no_objects = FALSE;
gboolean opt_light_ramp = FALSE;
gboolean opt_no_light_ramp = FALSE;
gchar *opt_steps = nullptr; /* set by the callback; "" = none */
gboolean opt_no_steps = FALSE;
gchar *opt_truth = nullptr;
gboolean opt_info = FALSE;

gboolean
on_exposure_steps (const gchar *, const gchar *value, gpointer, GError **)
{
  g_free (opt_steps);
  opt_steps = g_strdup (value != nullptr ? value : kDefaultSteps);
  return TRUE;
}

const GOptionEntry kEntries[] = {
    {"preset", 'p', 0, G_OPTION_ARG_STRING, &opt_preset,
     "Scene preset: test (60 s, 3 objects; default) or demo (180 s, 5 "
     "objects)",
     "NAME"},
    {"width", 'W', 0, G_OPTION_ARG_INT, &opt_width,
     "Frame width (objects scale with the frame size)", "PIXELS"},
    {"height", 'H', 0, G_OPTION_ARG_INT, &opt_height, "Frame height", "PIXELS"},
    {"fps", 'f', 0, G_OPTION_ARG_STRING, &opt_fps, "Frame rate (default 10)",
     "N[/D]"},
    {"seconds", 's', 0, G_OPTION_ARG_DOUBLE, &opt_seconds,
     "Duration in seconds", "SECONDS"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &opt_seed,
     "Seed of the background, textures and noise (0..4294967295)", "N"},
    {"noise", 'n', 0, G_OPTION_ARG_DOUBLE, &opt_noise,
     "Sensor noise sigma in luma levels (0 none, ~2 day, 6..8 night)", "SIGMA"},
    {"no-objects", 0, 0, G_OPTION_ARG_NONE, &opt_no_objects,
     "Nobody walks through: a scene where nothing moves", nullptr},
    {"no-clock", 0, 0, G_OPTION_ARG_NONE, &opt_no_clock, "No burnt-in clock",
     nullptr},
    {"light-ramp", 0, 0, G_OPTION_ARG_NONE, &opt_light_ramp,
     "Slow light ramp: gain 1 +- 15 % over a 60 s sine", nullptr},
    {"no-light-ramp", 0, 0, G_OPTION_ARG_NONE, &opt_no_light_ramp,
     "No light ramp", nullptr},
    {"exposure-steps", 'e', G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
     (gpointer)on_exposure_steps,
     "Sudden exposure changes: from time T seconds on, gain G; the list "
     "only as --exposure-steps=LIST (without one: 40:1.2,80:1)",
     "[T:G,...]"},
    {"no-exposure-steps", 0, 0, G_OPTION_ARG_NONE, &opt_no_steps,
     "No exposure steps", nullptr},
    {"truth", 't', 0, G_OPTION_ARG_FILENAME, &opt_truth,
     "Write the motion ground truth to FILE (one \"start end\" line in "
     "seconds per interval)",
     "FILE"},
    {"info", 'i', 0, G_OPTION_ARG_NONE, &opt_info,
     "Print the caps of the stream and exit", nullptr},
    {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};

constexpr char kDescription[] =
    "Writes a synthetic fixed security camera scene (textured room, sensor "
    "noise,\n"
    "burnt-in clock, light changes, people walking through) as raw I420 "
    "frames in\n"
    "GStreamer's default layout to stdout. The motion ground truth is "
    "exact.\n"
    "\n"
    "Examples:\n"
    "  prune-scene --seconds 60 | gst-launch-1.0 fdsrc ! \\\n"
    "      rawvideoparse format=i420 width=640 height=360 framerate=10/1 ! \\\n"
    "      videoconvert ! autovideosink\n"
    "  prune-scene --preset demo --truth truth.txt | gst-launch-1.0 fdsrc ! "
    "\\\n"
    "      \"$(prune-scene --preset demo --info)\" ! rawvideoparse "
    "use-sink-caps=true ! ...\n"
    "\n"
    "With a frame rate far above 10/1, a slow object may stay on the same "
    "pixel\n"
    "for a frame; the ground truth counts such frames as static.\n"
    "\n"
    "Exit status: 0 done (also when the reader closes the pipe), 1 I/O "
    "error,\n"
    "2 usage error.";

[[noreturn]] void
usage_error (const std::string &message)
{
  std::fprintf (stderr,
                "prune-scene: %s\nTry 'prune-scene --help' for more "
                "information.\n",
                message.c_str ());
  std::exit (kExitUsage);
}

/* "N" or "N/D", both positive. */
bool
parse_fps (const char *s, int &n, int &d)
{
  char *end = nullptr;
  errno = 0;
  const long num = std::strtol (s, &end, 10);
  if (end == s || errno != 0 || num < 1 || num > G_MAXINT)
    return false;
  long den = 1;
  if (*end == '/') {
    const char *p = end + 1;
    den = std::strtol (p, &end, 10);
    if (end == p || errno != 0 || den < 1 || den > G_MAXINT)
      return false;
  }
  if (*end != '\0')
    return false;
  n = int (num);
  d = int (den);
  return true;
}

/* "T:G,T:G,..." */
bool
parse_steps (const char *s, std::vector<std::pair<double, double>> &out)
{
  out.clear ();
  if (*s == '\0')
    return true;
  gchar **parts = g_strsplit (s, ",", -1);
  bool ok = true;
  for (gchar **p = parts; *p != nullptr && ok; p++) {
    char *end = nullptr;
    const double t = g_ascii_strtod (*p, &end);
    if (end == *p || *end != ':') {
      ok = false;
      break;
    }
    const char *gs = end + 1;
    const double g = g_ascii_strtod (gs, &end);
    if (end == gs || *end != '\0' || !std::isfinite (t) || !(g > 0 && g < 16))
      ok = false;
    else
      out.emplace_back (t, g);
  }
  g_strfreev (parts);
  return ok;
}

std::string
caps_string (const Config &c)
{
  const int g = std::gcd (c.fps_n, c.fps_d);
  return "video/x-raw,format=I420,width=" + std::to_string (c.width) +
         ",height=" + std::to_string (c.height) +
         ",framerate=" + std::to_string (c.fps_n / g) + "/" +
         std::to_string (c.fps_d / g);
}

bool
write_truth (const Scene &scene, const std::string &preset, const char *path)
{
  FILE *f = std::fopen (path, "w");
  if (f == nullptr)
    return false;
  const Config &c = scene.config ();
  std::fprintf (f, "# prune-scene ground truth: motion intervals [start, end) "
                   "in seconds, one per line\n");
  std::fprintf (f,
                "# preset=%s width=%d height=%d framerate=%d/%d "
                "seconds=%.6g frames=%" G_GINT64_FORMAT
                " seed=%u noise=%.6g clock=%s light-ramp=%s "
                "exposure-steps=%zu\n",
                preset.c_str (), c.width, c.height, c.fps_n, c.fps_d, c.seconds,
                gint64 (scene.n_frames ()), unsigned (c.seed), c.noise,
                c.clock ? "yes" : "no", c.light_ramp ? "yes" : "no",
                c.exposure_steps.size ());
  for (const auto &[start, end] : scene.motion_intervals ())
    std::fprintf (f, "%.6f %.6f\n", start, end);
  const bool ok = !std::ferror (f);
  return std::fclose (f) == 0 && ok;
}

/* 1 written, 0 the reader went away, -1 error (errno set). */
int
write_all (const uint8_t *data, std::size_t size)
{
  while (size > 0) {
    const ssize_t n = write (STDOUT_FILENO, data, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno == EPIPE ? 0 : -1;
    }
    data += n;
    size -= std::size_t (n);
  }
  return 1;
}

int
run (int argc, char **argv)
{
  GError *error = nullptr;
  GOptionContext *ctx = g_option_context_new ("- synthetic camera scene");
  g_option_context_add_main_entries (ctx, kEntries, nullptr);
  g_option_context_set_description (ctx, kDescription);
  const gboolean parsed = g_option_context_parse (ctx, &argc, &argv, &error);
  g_option_context_free (ctx);
  if (!parsed) {
    const std::string message = error->message;
    g_clear_error (&error);
    usage_error (message);
  }
  if (argc > 1)
    usage_error (std::string ("unexpected argument '") + argv[1] + "'");

  const std::string preset = opt_preset != nullptr ? opt_preset : "test";
  Config c;
  try {
    c = Config::preset (preset);
  } catch (const std::invalid_argument &) {
    usage_error ("unknown preset '" + preset + "' (known: test, demo)");
  }

  if (opt_width != -1 || opt_height != -1) {
    const int w = opt_width != -1 ? opt_width : c.width;
    const int h = opt_height != -1 ? opt_height : c.height;
    if (w < 1 || h < 1 || w > 16384 || h > 16384)
      usage_error ("--width and --height must be within 1..16384");
    c.resize (w, h);
  }
  if (opt_fps != nullptr && !parse_fps (opt_fps, c.fps_n, c.fps_d))
    usage_error (std::string ("invalid --fps '") + opt_fps +
                 "' (expected N or N/D, positive integers)");
  if (!std::isnan (opt_seconds)) {
    if (!(opt_seconds >= 0 && opt_seconds <= 1e7))
      usage_error ("--seconds must be within 0..1e7");
    c.seconds = opt_seconds;
  }
  if (opt_seed != -1) {
    if (opt_seed < 0 || opt_seed > G_MAXUINT32)
      usage_error ("--seed must be within 0..4294967295");
    c.seed = uint32_t (opt_seed);
  }
  if (!std::isnan (opt_noise)) {
    if (!(opt_noise >= 0 && opt_noise <= 64))
      usage_error ("--noise must be within 0..64");
    c.noise = opt_noise;
  }
  if (opt_no_objects)
    c.objects.clear ();
  if (opt_no_clock)
    c.clock = false;
  if (opt_light_ramp && opt_no_light_ramp)
    usage_error ("--light-ramp and --no-light-ramp exclude each other");
  if (opt_light_ramp)
    c.light_ramp = true;
  if (opt_no_light_ramp)
    c.light_ramp = false;
  if (opt_steps != nullptr && opt_no_steps)
    usage_error ("--exposure-steps and --no-exposure-steps exclude each other");
  if (opt_steps != nullptr && !parse_steps (opt_steps, c.exposure_steps))
    usage_error (std::string ("invalid --exposure-steps '") + opt_steps +
                 "' (expected T:G[,T:G...], gains within (0, 16))");
  if (opt_no_steps)
    c.exposure_steps.clear ();

  std::optional<Scene> scene;
  try {
    scene.emplace (c);
  } catch (const std::invalid_argument &e) {
    usage_error (e.what ());
  }

  if (opt_info) {
    std::printf ("%s\n", caps_string (c).c_str ());
    return std::fflush (stdout) == 0 ? kExitOk : kExitIo;
  }
  if (isatty (STDOUT_FILENO))
    usage_error ("stdout is a terminal; pipe the frames into a reader "
                 "(see --help), or use --info");

  if (opt_truth != nullptr && !write_truth (*scene, preset, opt_truth)) {
    std::fprintf (stderr, "prune-scene: cannot write %s: %s\n", opt_truth,
                  std::strerror (errno));
    return kExitIo;
  }

  /* A closed pipe is how the reader says "enough": write() then fails
   * with EPIPE instead of the signal killing us. */
  std::signal (SIGPIPE, SIG_IGN);
  const auto layout = prune::scene::i420_layout (c.width, c.height);
  std::vector<uint8_t> frame (layout.size);
  const int64_t n = scene->n_frames ();
  for (int64_t i = 0; i < n; i++) {
    scene->render_i420 (i, frame.data ());
    const int r = write_all (frame.data (), frame.size ());
    if (r == 0)
      return kExitOk;
    if (r < 0) {
      std::fprintf (stderr, "prune-scene: write error: %s\n",
                    std::strerror (errno));
      return kExitIo;
    }
  }
  return kExitOk;
}

} // namespace

int
main (int argc, char **argv)
{
  const int status = run (argc, argv);
  g_free (opt_preset);
  g_free (opt_fps);
  g_free (opt_steps);
  g_free (opt_truth);
  return status;
}
