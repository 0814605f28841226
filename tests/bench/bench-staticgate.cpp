/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Analysis cost of the static gate per frame at 720p, 1080p and 2160p I420
 * on one core, against ffmpeg's mpdecimate and freezedetect on the same raw
 * frames in the same run.
 *
 * Usage: bench-staticgate [--frames N] [--no-ffmpeg] [--sizes 1080p,...]
 *
 * The frames are a static textured scene with sensor noise (the case a
 * gate meets most: nothing moves). Our figure is the median time of
 * MotionDetector::analyze() over N frames (after a warm-up), the
 * analysis alone, on a frame just written (as a decoder leaves it; also
 * shown cold, out of every cache). The anchors' figures are their filters
 * alone, on frames ffmpeg's rawvideo decoder has just produced: ffmpeg
 * runs each filter and a `null` filter over the same file (looped) with
 * -threads 1 -filter_threads 1, and the difference of their user CPU times
 * divided by the frame count is the filter's cost.
 */
#include <gst/prune/kernels.h>
#include <gst/prune/motion.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

struct Size {
  const char *name;
  int w, h;
};

uint32_t
mix (uint32_t x)
{
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

/* I420 frame @n of a static scene: soft shapes, texture, noise +-3. */
void
render (std::vector<uint8_t> &frame, int w, int h, uint32_t n)
{
  frame.resize (static_cast<std::size_t> (w) * h * 3 / 2);
  for (int y = 0; y < h; y++) {
    uint8_t *row = frame.data () + static_cast<std::size_t> (y) * w;
    for (int x = 0; x < w; x++) {
      int v = 60 + (x * 140 / w) + ((x / 97 + y / 83) % 2) * 30 +
              static_cast<int> (
                  mix (static_cast<uint32_t> (x / 3 + y / 3 * 7919)) % 9);
      v += static_cast<int> (mix (n * 2654435761u + y * 40503u + x) % 7) - 3;
      row[x] = static_cast<uint8_t> (std::clamp (v, 0, 255));
    }
  }
  std::fill (frame.begin () + static_cast<std::size_t> (w) * h, frame.end (),
             128);
}

/* Median ms of analyze(). warm: each frame is copied into the buffer just
 * before it is analysed, as a decoder leaves its output in the cache;
 * cold: the frames are analysed where they lie (~90 MB at 1080p, out of
 * every cache). */
double
ours_ms (const Size &s, int frames, std::vector<std::vector<uint8_t>> &raw,
         bool warm)
{
  prune::MotionDetector det;
  det.configure (s.w, s.h, {1, {1, 0, 0, 0}, 1}, 320);
  std::vector<double> times;
  std::vector<uint8_t> buffer (raw[0].size ());
  for (int i = 0; i < frames + 10; i++) {
    const auto *src = &raw[i % raw.size ()];
    if (warm) {
      std::memcpy (buffer.data (), src->data (), buffer.size ());
    }
    const auto &f = warm ? buffer : *src;
    auto t0 = std::chrono::steady_clock::now ();
    auto r = det.analyze (f.data (), s.w,
                          static_cast<GstClockTime> (i) * 33333333, 33333333);
    auto t1 = std::chrono::steady_clock::now ();
    if (r.motion)
      std::fprintf (stderr, "unexpected motion in frame %d\n", i);
    if (i >= 10)
      times.push_back (
          std::chrono::duration<double, std::milli> (t1 - t0).count ());
  }
  std::sort (times.begin (), times.end ());
  return times[times.size () / 2];
}

/* User CPU seconds of an ffmpeg run over the raw file, or -1. */
double
ffmpeg_utime (const std::string &file, const Size &s, int loops,
              const char *filter)
{
  char size[32];
  std::snprintf (size, sizeof size, "%dx%d", s.w, s.h);
  std::string loop = std::to_string (loops - 1);
  int pipefd[2];
  if (pipe (pipefd) != 0)
    return -1;
  pid_t pid = fork ();
  if (pid == 0) {
    dup2 (pipefd[1], 2);
    close (pipefd[0]);
    const char *argv[] = {"ffmpeg",
                          "-hide_banner",
                          "-nostdin",
                          "-benchmark",
                          "-threads",
                          "1",
                          "-filter_threads",
                          "1",
                          "-stream_loop",
                          loop.c_str (),
                          "-f",
                          "rawvideo",
                          "-pix_fmt",
                          "yuv420p",
                          "-s",
                          size,
                          "-r",
                          "30",
                          "-i",
                          file.c_str (),
                          "-vf",
                          filter,
                          "-f",
                          "null",
                          "-",
                          nullptr};
    execvp ("ffmpeg", const_cast<char **> (argv));
    _exit (127);
  }
  close (pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read (pipefd[0], buf, sizeof buf)) > 0)
    out.append (buf, static_cast<std::size_t> (n));
  close (pipefd[0]);
  int status = 0;
  waitpid (pid, &status, 0);
  const auto pos = out.rfind ("utime=");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 ||
      pos == std::string::npos)
    return -1;
  return std::atof (out.c_str () + pos + 6);
}

} // namespace

int
main (int argc, char **argv)
{
  int frames = 300;
  bool with_ffmpeg = true;
  std::string only;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp (argv[i], "--frames") && i + 1 < argc)
      frames = std::max (10, std::atoi (argv[++i]));
    else if (!std::strcmp (argv[i], "--no-ffmpeg"))
      with_ffmpeg = false;
    else if (!std::strcmp (argv[i], "--sizes") && i + 1 < argc)
      only = argv[++i];
    else {
      std::fprintf (
          stderr,
          "usage: %s [--frames N] [--no-ffmpeg] [--sizes 720p,1080p,2160p]\n",
          argv[0]);
      return 2;
    }
  }
  const Size sizes[] = {
      {"720p", 1280, 720}, {"1080p", 1920, 1080}, {"2160p", 3840, 2160}};
  std::printf ("staticgate analysis cost per I420 frame, one core, static "
               "scene with noise; kernels: %s\n",
               prune::kernels::to_string (prune::kernels::best_isa ()));
  std::printf ("%-6s %12s %12s %14s %14s %10s %10s\n", "size", "ours ms",
               "(cold) ms", "mpdecimate ms", "freezedet. ms", "vs mpdec.",
               "vs freeze");
  const int distinct = 30; /* distinct frames, looped */
  for (const Size &s : sizes) {
    if (!only.empty () && only.find (s.name) == std::string::npos)
      continue;
    std::vector<std::vector<uint8_t>> raw (distinct);
    for (int i = 0; i < distinct; i++)
      render (raw[i], s.w, s.h, static_cast<uint32_t> (i));
    const double ours = ours_ms (s, frames, raw, true);
    const double cold = ours_ms (s, frames, raw, false);
    double mp = -1, fr = -1;
    if (with_ffmpeg) {
      char path[] = "/tmp/bench-staticgate-XXXXXX";
      int fd = mkstemp (path);
      if (fd >= 0) {
        for (const auto &f : raw)
          if (write (fd, f.data (), f.size ()) !=
              static_cast<ssize_t> (f.size ()))
            break;
        close (fd);
        const int loops = std::max (1, frames / distinct);
        const int n = loops * distinct;
        const double base = ffmpeg_utime (path, s, loops, "null");
        const double u_mp = ffmpeg_utime (path, s, loops, "mpdecimate");
        const double u_fr = ffmpeg_utime (path, s, loops, "freezedetect");
        if (base >= 0 && u_mp >= 0)
          mp = std::max (0.0, u_mp - base) * 1000.0 / n;
        if (base >= 0 && u_fr >= 0)
          fr = std::max (0.0, u_fr - base) * 1000.0 / n;
        unlink (path);
      }
    }
    auto cell = [] (double v) {
      static char b[4][32];
      static int k = 0;
      k = (k + 1) % 4;
      if (v < 0)
        std::snprintf (b[k], sizeof b[k], "n/a");
      else
        std::snprintf (b[k], sizeof b[k], "%.4f", v);
      return b[k];
    };
    auto ratio = [] (double anchor, double o) {
      static char b[4][32];
      static int k = 0;
      k = (k + 1) % 4;
      if (anchor < 0 || o <= 0)
        std::snprintf (b[k], sizeof b[k], "n/a");
      else
        std::snprintf (b[k], sizeof b[k], "%.1fx", anchor / o);
      return b[k];
    };
    std::printf ("%-6s %12s %12s %14s %14s %10s %10s\n", s.name, cell (ours),
                 cell (cold), cell (mp), cell (fr), ratio (mp, ours),
                 ratio (fr, ours));
    std::fflush (stdout);
    if (!std::strcmp (s.name, "1080p"))
      std::printf ("target: <= 0.1 ms per 1080p frame: %s\n",
                   ours <= 0.1 ? "met" : "MISSED");
  }
  return 0;
}
