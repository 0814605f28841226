/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Unit tests of gst/prune/gate.h (hysteresis, pre-roll reach, keep-alive)
 * and gst/prune/mask.h (the mask text form).
 */
#include <gst/check/gstcheck.h>
#include <gst/prune/gate.h>
#include <gst/prune/mask.h>

#include <string>
#include <vector>

using namespace prune;

namespace {

constexpr GstClockTime kFrame = 100 * GST_MSECOND; /* 10 fps */

GateLogic::Settings
settings (GstClockTime min_motion, GstClockTime pre, GstClockTime post,
          GstClockTime keep_alive = 0)
{
  GateLogic::Settings s;
  s.min_motion = min_motion;
  s.pre_roll = pre;
  s.post_roll = post;
  s.keep_alive = keep_alive;
  return s;
}

/* Runs frames 0..motion.size()-1 at 10 fps; returns per frame whether it
 * was kept, with released held frames counted as kept. */
std::vector<bool>
run (GateLogic &gate, const std::vector<bool> &motion)
{
  std::vector<bool> kept (motion.size (), false);
  for (std::size_t i = 0; i < motion.size (); i++) {
    const GstClockTime t = i * kFrame;
    GateLogic::Step st = gate.push (t, kFrame, motion[i]);
    if (st.opened)
      for (std::size_t j = 0; j < i; j++)
        if (j * kFrame >= st.release_from)
          kept[j] = true;
    kept[i] = st.keep;
  }
  return kept;
}

std::vector<bool>
pattern (std::size_t n, std::initializer_list<std::pair<int, int>> on)
{
  std::vector<bool> m (n, false);
  for (auto [a, b] : on)
    for (int i = a; i < b; i++)
      m[i] = true;
  return m;
}

} // namespace

GST_START_TEST (test_short_runs_do_not_open)
{
  GateLogic gate;
  gate.set_settings (settings (300 * GST_MSECOND, GST_SECOND, 2 * GST_SECOND));
  /* 1- and 2-frame blips (a tick, a glitch) every second */
  auto kept =
      run (gate, pattern (100, {{10, 11}, {20, 22}, {30, 31}, {40, 42}}));
  for (bool k : kept)
    fail_if (k);
  fail_if (gate.is_open ());
}
GST_END_TEST;

GST_START_TEST (test_open_with_pre_roll_and_close_after_post_roll)
{
  GateLogic gate;
  gate.set_settings (settings (300 * GST_MSECOND, GST_SECOND, 2 * GST_SECOND));
  /* motion in frames [50, 70): sustained at frame 52 (3 frames = 300 ms) */
  std::vector<bool> motion = pattern (120, {{50, 70}});
  std::vector<GateLogic::Step> steps;
  for (std::size_t i = 0; i < motion.size (); i++)
    steps.push_back (gate.push (i * kFrame, kFrame, motion[i]));
  for (int i = 0; i < 52; i++)
    fail_if (steps[i].keep || steps[i].opened, "frame %d", i);
  fail_unless (steps[52].opened);
  fail_unless (steps[52].keep);
  /* pre-roll reaches 1 s before the run started at frame 50 */
  fail_unless_equals_uint64 (steps[52].release_from, 40 * kFrame);
  /* open through the motion and 2 s after its end (frame 70 = 7.0 s) */
  for (int i = 52; i < 90; i++)
    fail_unless (steps[i].keep, "frame %d", i);
  fail_unless (steps[90].closed);
  fail_if (steps[90].keep);
  fail_unless_equals_uint64 (steps[90].end_time, 90 * kFrame);
  for (int i = 91; i < 120; i++)
    fail_if (steps[i].keep || steps[i].closed, "frame %d", i);
}
GST_END_TEST;

GST_START_TEST (test_blips_do_not_hold_open)
{
  GateLogic gate;
  gate.set_settings (settings (300 * GST_MSECOND, 0, 2 * GST_SECOND));
  /* sustained motion [10, 20), then a one-frame blip every second */
  auto kept =
      run (gate, pattern (100, {{10, 20}, {25, 26}, {35, 36}, {45, 46}}));
  fail_unless (kept[12]);
  fail_unless (kept[39]); /* 2 s after frame 19 ends (2.0 s) */
  fail_if (kept[40]);
  fail_if (kept[45]);
}
GST_END_TEST;

GST_START_TEST (test_gaps_inside_a_run)
{
  GateLogic gate;
  gate.set_settings (settings (500 * GST_MSECOND, 0, GST_SECOND));
  /* motion frames with single-frame holes still form one run */
  auto motion = pattern (60, {{10, 12}, {13, 15}, {16, 18}});
  std::vector<GateLogic::Step> steps;
  for (std::size_t i = 0; i < motion.size (); i++)
    steps.push_back (gate.push (i * kFrame, kFrame, motion[i]));
  fail_unless (steps[14].opened, "run [10,15) is 500 ms with holes");
  fail_unless_equals_uint64 (steps[14].release_from, 10 * kFrame);
}
GST_END_TEST;

GST_START_TEST (test_min_motion_zero_and_hold_window)
{
  GateLogic gate;
  gate.set_settings (settings (0, 500 * GST_MSECOND, GST_SECOND));
  for (int i = 0; i < 20; i++) {
    GateLogic::Step st = gate.push (i * kFrame, kFrame, false);
    fail_if (st.keep);
    /* while closed and quiet, only the last pre-roll needs holding */
    const GstClockTime end = (i + 1) * kFrame;
    fail_unless_equals_uint64 (gate.hold_from (), end > 500 * GST_MSECOND
                                                      ? end - 500 * GST_MSECOND
                                                      : 0);
  }
  GateLogic::Step st = gate.push (20 * kFrame, kFrame, true);
  fail_unless (st.opened);
  fail_unless_equals_uint64 (st.release_from, 15 * kFrame);
  /* pre-roll + min-motion + the run gap (1.5 frames) */
  fail_unless_equals_uint64 (gate.max_hold (), 650 * GST_MSECOND);
}
GST_END_TEST;

GST_START_TEST (test_pre_roll_never_reaches_before_first_frame)
{
  GateLogic gate;
  gate.set_settings (settings (0, 5 * GST_SECOND, GST_SECOND));
  const GstClockTime base = 1000 * GST_SECOND;
  gate.push (base, kFrame, false);
  GateLogic::Step st = gate.push (base + kFrame, kFrame, true);
  fail_unless (st.opened);
  fail_unless_equals_uint64 (st.release_from, base);
}
GST_END_TEST;

GST_START_TEST (test_keep_alive)
{
  GateLogic gate;
  gate.set_settings (
      settings (300 * GST_MSECOND, 0, GST_SECOND, 2 * GST_SECOND));
  std::vector<int> alive;
  for (int i = 0; i < 100; i++) {
    GateLogic::Step st = gate.push (i * kFrame, kFrame, false);
    if (st.keep_alive) {
      fail_unless (st.keep);
      alive.push_back (i);
    }
  }
  /* one frame every 2 s of static */
  const std::vector<int> want = {20, 41, 62, 83};
  fail_unless (alive == want, "got %zu keep-alive frames", alive.size ());
}
GST_END_TEST;

GST_START_TEST (test_finish_and_reset)
{
  GateLogic gate;
  gate.set_settings (settings (0, 0, GST_SECOND));
  gate.push (0, kFrame, true);
  fail_unless (gate.is_open ());
  GateLogic::Step st = gate.finish ();
  fail_unless (st.closed);
  fail_unless_equals_uint64 (st.end_time, kFrame);
  fail_if (gate.is_open ());
  fail_if (gate.finish ().closed);
  /* settings survive reset */
  fail_unless_equals_uint64 (gate.settings ().post_roll, GST_SECOND);
}
GST_END_TEST;

GST_START_TEST (test_mask_parse)
{
  auto m = parse_mask ("0,0,220,40; 50%, 0, 50%,10% ;;/etc/cam1 mask.png");
  fail_unless (bool (m), "%s", m.error ().c_str ());
  fail_unless_equals_int (m->rects.size (), 2);
  fail_unless_equals_int (m->images.size (), 1);
  fail_unless_equals_string (m->images[0].c_str (), "/etc/cam1 mask.png");
  auto px = resolve_mask (*m, 640, 360);
  fail_unless (px[0] == (PixelRect{0, 0, 220, 40}));
  fail_unless (px[1] == (PixelRect{320, 0, 320, 36}));
  /* clipped to the frame */
  auto clip = resolve_mask (*parse_mask ("600,300,100,100"), 640, 360);
  fail_unless (clip[0] == (PixelRect{600, 300, 40, 60}));
  fail_unless (parse_mask ("")->empty ());
  fail_unless (parse_mask (" ; ")->empty ());
}
GST_END_TEST;

GST_START_TEST (test_mask_errors)
{
  struct Case {
    const char *text, *error;
  } cases[] = {
      {"1,2,3", "mask item 1 '1,2,3': a rectangle has exactly 4 values"},
      {"1,2,3,4,5", "exactly 4 values"},
      {"0,0,10,10;1,,3,4", "mask item 2 '1,,3,4': value 2 is not a number"},
      {"0,0,0,10", "width and height must be greater than 0"},
      {"0,-5,10,10", "must not be negative"},
      {"0,0,120%,10", "a percentage must be at most 100%"},
  };
  for (const Case &c : cases) {
    auto m = parse_mask (c.text);
    fail_if (bool (m), "'%s' parsed", c.text);
    fail_unless (m.error ().find (c.error) != std::string::npos, "'%s': '%s'",
                 c.text, m.error ().c_str ());
  }
}
GST_END_TEST;

static Suite *
gate_suite (void)
{
  Suite *s = suite_create ("gate");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_short_runs_do_not_open);
  tcase_add_test (tc, test_open_with_pre_roll_and_close_after_post_roll);
  tcase_add_test (tc, test_blips_do_not_hold_open);
  tcase_add_test (tc, test_gaps_inside_a_run);
  tcase_add_test (tc, test_min_motion_zero_and_hold_window);
  tcase_add_test (tc, test_pre_roll_never_reaches_before_first_frame);
  tcase_add_test (tc, test_keep_alive);
  tcase_add_test (tc, test_finish_and_reset);
  tcase_add_test (tc, test_mask_parse);
  tcase_add_test (tc, test_mask_errors);
  return s;
}

GST_CHECK_MAIN (gate);
