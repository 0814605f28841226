/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * GstHarness tests of beatdetect: bit-identical passthrough, prune-beat
 * events and messages on a click track in every format, rate and channel
 * count it takes, prune-tempo messages, the read-only properties, the beats
 * file, FLUSH and the LATENCY query.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/prune/names.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <glib/gstdio.h>
#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

namespace {

/* A click track: a 5 ms 2 kHz burst every 60/bpm seconds, at @rate with
 * @channels, @seconds long, as float. */
std::vector<float>
clicks (int rate, int channels, double bpm, double seconds)
{
  const std::size_t n = static_cast<std::size_t> (seconds * rate);
  std::vector<float> out (n * channels, 0.0f);
  const double period = 60.0 / bpm;
  for (double t = 0.25; t < seconds; t += period) {
    const std::size_t start = static_cast<std::size_t> (t * rate);
    for (std::size_t i = 0;
         i < static_cast<std::size_t> (0.005 * rate) && start + i < n; i++) {
      const float v = 0.8f * std::sin (2 * M_PI * 2000.0 * i / rate);
      for (int c = 0; c < channels; c++)
        out[(start + i) * channels + c] = v;
    }
  }
  return out;
}

GstBuffer *
pack (const std::vector<float> &s, std::size_t from, std::size_t count,
      GstAudioFormat format)
{
  const GstAudioFormatInfo *fi = gst_audio_format_get_info (format);
  const int width = GST_AUDIO_FORMAT_INFO_WIDTH (fi) / 8;
  GstBuffer *buf = gst_buffer_new_allocate (nullptr, count * width, nullptr);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (std::size_t i = 0; i < count; i++) {
    const double v = s[from + i];
    switch (format) {
      case GST_AUDIO_FORMAT_F32LE:
        reinterpret_cast<float *> (map.data)[i] = static_cast<float> (v);
        break;
      case GST_AUDIO_FORMAT_F64LE:
        reinterpret_cast<double *> (map.data)[i] = v;
        break;
      case GST_AUDIO_FORMAT_S16LE:
        reinterpret_cast<gint16 *> (map.data)[i] =
            static_cast<gint16> (std::lround (v * 32767));
        break;
      default:
        reinterpret_cast<gint32 *> (map.data)[i] =
            static_cast<gint32> (std::lround (v * 2147483647.0));
        break;
    }
  }
  gst_buffer_unmap (buf, &map);
  return buf;
}

struct Run {
  std::vector<prune::Beat> events, messages;
  std::vector<prune::Tempo> tempos;
  bool identical = true;
  double bpm = 0;
  std::string state;
};

Run
run (GstAudioFormat format, int rate, int channels, double bpm, double seconds,
     const char *props = "")
{
  std::string desc = std::string ("beatdetect ") + props;
  GstElement *e = gst_parse_launch (desc.c_str (), nullptr);
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  GstAudioInfo info;
  gst_audio_info_set_format (&info, format, rate, channels, nullptr);
  gst_harness_set_src_caps (h, gst_audio_info_to_caps (&info));

  Run r;
  const auto samples = clicks (rate, channels, bpm, seconds);
  const std::size_t block = 1024 * channels;
  for (std::size_t at = 0; at < samples.size (); at += block) {
    const std::size_t n = std::min (block, samples.size () - at);
    GstBuffer *in = pack (samples, at, n, format);
    GST_BUFFER_PTS (in) =
        gst_util_uint64_scale_int (at / channels, GST_SECOND, rate);
    GST_BUFFER_DURATION (in) =
        gst_util_uint64_scale_int (n / channels, GST_SECOND, rate);
    GstBuffer *copy = gst_buffer_copy_deep (in);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull (h);
    GstMapInfo a, b;
    gst_buffer_map (copy, &a, GST_MAP_READ);
    gst_buffer_map (out, &b, GST_MAP_READ);
    r.identical = r.identical && a.size == b.size &&
                  std::memcmp (a.data, b.data, a.size) == 0;
    gst_buffer_unmap (copy, &a);
    gst_buffer_unmap (out, &b);
    gst_buffer_unref (copy);
    gst_buffer_unref (out);
  }
  while (GstEvent *ev = gst_harness_try_pull_event (h)) {
    if (auto beat = prune::from_event<prune::Beat> (ev))
      r.events.push_back (*beat);
    else
      fail_if (prune::has_name<prune::Beat> (gst_event_get_structure (ev)),
               "%s", beat.error ().c_str ());
    gst_event_unref (ev);
  }
  while (GstMessage *m = gst_bus_pop (bus)) {
    if (auto beat = prune::from_message<prune::Beat> (m))
      r.messages.push_back (*beat);
    if (auto tempo = prune::from_message<prune::Tempo> (m))
      r.tempos.push_back (*tempo);
    gst_message_unref (m);
  }
  gchar *state = nullptr;
  g_object_get (h->element, "bpm", &r.bpm, "state", &state, nullptr);
  r.state = state;
  g_free (state);
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  return r;
}

/* Beats after @after seconds land on the click grid (clicks at 0.25 s + k
 * periods) within @tol seconds. */
void
check_grid (const std::vector<prune::Beat> &beats, double bpm, double after,
            double tol, const char *what)
{
  const double period = 60.0 / bpm;
  int checked = 0;
  for (const prune::Beat &b : beats) {
    const double t = static_cast<double> (b.running_time) / GST_SECOND;
    if (t < after)
      continue;
    const double k = std::round ((t - 0.25) / period);
    fail_unless (std::fabs (t - (0.25 + k * period)) < tol,
                 "%s: beat at %.3f s is off the grid", what, t);
    checked++;
  }
  fail_unless (checked >= 5, "%s: only %d beats after %.0f s", what, checked,
               after);
}

} // namespace

GST_START_TEST (test_passthrough_and_beats)
{
  Run r = run (GST_AUDIO_FORMAT_S16LE, 44100, 2, 120, 20);
  fail_unless (r.identical, "audio changed");
  fail_unless (!r.events.empty ());
  fail_unless_equals_int (r.events.size (), r.messages.size ());
  check_grid (r.events, 120, 8, 0.025, "S16 44.1k stereo");
  const prune::Beat &last = r.events.back ();
  fail_unless (std::fabs (last.bpm - 120) < 1.0, "bpm %f", last.bpm);
  fail_unless (last.lock_state == prune::LockState::Locked);
  fail_unless (std::fabs (r.bpm - 120) < 1.0);
  fail_unless_equals_string (r.state.c_str (), "locked");
  fail_unless (!r.tempos.empty ());
  /* indices count up */
  for (std::size_t i = 1; i < r.events.size (); i++)
    fail_unless_equals_uint64 (r.events[i].index, r.events[i - 1].index + 1);
}
GST_END_TEST;

GST_START_TEST (test_formats_rates_channels)
{
  const GstAudioFormat formats[] = {
      GST_AUDIO_FORMAT_F32LE, GST_AUDIO_FORMAT_F64LE, GST_AUDIO_FORMAT_S16LE,
      GST_AUDIO_FORMAT_S32LE};
  for (GstAudioFormat f : formats) {
    Run r = run (f, 22050, 1, 100, 16);
    fail_unless (r.identical);
    check_grid (r.events, 100, 8, 0.025, gst_audio_format_to_string (f));
  }
  const int rates[] = {8000, 22050, 48000, 96000};
  for (int rate : rates) {
    Run r = run (GST_AUDIO_FORMAT_F32LE, rate, 1, 120, 16);
    check_grid (r.events, 120, 8, 0.025, "rate");
  }
  Run six = run (GST_AUDIO_FORMAT_F32LE, 48000, 6, 90, 16);
  check_grid (six.events, 90, 8, 0.025, "6 channels");
}
GST_END_TEST;

GST_START_TEST (test_switches_and_beats_file)
{
  gchar *dir = g_dir_make_tmp ("beatdetect-XXXXXX", nullptr);
  gchar *path = g_build_filename (dir, "beats.txt", nullptr);
  std::string props = std::string ("send-events=false post-messages=false "
                                   "beats-location=") +
                      path;
  Run r = run (GST_AUDIO_FORMAT_F32LE, 44100, 1, 120, 12, props.c_str ());
  fail_unless (r.events.empty ());
  fail_unless (r.messages.empty ());
  fail_unless (r.tempos.empty ());
  gchar *text = nullptr;
  fail_unless (g_file_get_contents (path, &text, nullptr, nullptr));
  int lines = 0;
  for (const gchar *c = text; *c; c++)
    lines += *c == '\n';
  fail_unless (lines >= 5, "%d beats written", lines);
  g_free (text);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}
GST_END_TEST;

GST_START_TEST (test_latency_and_bad_location)
{
  GstHarness *h = gst_harness_new_parse ("beatdetect lookahead=2000000000");
  gst_harness_set_src_caps_str (
      h, "audio/x-raw,format=F32LE,rate=44100,channels=1,layout=interleaved");
  gst_harness_set_upstream_latency (h, 0);
  gst_harness_play (h);
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 2 * GST_SECOND);
  gst_harness_teardown (h);

  GstElement *e = gst_element_factory_make ("beatdetect", nullptr);
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  g_object_set (e, "beats-location", "/nonexistent/dir/beats.txt", nullptr);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
                          GST_STATE_CHANGE_FAILURE);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != nullptr);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, nullptr);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (e);
}
GST_END_TEST;

static Suite *
beatdetect_suite (void)
{
  Suite *s = suite_create ("beatdetect");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_passthrough_and_beats);
  tcase_add_test (tc, test_formats_rates_channels);
  tcase_add_test (tc, test_switches_and_beats_file);
  tcase_add_test (tc, test_latency_and_bad_location);
  return s;
}

GST_CHECK_MAIN (beatdetect);
