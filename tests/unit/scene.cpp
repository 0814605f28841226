/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Unit tests of gst/prune/scene.h: rendering is deterministic in any
 * order, the ground truth matches the pixels, the clock changes once per
 * displayed second and only in its area, the noise has the requested
 * statistics, and any frame size renders within its planes.
 */
#include <gst/check/gstcheck.h>
#include <gst/prune/scene.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

using namespace prune::scene;

namespace {

std::vector<uint8_t>
render (const Scene &s, int64_t i)
{
  const auto l = i420_layout (s.config ().width, s.config ().height);
  std::vector<uint8_t> f (l.size, 0x5A);
  s.render_i420 (i, f.data ());
  return f;
}

/* A still scene: no noise, no clock, no light changes. */
Config
quiet (Config c)
{
  c.noise = 0;
  c.clock = false;
  c.light_ramp = false;
  c.exposure_steps.clear ();
  return c;
}

bool
any_object_visible (const Scene &s, int64_t i)
{
  for (std::size_t k = 0; k < s.config ().objects.size (); k++)
    if (s.object_rect (k, i))
      return true;
  return false;
}

bool
in_object_interval (const Config &c, double t)
{
  for (const auto &o : c.objects)
    if (t >= o.start && t < o.end)
      return true;
  return false;
}

/* Pixels (luma and chroma) where @a and @b differ, outside the clock area
 * (chroma: the samples sitting on a luma pixel of the area). */
int64_t
diff_outside (const Scene &s, const std::vector<uint8_t> &a,
              const std::vector<uint8_t> &b, const Rect &area)
{
  const int W = s.config ().width, H = s.config ().height;
  const auto l = i420_layout (W, H);
  int64_t n = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const std::size_t k = std::size_t (y) * l.stride[0] + x;
      if (a[k] != b[k] && !area.contains (x, y))
        n++;
    }
  for (int plane = 1; plane < 3; plane++)
    for (int y = 0; y < (H + 1) / 2; y++)
      for (int x = 0; x < (W + 1) / 2; x++) {
        const std::size_t k =
            l.offset[plane] + std::size_t (y) * l.stride[plane] + x;
        const bool inside = !area.empty () && 2 * x >= area.x - 1 &&
                            2 * x < area.x + area.w && 2 * y >= area.y - 1 &&
                            2 * y < area.y + area.h;
        if (a[k] != b[k] && !inside)
          n++;
      }
  return n;
}

} // namespace

GST_START_TEST (test_presets)
{
  const Config t = Config::preset ("test");
  fail_unless_equals_int (t.width, 640);
  fail_unless_equals_int (t.height, 360);
  fail_unless_equals_int (t.fps_n, 10);
  fail_unless_equals_int (t.fps_d, 1);
  fail_unless_equals_float (t.seconds, 60.0);
  fail_unless_equals_float (t.noise, 2.0);
  fail_unless (t.clock && t.light_ramp);
  fail_unless_equals_int (t.exposure_steps.size (), 1);
  fail_unless_equals_float (t.exposure_steps[0].first, 33.0);
  fail_unless_equals_int (t.objects.size (), 3);

  const Config d = Config::preset ("demo");
  fail_unless_equals_float (d.seconds, 180.0);
  fail_unless_equals_float (d.noise, 2.5);
  fail_unless_equals_int (d.objects.size (), 5);
  fail_unless (d.clock && d.light_ramp);

  bool thrown = false;
  try {
    Config::preset ("night");
  } catch (const std::invalid_argument &) {
    thrown = true;
  }
  fail_unless (thrown);

  /* invalid configurations are refused */
  auto refused = [] (Config c) {
    try {
      Scene s (c);
    } catch (const std::invalid_argument &) {
      return true;
    }
    return false;
  };
  Config c = t;
  c.width = 0;
  fail_unless (refused (c));
  c = t;
  c.fps_d = 0;
  fail_unless (refused (c));
  c = t;
  c.noise = -1;
  fail_unless (refused (c));
  c = t;
  c.objects[0].w = 0;
  fail_unless (refused (c));
  c = t;
  c.exposure_steps = {{10, 0.0}};
  fail_unless (refused (c));
  fail_if (refused (t));
}
GST_END_TEST;

GST_START_TEST (test_timing)
{
  Scene s (Config::preset ("test"));
  fail_unless_equals_int64 (s.n_frames (), 600);
  fail_unless_equals_float (s.frame_time (85), 8.5);
  fail_unless_equals_uint64 (s.frame_pts (3), 300 * GST_MSECOND);

  Config c = Config::preset ("test");
  c.fps_n = 30000;
  c.fps_d = 1001;
  c.seconds = 10;
  Scene ntsc (c);
  fail_unless_equals_int64 (ntsc.n_frames (), 300); /* 299.7 -> 300 */
  fail_unless_equals_uint64 (ntsc.frame_pts (1), 33366666);
  fail_unless_equals_uint64 (
      ntsc.frame_pts (30000),
      gst_util_uint64_scale (30000, 1001 * GST_SECOND, 30000));
}
GST_END_TEST;

GST_START_TEST (test_determinism)
{
  Scene s (Config::preset ("test"));
  const auto a = render (s, 100);
  const auto b = render (s, 100);
  fail_unless (a == b);
  /* any order, and a copy of the scene, give the same bytes */
  const auto later = render (s, 410);
  render (s, 3);
  Scene copy = s;
  fail_unless (render (copy, 100) == a);
  fail_unless (render (s, 410) == later);
  /* another scene with the same configuration too */
  Scene again (Config::preset ("test"));
  fail_unless (render (again, 410) == later);

  /* noise changes between frames of a static stretch */
  fail_if (render (s, 101) == render (s, 102));

  /* another seed: another background and other noise */
  Config c = Config::preset ("test");
  c.seed = 2;
  Scene other (c);
  fail_if (render (other, 100) == a);
  Config qa = quiet (Config::preset ("test")), qb = qa;
  qb.seed = 2;
  fail_if (render (Scene (qa), 0) == render (Scene (qb), 0));
}
GST_END_TEST;

GST_START_TEST (test_ground_truth)
{
  const Config preset = Config::preset ("test");
  const Config c = quiet (preset);
  Scene s (c);
  const auto background = render (s, 0);
  std::vector<uint8_t> prev = background;
  int64_t moving = 0;
  for (int64_t i = 0; i < s.n_frames (); i++) {
    const auto f = render (s, i);
    const double t = s.frame_time (i);
    /* the presets move every object by a pixel or more on every frame of
     * its interval, from its first frame to its last */
    fail_unless_equals_int (s.motion (i), in_object_interval (c, t));
    fail_unless_equals_int (any_object_visible (s, i),
                            in_object_interval (c, t));
    if (!any_object_visible (s, i))
      fail_unless (f == background,
                   "frame %" G_GINT64_FORMAT
                   " has no object but differs from the background",
                   i);
    if (s.motion (i)) {
      fail_if (f == prev,
               "frame %" G_GINT64_FORMAT " has motion but "
               "equals its predecessor",
               i);
      moving++;
    }
    prev = f;
  }
  fail_unless_equals_int64 (moving, 60 + 20 + 120);

  const std::vector<std::pair<double, double>> expected = {
      {8, 14}, {25, 27}, {40, 52}};
  fail_unless (s.motion_intervals () == expected);
  /* noise, clock, ramp and exposure never count as motion */
  fail_unless (Scene (preset).motion_intervals () == expected);

  const std::vector<std::pair<double, double>> demo = {
      {12, 20}, {35, 38}, {60, 75}, {110, 118}, {150, 162}};
  fail_unless (Scene (Config::preset ("demo")).motion_intervals () == demo);
}
GST_END_TEST;

GST_START_TEST (test_visibility)
{
  Config c = quiet (Config::preset ("test"));
  c.width = 100;
  c.height = 50;
  c.seconds = 10;
  c.objects = {
      /* starts fully outside the frame, walks in, never leaves */
      {1, 3, 10, 20, -30, 10, 50, 10, 11},
      /* stands still */
      {5, 6, 10, 20, 40, 10, 40, 10, 12},
  };
  Scene s (c);
  /* t = 1.0: x = -30, t = 1.2: x = -22, t = 1.3: x = -18, ... x = -10
   * at 1.5; visible from x = -9 on (t = 1.6: x = -6) */
  fail_if (s.object_rect (0, 10).has_value ());
  fail_if (s.motion (10));
  fail_if (s.object_rect (0, 15).has_value ());
  fail_unless (s.object_rect (0, 16).has_value ());
  fail_unless_equals_int (s.object_rect (0, 16)->x, -6);
  fail_unless (s.motion (16));
  fail_if (s.object_rect (0, 30).has_value ()); /* interval over */
  /* a still object is motion on the frame it appears only */
  fail_unless (s.motion (50));
  fail_if (s.motion (51));
  fail_if (s.motion (59));
  fail_if (s.motion (60));
  const std::vector<std::pair<double, double>> expected = {{1.6, 3.0},
                                                           {5.0, 5.1}};
  const auto got = s.motion_intervals ();
  fail_unless_equals_int (got.size (), 2);
  for (std::size_t k = 0; k < 2; k++) {
    fail_unless (std::fabs (got[k].first - expected[k].first) < 1e-9);
    fail_unless (std::fabs (got[k].second - expected[k].second) < 1e-9);
  }

  /* an object clipped at the edges shows its visible part only */
  const auto bg = render (s, 0);
  const auto f = render (s, 16);
  int changed = 0;
  for (int y = 0; y < 50; y++)
    for (int x = 0; x < 100; x++)
      if (bg[std::size_t (y) * 100 + x] != f[std::size_t (y) * 100 + x]) {
        fail_unless (x < 4 && y >= 10 && y < 30);
        changed++;
      }
  fail_unless (changed > 0);
}
GST_END_TEST;

GST_START_TEST (test_clock)
{
  Config c = quiet (Config::preset ("test"));
  c.clock = true;
  c.objects.clear ();
  Scene s (c);
  const Rect area = s.clock_rect ();
  fail_if (area.empty ());
  fail_unless (area.x >= 0 && area.y >= 0 && area.x + area.w <= 640 &&
               area.y + area.h <= 360);
  /* top-left corner */
  fail_unless (area.x + area.w < 320 && area.y + area.h < 90);
  /* (the check macros keep the pointer: no temporaries) */
  const std::string text0 = s.clock_text (0), text599 = s.clock_text (599);
  const std::string text_late = s.clock_text (36000 + 12345 * 10);
  fail_unless_equals_string (text0.c_str (), "12:00:00");
  fail_unless_equals_string (text599.c_str (), "12:00:59");
  fail_unless_equals_string (text_late.c_str (), "16:25:45");

  auto prev = render (s, 0);
  int changes = 0;
  for (int64_t i = 1; i < s.n_frames (); i++) {
    const auto f = render (s, i);
    fail_unless_equals_int (s.clock_changes (i), i % 10 == 0);
    fail_unless_equals_int64 (diff_outside (s, prev, f, area), 0);
    fail_unless_equals_int (f != prev, s.clock_changes (i));
    changes += s.clock_changes (i);
    prev = f;
  }
  fail_unless_equals_int (changes, 59);
  fail_if (s.clock_changes (0));

  /* the tens and minutes digits change too: 12:00:59 -> 12:01:00 */
  fail_unless (render (s, 599) != render (s, 600));
  fail_unless_equals_int64 (
      diff_outside (s, render (s, 599), render (s, 600), area), 0);

  /* at 30000/1001 fps the clock still changes once per second */
  c.fps_n = 30000;
  c.fps_d = 1001;
  Scene ntsc (c);
  changes = 0;
  for (int64_t i = 1; i < ntsc.n_frames (); i++)
    changes += ntsc.clock_changes (i);
  fail_unless_equals_int (changes,
                          int (ntsc.frame_time (ntsc.n_frames () - 1)));

  /* no clock: no area, no changes */
  c.clock = false;
  Scene none (c);
  fail_unless (none.clock_rect ().empty ());
  fail_if (none.clock_changes (10));
}
GST_END_TEST;

GST_START_TEST (test_light)
{
  Config c = quiet (Config::preset ("test"));
  c.objects.clear ();
  c.light_ramp = true;
  c.exposure_steps = {{33.0, 1.2}};
  Scene s (c);
  fail_unless_equals_float (s.light_gain (0), 1.0);
  fail_unless (std::fabs (s.light_gain (150) - 1.15) < 1e-9); /* 15 s */
  fail_unless (std::fabs (s.light_gain (329) -
                          1.0 * (1 + 0.15 * std::sin (2 * M_PI * 32.9 / 60))) <
               1e-9);
  fail_unless (std::fabs (s.light_gain (330) -
                          1.2 * (1 + 0.15 * std::sin (2 * M_PI * 33.0 / 60))) <
               1e-9);

  /* the exposure step brightens the whole frame at once */
  const auto a = render (s, 329), b = render (s, 330);
  double sa = 0, sb = 0;
  for (std::size_t k = 0; k < 640 * 360; k++) {
    sa += a[k];
    sb += b[k];
  }
  const double ratio = sb / sa;
  const double expected = s.light_gain (330) / s.light_gain (329);
  fail_unless (std::fabs (ratio - expected) < 0.02, "ratio %f, expected %f",
               ratio, expected);
}
GST_END_TEST;

GST_START_TEST (test_noise)
{
  for (double sigma : {2.0, 7.0}) {
    Config c = quiet (Config::preset ("test"));
    c.objects.clear ();
    Scene clean (c);
    c.noise = sigma;
    Scene noisy (c);
    const auto ref = render (clean, 0);
    const auto l = i420_layout (640, 360);
    double sum = 0, sum2 = 0, csum2 = 0, cross = 0;
    int64_t n = 0, cn = 0;
    std::vector<int> first;
    for (int64_t i = 0; i < 8; i++) {
      const auto f = render (noisy, i * 37 + 5);
      for (std::size_t k = 0; k < 640 * 360; k++) {
        const double d = double (f[k]) - ref[k];
        sum += d;
        sum2 += d * d;
        n++;
        if (i == 0)
          first.push_back (int (d));
        else if (i == 1)
          cross += d * first[k];
      }
      for (std::size_t k = l.offset[1]; k < l.size; k++) {
        const double d = double (f[k]) - ref[k];
        csum2 += d * d;
        cn++;
      }
    }
    const double mean = sum / n;
    const double sd = std::sqrt (sum2 / n - mean * mean);
    const double csd = std::sqrt (csum2 / cn);
    const double corr = cross / (640 * 360) / (sd * sd);
    GST_INFO ("sigma %.1f: mean %.4f sd %.4f chroma sd %.4f corr %.4f", sigma,
              mean, sd, csd, corr);
    fail_unless (std::fabs (mean) < 0.05 * sigma, "mean %f", mean);
    fail_unless (std::fabs (sd / sigma - 1) < 0.1, "sd %f for sigma %f", sd,
                 sigma);
    fail_unless (std::fabs (csd / (sigma / 2) - 1) < 0.15,
                 "chroma sd %f for sigma %f", csd, sigma);
    /* independent from frame to frame */
    fail_unless (std::fabs (corr) < 0.02, "correlation %f", corr);
  }
}
GST_END_TEST;

GST_START_TEST (test_sizes)
{
  const int sizes[][2] = {{1, 1},   {2, 2},   {3, 1},      {1, 5},
                          {33, 17}, {17, 33}, {1920, 1080}};
  /* frames before, in, and at the edges of the object intervals */
  const int64_t frames[] = {0, 80, 85, 139, 140, 250, 269, 400, 519, 700};
  for (const auto &sz : sizes) {
    const int W = sz[0], H = sz[1], CW = (W + 1) / 2, CH = (H + 1) / 2;
    Config c = Config::preset ("test");
    c.resize (W, H);
    fail_unless_equals_int (c.width, W);
    fail_unless_equals_int (c.height, H);
    Scene s (c);
    /* planes with padding and guard rows, which must stay untouched */
    const int ys = W + 7, cs = CW + 5;
    std::vector<uint8_t> y (std::size_t (ys) * (H + 1), 0xA5);
    std::vector<uint8_t> u (std::size_t (cs) * (CH + 1), 0xA5);
    std::vector<uint8_t> v (u.size (), 0xA5);
    for (int64_t i : frames) {
      s.render_i420 (i, y.data (), ys, u.data (), cs, v.data (), cs);
      for (int row = 0; row <= H; row++)
        for (int x = row < H ? W : 0; x < ys; x++)
          fail_unless_equals_int (y[std::size_t (row) * ys + x], 0xA5);
      for (int row = 0; row <= CH; row++)
        for (int x = row < CH ? CW : 0; x < cs; x++) {
          fail_unless_equals_int (u[std::size_t (row) * cs + x], 0xA5);
          fail_unless_equals_int (v[std::size_t (row) * cs + x], 0xA5);
        }
      /* the packed form is the same picture */
      const auto l = i420_layout (W, H);
      const auto f = render (s, i);
      for (int row = 0; row < H; row++)
        fail_unless (std::memcmp (f.data () + std::size_t (row) * l.stride[0],
                                  y.data () + std::size_t (row) * ys,
                                  std::size_t (W)) == 0);
      for (int row = 0; row < CH; row++)
        fail_unless (std::memcmp (f.data () + l.offset[2] +
                                      std::size_t (row) * l.stride[2],
                                  v.data () + std::size_t (row) * cs,
                                  std::size_t (CW)) == 0);
    }
  }

  /* at full HD the preset keeps its ground truth */
  Config hd = Config::preset ("test");
  hd.resize (1920, 1080);
  const std::vector<std::pair<double, double>> expected = {
      {8, 14}, {25, 27}, {40, 52}};
  fail_unless (Scene (hd).motion_intervals () == expected);
}
GST_END_TEST;

GST_START_TEST (test_layout)
{
  auto l = i420_layout (640, 360);
  fail_unless_equals_int (l.stride[0], 640);
  fail_unless_equals_int (l.stride[1], 320);
  fail_unless_equals_int (l.stride[2], 320);
  fail_unless_equals_uint64 (l.offset[1], 640 * 360);
  fail_unless_equals_uint64 (l.offset[2], 640 * 360 + 320 * 180);
  fail_unless_equals_uint64 (l.size, 640 * 360 * 3 / 2);
  /* as gst_video_info_set_format () lays out I420 */
  l = i420_layout (33, 17);
  fail_unless_equals_int (l.stride[0], 36);
  fail_unless_equals_int (l.stride[1], 20);
  fail_unless_equals_uint64 (l.offset[1], 36 * 18);
  fail_unless_equals_uint64 (l.offset[2], 36 * 18 + 20 * 9);
  fail_unless_equals_uint64 (l.size, 36 * 18 + 2 * 20 * 9);
  /* padding of the packed form is zeroed */
  Config c = Config::preset ("test");
  c.resize (33, 17);
  const auto f = render (Scene (c), 0);
  for (int row = 0; row < 18; row++)
    for (int x = row < 17 ? 33 : 0; x < 36; x++)
      fail_unless_equals_int (f[std::size_t (row) * 36 + x], 0);
}
GST_END_TEST;

static Suite *
scene_suite (void)
{
  Suite *s = suite_create ("scene");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_presets);
  tcase_add_test (tc, test_timing);
  tcase_add_test (tc, test_determinism);
  tcase_add_test (tc, test_ground_truth);
  tcase_add_test (tc, test_visibility);
  tcase_add_test (tc, test_clock);
  tcase_add_test (tc, test_light);
  tcase_add_test (tc, test_noise);
  tcase_add_test (tc, test_sizes);
  tcase_add_test (tc, test_layout);
  return s;
}

GST_CHECK_MAIN (scene);
