/* gst-prune
 * Copyright (C) 2026 gst-prune developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * GstHarness tests of segmentsink: splits by time, the split-now action
 * signal, the format-location signal, prune-segment-start/-end and
 * prune-beat events, messages, EOS ordering and the list it writes.
 * Real x264 data comes from a source harness.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/prune/names.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "../prune-check.h"

namespace {

constexpr GstClockTime kFrame = 100 * GST_MSECOND; /* 10 fps */

struct Sink {
  GstHarness *h;
  GstBus *bus;
  gchar *dir;
  std::string list;

  explicit Sink (const char *props = "")
  {
    dir = g_dir_make_tmp ("segmentsink-XXXXXX", nullptr);
    list = std::string (dir) + "/list.ffconcat";
    std::string desc = std::string ("segmentsink location=") + dir +
                       "/seg%03d.mp4 playlist-location=" + list + " " + props;
    GstElement *e = gst_parse_launch (desc.c_str (), nullptr);
    fail_unless (e != nullptr);
    h = gst_harness_new_with_element (e, "video", nullptr);
    gst_object_unref (e);
    bus = gst_bus_new ();
    gst_element_set_bus (h->element, bus);
    /* keyframe every 5 frames, no lookahead delay */
    gst_harness_add_src_parse (
        h,
        "videotestsrc pattern=ball num-buffers=100 ! "
        "video/x-raw,width=64,height=48,"
        "framerate=10/1 ! x264enc tune=zerolatency key-int-max=5 "
        "speed-preset=ultrafast ! h264parse",
        FALSE);
  }
  ~Sink ()
  {
    gst_harness_teardown (h);
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);
    GDir *d = g_dir_open (dir, 0, nullptr);
    while (const gchar *name = g_dir_read_name (d)) {
      gchar *path = g_build_filename (dir, name, nullptr);
      g_unlink (path);
      g_free (path);
    }
    g_dir_close (d);
    g_rmdir (dir);
    g_free (dir);
  }
  void push (int n)
  {
    for (int i = 0; i < n; i++)
      fail_unless_equals_int (gst_harness_push_from_src (h), GST_FLOW_OK);
  }
  void event (GstEvent *ev) { fail_unless (gst_harness_push_event (h, ev)); }
  /* a harness on a new audio pad (S16 mono at 8 kHz); the sink plays */
  GstHarness *play_with_audio ()
  {
    GstHarness *ha =
        gst_harness_new_with_element (h->element, "audio_0", nullptr);
    gst_harness_play (h);
    gst_harness_set_src_caps_str (ha, "audio/x-raw,format=S16LE,rate=8000,"
                                      "channels=1,layout=interleaved");
    return ha;
  }
  /* the gate's events: a kept stretch @index opens at @frame, or one
   * that opened at @from closes at @frame */
  void gate_open (int frame, guint index = 0)
  {
    prune::SegmentStart start;
    start.running_time = frame * kFrame;
    start.index = index;
    event (prune::to_event (start));
  }
  /* the start of a stretch at @frame sent ahead of its frames, out of
   * band, as gst-prune passes the gate's on */
  void gate_announce (int frame, guint index = 0)
  {
    prune::SegmentStart start;
    start.running_time = frame * kFrame;
    start.index = index;
    event (prune::to_oob_event (start));
  }
  void gate_close (int from, int frame, bool oob = false)
  {
    prune::SegmentEnd end;
    end.running_time = frame * kFrame;
    end.duration = (frame - from) * kFrame;
    event (oob ? prune::to_oob_event (end) : prune::to_event (end));
  }
  /* the gate's drop of frames @from..@to - 1: out of band, and the
   * frames never come (pulled from the source and dropped) */
  void gate_drop (int from, int to)
  {
    for (int i = from; i < to; i++) {
      prune::Gap gap;
      gap.running_time = i * kFrame;
      gap.duration = kFrame;
      event (prune::to_oob_event (gap));
      gst_buffer_unref (gst_harness_pull (h->src_harness));
    }
  }
  /* the next prune-segment-closed message within @seconds (the messages
   * before it are dropped) */
  std::optional<prune::SegmentClosed> next_closed (int seconds)
  {
    const gint64 until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
    for (;;) {
      const gint64 left = until - g_get_monotonic_time ();
      if (left <= 0)
        return std::nullopt;
      GstMessage *m = gst_bus_timed_pop (bus, left * GST_USECOND);
      if (m == nullptr)
        return std::nullopt;
      std::optional<prune::SegmentClosed> out;
      if (prune::has_name<prune::SegmentClosed> (gst_message_get_structure (m)))
        if (auto v = prune::from_message<prune::SegmentClosed> (m))
          out = *v;
      gst_message_unref (m);
      if (out)
        return out;
    }
  }
  /* waits for the EOS message and returns the prune messages before it */
  std::vector<GstMessage *> finish ()
  {
    event (gst_event_new_eos ());
    std::vector<GstMessage *> out;
    for (;;) {
      GstMessage *m = gst_bus_timed_pop (bus, 20 * GST_SECOND);
      fail_unless (m != nullptr, "no EOS message");
      if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS) {
        gst_message_unref (m);
        return out;
      }
      fail_if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR);
      out.push_back (m);
    }
  }
  std::string list_text () const
  {
    gchar *text = nullptr;
    g_file_get_contents (list.c_str (), &text, nullptr, nullptr);
    std::string out = text ? text : "";
    g_free (text);
    return out;
  }
};

/* Sends prune-beat events (120 BPM, numbered) at frame times. */
struct Beats {
  Sink &s;
  prune::Beat beat;
  bool oob = false; /* out of band, as gst-prune sends them */
  explicit Beats (Sink &sink) : s (sink)
  {
    beat.bpm = 120;
    beat.confidence = 1.0;
  }
  void operator() (int frame)
  {
    beat.running_time = frame * kFrame;
    GstEvent *ev = prune::to_event (beat);
    if (oob) {
      GstEvent *in_stream = ev;
      ev = gst_event_new_custom (
          GST_EVENT_CUSTOM_DOWNSTREAM_OOB,
          gst_structure_copy (gst_event_get_structure (in_stream)));
      gst_event_unref (in_stream);
    }
    s.event (ev);
    beat.index++;
  }
};

/* The running time of the last force-key-unit asked upstream (NONE if
 * none); drops every upstream event. */
std::vector<GstClockTime>
keyframes_asked (Sink &s)
{
  std::vector<GstClockTime> asked;
  while (GstEvent *ev = gst_harness_try_pull_upstream_event (s.h)) {
    GstClockTime at;
    if (gst_video_event_is_force_key_unit (ev) &&
        gst_video_event_parse_upstream_force_key_unit (ev, &at, nullptr,
                                                       nullptr))
      asked.push_back (at);
    gst_event_unref (ev);
  }
  return asked;
}

GstClockTime
keyframe_asked (Sink &s)
{
  const auto asked = keyframes_asked (s);
  return asked.empty () ? GST_CLOCK_TIME_NONE : asked.back ();
}

template<typename T>
std::vector<T>
parse_all (const std::vector<GstMessage *> &msgs)
{
  std::vector<T> out;
  for (GstMessage *m : msgs)
    if (prune::has_name<T> (gst_message_get_structure (m))) {
      auto v = prune::from_message<T> (m);
      fail_unless (bool (v), "%s", v.error ().c_str ());
      out.push_back (*v);
    }
  return out;
}

void
free_all (std::vector<GstMessage *> &msgs)
{
  for (GstMessage *m : msgs)
    gst_message_unref (m);
}

/* Ends the stream and checks its two files: the first from frame @start,
 * @n1 frames long and cut by a beat, the second @n2 frames. */
void
finish_beat_cut (Sink &s, int start, int n1, int n2)
{
  auto msgs = s.finish ();
  auto closed = parse_all<prune::SegmentClosed> (msgs);
  fail_unless_equals_int (closed.size (), 2);
  fail_unless_equals_uint64 (closed[0].running_time, start * kFrame);
  fail_unless_equals_uint64 (closed[0].duration, n1 * kFrame);
  fail_unless (closed[0].reason == prune::SplitReason::Beats);
  fail_unless_equals_uint64 (closed[1].duration, n2 * kFrame);
  free_all (msgs);
}

int
count (const std::string &hay, const std::string &needle)
{
  int n = 0;
  for (std::size_t pos = hay.find (needle); pos != std::string::npos;
       pos = hay.find (needle, pos + 1))
    n++;
  return n;
}

} // namespace

GST_START_TEST (test_split_by_time)
{
  Sink s ("max-size-time=1000000000");
  gst_harness_play (s.h);
  s.push (35);
  auto msgs = s.finish ();
  auto closed = parse_all<prune::SegmentClosed> (msgs);
  /* 3.5 s in 1 s files, each starting on a keyframe */
  fail_unless_equals_int (closed.size (), 4);
  for (std::size_t i = 0; i < 3; i++) {
    fail_unless_equals_uint64 (closed[i].duration, GST_SECOND);
    fail_unless (closed[i].reason == prune::SplitReason::MaxSizeTime);
  }
  fail_unless (closed[3].reason == prune::SplitReason::Eos);
  fail_unless_equals_uint64 (closed[3].duration, 5 * kFrame);
  fail_unless (closed[0].bytes > 0);
  fail_unless_equals_int (parse_all<prune::SegmentOpened> (msgs).size (), 4);
  auto updated = parse_all<prune::PlaylistUpdated> (msgs);
  fail_unless_equals_int (updated.back ().entries, 4);
  fail_unless_equals_uint64 (updated.back ().duration, 3500 * GST_MSECOND);
  const std::string list = s.list_text ();
  fail_unless (list.rfind ("ffconcat version 1.0\n", 0) == 0);
  fail_unless_equals_int (count (list, "file 'seg"), 4);
  fail_unless_equals_int (count (list, "duration 1.000000"), 3);
  fail_unless_equals_int (count (list, "duration 0.500000"), 1);
  free_all (msgs);
}
GST_END_TEST;

GST_START_TEST (test_split_now_and_format_location)
{
  Sink s;
  g_signal_connect (
      s.h->element, "format-location",
      G_CALLBACK (+[] (GstElement *, guint index, gpointer dir) -> gchar * {
        return g_strdup_printf ("%s/custom-%u.mp4",
                                static_cast<const gchar *> (dir), index * 10);
      }),
      s.dir);
  gst_harness_play (s.h);
  s.push (7);
  g_signal_emit_by_name (s.h->element, "split-now");
  s.push (8); /* the cut waits for the keyframe at frame 10 */
  auto msgs = s.finish ();
  auto closed = parse_all<prune::SegmentClosed> (msgs);
  fail_unless_equals_int (closed.size (), 2);
  fail_unless (closed[0].reason == prune::SplitReason::SplitNow);
  fail_unless_equals_uint64 (closed[0].duration, 10 * kFrame);
  fail_unless (
      g_str_has_suffix (closed[1].location.c_str (), "/custom-10.mp4"));
  fail_unless (g_file_test (closed[1].location.c_str (), G_FILE_TEST_EXISTS));
  fail_unless_equals_int (count (s.list_text (), "file 'custom-"), 2);
  free_all (msgs);
}
GST_END_TEST;

GST_START_TEST (test_split_on_gate_events)
{
  Sink s ("split-on-gate=true");
  gst_harness_play (s.h);
  s.push (5); /* before any segment: not written */
  s.gate_open (5);
  s.push (10); /* frames 5..14 */
  s.gate_close (5, 15);
  s.push (10); /* frames 15..24: not written */
  s.gate_open (25, 1);
  s.push (5);
  auto msgs = s.finish ();
  auto closed = parse_all<prune::SegmentClosed> (msgs);
  fail_unless_equals_int (closed.size (), 2);
  fail_unless_equals_uint64 (closed[0].running_time, 5 * kFrame);
  fail_unless_equals_uint64 (closed[0].duration, 10 * kFrame);
  fail_unless (closed[0].reason == prune::SplitReason::Gate);
  fail_unless_equals_uint64 (closed[1].running_time, 25 * kFrame);
  fail_unless_equals_uint64 (closed[1].duration, 5 * kFrame);
  free_all (msgs);
}
GST_END_TEST;

GST_START_TEST (test_split_on_beats)
{
  Sink s ("split-on-beats=2");
  gst_harness_play (s.h);
  Beats beat_at (s);
  for (int b = 0; b < 4; b++) {
    s.push (5);
    beat_at ((b + 1) * 5);
  }
  s.push (5);
  auto msgs = s.finish ();
  auto closed = parse_all<prune::SegmentClosed> (msgs);
  /* beats at 0.5, 1.0, 1.5, 2.0 s: cuts at the 2nd and 4th */
  fail_unless_equals_int (closed.size (), 3);
  fail_unless (closed[0].reason == prune::SplitReason::Beats);
  fail_unless_equals_uint64 (closed[0].duration, 10 * kFrame);
  fail_unless_equals_uint64 (closed[1].duration, 10 * kFrame);
  free_all (msgs);
}
GST_END_TEST;

/* With the gate, each stretch counts its beats from 0: a beat before the
 * gate closed does not make the next stretch's first beat a cut (a file
 * of one beat). */
GST_START_TEST (test_beats_counted_per_stretch)
{
  Sink s ("split-on-gate=true split-on-beats=2");
  gst_harness_play (s.h);
  Beats beat_at (s);
  s.push (5); /* before any segment: not written */
  s.gate_open (5);
  beat_at (5);
  s.push (5);
  s.gate_close (5, 10);
  s.push (10); /* frames 10..19: not written */
  s.gate_open (20, 1);
  s.push (5);
  beat_at (25); /* the stretch's first beat */
  s.push (10);
  beat_at (35); /* its second: the cut (frame 35 is a keyframe) */
  s.push (10);
  auto msgs = s.finish ();
  auto closed = parse_all<prune::SegmentClosed> (msgs);
  fail_unless_equals_int (closed.size (), 3);
  fail_unless (closed[0].reason == prune::SplitReason::Gate);
  fail_unless_equals_uint64 (closed[1].running_time, 20 * kFrame);
  fail_unless_equals_uint64 (closed[1].duration, 15 * kFrame);
  fail_unless (closed[1].reason == prune::SplitReason::Beats);
  fail_unless_equals_uint64 (closed[2].duration, 10 * kFrame);
  free_all (msgs);
}
GST_END_TEST;

/* Beats count where their time falls in the video, not when their event
 * comes: the audio that carries them runs behind or ahead of the video. */
GST_START_TEST (test_beats_counted_at_their_time)
{
  Sink s ("split-on-gate=true split-on-beats=2");
  gst_harness_play (s.h);
  Beats beat_at (s);
  s.push (5); /* frames 0..4: before the gate opens */
  s.gate_open (5);
  s.push (5);  /* the file opens at frame 5 */
  beat_at (1); /* late beats, before the file */
  beat_at (3);
  s.push (5); /* frames 10..14: no cut at keyframe 10 */
  keyframe_asked (s);
  beat_at (16); /* early beats: counted when the video reaches them */
  beat_at (18);
  /* the second is the cut: a keyframe is asked for from half a frame
   * before it (the frame nearest to the beat) */
  fail_unless_equals_uint64 (keyframe_asked (s), 18 * kFrame - kFrame / 2);
  s.push (1); /* frame 15 (a keyframe): no cut yet */
  s.push (9); /* the second beat at 18, the cut at keyframe 20 */
  finish_beat_cut (s, 5, 15, 5);
}
GST_END_TEST;

/* Beats out of band (gst-prune sends beatdetect's so, ahead of the audio
 * that carries them): known while no file is open, the cut's keyframe is
 * asked for when the file opens; the same beat in stream order later
 * counts once. */
GST_START_TEST (test_beats_out_of_band)
{
  Sink s ("split-on-gate=true split-on-beats=2");
  gst_harness_play (s.h);
  Beats beat_at (s);
  beat_at.oob = true;
  s.push (10);  /* frames 0..9: before the gate opens, no file */
  beat_at (12); /* announced while no file is open */
  beat_at (14);
  keyframe_asked (s);
  s.gate_open (10);
  s.push (1); /* the file opens at frame 10: the cut will be at beat 14 */
  fail_unless_equals_uint64 (keyframe_asked (s), 14 * kFrame - kFrame / 2);
  s.push (5); /* frames 11..15: the cut at keyframe 15 */
  beat_at (17);
  s.push (3); /* frames 16..18 pass beat 17 */
  Beats in_stream (s);
  in_stream (17); /* the same beat again: no second beat, no cut at 20 */
  s.push (6);
  finish_beat_cut (s, 10, 5, 10);
}
GST_END_TEST;

/* A gate sends a stretch's pre-roll at once, and an encoder with a queue
 * after it may pass the first cut's beat before the file opens here: a
 * stretch announced out of band gets the keyframe of its first cut as
 * soon as both are known, in either order, once the encoder has made its
 * first frame (a request before that is spent on that frame:
 * encoder_started()). */
GST_START_TEST (test_stretch_announced_out_of_band)
{
  Sink s ("split-on-gate=true split-on-beats=2");
  gst_harness_play (s.h);
  Beats beat_at (s);
  beat_at.oob = true;
  /* no frame has come yet: both cuts known are asked for when the file
   * opens */
  beat_at (12);
  beat_at (14);
  beat_at (16);
  beat_at (18);
  s.gate_announce (10);
  fail_unless_equals_uint64 (keyframe_asked (s), GST_CLOCK_TIME_NONE);
  s.push (10); /* frames 0..9: before the gate opens, no file */
  s.gate_open (10);
  s.push (1); /* the file opens at frame 10 */
  const auto asked = keyframes_asked (s);
  fail_unless_equals_int (asked.size (), 2);
  fail_unless_equals_uint64 (asked[0], 14 * kFrame - kFrame / 2);
  fail_unless_equals_uint64 (asked[1], 18 * kFrame - kFrame / 2);
  s.push (10); /* frames 11..20: cuts at keyframes 15 and 20 */
  s.gate_close (10, 21);
  /* beats first, then the stretch: asked at once; a beat before the
   * stretch does not count */
  beat_at (29);
  beat_at (32);
  beat_at (34);
  fail_unless_equals_uint64 (keyframe_asked (s), GST_CLOCK_TIME_NONE);
  s.gate_announce (30, 1);
  fail_unless_equals_uint64 (keyframe_asked (s), 34 * kFrame - kFrame / 2);
  s.push (9); /* frames 21..29, gate closed */
  s.gate_open (30, 1);
  s.push (10); /* frames 30..39: the cut at keyframe 35, asked already */
  fail_unless_equals_uint64 (keyframe_asked (s), GST_CLOCK_TIME_NONE);
  s.gate_close (30, 40);
  /* the stretch first, then its beats: asked with its second beat */
  s.gate_announce (50, 2);
  beat_at (52);
  fail_unless_equals_uint64 (keyframe_asked (s), GST_CLOCK_TIME_NONE);
  beat_at (54);
  fail_unless_equals_uint64 (keyframe_asked (s), 54 * kFrame - kFrame / 2);
  s.push (10); /* frames 40..49, gate closed */
  s.gate_open (50, 2);
  s.push (10); /* frames 50..59: the cut at keyframe 55 */
  fail_unless_equals_uint64 (keyframe_asked (s), GST_CLOCK_TIME_NONE);
  auto msgs = s.finish ();
  auto closed = parse_all<prune::SegmentClosed> (msgs);
  fail_unless_equals_int (closed.size (), 7);
  for (int k : {0, 1, 3, 5}) {
    fail_unless_equals_uint64 (closed[k].running_time,
                               (k == 1 ? 15 : 10 + 20 * (k / 2)) * kFrame);
    fail_unless_equals_uint64 (closed[k].duration, 5 * kFrame);
    fail_unless (closed[k].reason == prune::SplitReason::Beats);
  }
  free_all (msgs);
}
GST_END_TEST;

GST_START_TEST (test_closed_before_eos_and_resume)
{
  std::string dir;
  {
    Sink s;
    gst_harness_play (s.h);
    s.push (12);
    auto msgs = s.finish ();
    /* the closed and playlist-updated messages came before EOS */
    fail_unless_equals_int (parse_all<prune::SegmentClosed> (msgs).size (), 1);
    fail_unless_equals_int (parse_all<prune::PlaylistUpdated> (msgs).size (),
                            1);
    free_all (msgs);
    /* a second sink on the same list continues it */
    std::string desc = std::string ("segmentsink location=") + s.dir +
                       "/seg%03d.mp4 playlist-location=" + s.list;
    GstElement *e = gst_parse_launch (desc.c_str (), nullptr);
    GstHarness *h2 = gst_harness_new_with_element (e, "video", nullptr);
    gst_object_unref (e);
    GstBus *bus = gst_bus_new ();
    gst_element_set_bus (h2->element, bus);
    gst_harness_add_src_parse (
        h2,
        "videotestsrc num-buffers=100 ! "
        "video/x-raw,width=64,height=48,framerate=10/1 ! "
        "x264enc tune=zerolatency key-int-max=5 ! h264parse",
        FALSE);
    gst_harness_play (h2);
    for (int i = 0; i < 6; i++)
      fail_unless_equals_int (gst_harness_push_from_src (h2), GST_FLOW_OK);
    gst_harness_push_event (h2, gst_event_new_eos ());
    GstMessage *m =
        gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_EOS);
    fail_unless (m != nullptr);
    gst_message_unref (m);
    gst_harness_teardown (h2);
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);
    const std::string list = s.list_text ();
    fail_unless_equals_int (count (list, "file 'seg000.mp4'"), 1);
    fail_unless_equals_int (count (list, "file 'seg001.mp4'"), 1);
  }
}
GST_END_TEST;

GST_START_TEST (test_bad_location_pattern)
{
  GstElement *e = gst_element_factory_make ("segmentsink", nullptr);
  g_object_set (e, "location", "/tmp/seg%s.mp4", nullptr);
  check_start_refused (e, "Bad location pattern");
  gst_object_unref (e);
}
GST_END_TEST;

/* An audio encoder may still be starting when the video opens the first
 * file: the audio stream has no caps yet, and its muxer pad is picked by
 * its kind. matroskamux lists video_%u first: the audio stream once got a
 * video pad there and every audio buffer was refused (not-negotiated), so
 * the file had no audio track. */
GST_START_TEST (test_audio_caps_after_file_opened)
{
  Sink s ("muxer-factory=matroskamux");
  GstHarness *ha =
      gst_harness_new_with_element (s.h->element, "audio_0", nullptr);
  gst_harness_play (s.h);
  s.push (10); /* the first file is open, the audio has no caps */
  gst_harness_set_src_caps_str (ha, "audio/x-raw,format=S16LE,rate=8000,"
                                    "channels=1,layout=interleaved");
  for (int i = 0; i < 10; i++) {
    GstBuffer *b = gst_buffer_new_allocate (nullptr, 1600, nullptr);
    gst_buffer_memset (b, 0, 0, 1600);
    GST_BUFFER_PTS (b) = i * kFrame;
    GST_BUFFER_DURATION (b) = kFrame;
    fail_unless_equals_int (gst_harness_push (ha, b), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (ha, gst_event_new_eos ()));
  auto msgs = s.finish ();
  auto closed = parse_all<prune::SegmentClosed> (msgs);
  fail_unless_equals_int (closed.size (), 1);
  free_all (msgs);
  gst_harness_teardown (ha);
}
GST_END_TEST;

/* An encoder holds the gate's GAP events back until its next frame, so
 * while the gate is closed (before its first stretch too) the video told
 * the sink nothing and the audio waited in the sink; in gst-prune, whose
 * video waits for the beats of that audio, both stood still for 2 s
 * before a file's first stretch. The gate's prune-gap events (out of
 * band, one per dropped frame) pass the encoder at once: with no stretch
 * open, nothing up to them is kept. */
/* Pushes @n audio buffers of 0.1 s each (from 0) into @ha on another
 * thread: how many went in, or -1 when the pushes did not return within
 * 10 s (the audio waited for the video; the pushes are flushed out). */
static int
push_audio (GstHarness *ha, int n)
{
  auto pushed = std::async (std::launch::async, [ha, n] () {
    for (int i = 0; i < n; i++) {
      GstBuffer *b = gst_buffer_new_allocate (nullptr, 1600, nullptr);
      gst_buffer_memset (b, 0, 0, 1600);
      GST_BUFFER_PTS (b) = i * kFrame;
      GST_BUFFER_DURATION (b) = kFrame;
      if (gst_harness_push (ha, b) != GST_FLOW_OK)
        return i;
    }
    return n;
  });
  const bool done =
      pushed.wait_for (std::chrono::seconds (10)) == std::future_status::ready;
  if (!done) /* let the push return before failing */
    gst_harness_push_event (ha, gst_event_new_flush_start ());
  const int pushed_n = pushed.get ();
  return done ? pushed_n : -1;
}

GST_START_TEST (test_audio_not_held_behind_gaps)
{
  Sink s ("split-on-gate=true split-on-beats=2 muxer-factory=matroskamux");
  GstHarness *ha = s.play_with_audio ();
  /* the gate's out-of-band word for its dropped frames 0..9 */
  for (int i = 0; i < 10; i++) {
    prune::Gap gap;
    gap.running_time = i * kFrame;
    gap.duration = kFrame;
    s.event (prune::to_oob_event (gap));
  }
  fail_unless (push_audio (ha, 10) == 10,
               "the audio before the stretch waited for the video");
  s.push (11); /* frames 0..10 */
  gst_harness_push_event (ha, gst_event_new_eos ());
  gst_harness_teardown (ha);
}
GST_END_TEST;

/* The gate's stretch end in stream order stays in a video encoder until
 * its next frame, which comes only with the next stretch; the end sent
 * out of band closes the stretch once its last frame is in (announced
 * after it or before), so the file is finished and the audio after the
 * end goes on while the gate stays closed. */
GST_START_TEST (test_stretch_end_announced_out_of_band)
{
  Sink s ("split-on-gate=true muxer-factory=matroskamux");
  GstHarness *ha = s.play_with_audio ();
  s.gate_open (0);
  s.push (10); /* frames 0..9 */
  s.gate_close (0, 10, true);
  s.gate_drop (10, 30);
  fail_unless (push_audio (ha, 30) == 30,
               "the audio after the stretch waited for the video");
  auto closed1 = s.next_closed (10);
  fail_unless (bool (closed1), "the stretch's file was not finished");
  fail_unless_equals_uint64 (closed1->running_time, 0);
  fail_unless_equals_uint64 (closed1->duration, 10 * kFrame);
  /* the end in stream order comes with the next stretch: done already */
  s.gate_close (0, 10);
  s.gate_open (30, 1);
  s.push (5); /* frames 30..34 */
  s.gate_close (30, 35);
  gst_harness_push_event (ha, gst_event_new_eos ());
  auto msgs = s.finish ();
  auto closed = parse_all<prune::SegmentClosed> (msgs);
  fail_unless_equals_int (closed.size (), 1);
  fail_unless_equals_uint64 (closed[0].running_time, 30 * kFrame);
  fail_unless_equals_uint64 (closed[0].duration, 5 * kFrame);
  free_all (msgs);
  const std::string list = s.list_text ();
  fail_unless_equals_int (count (list, "file 'seg000.mp4'"), 1);
  fail_unless_equals_int (count (list, "file 'seg001.mp4'"), 1);
  gst_harness_teardown (ha);

  /* announced before the stretch's frames */
  Sink v ("split-on-gate=true");
  gst_harness_play (v.h);
  v.gate_open (0);
  v.gate_close (0, 5, true);
  v.push (5); /* frames 0..4 */
  auto closed3 = v.next_closed (10);
  fail_unless (bool (closed3), "the announced end did not close the file");
  fail_unless_equals_uint64 (closed3->duration, 5 * kFrame);
  v.gate_drop (5, 10);
  v.gate_open (10, 1);
  v.gate_close (10, 12, true);
  v.push (3); /* frames 10..12: the last one after the end */
  auto closed4 = v.next_closed (10);
  fail_unless (bool (closed4), "a frame after the end did not close the file");
  fail_unless_equals_uint64 (closed4->running_time, 10 * kFrame);
  fail_unless_equals_uint64 (closed4->duration, 2 * kFrame);
  v.gate_close (10, 12);
  msgs = v.finish ();
  fail_unless_equals_int (parse_all<prune::SegmentClosed> (msgs).size (), 0);
  free_all (msgs);
}
GST_END_TEST;

/* A file opened after the audio ended (EOS) has no audio: it is finished
 * when the video leaves it, not at the video's EOS. */
GST_START_TEST (test_file_after_audio_eos)
{
  Sink s ("split-on-gate=true muxer-factory=matroskamux");
  GstHarness *ha = s.play_with_audio ();
  s.gate_open (0);
  s.push (5); /* frames 0..4 */
  fail_unless (push_audio (ha, 5) == 5, "the audio of the first file");
  gst_harness_push_event (ha, gst_event_new_eos ());
  s.gate_close (0, 5);
  auto closed1 = s.next_closed (10);
  fail_unless (bool (closed1), "the first file was not finished");
  s.gate_drop (5, 10);
  s.gate_open (10, 1);
  s.push (5); /* frames 10..14 */
  s.gate_close (10, 15);
  auto closed2 = s.next_closed (10);
  fail_unless (bool (closed2),
               "a file opened after the audio's EOS waited for the video's");
  fail_unless_equals_uint64 (closed2->running_time, 10 * kFrame);
  auto msgs = s.finish ();
  free_all (msgs);
  gst_harness_teardown (ha);
}
GST_END_TEST;

static Suite *
segmentsink_suite (void)
{
  Suite *s = suite_create ("segmentsink");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_split_by_time);
  tcase_add_test (tc, test_split_now_and_format_location);
  tcase_add_test (tc, test_split_on_gate_events);
  tcase_add_test (tc, test_split_on_beats);
  tcase_add_test (tc, test_beats_counted_per_stretch);
  tcase_add_test (tc, test_beats_counted_at_their_time);
  tcase_add_test (tc, test_beats_out_of_band);
  tcase_add_test (tc, test_stretch_announced_out_of_band);
  tcase_add_test (tc, test_audio_not_held_behind_gaps);
  tcase_add_test (tc, test_stretch_end_announced_out_of_band);
  tcase_add_test (tc, test_file_after_audio_eos);
  tcase_add_test (tc, test_closed_before_eos_and_resume);
  tcase_add_test (tc, test_bad_location_pattern);
  tcase_add_test (tc, test_audio_caps_after_file_opened);
  return s;
}

GST_CHECK_MAIN (segmentsink);
