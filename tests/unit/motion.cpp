/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Unit tests of gst/prune/motion.h on synthetic luma planes: what must not
 * count as motion (sensor noise, light ramps, exposure steps, keyframe-like
 * pulses, a small camera shift, a ticking clock) and what must (a moving
 * object), masks, packed layouts and odd sizes.
 */
/* before gstcheck.h, whose fail() macro breaks <memory> */
#include <gst/prune/motion.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <gst/check/gstcheck.h>

using namespace prune;

namespace {

constexpr GstClockTime kFrame = 100 * GST_MSECOND;
constexpr kernels::LumaLayout kY{1, {1, 0, 0, 0}, 1};

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

struct Picture {
  int w = 320, h = 180;
  double gain = 1.0, offset = 0.0;
  double shift = 0.0; /* horizontal shift of the background, pixels */
  int noise = 2;      /* uniform +-noise */
  int obj_x = -1, obj_y = 0, obj = 24; /* a bright square, -1: none */
  int digit = -1;                      /* a ticking 16x24 "digit" */
  int pulse = 0;                       /* +-pulse on a fixed 8x8 grid */
  int faint = 0;     /* > 0: the square is textured, this much brighter */
  double spot = 0.0; /* extra gain of the left half (soft edge) */

  /* Smooth textured background, sampled with a sub-pixel shift. */
  static double bg (double x, int y)
  {
    return 110 + 50 * std::sin (x * 0.11) * std::cos (y * 0.07) +
           25 * std::sin ((x + 2 * y) * 0.05);
  }

  std::vector<uint8_t> render (uint32_t n) const
  {
    std::vector<uint8_t> p (static_cast<std::size_t> (w) * h);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        double v = bg (x + shift, y);
        if (obj_x >= 0 && x >= obj_x && x < obj_x + obj && y >= obj_y &&
            y < obj_y + obj)
          v = faint > 0 ? v + faint +
                              mix ((x - obj_x) / 4 * 131 + (y - obj_y) / 4) % 40
                        : 235;
        if (spot != 0.0)
          v *= 1.0 + spot / (1.0 + std::exp ((x - w / 2.0) / 5.0));
        if (digit >= 0 && x >= 4 && x < 20 && y >= 4 && y < 28)
          v = ((x / 4 + y / 4 + digit) % 3 == 0) ? 250 : 15;
        v = v * gain + offset;
        if (pulse > 0)
          v += static_cast<int> (mix (x / 8 * 131 + y / 8 * 977 + n * 7) %
                                 (2 * pulse + 1)) -
               pulse;
        v += static_cast<int> (mix (n * 2654435761u + y * 40503u + x) %
                               (2 * noise + 1)) -
             noise;
        p[static_cast<std::size_t> (y) * w + x] =
            static_cast<uint8_t> (std::clamp (std::lround (v), 0L, 255L));
      }
    return p;
  }
};

/* Analyses frames [first, last) produced by @make; returns how many showed
 * motion. */
template<typename F>
int
count_motion (MotionDetector &d, int first, int last, F make,
              MotionResult *last_result = nullptr, GstClockTime frame = kFrame)
{
  int motion = 0;
  for (int i = first; i < last; i++) {
    Picture p = make (i);
    auto img = p.render (static_cast<uint32_t> (i));
    MotionResult r = d.analyze (img.data (), p.w, i * frame, frame);
    motion += r.motion;
    if (last_result)
      *last_result = r;
  }
  return motion;
}

MotionDetector *
detector (int w = 320, int h = 180)
{
  auto *d = new MotionDetector ();
  d->configure (w, h, kY, 320);
  return d;
}

} // namespace

GST_START_TEST (test_first_frame_is_a_reference)
{
  MotionDetector *d = detector ();
  Picture p;
  auto img = p.render (0);
  MotionResult r = d->analyze (img.data (), p.w, 0, kFrame);
  fail_if (r.valid);
  fail_if (r.motion);
  r = d->analyze (img.data (), p.w, kFrame, kFrame);
  fail_unless (r.valid);
  fail_unless_equals_int (r.active_blocks, 40 * 23);
  delete d;
}
GST_END_TEST;

GST_START_TEST (test_noise_is_not_motion)
{
  for (int noise : {2, 6, 12}) {
    MotionDetector *d = detector ();
    const int m = count_motion (*d, 0, 100, [noise] (int) {
      Picture p;
      p.noise = noise;
      return p;
    });
    fail_unless_equals_int (m, 0);
    delete d;
  }
}
GST_END_TEST;

GST_START_TEST (test_moving_object_is_motion)
{
  MotionDetector *d = detector ();
  count_motion (*d, 0, 20, [] (int) { return Picture (); });
  MotionResult r;
  const int m = count_motion (
      *d, 20, 40,
      [] (int i) {
        Picture p;
        p.obj_x = 10 + (i - 20) * 6;
        p.obj_y = 60;
        return p;
      },
      &r);
  /* the square appears at frame 20 and moves every frame */
  fail_unless_equals_int (m, 20);
  fail_unless (r.score > 0.005 && r.score < 0.1, "score %f", r.score);
  fail_unless (r.strength > 0.0);
  delete d;
}
GST_END_TEST;

GST_START_TEST (test_slow_motion_at_30_fps)
{
  /* a faint textured square (20-60 levels above the background) creeping 1
   * pixel a frame at 30 fps: 2.5 levels per block from one frame to the
   * next, under the noise allowance; over the 200 ms span it is seen */
  constexpr GstClockTime k30 = GST_SECOND / 30;
  MotionDetector *d = detector ();
  auto still = [] (int) {
    return Picture ();
  };
  fail_unless_equals_int (count_motion (*d, 0, 60, still, nullptr, k30), 0);
  const int m = count_motion (
      *d, 60, 150,
      [] (int i) {
        Picture p;
        p.obj_x = 100 + (i - 60);
        p.obj_y = 70;
        p.obj = 32;
        p.faint = 20;
        return p;
      },
      nullptr, k30);
  fail_unless (m >= 85, "the slow square was seen in %d of 90 frames", m);
  delete d;
}
GST_END_TEST;

GST_START_TEST (test_local_light_ramp_at_30_fps)
{
  /* the left half brightens by 60 % over one second (a cloud's shadow
   * leaving it): 2 levels a frame, 13 over the span, but the same change
   * in every pixel of a block up to a gain and offset */
  constexpr GstClockTime k30 = GST_SECOND / 30;
  MotionDetector *d = detector ();
  count_motion (
      *d, 0, 60, [] (int) { return Picture (); }, nullptr, k30);
  const int m = count_motion (
      *d, 60, 150,
      [] (int i) {
        Picture p;
        p.spot = 0.6 * std::min (1.0, (i - 60) / 30.0);
        return p;
      },
      nullptr, k30);
  fail_unless_equals_int (m, 0);
  delete d;
}
GST_END_TEST;

GST_START_TEST (test_light_changes_are_not_motion)
{
  MotionDetector *d = detector ();
  /* a slow ramp of 30 % over 10 s, then an exposure step of +25 % and an
   * offset step of -20 levels */
  int m = count_motion (*d, 0, 100, [] (int i) {
    Picture p;
    p.gain = 1.0 + 0.3 * i / 100.0;
    return p;
  });
  fail_unless_equals_int (m, 0);
  m = count_motion (*d, 100, 130, [] (int i) {
    Picture p;
    p.gain = i < 110 ? 1.3 : 1.05;
    p.offset = i < 120 ? 0 : -20;
    return p;
  });
  fail_unless_equals_int (m, 0);
  delete d;
}
GST_END_TEST;

GST_START_TEST (test_keyframe_pulse_is_not_motion)
{
  MotionDetector *d = detector ();
  count_motion (*d, 0, 30, [] (int) { return Picture (); });
  /* every 10th frame the whole picture is re-quantised a little */
  const int m = count_motion (*d, 30, 130, [] (int i) {
    Picture p;
    p.pulse = i % 10 == 0 ? 3 : 0;
    return p;
  });
  fail_unless_equals_int (m, 0);
  delete d;
}
GST_END_TEST;

GST_START_TEST (test_camera_drift_is_not_motion)
{
  MotionDetector *d = detector ();
  count_motion (*d, 0, 20, [] (int) { return Picture (); });
  /* the camera creeps sideways by 0.4 px a frame */
  const int m = count_motion (*d, 20, 60, [] (int i) {
    Picture p;
    p.shift = 0.4 * (i - 20);
    return p;
  });
  fail_unless (m <= 1, "%d drift frames counted as motion", m);
  /* and a real object during the drift is still seen */
  const int seen = count_motion (*d, 60, 70, [] (int i) {
    Picture p;
    p.shift = 0.4 * (i - 20);
    p.obj_x = 100 + (i - 60) * 6;
    p.obj_y = 80;
    return p;
  });
  fail_unless (seen >= 9, "object seen in %d of 10 frames", seen);
  delete d;
}
GST_END_TEST;

GST_START_TEST (test_clock_is_found_and_masked)
{
  MotionDetector *d = detector ();
  MotionResult r;
  int first_masked = -1, late_ticks = 0;
  for (int i = 0; i < 120; i++) {
    Picture p;
    p.digit = i / 10; /* ticks once a second */
    auto img = p.render (i);
    r = d->analyze (img.data (), p.w, i * kFrame, kFrame);
    if (first_masked < 0 && r.auto_masked_blocks > 0)
      first_masked = i;
    if (i >= 60)
      late_ticks += r.motion;
    /* once every block of the digit has ticked with the others, no tick
     * counts any more */
    if (i >= 90)
      fail_if (r.motion, "tick at frame %d counted", i);
  }
  /* the fifth tick (frame 50) proves the period, the mask counts from the
   * next frame; blocks of the digit that change only at some ticks join
   * when three of theirs fell on ticks */
  fail_unless_equals_int (first_masked, 51);
  /* a tick of a block not masked yet is seen in two frames: against the
   * previous picture, and on the next frame over the 200 ms span */
  fail_unless (late_ticks <= 2, "%d ticks after 6 s", late_ticks);
  fail_unless (r.auto_masked_blocks >= 8);
  /* a clock that stops is unmasked after 3.5 periods (3 s for the blocks
   * that changed every third tick) */
  for (int i = 120; i < 240; i++) {
    Picture p;
    p.digit = 11;
    auto img = p.render (i);
    r = d->analyze (img.data (), p.w, i * kFrame, kFrame);
  }
  fail_unless_equals_int (r.auto_masked_blocks, 0);
  delete d;
}
GST_END_TEST;

GST_START_TEST (test_clock_finder_off)
{
  MotionDetector *d = detector ();
  MotionSettings s;
  s.auto_mask = false;
  d->set_settings (s);
  MotionResult r;
  int ticks = 0;
  for (int i = 0; i < 100; i++) {
    Picture p;
    p.digit = i / 10;
    auto img = p.render (i);
    r = d->analyze (img.data (), p.w, i * kFrame, kFrame);
    ticks += r.motion;
  }
  fail_unless_equals_int (r.auto_masked_blocks, 0);
  /* each of the 9 ticks: against the previous picture, and on the next
   * frame over the 200 ms span */
  fail_unless_equals_int (ticks, 18);
  delete d;
}
GST_END_TEST;

GST_START_TEST (test_user_mask)
{
  MotionDetector *d = detector ();
  d->set_mask ({{80, 40, 120, 80}}, nullptr, 0, 0, 0);
  fail_unless (d->block_masked (12, 8));
  fail_if (d->block_masked (0, 0));
  auto inside = [] (int i) {
    Picture p;
    p.obj_x = 90 + (i % 10) * 5;
    p.obj_y = 50;
    p.obj = 20;
    return p;
  };
  count_motion (*d, 0, 1, [] (int) { return Picture (); });
  fail_unless_equals_int (count_motion (*d, 1, 20, inside), 0);
  /* an image mask: the left half */
  std::vector<uint8_t> img (4 * 2, 0);
  img[0] = img[1] = img[4] = img[5] = 255;
  d->set_mask ({}, img.data (), 4, 2, 4);
  fail_unless (d->block_masked (0, 0));
  fail_if (d->block_masked (39, 0));
  /* masks survive configure() */
  d->configure (320, 180, kY, 320);
  fail_unless (d->block_masked (0, 0));
  delete d;
}
GST_END_TEST;

GST_START_TEST (test_packed_layouts_and_sizes)
{
  /* YUY2-like: luma at even bytes, chroma noise at odd bytes */
  MotionDetector d;
  d.configure (64, 32, {2, {1, 0, 0, 0}, 1}, 320);
  int motion = 0;
  for (int i = 0; i < 20; i++) {
    std::vector<uint8_t> p (64 * 2 * 32);
    for (int y = 0; y < 32; y++)
      for (int x = 0; x < 64; x++) {
        const bool obj = i >= 10 && x >= (i - 10) * 5 &&
                         x < (i - 10) * 5 + 10 && y >= 10 && y < 20;
        p[y * 128 + 2 * x] = obj ? 230 : 60 + (x * 7 + y * 3) % 40;
        p[y * 128 + 2 * x + 1] =
            static_cast<uint8_t> (mix (i * 999 + y * 64 + x));
      }
    motion += d.analyze (p.data (), 128, i * kFrame, kFrame).motion;
  }
  fail_unless_equals_int (motion, 10);
  /* tiny and odd sizes, and analysis widths above the frame width */
  const int sizes[][2] = {{1, 1}, {2, 3}, {7, 1}, {33, 17}, {641, 9}};
  for (auto sz : sizes) {
    MotionDetector t;
    t.configure (sz[0], sz[1], kY, 320);
    fail_unless (t.analysis_width () <= sz[0]);
    fail_unless (t.analysis_height () <= sz[1]);
    std::vector<uint8_t> p (static_cast<std::size_t> (sz[0]) * sz[1], 100);
    for (int i = 0; i < 5; i++)
      t.analyze (p.data (), sz[0], i * kFrame, kFrame);
  }
}
GST_END_TEST;

GST_START_TEST (test_reset_forgets)
{
  MotionDetector *d = detector ();
  count_motion (*d, 0, 10, [] (int) { return Picture (); });
  d->reset ();
  Picture p;
  p.obj_x = 10;
  auto img = p.render (10);
  /* after a reset the next frame is a reference again */
  fail_if (d->analyze (img.data (), p.w, 10 * kFrame, kFrame).valid);
  delete d;
}
GST_END_TEST;

static Suite *
motion_suite (void)
{
  Suite *s = suite_create ("motion");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_first_frame_is_a_reference);
  tcase_add_test (tc, test_noise_is_not_motion);
  tcase_add_test (tc, test_moving_object_is_motion);
  tcase_add_test (tc, test_slow_motion_at_30_fps);
  tcase_add_test (tc, test_local_light_ramp_at_30_fps);
  tcase_add_test (tc, test_light_changes_are_not_motion);
  tcase_add_test (tc, test_keyframe_pulse_is_not_motion);
  tcase_add_test (tc, test_camera_drift_is_not_motion);
  tcase_add_test (tc, test_clock_is_found_and_masked);
  tcase_add_test (tc, test_clock_finder_off);
  tcase_add_test (tc, test_user_mask);
  tcase_add_test (tc, test_packed_layouts_and_sizes);
  tcase_add_test (tc, test_reset_forgets);
  return s;
}

GST_CHECK_MAIN (motion);
