/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * GstHarness tests of beatdetect: bit-identical in-place passthrough and
 * the same beats in every format, rate and channel count it takes (and
 * from misaligned float data); click
 * tracks at known tempi; white noise, DC, clipped and non-finite input;
 * prune-beat events and messages, prune-tempo messages, the read-only
 * properties, the beats file (written out at EOS); FLUSH, SEGMENT and caps
 * restarts; timestamps across a gap; reverse playback; raw audio in a
 * segment in bytes; settings refused at the start; the LATENCY query; an
 * hour of audio in flat memory.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/prune/names.h>

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <glib/gstdio.h>
#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "../prune-check.h"

namespace {

constexpr double kFirstClick = 0.25; /* seconds */

/* A click track: a 5 ms 2 kHz burst at @gain every 60/@bpm seconds from
 * kFirstClick, at @rate with @channels, @seconds long, as float. */
std::vector<float>
clicks (int rate, int channels, double bpm, double seconds, double gain = 0.8)
{
  const std::size_t n = static_cast<std::size_t> (seconds * rate);
  std::vector<float> out (n * channels, 0.0f);
  const double period = 60.0 / bpm;
  for (double t = kFirstClick; t < seconds; t += period) {
    const std::size_t start = static_cast<std::size_t> (t * rate);
    for (std::size_t i = 0;
         i < static_cast<std::size_t> (0.005 * rate) && start + i < n; i++) {
      const float v =
          static_cast<float> (gain * std::sin (2 * M_PI * 2000.0 * i / rate));
      for (int c = 0; c < channels; c++)
        out[(start + i) * channels + c] = v;
    }
  }
  return out;
}

/* Uniform white noise in [-@amp, @amp] (xorshift, fixed seed). */
std::vector<float>
noise (int rate, int channels, double seconds, double amp)
{
  std::vector<float> out (static_cast<std::size_t> (seconds * rate) * channels);
  std::uint32_t x = 2463534242u;
  for (float &v : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v = static_cast<float> (amp * (x / 2147483648.0 - 1.0));
  }
  return out;
}

/* @count samples of @s from @from in @format; integer formats saturate.
 * With @misalign the data starts one byte past an aligned address. */
GstBuffer *
pack (const std::vector<float> &s, std::size_t from, std::size_t count,
      GstAudioFormat format, bool misalign = false)
{
  const GstAudioFormatInfo *fi = gst_audio_format_get_info (format);
  const int width = GST_AUDIO_FORMAT_INFO_WIDTH (fi) / 8;
  GstBuffer *buf =
      gst_buffer_new_allocate (nullptr, count * width + misalign, nullptr);
  if (misalign)
    gst_buffer_resize (buf, 1, count * width);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  /* memcpy: the data may sit at an odd address (a cast store would be
   * undefined behaviour there) */
  for (std::size_t i = 0; i < count; i++) {
    const double v = s[from + i];
    guint8 *at = map.data + i * width;
    switch (format) {
      case GST_AUDIO_FORMAT_F32LE: {
        const float f = static_cast<float> (v);
        std::memcpy (at, &f, sizeof f);
        break;
      }
      case GST_AUDIO_FORMAT_F64LE:
        std::memcpy (at, &v, sizeof v);
        break;
      case GST_AUDIO_FORMAT_S16LE: {
        const auto x =
            static_cast<gint16> (std::clamp (v * 32767.0, -32768.0, 32767.0));
        std::memcpy (at, &x, sizeof x);
        break;
      }
      default: {
        const auto x = static_cast<gint32> (
            std::clamp (v * 2147483647.0, -2147483648.0, 2147483647.0));
        std::memcpy (at, &x, sizeof x);
        break;
      }
    }
  }
  gst_buffer_unmap (buf, &map);
  return buf;
}

/* A beats file in a fresh temporary directory, both removed at the end. */
struct BeatsFile {
  gchar *dir = g_dir_make_tmp ("beatdetect-XXXXXX", nullptr);
  gchar *path = g_build_filename (dir, "beats.txt", nullptr);
  BeatsFile () = default;
  BeatsFile (const BeatsFile &) = delete;
  BeatsFile &operator= (const BeatsFile &) = delete;
  ~BeatsFile ()
  {
    g_unlink (path);
    g_rmdir (dir);
    g_free (path);
    g_free (dir);
  }
};

/* A beatdetect in a harness with a bus; collects what it announces. */
struct Session {
  GstHarness *h = nullptr;
  GstBus *bus = nullptr;
  GstAudioFormat format = GST_AUDIO_FORMAT_F32LE;
  int rate = 44100, channels = 1;
  std::vector<prune::Beat> events, messages;
  /* the out-of-band copies (send-oob-events), and how many of them came
   * after the serialized event of their beat */
  std::vector<prune::Beat> oob;
  int oob_late = 0;
  std::vector<prune::Tempo> tempos;
  bool identical = true; /* every buffer out is bit-identical */
  bool in_place = true;  /* ... and the very buffer that went in */
  bool check_output = true;
  bool misalign = false; /* sample data at odd addresses */

  explicit Session (const char *props = "")
  {
    const std::string desc = std::string ("beatdetect ") + props;
    GstElement *e = gst_parse_launch (desc.c_str (), nullptr);
    fail_unless (e != nullptr);
    h = gst_harness_new_with_element (e, "sink", "src");
    gst_object_unref (e);
    bus = gst_bus_new ();
    gst_element_set_bus (h->element, bus);
  }
  ~Session ()
  {
    gst_harness_teardown (h);
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);
  }
  Session (const Session &) = delete;
  Session &operator= (const Session &) = delete;

  /* The caps (again: a caps change, and the same segment again). */
  void caps (GstAudioFormat f, int r, int c)
  {
    format = f;
    rate = r;
    channels = c;
    GstAudioInfo info;
    gst_audio_info_set_format (&info, f, r, c, nullptr);
    gst_harness_set_src_caps (h, gst_audio_info_to_caps (&info));
  }

  /* Pushes @samples in buffers of @block frames, PTS from @pts0; the
   * first one marked DISCONT when @discont. */
  void push (const std::vector<float> &samples, GstClockTime pts0 = 0,
             std::size_t block = 1024, bool discont = false)
  {
    const std::size_t step = block * channels;
    for (std::size_t at = 0; at < samples.size (); at += step) {
      const std::size_t n = std::min (step, samples.size () - at);
      GstBuffer *in = pack (samples, at, n, format, misalign);
      GST_BUFFER_PTS (in) =
          pts0 + gst_util_uint64_scale_int (at / channels, GST_SECOND, rate);
      GST_BUFFER_DURATION (in) =
          gst_util_uint64_scale_int (n / channels, GST_SECOND, rate);
      if (discont && at == 0)
        GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);
      GstBuffer *copy = check_output ? gst_buffer_copy_deep (in) : nullptr;
      const GstBuffer *sent = in;
      fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
      GstBuffer *out = gst_harness_pull (h);
      in_place = in_place && out == sent;
      if (copy != nullptr) {
        GstMapInfo a, b;
        gst_buffer_map (copy, &a, GST_MAP_READ);
        gst_buffer_map (out, &b, GST_MAP_READ);
        identical = identical && a.size == b.size &&
                    std::memcmp (a.data, b.data, a.size) == 0;
        gst_buffer_unmap (copy, &a);
        gst_buffer_unmap (out, &b);
        gst_buffer_unref (copy);
      }
      gst_buffer_unref (out);
      drain ();
    }
  }

  /* Raw audio straight from filesrc: a segment in bytes, and buffers
   * (push_raw) as they are, without timestamps, of any size. */
  void bytes_segment ()
  {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_BYTES);
    fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  }
  void push_raw (GstBuffer *in)
  {
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }

  void drain ()
  {
    while (GstEvent *ev = gst_harness_try_pull_event (h)) {
      if (auto copy = prune::from_oob_event<prune::Beat> (ev)) {
        oob.push_back (*copy);
        oob_late += oob.size () <= events.size ();
      } else if (auto beat = prune::from_event<prune::Beat> (ev))
        events.push_back (*beat);
      else
        fail_if (prune::has_name<prune::Beat> (gst_event_get_structure (ev)),
                 "%s", beat.error ().c_str ());
      gst_event_unref (ev);
    }
    while (GstMessage *m = gst_bus_pop (bus)) {
      if (auto beat = prune::from_message<prune::Beat> (m))
        messages.push_back (*beat);
      if (auto tempo = prune::from_message<prune::Tempo> (m))
        tempos.push_back (*tempo);
      gst_message_unref (m);
    }
  }

  double bpm ()
  {
    double v = -1;
    g_object_get (h->element, "bpm", &v, nullptr);
    return v;
  }
  std::string state ()
  {
    gchar *s = nullptr;
    g_object_get (h->element, "state", &s, nullptr);
    std::string r = s ? s : "";
    g_free (s);
    return r;
  }
};

/* Beats with running time after @after seconds land on the click grid
 * (clicks at @origin + kFirstClick + k periods) within @tol seconds, and
 * at least @min_count of them. */
void
check_grid (const std::vector<prune::Beat> &beats, double bpm, double after,
            double tol, const char *what, double origin = 0.0,
            int min_count = 5)
{
  const double period = 60.0 / bpm;
  int checked = 0;
  for (const prune::Beat &b : beats) {
    const double t = static_cast<double> (b.running_time) / GST_SECOND;
    if (t < after)
      continue;
    const double k = std::round ((t - origin - kFirstClick) / period);
    fail_unless (std::fabs (t - (origin + kFirstClick + k * period)) < tol,
                 "%s: beat at %.3f s is off the %.1f BPM grid", what, t, bpm);
    checked++;
  }
  fail_unless (checked >= min_count, "%s: only %d beats after %.0f s", what,
               checked, after);
}

/* Every beat of @ref after @after seconds has one in @other within @tol,
 * and the counts differ by at most one. */
void
check_same_beats (const std::vector<prune::Beat> &ref,
                  const std::vector<prune::Beat> &other, double after,
                  double tol, const char *what)
{
  auto times = [after] (const std::vector<prune::Beat> &v) {
    std::vector<double> t;
    for (const prune::Beat &b : v)
      if (b.running_time >= after * GST_SECOND)
        t.push_back (static_cast<double> (b.running_time) / GST_SECOND);
    return t;
  };
  const std::vector<double> a = times (ref), b = times (other);
  fail_unless (a.size () >= 5, "%s: %zu reference beats", what, a.size ());
  fail_unless (a.size () <= b.size () + 1 && b.size () <= a.size () + 1,
               "%s: %zu beats against %zu", what, b.size (), a.size ());
  for (double t : a) {
    double best = 1e9;
    for (double u : b)
      best = std::min (best, std::fabs (u - t));
    fail_unless (best <= tol, "%s: beat at %.4f s moved by %.4f s", what, t,
                 best);
  }
}

/* Consistency of every run: events and messages agree, indices count up,
 * fields in range. */
void
check_reports (const Session &s, const char *what)
{
  fail_unless_equals_int (s.events.size (), s.messages.size ());
  for (std::size_t i = 0; i < s.events.size (); i++) {
    const prune::Beat &b = s.events[i];
    fail_unless (b == s.messages[i], "%s: event %zu differs from its message",
                 what, i);
    fail_unless (b.lock_state == prune::LockState::Locked,
                 "%s: beat reported while %s", what,
                 prune::to_string (b.lock_state));
    fail_unless (b.confidence >= 0.0 && b.confidence <= 1.0);
    fail_unless (b.bpm >= 40.0 && b.bpm <= 240.0, "%s: bpm %f", what, b.bpm);
    if (i > 0) {
      fail_unless (b.timestamp > s.events[i - 1].timestamp);
      fail_unless_equals_uint64 (b.index, s.events[i - 1].index + 1);
    }
  }
}

std::vector<prune::Beat>
run_clicks (GstAudioFormat format, int rate, int channels, double bpm,
            double seconds, const char *what, bool misalign = false)
{
  Session s;
  s.misalign = misalign;
  s.caps (format, rate, channels);
  s.push (clicks (rate, channels, bpm, seconds));
  fail_unless (s.identical, "%s: audio changed", what);
  fail_unless (s.in_place, "%s: not passed through in place", what);
  check_reports (s, what);
  check_grid (s.events, bpm, 8, 0.025, what);
  return s.events;
}

/* Soft clicks on the beat (from kFirstClick) and clicks twice as loud on
 * the off-beat, mono at 44.1 kHz. */
std::vector<float>
comping (double bpm, double seconds)
{
  std::vector<float> out = clicks (44100, 1, bpm, seconds, 0.25);
  const std::vector<float> loud = clicks (44100, 1, bpm, seconds, 0.5);
  const std::size_t shift = static_cast<std::size_t> (30.0 / bpm * 44100);
  for (std::size_t i = 0; i + shift < out.size (); i++)
    out[i + shift] += loud[i];
  return out;
}

} // namespace

GST_START_TEST (test_passthrough_and_beats)
{
  Session s;
  s.caps (GST_AUDIO_FORMAT_S16LE, 44100, 2);
  s.push (clicks (44100, 2, 120, 20));
  fail_unless (s.identical, "audio changed");
  fail_unless (s.in_place, "buffer copied");
  check_reports (s, "S16 44.1k stereo");
  check_grid (s.events, 120, 8, 0.025, "S16 44.1k stereo");
  const prune::Beat &last = s.events.back ();
  fail_unless (std::fabs (last.bpm - 120) < 1.0, "bpm %f", last.bpm);
  fail_unless (std::fabs (s.bpm () - 120) < 1.0);
  fail_unless (s.state () == "locked", "state %s", s.state ().c_str ());
  fail_unless (!s.tempos.empty ());
  /* a tempo message at least every 5 s of audio once it settled */
  for (std::size_t i = 1; i < s.tempos.size (); i++)
    fail_unless (s.tempos[i].timestamp - s.tempos[i - 1].timestamp <=
                 5 * GST_SECOND + 100 * GST_MSECOND);
  fail_unless (std::fabs (s.tempos.back ().bpm - 120) < 1.0);
  /* the lock is announced at once: a tempo message saying "locked" by
   * the end of the buffer before the first beat's */
  const auto locked =
      std::find_if (s.tempos.begin (), s.tempos.end (), [] (const auto &t) {
        return t.lock_state == prune::LockState::Locked;
      });
  fail_unless (locked != s.tempos.end ());
  fail_unless (locked->timestamp <=
                   s.events.front ().timestamp + 50 * GST_MSECOND,
               "lock announced at %.2f s, first beat at %.2f s",
               static_cast<double> (locked->timestamp) / GST_SECOND,
               static_cast<double> (s.events.front ().timestamp) / GST_SECOND);
  /* running, stream time and timestamp agree in a default segment */
  for (const prune::Beat &b : s.events) {
    fail_unless_equals_uint64 (b.running_time, b.timestamp);
    fail_unless_equals_uint64 (b.stream_time, b.timestamp);
  }
}
GST_END_TEST;

/* Every format with 1, 2 and 6 channels at 44.1 kHz, and every rate in
 * F32 mono and S16 stereo: the audio passes unchanged and the beats are
 * the same (within 5 ms) as F32 mono at 44.1 kHz. */
GST_START_TEST (test_formats_rates_channels)
{
  const auto ref =
      run_clicks (GST_AUDIO_FORMAT_F32LE, 44100, 1, 100, 16, "reference");
  const GstAudioFormat formats[] = {
      GST_AUDIO_FORMAT_F32LE, GST_AUDIO_FORMAT_F64LE, GST_AUDIO_FORMAT_S16LE,
      GST_AUDIO_FORMAT_S32LE};
  for (GstAudioFormat f : formats) {
    for (int channels : {1, 2, 6}) {
      char what[64];
      std::snprintf (what, sizeof what, "%s, %d channels",
                     gst_audio_format_to_string (f), channels);
      check_same_beats (ref, run_clicks (f, 44100, channels, 100, 16, what), 8,
                        0.005, what);
    }
  }
  /* F32 is read in place when aligned, copied when not: the same beats */
  check_same_beats (ref,
                    run_clicks (GST_AUDIO_FORMAT_F32LE, 44100, 2, 100, 16,
                                "F32 stereo, misaligned", true),
                    8, 0.005, "F32 stereo, misaligned");
  for (int rate : {8000, 22050, 44100, 48000, 96000}) {
    char what[64];
    std::snprintf (what, sizeof what, "F32 mono %d Hz", rate);
    check_same_beats (
        ref, run_clicks (GST_AUDIO_FORMAT_F32LE, rate, 1, 100, 16, what), 8,
        0.005, what);
    std::snprintf (what, sizeof what, "S16 stereo %d Hz", rate);
    check_same_beats (
        ref, run_clicks (GST_AUDIO_FORMAT_S16LE, rate, 2, 100, 16, what), 8,
        0.005, what);
  }
}
GST_END_TEST;

/* Click tracks at several tempi within the default 40..240 BPM: the tempo
 * within 1 %, locked, the beats on the clicks. */
GST_START_TEST (test_tempi)
{
  for (double bpm : {60.0, 85.0, 128.0, 150.0, 175.0}) {
    char what[64];
    std::snprintf (what, sizeof what, "%.0f BPM", bpm);
    Session s;
    s.caps (GST_AUDIO_FORMAT_F32LE, 22050, 1);
    s.push (clicks (22050, 1, bpm, 24));
    check_reports (s, what);
    check_grid (s.events, bpm, 10, 0.025, what);
    fail_unless (std::fabs (s.bpm () - bpm) < 0.01 * bpm, "%s: tempo %.2f",
                 what, s.bpm ());
    fail_unless (std::fabs (s.events.back ().bpm - bpm) < 0.01 * bpm,
                 "%s: last beat at %.2f BPM", what, s.events.back ().bpm);
    fail_unless (s.state () == "locked", "state %s", s.state ().c_str ());
  }
}
GST_END_TEST;

/* "state" is notified when it changes (an application, or gst-launch -v,
 * hears of the lock without polling): locked on clicks, searching again
 * after a flush. */
static void
on_state (GObject *object, GParamSpec *, gpointer data)
{
  gchar *state = nullptr;
  g_object_get (object, "state", &state, nullptr);
  static_cast<std::vector<std::string> *> (data)->push_back (state);
  g_free (state);
}

GST_START_TEST (test_state_notified)
{
  Session s;
  std::vector<std::string> seen;
  g_signal_connect (s.h->element, "notify::state", G_CALLBACK (on_state),
                    &seen);
  s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
  s.push (clicks (44100, 1, 120, 12));
  fail_unless (seen.size () == 1 && seen[0] == "locked", "%zu notifications",
               seen.size ());
  fail_unless (gst_harness_push_event (s.h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (s.h, gst_event_new_flush_stop (TRUE)));
  fail_unless (seen.size () == 2 && seen[1] == "searching", "%zu notifications",
               seen.size ());
}
GST_END_TEST;

/* A minute of white noise has no beat: never locked, nothing reported. */
GST_START_TEST (test_white_noise)
{
  Session s;
  s.caps (GST_AUDIO_FORMAT_F32LE, 22050, 1);
  s.push (noise (22050, 1, 60, 0.5));
  fail_unless (s.identical);
  for (const prune::Tempo &t : s.tempos)
    fail_unless (t.lock_state != prune::LockState::Locked,
                 "locked on white noise at %.1f s (%.1f BPM)",
                 static_cast<double> (t.timestamp) / GST_SECOND, t.bpm);
  fail_unless (s.events.empty (), "%zu beats in white noise (first at %.1f s)",
               s.events.size (),
               s.events.empty ()
                   ? 0.0
                   : static_cast<double> (s.events[0].timestamp) / GST_SECOND);
  fail_if (s.state () == "locked");
}
GST_END_TEST;

/* DC, full-scale DC and non-finite samples: no beat, no lock; clicks
 * driven far into clipping on a DC offset, and clicks among NaN and
 * infinite samples, still give the tempo and the beats. */
GST_START_TEST (test_dc_clipping_nonfinite)
{
  for (double dc : {0.5, 1.0, -1.0}) {
    Session s;
    s.caps (GST_AUDIO_FORMAT_S16LE, 44100, 2);
    s.push (std::vector<float> (44100 * 2 * 20, static_cast<float> (dc)));
    fail_unless (s.identical);
    fail_unless (s.events.empty (), "%zu beats in DC %.1f", s.events.size (),
                 dc);
    fail_if (s.state () == "locked", "locked on DC %.1f", dc);
  }
  for (GstAudioFormat f : {GST_AUDIO_FORMAT_S16LE, GST_AUDIO_FORMAT_S32LE}) {
    /* the bursts at 8x full scale on a +0.3 offset: square waves,
     * saturated at both ends */
    auto samples = clicks (44100, 1, 110, 20, 8.0);
    for (float &v : samples)
      v += 0.3f;
    Session s;
    s.caps (f, 44100, 1);
    s.push (samples);
    fail_unless (s.identical);
    check_reports (s, "clipped");
    check_grid (s.events, 110, 8, 0.025, "clipped clicks on DC");
    fail_unless (std::fabs (s.bpm () - 110) < 1.1, "clipped: %.2f BPM",
                 s.bpm ());
  }
  {
    auto samples = clicks (44100, 1, 110, 20);
    for (std::size_t i = 1000; i < samples.size (); i += 4410)
      samples[i] = (i / 4410) % 2 ? NAN : INFINITY;
    Session s;
    s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
    s.push (samples);
    fail_unless (s.identical, "non-finite samples changed");
    check_reports (s, "non-finite");
    check_grid (s.events, 110, 8, 0.025, "clicks with NaN and Inf");
  }
}
GST_END_TEST;

/* Each beat's event also goes out of band, ahead of its serialized copy
 * (a sink behind an encoder and queues learns of it before the video
 * reaches it: tests/integration/segmentsink.py beatcut); the same fields.
 * send-oob-events=false sends only the serialized one. */
GST_START_TEST (test_out_of_band_copies)
{
  {
    Session s;
    s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
    s.push (clicks (44100, 1, 120, 12));
    fail_unless (s.events.size () >= 5, "%zu beats", s.events.size ());
    fail_unless (s.oob == s.events, "%zu out of band for %zu beats",
                 s.oob.size (), s.events.size ());
    fail_unless_equals_int (s.oob_late, 0);
  }
  {
    Session s ("send-oob-events=false");
    s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
    s.push (clicks (44100, 1, 120, 12));
    fail_unless (s.events.size () >= 5, "%zu beats", s.events.size ());
    fail_unless (s.oob.empty (), "%zu out of band", s.oob.size ());
  }
}
GST_END_TEST;

/* send-events, send-oob-events and post-messages off: nothing announced
 * but the file. */
GST_START_TEST (test_switches)
{
  BeatsFile file;
  const char *path = file.path;
  const std::string props =
      std::string ("send-events=false "
                   "send-oob-events=false "
                   "post-messages=false beats-location=") +
      path;
  {
    Session s (props.c_str ());
    s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
    s.push (clicks (44100, 1, 120, 12));
    fail_unless (s.events.empty ());
    fail_unless (s.oob.empty ());
    fail_unless (s.messages.empty ());
    fail_unless (s.tempos.empty ());
    fail_unless (std::fabs (s.bpm () - 120) < 1.0, "the bpm property");
  }
  gchar *text = nullptr;
  fail_unless (g_file_get_contents (path, &text, nullptr, nullptr));
  int lines = 0;
  for (const gchar *c = text; *c; c++)
    lines += *c == '\n';
  fail_unless (lines >= 5, "%d beats written", lines);
  g_free (text);
}
GST_END_TEST;

/* The beats file holds every reported beat's stream time once EOS went
 * through, while the element is still running. */
GST_START_TEST (test_beats_file_on_eos)
{
  BeatsFile file;
  const char *path = file.path;
  const std::string props = std::string ("beats-location=") + path;
  {
    Session s (props.c_str ());
    s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
    /* stream time = running time + 30 s */
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    seg.time = 30 * GST_SECOND;
    fail_unless (gst_harness_push_event (s.h, gst_event_new_segment (&seg)));
    s.push (clicks (44100, 1, 120, 12));
    fail_unless (s.events.size () >= 5);
    /* written line by line: every beat is in the file before the EOS */
    {
      gchar *so_far = nullptr;
      fail_unless (g_file_get_contents (path, &so_far, nullptr, nullptr));
      gchar **l = g_strsplit (so_far, "\n", -1);
      fail_unless_equals_int (g_strv_length (l), s.events.size () + 1);
      g_strfreev (l);
      g_free (so_far);
    }
    fail_unless (gst_harness_push_event (s.h, gst_event_new_eos ()));
    gchar *text = nullptr;
    fail_unless (g_file_get_contents (path, &text, nullptr, nullptr));
    gchar **lines = g_strsplit (text, "\n", -1);
    fail_unless_equals_int (g_strv_length (lines), s.events.size () + 1);
    for (std::size_t i = 0; i < s.events.size (); i++) {
      const double t = g_ascii_strtod (lines[i], nullptr);
      const prune::Beat &b = s.events[i];
      fail_unless (std::fabs (t - static_cast<double> (b.stream_time) /
                                      GST_SECOND) < 1e-6);
      fail_unless_equals_uint64 (b.stream_time,
                                 b.running_time + 30 * GST_SECOND);
    }
    g_strfreev (lines);
    g_free (text);
  }
}
GST_END_TEST;

/* Locks on 120 BPM, then a restart, then 90 BPM clicks: the restart
 * forgets the tempo (state and bpm properties at once, beat indices from
 * 0, no beat at the old tempo) and the new tempo is found. */
static void
check_restarted (Session &s, std::size_t before, double origin,
                 const char *what)
{
  fail_unless (s.events.size () > before, "%s: no beats after", what);
  fail_unless_equals_uint64 (s.events[before].index, 0);
  const std::vector<prune::Beat> after (s.events.begin () + before,
                                        s.events.end ());
  for (const prune::Beat &b : after)
    fail_unless (std::fabs (b.bpm - 90) < 1.0,
                 "%s: beat at %.2f BPM after the restart", what, b.bpm);
  check_grid (after, 90, origin + 6, 0.025, what, origin);
  fail_unless (std::fabs (s.bpm () - 90) < 1.0);
}

GST_START_TEST (test_flush_segment_caps_restart)
{
  /* FLUSH */
  {
    Session s;
    s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
    s.push (clicks (44100, 1, 120, 12));
    fail_unless (s.state () == "locked", "state %s", s.state ().c_str ());
    const std::size_t before = s.events.size ();
    fail_unless (gst_harness_push_event (s.h, gst_event_new_flush_start ()));
    fail_unless (gst_harness_push_event (s.h, gst_event_new_flush_stop (TRUE)));
    fail_unless (s.state () == "searching", "state %s", s.state ().c_str ());
    fail_unless (s.bpm () == 0.0);
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (s.h, gst_event_new_segment (&seg)));
    s.push (clicks (44100, 1, 90, 16));
    check_restarted (s, before, 0, "flush");
  }
  /* a new SEGMENT, no flush: beats follow the new segment's times */
  {
    Session s;
    s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
    s.push (clicks (44100, 1, 120, 12));
    const std::size_t before = s.events.size ();
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    seg.start = 100 * GST_SECOND;
    seg.position = seg.start;
    seg.time = 500 * GST_SECOND;
    fail_unless (gst_harness_push_event (s.h, gst_event_new_segment (&seg)));
    fail_unless (s.state () == "searching", "state %s", s.state ().c_str ());
    s.push (clicks (44100, 1, 90, 16), 100 * GST_SECOND);
    check_restarted (s, before, 0, "segment");
    for (std::size_t i = before; i < s.events.size (); i++) {
      const prune::Beat &b = s.events[i];
      fail_unless_equals_uint64 (b.timestamp,
                                 b.running_time + 100 * GST_SECOND);
      fail_unless_equals_uint64 (b.stream_time,
                                 b.running_time + 500 * GST_SECOND);
    }
  }
  /* new caps (rate and channels), same segment */
  {
    Session s;
    s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
    s.push (clicks (44100, 1, 120, 12));
    const std::size_t before = s.events.size ();
    s.caps (GST_AUDIO_FORMAT_S16LE, 22050, 2);
    fail_unless (s.state () == "searching", "state %s", s.state ().c_str ());
    s.push (clicks (22050, 2, 90, 16), 12 * GST_SECOND);
    check_restarted (s, before, 12, "caps");
    fail_unless (s.identical && s.in_place);
  }
}
GST_END_TEST;

/* Reverse playback (segment rate < 0: the buffers come last first) is
 * passed through unanalysed, with no beat and no tempo: beats of audio
 * played backwards would be at times that do not exist. A forward segment
 * after it tracks again from scratch. */
GST_START_TEST (test_reverse_playback)
{
  Session s;
  s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.rate = -1.0;
  seg.stop = 12 * GST_SECOND;
  seg.position = seg.stop;
  fail_unless (gst_harness_push_event (s.h, gst_event_new_segment (&seg)));
  const std::vector<float> c = clicks (44100, 1, 120, 12);
  const std::size_t block = 4410;
  for (std::size_t at = (c.size () - 1) / block * block;; at -= block) {
    const std::size_t n = std::min (block, c.size () - at);
    s.push (std::vector<float> (c.begin () + at, c.begin () + at + n),
            gst_util_uint64_scale_int (at, GST_SECOND, 44100), block,
            at + n == c.size ());
    if (at == 0)
      break;
  }
  s.drain ();
  fail_unless (s.events.empty () && s.messages.empty (),
               "%zu beats in reverse playback", s.events.size ());
  fail_unless (s.tempos.empty (), "a tempo in reverse playback");
  fail_unless (s.state () == "searching", "state %s", s.state ().c_str ());
  fail_unless (s.identical && s.in_place);

  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (s.h, gst_event_new_segment (&seg)));
  s.push (clicks (44100, 1, 90, 16), 0, 1024, true);
  check_restarted (s, 0, 0, "forward again");
}
GST_END_TEST;

/* Raw audio straight from a file (filesrc ! capsfilter ! beatdetect): a
 * segment in bytes and buffers of 4096 bytes without timestamps, which
 * split the 12-byte frames of 6-channel S16. A warning says how to get
 * the stream's times; the beats are timed from the first sample (no
 * critical for the time conversions) and stay on the grid (the split
 * frames are joined: each buffer that drops a third of a frame loses
 * 0.3 % of the time, and the beats fell off the grid by 16 s). */
GST_START_TEST (test_bytes_segment)
{
  Session s;
  s.caps (GST_AUDIO_FORMAT_S16LE, 44100, 6);
  s.bytes_segment ();
  check_message (s.bus, GST_MESSAGE_WARNING, "bytes");

  const std::vector<float> c = clicks (44100, 6, 120, 20);
  GstBuffer *all = pack (c, 0, c.size (), GST_AUDIO_FORMAT_S16LE);
  const gsize size = gst_buffer_get_size (all);
  for (gsize at = 0; at < size; at += 4096)
    s.push_raw (gst_buffer_copy_region (all, GST_BUFFER_COPY_MEMORY, at,
                                        std::min<gsize> (4096, size - at)));
  gst_buffer_unref (all);
  s.drain ();
  check_grid (s.events, 120, 4, 0.025, "segment in bytes");
  for (const prune::Beat &b : s.events)
    fail_unless (b.stream_time == b.timestamp && b.running_time == b.timestamp);
}
GST_END_TEST;

/* A DISCONT buffer does not complete the frame the one before it split:
 * F32 mono in bytes, the first buffer ending 2 bytes into a frame, the
 * next one (DISCONT) starting on a frame. Completed, every sample after
 * it would be read 2 bytes off, and no beat would follow. */
GST_START_TEST (test_bytes_discont_drops_split_frame)
{
  Session s;
  s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
  s.bytes_segment ();
  const std::vector<float> c = clicks (44100, 1, 120, 16);
  GstBuffer *all = pack (c, 0, c.size (), GST_AUDIO_FORMAT_F32LE);
  const gsize size = gst_buffer_get_size (all), cut = 4 * 44100 * 4;
  GstBuffer *a =
      gst_buffer_copy_region (all, GST_BUFFER_COPY_MEMORY, 0, cut + 2);
  GstBuffer *b =
      gst_buffer_copy_region (all, GST_BUFFER_COPY_MEMORY, cut, size - cut);
  GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
  gst_buffer_unref (all);
  s.push_raw (a);
  s.push_raw (b);
  s.drain ();
  check_grid (s.events, 120, 8, 0.025, "after the DISCONT");
}
GST_END_TEST;

/* start-is-beat: a piece that starts on its (soft) beat keeps to it
 * against a louder off-beat; with the property off, or when the stream
 * starts further into the piece (after a seek: stream time 60 s), the
 * first onset decides nothing and the louder side wins. */
GST_START_TEST (test_start_is_beat)
{
  const double bpm = 130.0, half = 30.0 / bpm;
  struct Case {
    const char *props;
    GstClockTime time; /* stream time of the segment's start */
    double origin;     /* grid of the beats reported */
  } cases[] = {
      {"", 0, 0.0},
      {"start-is-beat=false", 0, half},
      {"", 60 * GST_SECOND, half},
  };
  for (const Case &c : cases) {
    Session s (c.props);
    s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    seg.time = c.time;
    fail_unless (gst_harness_push_event (s.h, gst_event_new_segment (&seg)));
    s.push (comping (bpm, 30));
    check_reports (s, c.props);
    const std::string what =
        std::string (c.props) + (c.time > 0 ? " (stream time 60 s)" : "");
    check_grid (s.events, bpm, 8, 0.025, what.c_str (), c.origin);
  }
  GstElement *e = gst_element_factory_make ("beatdetect", nullptr);
  gboolean v = FALSE;
  g_object_get (e, "start-is-beat", &v, nullptr);
  fail_unless (v, "start-is-beat is off by default");
  gst_object_unref (e);
}
GST_END_TEST;

enum class Loss { Discont, GapEvent, Dropped };

/* The same SEGMENT and the same caps again (elements re-send them, e.g.
 * after a reconfiguration): nothing is new, the analysis goes on. */
GST_START_TEST (test_same_segment_and_caps_again)
{
  Session s;
  s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
  s.push (clicks (44100, 1, 120, 12), 0, 4410);
  fail_unless (s.state () == "locked", "state %s", s.state ().c_str ());
  const std::size_t before = s.events.size ();
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (s.h, gst_event_new_segment (&seg)));
  fail_unless (s.state () == "locked", "state %s", s.state ().c_str ());
  /* another sample format at the same rate and channel count is the same
   * audio to the tracker: the analysis goes on */
  s.caps (GST_AUDIO_FORMAT_S16LE, 44100, 1);
  fail_unless (s.state () == "locked", "state %s", s.state ().c_str ());
  s.push (clicks (44100, 1, 120, 4), 12 * GST_SECOND, 4410);
  fail_unless (s.events.size () >= before + 7);
  fail_unless_equals_uint64 (s.events[before].index,
                             s.events[before - 1].index + 1);
  check_grid (s.events, 120, 6, 0.025, "after the same segment");
}
GST_END_TEST;

/* Lost audio: 5.25 s (10.5 periods) of a 120 BPM click track missing,
 * announced by a DISCONT buffer, by a GAP event, or by nothing but the
 * next buffer's timestamp (buffers dropped). The music went on meanwhile:
 * the beats of the gap's first second come from the grid (predicted),
 * none after that, and the beats after the gap stay on the clicks' grid
 * at once, not on its off-beat (what an analysis that joined the two
 * halves would give). */
static void
check_lost_audio (Loss loss)
{
  Session s;
  s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
  const auto track = clicks (44100, 1, 120, 30);
  const std::size_t cut = 44100 * 12, resume = 44100 * 69 / 4; /* 17.25 s */
  const std::vector<float> a (track.begin (), track.begin () + cut),
      b (track.begin () + resume, track.end ());
  s.push (a, 0, 4410);
  const std::size_t before = s.events.size ();
  if (loss == Loss::GapEvent)
    fail_unless (gst_harness_push_event (
        s.h, gst_event_new_gap (12 * GST_SECOND, 5250 * GST_MSECOND)));
  s.push (b, 17250 * GST_MSECOND, 4410, loss == Loss::Discont);
  /* (the click at 17.25 s may be announced a little before it) */
  int predicted = 0;
  for (std::size_t i = before; i < s.events.size (); i++) {
    const prune::Beat &beat = s.events[i];
    if (beat.timestamp >= 17225 * GST_MSECOND)
      continue;
    fail_unless (beat.timestamp < 13050 * GST_MSECOND && beat.predicted,
                 "beat at %.3f s inside the gap",
                 static_cast<double> (beat.timestamp) / GST_SECOND);
    predicted++;
  }
  fail_unless_equals_int (predicted, 2);
  check_grid (s.events, 120, 11.0, 0.025, "through the gap", 0.0, 25);
  fail_unless (s.state () == "locked", "state %s", s.state ().c_str ());
}

/* one run per way of losing the audio (Loss, in order) */
GST_START_TEST (test_lost_audio)
{
  check_lost_audio (static_cast<Loss> (__i__));
}
GST_END_TEST;

/* Timestamps that jump by more than the 30 s bridged, or back by more
 * than 1 s, restart the analysis: a new tempo is found, on the new
 * buffers' times. A small step back (0.3 s) keeps the lock. */
GST_START_TEST (test_timestamp_jumps)
{
  Session s;
  s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
  s.push (clicks (44100, 1, 120, 12), 0, 4410);
  fail_unless (s.state () == "locked", "state %s", s.state ().c_str ());
  /* 0.3 s back: the same analysis, its time base moved */
  const auto more = clicks (44100, 1, 120, 12);
  s.push (more, 11700 * GST_MSECOND, 4410, true);
  fail_unless (s.state () == "locked", "state %s", s.state ().c_str ());
  check_grid (s.events, 120, 15.7, 0.025, "after 0.3 s back", 11.7);
  /* 12 s of @bpm clicks from @at s: the analysis restarted there (beat
   * indices from 0) and found @bpm on the new buffers' times */
  auto restarted_at = [&s] (double at, double bpm, const char *what) {
    const std::size_t before = s.events.size ();
    s.push (clicks (44100, 1, bpm, 12),
            static_cast<GstClockTime> (at * GST_SECOND + 0.5), 4410, true);
    fail_unless (s.events.size () > before, "%s: no beats", what);
    fail_unless_equals_uint64 (s.events[before].index, 0);
    const std::vector<prune::Beat> after (s.events.begin () + before,
                                          s.events.end ());
    check_grid (after, bpm, at, 0.025, what, at);
  };
  restarted_at (83.7, 90, "after 60 s ahead");
  restarted_at (45, 120, "after 50 s back");
}
GST_END_TEST;

GST_START_TEST (test_latency_and_bad_settings)
{
  GstHarness *h = gst_harness_new_parse ("beatdetect lookahead=2000000000");
  gst_harness_set_src_caps_str (
      h, "audio/x-raw,format=F32LE,rate=44100,channels=1,layout=interleaved");
  gst_harness_set_upstream_latency (h, 0);
  gst_harness_play (h);
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 2 * GST_SECOND);
  /* the audio is not held: the buffering is left to upstream (or to a
   * queue after the element), so the maximum stays upstream's */
  GstClockTime max[2];
  GstHarness *plain = gst_harness_new_parse ("beatdetect");
  for (GstHarness *x : {h, plain}) {
    GstQuery *q = gst_query_new_latency ();
    gst_harness_set_src_caps_str (
        x, "audio/x-raw,format=F32LE,rate=44100,channels=1,layout=interleaved");
    gst_harness_set_upstream_latency (x, 20 * GST_MSECOND);
    fail_unless (gst_pad_peer_query (x->sinkpad, q));
    GstClockTime mn;
    gst_query_parse_latency (q, nullptr, &mn, &max[x == plain]);
    fail_unless_equals_uint64 (mn, 20 * GST_MSECOND +
                                       (x == h ? 2 * GST_SECOND : 0));
    gst_query_unref (q);
  }
  fail_unless_equals_uint64 (max[0], max[1]);
  gst_harness_teardown (plain);
  gst_harness_teardown (h);

  /* settings that cannot work fail the state change with an error that
   * names them */
  const struct {
    const char *props, *names;
  } bad[] = {
      {"beats-location=/nonexistent/dir/beats.txt", "/nonexistent/dir"},
      {"min-bpm=200 max-bpm=100", "min-bpm is 200 and max-bpm 100"},
      {"min-bpm=100 max-bpm=105", "min-bpm is 100 and max-bpm 105"},
  };
  for (const auto &c : bad) {
    const std::string desc = std::string ("beatdetect ") + c.props;
    GstElement *e = gst_parse_launch (desc.c_str (), nullptr);
    fail_unless (e != nullptr);
    check_start_refused (e, c.names);
    gst_object_unref (e);
  }
  /* a range just wide enough works */
  Session s ("min-bpm=100 max-bpm=110");
  s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
  s.push (clicks (44100, 1, 105, 12));
  check_grid (s.events, 105, 8, 0.025, "100 to 110 BPM");
  /* the analysis is set up at the start: a change while running is
   * refused with a warning that says when it can be made */
  g_object_set (s.h->element, "min-bpm", 200.0, "lookahead",
                static_cast<guint64> (GST_SECOND), nullptr);
  double min_bpm = 0.0;
  guint64 lookahead = 1;
  g_object_get (s.h->element, "min-bpm", &min_bpm, "lookahead", &lookahead,
                nullptr);
  fail_unless (min_bpm == 100.0 && lookahead == 0,
               "min-bpm %g lookahead %" G_GUINT64_FORMAT, min_bpm, lookahead);
  /* one warning for each of the two */
  check_message (s.bus, GST_MESSAGE_WARNING, "'min-bpm' was not changed");
  check_message (s.bus, GST_MESSAGE_WARNING, "'lookahead' was not changed");
  fail_unless (gst_bus_pop_filtered (s.bus, GST_MESSAGE_WARNING) == nullptr);
}
GST_END_TEST;

/* Bytes the allocator has handed out and not got back. */
static std::size_t
heap_in_use ()
{
  const struct mallinfo2 mi = mallinfo2 ();
  return mi.uordblks + mi.hblkhd;
}

/* An hour of 8 kHz mono clicks at 120 BPM in 0.1 s buffers at full
 * speed, with events (in and out of band), messages and a beats file: the heap
 * after the hour is what it was after the first minute (a leak of 2 bytes a
 * buffer or 10 a beat would show), and the tracker still follows the clicks. */
GST_START_TEST (test_hour_flat_memory)
{
  BeatsFile file;
  const char *path = file.path;
  const std::string props = std::string ("beats-location=") + path;
  {
    Session s (props.c_str ());
    s.check_output = false;
    s.caps (GST_AUDIO_FORMAT_F32LE, 8000, 1);
    /* 2 s of clicks (4 beats), repeated */
    const auto loop = clicks (8000, 1, 120, 2.0 + kFirstClick);
    const std::vector<float> piece (loop.begin () + 2000,
                                    loop.begin () + 2000 + 16000);
    std::size_t beats = 0, messages = 0, oob = 0;
    std::size_t at_minute = 0;
    for (int i = 0; i < 1800; i++) {
      s.push (piece, static_cast<GstClockTime> (i) * 2 * GST_SECOND, 800);
      beats += s.events.size ();
      messages += s.messages.size ();
      oob += s.oob.size ();
      s.events.clear ();
      s.messages.clear ();
      s.oob.clear ();
      s.tempos.clear ();
      if (i == 29)
        at_minute = heap_in_use ();
    }
    const std::size_t at_hour = heap_in_use ();
    fail_unless (s.in_place);
    fail_unless (at_hour <= at_minute + 16 * 1024,
                 "heap grew by %zd bytes from 1 minute to 1 hour",
                 static_cast<gssize> (at_hour - at_minute));
    /* 7200 clicks; the first few seconds go to locking */
    fail_unless (beats >= 7180 && beats <= 7200, "%zu beats", beats);
    fail_unless_equals_int (messages, beats);
    fail_unless_equals_int (oob, beats);
    fail_unless (std::fabs (s.bpm () - 120) < 1.0);
    fail_unless (s.state () == "locked", "state %s", s.state ().c_str ());
    fail_unless (gst_harness_push_event (s.h, gst_event_new_eos ()));
    gchar *text = nullptr;
    gsize len = 0;
    fail_unless (g_file_get_contents (path, &text, &len, nullptr));
    std::size_t lines = 0;
    for (gsize i = 0; i < len; i++)
      lines += text[i] == '\n';
    fail_unless_equals_int (lines, beats);
    g_free (text);
  }
}
GST_END_TEST;

/* With a lookahead the beats of the last lookahead seconds are still held
 * when the input ends: EOS reports them (events before the EOS event,
 * messages, the beats file) instead of losing them. */
GST_START_TEST (test_lookahead_drained_on_eos)
{
  Session s ("lookahead=2000000000");
  s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
  s.push (clicks (44100, 1, 120, 12));
  const double before =
      s.events.empty ()
          ? 0.0
          : static_cast<double> (s.events.back ().running_time) / GST_SECOND;
  fail_unless (before < 10.5, "the last beat before EOS at %.3f s", before);
  fail_unless (gst_harness_push_event (s.h, gst_event_new_eos ()));
  /* the held beats come out before the EOS event */
  bool eos = false;
  while (GstEvent *ev = gst_harness_try_pull_event (s.h)) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      eos = true;
    } else if (auto beat = prune::from_event<prune::Beat> (ev)) {
      fail_if (eos, "beat event after EOS");
      s.events.push_back (*beat);
    }
    gst_event_unref (ev);
  }
  fail_unless (eos);
  s.drain ();
  check_reports (s, "lookahead drained");
  check_grid (s.events, 120, 8, 0.025, "lookahead drained");
  const double last =
      static_cast<double> (s.events.back ().running_time) / GST_SECOND;
  fail_unless (last > 12.0 - 0.5 - 0.1, "the last beat at %.3f s of 12 s",
               last);
}
GST_END_TEST;

/* What ends the analysis of 12 s of clicks mid-stream. */
enum class Break { NewSegment, Jump, NewCaps };

/* Whatever ends the analysis (a new segment, a jump in the timestamps
 * that restarts it: 60 s of audio missing, new caps), the beats the
 * lookahead holds are reported first, with the old segment's times. */
static void
check_held_reported (Break what)
{
  Session s ("lookahead=2000000000");
  s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
  s.push (clicks (44100, 1, 120, 12));
  const std::size_t before = s.events.size ();
  switch (what) {
    case Break::NewSegment: {
      GstSegment seg;
      gst_segment_init (&seg, GST_FORMAT_TIME);
      seg.base = 12 * GST_SECOND;
      seg.time = 100 * GST_SECOND;
      fail_unless (gst_harness_push_event (s.h, gst_event_new_segment (&seg)));
      break;
    }
    case Break::Jump:
      s.push (clicks (44100, 1, 120, 1), 72 * GST_SECOND, 1024, true);
      break;
    case Break::NewCaps:
      s.caps (GST_AUDIO_FORMAT_S16LE, 22050, 2);
      break;
  }
  s.drain ();
  fail_unless (s.events.size () > before, "no beat reported at the break");
  std::vector<prune::Beat> held;
  for (const prune::Beat &beat : s.events)
    if (beat.timestamp < 12 * GST_SECOND)
      held.push_back (beat);
  check_grid (held, 120, 8, 0.025, "held at the break");
  const prune::Beat &last = held.back ();
  fail_unless (last.running_time > 11400 * GST_MSECOND &&
                   last.stream_time == last.running_time,
               "the last beat at %.3f s of 12 s (stream time %.3f s)",
               static_cast<double> (last.running_time) / GST_SECOND,
               static_cast<double> (last.stream_time) / GST_SECOND);
}

/* one run per Break, in order */
GST_START_TEST (test_lookahead_held_reported)
{
  check_held_reported (static_cast<Break> (__i__));
}
GST_END_TEST;

/* New caps (another rate and channel count) in the middle of a click
 * track, with a lookahead: the held beats are reported, and the new
 * analysis, which refines the first click after the change back, does
 * not report a beat again or step back in time. */
GST_START_TEST (test_caps_change_no_repeat)
{
  Session s ("lookahead=2000000000");
  s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
  s.push (clicks (44100, 1, 120, 12.25));
  /* the change comes on a click (12.25 s), which the old analysis reports
   * as it drains and the new one finds on its first sample */
  s.caps (GST_AUDIO_FORMAT_F32LE, 48000, 2);
  const auto after = clicks (48000, 2, 120, 12.25);
  s.push (std::vector<float> (after.begin () + 12000 * 2, after.end ()),
          12250 * GST_MSECOND);
  fail_unless (gst_harness_push_event (s.h, gst_event_new_eos ()));
  s.drain ();
  for (std::size_t i = 1; i < s.events.size (); i++)
    fail_unless (s.events[i].timestamp >
                     s.events[i - 1].timestamp + 250 * GST_MSECOND,
                 "beat at %.4f s after one at %.4f s",
                 static_cast<double> (s.events[i].timestamp) / GST_SECOND,
                 static_cast<double> (s.events[i - 1].timestamp) / GST_SECOND);
  check_grid (s.events, 120, 1, 0.025, "across the caps change", 0, 40);
}
GST_END_TEST;

/* Music that starts on the stream's first sample, with a lookahead: its
 * first beat is beat 0, at the first sample (the onset detector times
 * it up to 25 ms before), also in a stream that starts at 5 s. */
GST_START_TEST (test_first_beat_on_first_sample)
{
  const auto track = clicks (44100, 1, 120, 12.25);
  const std::vector<float> from_click (
      track.begin () + static_cast<std::size_t> (kFirstClick * 44100),
      track.end ());
  for (GstClockTime start : {GstClockTime (0), GstClockTime (5 * GST_SECOND)}) {
    Session s ("lookahead=2000000000");
    s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
    if (start > 0) {
      GstSegment seg;
      gst_segment_init (&seg, GST_FORMAT_TIME);
      seg.start = start;
      seg.time = start;
      fail_unless (gst_harness_push_event (s.h, gst_event_new_segment (&seg)));
    }
    s.push (from_click, start);
    fail_unless (!s.events.empty ());
    fail_unless_equals_uint64 (s.events[0].index, 0);
    fail_unless_equals_uint64 (s.events[0].timestamp, start);
    check_reports (s, "from the first sample");
  }
}
GST_END_TEST;

/* A beats file that cannot be written to (a full disk) fails the stream
 * with an error that names it, instead of losing the beats silently. */
GST_START_TEST (test_beats_file_write_error)
{
  if (!g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    return;
  Session s ("beats-location=/dev/full");
  s.caps (GST_AUDIO_FORMAT_F32LE, 44100, 1);
  const auto track = clicks (44100, 1, 120, 12);
  GstFlowReturn ret = GST_FLOW_OK;
  for (std::size_t at = 0; at < track.size () && ret == GST_FLOW_OK;
       at += 4410) {
    GstBuffer *in =
        pack (track, at, std::min<std::size_t> (4410, track.size () - at),
              GST_AUDIO_FORMAT_F32LE);
    GST_BUFFER_PTS (in) = gst_util_uint64_scale_int (at, GST_SECOND, 44100);
    ret = gst_harness_push (s.h, in);
    if (ret == GST_FLOW_OK)
      gst_buffer_unref (gst_harness_pull (s.h));
  }
  fail_unless_equals_int (ret, GST_FLOW_ERROR);
  check_message (s.bus, GST_MESSAGE_ERROR, "/dev/full");
}
GST_END_TEST;

/* @samples (interleaved, -1..1) as a 16-bit PCM WAV file at @path. */
static void
write_wav (const char *path, const std::vector<float> &samples, int rate,
           int channels)
{
  auto le = [] (std::string &out, std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; i++)
      out.push_back (static_cast<char> ((v >> (8 * i)) & 0xff));
  };
  const std::uint32_t data = static_cast<std::uint32_t> (samples.size () * 2);
  std::string wav = "RIFF";
  le (wav, 36 + data, 4);
  wav += "WAVEfmt ";
  le (wav, 16, 4);
  le (wav, 1, 2); /* PCM */
  le (wav, channels, 2);
  le (wav, rate, 4);
  le (wav, rate * channels * 2, 4);
  le (wav, channels * 2, 2);
  le (wav, 16, 2);
  wav += "data";
  le (wav, data, 4);
  for (float v : samples)
    le (wav,
        static_cast<std::uint16_t> (static_cast<gint16> (
            std::clamp (std::lround (v * 32767.0), -32768L, 32767L))),
        2);
  fail_unless (g_file_set_contents (path, wav.data (), wav.size (), nullptr));
}

/* In an application's player: playbin's audio-filter, the way a C, C++ or
 * Python player adds an effect to what it plays. Through file reading,
 * parsing, playsink's conversions and the sink's preroll, the click
 * track's beats reach the bus on the click grid, the read-only bpm
 * property reads the tempo, and the file plays to its EOS. */
GST_START_TEST (test_playbin_audio_filter)
{
  BeatsFile tmp; /* a temporary directory, removed at the end */
  gchar *wav = g_build_filename (tmp.dir, "clicks.wav", nullptr);
  write_wav (wav, clicks (44100, 2, 120, 12), 44100, 2);
  GstElement *play = gst_element_factory_make ("playbin", nullptr);
  fail_unless (play != nullptr, "no playbin (gst-plugins-base)");
  GstElement *filter = gst_element_factory_make ("beatdetect", nullptr);
  fail_unless (filter != nullptr);
  gst_object_ref_sink (filter); /* read after playbin has let it go */
  GstElement *asink = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (asink, "sync", FALSE, nullptr);
  gchar *uri = gst_filename_to_uri (wav, nullptr);
  /* flags: audio only; without soft-volume, as playsink of GStreamer 1.22
   * leaks the volume element it puts before a sink without a volume of
   * its own (plain playbin with a fakesink, no filter, leaks it too) */
  g_object_set (play, "uri", uri, "audio-filter", filter, "audio-sink", asink,
                nullptr);
  gst_util_set_object_arg (G_OBJECT (play), "flags", "audio");
  g_free (uri);
  GstBus *bus = gst_element_get_bus (play);
  fail_unless (gst_element_set_state (play, GST_STATE_PLAYING) !=
               GST_STATE_CHANGE_FAILURE);
  std::vector<prune::Beat> beats;
  for (bool eos = false; !eos;) {
    GstMessage *m = gst_bus_timed_pop (bus, 60 * GST_SECOND);
    fail_unless (m != nullptr, "no EOS within 60 s");
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      GError *e = nullptr;
      gst_message_parse_error (m, &e, nullptr);
      fail ("playbin: %s", e->message);
    }
    if (auto beat = prune::from_message<prune::Beat> (m))
      beats.push_back (*beat);
    eos = GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS;
    gst_message_unref (m);
  }
  double bpm = 0.0;
  g_object_get (filter, "bpm", &bpm, nullptr);
  gst_element_set_state (play, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (play);
  gst_object_unref (filter);
  g_unlink (wav);
  g_free (wav);
  check_grid (beats, 120, 3, 0.025, "playbin audio-filter", 0.0, 15);
  fail_unless (std::fabs (bpm - 120.0) < 1.0, "bpm property %.2f", bpm);
}
GST_END_TEST;

static Suite *
beatdetect_suite (void)
{
  Suite *s = suite_create ("beatdetect");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_passthrough_and_beats);
  tcase_add_test (tc, test_formats_rates_channels);
  tcase_add_test (tc, test_tempi);
  tcase_add_test (tc, test_white_noise);
  tcase_add_test (tc, test_dc_clipping_nonfinite);
  tcase_add_test (tc, test_switches);
  tcase_add_test (tc, test_out_of_band_copies);
  tcase_add_test (tc, test_beats_file_on_eos);
  tcase_add_test (tc, test_lookahead_drained_on_eos);
  tcase_add_loop_test (tc, test_lookahead_held_reported, 0, 3);
  tcase_add_test (tc, test_caps_change_no_repeat);
  tcase_add_test (tc, test_first_beat_on_first_sample);
  tcase_add_test (tc, test_beats_file_write_error);
  tcase_add_test (tc, test_flush_segment_caps_restart);
  tcase_add_test (tc, test_state_notified);
  tcase_add_test (tc, test_reverse_playback);
  tcase_add_test (tc, test_bytes_segment);
  tcase_add_test (tc, test_bytes_discont_drops_split_frame);
  tcase_add_test (tc, test_start_is_beat);
  tcase_add_test (tc, test_same_segment_and_caps_again);
  tcase_add_loop_test (tc, test_lost_audio, 0, 3);
  tcase_add_test (tc, test_timestamp_jumps);
  tcase_add_test (tc, test_latency_and_bad_settings);
  tcase_add_test (tc, test_hour_flat_memory);
  tcase_add_test (tc, test_playbin_audio_filter);
  return s;
}

GST_CHECK_MAIN (beatdetect);
